"""An app with an Api, contrib.auth and contrib.admin, for the admin's test-client tests.

A small library on SQLite: authors (with a ``books`` Relation), books (a ToOne
author, a ``tags`` Relation to tags, many-to-many), tags, notes (each readable only by its owner or an editor) and secrets (only
for the ``keeper`` role).  Users: ``boss`` (superuser), ``ed`` (staff, editor),
``viewer`` (staff, no role: reads only) and ``plain`` (not staff).
"""

from __future__ import annotations

import html
import re
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from potion import Api, ModelResource, Relation, fields
from potion.backends.sqlalchemy import sqlite_foreign_keys
from potion.contrib.admin import Admin
from potion.contrib.auth import Auth

PASSWORD = "correct horse battery staple"
FAST_HASHING = {
    "POTION_AUTH_ARGON2_TIME_COST": 1,
    "POTION_AUTH_ARGON2_MEMORY_COST": 8,
    "POTION_AUTH_ARGON2_PARALLELISM": 1,
}
EDITORS = {"create": "editor", "update": "editor", "delete": "editor"}


def make_app(tmp_path: Any, **config: Any) -> tuple[Flask, SQLAlchemy, Api, Auth]:
    """A Flask app with a database, an Api under /api and contrib.auth."""
    app = Flask(__name__)
    app.config.update(
        TESTING=True,
        SECRET_KEY="test",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'admin.sqlite3'}",
        **FAST_HASHING,
    )
    app.config.update(config)
    db = SQLAlchemy(app)
    with app.app_context():
        sqlite_foreign_keys(db.engine)  # a delete others refer to is refused, as elsewhere
    api = Api(app, prefix="/api")
    auth = Auth(app, db=db, api=api)
    return app, db, api, auth


class Session:
    """A test client logged in as one user, with the helpers the tests share."""

    def __init__(self, app: Flask, username: str | None, password: str = PASSWORD) -> None:
        self.client = app.test_client()
        self.token = ""
        if username is not None:
            response = self.client.post(
                "/api/auth/login", json={"username": username, "password": password}
            )
            assert response.status_code == 200, response.json
            self.token = response.json["csrf_token"]

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, token: bool = True) -> Any:
        data = dict(data or {})
        if token:
            data["csrf_token"] = self.token
        return self.client.post(url, data=data)

    def page(self, url: str, status: int = 200) -> str:
        response = self.client.get(url)
        assert response.status_code == status, (response.status_code, response.location)
        return response.get_data(as_text=True)

    def follow(self, response: Any, status: int = 200) -> str:
        """The page a redirect leads to."""
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return self.page(response.location, status)


def text(page: str) -> str:
    """The page's text, tags removed and whitespace collapsed (entities decoded)."""
    without = re.sub(r"<script.*?</script>|<[^>]+>", " ", page, flags=re.S)
    return " ".join(html.unescape(without).split())


def main_text(page: str) -> str:
    found = re.search(r'<main id="content".*?</main>', page, re.S)
    assert found, "no <main id=content>"
    return text(found.group(0))


def element(page: str, pattern: str) -> str | None:
    """The first tag matching ``pattern`` (a regex inside ``<...>``), or None."""
    found = re.search(r"<" + pattern + r"[^>]*>", page, re.S)
    return found.group(0) if found else None


