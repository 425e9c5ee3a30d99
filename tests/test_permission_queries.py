"""A permission-narrowed list costs the SQL statements of an unnarrowed one.

The narrowing is part of the store's query: the count and the page each stay one
statement, on SQLAlchemy and on peewee.  Counted with a listener on the engine
(SQLAlchemy) and on the database's ``execute_sql`` (peewee).
"""

from __future__ import annotations

from typing import Any

import peewee
import pytest
import sqlalchemy as sa
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy

from potion import Api, ModelResource, Relation, fields
from potion.backends.peewee import PeeweeManager
from potion.permissions import Identity, UserNeed

OWNERS, BOOKS = 3, 90


def _identity() -> Identity | None:
    user = request.headers.get("X-User")
    return Identity(int(user), {UserNeed(int(user))}) if user else None


def _resources(models: dict[str, Any]) -> list[Any]:
    class OwnerResource(ModelResource):
        class Meta:
            name = "owner"
            model = models["owner"]

    class BookResource(ModelResource):
        class Meta:
            name = "book"
            model = models["book"]

        class Schema:
            owner = fields.ToOne("owner")

    class OwnedBookResource(ModelResource):
        class Meta:
            name = "owned"
            model = models["book"]
            permissions = {"read": "user:owner"}

        class Schema:
            owner = fields.ToOne("owner")

    class ShelfResource(ModelResource):
        """The owners again, with their books as a Relation."""

        books = Relation("book")

        class Meta:
            name = "shelf"
            model = models["owner"]

    class CabinetResource(ModelResource):
        """The owners again, with a Relation to the narrowed books."""

        books = Relation("owned")

        class Meta:
            name = "cabinet"
            model = models["owner"]

    class ReaderResource(ModelResource):
        """Owners that read only themselves, with a Relation to the narrowed books."""

        books = Relation("owned")

        class Meta:
            name = "reader"
            model = models["owner"]
            permissions = {"read": "user:$id"}

    return [
        OwnerResource,
        BookResource,
        OwnedBookResource,
        ShelfResource,
        CabinetResource,
        ReaderResource,
    ]


@pytest.fixture
def sqlalchemy_app(tmp_path):
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'q.db'}"
    db = SQLAlchemy(app)

    class Owner(db.Model):
        __tablename__ = "owner"
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False)

    class Book(db.Model):
        __tablename__ = "book"
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(40), nullable=False)
        owner_id = db.Column(db.Integer, db.ForeignKey(Owner.id), nullable=False)
        owner = db.relationship(Owner, backref=db.backref("books", order_by="Book.id"))

    api = Api(app, identity_source=_identity)
    for resource in _resources({"owner": Owner, "book": Book}):
        api.add_resource(resource)
    counter = {"statements": 0}
    with app.app_context():
        db.create_all()
        for i in range(1, OWNERS + 1):
            db.session.add(Owner(id=i, name=f"owner {i}"))
        for i in range(1, BOOKS + 1):
            db.session.add(Book(id=i, title=f"book {i}", owner_id=i % OWNERS + 1))
        db.session.commit()

        def count(*_args: Any) -> None:
            counter["statements"] += 1

        sa.event.listen(db.engine, "before_cursor_execute", count)
    yield app, counter
    with app.app_context():
        db.engine.dispose()


