"""An application written for Flask-Potion 0.16 runs unchanged on Potion.

The code below is written as such an application is: it imports from every
Flask-Potion module path, guards routes with ``Meta.route_decorators`` that read
and change the route's result, serves SQLAlchemy models (with a
``lazy="dynamic"`` relationship behind a ``Relation`` route), peewee models (a
``ForeignKeyField`` declared as a ``ToOne``) and MongoEngine documents (a
``ReferenceField`` declared as a ``ToOne``) from one Api.  The tests assert the
bodies and schemas of spec/potion-api.md (the wire format of Flask-Potion 0.16),
and Potion's deliberate differences where docs/compatibility.md lists them.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import mongoengine as me
import peewee
import pytest
from flask import Flask, g
from flask_sqlalchemy import SQLAlchemy

import flask_potion
from flask_potion import Api, ModelResource, Resource, fields, signals
from flask_potion.contrib.alchemy import SQLAlchemyManager
from flask_potion.contrib.alchemy.fields import InlineModel
from flask_potion.contrib.alchemy.filters import SQLAlchemyBaseFilter
from flask_potion.contrib.alchemy.manager import SQLAlchemyManager as AlchemyManager
from flask_potion.contrib.memory import MemoryManager
from flask_potion.contrib.memory.manager import MemoryManager as MemoryManagerModule
from flask_potion.contrib.mongoengine import MongoEngineManager
from flask_potion.contrib.mongoengine.filters import FILTERS_BY_TYPE as MONGO_FILTERS
from flask_potion.contrib.mongoengine.manager import MongoEngineManager as MongoManagerModule
from flask_potion.contrib.peewee import PeeweeManager
from flask_potion.contrib.peewee.filters import FILTER_NAMES as PEEWEE_FILTER_NAMES
from flask_potion.contrib.peewee.manager import PeeweeManager as PeeweeManagerModule
from flask_potion.contrib.principals import PrincipalMixin, principals
from flask_potion.contrib.principals.needs import HybridItemNeed, HybridUserNeed
from flask_potion.contrib.principals.permission import HybridPermission
from flask_potion.exceptions import ItemNotFound, PotionException, ValidationError
from flask_potion.filters import FILTER_NAMES, BaseFilter, filters_for_fields
from flask_potion.instances import Instances, Pagination, PaginationMixin
from flask_potion.manager import Manager, RelationalManager
from flask_potion.natural_keys import IDKey, PropertiesKey, RefKey
from flask_potion.reference import ResourceBound, ResourceReference
from flask_potion.resource import ModelResourceMeta, ResourceMeta
from flask_potion.routes import ItemAttributeRoute, ItemRoute, Relation, Route, RouteSet
from flask_potion.schema import FieldSet, RequestMustBeJSON, Schema
from flask_potion.utils import AttributeDict, get_value, route_from, unpack
from tests.mongo_env import fresh_database

HYPER_SCHEMA = "http://json-schema.org/draft-04/hyper-schema#"

# -- the application -------------------------------------------------------------


def cached(view):
    """A route decorator: it sees the route's value and status, and adds a header."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        data, code, *headers = unpack(view(*args, **kwargs))
        return data, code, {"Cache-Control": "max-age=60", **(headers[0] if headers else {})}

    return wrapper