class Library:
    """The library app: models, resources, admin and users."""

    def __init__(self, tmp_path: Any, admin_options: dict[str, Any] | None = None) -> None:
        app, db, api, auth = make_app(tmp_path)
        self.app, self.db, self.api, self.auth = app, db, api, auth

        class Author(db.Model):  # type: ignore[name-defined]
            id = db.Column(db.Integer, primary_key=True)
            name = db.Column(db.String(120), nullable=False, unique=True)
            born = db.Column(db.Integer)

        book_tag = db.Table(
            "book_tag",
            db.Column("book_id", db.Integer, db.ForeignKey("book.id"), primary_key=True),
            db.Column("tag_id", db.Integer, db.ForeignKey("tag.id"), primary_key=True),
        )

        class Tag(db.Model):  # type: ignore[name-defined]
            id = db.Column(db.Integer, primary_key=True)
            name = db.Column(db.String(40), nullable=False, unique=True)

        class Book(db.Model):  # type: ignore[name-defined]
            id = db.Column(db.Integer, primary_key=True)
            title = db.Column(db.String(200), nullable=False)
            isbn = db.Column(db.String(17), nullable=False)
            author_id = db.Column(db.Integer, db.ForeignKey(Author.id), nullable=False)
            author = db.relationship(Author, backref=db.backref("books", lazy="dynamic"))
            year = db.Column(db.Integer)
            copies = db.Column(db.Integer, nullable=False, default=1)
            in_print = db.Column(db.Boolean, nullable=False, default=True)
            published = db.Column(db.Date)
            summary = db.Column(db.Text)
            tags = db.relationship(Tag, secondary=book_tag, lazy="dynamic", backref="books")

        class Note(db.Model):  # type: ignore[name-defined]
            id = db.Column(db.Integer, primary_key=True)
            text = db.Column(db.String(200), nullable=False)
            owner_id = db.Column(db.Integer, db.ForeignKey("auth_user.id"))
            owner = db.relationship(auth.User)

        class Secret(db.Model):  # type: ignore[name-defined]
            id = db.Column(db.Integer, primary_key=True)
            name = db.Column(db.String(80), nullable=False)

        class AuthorResource(ModelResource):
            """People who write books."""

            books = Relation("book")

            class Meta:
                model = Author
                permissions = {"read": "yes", **EDITORS}

            class Schema:
                name = fields.String(min_length=1, max_length=120)
                born = fields.Integer(minimum=0, maximum=2100, nullable=True)

        class TagResource(ModelResource):
            class Meta:
                model = Tag
                permissions = {"read": "yes", **EDITORS}

            class Schema:
                name = fields.String(min_length=1, max_length=40)

        class BookResource(ModelResource):
            tags = Relation("tag")

            class Meta:
                model = Book
                permissions = {"read": "yes", **EDITORS}
                admin = {"search": ["title", "isbn"]} if admin_options is None else admin_options

            class Schema:
                title = fields.String(min_length=1, max_length=200)
                isbn = fields.String(pattern=r"^[0-9][0-9-]{8,15}[0-9Xx]$", title="ISBN")
                author = fields.ToOne("author")
                year = fields.Integer(minimum=1400, maximum=2100, nullable=True)
                copies = fields.Integer(minimum=0, default=1)
                in_print = fields.Boolean(default=True)
                published = fields.Date(nullable=True)
                summary = fields.String(nullable=True)

        class NoteResource(ModelResource):
            class Meta:
                model = Note
                permissions = {"read": ["user:owner", "editor"], **EDITORS}

            class Schema:
                text = fields.String(min_length=1, max_length=200)
                owner = fields.ToOne("user", nullable=True)

        class SecretResource(ModelResource):
            class Meta:
                model = Secret
                permissions = {"read": "keeper", "create": "keeper"}

        self.models = {
            "author": Author,
            "book": Book,
            "tag": Tag,
            "note": Note,
            "secret": Secret,
        }
        for resource in (AuthorResource, BookResource, TagResource, NoteResource, SecretResource):
            api.add_resource(resource)
        self.admin = Admin(app, api=api, auth=auth)
        with app.app_context():
            db.create_all()
        self.users = {
            "boss": self.user("boss", is_staff=True, is_superuser=True),
            "ed": self.user("ed", is_staff=True),
            "viewer": self.user("viewer", is_staff=True),
            "plain": self.user("plain"),
        }
        self.role("editor", "ed")

    # -- data ----------------------------------------------------------------------------

    def user(self, username: str, **attributes: Any) -> int:
        with self.app.app_context():
            user = self.auth.create_user(username, PASSWORD, validate=False, **attributes)
            user_id = int(user.id)
            self.db.session.remove()
        return user_id

    def role(self, name: str, *usernames: str) -> None:
        with self.app.app_context():
            role = self.auth.Role(name=name)
            for username in usernames:
                role.users.append(self.auth.find_user(username))
            self.db.session.add(role)
            self.db.session.commit()
            self.db.session.remove()

    def add(self, model: str, **values: Any) -> int:
        with self.app.app_context():
            item = self.models[model](**values)
            self.db.session.add(item)
            self.db.session.commit()
            item_id = int(item.id)
            self.db.session.remove()
        return item_id

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.app.app_context():
            result = [tuple(row) for row in self.db.session.execute(sa.text(sql), params)]
            self.db.session.remove()
        return result

    def session(self, username: str | None) -> Session:
        return Session(self.app, username)