class _CountingDatabase(peewee.SqliteDatabase):
    statements = 0

    def execute_sql(self, sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        self.statements += 1
        return super().execute_sql(sql, params, *args, **kwargs)


@pytest.fixture
def peewee_app(tmp_path):
    db = _CountingDatabase(str(tmp_path / "q.db"))

    class Owner(peewee.Model):
        name = peewee.CharField()

        class Meta:
            database = db
            table_name = "owner"

    class Book(peewee.Model):
        title = peewee.CharField()
        owner = peewee.ForeignKeyField(Owner, backref="books")

        class Meta:
            database = db
            table_name = "book"

    db.create_tables([Owner, Book])
    Owner.insert_many([{"id": i, "name": f"owner {i}"} for i in range(1, OWNERS + 1)]).execute()
    Book.insert_many(
        [{"id": i, "title": f"book {i}", "owner": i % OWNERS + 1} for i in range(1, BOOKS + 1)]
    ).execute()
    app = Flask(__name__)
    api = Api(app, default_manager=PeeweeManager, identity_source=_identity)
    for resource in _resources({"owner": Owner, "book": Book}):
        api.add_resource(resource)

    class Counter(dict):  # type: ignore[type-arg]
        def __getitem__(self, key: str) -> int:
            return db.statements

        def __setitem__(self, key: str, value: int) -> None:
            db.statements = value

    yield app, Counter()
    db.close()


def _statements(app: Flask, counter: Any, url: str, headers: dict[str, str]) -> tuple[Any, int]:
    client = app.test_client()
    client.get(url, headers=headers)  # warm up: plans and caches
    counter["statements"] = 0
    response = client.get(url, headers=headers)
    return response, counter["statements"]


@pytest.mark.parametrize("backend", ["sqlalchemy_app", "peewee_app"])
def test_a_narrowed_page_of_20_costs_what_an_unnarrowed_one_does(backend, request):
    app, counter = request.getfixturevalue(backend)
    plain, plain_count = _statements(app, counter, "/book?page=2&per_page=20", {})
    narrowed, narrowed_count = _statements(
        app, counter, "/owned?page=2&per_page=20", {"X-User": "2"}
    )
    assert plain.status_code == narrowed.status_code == 200
    assert len(narrowed.get_json()) == 10  # the second page of owner 2's 30 books
    assert narrowed.headers["X-Total-Count"] == str(BOOKS // OWNERS)
    assert {b["owner"]["$ref"] for b in narrowed.get_json()} == {"/owner/2"}
    assert plain.headers["X-Total-Count"] == str(BOOKS)
    assert narrowed_count == plain_count == 2


@pytest.mark.parametrize("backend", ["sqlalchemy_app", "peewee_app"])
def test_a_narrowed_item_costs_what_an_unnarrowed_one_does(backend, request):
    app, counter = request.getfixturevalue(backend)
    plain, plain_count = _statements(app, counter, "/book/2", {})
    narrowed, narrowed_count = _statements(app, counter, "/owned/2", {"X-User": "3"})
    hidden, hidden_count = _statements(app, counter, "/owned/2", {"X-User": "1"})
    assert plain.status_code == narrowed.status_code == 200
    assert hidden.status_code == 404
    assert narrowed_count == plain_count == hidden_count


def test_a_narrowed_relation_page_costs_what_an_unnarrowed_one_does(sqlalchemy_app):
    """The count checks the parent (and its read permission) while counting the
    children the identity may read; then the page: two statements, as unnarrowed."""
    app, counter = sqlalchemy_app
    url = "/{}/2/{}?page=2&per_page=10"
    plain, plain_count = _statements(app, counter, url.format("shelf", "books"), {})
    assert plain.status_code == 200, plain.get_json()
    assert plain.headers["X-Total-Count"] == "30"
    owner_2_page_2 = [{"$ref": f"/book/{i}"} for i in range(31, 61, 3)]
    assert plain.get_json() == owner_2_page_2
    assert plain_count == 2
    # children narrowed: the user owns them all, or none
    mine, mine_count = _statements(app, counter, url.format("cabinet", "books"), {"X-User": "2"})
    assert mine.status_code == 200 and mine.headers["X-Total-Count"] == "30"
    assert mine.get_json() == [
        {"$ref": ref["$ref"].replace("book", "owned")} for ref in owner_2_page_2
    ]
    theirs, theirs_count = _statements(app, counter, "/cabinet/2/books", {"X-User": "1"})
    assert theirs.status_code == 200 and theirs.get_json() == []
    assert theirs.headers["X-Total-Count"] == "0"
    # the parent narrowed too: readable by its own user only
    own, own_count = _statements(app, counter, url.format("reader", "books"), {"X-User": "2"})
    assert own.status_code == 200 and own.headers["X-Total-Count"] == "30"
    assert own.get_json() == mine.get_json()
    hidden, hidden_count = _statements(app, counter, url.format("reader", "books"), {"X-User": "1"})
    assert hidden.status_code == 404
    assert hidden.get_json()["item"] == {"$id": 2, "$type": "reader"}
    missing, missing_count = _statements(app, counter, "/reader/99/books", {"X-User": "99"})
    assert missing.status_code == 404
    assert mine_count == own_count == 2
    assert theirs_count <= 2 and hidden_count <= 2 and missing_count <= 2
