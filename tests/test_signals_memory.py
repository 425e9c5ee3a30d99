"""Signals on the memory backend: all ten are sent with their keyword arguments, inside
the write, and an exception in a receiver rolls the write back."""

from __future__ import annotations

import contextlib

import pytest
from blinker import ANY
from flask import Flask

from potion import Api, ModelResource, Relation, fields, signals
from potion.backends.memory import MemoryManager
from potion.exceptions import Forbidden

ALL_SIGNALS = [
    "before_create",
    "after_create",
    "before_update",
    "after_update",
    "before_delete",
    "after_delete",
    "before_add_to_relation",
    "after_add_to_relation",
    "before_remove_from_relation",
    "after_remove_from_relation",
]

INTERNAL_ERROR = {
    "message": "The server could not complete the request because of an internal error.",
    "status": 500,
}


@pytest.fixture
def app():
    app = Flask(__name__)
    api = Api(app, default_manager=MemoryManager)

    class Book(ModelResource):
        class Meta:
            name = "book"

        class Schema:
            title = fields.String()
            year = fields.Integer(nullable=True)

    class Author(ModelResource):
        books = Relation("book")

        class Meta:
            name = "author"

        class Schema:
            name = fields.String()

    api.add_resource(Book)
    api.add_resource(Author)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def book(app):
    return app.extensions["potion"][0].resources["book"]


@pytest.fixture
def author(app):
    return app.extensions["potion"][0].resources["author"]


@contextlib.contextmanager
def recording(sender=ANY):
    """Record every signal as ``(name, sender, kwargs)``, with a snapshot of the item."""
    events = []
    receivers = []
    for name in ALL_SIGNALS:

        def receiver(sender, _name=name, **kwargs):
            snapshot = dict(kwargs)
            snapshot["item"] = dict(kwargs["item"])
            events.append((_name, sender, snapshot))

        receivers.append(receiver)
        getattr(signals, name).connect(receiver, sender=sender)
    try:
        yield events
    finally:
        for name, receiver in zip(ALL_SIGNALS, receivers, strict=True):
            getattr(signals, name).disconnect(receiver)


def failing(exception):
    def receiver(sender, **kwargs):
        raise exception

    return receiver


def test_signal_names():
    assert [getattr(signals, name).name for name in ALL_SIGNALS] == [
        "before-create",
        "after-create",
        "before-update",
        "after-update",
        "before-delete",
        "after-delete",
        "before-add-to-relation",
        "after-add-to-relation",
        "before-remove-from-relation",
        "after-remove-from-relation",
    ]
    assert sorted(signals.__all__) == sorted(ALL_SIGNALS)


def test_create_signals(client, book):
    with recording() as events:
        response = client.post("/book", json={"title": "T"})
    assert response.status_code == 200
    assert events == [
        ("before_create", book, {"item": {"title": "T"}}),
        ("after_create", book, {"item": {"title": "T", "id": 1}}),
    ]


def test_update_signals_carry_only_real_changes(client, book):
    client.post("/book", json={"title": "T", "year": 1900})
    with recording() as events:
        client.patch("/book/1", json={"title": "T", "year": 2000})
        client.patch("/book/1", json={"title": "T"})
    item = {"id": 1, "title": "T", "year": 1900}
    changed = {"id": 1, "title": "T", "year": 2000}
    assert events == [
        ("before_update", book, {"item": item, "changes": {"year": 2000}}),
        ("after_update", book, {"item": changed, "changes": {"year": 2000}}),
        # a PATCH that changes nothing still sends both, with no changes
        ("before_update", book, {"item": changed, "changes": {}}),
        ("after_update", book, {"item": changed, "changes": {}}),
    ]


def test_delete_signals(client, book):
    client.post("/book", json={"title": "T"})
    with recording() as events:
        assert client.delete("/book/1").status_code == 204
    item = {"id": 1, "title": "T"}
    assert events == [
        ("before_delete", book, {"item": item}),
        ("after_delete", book, {"item": item}),
    ]


