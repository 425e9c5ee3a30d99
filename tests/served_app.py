"""The application the race and soak tests serve over HTTP on a loopback port.

``create_app()`` reads the database URL from ``POTION_SERVED_DATABASE_URL`` (so
gunicorn can build it: ``gunicorn 'tests.served_app:create_app()'``); nothing
connects to the database at import or in ``create_app()``, and the tables are
created by the test beforehand, never here.
"""

from __future__ import annotations

import os

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from potion import Api, ModelResource, fields
from potion.backends.sqlalchemy import ENGINE_OPTIONS


def create_app(url: str | None = None) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url or os.environ["POTION_SERVED_DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(ENGINE_OPTIONS, pool_size=10, max_overflow=20)

    class Base(DeclarativeBase):
        pass

    db = SQLAlchemy(app, model_class=Base)
    app.extensions["served_db"] = db

    class Author(db.Model):
        __tablename__ = "served_author"
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(60), nullable=False)

    class Book(db.Model):
        __tablename__ = "served_book"
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(100), nullable=False, unique=True)
        year = db.Column(db.Integer, nullable=True)
        author_id = db.Column(db.Integer, db.ForeignKey(Author.id), nullable=False)
        author = db.relationship(Author)

    class AuthorResource(ModelResource):
        class Meta:
            model = Author
            name = "author"

    class BookResource(ModelResource):
        class Meta:
            model = Book
            name = "book"

        class Schema:
            author = fields.ToOne("author")

    api = Api(app, prefix="/api")
    api.add_resource(AuthorResource)
    api.add_resource(BookResource)
    return app
