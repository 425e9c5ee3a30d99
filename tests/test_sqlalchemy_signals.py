"""Signals on SQLAlchemy: what each one receives, that all run inside the write's
transaction, and that an exception in any handler rolls the write back (checked in the
database afterwards), on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import contextlib

import pytest

from potion import ModelResource, Relation, fields, signals
from potion.exceptions import Forbidden

from . import sqla_env

database = sqla_env.database  # the fixtures this module uses
sqla = sqla_env.sqla


@pytest.fixture
def lib(sqla):
    db = sqla.db

    book_tag = db.Table(
        "book_tag",
        db.Column("book_id", db.Integer, db.ForeignKey("book.id"), primary_key=True),
        db.Column("tag_id", db.Integer, db.ForeignKey("tag.id"), primary_key=True),
    )

    class Author(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False)

    class Tag(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False)

    class Book(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(100), nullable=False)
        rating = db.Column(db.Integer, nullable=False, default=5)
        author_id = db.Column(db.Integer, db.ForeignKey(Author.id), nullable=True)
        author = db.relationship(Author, backref="books")
        tags = db.relationship(Tag, secondary=book_tag)

    class Log(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        text = db.Column(db.String(100), nullable=False)

    class AuthorResource(ModelResource):
        books = Relation("book")

        class Meta:
            model = Author

    class TagResource(ModelResource):
        class Meta:
            model = Tag

    class BookResource(ModelResource):
        tags = Relation("tag")

        class Meta:
            model = Book

        class Schema:
            author = fields.ToOne("author", nullable=True)

    for resource in (AuthorResource, TagResource, BookResource):
        sqla.api.add_resource(resource)
    sqla.create_all()
    sqla.add(Author(name="Ann"), Author(name="Bob"), Tag(name="red"), Tag(name="blue"))
    sqla.add(Book(title="One", author_id=1), Book(title="Two", author_id=1))
    sqla.Book, sqla.Log = Book, Log
    sqla.BookResource, sqla.AuthorResource = BookResource, AuthorResource
    return sqla


@contextlib.contextmanager
def receiving(signal, sender, receiver):
    with signal.connected_to(receiver, sender=sender):
        yield


def fail(*args, **kwargs):
    raise RuntimeError("the handler failed")


# -- create ----------------------------------------------------------------------------


def test_create_signals_run_inside_the_transaction(lib):
    seen = []

    def before(sender, item):
        assert sender is lib.BookResource
        seen.append(("before", item.id, item.title, lib.count("book")))
        item.title = item.title.upper()  # a handler may change the item

    def after(sender, item):
        # the row is flushed (the id is known) but not committed: invisible to others
        seen.append(("after", item.id, item.title, lib.count("book")))

    with receiving(signals.before_create, lib.BookResource, before):
        with receiving(signals.after_create, lib.BookResource, after):
            response = lib.post("/book", {"title": "three"})
    assert response.status_code == 200
    assert response.json["title"] == "THREE"
    assert seen == [("before", None, "three", 2), ("after", 3, "THREE", 2)]
    assert lib.rows("select id, title from book where id = 3") == [(3, "THREE")]


@pytest.mark.parametrize("signal", [signals.before_create, signals.after_create])
def test_an_error_in_a_create_handler_rolls_back(lib, signal):
    with receiving(signal, lib.BookResource, fail):
        response = lib.post("/book", {"title": "Three"})
    assert response.status_code == 500
    assert response.json == {
        "message": "The server could not complete the request because of an internal error.",
        "status": 500,
    }
    assert lib.count("book") == 2
    # the application goes on working
    assert lib.post("/book", {"title": "Three"}).status_code == 200
    assert lib.count("book") == 3


def test_a_potion_error_in_a_handler_is_the_answer(lib):
    def refuse(sender, item):
        raise Forbidden()

    with receiving(signals.after_create, lib.BookResource, refuse):
        response = lib.post("/book", {"title": "Three"})
    assert response.status_code == 403
    assert lib.count("book") == 2


def test_work_done_by_handlers_commits_and_rolls_back_with_the_write(lib):
    def audit(sender, item):
        lib.db.session.add(lib.Log(text=f"created {item.id}"))

    with receiving(signals.after_create, lib.BookResource, audit):
        assert lib.post("/book", {"title": "Three"}).status_code == 200
        assert lib.rows("select text from log") == [("created 3",)]
        with receiving(signals.after_create, lib.BookResource, fail):
            assert lib.post("/book", {"title": "Four"}).status_code == 500
    assert lib.rows("select text from log") == [("created 3",)]
    assert lib.rows("select title from book order by id") == [("One",), ("Two",), ("Three",)]


# -- update ----------------------------------------------------------------------------


def test_update_signals_receive_only_the_real_changes(lib):
    seen = []

    def before(sender, item, changes):
        seen.append(("before", item.title, dict(changes)))

    def after(sender, item, changes):
        seen.append(
            ("after", item.title, dict(changes), lib.scalar("select title from book where id = 1"))
        )

    with receiving(signals.before_update, lib.BookResource, before):
        with receiving(signals.after_update, lib.BookResource, after):
            response = lib.patch("/book/1", {"title": "Uno", "rating": 5})
            assert response.status_code == 200
            assert lib.patch("/book/1", {}).status_code == 200
    assert seen == [
        ("before", "One", {"title": "Uno"}),
        ("after", "Uno", {"title": "Uno"}, "One"),  # not yet committed
        ("before", "Uno", {}),
        ("after", "Uno", {}, "Uno"),
    ]
    assert lib.rows("select title, rating from book where id = 1") == [("Uno", 5)]


@pytest.mark.parametrize("signal", [signals.before_update, signals.after_update])
def test_an_error_in_an_update_handler_rolls_back(lib, signal):
    with receiving(signal, lib.BookResource, fail):
        response = lib.patch("/book/1", {"title": "Uno", "rating": 1, "author": 2})
    assert response.status_code == 500
    assert lib.rows("select title, rating, author_id from book where id = 1") == [("One", 5, 1)]
    assert lib.get("/book/1").json["title"] == "One"


# -- delete ----------------------------------------------------------------------------


def test_delete_signals(lib):
    seen = []

    def before(sender, item):
        seen.append(("before", item.id, lib.count("book")))

    def after(sender, item):
        seen.append(("after", item.id, lib.count("book")))

    with receiving(signals.before_delete, lib.BookResource, before):
        with receiving(signals.after_delete, lib.BookResource, after):
            assert lib.delete("/book/2").status_code == 204
    assert seen == [("before", 2, 2), ("after", 2, 2)]
    assert lib.rows("select id from book") == [(1,)]


@pytest.mark.parametrize("signal", [signals.before_delete, signals.after_delete])
def test_an_error_in_a_delete_handler_rolls_back(lib, signal):
    with receiving(signal, lib.BookResource, fail):
        assert lib.delete("/book/2").status_code == 500
    assert lib.rows("select id from book order by id") == [(1,), (2,)]
    assert lib.get("/book/2").status_code == 200


# -- relations -------------------------------------------------------------------------


def test_relation_signals(lib):
    seen = []

    def record(name):
        def receiver(sender, item, attribute, child):
            seen.append((name, type(item).__name__, item.id, attribute, child.id))

        return receiver

    receivers = [
        (signals.before_add_to_relation, record("before_add")),
        (signals.after_add_to_relation, record("after_add")),
        (signals.before_remove_from_relation, record("before_remove")),
        (signals.after_remove_from_relation, record("after_remove")),
    ]
    with contextlib.ExitStack() as stack:
        for signal, receiver in receivers:
            stack.enter_context(receiving(signal, lib.BookResource, receiver))
            stack.enter_context(receiving(signal, lib.AuthorResource, receiver))
        assert lib.post("/book/1/tags", 2).status_code == 200
        assert lib.delete("/book/1/tags/2").status_code == 204
        assert lib.delete("/book/1/tags/1").status_code == 204  # not in the collection
        assert lib.post("/author/2/books", 1).status_code == 200
        assert lib.delete("/author/2/books/1").status_code == 204
    assert seen == [
        ("before_add", "Book", 1, "tags", 2),
        ("after_add", "Book", 1, "tags", 2),
        ("before_remove", "Book", 1, "tags", 2),
        ("after_remove", "Book", 1, "tags", 2),
        ("before_remove", "Book", 1, "tags", 1),
        ("before_add", "Author", 2, "books", 1),
        ("after_add", "Author", 2, "books", 1),
        ("before_remove", "Author", 2, "books", 1),
        ("after_remove", "Author", 2, "books", 1),
    ]


def test_relation_signals_run_before_the_commit(lib):
    seen = []

    def after_add(sender, item, attribute, child):
        seen.append(lib.rows("select book_id, tag_id from book_tag"))

    with receiving(signals.after_add_to_relation, lib.BookResource, after_add):
        assert lib.post("/book/1/tags", 2).status_code == 200
    assert seen == [[]]
    assert lib.rows("select book_id, tag_id from book_tag") == [(1, 2)]


@pytest.mark.parametrize("signal", [signals.before_add_to_relation, signals.after_add_to_relation])
def test_an_error_in_a_relation_add_handler_rolls_back(lib, signal):
    with receiving(signal, lib.BookResource, fail):
        assert lib.post("/book/1/tags", 2).status_code == 500
    with receiving(signal, lib.AuthorResource, fail):
        assert lib.post("/author/2/books", 1).status_code == 500
    assert lib.rows("select book_id, tag_id from book_tag") == []
    assert lib.rows("select id, author_id from book order by id") == [(1, 1), (2, 1)]


@pytest.mark.parametrize(
    "signal", [signals.before_remove_from_relation, signals.after_remove_from_relation]
)
def test_an_error_in_a_relation_remove_handler_rolls_back(lib, signal):
    assert lib.post("/book/1/tags", 2).status_code == 200
    with receiving(signal, lib.BookResource, fail):
        assert lib.delete("/book/1/tags/2").status_code == 500
    with receiving(signal, lib.AuthorResource, fail):
        assert lib.delete("/author/1/books/2").status_code == 500
    assert lib.rows("select book_id, tag_id from book_tag") == [(1, 2)]
    assert lib.rows("select id, author_id from book order by id") == [(1, 1), (2, 1)]


def test_signals_are_not_sent_for_another_resource(lib):
    seen = []

    def receiver(sender, item):
        seen.append(sender)

    with receiving(signals.before_create, lib.AuthorResource, receiver):
        assert lib.post("/book", {"title": "x"}).status_code == 200
        assert lib.post("/author", {"name": "Cid"}).status_code == 200
    assert seen == [lib.AuthorResource]
