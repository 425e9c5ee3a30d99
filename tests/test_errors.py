"""Errors: every failure of an API route answers JSON with ``message`` and ``status``;
the host application's own pages keep their own (HTML) errors."""

from __future__ import annotations

import io
import logging

import pytest
from flask import Flask, abort

from potion import Api, ModelResource, Route, fields
from potion.backends.memory import MemoryManager
from potion.exceptions import (
    BackendConflict,
    DuplicateKey,
    Forbidden,
    IntegrityViolation,
    InvalidJSON,
    ItemNotFound,
    PageNotFound,
    PotionException,
    RequestMustBeJSON,
    ValidationError,
)
from potion.schema import FieldSet

NOT_FOUND = (
    "The requested URL was not found on the server. If you entered the URL manually "
    "please check your spelling and try again."
)


def make_app(prefix="/api", **config):
    app = Flask(__name__)
    app.config.update(config)
    api = Api(app, prefix=prefix, default_manager=MemoryManager)

    class Thing(ModelResource):
        class Schema:
            name = fields.String(min_length=2)
            count = fields.Integer(minimum=0, nullable=True)

        @Route.GET
        def boom(self):
            raise RuntimeError("secret detail of the failure")

        @Route.POST(schema=FieldSet({"value": fields.Integer()}))
        def echo(self, value):
            return value

        @Route.GET
        def teapot(self):
            abort(418, description="short and stout")

    api.add_resource(Thing)

    @app.route("/page")
    def page():
        return "<p>host page</p>"

    @app.route("/crash")
    def crash():
        raise RuntimeError("host failure")

    @app.route("/forbidden")
    def forbidden():
        abort(403)

    @app.route("/potion-error")
    def potion_error():
        raise ValidationError([{"path": ["x"], "validationOf": {"type": "integer"}}])

    return app


@pytest.fixture
def client():
    return make_app().test_client()


def test_validation_errors_list_every_failure(client):
    response = client.post("/api/thing", json={"name": "a", "count": -1, "other": True})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    body = response.json
    assert sorted(body["errors"], key=repr) == sorted(
        [
            {"path": [], "validationOf": {"additionalProperties": False}},
            {"path": ["name"], "validationOf": {"minLength": 2}},
            {"path": ["count"], "validationOf": {"minimum": 0}},
        ],
        key=repr,
    )
    assert body["message"] == "Bad Request"
    assert body["status"] == 400

    response = client.post("/api/thing", json={"count": 1})
    assert response.json == {
        "errors": [{"path": [], "validationOf": {"required": ["name"]}}],
        "message": "Bad Request",
        "status": 400,
    }
    response = client.post("/api/thing", json=[1])
    assert response.json == {
        "errors": [{"path": [], "validationOf": {"type": "object"}}],
        "message": "Bad Request",
        "status": 400,
    }


def test_malformed_json_body(client):
    for url in ("/api/thing", "/api/thing/echo"):
        response = client.post(url, data='{"name": ', content_type="application/json")
        assert response.status_code == 400
        body = response.json
        assert body["status"] == 400
        assert body["parameter"] == "body"
        assert body["message"].startswith("The request body is not valid JSON: ")
    client.post("/api/thing", json={"name": "ab"})
    response = client.patch("/api/thing/1", data="{oops}", content_type="application/json")
    assert response.status_code == 400
    assert response.json["parameter"] == "body"


def test_wrong_content_type(client):
    # routes taking keyword arguments (FieldSet) answer 415 ...
    response = client.post("/api/thing/echo", data="value=1")
    assert response.status_code == 415
    assert response.json == {
        "message": "The request body must be JSON (Content-Type: application/json)",
        "status": 415,
    }
    # ... the item routes answer 400 naming the body
    response = client.post("/api/thing", data="name=ab")
    assert response.status_code == 400
    assert response.json == {
        "message": "The request body must be JSON (Content-Type: application/json)",
        "parameter": "body",
        "status": 400,
    }
    client.post("/api/thing", json={"name": "ab"})
    response = client.patch("/api/thing/1", data="name=cd", content_type="text/plain")
    assert response.status_code == 400
    assert response.json["parameter"] == "body"


def test_invalid_json_in_query_parameters(client):
    for name in ("where", "sort"):
        response = client.get(f"/api/thing?{name}={{bad")
        assert response.status_code == 400
        body = response.json
        assert body["parameter"] == name
        assert body["status"] == 400
        assert body["message"].startswith(f"The '{name}' parameter is not valid JSON: ")


def test_item_not_found(client):
    response = client.get("/api/thing/7")
    assert response.status_code == 404
    assert response.json == {
        "item": {"$id": 7, "$type": "thing"},
        "message": "Not Found",
        "status": 404,
    }


