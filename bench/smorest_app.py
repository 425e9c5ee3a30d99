"""flask-smorest: the benchmark's API as flask-smorest's documentation teaches it.

Blueprints of ``MethodView`` classes, marshmallow-sqlalchemy schemas for input
and output, ``@blp.arguments`` for the query string and the body,
``@blp.response`` and ``@blp.paginate`` (the total in the ``X-Pagination``
header), Flask-SQLAlchemy for the database.  Its query language is the plain
one of the reference (``?year_gt=2000&rating_gte=3.0&sort=title``).
"""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import Flask
from flask.views import MethodView
from flask_smorest import Api, Blueprint, abort
from marshmallow_sqlalchemy import SQLAlchemySchema, auto_field
from sqlalchemy.exc import IntegrityError

from .workload import Author, Book, Workload, configure_app, db

__all__ = ["create_app", "create_server"]

_AUTHOR_REF = re.compile(r"^/author/(\d+)$")


class BookSchema(SQLAlchemySchema):
    """A book in and out: ``$uri`` and the author as a reference."""

    class Meta:
        model = Book
        ordered = False

    uri = ma.fields.Function(lambda book: f"/book/{book.id}", data_key="$uri", dump_only=True)
    title = auto_field(validate=ma.validate.Length(max=200))
    year = auto_field(strict=True)
    rating = auto_field()
    author = ma.fields.Method("author_ref", "load_author", required=True)

    def author_ref(self, book: Book) -> dict[str, str]:
        return {"$ref": f"/author/{book.author_id}"}

    def load_author(self, value: Any) -> Author:
        if not (isinstance(value, dict) and len(value) == 1 and isinstance(value.get("$ref"), str)):
            raise ma.ValidationError("A reference {'$ref': '/author/<id>'} is required.")
        match = _AUTHOR_REF.match(value["$ref"])
        author = db.session.get(Author, int(match.group(1))) if match else None
        if author is None:
            raise ma.ValidationError("The author does not exist.")
        return author


class BookPatchSchema(BookSchema):
    """The body of a PATCH: any of the fields of a book."""


class BookQueryArgsSchema(ma.Schema):
    year_gt = ma.fields.Integer()
    rating_gte = ma.fields.Float()
    sort = ma.fields.String(validate=ma.validate.OneOf(["id", "title"]), load_default="id")


class BookRefSchema(ma.Schema):
    ref = ma.fields.Function(lambda book: f"/book/{book.id}", data_key="$ref")


def _commit() -> None:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        abort(409, message="A book with this title already exists")


def create_app(workload: Workload) -> Flask:
    """A Flask app serving the benchmark's operations with flask-smorest."""
    app = Flask("bench_smorest")
    app.config.update(API_TITLE="Books", API_VERSION="v1", OPENAPI_VERSION="3.0.3")
    configure_app(app, workload)
    api = Api(app)

    books = Blueprint("books", __name__, url_prefix="/book", description="Books")
    authors = Blueprint("authors", __name__, url_prefix="/author", description="Authors")

    @books.route("")
    class Books(MethodView):
        @books.arguments(BookQueryArgsSchema, location="query")
        @books.response(200, BookSchema(many=True))
        @books.paginate(page_size=20, max_page_size=100)
        def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
            query = sa.select(Book)
            if "year_gt" in args:
                query = query.where(Book.year > args["year_gt"])
            if "rating_gte" in args:
                query = query.where(Book.rating >= args["rating_gte"])
            query = query.order_by(Book.title if args["sort"] == "title" else Book.id)
            page = db.paginate(
                query,
                page=pagination_parameters.page,
                per_page=pagination_parameters.page_size,
                error_out=False,
            )
            pagination_parameters.item_count = page.total
            return page.items

        @books.arguments(BookSchema)
        @books.response(201, BookSchema)
        def post(self, new_book: dict[str, Any]) -> Any:
            book = Book(**new_book)
            db.session.add(book)
            _commit()
            return book

    @books.route("/<int:book_id>")
    class BookById(MethodView):
        @books.response(200, BookSchema)
        def get(self, book_id: int) -> Any:
            return db.get_or_404(Book, book_id)

        @books.arguments(BookPatchSchema(partial=True))
        @books.response(200, BookSchema)
        def patch(self, changes: dict[str, Any], book_id: int) -> Any:
            book = db.get_or_404(Book, book_id)
            for key, value in changes.items():
                setattr(book, key, value)
            _commit()
            return book

    @authors.route("/<int:author_id>/books")
    class AuthorBooks(MethodView):
        @authors.response(200, BookRefSchema(many=True))
        @authors.paginate(page_size=20, max_page_size=100)
        def get(self, author_id: int, pagination_parameters: Any) -> Any:
            query = sa.select(Book).where(Book.author_id == author_id).order_by(Book.id)
            page = db.paginate(
                query,
                page=pagination_parameters.page,
                per_page=pagination_parameters.page_size,
                error_out=False,
            )
            pagination_parameters.item_count = page.total
            return page.items

    api.register_blueprint(books)
    api.register_blueprint(authors)
    return app


def create_server(workload: Workload) -> Any:
    from .contestants import flask_sqlalchemy_server

    return flask_sqlalchemy_server(create_app(workload))
