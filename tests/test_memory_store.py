"""Resetting the memory store between tests: MemoryManager.reset() and reset_all()."""

from __future__ import annotations

from flask import Flask

from potion import Api, ModelResource, fields
from potion.backends import memory
from potion.backends.memory import MemoryManager


def make_resources():
    class Author(ModelResource):
        class Meta:
            manager = MemoryManager

        class Schema:
            name = fields.String()

    class Book(ModelResource):
        class Meta:
            manager = MemoryManager

        class Schema:
            title = fields.String()

    return Author, Book


def test_reset_empties_one_resource_and_restarts_its_ids():
    author, book = make_resources()
    app = Flask(__name__)
    api = Api(app)
    api.add_resource(author)
    api.add_resource(book)
    client = app.test_client()
    client.post("/author", json={"name": "Ann"})
    client.post("/book", json={"title": "Tea"})
    author.manager.reset()
    assert client.get("/author").json == []
    assert client.get("/book").json == [{"$uri": "/book/1", "title": "Tea"}]
    assert client.post("/author", json={"name": "Bo"}).json["$uri"] == "/author/1"


def test_reset_all_of_an_api_and_of_the_process():
    author, book = make_resources()
    other, _ = make_resources()
    api = Api(Flask(__name__))
    api.add_resource(author)
    api.add_resource(book)
    for manager in (author.manager, book.manager, other.manager):
        manager.create({"name": "x"} if manager is not book.manager else {"title": "x"})
    memory.reset_all(api)
    assert author.manager.items == {} and book.manager.items == {}
    assert list(other.manager.items) == [1]  # not on that Api
    memory.reset_all()
    assert other.manager.items == {}
    assert author.manager.create({"name": "y"})["id"] == 1
