"""Creates and updates of one plain item are written by one Core statement instead of
the unit of work, and nothing can tell: every test runs with the row writer on and
off and expects the same answers, rows, statements and items seen by receivers.
Whatever a flush would show to a listener (session, mapper and instance events),
a server-side default and a relationship change keep the unit of work.  On SQLite,
PostgreSQL and MariaDB."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from potion import ModelResource, fields, signals
from potion.backends.sqlalchemy.rows import RowWriter

from . import sqla_env

database = sqla_env.database  # the fixtures this module uses
sqla = sqla_env.sqla

_serials = itertools.count(1)


@pytest.fixture(params=["rows", "flush"])
def writer(request, monkeypatch):
    """Which way writes go ("flush": the row writer refuses every write), and the
    answers the row writer gave."""
    answers: list[tuple[str, bool]] = []
    insert, update = RowWriter.insert, RowWriter.update

    def spy(name, method):
        def call(self, session, item):
            answer = request.param == "rows" and method(self, session, item)
            answers.append((name, answer))
            return answer

        return call

    monkeypatch.setattr(RowWriter, "insert", spy("insert", insert))
    monkeypatch.setattr(RowWriter, "update", spy("update", update))
    return request.param, answers


@pytest.fixture
def library(sqla):
    db = sqla.db

    class Author(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False)

    class Book(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(100), nullable=False, unique=True)
        rating = db.Column(db.Float, nullable=False, default=2.5)
        serial = db.Column(db.Integer, default=lambda: next(_serials))
        note = db.Column(db.String(20))
        edited = db.Column(db.Integer, nullable=False, default=0, onupdate=lambda: 1)
        author_id = db.Column(db.Integer, db.ForeignKey(Author.id), nullable=False)
        author = db.relationship(Author, backref="books")

    class Review(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        book_id = db.Column(db.Integer, db.ForeignKey(Book.id), nullable=False)
        book = db.relationship(Book, backref="reviews")

    class AuthorResource(ModelResource):
        class Meta:
            model = Author

    class BookResource(ModelResource):
        class Meta:
            model = Book
            exclude_fields = ["serial", "edited"]

        class Schema:
            author = fields.ToOne("author")

    sqla.api.add_resource(AuthorResource)
    sqla.api.add_resource(BookResource)
    sqla.create_all()
    sqla.add(Author(name="Ann"), Author(name="Bo"))
    return Author, Book, Review, BookResource


def _connected(signal, resource, receiver):
    signal.connect(receiver, sender=resource)
    return lambda: signal.disconnect(receiver, sender=resource)


def _verbs(statements):
    return [statement.split(None, 1)[0].upper() for statement in statements]


def test_a_create_leaves_the_item_as_a_flush_does(sqla, library, writer):
    way, answers = writer
    _author, book_model, _review, resource = library
    seen = []

    def after(sender, item):
        state = sa.inspect(item)
        session = sqla.db.session
        with sqla.count_statements() as during:
            seen.append(
                {
                    "persistent": state.persistent,
                    "modified": state.modified,
                    "pending": bool(session.new or session.dirty or session.deleted),
                    "values": (item.id, item.title, item.rating, item.note, item.edited),
                    "serial": item.serial is not None,
                    "author": item.author.name,
                    "in the map": session.get(book_model, item.id) is item,
                }
            )
        seen.append(_verbs(during))
        with sqla.count_statements() as loading:
            reviews = item.reviews  # a relationship not set: loaded as usual, once
        seen.append((reviews, _verbs(loading)))

    disconnect = _connected(signals.after_create, resource, after)
    try:
        with sqla.count_statements() as statements:
            response = sqla.post("/book", json={"title": "T", "author": {"$ref": "/author/2"}})
    finally:
        disconnect()
    assert response.status_code == 200, response.json
    assert response.json == {
        "$uri": "/book/1",
        "title": "T",
        "rating": 2.5,
        "note": None,
        "author": {"$ref": "/author/2"},
    }
    assert seen == [
        {
            "persistent": True,
            "modified": False,
            "pending": False,
            "values": (1, "T", 2.5, None, 0),
            "serial": True,
            "author": "Bo",
            "in the map": True,
        },
        [],  # the values the INSERT computed are on the item: no statement
        ([], ["SELECT"]),
    ]
    assert _verbs(statements).count("INSERT") == 1
    rows = sqla.rows("select id, title, rating, note, edited, author_id from book")
    assert rows == [(1, "T", 2.5, None, 0, 2)]
    assert answers == [("insert", way == "rows")]


def test_an_update_writes_what_changed_and_leaves_the_item_clean(sqla, library, writer):
    way, answers = writer
    author, book_model, _review, resource = library
    sqla.add(book_model(title="T", rating=1.0, author_id=1))
    seen = []

    def after(sender, item, changes):
        state = sa.inspect(item)
        with sqla.count_statements() as during:
            seen.append(
                (changes, item.rating, item.edited, state.modified, bool(sqla.db.session.dirty))
            )
        seen.append(_verbs(during))

    disconnect = _connected(signals.after_update, resource, after)
    try:
        with sqla.count_statements() as statements:
            response = sqla.patch("/book/1", json={"rating": 4.5})
        assert response.status_code == 200, response.json
        assert response.json["rating"] == 4.5
        assert _verbs(statements).count("UPDATE") == 1
        # the same value: no UPDATE at all, as from a flush
        with sqla.count_statements() as statements:
            response = sqla.patch("/book/1", json={"rating": 4.5})
        assert response.status_code == 200, response.json
        assert "UPDATE" not in _verbs(statements)
    finally:
        disconnect()
    assert seen == [
        ({"rating": 4.5}, 4.5, 1, False, False),  # onupdate's value on the item
        [],
        ({}, 4.5, 1, False, False),
        [],
    ]
    assert sqla.rows("select rating, edited from book") == [(4.5, 1)]
    assert answers == [("update", way == "rows"), ("update", way == "rows")]


def test_a_unique_violation_is_the_same_409_and_changes_nothing(sqla, library, writer):
    _author, book_model, _review, _resource = library
    sqla.add(book_model(title="T", author_id=1), book_model(title="U", author_id=1))
    response = sqla.post("/book", json={"title": "T", "author": {"$ref": "/author/1"}})
    assert response.status_code == 409, response.json
    assert response.json["errors"] == [{"path": ["title"], "validationOf": {"unique": True}}]
    response = sqla.patch("/book/2", json={"title": "T"})
    assert response.status_code == 409, response.json
    assert sqla.rows("select id, title from book order by id") == [(1, "T"), (2, "U")]


def test_an_update_of_a_row_gone_meanwhile_is_404_and_changes_nothing(sqla, library, writer):
    _author, book_model, _review, resource = library
    sqla.add(book_model(title="T", author_id=1))

    def before(sender, item, changes):  # another request deletes the row first
        sqla.db.session.execute(sa.text("delete from book"))

    disconnect = _connected(signals.before_update, resource, before)
    try:
        response = sqla.patch("/book/1", json={"rating": 4.0})
    finally:
        disconnect()
    assert response.status_code == 404, response.json
    assert sqla.rows("select id, rating from book") == [(1, 2.5)]


def test_listeners_of_a_flush_keep_the_unit_of_work(sqla, library, writer):
    way, answers = writer
    _author, book_model, _review, _resource = library
    heard = []

    def listener(*args):
        heard.append(True)

    for target, event in (
        (book_model, "before_insert"),
        (sqla.db.session, "before_flush"),
        (book_model, "refresh_flush"),
    ):
        sa.event.listen(target, event, listener)
        try:
            response = sqla.post(
                "/book", json={"title": f"by {event}", "author": {"$ref": "/author/1"}}
            )
        finally:
            sa.event.remove(target, event, listener)
        assert response.status_code == 200, response.json
    assert heard[:2] == [True, True]
    assert answers == [("insert", False)] * 3
    assert sqla.count("book") == 3


def test_a_session_with_other_changes_flushes_them_all(sqla, library, writer):
    way, answers = writer
    author, _book, _review, resource = library

    def before(sender, item):
        sqla.db.session.add(author(name="Added by a receiver"))

    disconnect = _connected(signals.before_create, resource, before)
    try:
        response = sqla.post("/book", json={"title": "T", "author": {"$ref": "/author/1"}})
    finally:
        disconnect()
    assert response.status_code == 200, response.json
    assert answers == [("insert", False)]
    assert sqla.rows("select name from author where id = 3") == [("Added by a receiver",)]


def test_a_relationship_change_keeps_the_unit_of_work(sqla, library, writer):
    way, answers = writer
    author, book_model, _review, resource = library
    sqla.add(book_model(title="T", author_id=1))

    def before(sender, item, changes):
        item.author = sqla.db.session.get(author, 2)

    disconnect = _connected(signals.before_update, resource, before)
    try:
        response = sqla.patch("/book/1", json={"rating": 1.0})
    finally:
        disconnect()
    assert response.status_code == 200, response.json
    assert response.json["author"] == {"$ref": "/author/2"}
    assert answers == [("update", False)]
    assert sqla.rows("select rating, author_id from book") == [(1.0, 2)]


@pytest.mark.parametrize(
    "computed",
    [
        {"server_default": sa.func.now()},
        {"default": sa.func.now()},
        {"default": sa.func.now(), "onupdate": sa.func.now()},
    ],
    ids=["server_default", "sql default", "sql onupdate"],
)
def test_values_the_database_computes_keep_the_unit_of_work(sqla, writer, computed):
    way, answers = writer
    db = sqla.db

    class Stamp(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(20), nullable=False)
        created = db.Column(db.DateTime, nullable=False, **computed)

    class StampResource(ModelResource):
        class Meta:
            model = Stamp

    sqla.api.add_resource(StampResource)
    sqla.create_all()
    response = sqla.post("/stamp", json={"name": "a"})
    assert response.status_code == 200, response.json
    assert response.json["created"] is not None  # what the database filled in
    response = sqla.patch("/stamp/1", json={"name": "b"})
    assert response.status_code == 200, response.json
    assert sqla.rows("select name from stamp") == [("b",)]
    assert answers == [("insert", False), ("update", False)]


def test_a_rolled_back_savepoint_forgets_the_writes_in_it(sqla, library, writer):
    way, answers = writer
    author_model, book_model, _review, resource = library
    sqla.add(book_model(title="T", rating=1.0, author_id=1))
    with sqla.app.test_request_context():
        session = sqla.db.session
        book = session.get(book_model, 1)
        author = session.get(author_model, 1)
        savepoint = session.begin_nested()
        created = resource.manager.create({"title": "New", "author": author}, commit=False)
        resource.manager.update(book, {"rating": 4.0}, commit=False)
        assert (created.id, book.rating) == (2, 4.0)
        savepoint.rollback()
        assert sa.inspect(created).transient  # expunged, as a flushed new item
        assert book.rating == 1.0  # expired, and read again
        resource.manager.create({"title": "New", "author": author}, commit=False)
        session.commit()
    assert sqla.rows("select title, rating from book order by title") == [("New", 2.5), ("T", 1.0)]
    assert answers == [("insert", way == "rows"), ("update", way == "rows")] + [
        ("insert", way == "rows")
    ]


def test_attributes_named_apart_from_their_columns_are_written_to_their_columns(sqla, writer):
    """An attribute's key, its column's name and the column's own ``key=`` may all
    differ: the statement binds each value to its column, defaults and the
    generated id come back to the attribute."""
    way, answers = writer
    db = sqla.db

    class Shelf(db.Model):
        __tablename__ = "shelf"
        ident = db.Column("shelf_id", db.Integer, primary_key=True, key="pk")
        label = db.Column("shelf_label", db.String(40), nullable=False, key="label_col")
        width = db.Column("w", db.Integer, nullable=False, default=80)
        touched = db.Column("t", db.Integer, nullable=False, default=0, onupdate=lambda: 7)

    class ShelfResource(ModelResource):
        class Meta:
            model = Shelf
            exclude_fields = ["touched"]

    sqla.api.add_resource(ShelfResource)
    sqla.create_all()
    response = sqla.post("/shelf", json={"label": "oak"})
    assert response.status_code == 200, response.json
    assert response.json == {"$uri": "/shelf/1", "label": "oak", "width": 80}
    response = sqla.post("/shelf", json={"label": "pine", "width": 60})
    assert response.status_code == 200, response.json
    assert response.json == {"$uri": "/shelf/2", "label": "pine", "width": 60}
    response = sqla.patch("/shelf/2", json={"label": "birch"})
    assert response.status_code == 200, response.json
    assert response.json == {"$uri": "/shelf/2", "label": "birch", "width": 60}
    response = sqla.get("/shelf/2")
    assert response.status_code == 200, response.json
    assert response.json == {"$uri": "/shelf/2", "label": "birch", "width": 60}
    response = sqla.get("/shelf", query_string={"sort": '{"label": true}'})
    assert response.status_code == 200, response.json
    assert [item["label"] for item in response.json] == ["oak", "birch"]
    assert sqla.rows("select shelf_id, shelf_label, w, t from shelf order by shelf_id") == [
        (1, "oak", 80, 0),
        (2, "birch", 60, 7),
    ]
    assert answers == [("insert", way == "rows"), ("insert", way == "rows")] + [
        ("update", way == "rows")
    ]
