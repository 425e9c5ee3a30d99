"""The API the client tests talk to: authors, books, book stores, a plain resource,
and a token route with the shape of potion.contrib.auth's (``POST /api/auth/token``).

Built on SQLAlchemy over an SQLite file, served for real (see :mod:`tests.client.server`).
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from potion import (
    Api,
    ItemAttributeRoute,
    ItemRoute,
    ModelResource,
    Relation,
    Resource,
    Route,
    fields,
)

USERS = {"ann": "secret"}


def create_app(database_url: str, *, protected: bool = False) -> tuple[Flask, SQLAlchemy]:
    """The library app.  ``protected``: every API route (the schema too) needs a bearer
    token from ``POST /api/auth/token``."""
    app = Flask(__name__)
    app.config.update(TESTING=True, SQLALCHEMY_DATABASE_URI=database_url)

    class Base(DeclarativeBase):  # each app its own metadata
        pass

    db = SQLAlchemy(app, model_class=Base)
    tokens: set[str] = set()

    store_books = db.Table(
        "store_books",
        db.Column("store_id", db.Integer, db.ForeignKey("book_store.id"), primary_key=True),
        db.Column("book_id", db.Integer, db.ForeignKey("book.id"), primary_key=True),
    )
    store_favourites = db.Table(
        "store_favourites",
        db.Column("store_id", db.Integer, db.ForeignKey("book_store.id"), primary_key=True),
        db.Column("book_id", db.Integer, db.ForeignKey("book.id"), primary_key=True),
    )

    class Author(db.Model):  # type: ignore[name-defined]
        __tablename__ = "author"
        id = db.Column(db.Integer, primary_key=True)
        first_name = db.Column(db.String(60), nullable=False)
        last_name = db.Column(db.String(60), nullable=False)
        __table_args__ = (db.UniqueConstraint("first_name", "last_name"),)

        @property
        def full_name(self) -> str:
            return f"{self.first_name} {self.last_name}"

    class Book(db.Model):  # type: ignore[name-defined]
        __tablename__ = "book"
        id = db.Column(db.Integer, primary_key=True)
        author_id = db.Column(db.Integer, db.ForeignKey(Author.id), nullable=False)
        author = db.relationship(Author, backref=db.backref("books", lazy="dynamic"))
        title = db.Column(db.String(200), nullable=False, unique=True)
        year_published = db.Column(db.Integer)
        rating = db.Column(db.Integer, default=5)
        published = db.Column(db.Date)
        added_at = db.Column(db.DateTime(timezone=True))
        first_printed = db.Column(db.Date)
        sequel_id = db.Column(db.Integer, db.ForeignKey("book.id"))
        sequel = db.relationship("Book", remote_side=[id])

    class BookStore(db.Model):  # type: ignore[name-defined]
        __tablename__ = "book_store"
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(100), nullable=False)
        books = db.relationship(Book, secondary=store_books, lazy="dynamic")
        favourites = db.relationship(Book, secondary=store_favourites)

    class AuthorResource(ModelResource):
        books = Relation("book")

        class Meta:
            model = Author
            natural_key = ("first_name", "last_name")

        class Schema:
            full_name = fields.String(io="r")

    class BookResource(ModelResource):
        rating = ItemAttributeRoute(fields.Integer(minimum=1, maximum=10))

        class Meta:
            model = Book

        class Schema:
            author = fields.ToOne("author")
            sequel = fields.ToOne("book", nullable=True)
            year_published = fields.Integer(minimum=1400, nullable=True)
            first_printed = fields.DateString(nullable=True)
            added_at = fields.DateTime(nullable=True)

        @ItemRoute.GET
        def shout(self, book) -> fields.String():
            return book.title.upper()

        @ItemRoute.POST
        def rename(self, book, title: fields.String()) -> fields.Inline("self"):
            return self.manager.update(book, {"title": title})

        @Route.GET
        def genres(self) -> fields.List(fields.String()):
            return ["history", "science"]

        @Route.GET
        def titled(self, prefix: fields.String()) -> fields.List(fields.ToOne("book")):
            return Book.query.filter(Book.title.startswith(prefix)).order_by(Book.id).all()

    class BookStoreResource(ModelResource):
        books = Relation("book")

        class Meta:
            model = BookStore
            name = "book_store"

        class Schema:
            favourites = fields.ToMany("book")

    class StatusResource(Resource):
        class Meta:
            name = "status"

        @Route.GET
        def ping(self) -> fields.String():
            return "pong"

        @Route.POST
        def echo(
            self, value: fields.Integer(), note: fields.String(nullable=True)
        ) -> fields.Object({"value": fields.Integer(), "note": fields.String(nullable=True)}):
            return {"value": value, "note": note}

    decorators: list[Any] = []
    if protected:

        def require_token(view: Any) -> Any:
            def guarded(*args: Any, **kwargs: Any) -> Any:
                header = request.headers.get("Authorization", "")
                if not header.startswith("Bearer ") or header[7:] not in tokens:
                    return jsonify(message="Unauthorized", status=401), 401
                return view(*args, **kwargs)

            guarded.__name__ = view.__name__
            return guarded

        decorators.append(require_token)

    @app.post("/api/auth/token")
    def token() -> Any:
        data = request.get_json(silent=True) or {}
        if USERS.get(data.get("username")) != data.get("password") or not data.get("password"):
            return jsonify(message="Invalid username or password", status=401), 401
        issued = secrets.token_hex(16)
        tokens.add(issued)
        return jsonify(token=issued, token_type="Bearer")

    api = Api(app, prefix="/api", title="Library", decorators=decorators)
    api.add_resource(AuthorResource)
    api.add_resource(BookResource)
    api.add_resource(BookStoreResource)
    api.add_resource(StatusResource)
    app.extensions["library_models"] = {"Author": Author, "Book": Book, "BookStore": BookStore}
    return app, db


def reset(app: Flask, db: SQLAlchemy) -> None:
    """Empty tables, then Darwin with one book."""
    models = app.extensions["library_models"]
    with app.app_context():
        db.drop_all()
        db.create_all()
        darwin = models["Author"](first_name="Charles", last_name="Darwin")
        db.session.add(darwin)
        db.session.add(
            models["Book"](title="On the Origin of Species", year_published=1859, author=darwin)
        )
        db.session.commit()
