"""Smaller Flask-Potion behaviours (issue #12, items 4 and 6), through ``flask_potion``."""

from __future__ import annotations

import pytest
from flask import Flask

from flask_potion import Api, ModelResource, fields
from flask_potion.contrib.memory import MemoryManager
from flask_potion.exceptions import ValidationError
from flask_potion.natural_keys import PropertyKey
from flask_potion.routes import Relation


def test_two_key_converters_of_one_type():
    with pytest.raises(RuntimeError) as info:

        class User(ModelResource):
            class Meta:
                manager = MemoryManager
                key_converters = (PropertyKey("name"), PropertyKey("email"))

            class Schema:
                name = fields.String()
                email = fields.String()

    assert str(info.value) == "Multiple keys of type string defined for user"


def test_validation_error_paths_are_tuples_in_as_dict():
    error = ValidationError([{"path": ["a", 0], "validationOf": {"type": "string"}}])
    body = error.as_dict()
    assert body["errors"] == [{"path": ("a", 0), "validationOf": {"type": "string"}}]
    assert error.errors[0]["path"] == ["a", 0]  # the error itself is unchanged
    with Flask(__name__).app_context():
        response = error.get_response()
    assert response.get_json()["errors"][0]["path"] == ["a", 0]


def make_library():
    class Book(ModelResource):
        class Meta:
            manager = MemoryManager

        class Schema:
            title = fields.String()

    class Shelf(ModelResource):
        books = Relation("book")

        class Meta:
            manager = MemoryManager

        class Schema:
            name = fields.String()
            books = fields.ToMany("book", nullable=True)

    app = Flask(__name__)
    api = Api(app)
    api.add_resource(Book)
    api.add_resource(Shelf)
    return app, Book, Shelf


def test_memory_store_drops_deleted_items_from_relation_lists():
    app, Book, Shelf = make_library()
    client = app.test_client()
    for title in ("a", "b", "c"):
        assert client.post("/book", json={"title": title}).status_code == 200
    shelf = client.post("/shelf", json={"name": "s", "books": [1, 2]}).get_json()
    assert shelf["books"] == [{"$ref": "/book/1"}, {"$ref": "/book/2"}]
    assert client.post("/shelf/1/books", json=3).status_code == 200
    assert client.delete("/book/2").status_code == 204
    assert client.get("/shelf/1/books").get_json() == [{"$ref": "/book/1"}, {"$ref": "/book/3"}]
    assert client.get("/shelf/1").get_json()["books"] == [
        {"$ref": "/book/1"},
        {"$ref": "/book/3"},
    ]
    assert [b["id"] for b in Shelf.manager.items[1]["books"]] == [1, 3]


def test_memory_delete_rolled_back_restores_relation_lists():
    from flask_potion import signals

    app, Book, Shelf = make_library()
    client = app.test_client()
    client.post("/book", json={"title": "a"})
    client.post("/shelf", json={"name": "s", "books": [1]})

    def refuse(sender, item):
        raise RuntimeError("no")

    signals.after_delete.connect(refuse, sender=Book)
    try:
        app.config["PROPAGATE_EXCEPTIONS"] = False
        assert client.delete("/book/1").status_code == 500
    finally:
        signals.after_delete.disconnect(refuse, sender=Book)
    assert client.get("/shelf/1").get_json()["books"] == [{"$ref": "/book/1"}]
    assert client.get("/book/1").status_code == 200


def test_patch_with_empty_object_answers_the_item():
    app, Book, Shelf = make_library()
    client = app.test_client()
    client.post("/book", json={"title": "a"})
    response = client.patch("/book/1", json={})
    assert (response.status_code, response.get_json()) == (200, {"$uri": "/book/1", "title": "a"})


def test_callable_defaults_are_called_each_time():
    calls = []

    def next_number():
        calls.append(1)
        return len(calls)

    class Entry(ModelResource):
        class Meta:
            manager = MemoryManager

        class Schema:
            tags = fields.Array(fields.String())
            number = fields.Integer(default=next_number)
            label = fields.String(default="x")

    app = Flask(__name__)
    Api(app).add_resource(Entry)
    client = app.test_client()
    first = client.post("/entry", json={}).get_json()
    second = client.post("/entry", json={}).get_json()
    assert first["tags"] == [] and second["tags"] == []
    assert Entry.manager.items[1]["tags"] is not Entry.manager.items[2]["tags"]
    assert second["number"] == first["number"] + 1
    # the schema publishes the evaluated default
    properties = client.get("/entry/schema").get_json()["properties"]
    assert properties["tags"]["default"] == []
    assert properties["label"]["default"] == "x"
    assert properties["number"]["default"] > second["number"]
    # a field's default read for output is called too
    assert Entry.schema.fields["tags"].output("tags", {}) == []
    assert Entry.schema.fields["tags"].output("tags", {}) is not Entry.schema.fields["tags"].output(
        "tags", {}
    )
