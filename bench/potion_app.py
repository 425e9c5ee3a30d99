"""The Potion side of the benchmark: two ModelResources over the workload models."""

from __future__ import annotations

from typing import Any

from flask import Flask

from potion import Api, ModelResource, Relation, fields

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

    api = Api(app)
    api.add_resource(AuthorResource)
    api.add_resource(BookResource)
    return app


def create_server(workload: Workload) -> Any:
    from .contestants import flask_sqlalchemy_server

    return flask_sqlalchemy_server(create_app(workload))