def with_request_count(view):
    """A route decorator that changes the value: it adds a key to the item."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        data, code, headers = unpack(view(*args, **kwargs))
        g.requests = getattr(g, "requests", 0) + 1
        return dict(data, _requests=g.requests), code, headers

    return wrapper


class MeBook(me.Document):
    meta = {"collection": "compat_me_book"}
    title = me.StringField(required=True)


class MeReview(me.Document):
    meta = {"collection": "compat_me_review"}
    text = me.StringField(required=True)
    stars = me.IntField(null=True)
    book = me.ReferenceField(MeBook, required=True)
    also = me.ReferenceField(MeBook)  # not declared in the resource: not a field


def create_app(tmp_path: Any) -> tuple[Flask, dict[str, Any]]:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path}/app.db"
    db = SQLAlchemy(app)

    class Author(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        first_name = db.Column(db.String(), nullable=False)
        last_name = db.Column(db.String(), nullable=False)
        __table_args__ = (db.UniqueConstraint("first_name", "last_name"),)

    class Book(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        author_id = db.Column(db.Integer, db.ForeignKey(Author.id), nullable=False)
        author = db.relationship(Author, backref=db.backref("books", lazy="dynamic"))
        title = db.Column(db.String(), nullable=False, unique=True)
        year_published = db.Column(db.Integer, nullable=True)
        rating = db.Column(db.Integer, default=5)

    pw = peewee.SqliteDatabase(str(tmp_path / "shop.db"), pragmas={"foreign_keys": 1})

    class Store(peewee.Model):
        name = peewee.CharField(unique=True)

        class Meta:
            database = pw

    class Clerk(peewee.Model):
        name = peewee.CharField()

        class Meta:
            database = pw

    class Sale(peewee.Model):
        amount = peewee.IntegerField()
        store = peewee.ForeignKeyField(Store, backref="sales")
        clerk = peewee.ForeignKeyField(Clerk, null=True)  # not declared: not a field

        class Meta:
            database = pw

    pw.create_tables([Store, Clerk, Sale])

    class BookResource(ModelResource):
        class Meta:
            model = Book
            route_decorators = {"readShout": cached, "self": with_request_count}

        class Schema:
            author = fields.ToOne("author")
            year_published = fields.Integer(minimum=1400, nullable=True)

        @ItemRoute.GET
        def shout(self, book) -> fields.String():
            return book.title.upper()

        @Route.GET
        def genres(self) -> fields.List(fields.String()):
            return ["science", "travel"]

        rating = ItemAttributeRoute(fields.Integer)

    class AuthorResource(ModelResource):
        books = Relation("book")

        class Meta:
            model = Author
            natural_key = ("first_name", "last_name")

    class StoreResource(ModelResource):
        sales = Relation("sale")

        class Meta:
            model = Store
            manager = PeeweeManager
            natural_key = "name"

    class SaleResource(ModelResource):
        class Meta:
            model = Sale
            manager = PeeweeManager

        class Schema:
            store = fields.ToOne("store")

    class MeBookResource(ModelResource):
        class Meta:
            name = "mebook"
            model = MeBook
            manager = MongoEngineManager

    class ReviewResource(ModelResource):
        class Meta:
            name = "review"
            model = MeReview
            manager = MongoEngineManager

        class Schema:
            book = fields.ToOne("mebook")

    class Status(Resource):
        @Route.GET(rel="status")
        def status(self) -> fields.String():
            return "ok"

    api = Api(app)
    for resource in (
        AuthorResource,
        BookResource,
        StoreResource,
        SaleResource,
        MeBookResource,
        ReviewResource,
        Status,
    ):
        api.add_resource(resource)
    with app.app_context():
        db.create_all()
    resources = {
        "Book": BookResource,
        "Author": AuthorResource,
        "Sale": SaleResource,
        "Review": ReviewResource,
        "Status": Status,
        "db": db,
        "pw": pw,
        "models": {"Sale": Sale, "Clerk": Clerk, "Store": Store},
    }
    return app, resources


# -- the tests -------------------------------------------------------------------


@pytest.fixture
def application(tmp_path: Any) -> Any:
    with fresh_database():
        app, resources = create_app(tmp_path)
        yield app, resources
        resources["pw"].close()
        with app.app_context():
            resources["db"].engine.dispose()


@pytest.fixture
def client(application: Any) -> Any:
    return application[0].test_client()


def test_every_import_is_potion(application: Any) -> None:
    # what the application imported is Potion's own
    assert AlchemyManager is SQLAlchemyManager and PeeweeManagerModule is PeeweeManager
    assert MongoManagerModule is MongoEngineManager and MemoryManagerModule is MemoryManager
    assert issubclass(SQLAlchemyManager, RelationalManager) and issubclass(MemoryManager, Manager)
    assert isinstance(application[1]["Book"], ModelResourceMeta)
    assert issubclass(ModelResourceMeta, ResourceMeta)
    assert issubclass(Instances, PaginationMixin) and issubclass(ItemNotFound, PotionException)
    assert issubclass(Relation, RouteSet) and issubclass(Relation, ResourceBound)
    assert issubclass(RequestMustBeJSON, PotionException) and issubclass(FieldSet, Schema)
    assert ResourceReference("author").resolve(application[1]["Book"]) is application[1]["Author"]
    assert issubclass(SQLAlchemyBaseFilter, BaseFilter) and InlineModel is not None
    assert (None, "eq") == tuple(name for _cls, name in FILTER_NAMES[:2])
    assert PEEWEE_FILTER_NAMES and MONGO_FILTERS and filters_for_fields
    assert isinstance(Pagination([], 1, 20, 0), Pagination)
    assert (RefKey, IDKey, PropertiesKey) and (ValidationError, signals.before_create)
    assert AttributeDict(a=1).a == 1 and get_value("a", {"a": 2}, None) == 2
    assert flask_potion.to_camel_case("add_books") == "addBooks"
    assert issubclass(principals(SQLAlchemyManager), PrincipalMixin)
    assert HybridItemNeed and HybridUserNeed and HybridPermission


def test_sqlalchemy_wire_format(client: Any) -> None:
    # spec §5: create answers 200 with the item
    assert client.post("/author", json={"first_name": "Charles", "last_name": "Darwin"}).json == {
        "$uri": "/author/1",
        "first_name": "Charles",
        "last_name": "Darwin",
    }
    client.post("/author", json={"first_name": "Alfred", "last_name": "Wallace"})
    response = client.post("/book", json={"title": "Origin", "author": 1, "year_published": 1859})
    assert response.status_code == 200
    assert response.json == {
        "$uri": "/book/1",
        "author": {"$ref": "/author/1"},
        "rating": 5,
        "title": "Origin",
        "year_published": 1859,
    }
    # natural keys and references on input
    response = client.post(
        "/book", json={"title": "Malay", "author": ["Alfred", "Wallace"], "year_published": None}
    )
    assert response.json["author"] == {"$ref": "/author/2"}
    # the route decorator saw the raw value and changed it
    response = client.get("/book/1")
    assert response.json["_requests"] == 1 and response.json["title"] == "Origin"
    response = client.get("/book/1/shout")
    assert (response.json, response.headers["Cache-Control"]) == ("ORIGIN", "max-age=60")
    assert client.get("/book/genres").json == ["science", "travel"]
    # ItemAttributeRoute
    assert client.get("/book/1/rating").json == 5
    assert client.post("/book/1/rating", json=7).json == 7
    response = client.post("/book/1/rating", json="x")
    assert response.status_code == 400
    assert response.json["errors"] == [{"path": [], "validationOf": {"type": "integer"}}]
    # validation errors (spec §7)
    response = client.post("/book", json={"title": "Old", "author": 1, "year_published": 1000})
    assert response.status_code == 400
    assert response.json == {
        "errors": [{"path": ["year_published"], "validationOf": {"minimum": 1400}}],
        "message": "Bad Request",
        "status": 400,
    }
    response = client.get("/book/99")
    assert response.status_code == 404
    assert response.json == {
        "item": {"$id": 99, "$type": "book"},
        "message": "Not Found",
        "status": 404,
    }
    # lists, filters, headers
    where = json.dumps({"year_published": {"$gt": 1800}})
    response = client.get("/book", query_string={"where": where})
    assert [book["title"] for book in response.json] == ["Origin"]
    assert response.headers["X-Total-Count"] == "1"
    response = client.get(
        "/book", query_string={"where": json.dumps({"author": {"$ref": "/author/2"}})}
    )
    assert [book["title"] for book in response.json] == ["Malay"]


def test_dynamic_relationship_behind_a_relation_route(client: Any) -> None:
    client.post("/author", json={"first_name": "Charles", "last_name": "Darwin"})
    client.post("/author", json={"first_name": "Alfred", "last_name": "Wallace"})
    for title in ("Origin", "Descent"):
        client.post("/book", json={"title": title, "author": 1})
    response = client.get("/author")
    assert response.status_code == 200
    assert response.json == [
        {"$uri": "/author/1", "first_name": "Charles", "last_name": "Darwin"},
        {"$uri": "/author/2", "first_name": "Alfred", "last_name": "Wallace"},
    ]
    response = client.get("/author/1/books")
    assert response.json == [{"$ref": "/book/1"}, {"$ref": "/book/2"}]
    assert response.headers["X-Total-Count"] == "2"
    # spec §9: POST /author/2/books with body 2 → {"$ref": "/book/2"}
    response = client.post("/author/2/books", json=2)
    assert (response.status_code, response.json) == (200, {"$ref": "/book/2"})
    assert client.get("/author/2/books").json == [{"$ref": "/book/2"}]
    assert client.get("/book/2").json["author"] == {"$ref": "/author/2"}
    response = client.get("/author/1/books", query_string={"per_page": 1})
    assert response.json == [{"$ref": "/book/1"}]
    assert response.headers["X-Total-Count"] == "1"


def test_schemas(client: Any) -> None:
    root = client.get("/schema").json
    assert root == {
        "$schema": HYPER_SCHEMA,
        "properties": {
            name: {"$ref": f"/{name}/schema#"}
            for name in ("author", "book", "mebook", "review", "sale", "status", "store")
        },
    }
    book = client.get("/book/schema").json
    assert book["properties"]["author"] == {
        "type": "object",
        "properties": {"$ref": {"type": "string", "pattern": "^/author\\/[^/]+$"}},
        "additionalProperties": False,
    }
    assert book["properties"]["$uri"] == {
        "type": "string",
        "pattern": "^/book\\/[^/]+$",
        "readOnly": True,
    }
    assert book["properties"]["year_published"] == {"type": ["integer", "null"], "minimum": 1400}
    links = {link["rel"]: link for link in book["links"]}
    assert sorted(links) == [
        "create",
        "describedBy",
        "destroy",
        "instances",
        "readGenres",
        "readRating",
        "readShout",
        "self",
        "update",
        "updateRating",
    ]
    assert links["destroy"] == {"href": "/book/{id}", "method": "DELETE", "rel": "destroy"}
    assert links["describedBy"] == {"href": "/book/schema", "method": "GET", "rel": "describedBy"}
    assert links["updateRating"] == {
        "href": "/book/{id}/rating",
        "method": "POST",
        "rel": "updateRating",
        "schema": {"type": "integer"},
        "targetSchema": {"type": "integer"},
    }
    # a plain Resource: describedBy and its own route
    status = client.get("/status/schema").json
    assert status["$schema"] == HYPER_SCHEMA and "properties" not in status
    assert client.get("/status/status").json == "ok"


def test_peewee_foreign_key_declared_as_to_one(client: Any, application: Any) -> None:
    assert client.post("/store", json={"name": "Corner"}).json == {
        "$uri": "/store/1",
        "name": "Corner",
    }
    response = client.post("/sale", json={"amount": 12, "store": "Corner"})
    assert response.status_code == 200, response.json
    # the undeclared foreign key (clerk) and the primary key are not fields
    assert response.json == {"$uri": "/sale/1", "amount": 12, "store": {"$ref": "/store/1"}}
    properties = client.get("/sale/schema").json["properties"]
    assert sorted(properties) == ["$uri", "amount", "store"]
    assert client.get("/store/1/sales").json == [{"$ref": "/sale/1"}]
    response = client.post("/sale", json={"amount": 1, "store": 1, "clerk": 1})
    assert response.status_code == 400  # not a field: additionalProperties
    assert response.json["errors"] == [
        {"path": [], "validationOf": {"additionalProperties": False}}
    ]
    where = json.dumps({"store": {"$ref": "/store/1"}})
    assert [s["amount"] for s in client.get("/sale", query_string={"where": where}).json] == [12]


def test_mongoengine_reference_declared_as_to_one(client: Any) -> None:
    book = client.post("/mebook", json={"title": "Origin"}).json
    book_id = book["$uri"].rsplit("/", 1)[1]
    assert book == {"$uri": f"/mebook/{book_id}", "title": "Origin"}
    response = client.post("/review", json={"text": "good", "book": {"$ref": book["$uri"]}})
    assert response.status_code == 200, response.json
    review = response.json
    review_id = review["$uri"].rsplit("/", 1)[1]
    # stars is null=True (nullable, optional); the undeclared reference is no field
    assert review == {
        "$uri": f"/review/{review_id}",
        "book": {"$ref": f"/mebook/{book_id}"},
        "stars": None,
        "text": "good",
    }
    properties = client.get("/review/schema").json["properties"]
    assert sorted(properties) == ["$uri", "book", "stars", "text"]
    assert properties["stars"] == {"type": ["integer", "null"]}
    assert properties["text"] == {"type": "string"}
    # a field without null=True and without a default is required on create
    response = client.post("/review", json={"book": book_id})
    assert response.status_code == 400
    assert {"path": [], "validationOf": {"required": ["book", "text"]}} in response.json["errors"]


def test_route_from_in_the_application(application: Any) -> None:
    app = application[0]
    with app.test_request_context("/"):
        assert route_from("/book/3/shout") == ("book_readShout", {"id": 3})
        assert route_from("/author/1/books", "POST") == ("author_addBooks", {"id": 1})
