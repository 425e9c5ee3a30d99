"""The MongoEngine backend, over HTTP.

These tests run on mongomock unless ``POTION_TEST_MONGODB_URL`` names a MongoDB
server (see ``tests/mongo_env.py``); each test has a database of its own.
"""

from __future__ import annotations

import datetime
import enum
import json
import subprocess
import sys
from typing import Any

import mongoengine as me
import pytest
from blinker import ANY
from bson import ObjectId
from flask import Flask

from potion import (
    Api,
    ItemAttributeRoute,
    ItemRoute,
    ModelResource,
    Relation,
    exceptions,
    fields,
    signals,
)
from potion.backends.mongoengine import MongoEngineManager
from potion.filters import parse_sort, parse_where
from tests.mongo_env import count_operations, fresh_database

# -- documents -------------------------------------------------------------------


class MeAuthor(me.Document):
    meta = {
        "collection": "author",
        "indexes": [{"fields": ["first_name", "last_name"], "unique": True}],
    }
    first_name = me.StringField(required=True, max_length=40)
    last_name = me.StringField(required=True, max_length=40)


class MeAddress(me.EmbeddedDocument):
    city = me.StringField(required=True)
    zip_code = me.StringField(max_length=10, null=True)


class Kind(enum.Enum):
    NOVEL = "novel"
    ESSAY = "essay"


def _even(value: int) -> None:
    if value % 2:
        raise me.ValidationError("must be even")


class MeBook(me.Document):
    meta = {"collection": "book"}
    title = me.StringField(required=True, unique=True, max_length=100)
    author = me.ReferenceField(MeAuthor, required=True)
    year = me.IntField(min_value=1400, null=True)
    rating = me.FloatField(default=5.0)
    price = me.DecimalField(null=True)
    available = me.BooleanField(default=True)
    published = me.DateField(null=True)
    updated = me.DateTimeField(null=True)
    tags = me.ListField(me.StringField())
    isbn = me.StringField(regex=r"[0-9]{3}-[0-9]+", null=True)
    genre = me.StringField(choices=("novel", "essay", "poetry"), null=True)
    contact = me.EmailField(null=True)
    homepage = me.URLField(null=True)
    ref_uuid = me.UUIDField(binary=False, null=True)
    pages = me.IntField(validation=_even, null=True)
    extra = me.DictField()
    origin = me.EmbeddedDocumentField(MeAddress, null=True)
    kind = me.EnumField(Kind, null=True)


class MeShelf(me.Document):
    meta = {"collection": "shelf"}
    name = me.StringField(required=True, unique=True, max_length=60)
    books = me.ListField(me.ReferenceField(MeBook))


class MeTopic(me.Document):
    meta = {"collection": "topic"}
    slug = me.StringField(required=True, unique=True)
    name = me.StringField(null=True)


class MeLabel(me.Document):
    meta = {"collection": "label"}
    text = me.StringField(required=True)
    shelf = me.ReferenceField(MeShelf, reverse_delete_rule=me.DENY)
    topic = me.ReferenceField(MeTopic)


class MeCode(me.Document):
    meta = {"collection": "code"}
    slug = me.StringField(primary_key=True)
    label = me.StringField(null=True)


class MeEditor(me.Document):
    meta = {"collection": "editor"}
    name = me.StringField(required=True)


class MeIssue(me.Document):
    """References with every delete rule that changes the referring document.

    The rules run in the order of the fields: NULLIFY and PULL before CASCADE.
    """

    meta = {"collection": "issue"}
    title = me.StringField(required=True)
    proofreader = me.ReferenceField(MeEditor, reverse_delete_rule=me.NULLIFY)
    reviewers = me.ListField(me.ReferenceField(MeEditor, reverse_delete_rule=me.PULL))
    editor = me.ReferenceField(MeEditor, reverse_delete_rule=me.CASCADE)


class MeNote(me.Document):
    meta = {"collection": "note"}
    text = me.StringField(required=True)
    issue = me.ReferenceField(MeIssue, reverse_delete_rule=me.CASCADE)


class MeStamp(me.Document):
    meta = {"collection": "stamp"}
    note = me.ReferenceField(MeNote, reverse_delete_rule=me.DENY)


DOCUMENTS = (MeAuthor, MeBook, MeShelf, MeTopic, MeLabel, MeCode)

# -- fixtures --------------------------------------------------------------------


@pytest.fixture
def db() -> Any:
    with fresh_database() as database:
        for document in DOCUMENTS:
            document.ensure_indexes()
        yield database


def _resources() -> dict[str, Any]:
    class AuthorResource(ModelResource):
        books = Relation("book")

        class Meta:
            model = MeAuthor
            manager = MongoEngineManager
            natural_key = ("first_name", "last_name")

    class BookResource(ModelResource):
        class Meta:
            model = MeBook
            manager = MongoEngineManager

        class Schema:  # references are fields when declared, as in Flask-Potion
            author = fields.ToOne("author")

    class ShelfResource(ModelResource):
        books = Relation("book")

        class Meta:
            model = MeShelf
            manager = MongoEngineManager
            natural_key = "name"

        class Schema:
            books = fields.ToMany("book")

    class LabelResource(ModelResource):
        class Meta:
            model = MeLabel
            manager = MongoEngineManager

        class Schema:
            shelf = fields.ToOne("shelf", nullable=True)
            topic = fields.ToOne("topic", nullable=True)

    class CodeResource(ModelResource):
        class Meta:
            model = MeCode
            manager = MongoEngineManager
            include_id = True

    class TopicResource(ModelResource):
        class Meta:
            model = MeTopic
            manager = MongoEngineManager
            id_attribute = "slug"

    return {
        "topic": TopicResource,
        "author": AuthorResource,
        "book": BookResource,
        "shelf": ShelfResource,
        "label": LabelResource,
        "code": CodeResource,
    }


@pytest.fixture
def resources(db: Any) -> dict[str, Any]:
    return _resources()


@pytest.fixture
def app(resources: dict[str, Any]) -> Flask:
    app = Flask(__name__)
    app.config["TESTING"] = True
    api = Api(app)
    for resource in resources.values():
        api.add_resource(resource)
    return app


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


# -- helpers ---------------------------------------------------------------------


def dump(db: Any) -> dict[str, list[dict[str, Any]]]:
    """Every stored document of every collection, as the store has it."""
    return {
        name: list(db[name].find().sort("_id", 1))
        for name in sorted(db.list_collection_names())
        if not name.startswith("system.")
    }


def id_of(body: dict[str, Any]) -> str:
    return body["$uri"].rsplit("/", 1)[1]


def titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["title"] for item in response.get_json()]


def where(client: Any, condition: dict[str, Any], **extra: Any) -> Any:
    query = {"where": json.dumps(condition), **extra}
    return client.get("/book", query_string=query)


BOOKS = [
    # title, year, rating, available, published, tags, genre, author index
    ("Origin of Species", 1859, 4.5, True, datetime.date(1859, 11, 24), ["biology"], "essay", 0),
    ("Descent of Man", 1871, 3.5, False, None, ["biology", "man"], "essay", 0),
    ("The Malay Archipelago", 1869, 4.0, True, None, ["travel"], None, 1),
    ("Island Life", 1880, 2.5, True, datetime.date(1880, 1, 1), [], "novel", 1),
    ("100% Pure_Science (2nd ed.)", None, 3.0, False, None, ["a.c"], None, 0),
]


def _ms(day: datetime.date | None) -> Any:
    if day is None:
        return None
    return {"$date": (day - datetime.date(1970, 1, 1)).days * 86400000}


