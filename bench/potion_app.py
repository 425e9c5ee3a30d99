"""The Potion side of the benchmark: two ModelResources over the workload models."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from potion import Api, ModelResource, Relation, fields
from potion.permissions import Identity, UserNeed

from .workload import Author, Book, Workload, configure_app

__all__ = ["create_app", "create_server"]


def create_app(workload: Workload) -> Flask:
    """A Flask app serving ``/book`` and ``/author`` with Potion."""
    app = Flask("bench_potion")
    configure_app(app, workload)

    class BookResource(ModelResource):
        class Meta:
            model = Book

        class Schema:
            author = fields.ToOne("author")

    class AuthorResource(ModelResource):
        books = Relation("book")

        class Meta:
            model = Author

    class OwnedBookResource(ModelResource):
        """P1: the books of the user asking (``X-User``), and only those."""

        class Meta:
            name = "owned"
            model = Book
            permissions = {"read": "user:author"}

        class Schema:
            author = fields.ToOne("author")

    api = Api(app, identity_source=_identity)
    api.add_resource(AuthorResource)
    api.add_resource(BookResource)
    api.add_resource(OwnedBookResource)
    return app


def _identity() -> Identity | None:
    """The user a request names in ``X-User`` (a stand-in for a session or token)."""
    user = request.headers.get("X-User")
    if not user or not user.isdigit():
        return None
    return Identity(int(user), {UserNeed(int(user))})


def create_server(workload: Workload) -> Any:
    from .contestants import flask_sqlalchemy_server

    return flask_sqlalchemy_server(create_app(workload))
