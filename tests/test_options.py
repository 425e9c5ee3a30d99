"""``OPTIONS`` on every API route: 204 with an ``Allow`` header, no HTML."""

from __future__ import annotations

import pytest
from flask import Flask

from potion import Api, ModelResource, Relation, Route, fields
from potion.backends.memory import MemoryManager


@pytest.fixture
def client():
    def login_required(view):
        def wrapper(*args, **kwargs):
            return {"message": "login first"}, 401

        return wrapper

    class Book(ModelResource):
        class Meta:
            manager = MemoryManager

        class Schema:
            title = fields.String()

        @Route.GET
        def recent(self) -> fields.List(fields.String()):
            return []

    class Shelf(ModelResource):
        books = Relation("book")

        class Meta:
            manager = MemoryManager

    app = Flask(__name__)
    api = Api(app, prefix="/api", decorators=[login_required])
    api.add_resource(Book)
    api.add_resource(Shelf)
    return app.test_client()


@pytest.mark.parametrize(
    "url, methods",
    [
        ("/api/book", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("/api/book/1", {"GET", "HEAD", "OPTIONS", "PATCH", "DELETE"}),
        ("/api/book/recent", {"GET", "HEAD", "OPTIONS"}),
        ("/api/book/schema", {"GET", "HEAD", "OPTIONS"}),
        ("/api/schema", {"GET", "HEAD", "OPTIONS"}),
        ("/api/shelf/1/books", {"GET", "HEAD", "OPTIONS", "POST"}),
        ("/api/shelf/1/books/2", {"DELETE", "OPTIONS"}),
    ],
)
def test_options_lists_the_methods_of_the_url(client, url, methods):
    response = client.options(url)
    assert response.status_code == 204
    assert set(response.headers["Allow"].split(", ")) == methods
    assert response.get_data() == b""
    assert "text/html" not in response.headers.get("Content-Type", "")


def test_options_is_not_behind_the_api_decorators(client):
    # a CORS preflight carries no credentials
    assert client.get("/api/book").status_code == 401
    assert client.options("/api/book").status_code == 204


def test_options_of_an_unknown_url_is_a_json_404(client):
    response = client.options("/api/nothing")
    assert response.status_code == 404
    assert response.is_json
