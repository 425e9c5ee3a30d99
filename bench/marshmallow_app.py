"""The Potion side again, with the book resource declared through a marshmallow schema.

``BookResource`` takes its fields from a marshmallow-sqlalchemy auto schema
(``Meta.marshmallow_schema``) instead of the model; the author resource is the
same as in ``bench/potion_app.py``.  Both apps answer the same URLs with the same
JSON, so the benchmark compares their speed request for request.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from marshmallow_sqlalchemy import SQLAlchemyAutoSchema

import potion.contrib.marshmallow  # noqa: F401  (registers Meta.marshmallow_schema)
from potion import Api, ModelResource, Relation

from .workload import Author, Book, Workload, configure_app

__all__ = ["create_app", "create_server", "BookSchema"]


class BookSchema(SQLAlchemyAutoSchema):
    """title, year, rating and the author (a Related field), as a flask-smorest API has it."""

    class Meta:
        model = Book
        include_relationships = True
        exclude = ("id",)  # the item's URI ($uri) names it


def create_app(workload: Workload) -> Flask:
    """A Flask app serving ``/book`` (marshmallow-declared) and ``/author`` with Potion."""
    app = Flask("bench_potion_marshmallow")
    configure_app(app, workload)

    class BookResource(ModelResource):
        class Meta:
            model = Book
            marshmallow_schema = BookSchema

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
