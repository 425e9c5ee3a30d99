"""POTION_ERROR_DETAIL: a plain-word message on every entry of ``errors``; off by
default, when bodies are exactly Flask-Potion's."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from potion import Api, ModelResource, fields
from potion.backends.memory import MemoryManager
from potion.exceptions import DuplicateKey, ValidationError


def make_client(detail):
    app = Flask(__name__)
    app.config.update(TESTING=True, POTION_ERROR_DETAIL=detail)

    class Author(ModelResource):
        class Meta:
            manager = MemoryManager

        class Schema:
            name = fields.String()

    class Book(ModelResource):
        class Meta:
            manager = MemoryManager

        class Schema:
            title = fields.String(min_length=3, max_length=20)
            year = fields.Integer(minimum=1000, maximum=2100, nullable=True)
            rating = fields.Number(nullable=True)
            day = fields.DateString(nullable=True)
            author = fields.ToOne("author")
            tags = fields.Array(fields.String(), unique=True, max_items=3, nullable=True)
            genre = fields.String(enum=["novel", "poetry"], nullable=True)
            venue = fields.Object({"city": fields.String()}, nullable=True)

    api = Api(app)
    api.add_resource(Author)
    api.add_resource(Book)
    client = app.test_client()
    client.post("/author", json={"name": "Ann"})
    return client


@pytest.fixture()
def client():
    return make_client(True)


AUTHOR = {"$ref": "/author/1"}


def messages(response, status=400):
    assert response.status_code == status, response.json
    return [entry["message"] for entry in response.json["errors"]]


def test_an_unexpected_property_is_named(client):
    body = {"title": "Tea", "author": AUTHOR, "extra": 1, "other": 2}
    assert messages(client.post("/book", json=body)) == [
        "'extra', 'other' are not properties of book"
    ]
    assert messages(client.patch("/author/1", json={"nickname": "A"})) == [
        "'nickname' is not a property of author"
    ]


def test_a_missing_property_is_named(client):
    response = client.post("/book", json={"title": "Tea"})
    assert response.json["errors"] == [
        {
            "message": "'author' is required",
            "path": [],
            "validationOf": {"required": ["title", "author"]},
        }
    ]
    assert messages(client.post("/book", json={})) == ["'title', 'author' are required"]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"year": "1999"}, "'year' must be an integer or null, not a string"),
        ({"title": 5}, "'title' must be a string, not an integer"),
        ({"day": "2024-02-30"}, "'day' must be a date such as 2024-05-15"),
        ({"year": 999}, "'year' must be at least 1000"),
        ({"year": 2101}, "'year' must be at most 2100"),
        ({"title": "ab"}, "'title' must be at least 3 characters long"),
        ({"title": "a" * 21}, "'title' must be at most 20 characters long"),
        ({"tags": ["a", "a"]}, "'tags' must not repeat an item"),
        ({"tags": ["a", "b", "c", "d"]}, "'tags' must have at most 3 items"),
        ({"tags": ["a", 1]}, "'tags[1]' must be a string, not an integer"),
        ({"genre": "drama"}, '\'genre\' must be one of: "novel", "poetry", null'),
        ({"author": "Ann"}, "'author' must be an object with '$ref' or an integer"),
        ({"venue": {"city": 1}}, "'venue.city' must be a string, not an integer"),
    ],
)
def test_each_kind_of_value_error_says_what_is_expected(client, changes, message):
    body = {"title": "Tea", "author": AUTHOR, **changes}
    assert messages(client.post("/book", json=body)) == [message]


def test_a_body_that_is_no_object(client):
    assert messages(client.post("/book", json=[1])) == ["book must be an object, not an array"]


def test_a_reference_to_a_missing_item_keeps_its_message(client):
    body = {"title": "Tea", "author": {"$ref": "/author/9"}}
    assert messages(client.post("/book", json=body)) == [
        'author {"$ref": "/author/9"} does not exist'
    ]


def where(client, condition):
    return client.get("/book", query_string={"where": json.dumps(condition)})


def test_where_one_operator_per_condition(client):
    assert messages(where(client, {"year": {"$gt": 1000, "$lt": 2000}})) == [
        "one operator per condition: 'year' has $gt and $lt"
    ]


def test_where_an_unknown_operator_lists_those_accepted(client):
    assert messages(where(client, {"title": {"$like": "Tea%"}})) == [
        "unknown operator '$like' for 'title'; accepted: $eq, $ne, $contains, $icontains, "
        "$startswith, $istartswith, $endswith, $iendswith, $in"
    ]


def test_where_a_bad_operand(client):
    assert messages(where(client, {"year": {"$gt": "x"}})) == [
        "$gt on 'year': the value must be a number, not a string"
    ]
    assert messages(where(client, {"year": "x"})) == [
        "'year': the value must be an integer or null, not a string"
    ]


def test_where_an_unknown_field(client):
    response = where(client, {"titel": "Tea"})
    assert messages(response) == [
        "cannot filter on 'titel'; filterable: $uri, author, day, genre, rating, tags, title, year"
    ]
    assert response.json["message"] == "Cannot filter on titel"


def test_where_that_is_no_object(client):
    assert messages(where(client, [1])) == ["where must be an object"]


def test_sort_messages(client):
    def sort(value):
        return client.get("/book", query_string={"sort": json.dumps(value)})

    assert messages(sort({"titel": False})) == [
        "cannot sort by 'titel'; sortable: $uri, author, day, genre, rating, title, year"
    ]
    assert messages(sort({"title": 1})) == [
        "sort by 'title' takes true (descending) or false (ascending)"
    ]
    assert messages(sort(["title"])) == ['sort must be an object: {"field": false}']


def test_a_page_argument(client):
    assert messages(client.get("/book?page=0")) == ["'page' must be at least 1"]


def test_errors_raised_by_code_get_messages_too():
    app = Flask(__name__)
    app.config["POTION_ERROR_DETAIL"] = True
    with app.app_context():
        body = ValidationError([{"path": ["code"], "validationOf": {"pattern": "^[A-Z]+$"}}])
        assert body.as_dict()["errors"][0]["message"] == "'code' must match the pattern ^[A-Z]+$"
        conflict = DuplicateKey(errors=[{"path": ["isbn"], "validationOf": {"unique": True}}])
        assert conflict.as_dict()["errors"][0]["message"] == (
            "'isbn' must be unique: another item has this value"
        )
        # the errors of the data stores (potion.backends.sqlerrors)
        store = [
            (
                {"path": ["author_id"], "validationOf": {"required": ["author_id"]}},
                "'author_id' is required",
            ),
            (
                {"path": ["author_id"], "validationOf": {"$ref": "author_id"}},
                "'author_id' refers to an item that does not exist",
            ),
            (
                {"path": [], "validationOf": {"unique": ["title"]}, "resource": "book"},
                "another book has the same title",
            ),
            (
                {"path": [], "validationOf": {"not_null": ["isbn"]}, "resource": "book"},
                "'isbn' is required",
            ),
            (
                {"path": [], "validationOf": {"foreign_key": ["author"]}, "resource": "book"},
                "'author' of book refers to an item that does not exist",
            ),
            (
                {"path": [], "validationOf": {"referencedBy": "loan"}},
                "other items still refer to it (from loan)",
            ),
            (
                {"path": [], "validationOf": {"type": "storable"}},
                "the body holds a value the database cannot store",
            ),
        ]
        for entry, message in store:
            assert ValidationError([entry]).as_dict()["errors"][0]["message"] == message
        given = ValidationError([{"path": [], "message": "Mine.", "validationOf": {"x": 1}}])
        assert given.as_dict()["errors"][0]["message"] == "Mine."


def test_off_by_default_the_bodies_are_flask_potions():
    client = make_client(False)
    response = client.post("/book", json={"title": "ab", "extra": 1})
    assert response.status_code == 400
    assert response.json == {
        "errors": [
            {"path": [], "validationOf": {"additionalProperties": False}},
            {"path": ["title"], "validationOf": {"minLength": 3}},
            {"path": [], "validationOf": {"required": ["title", "author"]}},
        ],
        "message": "Bad Request",
        "status": 400,
    }
    response = where(client, {"title": {"$like": "Tea%"}})
    assert response.status_code == 400
    [entry] = response.json["errors"]
    assert set(entry) == {"path", "validationOf"}
    assert entry["path"] == ["where", "title"]
    response = client.get("/book", query_string={"sort": json.dumps({"titel": False})})
    assert response.json == {
        "errors": [{"path": ["sort"], "validationOf": {"additionalProperties": False}}],
        "message": "Cannot sort by 'titel'",
        "status": 400,
    }


def test_debug_mode_without_the_setting_keeps_the_library_messages():
    client = make_client(False)
    client.application.debug = True
    response = client.post("/book", json={"title": "Tea", "author": AUTHOR, "extra": 1})
    [entry] = response.json["errors"]
    assert entry["message"] == "Additional properties are not allowed ('extra' was unexpected)"