def test_relation_signals(client, book, author):
    client.post("/book", json={"title": "T"})
    client.post("/author", json={"name": "A"})
    stored_book = book.manager.items[1]
    with recording() as events:
        client.post("/author/1/books", json=1)
        client.delete("/author/1/books/1")
        # removing a child that is not in the relation sends no "after" signal
        client.delete("/author/1/books/1")
    assert [(name, sender) for name, sender, _ in events] == [
        ("before_add_to_relation", author),
        ("after_add_to_relation", author),
        ("before_remove_from_relation", author),
        ("after_remove_from_relation", author),
        ("before_remove_from_relation", author),
    ]
    for _name, _sender, kwargs in events:
        assert kwargs["attribute"] == "books"
        assert kwargs["child"] is stored_book
    assert events[0][2]["item"] == {"id": 1, "name": "A"}
    assert events[1][2]["item"] == {"id": 1, "name": "A", "books": [stored_book]}
    assert events[3][2]["item"] == {"id": 1, "name": "A", "books": []}


def test_receivers_can_listen_to_one_resource(client, book, author):
    with recording(sender=book) as events:
        client.post("/author", json={"name": "A"})
        client.post("/book", json={"title": "T"})
    assert [name for name, _, _ in events] == ["before_create", "after_create"]
    assert {sender for _, sender, _ in events} == {book}


def test_before_create_may_change_the_item(client, book):
    def stamp(sender, item):
        item["year"] = 1999

    with signals.before_create.connected_to(stamp, sender=book):
        response = client.post("/book", json={"title": "T"})
    assert response.json["year"] == 1999
    assert book.manager.items[1]["year"] == 1999


@pytest.mark.parametrize("name", ["before_create", "after_create"])
def test_failing_create_receiver_stores_nothing(client, book, name):
    with getattr(signals, name).connected_to(failing(RuntimeError("no")), sender=book):
        response = client.post("/book", json={"title": "T"})
    assert response.status_code == 500
    assert response.json == INTERNAL_ERROR
    assert book.manager.items == {}
    assert client.get("/book").json == []
    # the next create works and the list holds only it
    response = client.post("/book", json={"title": "U"})
    assert response.status_code == 200
    assert [b["title"] for b in client.get("/book").json] == ["U"]


@pytest.mark.parametrize("name", ["before_update", "after_update"])
def test_failing_update_receiver_changes_nothing(client, book, name):
    client.post("/book", json={"title": "T", "year": 1})
    with getattr(signals, name).connected_to(failing(Forbidden()), sender=book):
        response = client.patch("/book/1", json={"title": "Changed", "year": 2})
    # a Potion error raised by a receiver reaches the client as it is
    assert response.status_code == 403
    assert response.json["status"] == 403
    assert book.manager.items[1] == {"id": 1, "title": "T", "year": 1}
    assert client.get("/book/1").json == {"$uri": "/book/1", "title": "T", "year": 1}


@pytest.mark.parametrize("name", ["before_delete", "after_delete"])
def test_failing_delete_receiver_keeps_the_item(client, book, name):
    client.post("/book", json={"title": "T"})
    client.post("/book", json={"title": "U"})
    with getattr(signals, name).connected_to(failing(RuntimeError("no")), sender=book):
        response = client.delete("/book/1")
    assert response.status_code == 500
    assert response.json == INTERNAL_ERROR
    assert client.get("/book/1").status_code == 200
    # the order of the list is kept
    assert [b["title"] for b in client.get("/book").json] == ["T", "U"]


@pytest.mark.parametrize("name", ["before_add_to_relation", "after_add_to_relation"])
def test_failing_relation_add_receiver(client, author, name):
    client.post("/book", json={"title": "T"})
    client.post("/author", json={"name": "A"})
    with getattr(signals, name).connected_to(failing(RuntimeError("no")), sender=author):
        response = client.post("/author/1/books", json=1)
    assert response.status_code == 500
    assert response.json == INTERNAL_ERROR
    assert client.get("/author/1/books").json == []


@pytest.mark.parametrize("name", ["before_remove_from_relation", "after_remove_from_relation"])
def test_failing_relation_remove_receiver(client, author, name):
    client.post("/book", json={"title": "T"})
    client.post("/author", json={"name": "A"})
    client.post("/author/1/books", json=1)
    with getattr(signals, name).connected_to(failing(RuntimeError("no")), sender=author):
        response = client.delete("/author/1/books/1")
    assert response.status_code == 500
    assert response.json == INTERNAL_ERROR
    assert client.get("/author/1/books").json == [{"$ref": "/book/1"}]
