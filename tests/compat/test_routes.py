"""Routes as Flask-Potion code uses them: views returning raw results, route
decorators reading and changing them, relative rules, schema links (issue item 2)."""

from __future__ import annotations

import functools

from flask import Flask, Response

from flask_potion import Api, ModelResource, Resource, fields
from flask_potion.contrib.memory import MemoryManager
from flask_potion.routes import ItemRoute, Route
from flask_potion.schema import FieldSet


def stamp(view):
    """A route decorator as Flask-Potion apps write them: it reads the raw result."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        data, code, *rest = view(*args, **kwargs)
        headers = dict(rest[0]) if rest else {}
        headers["X-Seen"] = str(data.get("$uri", "-")) if isinstance(data, dict) else "-"
        if isinstance(data, dict):
            data = dict(data, stamped=True)
        return data, code, headers

    return wrapper


def make_note():
    class Note(ModelResource):
        class Meta:
            manager = MemoryManager
            route_decorators = {"self": stamp, "create": stamp, "readShout": stamp}

        class Schema:
            text = fields.String()

        @ItemRoute.GET
        def shout(self, note) -> fields.String():
            return note["text"].upper()

        @Route.GET(success_code=202)
        def queued(self) -> fields.Integer():
            return 3

        @Route.GET
        def raw(self):
            return Response("plain", mimetype="text/plain")

    return Note


def test_route_decorators_read_and_change_the_value():
    app = Flask(__name__)
    api = Api(app)
    Note = make_note()
    api.add_resource(Note)
    client = app.test_client()
    response = client.post("/note", json={"text": "hi"})
    assert response.status_code == 200
    assert response.json == {"$uri": "/note/1", "text": "hi", "stamped": True}
    assert response.headers["X-Seen"] == "/note/1"
    assert response.headers["Location"] == "/note/1"
    response = client.get("/note/1")
    assert response.json == {"$uri": "/note/1", "text": "hi", "stamped": True}
    assert response.headers["Content-Type"] == "application/json"
    response = client.get("/note/1/shout")
    assert response.json == "HI"
    assert response.headers["X-Seen"] == "-"
    # not decorated: the raw body
    assert client.get("/note").json == [{"$uri": "/note/1", "text": "hi"}]
    response = client.get("/note/queued")
    assert (response.status_code, response.json) == (202, 3)
    response = client.get("/note/raw")
    assert (response.data, response.mimetype) == (b"plain", "text/plain")


def test_route_view_returns_raw_result():
    app = Flask(__name__)
    Note = make_note()
    Api(app).add_resource(Note)
    view = Note.routes["readQueued"].view_factory("note_readQueued", Note)
    with app.test_request_context("/note/queued"):
        assert view() == (3, 202)
    view = Note.routes["destroy"].view_factory("note_destroy", Note)
    with app.test_request_context("/note/1", method="DELETE"):
        Note.manager.create({"text": "x"})
        assert view(id=1) == (None, 204)


def test_api_decorators_wrap_the_serialised_view():
    seen = []

    def outer(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            response = view(*args, **kwargs)
            seen.append(type(response).__name__)
            return response

        return wrapper

    app = Flask(__name__)
    api = Api(app, decorators=[outer])
    api.add_resource(make_note())
    client = app.test_client()
    client.post("/note", json={"text": "a"})
    assert seen == ["Response"]


def test_rule_factory_and_route_prefix():
    Note = make_note()
    assert Note.route_prefix is None
    routes = Note.routes
    assert routes["readShout"].rule_factory(Note, relative=True) == "<int:id>/shout"
    assert routes["instances"].rule_factory(Note, relative=True) == ""
    assert routes["self"].rule_factory(Note, relative=True) == "<int:id>"
    assert routes["describedBy"].rule_factory(Note, relative=True) == "schema"
    # not added to an Api yet: the links are relative
    assert routes["readShout"].schema_factory(Note)["href"] == "{id}/shout"
    app = Flask(__name__)
    Api(app, prefix="/api").add_resource(Note)
    assert Note.route_prefix == "/api/note"
    assert routes["readShout"].rule_factory(Note) == "/api/note/<int:id>/shout"
    assert routes["readShout"].rule_factory(Note, relative=True) == "<int:id>/shout"
    assert routes["readShout"].schema_factory(Note) == {
        "rel": "readShout",
        "href": "/api/note/{id}/shout",
        "method": "GET",
        "targetSchema": {"type": "string"},
        "schema": {"type": "object", "properties": {}, "additionalProperties": False},
    }


def test_described_by_in_code_and_on_the_wire():
    class Thing(Resource):
        pass

    assert Thing.schema is None
    app = Flask(__name__)
    Api(app).add_resource(Thing)
    document, code, headers = Thing().described_by()
    assert code == 200
    assert headers == {"Content-Type": "application/schema+json"}
    assert document == {
        "$schema": "http://json-schema.org/draft-04/hyper-schema#",
        "links": [{"href": "/thing/schema", "method": "GET", "rel": "describedBy"}],
    }
    response = app.test_client().get("/thing/schema")
    assert response.json == document
    # as Flask-Potion answers it: the Api's JSON content type
    assert response.headers["Content-Type"] == "application/json"


def test_fieldset_response_schema_has_no_additional_properties():
    class Thing(Resource):
        @Route.POST(
            schema=FieldSet({"value": fields.Integer()}),
            response_schema=FieldSet({"value": fields.Integer()}),
        )
        def echo(self, value):
            return {"value": value}

    app = Flask(__name__)
    Api(app).add_resource(Thing)
    link = Thing.routes["createEcho"].schema_factory(Thing)
    assert link["targetSchema"] == {"type": "object", "properties": {"value": {"type": "integer"}}}
    assert link["schema"]["additionalProperties"] is False
    response = app.test_client().post("/thing/echo", json={"value": 2})
    assert response.json == {"value": 2}