def test_unknown_route_under_the_prefix(client):
    for path in ("/api/nope", "/api/thing/1/nope", "/api/thing/abc", "/api"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"] == "application/json"
        assert response.json == {"message": NOT_FOUND, "status": 404}


def test_method_not_allowed(client):
    response = client.delete("/api/thing")
    assert response.status_code == 405
    assert response.json == {
        "message": "The method is not allowed for the requested URL.",
        "status": 405,
    }
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    response = client.put("/api/thing/1")
    assert response.status_code == 405
    assert response.json["status"] == 405


def test_http_errors_raised_in_a_view(client):
    response = client.get("/api/thing/teapot")
    assert response.status_code == 418
    assert response.json == {"message": "short and stout", "status": 418}


def test_body_over_the_size_limit():
    client = make_app(POTION_MAX_CONTENT_LENGTH=64).test_client()
    body = {"name": "x" * 100}
    response = client.post("/api/thing", json=body)
    assert response.status_code == 413
    assert response.json == {"message": "The request body is larger than 64 bytes", "status": 413}
    # a streamed body without Content-Length is measured too
    data = b'{"name": "' + b"y" * 100 + b'"}'
    response = client.post(
        "/api/thing",
        input_stream=io.BytesIO(data),
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert response.json == {"message": "The request body is larger than 64 bytes", "status": 413}
    # a body of exactly the limit is accepted
    exact = b'{"name": "' + b"z" * 52 + b'"}'
    assert len(exact) == 64
    response = client.post(
        "/api/thing",
        input_stream=io.BytesIO(exact),
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 200, response.json
    assert client.post("/api/thing/echo", json={"value": 1}).status_code == 200


def test_default_size_limit_is_one_megabyte():
    client = make_app().test_client()
    response = client.post("/api/thing", json={"name": "x" * (1024 * 1024)})
    assert response.status_code == 413
    assert response.json["status"] == 413


@pytest.mark.parametrize("testing", [False, True])
def test_unhandled_exception_is_a_json_500_without_traceback(testing, caplog):
    client = make_app(TESTING=testing).test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/thing/boom")
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    assert response.json == {
        "message": "The server could not complete the request because of an internal error.",
        "status": 500,
    }
    assert b"secret detail" not in response.data
    assert b"Traceback" not in response.data
    # the error is logged for the operator
    assert "secret detail of the failure" in caplog.text


def test_potion_exception_outside_the_api():
    client = make_app().test_client()
    response = client.get("/potion-error")
    assert response.status_code == 400
    assert response.json == {
        "errors": [{"path": ["x"], "validationOf": {"type": "integer"}}],
        "message": "Bad Request",
        "status": 400,
    }


@pytest.mark.parametrize("prefix", ["/api", ""])
def test_host_pages_keep_their_html_errors(prefix):
    client = make_app(prefix=prefix).test_client()
    assert client.get("/page").data == b"<p>host page</p>"
    for method, path, status in (
        ("GET", "/nope", 404),
        ("POST", "/page", 405),
        ("GET", "/forbidden", 403),
        ("GET", "/crash", 500),
    ):
        response = client.open(path, method=method)
        assert response.status_code == status, path
        assert response.headers["Content-Type"].startswith("text/html"), path
    # while the API's own routes answer JSON
    response = client.get(f"{prefix}/thing/1/nope")
    assert response.status_code == 404
    assert response.json == {"message": NOT_FOUND, "status": 404}
    response = client.delete(f"{prefix}/thing")
    assert response.status_code == 405
    assert response.json["status"] == 405
    assert client.get(f"{prefix}/thing/boom").json["status"] == 500


def test_empty_prefix_unknown_resource_paths_are_the_host_apps():
    client = make_app(prefix="").test_client()
    response = client.get("/unknown/thing")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    response = client.get("/schema")
    assert response.status_code == 200
    assert response.json["properties"] == {"thing": {"$ref": "/thing/schema#"}}


def test_item_not_found_with_a_resource_name_in_a_route():
    app = Flask(__name__)
    api = Api(app, default_manager=MemoryManager)

    class Book(ModelResource):
        class Schema:
            title = fields.String()

        @Route.GET("/by-title")
        def by_title(self, title: fields.String()) -> fields.Inline("self"):
            for item in self.manager.items.values():
                if item["title"] == title:
                    return item
            raise ItemNotFound("book", where={"title": title})

    api.add_resource(Book)
    response = app.test_client().get("/book/by-title?title=Tea")
    assert response.status_code == 404
    assert response.json == {
        "item": {"$type": "book", "$where": {"title": "Tea"}},
        "message": "Not Found",
        "status": 404,
    }
    assert ItemNotFound("book", id=7).as_dict()["item"] == {"$type": "book", "$id": 7}


def test_exception_bodies():
    class Res:
        class meta:
            name = "book"

    assert ItemNotFound(Res, id=3).as_dict() == {
        "item": {"$id": 3, "$type": "book"},
        "message": "Not Found",
        "status": 404,
    }
    assert ItemNotFound(Res, where={"title": "x"}).as_dict() == {
        "item": {"$type": "book", "$where": {"title": "x"}},
        "message": "Not Found",
        "status": 404,
    }
    assert PotionException("custom").as_dict() == {"message": "custom", "status": 500}
    assert PageNotFound().as_dict() == {"message": "Not Found", "status": 404}
    assert RequestMustBeJSON().as_dict() == {"message": "Unsupported Media Type", "status": 415}
    assert InvalidJSON("bad", parameter="where").as_dict() == {
        "message": "bad",
        "parameter": "where",
        "status": 400,
    }
    assert BackendConflict().as_dict() == {"message": "Conflict", "status": 409}
    assert DuplicateKey(errors=[{"path": ["title"]}]).as_dict() == {
        "errors": [{"path": ["title"]}],
        "message": "Conflict",
        "status": 409,
    }
    assert IntegrityViolation([{"path": ["author"]}]).as_dict()["status"] == 400
    assert Forbidden().as_dict() == {
        "message": "You don't have the permission to access the requested resource. "
        "It is either read-protected or not readable by the server.",
        "status": 403,
    }