def seed(client: Any) -> dict[str, Any]:
    authors = []
    for first, last in (("Charles", "Darwin"), ("Alfred", "Wallace")):
        response = client.post("/author", json={"first_name": first, "last_name": last})
        assert response.status_code == 200, response.get_json()
        authors.append(id_of(response.get_json()))
    books = {}
    for title, year, rating, available, published, tags, genre, author in BOOKS:
        body = {
            "title": title,
            "year": year,
            "rating": rating,
            "available": available,
            "published": _ms(published),
            "tags": tags,
            "genre": genre,
            "author": {"$ref": f"/author/{authors[author]}"},
        }
        response = client.post("/book", json=body)
        assert response.status_code == 200, response.get_json()
        books[title] = id_of(response.get_json())
    return {"authors": authors, "books": books}


# -- schema ----------------------------------------------------------------------


def test_fields_are_inferred_from_the_document(client: Any) -> None:
    schema = client.get("/book/schema").get_json()
    properties = schema["properties"]
    assert "id" not in properties and "$uri" in properties
    assert properties["title"] == {"type": "string", "maxLength": 100}
    assert properties["author"] == {
        "type": "object",
        "properties": {"$ref": {"type": "string", "pattern": "^/author\\/[^/]+$"}},
        "additionalProperties": False,
    }
    assert properties["year"] == {"type": ["integer", "null"], "minimum": 1400}
    # nullable exactly when the model field says null=True
    assert properties["rating"] == {"type": "number", "default": 5.0}
    assert properties["price"] == {"type": ["number", "null"]}
    assert properties["available"] == {"type": "boolean", "default": True}
    assert properties["published"]["type"] == ["object", "null"]
    assert properties["published"]["properties"] == {"$date": {"type": "integer"}}
    assert properties["updated"]["type"] == ["object", "null"]
    assert properties["tags"] == {"type": "array", "items": {"type": "string"}, "default": []}
    assert properties["isbn"] == {"type": ["string", "null"], "pattern": "^(?:[0-9]{3}-[0-9]+)"}
    assert properties["genre"] == {
        "type": ["string", "null"],
        "enum": ["novel", "essay", "poetry", None],
    }
    assert properties["contact"] == {"type": ["string", "null"], "format": "email"}
    assert properties["homepage"] == {"type": ["string", "null"], "format": "uri"}
    assert properties["ref_uuid"]["minLength"] == 36
    assert properties["extra"] == {"type": "object", "default": {}}
    assert properties["origin"] == {
        "type": ["object", "null"],
        "properties": {
            "city": {"type": "string"},
            "zip_code": {"type": ["string", "null"], "maxLength": 10},
        },
        "additionalProperties": False,
    }
    assert properties["kind"] == {"type": ["string", "null"], "enum": ["novel", "essay", None]}
    create = next(link for link in schema["links"] if link["rel"] == "create")
    assert create["schema"] == {"$ref": "#"}
    assert client.get("/shelf/schema").get_json()["properties"]["books"] == {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"$ref": {"type": "string", "pattern": "^/book\\/[^/]+$"}},
            "additionalProperties": False,
        },
        "default": [],
    }


def test_required_fields_and_id_converter(resources: dict[str, Any], app: Flask) -> None:
    book = resources["book"]
    assert book.schema.create["required"] == ["author", "title"]
    assert book.meta.id_converter == "string"
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert "/book/<string:id>" in rules
    assert resources["code"].manager.id_field.json_type == "string"


# -- CRUD ------------------------------------------------------------------------


