"""The ``where`` and ``sort`` query language on the memory backend: every operator,
references, null values, several sort keys, and the errors of bad queries."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from potion import Api, ModelResource, fields
from potion.backends.memory import MemoryManager


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def library(app, client):
    api = Api(app, default_manager=MemoryManager)

    class Author(ModelResource):
        class Meta:
            name = "author"
            natural_key = ("first", "last")

        class Schema:
            first = fields.String()
            last = fields.String()

    class Book(ModelResource):
        class Meta:
            name = "book"

        class Schema:
            title = fields.String()
            year = fields.Integer(nullable=True)
            rating = fields.Number(nullable=True)
            available = fields.Boolean(nullable=True)
            tags = fields.Array(fields.String)
            published = fields.Date(nullable=True)
            released = fields.DateString(nullable=True)
            stamp = fields.DateTime(nullable=True)
            author = fields.ToOne("author", nullable=True)
            editors = fields.ToMany("author")

    api.add_resource(Author)
    api.add_resource(Book)
    for first, last in (("Charles", "Darwin"), ("Ada", "Lovelace"), ("Mary", "Shelley")):
        assert client.post("/author", json={"first": first, "last": last}).status_code == 200
    books = [
        # title, year, rating, available, tags, published (ms), released, author, editors
        ("Origin", 1859, 4.5, True, ["science", "biology"], -3489004800000, "1859-11-24", 1, [2]),
        ("Notes", 1843, 4.0, False, ["math"], -4008096000000, "1843-10-01", 2, [1, 3]),
        ("Frankenstein", 1818, 3.5, True, ["novel", "horror"], -4791225600000, "1818-01-01", 3, []),
        ("Descent", 1871, None, None, [], None, None, 1, []),
        ("untitled draft", None, 2.0, False, ["draft"], 0, "1970-01-01", None, [3]),
    ]
    for title, year, rating, available, tags, published, released, author, editors in books:
        body = {
            "title": title,
            "year": year,
            "rating": rating,
            "available": available,
            "tags": tags,
            "published": None if published is None else {"$date": published},
            "released": released,
            "stamp": None if published is None else {"$date": published + 1500},
            "author": author,
            "editors": editors,
        }
        response = client.post("/book", json=body)
        assert response.status_code == 200, response.json
    return Author, Book


def titles(client, where=None, sort=None, **params):
    query = dict(params)
    if where is not None:
        query["where"] = where if isinstance(where, str) else json.dumps(where)
    if sort is not None:
        query["sort"] = sort if isinstance(sort, str) else json.dumps(sort)
    response = client.get("/book", query_string=query)
    assert response.status_code == 200, response.json
    return [item["title"] for item in response.json]


def error(client, where=None, sort=None):
    query = {}
    if where is not None:
        query["where"] = where if isinstance(where, str) else json.dumps(where)
    if sort is not None:
        query["sort"] = sort if isinstance(sort, str) else json.dumps(sort)
    response = client.get("/book", query_string=query)
    assert response.status_code == 400, response.json
    assert response.json["status"] == 400
    return response.json


ALL = ["Origin", "Notes", "Frankenstein", "Descent", "untitled draft"]


@pytest.mark.parametrize(
    "where, expected",
    [
        # equality, bare and explicit
        ({"title": "Origin"}, ["Origin"]),
        ({"title": {"$eq": "Origin"}}, ["Origin"]),
        ({"year": 1859}, ["Origin"]),
        ({"year": None}, ["untitled draft"]),
        ({"available": False}, ["Notes", "untitled draft"]),
        ({"rating": 4.0}, ["Notes"]),
        ({"rating": 4}, ["Notes"]),
        ({"published": {"$date": 0}}, ["untitled draft"]),
        ({"released": "1843-10-01"}, ["Notes"]),
        # $ne
        ({"title": {"$ne": "Origin"}}, ["Notes", "Frankenstein", "Descent", "untitled draft"]),
        ({"year": {"$ne": None}}, ["Origin", "Notes", "Frankenstein", "Descent"]),
        ({"available": {"$ne": True}}, ["Notes", "Descent", "untitled draft"]),
        # comparisons; null values never match
        ({"year": {"$lt": 1843}}, ["Frankenstein"]),
        ({"year": {"$lte": 1843}}, ["Notes", "Frankenstein"]),
        ({"year": {"$gt": 1859}}, ["Descent"]),
        ({"year": {"$gte": 1859}}, ["Origin", "Descent"]),
        ({"rating": {"$gt": 3.9}}, ["Origin", "Notes"]),
        ({"rating": {"$lt": 3}}, ["untitled draft"]),
        ({"published": {"$lt": {"$date": -4000000000000}}}, ["Notes", "Frankenstein"]),
        ({"published": {"$gte": {"$date": 0}}}, ["untitled draft"]),
        ({"released": {"$gt": "1850-01-01"}}, ["Origin", "untitled draft"]),
        ({"stamp": {"$lte": {"$date": -4791225600000}}}, []),
        ({"stamp": {"$lte": {"$date": -4791225598500}}}, ["Frankenstein"]),
        # $in
        ({"title": {"$in": ["Origin", "Notes", "Nope"]}}, ["Origin", "Notes"]),
        ({"title": {"$in": []}}, []),
        ({"year": {"$in": [1818, 1871]}}, ["Frankenstein", "Descent"]),
        ({"year": {"$in": [None]}}, ["untitled draft"]),
        ({"available": {"$in": [True]}}, ["Origin", "Frankenstein"]),
        ({"released": {"$in": ["1818-01-01"]}}, ["Frankenstein"]),
        # strings
        ({"title": {"$contains": "o"}}, ["Notes"]),
        ({"title": {"$contains": "RIG"}}, []),
        ({"title": {"$icontains": "O"}}, ["Origin", "Notes"]),
        ({"title": {"$icontains": "RIG"}}, ["Origin"]),
        ({"title": {"$startswith": "untitled"}}, ["untitled draft"]),
        ({"title": {"$startswith": "Untitled"}}, []),
        ({"title": {"$istartswith": "UNTITLED"}}, ["untitled draft"]),
        ({"title": {"$endswith": "in"}}, ["Origin", "Frankenstein"]),
        ({"title": {"$endswith": "IN"}}, []),
        ({"title": {"$iendswith": "IN"}}, ["Origin", "Frankenstein"]),
        # arrays and to-many
        ({"tags": {"$contains": "math"}}, ["Notes"]),
        ({"tags": {"$contains": "nothing"}}, []),
        ({"editors": {"$contains": 3}}, ["Notes", "untitled draft"]),
        ({"editors": {"$contains": {"$ref": "/author/1"}}}, ["Notes"]),
        ({"editors": {"$contains": ["Ada", "Lovelace"]}}, ["Origin"]),
        # $between is inclusive
        (
            {"published": {"$between": [{"$date": -4008096000000}, {"$date": -3489004800000}]}},
            ["Origin", "Notes"],
        ),
        ({"released": {"$between": ["1800-01-01", "1843-10-01"]}}, ["Notes", "Frankenstein"]),
        (
            {"stamp": {"$between": [{"$date": -3489004800000}, {"$date": 10000}]}},
            ["Origin", "untitled draft"],
        ),
        # several conditions are ANDed
        ({"available": True, "year": {"$gt": 1830}}, ["Origin"]),
        ({"title": {"$icontains": "n"}, "rating": {"$gte": 4}}, ["Origin", "Notes"]),
    ],
)
def test_where_operators(library, client, where, expected):
    assert titles(client, where) == expected


@pytest.mark.parametrize(
    "where, expected",
    [
        ({"author": {"$ref": "/author/1"}}, ["Origin", "Descent"]),
        ({"author": 1}, ["Origin", "Descent"]),
        ({"author": ["Mary", "Shelley"]}, ["Frankenstein"]),
        ({"author": {"$eq": 2}}, ["Notes"]),
        ({"author": None}, ["untitled draft"]),
        ({"author": {"$ne": 1}}, ["Notes", "Frankenstein", "untitled draft"]),
        ({"author": {"$in": [2, {"$ref": "/author/3"}]}}, ["Notes", "Frankenstein"]),
        ({"author": {"$in": [["Ada", "Lovelace"], 99]}}, ["Notes"]),
        # a reference to an item that does not exist matches nothing
        ({"author": 99}, []),
        ({"author": {"$ref": "/author/99"}}, []),
        ({"author": ["No", "Body"]}, []),
        ({"author": {"$in": [99]}}, []),
    ],
)
def test_where_on_references(library, client, where, expected):
    assert titles(client, where) == expected


def test_where_on_uri(library, client):
    assert titles(client, {"$uri": "/book/2"}) == ["Notes"]
    assert titles(client, {"$uri": {"$in": ["/book/1", "/book/3"]}}) == ["Origin", "Frankenstein"]
    assert titles(client, {"$uri": {"$ne": "/book/1"}}) == ALL[1:]


def test_no_where_lists_everything_in_insertion_order(library, client):
    assert titles(client) == ALL
    assert titles(client, {}) == ALL
    assert titles(client, "") == ALL


@pytest.mark.parametrize(
    "sort, expected",
    [
        ({"title": False}, ["Descent", "Frankenstein", "Notes", "Origin", "untitled draft"]),
        ({"title": True}, ["untitled draft", "Origin", "Notes", "Frankenstein", "Descent"]),
        # null values sort first ascending, last descending
        ({"year": False}, ["untitled draft", "Frankenstein", "Notes", "Origin", "Descent"]),
        ({"year": True}, ["Descent", "Origin", "Notes", "Frankenstein", "untitled draft"]),
        ({"rating": True}, ["Origin", "Notes", "Frankenstein", "untitled draft", "Descent"]),
        # the first key has priority, the next breaks ties
        (
            {"available": True, "title": False},
            ["Frankenstein", "Origin", "Notes", "untitled draft", "Descent"],
        ),
        (
            {"available": True, "title": True},
            ["Origin", "Frankenstein", "untitled draft", "Notes", "Descent"],
        ),
        (
            {"author": False, "year": True},
            ["untitled draft", "Descent", "Origin", "Notes", "Frankenstein"],
        ),
        ({"published": False}, ["Descent", "Frankenstein", "Notes", "Origin", "untitled draft"]),
        ({"$uri": True}, list(reversed(ALL))),
    ],
)
def test_sort(library, client, sort, expected):
    assert titles(client, sort=sort) == expected


def test_sort_and_where_together(library, client):
    where = {"year": {"$ne": None}}
    assert titles(client, where, {"year": True}) == ["Descent", "Origin", "Notes", "Frankenstein"]


def test_sort_attribute_is_the_default_order(app, client):
    api = Api(app, default_manager=MemoryManager)

    class Item(ModelResource):
        class Meta:
            sort_attribute = ("rank", True)

        class Schema:
            rank = fields.Integer()

    api.add_resource(Item)
    for rank in (2, 3, 1):
        client.post("/item", json={"rank": rank})
    assert [i["rank"] for i in client.get("/item").json] == [3, 2, 1]
    assert [i["rank"] for i in client.get('/item?sort={"rank": false}').json] == [1, 2, 3]


# -- errors -------------------------------------------------------------------------


def test_invalid_json_in_where_and_sort(library, client):
    body = error(client, where="{title")
    assert body["parameter"] == "where"
    assert body["message"].startswith("The 'where' parameter is not valid JSON")
    body = error(client, sort="[unclosed")
    assert body["parameter"] == "sort"
    assert body["message"].startswith("The 'sort' parameter is not valid JSON")


def test_where_and_sort_must_be_objects(library, client):
    assert error(client, where="[1]")["errors"] == [
        {"path": ["where"], "validationOf": {"type": "object"}}
    ]
    assert error(client, sort='["title"]')["errors"] == [
        {"path": ["sort"], "validationOf": {"type": "object"}}
    ]
    assert error(client, sort={"title": "yes"})["errors"] == [
        {"path": ["sort", "title"], "validationOf": {"type": "boolean"}}
    ]


def test_unknown_fields(library, client):
    body = error(client, where={"nope": 1})
    assert body["errors"] == [{"path": ["where"], "validationOf": {"additionalProperties": False}}]
    assert body["message"] == "Cannot filter on nope"
    body = error(client, sort={"nope": True})
    assert body["errors"] == [{"path": ["sort"], "validationOf": {"additionalProperties": False}}]
    # arrays are filterable but not sortable
    assert error(client, sort={"tags": False})["message"] == "Cannot sort by 'tags'"


def test_bad_operator_or_operand(library, client):
    for where in (
        {"title": {"$gt": 1}},
        {"title": {"$foo": "x"}},
        {"title": 5},
        {"year": {"$contains": 1}},
        {"year": {"$lt": "x"}},
        {"title": {"$startswith": ""}},
        {"title": {"$in": ["a", "a"]}},
        {"published": {"$between": [{"$date": 0}]}},
    ):
        body = error(client, where=where)
        [entry] = body["errors"]
        key = next(iter(where))
        assert entry["path"] == ["where", key], where
        assert list(entry["validationOf"]) == ["anyOf"]
    # validationOf lists every accepted condition of the field
    body = error(client, where={"available": {"$gt": 1}})
    boolean = {"type": ["boolean", "null"]}
    assert body["errors"][0]["validationOf"] == {
        "anyOf": [
            boolean,
            {
                "type": "object",
                "properties": {"$eq": boolean},
                "required": ["$eq"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {"$ne": boolean},
                "required": ["$ne"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {
                    "$in": {"type": "array", "items": boolean, "minItems": 0, "uniqueItems": True}
                },
                "required": ["$in"],
                "additionalProperties": False,
            },
        ]
    }


def test_comparisons_on_null_values_never_fail(library, client):
    for op in ("$lt", "$lte", "$gt", "$gte"):
        response = client.get("/book", query_string={"where": json.dumps({"rating": {op: 3}})})
        assert response.status_code == 200
    for op in ("$contains", "$icontains", "$startswith", "$istartswith", "$endswith", "$iendswith"):
        response = client.get("/book", query_string={"where": json.dumps({"title": {op: "x"}})})
        assert response.status_code == 200


def test_meta_filters_restrict_fields_and_operators(app, client):
    api = Api(app, default_manager=MemoryManager)

    class Item(ModelResource):
        class Meta:
            filters = {"name": ["eq", "startswith"], "*": False, "rank": True}

        class Schema:
            name = fields.String()
            rank = fields.Integer()
            secret = fields.String()

    api.add_resource(Item)
    client.post("/item", json={"name": "ab", "rank": 1, "secret": "s"})
    assert Item.manager.filters.keys() == {"name", "rank"}
    assert set(Item.manager.filters["name"]) == {"eq", "startswith"}
    assert client.get('/item?where={"name": {"$startswith": "a"}}').json[0]["name"] == "ab"
    response = client.get('/item?where={"name": {"$endswith": "b"}}')
    assert response.status_code == 400
    response = client.get('/item?where={"secret": "s"}')
    assert response.status_code == 400
    assert response.json["errors"] == [
        {"path": ["where"], "validationOf": {"additionalProperties": False}}
    ]
    assert client.get('/item?where={"rank": {"$gte": 1}}').status_code == 200
    # fields that cannot be filtered cannot be sorted either
    assert client.get('/item?sort={"secret": true}').status_code == 400


def test_filters_disabled(app, client):
    api = Api(app, default_manager=MemoryManager)

    class Item(ModelResource):
        class Meta:
            filters = False

        class Schema:
            name = fields.String()

    api.add_resource(Item)
    assert Item.manager.filters == {}
    assert client.get('/item?where={"name": "x"}').status_code == 400