def test_create_read_update_delete(client: Any, db: Any) -> None:
    ids = seed(client)
    darwin = ids["authors"][0]
    response = client.post(
        "/book",
        json={
            "title": "Voyage of the Beagle",
            "year": 1839,
            "author": darwin,
            "published": {"$date": 0},
            "updated": {"$date": 1234567890123},
            "origin": {"city": "London", "zip_code": "N1"},
            "extra": {"a": [1, 2]},
            "kind": "essay",
            "ref_uuid": "123e4567-e89b-12d3-a456-426614174000",
            "price": 12.5,
        },
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    book_id = id_of(body)
    assert response.headers["Location"] == f"/book/{book_id}"
    expected = {
        "$uri": f"/book/{book_id}",
        "title": "Voyage of the Beagle",
        "author": {"$ref": f"/author/{darwin}"},
        "year": 1839,
        "rating": 5.0,
        "price": 12.5,
        "available": True,
        "published": {"$date": 0},
        "updated": {"$date": 1234567890123},
        "tags": [],
        "isbn": None,
        "genre": None,
        "contact": None,
        "homepage": None,
        "ref_uuid": "123e4567-e89b-12d3-a456-426614174000",
        "pages": None,
        "extra": {"a": [1, 2]},
        "origin": {"city": "London", "zip_code": "N1"},
        "kind": "essay",
    }
    assert body == expected
    stored = db.book.find_one({"_id": ObjectId(book_id)})
    assert stored["author"] == ObjectId(darwin)
    assert stored["published"] == datetime.datetime(1970, 1, 1)
    assert stored["origin"] == {"city": "London", "zip_code": "N1"}
    assert stored["kind"] == "essay"

    response = client.get(f"/book/{book_id}")
    assert response.status_code == 200
    assert response.get_json() == expected

    response = client.patch(f"/book/{book_id}", json={"rating": 4.0, "year": None, "tags": ["x"]})
    assert response.status_code == 200
    assert response.get_json() == dict(expected, rating=4.0, year=None, tags=["x"])
    stored = db.book.find_one({"_id": ObjectId(book_id)})
    assert stored["rating"] == 4.0 and "year" not in stored and stored["tags"] == ["x"]

    response = client.delete(f"/book/{book_id}")
    assert response.status_code == 204
    assert response.data == b""
    assert db.book.find_one({"_id": ObjectId(book_id)}) is None
    assert client.get(f"/book/{book_id}").status_code == 404
    assert client.delete(f"/book/{book_id}").status_code == 404
    assert client.patch(f"/book/{book_id}", json={"year": 1500}).status_code == 404


def test_non_object_id_primary_key(client: Any, db: Any) -> None:
    assert client.get("/code/schema").get_json()["properties"]["$id"] == {
        "type": "string",
        "readOnly": True,
    }
    MeCode(slug="abc", label="first").save()
    response = client.get("/code/abc")
    assert response.status_code == 200
    assert response.get_json() == {"$id": "abc", "label": "first"}
    assert client.get("/code/nope").status_code == 404
    response = client.get("/code", query_string={"where": json.dumps({"$id": "abc"})})
    assert [item["$id"] for item in response.get_json()] == ["abc"]


def test_id_attribute_other_than_the_primary_key(client: Any, db: Any) -> None:
    response = client.post("/topic", json={"slug": "evolution", "name": "Evolution"})
    assert response.status_code == 200
    assert response.get_json() == {
        "$uri": "/topic/evolution",
        "slug": "evolution",
        "name": "Evolution",
    }
    client.post("/topic", json={"slug": "travel"})
    assert client.get("/topic/evolution").get_json()["name"] == "Evolution"
    assert client.get("/topic/nope").status_code == 404
    response = client.post("/label", json={"text": "a", "topic": {"$ref": "/topic/evolution"}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["topic"] == {"$ref": "/topic/evolution"}
    client.post("/label", json={"text": "b", "topic": "travel"})
    topic = db.topic.find_one({"slug": "evolution"})
    assert db.label.find_one({"text": "a"})["topic"] == topic["_id"]
    assert client.get("/label").get_json()[0]["topic"] == {"$ref": "/topic/evolution"}

    def texts(condition: dict[str, Any]) -> list[str]:
        response = client.get("/label", query_string={"where": json.dumps(condition)})
        return [label["text"] for label in response.get_json()]

    assert texts({"topic": "evolution"}) == ["a"]
    assert texts({"topic": {"$ref": "/topic/travel"}}) == ["b"]
    assert texts({"topic": {"$in": ["travel", "evolution", "nope"]}}) == ["a", "b"]
    assert texts({"topic": {"$ne": "evolution"}}) == ["b"]
    assert texts({"topic": "nope"}) == []


def test_contrib_alias() -> None:
    from flask_potion.contrib.mongoengine import MongoEngineManager as Alias

    assert Alias is MongoEngineManager


def test_import_potion_does_not_import_mongoengine() -> None:
    code = "import sys, potion, flask_potion; assert 'mongoengine' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# -- filters ---------------------------------------------------------------------

FILTER_CASES = [
    ({"title": "Island Life"}, ["Island Life"]),
    ({"title": {"$eq": "Island Life"}}, ["Island Life"]),
    ({"title": {"$ne": "Island Life"}}, [b[0] for b in BOOKS if b[0] != "Island Life"]),
    ({"year": {"$lt": 1869}}, ["Origin of Species"]),
    ({"year": {"$lte": 1869}}, ["Origin of Species", "The Malay Archipelago"]),
    ({"year": {"$gt": 1871}}, ["Island Life"]),
    ({"year": {"$gte": 1871}}, ["Descent of Man", "Island Life"]),
    ({"year": None}, ["100% Pure_Science (2nd ed.)"]),
    ({"year": {"$in": [1859, 1880, 2000]}}, ["Origin of Species", "Island Life"]),
    ({"year": {"$in": []}}, []),
    ({"rating": {"$gte": 4.0}}, ["Origin of Species", "The Malay Archipelago"]),
    ({"rating": {"$lt": 3}}, ["Island Life"]),
    ({"available": False}, ["Descent of Man", "100% Pure_Science (2nd ed.)"]),
    ({"available": {"$ne": False}}, ["Origin of Species", "The Malay Archipelago", "Island Life"]),
    ({"title": {"$contains": "of"}}, ["Origin of Species", "Descent of Man"]),
    ({"title": {"$contains": "% Pure_"}}, ["100% Pure_Science (2nd ed.)"]),
    ({"title": {"$contains": "(2nd"}}, ["100% Pure_Science (2nd ed.)"]),
    ({"title": {"$contains": "."}}, ["100% Pure_Science (2nd ed.)"]),
    ({"title": {"$contains": "ORIGIN"}}, []),
    ({"title": {"$icontains": "ORIGIN"}}, ["Origin of Species"]),
    ({"title": {"$icontains": "(2ND ED.)"}}, ["100% Pure_Science (2nd ed.)"]),
    ({"title": {"$startswith": "The"}}, ["The Malay Archipelago"]),
    ({"title": {"$startswith": "the"}}, []),
    ({"title": {"$istartswith": "the"}}, ["The Malay Archipelago"]),
    ({"title": {"$endswith": "Life"}}, ["Island Life"]),
    ({"title": {"$endswith": "life"}}, []),
    ({"title": {"$iendswith": "LIFE"}}, ["Island Life"]),
    ({"title": {"$endswith": "ed.)"}}, ["100% Pure_Science (2nd ed.)"]),
    ({"title": {"$in": ["Island Life", "Nope"]}}, ["Island Life"]),
    ({"genre": "essay"}, ["Origin of Species", "Descent of Man"]),
    ({"genre": None}, ["The Malay Archipelago", "100% Pure_Science (2nd ed.)"]),
    ({"tags": {"$contains": "biology"}}, ["Origin of Species", "Descent of Man"]),
    ({"tags": {"$contains": "a.c"}}, ["100% Pure_Science (2nd ed.)"]),
    ({"tags": {"$contains": "abc"}}, []),
    ({"published": {"$lt": {"$date": 0}}}, ["Origin of Species", "Island Life"]),
    ({"published": _ms(datetime.date(1880, 1, 1))}, ["Island Life"]),
    ({"published": {"$gt": _ms(datetime.date(1860, 1, 1))}}, ["Island Life"]),
    (
        {
            "published": {
                "$between": [_ms(datetime.date(1859, 1, 1)), _ms(datetime.date(1859, 12, 31))]
            }
        },
        ["Origin of Species"],
    ),
    (
        {"published": {"$in": [_ms(datetime.date(1880, 1, 1)), _ms(datetime.date(1900, 1, 1))]}},
        ["Island Life"],
    ),
    ({"year": {"$gt": 1860}, "available": True}, ["The Malay Archipelago", "Island Life"]),
    ({"author": ["Alfred", "Wallace"]}, ["The Malay Archipelago", "Island Life"]),
    ({"author": ["No", "Body"]}, []),
    ({"author": {"$ref": "/author/not-an-id"}}, []),
    ({"author": {"$ref": "/author/000000000000000000000000"}}, []),
    ({"author": {"$ne": ["No", "Body"]}}, [b[0] for b in BOOKS]),
    (
        {"author": {"$in": [["No", "Body"], ["Alfred", "Wallace"]]}},
        ["The Malay Archipelago", "Island Life"],
    ),
    ({"$uri": "/book/not-an-id"}, []),
    ({"$uri": {"$in": ["/book/zzz"]}}, []),
]


@pytest.mark.parametrize(("condition", "expected"), FILTER_CASES, ids=lambda v: json.dumps(v))
def test_where(client: Any, condition: dict[str, Any], expected: list[str]) -> None:
    seed(client)
    assert titles(where(client, condition)) == expected


def test_where_on_references_by_ref_and_id(client: Any) -> None:
    ids = seed(client)
    darwin, wallace = ids["authors"]
    darwin_books = ["Origin of Species", "Descent of Man", "100% Pure_Science (2nd ed.)"]
    assert titles(where(client, {"author": {"$ref": f"/author/{darwin}"}})) == darwin_books
    assert titles(where(client, {"author": darwin})) == darwin_books
    assert titles(where(client, {"author": {"$ne": darwin}})) == [
        "The Malay Archipelago",
        "Island Life",
    ]
    assert len(titles(where(client, {"author": {"$in": [darwin, wallace]}}))) == 5
    island = ids["books"]["Island Life"]
    assert titles(where(client, {"$uri": f"/book/{island}"})) == ["Island Life"]
    assert titles(where(client, {"$uri": {"$ne": f"/book/{island}"}})) == [
        b[0] for b in BOOKS if b[0] != "Island Life"
    ]


def test_where_on_datetimes(client: Any) -> None:
    ids = seed(client)
    stamps = {"Origin of Species": 1000, "Island Life": 5000, "Descent of Man": 9000}
    for title, ms in stamps.items():
        client.patch(f"/book/{ids['books'][title]}", json={"updated": {"$date": ms}})
    assert titles(where(client, {"updated": {"$date": 5000}})) == ["Island Life"]
    assert titles(where(client, {"updated": {"$gt": {"$date": 1000}}})) == [
        "Descent of Man",
        "Island Life",
    ]
    between = {"$between": [{"$date": 1000}, {"$date": 5000}]}
    assert titles(where(client, {"updated": between})) == ["Origin of Species", "Island Life"]


def test_where_becomes_one_mongodb_query(resources: dict[str, Any], app: Flask) -> None:
    manager = resources["book"].manager
    conditions = parse_where(
        json.dumps(
            {
                "title": {"$istartswith": "a.b"},
                "year": {"$gte": 1500},
                "published": {"$between": [{"$date": 0}, {"$date": 86400000}]},
                "author": {"$ref": "/author/0123456789abcdef01234567"},
                "tags": {"$contains": "x"},
            }
        ),
        manager.filters,
    )
    assert manager.query(conditions) == {
        "title": {"$regex": "^a\\.b", "$options": "i"},
        "year": {"$gte": 1500},
        "published": {
            "$gte": datetime.datetime(1970, 1, 1),
            "$lte": datetime.datetime(1970, 1, 2),
        },
        "author": ObjectId("0123456789abcdef01234567"),
        "tags": "x",
    }


def test_bad_where_is_400(client: Any) -> None:
    seed(client)
    assert where(client, {"nope": 1}).status_code == 400
    assert where(client, {"year": {"$contains": "x"}}).status_code == 400
    response = where(client, {"author": "not-an-id"})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["path"] == ["where", "author"]


# -- sort and pagination ---------------------------------------------------------


def test_sort(client: Any) -> None:
    ids = seed(client)

    def order(sort: dict[str, bool]) -> list[str]:
        return titles(client.get("/book", query_string={"sort": json.dumps(sort)}))

    assert order({"year": False}) == [
        "100% Pure_Science (2nd ed.)",
        "Origin of Species",
        "The Malay Archipelago",
        "Descent of Man",
        "Island Life",
    ]
    assert order({"year": True})[0] == "Island Life"
    assert order({"available": False, "rating": True}) == [
        "Descent of Man",
        "100% Pure_Science (2nd ed.)",
        "Origin of Species",
        "The Malay Archipelago",
        "Island Life",
    ]
    assert order({"title": False})[0] == "100% Pure_Science (2nd ed.)"
    darwin, wallace = ids["authors"]
    by_author = order({"author": darwin > wallace})
    assert by_author[:3] == ["Origin of Species", "Descent of Man", "100% Pure_Science (2nd ed.)"]
    assert order({"$uri": True})[0] == "100% Pure_Science (2nd ed.)"
    response = client.get("/book", query_string={"sort": json.dumps({"nope": True})})
    assert response.status_code == 400


def test_sort_attribute(db: Any) -> None:
    class SortedBook(ModelResource):
        class Meta:
            name = "book"
            model = MeBook
            manager = MongoEngineManager
            sort_attribute = ("year", True)

        class Schema:
            author = fields.ToOne("author")

    app = Flask(__name__)
    api = Api(app)
    for resource in _resources().values():
        if resource.meta.name != "book":
            api.add_resource(resource)
    api.add_resource(SortedBook)
    client = app.test_client()
    seed(client)
    assert titles(client.get("/book"))[:2] == ["Island Life", "Descent of Man"]


def test_pagination(client: Any) -> None:
    seed(client)
    response = client.get("/book", query_string={"per_page": 2, "page": 2})
    assert titles(response) == ["The Malay Archipelago", "Island Life"]
    assert response.headers["X-Total-Count"] == "5"
    links = response.headers["Link"]
    assert '</book?page=3&per_page=2>; rel="next"' in links
    assert '</book?page=3&per_page=2>; rel="last"' in links
    response = client.get("/book", query_string={"per_page": 2, "page": 3})
    assert titles(response) == ["100% Pure_Science (2nd ed.)"]
    assert response.headers["X-Total-Count"] == "5"
    response = client.get("/book", query_string={"per_page": 2, "page": 4})
    assert response.status_code == 404
    assert response.get_json()["status"] == 404
    query = {"where": json.dumps({"available": True}), "per_page": 1}
    response = client.get("/book", query_string=query)
    assert response.headers["X-Total-Count"] == "3"
    assert "where=" in response.headers["Link"]
    assert client.get("/book", query_string={"page": 0}).status_code == 400


def test_empty_list(client: Any) -> None:
    response = client.get("/book")
    assert response.status_code == 200
    assert response.get_json() == []
    assert response.headers["X-Total-Count"] == "0"
    assert client.get("/book?page=2").status_code == 404


def test_a_page_with_references_costs_one_find_and_one_count(client: Any, db: Any) -> None:
    author = MeAuthor(first_name="Many", last_name="Books").save()
    for number in range(25):
        MeBook(title=f"Book {number:02}", author=author).save()
    with count_operations() as operations:
        response = client.get("/book", query_string={"per_page": 20})
    assert response.status_code == 200
    body = response.get_json()
    assert len(body) == 20 and response.headers["X-Total-Count"] == "25"
    assert all(item["author"] == {"$ref": f"/author/{author.pk}"} for item in body)
    assert len(operations) <= 2, operations
    assert sum(op == "find" for op in operations) == 1, operations
    # a short page tells its total by itself
    with count_operations() as operations:
        response = client.get("/book", query_string={"per_page": 20, "page": 2})
    assert len(response.get_json()) == 5 and response.headers["X-Total-Count"] == "25"
    assert operations == ["find"]
    # one item, its reference formatted from the stored id
    book_id = id_of(body[0])
    with count_operations() as operations:
        response = client.get(f"/book/{book_id}")
    assert response.get_json()["author"] == {"$ref": f"/author/{author.pk}"}
    assert operations == ["find"]


# -- relations -------------------------------------------------------------------


def test_list_relation_add_list_remove(client: Any, db: Any) -> None:
    ids = seed(client)
    books = ids["books"]
    shelf = client.post("/shelf", json={"name": "Evolution"}).get_json()
    shelf_id = id_of(shelf)
    events: list[tuple[str, str, str]] = []

    def record(name: str) -> Any:
        def receiver(sender: Any, item: Any, attribute: str, child: Any) -> None:
            events.append((name, attribute, str(child.pk)))

        return receiver

    receivers = {
        name: record(name)
        for name in (
            "before_add_to_relation",
            "after_add_to_relation",
            "before_remove_from_relation",
            "after_remove_from_relation",
        )
    }
    for name, receiver in receivers.items():
        getattr(signals, name).connect(receiver)
    try:
        origin, island, malay = (
            books["Origin of Species"],
            books["Island Life"],
            books["The Malay Archipelago"],
        )
        response = client.post(f"/shelf/{shelf_id}/books", json={"$ref": f"/book/{origin}"})
        assert response.status_code == 200
        assert response.get_json() == {"$ref": f"/book/{origin}"}
        assert client.post(f"/shelf/{shelf_id}/books", json=island).status_code == 200
        assert client.post(f"/shelf/{shelf_id}/books", json=malay).status_code == 200
        assert [e[0] for e in events] == ["before_add_to_relation", "after_add_to_relation"] * 3
        # adding twice keeps one, and sends no after_add_to_relation
        events.clear()
        assert client.post(f"/shelf/{shelf_id}/books", json=island).status_code == 200
        assert events == [("before_add_to_relation", "books", island)]
        stored = db.shelf.find_one({"_id": ObjectId(shelf_id)})["books"]
        assert stored == [ObjectId(origin), ObjectId(island), ObjectId(malay)]

        response = client.get(f"/shelf/{shelf_id}/books")
        assert response.status_code == 200
        assert response.get_json() == [
            {"$ref": f"/book/{origin}"},
            {"$ref": f"/book/{island}"},
            {"$ref": f"/book/{malay}"},
        ]
        assert response.headers["X-Total-Count"] == "3"
        response = client.get(f"/shelf/{shelf_id}/books", query_string={"per_page": 2, "page": 2})
        assert response.get_json() == [{"$ref": f"/book/{malay}"}]
        assert client.get(f"/shelf/{shelf_id}/books?per_page=2&page=3").status_code == 404

        events.clear()
        response = client.delete(f"/shelf/{shelf_id}/books/{island}")
        assert response.status_code == 204
        assert events == [
            ("before_remove_from_relation", "books", island),
            ("after_remove_from_relation", "books", island),
        ]
        events.clear()
        assert client.delete(f"/shelf/{shelf_id}/books/{island}").status_code == 204
        assert events == [("before_remove_from_relation", "books", island)]
        stored = db.shelf.find_one({"_id": ObjectId(shelf_id)})["books"]
        assert stored == [ObjectId(origin), ObjectId(malay)]
        assert client.get(f"/shelf/{shelf_id}").get_json()["books"] == [
            {"$ref": f"/book/{origin}"},
            {"$ref": f"/book/{malay}"},
        ]
    finally:
        for name, receiver in receivers.items():
            getattr(signals, name).disconnect(receiver)

    # a reference to a deleted book is left out of the relation
    assert client.delete(f"/book/{origin}").status_code == 204
    response = client.get(f"/shelf/{shelf_id}/books")
    assert response.get_json() == [{"$ref": f"/book/{malay}"}]
    assert response.headers["X-Total-Count"] == "1"


def test_relation_errors(client: Any, db: Any) -> None:
    ids = seed(client)
    shelf_id = id_of(client.post("/shelf", json={"name": "Evolution"}).get_json())
    before = dump(db)
    missing = "0" * 24
    assert client.delete(f"/shelf/{shelf_id}/books/{missing}").status_code == 404
    assert client.delete(f"/shelf/{shelf_id}/books/not-an-id").status_code == 404
    assert client.get("/shelf/not-an-id/books").status_code == 404
    book = ids["books"]["Island Life"]
    assert client.post("/shelf/not-an-id/books", json=book).status_code == 404
    response = client.post(f"/shelf/{shelf_id}/books", json={"$ref": "/book/not-an-id"})
    assert response.status_code == 400
    response = client.post(f"/shelf/{shelf_id}/books", json={"$ref": f"/book/{missing}"})
    assert response.status_code == 400
    assert dump(db) == before


def test_many_references_field(client: Any, db: Any) -> None:
    ids = seed(client)
    origin, island = ids["books"]["Origin of Species"], ids["books"]["Island Life"]
    response = client.post("/shelf", json={"name": "S", "books": [{"$ref": f"/book/{origin}"}]})
    assert response.status_code == 200
    shelf = response.get_json()
    assert shelf["books"] == [{"$ref": f"/book/{origin}"}]
    response = client.patch(f"/shelf/{id_of(shelf)}", json={"books": [island, origin]})
    assert response.get_json()["books"] == [
        {"$ref": f"/book/{island}"},
        {"$ref": f"/book/{origin}"},
    ]
    assert db.shelf.find_one()["books"] == [ObjectId(island), ObjectId(origin)]
    assert titles(where(client, {"title": {"$startswith": "Isl"}})) == ["Island Life"]
    response = client.get(
        "/shelf", query_string={"where": json.dumps({"books": {"$contains": island}})}
    )
    assert [s["name"] for s in response.get_json()] == ["S"]
    query = {"where": json.dumps({"books": {"$contains": {"$ref": "/book/bad"}}})}
    assert client.get("/shelf", query_string=query).get_json() == []


def test_reverse_relation_over_a_reference_field(client: Any, db: Any) -> None:
    ids = seed(client)
    darwin, wallace = ids["authors"]
    response = client.get(f"/author/{wallace}/books")
    assert response.status_code == 200
    island, malay = ids["books"]["Island Life"], ids["books"]["The Malay Archipelago"]
    assert response.get_json() == [{"$ref": f"/book/{malay}"}, {"$ref": f"/book/{island}"}]
    assert response.headers["X-Total-Count"] == "2"
    origin = ids["books"]["Origin of Species"]
    response = client.post(f"/author/{wallace}/books", json={"$ref": f"/book/{origin}"})
    assert response.status_code == 200
    assert db.book.find_one({"_id": ObjectId(origin)})["author"] == ObjectId(wallace)
    assert client.get(f"/author/{wallace}/books").headers["X-Total-Count"] == "3"
    # a book must have an author: removing it from its author is refused
    before = dump(db)
    response = client.delete(f"/author/{wallace}/books/{origin}")
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["path"] == ["author"]
    assert dump(db) == before
    # removing a book that is not the author's changes nothing
    descent = ids["books"]["Descent of Man"]
    assert client.delete(f"/author/{wallace}/books/{descent}").status_code == 204
    assert dump(db) == before


# -- natural keys ----------------------------------------------------------------


def test_natural_key_of_several_properties(client: Any, db: Any) -> None:
    ids = seed(client)
    response = client.post(
        "/book", json={"title": "Tropical Nature", "author": ["Alfred", "Wallace"]}
    )
    assert response.status_code == 200
    assert response.get_json()["author"] == {"$ref": f"/author/{ids['authors'][1]}"}
    before = dump(db)
    response = client.post("/book", json={"title": "Ghost", "author": ["No", "Body"]})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["path"] == ["author"]
    assert dump(db) == before


def test_string_natural_key_beside_string_ids(client: Any, db: Any) -> None:
    shelf_id = id_of(client.post("/shelf", json={"name": "Evolution"}).get_json())
    client.post("/shelf", json={"name": "Travel"})
    by_name = client.post("/label", json={"text": "a", "shelf": "Evolution"})
    by_id = client.post("/label", json={"text": "b", "shelf": shelf_id})
    by_ref = client.post("/label", json={"text": "c", "shelf": {"$ref": f"/shelf/{shelf_id}"}})
    for response in (by_name, by_id, by_ref):
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["shelf"] == {"$ref": f"/shelf/{shelf_id}"}
    response = client.get("/label", query_string={"where": json.dumps({"shelf": "Evolution"})})
    assert [label["text"] for label in response.get_json()] == ["a", "b", "c"]
    response = client.get("/label", query_string={"where": json.dumps({"shelf": "Travel"})})
    assert response.get_json() == []
    response = client.get("/label", query_string={"where": json.dumps({"shelf": "Nowhere"})})
    assert response.get_json() == []
    before = dump(db)
    response = client.post("/label", json={"text": "d", "shelf": "Nowhere"})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["path"] == ["shelf"]
    assert dump(db) == before


# -- signals and rollback --------------------------------------------------------


def test_signals_in_order_with_changes(client: Any, resources: dict[str, Any]) -> None:
    ids = seed(client)
    book = resources["book"]
    seen: list[tuple[str, Any, Any]] = []
    names = [
        "before_create",
        "after_create",
        "before_update",
        "after_update",
        "before_delete",
        "after_delete",
    ]

    def record(name: str) -> Any:
        def receiver(sender: Any, item: Any, changes: Any = None) -> None:
            assert sender is book
            seen.append((name, item.pk, changes))

        return receiver

    receivers = {name: record(name) for name in names}
    for name in names:
        getattr(signals, name).connect(receivers[name], sender=book)
    try:
        body = client.post("/book", json={"title": "T", "author": ids["authors"][0]}).get_json()
        book_id = id_of(body)
        client.patch(f"/book/{book_id}", json={"year": 1900, "title": "T"})
        client.delete(f"/book/{book_id}")
    finally:
        for name in names:
            getattr(signals, name).disconnect(receivers[name], sender=book)
    assert [s[0] for s in seen] == names
    assert seen[0][1] is None and str(seen[1][1]) == book_id
    assert seen[2][2] == {"year": 1900} and seen[3][2] == {"year": 1900}


def _fail(sender: Any, **kwargs: Any) -> None:
    raise RuntimeError("receiver failed")


def _assert_500(response: Any) -> None:
    assert response.status_code == 500
    assert response.get_json()["status"] == 500


@pytest.mark.parametrize("signal", ["before_create", "after_create"])
def test_failing_create_receiver_leaves_the_store_unchanged(
    client: Any, db: Any, signal: str
) -> None:
    ids = seed(client)
    before = dump(db)
    with getattr(signals, signal).connected_to(_fail, sender=ANY):
        response = client.post("/book", json={"title": "Lost", "author": ids["authors"][0]})
    _assert_500(response)
    assert dump(db) == before


@pytest.mark.parametrize("signal", ["before_update", "after_update"])
def test_failing_update_receiver_leaves_the_store_unchanged(
    client: Any, db: Any, signal: str
) -> None:
    ids = seed(client)
    book_id = ids["books"]["Island Life"]
    before = dump(db)
    with getattr(signals, signal).connected_to(_fail, sender=ANY):
        response = client.patch(
            f"/book/{book_id}", json={"title": "Changed", "tags": ["x"], "year": None}
        )
    _assert_500(response)
    assert dump(db) == before


@pytest.mark.parametrize("signal", ["before_delete", "after_delete"])
def test_failing_delete_receiver_leaves_the_store_unchanged(
    client: Any, db: Any, signal: str
) -> None:
    ids = seed(client)
    book_id = ids["books"]["Island Life"]
    before = dump(db)
    with getattr(signals, signal).connected_to(_fail, sender=ANY):
        response = client.delete(f"/book/{book_id}")
    _assert_500(response)
    assert dump(db) == before
    assert client.get(f"/book/{book_id}").status_code == 200


@pytest.mark.parametrize("signal", ["after_add_to_relation", "after_remove_from_relation"])
def test_failing_relation_receiver_leaves_the_store_unchanged(
    client: Any, db: Any, signal: str
) -> None:
    ids = seed(client)
    origin, island = ids["books"]["Origin of Species"], ids["books"]["Island Life"]
    shelf_id = id_of(client.post("/shelf", json={"name": "S", "books": [origin]}).get_json())
    before = dump(db)
    with getattr(signals, signal).connected_to(_fail, sender=ANY):
        if signal == "after_add_to_relation":
            response = client.post(f"/shelf/{shelf_id}/books", json=island)
        else:
            response = client.delete(f"/shelf/{shelf_id}/books/{origin}")
    _assert_500(response)
    assert dump(db) == before
    wallace = ids["authors"][1]
    with signals.after_add_to_relation.connected_to(_fail, sender=ANY):
        _assert_500(client.post(f"/author/{wallace}/books", json=origin))
    assert dump(db) == before


def test_writes_of_receivers_are_undone_too(client: Any, db: Any) -> None:
    ids = seed(client)
    darwin = MeAuthor.objects.get(pk=ids["authors"][0])
    before = dump(db)

    def write_elsewhere(sender: Any, item: Any) -> None:
        MeAuthor(first_name="Audit", last_name="Log").save()
        darwin.first_name = "Chuck"
        darwin.save()
        MeAuthor.objects.insert([MeAuthor(first_name="Bulk", last_name="One")])

    with signals.after_create.connected_to(write_elsewhere, sender=ANY):
        with signals.after_create.connected_to(_fail, sender=ANY):
            response = client.post("/book", json={"title": "Lost", "author": ids["authors"][0]})
    _assert_500(response)
    assert dump(db) == before


def test_receiver_raising_a_potion_error(client: Any, db: Any) -> None:
    ids = seed(client)
    before = dump(db)

    def refuse(sender: Any, item: Any) -> None:
        raise exceptions.Forbidden()

    with signals.after_create.connected_to(refuse, sender=ANY):
        response = client.post("/book", json={"title": "Lost", "author": ids["authors"][0]})
    assert response.status_code == 403
    assert dump(db) == before


# -- references to deleted documents -----------------------------------------------
#
# MongoDB has no foreign keys: unless a delete rule says otherwise, deleting a
# document leaves the references to it in place.  Every route answers as usual:
# a reference formats as stored, an Inline of a missing document is null.


def _without_darwin(client: Any, db: Any) -> tuple[dict[str, Any], str, str]:
    """Seed, then delete Darwin: three books keep a reference to him."""
    ids = seed(client)
    darwin = ids["authors"][0]
    assert client.delete(f"/author/{darwin}").status_code == 204
    assert db.author.count_documents({}) == 1
    origin = ids["books"]["Origin of Species"]
    assert db.book.find_one({"_id": ObjectId(origin)})["author"] == ObjectId(darwin)
    return ids, darwin, origin


def test_a_reference_to_a_deleted_document_reads_as_stored(client: Any, db: Any) -> None:
    ids, darwin, origin = _without_darwin(client, db)
    response = client.get(f"/book/{origin}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["title"] == "Origin of Species"
    assert body["author"] == {"$ref": f"/author/{darwin}"}
    response = client.get("/book", query_string={"sort": json.dumps({"title": False})})
    assert response.status_code == 200
    authors = {b["title"]: b["author"]["$ref"] for b in response.get_json()}
    assert authors["Origin of Species"] == authors["Descent of Man"] == f"/author/{darwin}"
    assert authors["Island Life"] == f"/author/{ids['authors'][1]}"
    # where compares the stored references: it finds the books still naming him
    assert titles(where(client, {"author": {"$ref": f"/author/{darwin}"}})) == [
        "Origin of Species",
        "Descent of Man",
        "100% Pure_Science (2nd ed.)",
    ]
    assert client.get(f"/author/{darwin}").status_code == 404
    assert client.get(f"/author/{darwin}/books").status_code == 404


def test_writes_beside_a_reference_to_a_deleted_document(client: Any, db: Any) -> None:
    ids, darwin, origin = _without_darwin(client, db)
    wallace = ids["authors"][1]
    response = client.patch(f"/book/{origin}", json={"year": 1860})
    assert response.status_code == 200
    assert response.get_json()["year"] == 1860
    assert response.get_json()["author"] == {"$ref": f"/author/{darwin}"}
    assert response.get_json() == client.get(f"/book/{origin}").get_json()
    stored = db.book.find_one({"_id": ObjectId(origin)})
    assert stored["year"] == 1860 and stored["author"] == ObjectId(darwin)

    # a request naming the deleted document is refused: it is not there
    before = dump(db)
    response = client.patch(f"/book/{origin}", json={"author": {"$ref": f"/author/{darwin}"}})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["path"] == ["author"]
    response = client.post("/book", json={"title": "Ghost", "author": darwin})
    assert response.status_code == 400
    assert dump(db) == before

    # pointing the book at an author that exists repairs it, by PATCH or relation
    response = client.patch(f"/book/{origin}", json={"author": wallace})
    assert response.status_code == 200
    assert response.get_json()["author"] == {"$ref": f"/author/{wallace}"}
    descent = ids["books"]["Descent of Man"]
    assert client.post(f"/author/{wallace}/books", json=descent).status_code == 200
    assert db.book.find_one({"_id": ObjectId(descent)})["author"] == ObjectId(wallace)
    assert client.get(f"/author/{wallace}/books").headers["X-Total-Count"] == "4"

    pure = ids["books"]["100% Pure_Science (2nd ed.)"]
    assert client.delete(f"/book/{pure}").status_code == 204
    assert db.book.find_one({"_id": ObjectId(pure)}) is None


def test_a_list_of_references_to_deleted_documents(client: Any, db: Any) -> None:
    ids = seed(client)
    books = ids["books"]
    origin, island, descent = (
        books["Origin of Species"],
        books["Island Life"],
        books["Descent of Man"],
    )
    shelf_id = id_of(
        client.post("/shelf", json={"name": "S", "books": [origin, island]}).get_json()
    )
    # deleted around Potion (a delete through the API pulls it from the lists)
    assert db.book.delete_one({"_id": ObjectId(island)}).deleted_count == 1
    stored = [ObjectId(origin), ObjectId(island)]
    assert db.shelf.find_one()["books"] == stored

    refs = [{"$ref": f"/book/{origin}"}, {"$ref": f"/book/{island}"}]
    response = client.get(f"/shelf/{shelf_id}")
    assert response.status_code == 200
    assert response.get_json()["books"] == refs
    assert client.get("/shelf").get_json()[0]["books"] == refs
    # the relation lists the books that exist
    assert client.get(f"/shelf/{shelf_id}/books").get_json() == [{"$ref": f"/book/{origin}"}]

    response = client.patch(f"/shelf/{shelf_id}", json={"name": "Renamed"})
    assert response.status_code == 200
    assert response.get_json() == {"$uri": f"/shelf/{shelf_id}", "name": "Renamed", "books": refs}
    assert db.shelf.find_one()["books"] == stored
    assert client.post(f"/shelf/{shelf_id}/books", json=descent).status_code == 200
    assert db.shelf.find_one()["books"] == stored + [ObjectId(descent)]
    assert client.delete(f"/shelf/{shelf_id}/books/{origin}").status_code == 204
    assert db.shelf.find_one()["books"] == [ObjectId(island), ObjectId(descent)]
    # the relation cannot name the deleted book; a PATCH of the list drops it
    assert client.delete(f"/shelf/{shelf_id}/books/{island}").status_code == 404
    response = client.patch(f"/shelf/{shelf_id}", json={"books": [descent]})
    assert response.status_code == 200
    assert db.shelf.find_one()["books"] == [ObjectId(descent)]


def test_a_deleted_target_with_other_ids_reads_as_null(client: Any, db: Any) -> None:
    # a topic's id is its slug, which left with it: the reference cannot be formatted
    client.post("/topic", json={"slug": "evolution", "name": "Evolution"})
    label = client.post("/label", json={"text": "a", "topic": "evolution"}).get_json()
    assert label["topic"] == {"$ref": "/topic/evolution"}
    topic_pk = db.topic.find_one()["_id"]
    assert client.delete("/topic/evolution").status_code == 204
    label_id = id_of(label)
    response = client.get(f"/label/{label_id}")
    assert response.status_code == 200
    assert response.get_json()["topic"] is None
    assert client.get("/label").get_json()[0]["topic"] is None
    response = client.patch(f"/label/{label_id}", json={"text": "b"})
    assert response.status_code == 200
    assert response.get_json() == {
        "$uri": f"/label/{label_id}",
        "text": "b",
        "shelf": None,
        "topic": None,
    }
    # what is stored is left alone
    assert db.label.find_one()["topic"] == topic_pk
    query = {"where": json.dumps({"topic": "evolution"})}
    assert client.get("/label", query_string=query).get_json() == []


def _card_resources() -> dict[str, Any]:
    """Resources that embed the referenced documents (Inline) besides referring to them."""

    class BookCardResource(ModelResource):
        class Meta:
            name = "bookcard"
            model = MeBook
            manager = MongoEngineManager
            include_fields = ("title", "author")

        class Schema:
            author = fields.ToOne("author")
            writer = fields.Inline("author", attribute="author", io="r", nullable=True)

        @ItemRoute.GET
        def card(self, book: Any) -> fields.Inline("self"):  # type: ignore[valid-type]
            return book

        by = ItemAttributeRoute(fields.ToOne("author", attribute="author"))

    class ShelfCardResource(ModelResource):
        class Meta:
            name = "shelfcard"
            model = MeShelf
            manager = MongoEngineManager

        class Schema:
            books = fields.ToMany("book")
            covers = fields.List(fields.Inline("book", nullable=True), attribute="books", io="r")

    return {"bookcard": BookCardResource, "shelfcard": ShelfCardResource}


@pytest.fixture
def card_client(resources: dict[str, Any]) -> Any:
    app = Flask(__name__)
    app.config["TESTING"] = True
    api = Api(app)
    for resource in [*resources.values(), *_card_resources().values()]:
        api.add_resource(resource)
    return app.test_client()


def test_an_inline_of_a_deleted_document_is_null(card_client: Any, db: Any) -> None:
    client = card_client
    ids = seed(client)
    darwin, wallace = ids["authors"]
    origin = ids["books"]["Origin of Species"]
    darwin_body = client.get(f"/author/{darwin}").get_json()
    response = client.get(f"/bookcard/{origin}")
    assert response.get_json() == {
        "$uri": f"/bookcard/{origin}",
        "title": "Origin of Species",
        "author": {"$ref": f"/author/{darwin}"},
        "writer": darwin_body,
    }
    assert client.delete(f"/author/{darwin}").status_code == 204

    expected = {
        "$uri": f"/bookcard/{origin}",
        "title": "Origin of Species",
        "author": {"$ref": f"/author/{darwin}"},
        "writer": None,
    }
    for url in (f"/bookcard/{origin}", f"/bookcard/{origin}/card"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.get_json() == expected
    query = {"where": json.dumps({"title": "Origin of Species"})}
    assert client.get("/bookcard", query_string=query).get_json() == [expected]
    response = client.get(f"/bookcard/{origin}/by")
    assert response.status_code == 200
    assert response.get_json() == {"$ref": f"/author/{darwin}"}

    response = client.patch(f"/bookcard/{origin}", json={"title": "Origin"})
    assert response.status_code == 200
    assert response.get_json() == {**expected, "title": "Origin"}
    assert db.book.find_one({"_id": ObjectId(origin)})["title"] == "Origin"

    response = client.post(f"/bookcard/{origin}/by", json=wallace)
    assert response.status_code == 200
    assert response.get_json() == {"$ref": f"/author/{wallace}"}
    assert db.book.find_one({"_id": ObjectId(origin)})["author"] == ObjectId(wallace)
    writer = client.get(f"/bookcard/{origin}").get_json()["writer"]
    assert writer == client.get(f"/author/{wallace}").get_json()


def test_an_inline_list_of_documents_some_deleted(card_client: Any, db: Any) -> None:
    client = card_client
    ids = seed(client)
    origin, island = ids["books"]["Origin of Species"], ids["books"]["Island Life"]
    shelf_id = id_of(
        client.post("/shelf", json={"name": "S", "books": [origin, island]}).get_json()
    )
    island_body = client.get(f"/book/{island}").get_json()
    # the inlined book refers to a deleted author: it is formatted as stored
    assert db.book.delete_one({"_id": ObjectId(origin)}).deleted_count == 1  # around Potion
    assert client.delete(f"/author/{ids['authors'][1]}").status_code == 204
    response = client.get(f"/shelfcard/{shelf_id}")
    assert response.status_code == 200
    assert response.get_json()["books"] == [
        {"$ref": f"/book/{origin}"},
        {"$ref": f"/book/{island}"},
    ]
    assert response.get_json()["covers"] == [None, island_body]
    response = client.patch(f"/shelfcard/{shelf_id}", json={"name": "T"})
    assert response.status_code == 200
    assert response.get_json()["covers"] == [None, island_body]
    assert db.shelf.find_one()["books"] == [ObjectId(origin), ObjectId(island)]


# -- delete rules ------------------------------------------------------------------


def _rule_resources() -> list[Any]:
    class EditorResource(ModelResource):
        class Meta:
            model = MeEditor
            manager = MongoEngineManager

    class IssueResource(ModelResource):
        class Meta:
            model = MeIssue
            manager = MongoEngineManager

        class Schema:
            proofreader = fields.ToOne("editor", nullable=True)
            reviewers = fields.ToMany("editor")
            editor = fields.ToOne("editor", nullable=True)

    class NoteResource(ModelResource):
        class Meta:
            model = MeNote
            manager = MongoEngineManager

        class Schema:
            issue = fields.ToOne("issue", nullable=True)

    class StampResource(ModelResource):
        class Meta:
            model = MeStamp
            manager = MongoEngineManager

        class Schema:
            note = fields.ToOne("note", nullable=True)

    return [EditorResource, IssueResource, NoteResource, StampResource]


@pytest.fixture
def rules_client(db: Any) -> Any:
    app = Flask(__name__)
    app.config["TESTING"] = True
    api = Api(app)
    for resource in _rule_resources():
        api.add_resource(resource)
    return app.test_client()


def _seed_rules(client: Any) -> dict[str, str]:
    """Deleting ``ada`` nullifies, pulls and cascades (issue ``two``, then its note)."""

    def post(url: str, body: dict[str, Any]) -> str:
        response = client.post(url, json=body)
        assert response.status_code == 200, response.get_json()
        return id_of(response.get_json())

    ada = post("/editor", {"name": "Ada"})
    bob = post("/editor", {"name": "Bob"})
    one = post(
        "/issue", {"title": "One", "proofreader": ada, "reviewers": [ada, bob], "editor": bob}
    )
    two = post("/issue", {"title": "Two", "editor": ada})
    note = post("/note", {"text": "on two", "issue": two})
    return {"ada": ada, "bob": bob, "one": one, "two": two, "note": note}


def test_delete_rules_apply(rules_client: Any, db: Any) -> None:
    ids = _seed_rules(rules_client)
    assert rules_client.delete(f"/editor/{ids['ada']}").status_code == 204
    assert [e["name"] for e in db.editor.find()] == ["Bob"]
    assert list(db.issue.find()) == [
        {
            "_id": ObjectId(ids["one"]),
            "title": "One",
            "reviewers": [ObjectId(ids["bob"])],
            "editor": ObjectId(ids["bob"]),
        }
    ]
    assert list(db.note.find()) == []
    response = rules_client.get(f"/issue/{ids['one']}")
    assert response.get_json()["proofreader"] is None
    assert response.get_json()["reviewers"] == [{"$ref": f"/editor/{ids['bob']}"}]


@pytest.mark.parametrize("signal", ["before_delete", "after_delete"])
def test_delete_rules_are_undone_when_the_delete_fails(
    rules_client: Any, db: Any, signal: str
) -> None:
    ids = _seed_rules(rules_client)
    before = dump(db)
    with getattr(signals, signal).connected_to(_fail, sender=ANY):
        response = rules_client.delete(f"/editor/{ids['ada']}")
    _assert_500(response)
    assert dump(db) == before


def test_a_delete_refused_deep_in_a_cascade_changes_nothing(rules_client: Any, db: Any) -> None:
    ids = _seed_rules(rules_client)
    rules_client.post("/stamp", json={"note": ids["note"]})
    before = dump(db)
    # NULLIFY and PULL run, then the cascade to the note meets the stamp's DENY
    response = rules_client.delete(f"/editor/{ids['ada']}")
    assert response.status_code == 409
    assert response.get_json()["message"] == (
        "Could not delete document (MeStamp.note refers to it)"
    )
    assert dump(db) == before


# -- errors ----------------------------------------------------------------------


def test_duplicate_on_create_is_409_naming_the_field(client: Any, db: Any) -> None:
    ids = seed(client)
    before = dump(db)
    response = client.post("/book", json={"title": "Island Life", "author": ids["authors"][0]})
    assert response.status_code == 409
    assert response.get_json() == {
        "errors": [{"path": ["title"], "validationOf": {"unique": True}}],
        "message": "An item with this title already exists",
        "status": 409,
    }
    assert dump(db) == before


def test_duplicate_on_update_changes_nothing(client: Any, db: Any) -> None:
    ids = seed(client)
    before = dump(db)
    book_id = ids["books"]["Descent of Man"]
    response = client.patch(f"/book/{book_id}", json={"title": "Island Life", "year": 1500})
    assert response.status_code == 409
    assert response.get_json()["errors"] == [{"path": ["title"], "validationOf": {"unique": True}}]
    assert dump(db) == before


def test_duplicate_of_a_compound_unique_index(client: Any, db: Any) -> None:
    seed(client)
    before = dump(db)
    response = client.post("/author", json={"first_name": "Charles", "last_name": "Darwin"})
    assert response.status_code == 409
    assert response.get_json()["errors"] == [
        {"path": ["first_name"], "validationOf": {"unique": True}},
        {"path": ["last_name"], "validationOf": {"unique": True}},
    ]
    assert dump(db) == before


def test_document_validation_is_400_naming_the_field(client: Any, db: Any) -> None:
    ids = seed(client)
    before = dump(db)
    response = client.post("/book", json={"title": "Odd", "author": ids["authors"][0], "pages": 3})
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        {"path": ["pages"], "message": "must be even", "validationOf": {"valid": False}}
    ]
    response = client.post(
        "/book", json={"title": "Nowhere", "author": ids["authors"][0], "origin": {}}
    )
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        {
            "path": ["origin", "city"],
            "message": "Field is required",
            "validationOf": {"required": True},
        }
    ]
    book_id = ids["books"]["Island Life"]
    response = client.patch(f"/book/{book_id}", json={"pages": 5, "year": 1999})
    assert response.status_code == 400
    assert dump(db) == before
    response = client.post("/book", json={"title": "x" * 101, "author": ids["authors"][0]})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["validationOf"] == {"maxLength": 100}
    assert dump(db) == before


def test_a_refused_delete_is_409(client: Any, db: Any) -> None:
    shelf_id = id_of(client.post("/shelf", json={"name": "Kept"}).get_json())
    client.post("/label", json={"text": "a", "shelf": shelf_id})
    before = dump(db)
    response = client.delete(f"/shelf/{shelf_id}")
    assert response.status_code == 409
    assert "refers to it" in response.get_json()["message"]
    assert dump(db) == before


def test_malformed_ids_are_404_never_500(client: Any, db: Any) -> None:
    ids = seed(client)
    before = dump(db)
    for bad in ("not-an-id", "0123", "g" * 24, "0" * 24):
        for method in ("get", "patch", "delete"):
            kwargs = {"json": {"year": 1500}} if method == "patch" else {}
            response = getattr(client, method)(f"/book/{bad}", **kwargs)
            assert response.status_code == 404, (method, bad)
            assert response.get_json()["item"] == {"$type": "book", "$id": bad}
    response = client.post("/book", json={"title": "Ghost", "author": {"$ref": "/author/xyz"}})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["path"] == ["author"]
    response = client.post("/book", json={"title": "Ghost", "author": "xyz"})
    assert response.status_code == 400
    assert dump(db) == before
    query = {"where": json.dumps({"author": {"$ref": "/author/xyz"}})}
    assert client.get("/book", query_string=query).get_json() == []
    assert ids


def test_meta_field_options(db: Any) -> None:
    class Narrow(ModelResource):
        class Meta:
            name = "book"
            model = MeBook
            manager = MongoEngineManager
            include_fields = ("title", "year", "author", "rating")
            exclude_fields = ("rating",)
            read_only_fields = ("year",)
            silenced_checks = ["potion.E102"]  # its schema only: no field writes the author

    api = Api(Flask(__name__))
    api.add_resource(Narrow)
    api.add_resource(_resources()["author"])  # the resource the reference resolves to

    properties = Narrow.schema.response["properties"]
    # a reference is a field only when declared, include_fields or not
    assert sorted(properties) == ["$uri", "title", "year"]
    assert properties["year"]["readOnly"] is True
    assert "year" not in Narrow.schema.create["properties"]


def test_references_resolve_through_the_api(db: Any) -> None:
    class BookByModel(ModelResource):
        class Meta:
            name = "book"
            model = MeBook
            manager = MongoEngineManager

        class Schema:
            author = fields.ToOne(MeAuthor)  # the resource whose Meta.model it is

    resources = _resources()
    reference = BookByModel.schema.fields["author"]
    with pytest.raises(RuntimeError, match="BookByModel is not registered with an Api yet"):
        reference.target
    api = Api(Flask(__name__))
    api.add_resource(BookByModel)
    with pytest.raises(RuntimeError, match="No resource has Meta.model = MeAuthor"):
        reference.target
    api.add_resource(resources["author"])
    assert reference.target is resources["author"]
    assert BookByModel.schema.response["properties"]["author"]


def test_sort_parsed_conditions_are_translated(resources: dict[str, Any]) -> None:
    manager = resources["book"].manager
    sort = parse_sort(json.dumps({"author": True, "title": False}), manager.sortable)
    assert manager._order(sort) == ["-author", "+title", "+id"]
