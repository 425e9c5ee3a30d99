"""The peewee backend over HTTP, on SQLite, PostgreSQL and MariaDB.

Each test builds its models on the ``pw`` environment's database, creates the
tables and drops them afterwards.  The database is checked directly (not through
the API) wherever a write must or must not have happened.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import peewee
import pytest
from flask import Flask
from playhouse.db_url import connect

from potion import Api, ModelResource, fields, filters, signals
from potion.backends.peewee import PeeweeManager
from potion.exceptions import ItemNotFound
from potion.routes import ItemRoute, Relation

from .databases import database_params, server_url

# -- the environment ---------------------------------------------------------------


class PeeweeEnv:
    """A database, a Flask app with an Api, and a statement counter."""

    def __init__(self, kind: str, db: peewee.Database) -> None:
        self.kind = kind
        self.db = db
        self.app = Flask(__name__)
        self.app.config["TESTING"] = True
        self.api = Api(self.app, default_manager=PeeweeManager)
        self.client = self.app.test_client()
        self.models: list[Any] = []
        self.statements: list[str] | None = None
        execute_sql = db.execute_sql

        def counting(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
            if self.statements is not None:
                self.statements.append(sql)
            return execute_sql(sql, params, *args, **kwargs)

        db.execute_sql = counting  # type: ignore[method-assign]

    def base(self) -> type[peewee.Model]:
        db = self.db

        class Base(peewee.Model):
            class Meta:
                database = db

        return Base

    def create_tables(self, *models: Any) -> None:
        self.models = list(models)
        self.db.drop_tables(self.models, safe=True)
        self.db.create_tables(self.models)

    def close(self) -> None:
        try:
            assert not self.db.in_transaction(), "a transaction was left open"
            if self.models:
                self.db.drop_tables(self.models, safe=True)
        finally:
            self.db.close()

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        saved, self.statements = self.statements, None
        try:
            return [tuple(row) for row in self.db.execute_sql(sql, params or None).fetchall()]
        finally:
            self.statements = saved

    def count(self, table: str) -> int:
        return int(self.rows(f"select count(*) from {table}")[0][0])

    # -- requests -------------------------------------------------------------------

    def get(self, url: str, **query: Any) -> Any:
        params = {
            k: json.dumps(v) if not isinstance(v, (str, int)) else v for k, v in query.items()
        }
        return self.client.get(url, query_string=params)

    def post(self, url: str, body: Any) -> Any:
        return self.client.post(url, json=body)

    def patch(self, url: str, body: Any) -> Any:
        return self.client.patch(url, json=body)

    def delete(self, url: str) -> Any:
        return self.client.delete(url)


def _connect(kind: str, tmp_path: Any) -> peewee.Database:
    if kind == "sqlite":
        return peewee.SqliteDatabase(str(tmp_path / "test.db"), pragmas={"foreign_keys": 1})
    url = server_url(kind)
    if kind == "mysql":
        url += "?charset=utf8mb4"
    return connect(url)


@pytest.fixture(params=database_params())
def pw(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[PeeweeEnv]:
    env = PeeweeEnv(request.param, _connect(request.param, tmp_path))
    try:
        yield env
    finally:
        env.close()


# -- the library: authors, books, shelves -------------------------------------------


class Library:
    """Models and resources of the test library, registered on ``pw.api``."""

    def __init__(self, pw: PeeweeEnv) -> None:
        Base = pw.base()

        class Author(Base):
            first_name = peewee.CharField(max_length=50)
            last_name = peewee.CharField(max_length=50)

            class Meta:
                indexes = ((("first_name", "last_name"), True),)

        class Book(Base):
            title = peewee.CharField(max_length=100, unique=True)
            year = peewee.IntegerField(null=True)
            rating = peewee.DoubleField(default=5.0)
            available = peewee.BooleanField(default=True)
            published = peewee.DateField(null=True)
            added = peewee.DateTimeField(null=True)
            genre = peewee.CharField(
                max_length=20, null=True, choices=[("fiction", "Fiction"), ("science", "Science")]
            )
            author = peewee.ForeignKeyField(Author, backref="books")

        class Shelf(Base):
            name = peewee.CharField(max_length=50, unique=True)
            books = peewee.ManyToManyField(Book, backref="shelves")

        ShelfBook = Shelf.books.get_through_model()
        pw.create_tables(Author, Book, Shelf, ShelfBook)

        class BookResource(ModelResource):
            class Meta:
                model = Book

            class Schema:  # a foreign key is a field when declared, as in Flask-Potion
                author = fields.ToOne("author")

        class AuthorResource(ModelResource):
            books = Relation("book")

            class Meta:
                model = Author
                natural_key = ("first_name", "last_name")

        class ShelfResource(ModelResource):
            books = Relation("book")

            class Schema:
                books = fields.ToMany("book")

            class Meta:
                model = Shelf
                natural_key = "name"

        pw.api.add_resource(BookResource)
        pw.api.add_resource(AuthorResource)
        pw.api.add_resource(ShelfResource)
        self.pw = pw
        self.Author, self.Book, self.Shelf, self.ShelfBook = Author, Book, Shelf, ShelfBook
        self.BookResource, self.AuthorResource, self.ShelfResource = (
            BookResource,
            AuthorResource,
            ShelfResource,
        )

    def author(self, first: str = "Charles", last: str = "Darwin") -> int:
        response = self.pw.post("/author", {"first_name": first, "last_name": last})
        assert response.status_code == 200, response.get_json()
        return int(response.get_json()["$uri"].rsplit("/", 1)[1])

    def book(self, title: str, author: int, **extra: Any) -> int:
        response = self.pw.post("/book", {"title": title, "author": author, **extra})
        assert response.status_code == 200, response.get_json()
        return int(response.get_json()["$uri"].rsplit("/", 1)[1])

    def titles(self, response: Any) -> list[str]:
        assert response.status_code == 200, response.get_json()
        return [item["title"] for item in response.get_json()]

    def table(self) -> list[tuple[Any, ...]]:
        return self.pw.rows("select id, title, year, author_id from book order by id")


@pytest.fixture
def lib(pw: PeeweeEnv) -> Library:
    return Library(pw)


def _ms(value: datetime.date | datetime.datetime) -> int:
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime(value.year, value.month, value.day)
    return int(value.replace(tzinfo=datetime.UTC).timestamp() * 1000)


@pytest.fixture
def shelf_of_books(lib: Library) -> Library:
    """Five books with assorted values; two authors."""
    darwin = lib.author()
    lyell = lib.author("Charles", "Lyell")
    lib.book(
        "Origin",
        darwin,
        year=1859,
        rating=4.5,
        published={"$date": _ms(datetime.date(1859, 11, 24))},
        added={"$date": _ms(datetime.datetime(2020, 1, 1, 10, 0, 0))},
        genre="science",
    )
    lib.book(
        "Descent",
        darwin,
        year=1871,
        rating=4.0,
        available=False,
        published={"$date": _ms(datetime.date(1871, 2, 24))},
        added={"$date": _ms(datetime.datetime(2020, 1, 2, 10, 0, 0))},
    )
    lib.book("Principles", lyell, year=1830, rating=3.5, genre="science")
    lib.book("100% Pure_Geology", lyell, year=None, rating=5.0, available=False)
    lib.book("the voyage", darwin, year=1839, rating=4.5, genre="fiction")
    return lib


# -- schema and fields ----------------------------------------------------------------


def test_fields_are_inferred_from_the_model(lib: Library) -> None:
    schema = lib.pw.get("/book/schema").get_json()
    properties = schema["properties"]
    assert "id" not in properties
    assert properties["$uri"] == {"type": "string", "pattern": "^/book\\/[^/]+$", "readOnly": True}
    assert properties["title"] == {"type": "string", "maxLength": 100}
    assert properties["year"] == {"type": ["integer", "null"]}
    assert properties["rating"] == {"type": "number", "default": 5.0}
    assert properties["available"] == {"type": "boolean", "default": True}
    assert properties["published"]["anyOf"] if "anyOf" in properties["published"] else True
    assert properties["published"]["type"] == ["object", "null"]
    assert properties["added"]["type"] == ["object", "null"]
    assert properties["genre"] == {
        "type": ["string", "null"],
        "maxLength": 20,
        "enum": ["fiction", "science", None],
    }
    assert properties["author"] == {
        "type": "object",
        "properties": {"$ref": {"type": "string", "pattern": "^/author\\/[^/]+$"}},
        "additionalProperties": False,
    }
    create = next(link for link in schema["links"] if link["rel"] == "create")
    assert create["schema"] == {"$ref": "#"}
    assert sorted(lib.BookResource.schema.create["required"]) == ["author", "title"]
    # many-to-many declared as ToMany
    shelf = lib.pw.get("/shelf/schema").get_json()["properties"]
    assert shelf["books"]["type"] == "array"


def test_more_field_types(pw: PeeweeEnv) -> None:
    Base = pw.base()

    class Gadget(Base):
        code = peewee.UUIDField(default=uuid.uuid4)
        size = peewee.SmallIntegerField(choices=[(1, "small"), (2, "large")], default=1)
        big = peewee.BigIntegerField(null=True)
        price = peewee.DecimalField(max_digits=10, decimal_places=2, null=True)
        notes = peewee.TextField(null=True)
        _secret = peewee.CharField(null=True)

    pw.create_tables(Gadget)

    class GadgetResource(ModelResource):
        class Meta:
            model = Gadget
            include_id = True

    pw.api.add_resource(GadgetResource)
    properties = pw.get("/gadget/schema").get_json()["properties"]
    assert properties["$id"] == {"type": "integer", "readOnly": True}
    assert properties["code"]["pattern"].startswith("^[0-9a-fA-F]{8}")
    assert "default" not in properties["code"]
    assert properties["size"] == {"type": "integer", "enum": [1, 2], "default": 1}
    assert properties["big"] == {"type": ["integer", "null"]}
    assert properties["price"] == {"type": ["number", "null"]}
    assert properties["notes"] == {"type": ["string", "null"]}
    assert "_secret" not in properties
    assert "required" not in GadgetResource.schema.create  # every field fills itself
    response = pw.post("/gadget", {"price": 9.5, "notes": "x"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["$id"] == 1 and body["size"] == 1 and body["price"] == 9.5
    code = body["code"]
    assert uuid.UUID(code)
    assert pw.get("/gadget", where={"code": code}).get_json()[0]["$id"] == 1
    assert pw.get("/gadget", where={"code": str(uuid.uuid4())}).get_json() == []
    assert pw.post("/gadget", {"size": 3}).status_code == 400
    # an unchanged uuid is not a change
    seen: list[dict[str, Any]] = []

    def receiver(sender: Any, item: Any, changes: dict[str, Any]) -> None:
        seen.append(changes)

    signals.before_update.connect(receiver, sender=GadgetResource)
    try:
        assert pw.patch("/gadget/1", {"code": code, "notes": "y"}).status_code == 200
    finally:
        signals.before_update.disconnect(receiver, sender=GadgetResource)
    assert seen == [{"notes": "y"}]


def test_meta_options(pw: PeeweeEnv) -> None:
    Base = pw.base()

    class Country(Base):
        code = peewee.CharField(max_length=2, unique=True)
        name = peewee.CharField(max_length=50)
        population = peewee.IntegerField(null=True)
        motto = peewee.CharField(null=True)
        secret = peewee.CharField(null=True)

    pw.create_tables(Country)

    class CountryResource(ModelResource):
        class Meta:
            model = Country
            name = "nation"
            id_attribute = "code"
            exclude_fields = ["secret"]
            read_only_fields = ["population"]
            write_only_fields = ["motto"]
            required_fields = ["motto"]
            sort_attribute = ("name", True)

    pw.api.add_resource(CountryResource)
    assert CountryResource.meta.id_converter == "string"
    properties = pw.get("/nation/schema").get_json()["properties"]
    assert "secret" not in properties and "motto" not in properties
    assert properties["population"]["readOnly"] is True
    assert pw.post("/nation", {"code": "fr", "name": "France"}).status_code == 400  # motto
    response = pw.post("/nation", {"code": "fr", "name": "France", "motto": "Liberté"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "$uri": "/nation/fr",
        "code": "fr",
        "name": "France",
        "population": None,
    }
    assert response.headers["Location"] == "/nation/fr"
    assert (
        pw.post(
            "/nation", {"code": "de", "name": "Germany", "motto": "-", "population": 1}
        ).status_code
        == 400
    )
    pw.post("/nation", {"code": "de", "name": "Germany", "motto": "-"})
    assert [c["code"] for c in pw.get("/nation").get_json()] == ["de", "fr"]  # name descending
    assert pw.get("/nation/fr").status_code == 200
    assert pw.get("/nation/xx").status_code == 404
    assert pw.rows("select motto from country where code = 'fr'") == [("Liberté",)]

    class OnlyName(ModelResource):
        class Meta:
            model = Country
            include_fields = ["name"]
            manager = PeeweeManager

    assert sorted(OnlyName.schema.fields) == ["$uri", "name"]
    assert OnlyName.meta.name == "country"  # the table name


def test_client_given_primary_key(pw: PeeweeEnv) -> None:
    Base = pw.base()

    class Currency(Base):
        code = peewee.CharField(max_length=3, primary_key=True)
        name = peewee.CharField()

    class Price(Base):
        amount = peewee.DecimalField(max_digits=10, decimal_places=2)
        currency = peewee.ForeignKeyField(Currency, backref="prices")

    pw.create_tables(Currency, Price)

    class CurrencyResource(ModelResource):
        prices = Relation("price")

        class Meta:
            model = Currency

        class Schema:  # a primary key is never inferred: declared for clients to set it
            code = fields.String(max_length=3, io="rc")

    class PriceResource(ModelResource):
        class Meta:
            model = Price

        class Schema:
            currency = fields.ToOne("currency")

    pw.api.add_resource(PriceResource)
    pw.api.add_resource(CurrencyResource)
    assert CurrencyResource.meta.id_converter == "string"
    assert "code" in CurrencyResource.schema.create["required"]
    response = pw.post("/currency", {"code": "EUR", "name": "Euro"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"$uri": "/currency/EUR", "code": "EUR", "name": "Euro"}
    assert pw.patch("/currency/EUR", {"code": "USD"}).status_code == 400  # create only
    assert pw.post("/currency", {"code": "EUR", "name": "Again"}).status_code == 409
    response = pw.post("/price", {"amount": 9.99, "currency": "EUR"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["currency"] == {"$ref": "/currency/EUR"}
    assert response.get_json()["amount"] == 9.99
    assert (
        pw.get("/price", where={"currency": {"$ref": "/currency/EUR"}}).get_json()[0]["amount"]
        == 9.99
    )
    assert pw.get("/currency/EUR/prices").get_json() == [{"$ref": "/price/1"}]
    assert pw.get("/currency/XXX").status_code == 404
    response = pw.delete("/currency/EUR")
    assert response.status_code == 409
    assert response.get_json()["errors"] == [
        {"path": [], "validationOf": {"referencedBy": "price"}}
    ]


def test_user_declared_to_one_is_kept(pw: PeeweeEnv) -> None:
    Base = pw.base()

    class Person(Base):
        name = peewee.CharField()

    class Pet(Base):
        name = peewee.CharField()
        owner = peewee.ForeignKeyField(Person, null=True)

    pw.create_tables(Person, Pet)

    class PersonResource(ModelResource):
        class Meta:
            model = Person
            name = "person"

    class PetResource(ModelResource):
        class Schema:
            owner = fields.ToOne("person", nullable=True, io="r")

        class Meta:
            model = Pet

    pw.api.add_resource(PersonResource)
    pw.api.add_resource(PetResource)
    assert PetResource.schema.fields["owner"].io == "r"
    assert PetResource.schema.fields["owner"].id_attribute == "owner_id"
    Person.create(name="Ann")
    Pet.create(name="Rex", owner=1)
    Pet.create(name="Tom")
    pw.statements = []
    body = pw.get("/pet").get_json()
    assert len(pw.statements) == 2
    assert [p["owner"] for p in body] == [{"$ref": "/person/1"}, None]
    assert pw.get("/pet", where={"owner": None}).get_json()[0]["name"] == "Tom"
    assert pw.get("/pet", where={"owner": {"$ne": None}}).get_json()[0]["name"] == "Rex"


def test_self_reference_and_missing_target_resource(pw: PeeweeEnv) -> None:
    Base = pw.base()

    class Node(Base):
        name = peewee.CharField()
        parent = peewee.ForeignKeyField("self", null=True, backref="children")

    pw.create_tables(Node)

    class NodeResource(ModelResource):
        children = Relation("self")

        class Meta:
            model = Node

        class Schema:
            parent = fields.ToOne("self", nullable=True)

    pw.api.add_resource(NodeResource)
    assert pw.post("/node", {"name": "root"}).status_code == 200
    response = pw.post("/node", {"name": "leaf", "parent": {"$ref": "/node/1"}})
    assert response.get_json()["parent"] == {"$ref": "/node/1"}
    assert pw.get("/node/1/children").get_json() == [{"$ref": "/node/2"}]


def test_imports() -> None:
    code = "import sys, potion, potion.backends; print('peewee' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
    from flask_potion.contrib.peewee import PeeweeManager as Alias

    assert Alias is PeeweeManager


# -- CRUD ---------------------------------------------------------------------------


def test_crud(lib: Library) -> None:
    pw = lib.pw
    author = lib.author()
    response = pw.post(
        "/book", {"title": "Origin", "author": {"$ref": f"/author/{author}"}, "year": 1859}
    )
    assert response.status_code == 200
    assert response.headers["Location"] == "/book/1"
    assert response.get_json() == {
        "$uri": "/book/1",
        "title": "Origin",
        "year": 1859,
        "rating": 5.0,
        "available": True,
        "published": None,
        "added": None,
        "genre": None,
        "author": {"$ref": f"/author/{author}"},
    }
    assert lib.table() == [(1, "Origin", 1859, author)]

    assert pw.get("/book/1").get_json()["title"] == "Origin"
    response = pw.patch("/book/1", {"year": 1860, "published": {"$date": 1234483200000}})
    assert response.status_code == 200
    assert response.get_json()["year"] == 1860
    assert response.get_json()["published"] == {"$date": 1234483200000}
    assert lib.table() == [(1, "Origin", 1860, author)]
    response = pw.patch("/book/1", {"added": {"$date": 1234567890000}})
    assert response.get_json()["added"] == {"$date": 1234567890000}
    assert pw.get("/book/1").get_json()["added"] == {"$date": 1234567890000}

    assert pw.client.put("/book/1", json={}).status_code == 405
    response = pw.delete("/book/1")
    assert response.status_code == 204 and response.data == b""
    assert lib.table() == []
    response = pw.get("/book/1")
    assert response.status_code == 404
    assert response.get_json() == {
        "item": {"$id": 1, "$type": "book"},
        "message": "Not Found",
        "status": 404,
    }
    assert pw.delete("/book/1").status_code == 404
    assert pw.patch("/book/1", {"year": 1}).status_code == 404


def test_validation_errors_write_nothing(lib: Library) -> None:
    pw = lib.pw
    author = lib.author()
    response = pw.post("/book", {"title": "x" * 101, "author": author})
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        {"path": ["title"], "validationOf": {"maxLength": 100}}
    ]
    response = pw.post("/book", {"year": 1})
    assert response.status_code == 400
    (required,) = [e for e in response.get_json()["errors"] if "required" in e["validationOf"]]
    assert sorted(required["validationOf"]["required"]) == ["author", "title"]
    response = pw.post("/book", {"title": "T", "author": 99})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["path"] == ["author"]
    assert pw.patch("/book/1", {"title": None}).status_code in (400, 404)
    assert lib.table() == []


def test_malformed_ids_are_404(pw: PeeweeEnv) -> None:
    Base = pw.base()

    class Token(Base):
        id = peewee.UUIDField(primary_key=True, default=uuid.uuid4)
        label = peewee.CharField()

    class Counter(Base):
        value = peewee.IntegerField(default=0)

    pw.create_tables(Token, Counter)

    class TokenResource(ModelResource):
        class Meta:
            model = Token

    class CounterResource(ModelResource):
        class Meta:
            model = Counter

    pw.api.add_resource(TokenResource)
    pw.api.add_resource(CounterResource)
    response = pw.post("/token", {"label": "a"})
    assert response.status_code == 200
    uri = response.get_json()["$uri"]
    assert pw.get(uri).get_json()["label"] == "a"
    for bad in ("not-a-uuid", "1", "%20", "00000000-0000-0000-0000-00000000000g"):
        response = pw.get(f"/token/{bad}")
        assert response.status_code == 404, bad
        assert response.get_json()["status"] == 404
    assert pw.get(f"/token/{uuid.uuid4()}").status_code == 404
    assert pw.get("/counter/99999999999999999999999").status_code == 404
    assert pw.get("/counter/2147483648").status_code == 404
    assert pw.get("/counter/abc").status_code == 404
    # filters on ids no item can have match nothing
    pw.post("/counter", {})
    for where in (
        {"$uri": "/counter/abc"},
        {"$uri": "/counter/99999999999999999999"},
        {"$uri": {"$in": ["/counter/abc", "/counter/2"]}},
        {"$uri": {"$in": []}},
    ):
        response = pw.get("/counter", where=where)
        assert response.status_code == 200 and response.get_json() == [], where
    assert len(pw.get("/counter", where={"$uri": {"$ne": "/counter/abc"}}).get_json()) == 1
    assert pw.get("/token", where={"$uri": f"/token/{uuid.uuid4()}"}).get_json() == []
    assert pw.get("/token", where={"$uri": "/token/nope"}).get_json() == []
    assert len(pw.get("/token", where={"$uri": uri}).get_json()) == 1


# -- filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "where, expected",
    [
        # strings
        ({"title": "Origin"}, ["Origin"]),
        ({"title": {"$eq": "Origin"}}, ["Origin"]),
        (
            {"title": {"$ne": "Origin"}},
            ["Descent", "Principles", "100% Pure_Geology", "the voyage"],
        ),
        ({"title": {"$in": ["Origin", "Descent", "Nope"]}}, ["Origin", "Descent"]),
        ({"title": {"$in": []}}, []),
        ({"title": {"$contains": "rigi"}}, ["Origin"]),
        ({"title": {"$contains": "RIGI"}}, []),
        ({"title": {"$icontains": "RIGI"}}, ["Origin"]),
        ({"title": {"$startswith": "Desc"}}, ["Descent"]),
        ({"title": {"$startswith": "desc"}}, []),
        ({"title": {"$istartswith": "desc"}}, ["Descent"]),
        ({"title": {"$istartswith": "THE"}}, ["the voyage"]),
        ({"title": {"$endswith": "iples"}}, ["Principles"]),
        ({"title": {"$endswith": "IPLES"}}, []),
        ({"title": {"$iendswith": "IPLES"}}, ["Principles"]),
        ({"title": {"$contains": "%"}}, ["100% Pure_Geology"]),
        ({"title": {"$contains": "_"}}, ["100% Pure_Geology"]),
        ({"title": {"$contains": "0% P"}}, ["100% Pure_Geology"]),
        ({"title": {"$icontains": "E_G"}}, ["100% Pure_Geology"]),
        ({"title": {"$startswith": "1%"}}, []),
        ({"title": {"$istartswith": "_"}}, []),
        ({"title": {"$endswith": "\\"}}, []),
        # choices
        ({"genre": "science"}, ["Origin", "Principles"]),
        ({"genre": None}, ["Descent", "100% Pure_Geology"]),
        ({"genre": {"$ne": "science"}}, ["Descent", "100% Pure_Geology", "the voyage"]),
        ({"genre": {"$in": ["fiction"]}}, ["the voyage"]),
        # integers (nullable)
        ({"year": 1859}, ["Origin"]),
        ({"year": None}, ["100% Pure_Geology"]),
        ({"year": {"$ne": 1859}}, ["Descent", "Principles", "100% Pure_Geology", "the voyage"]),
        ({"year": {"$ne": None}}, ["Origin", "Descent", "Principles", "the voyage"]),
        ({"year": {"$lt": 1859}}, ["Principles", "the voyage"]),
        ({"year": {"$lte": 1859}}, ["Origin", "Principles", "the voyage"]),
        ({"year": {"$gt": 1859}}, ["Descent"]),
        ({"year": {"$gte": 1859}}, ["Origin", "Descent"]),
        ({"year": {"$gt": 1858.5}}, ["Origin", "Descent"]),
        ({"year": {"$lt": 1859.5}}, ["Origin", "Principles", "the voyage"]),
        ({"year": {"$in": [1859, 1830]}}, ["Origin", "Principles"]),
        # numbers
        ({"rating": 4.5}, ["Origin", "the voyage"]),
        ({"rating": {"$ne": 4.5}}, ["Descent", "Principles", "100% Pure_Geology"]),
        ({"rating": {"$lt": 4}}, ["Principles"]),
        ({"rating": {"$lte": 4}}, ["Descent", "Principles"]),
        ({"rating": {"$gt": 4.5}}, ["100% Pure_Geology"]),
        ({"rating": {"$gte": 4.5}}, ["Origin", "100% Pure_Geology", "the voyage"]),
        ({"rating": {"$in": [3.5, 5]}}, ["Principles", "100% Pure_Geology"]),
        # booleans
        ({"available": True}, ["Origin", "Principles", "the voyage"]),
        ({"available": {"$ne": True}}, ["Descent", "100% Pure_Geology"]),
        ({"available": {"$in": [False]}}, ["Descent", "100% Pure_Geology"]),
        # dates
        ({"published": {"$date": _ms(datetime.date(1859, 11, 24))}}, ["Origin"]),
        (
            {"published": {"$ne": {"$date": _ms(datetime.date(1859, 11, 24))}}},
            ["Descent", "Principles", "100% Pure_Geology", "the voyage"],
        ),
        ({"published": {"$lt": {"$date": _ms(datetime.date(1860, 1, 1))}}}, ["Origin"]),
        (
            {"published": {"$lte": {"$date": _ms(datetime.date(1871, 2, 24))}}},
            ["Origin", "Descent"],
        ),
        ({"published": {"$gt": {"$date": _ms(datetime.date(1859, 11, 24))}}}, ["Descent"]),
        (
            {"published": {"$gte": {"$date": _ms(datetime.date(1859, 11, 24))}}},
            ["Origin", "Descent"],
        ),
        (
            {
                "published": {
                    "$between": [
                        {"$date": _ms(datetime.date(1850, 1, 1))},
                        {"$date": _ms(datetime.date(1859, 11, 24))},
                    ]
                }
            },
            ["Origin"],
        ),
        ({"published": {"$in": [{"$date": _ms(datetime.date(1871, 2, 24))}]}}, ["Descent"]),
        # datetimes
        ({"added": {"$date": _ms(datetime.datetime(2020, 1, 1, 10))}}, ["Origin"]),
        ({"added": {"$gt": {"$date": _ms(datetime.datetime(2020, 1, 1, 10))}}}, ["Descent"]),
        (
            {"added": {"$gte": {"$date": _ms(datetime.datetime(2020, 1, 1, 10))}}},
            ["Origin", "Descent"],
        ),
        ({"added": {"$lt": {"$date": _ms(datetime.datetime(2020, 1, 2, 10))}}}, ["Origin"]),
        (
            {"added": {"$lte": {"$date": _ms(datetime.datetime(2020, 1, 2, 10))}}},
            ["Origin", "Descent"],
        ),
        (
            {"added": {"$ne": {"$date": _ms(datetime.datetime(2020, 1, 2, 10))}}},
            ["Origin", "Principles", "100% Pure_Geology", "the voyage"],
        ),
        (
            {
                "added": {
                    "$between": [
                        {"$date": _ms(datetime.datetime(2020, 1, 1, 11))},
                        {"$date": _ms(datetime.datetime(2020, 1, 3))},
                    ]
                }
            },
            ["Descent"],
        ),
        # $uri
        ({"$uri": "/book/2"}, ["Descent"]),
        ({"$uri": {"$ne": "/book/2"}}, ["Origin", "Principles", "100% Pure_Geology", "the voyage"]),
        ({"$uri": {"$in": ["/book/2", "/book/3"]}}, ["Descent", "Principles"]),
        # several conditions are ANDed
        ({"year": {"$gt": 1835}, "title": {"$icontains": "o"}}, ["Origin", "the voyage"]),
    ],
)
def test_filters(shelf_of_books: Library, where: dict[str, Any], expected: list[str]) -> None:
    lib = shelf_of_books
    lib.pw.statements = []
    response = lib.pw.get("/book", where=where)
    assert lib.titles(response) == expected
    assert len(lib.pw.statements) <= 2
    assert response.headers["X-Total-Count"] == str(len(expected))


@pytest.mark.parametrize(
    "where, expected",
    [
        ({"author": 1}, ["Origin", "Descent", "the voyage"]),
        ({"author": {"$ref": "/author/2"}}, ["Principles", "100% Pure_Geology"]),
        ({"author": ["Charles", "Lyell"]}, ["Principles", "100% Pure_Geology"]),
        ({"author": {"$eq": ["Charles", "Lyell"]}}, ["Principles", "100% Pure_Geology"]),
        ({"author": {"$ne": 1}}, ["Principles", "100% Pure_Geology"]),
        (
            {"author": {"$in": [{"$ref": "/author/2"}, ["Charles", "Nobody"], 1]}},
            ["Origin", "Descent", "Principles", "100% Pure_Geology", "the voyage"],
        ),
        ({"author": {"$in": [["Charles", "Nobody"]]}}, []),
        # a reference to a missing item matches nothing
        ({"author": 99}, []),
        ({"author": ["No", "Body"]}, []),
        (
            {"author": {"$ne": ["No", "Body"]}},
            ["Origin", "Descent", "Principles", "100% Pure_Geology", "the voyage"],
        ),
    ],
)
def test_reference_filters(
    shelf_of_books: Library, where: dict[str, Any], expected: list[str]
) -> None:
    assert shelf_of_books.titles(shelf_of_books.pw.get("/book", where=where)) == expected


def test_custom_filter_expression(lib: Library) -> None:

    class LongerThan(filters.BaseFilter):
        def value_schema(self) -> dict[str, Any]:
            return {"type": "integer"}

        def convert(self, value: Any) -> Any:
            return value

        def peewee_expression(self, model: Any, value: Any) -> Any:
            return peewee.fn.LENGTH(model.title) > value

    class LongBookResource(ModelResource):
        class Meta:
            model = lib.Book
            name = "longbook"
            filters = {"title": {"longer": LongerThan}, "*": True}
            silenced_checks = ["potion.E102"]  # read only: no field writes the author

    lib.pw.api.add_resource(LongBookResource)
    author = lib.author()
    for title, year in (
        ("Origin", 1859),
        ("Principles", 1830),
        ("the voyage", 1839),
        ("Long title", None),
    ):
        lib.book(title, author, year=year)
    response = lib.pw.get("/longbook", where={"title": {"$longer": 8}, "year": {"$ne": None}})
    assert lib.titles(response) == ["Principles", "the voyage"]
    assert lib.pw.get("/longbook", where={"title": "Origin"}).status_code == 400


def test_unicode_case_insensitive_filters(lib: Library) -> None:
    author = lib.author()
    lib.book("Éléments de géologie", author)
    lib.book("Straße", author)
    pw = lib.pw
    assert lib.titles(pw.get("/book", where={"title": {"$icontains": "ÉLÉ"}})) == [
        "Éléments de géologie"
    ]
    assert lib.titles(pw.get("/book", where={"title": {"$contains": "élé"}})) == []
    assert lib.titles(pw.get("/book", where={"title": {"$contains": "Élé"}})) == [
        "Éléments de géologie"
    ]
    assert lib.titles(pw.get("/book", where={"title": {"$iendswith": "GIE"}})) == [
        "Éléments de géologie"
    ]


def test_filter_errors(shelf_of_books: Library) -> None:
    pw = shelf_of_books.pw
    response = pw.get("/book", where={"nope": 1})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["path"] == ["where"]
    response = pw.get("/book", where={"title": {"$gt": 1}})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["path"] == ["where", "title"]
    response = pw.client.get("/book?where={bad")
    assert response.status_code == 400
    response = pw.get("/book", where={"added": {"$in": []}})
    assert response.status_code == 400  # no $in for datetimes


def test_to_many_contains_filter(shelf_of_books: Library) -> None:
    pw = shelf_of_books.pw
    assert (
        pw.post("/shelf", {"name": "science", "books": [1, 2, {"$ref": "/book/3"}]}).status_code
        == 200
    )
    assert pw.post("/shelf", {"name": "travel", "books": [5]}).status_code == 200
    assert pw.post("/shelf", {"name": "empty"}).status_code == 200
    names = lambda r: [s["name"] for s in r.get_json()]  # noqa: E731
    assert names(pw.get("/shelf", where={"books": {"$contains": 2}})) == ["science"]
    assert names(pw.get("/shelf", where={"books": {"$contains": {"$ref": "/book/5"}}})) == [
        "travel"
    ]
    assert names(pw.get("/shelf", where={"books": {"$contains": 4}})) == []
    assert names(pw.get("/shelf", where={"books": {"$contains": 99}})) == []


# -- sorting and pagination --------------------------------------------------------------


def test_sort(shelf_of_books: Library) -> None:
    lib = shelf_of_books
    pw = lib.pw
    assert lib.titles(pw.get("/book")) == [
        "Origin",
        "Descent",
        "Principles",
        "100% Pure_Geology",
        "the voyage",
    ]
    assert lib.titles(pw.get("/book", sort={"rating": False, "title": True})) == [
        "Principles",
        "Descent",
        "the voyage",
        "Origin",
        "100% Pure_Geology",
    ]
    assert lib.titles(pw.get("/book", sort={"rating": True, "$uri": True})) == [
        "100% Pure_Geology",
        "the voyage",
        "Origin",
        "Descent",
        "Principles",
    ]
    # nulls first ascending, last descending, on every database
    assert lib.titles(pw.get("/book", sort={"year": False})) == [
        "100% Pure_Geology",
        "Principles",
        "the voyage",
        "Origin",
        "Descent",
    ]
    assert lib.titles(pw.get("/book", sort={"year": True})) == [
        "Descent",
        "Origin",
        "the voyage",
        "Principles",
        "100% Pure_Geology",
    ]
    assert lib.titles(pw.get("/book", sort={"published": True, "available": False})) == [
        "Descent",
        "Origin",
        "100% Pure_Geology",
        "Principles",
        "the voyage",
    ]
    # by reference: the target's id (no sort_attribute) then the book id
    assert lib.titles(pw.get("/book", sort={"author": True})) == [
        "Principles",
        "100% Pure_Geology",
        "Origin",
        "Descent",
        "the voyage",
    ]
    response = pw.get("/book", sort={"nope": True})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["path"] == ["sort"]


def test_sort_by_reference_uses_the_target_sort_attribute(pw: PeeweeEnv) -> None:
    lib = Library(pw)
    lib.AuthorResource.meta.sort_attribute = "last_name"
    zed = lib.author("Ann", "Zed")
    abel = lib.author("Bob", "Abel")
    lib.book("A", zed)
    lib.book("B", abel)
    lib.book("C", zed)
    pw.statements = []
    assert lib.titles(pw.get("/book", sort={"author": False})) == ["B", "A", "C"]
    assert len(pw.statements) == 2
    assert lib.titles(pw.get("/book", sort={"author": True})) == ["A", "C", "B"]
    assert [a["last_name"] for a in pw.get("/author").get_json()] == ["Abel", "Zed"]


def test_pagination(shelf_of_books: Library) -> None:
    lib = shelf_of_books
    pw = lib.pw
    response = pw.get("/book", page=2, per_page=2, where={"year": {"$ne": None}})
    assert lib.titles(response) == ["Principles", "the voyage"]
    assert response.headers["X-Total-Count"] == "4"
    links = response.headers["Link"]
    assert 'rel="self"' in links and 'rel="prev"' in links and 'rel="last"' in links
    assert "where=" in links and 'rel="next"' not in links
    assert lib.titles(pw.get("/book", page=3, per_page=2)) == ["the voyage"]
    assert pw.get("/book", page=4, per_page=2).status_code == 404
    assert pw.get("/book", page=2, per_page=5).status_code == 404
    assert pw.get("/book", page=0).status_code == 400
    assert pw.get("/book", page=-1).status_code == 400
    assert pw.get("/book", per_page=0).status_code == 400
    assert pw.get("/book", page="abc").status_code == 400
    response = pw.get("/book", per_page=1000)
    assert response.status_code == 200 and len(response.get_json()) == 5
    assert "per_page=100" in response.headers["Link"]
    # page 1 of an empty list exists
    response = pw.get("/book", where={"title": "nothing"})
    assert response.status_code == 200 and response.get_json() == []
    assert response.headers["X-Total-Count"] == "0"
    assert pw.get("/book", where={"title": "nothing"}, page=2).status_code == 404


def test_list_page_runs_two_statements(lib: Library) -> None:
    pw = lib.pw
    authors = [lib.author(f"A{i}", "B") for i in range(3)]
    with pw.db.atomic():
        for i in range(25):
            lib.Book.create(title=f"T{i:02d}", author=authors[i % 3], year=1900 + i)
    pw.statements = []
    response = pw.get("/book", per_page=20)
    assert len(response.get_json()) == 20
    assert all(item["author"]["$ref"].startswith("/author/") for item in response.get_json())
    assert len(pw.statements) <= 2, pw.statements
    pw.statements = []
    response = pw.get(
        "/book", page=2, per_page=10, where={"author": {"$in": [1, 2]}}, sort={"year": True}
    )
    assert response.status_code == 200
    assert len(pw.statements) <= 2, pw.statements
    pw.statements = []
    assert pw.get("/book/1").status_code == 200
    assert len(pw.statements) == 1, pw.statements
    pw.statements = []
    assert pw.get("/author/1/books", per_page=20).status_code == 200
    assert len(pw.statements) <= 3, pw.statements  # the author, a count, the page


# -- relations -------------------------------------------------------------------------------


def test_backref_relation_routes(lib: Library) -> None:
    pw = lib.pw
    darwin = lib.author()
    lyell = lib.author("Charles", "Lyell")
    for i in range(3):
        lib.book(f"D{i}", darwin)
    lib.book("L0", lyell)
    response = pw.get(f"/author/{darwin}/books", per_page=2)
    assert response.get_json() == [{"$ref": "/book/1"}, {"$ref": "/book/2"}]
    assert response.headers["X-Total-Count"] == "3"
    assert pw.get(f"/author/{darwin}/books", page=2, per_page=2).get_json() == [{"$ref": "/book/3"}]
    assert pw.get(f"/author/{darwin}/books", page=3, per_page=2).status_code == 404
    assert pw.get("/author/99/books").status_code == 404

    response = pw.post(f"/author/{lyell}/books", {"$ref": "/book/1"})
    assert response.status_code == 200
    assert response.get_json() == {"$ref": "/book/1"}
    assert pw.rows("select author_id from book where id = 1") == [(lyell,)]
    assert pw.post(f"/author/{lyell}/books", 99).status_code == 400
    assert pw.get(f"/author/{lyell}/books").get_json() == [{"$ref": "/book/1"}, {"$ref": "/book/4"}]

    # the foreign key is NOT NULL: removing is refused and changes nothing
    response = pw.delete(f"/author/{lyell}/books/1")
    assert response.status_code == 400
    assert response.get_json() == {
        "errors": [{"path": [], "validationOf": {"required": ["author"]}}],
        "message": "A book cannot be without its author: it cannot be removed from books",
        "status": 400,
    }
    assert pw.rows("select author_id from book where id = 1") == [(lyell,)]
    assert pw.delete(f"/author/{lyell}/books/99").status_code == 404


def test_backref_remove_nullable_and_signals(pw: PeeweeEnv) -> None:
    Base = pw.base()

    class Team(Base):
        name = peewee.CharField()

    class Player(Base):
        name = peewee.CharField()
        team = peewee.ForeignKeyField(Team, null=True, backref="players")

    pw.create_tables(Team, Player)

    class PlayerResource(ModelResource):
        class Meta:
            model = Player

        class Schema:
            team = fields.ToOne("team", nullable=True)

    class TeamResource(ModelResource):
        players = Relation("player")

        class Schema:
            players = fields.ToMany("player", io="rw")

        class Meta:
            model = Team

    pw.api.add_resource(PlayerResource)
    pw.api.add_resource(TeamResource)
    events: list[tuple[str, Any]] = []

    def recorder(name: str) -> Any:
        def receive(sender: Any, item: Any, attribute: str, child: Any) -> None:
            events.append((name, child.name))

        return receive

    receivers = {
        signal: recorder(name)
        for name, signal in (
            ("before_add", signals.before_add_to_relation),
            ("after_add", signals.after_add_to_relation),
            ("before_remove", signals.before_remove_from_relation),
            ("after_remove", signals.after_remove_from_relation),
        )
    }
    for signal, receiver in receivers.items():
        signal.connect(receiver, sender=TeamResource)
    try:
        pw.post("/team", {"name": "Reds"})
        pw.post("/team", {"name": "Blues"})
        pw.post("/player", {"name": "Ann"})
        pw.post("/player", {"name": "Bob", "team": 2})
        assert pw.post("/team/1/players", 1).status_code == 200
        assert pw.rows("select team_id from player order by id") == [(1,), (2,)]
        assert pw.delete("/team/1/players/2").status_code == 204  # not a member
        assert pw.delete("/team/1/players/1").status_code == 204
        assert pw.rows("select team_id from player order by id") == [(None,), (2,)]
        assert events == [
            ("before_add", "Ann"),
            ("after_add", "Ann"),
            ("before_remove", "Bob"),
            ("before_remove", "Ann"),
            ("after_remove", "Ann"),
        ]
    finally:
        for signal, receiver in receivers.items():
            signal.disconnect(receiver, sender=TeamResource)

    # the ToMany field over the back-reference
    assert pw.get("/team/2").get_json()["players"] == [{"$ref": "/player/2"}]
    response = pw.patch("/team/2", {"players": [1]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["players"] == [{"$ref": "/player/1"}]
    assert pw.rows("select team_id from player order by id") == [(2,), (None,)]
    response = pw.post("/team", {"name": "Greens", "players": [2]})
    assert response.get_json()["players"] == [{"$ref": "/player/2"}]
    assert pw.get("/team", where={"players": {"$contains": 2}}).get_json()[0]["name"] == "Greens"


def test_many_to_many(shelf_of_books: Library) -> None:
    lib = shelf_of_books
    pw = lib.pw
    response = pw.post("/shelf", {"name": "favourites", "books": [{"$ref": "/book/2"}, 1]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["books"] == [{"$ref": "/book/1"}, {"$ref": "/book/2"}]
    assert pw.get("/shelf/1/books").get_json() == [{"$ref": "/book/1"}, {"$ref": "/book/2"}]
    assert pw.post("/shelf/1/books", {"$ref": "/book/5"}).status_code == 200
    assert pw.post("/shelf/1/books", 5).status_code == 200  # already there: no duplicate
    assert pw.count("shelf_book_through") == 3
    assert pw.get("/shelf/1/books", per_page=2).headers["X-Total-Count"] == "3"
    assert pw.delete("/shelf/1/books/1").status_code == 204
    assert pw.delete("/shelf/1/books/1").status_code == 204
    assert pw.get("/shelf/1").get_json()["books"] == [{"$ref": "/book/2"}, {"$ref": "/book/5"}]
    response = pw.patch("/shelf/1", {"books": [3]})
    assert response.get_json()["books"] == [{"$ref": "/book/3"}]
    assert pw.rows("select book_id from shelf_book_through") == [(3,)]
    assert pw.patch("/shelf/1", {"books": [3, 99]}).status_code == 400
    assert pw.rows("select book_id from shelf_book_through") == [(3,)]
    # deleting a shelf deletes its links, not the books
    assert pw.delete("/shelf/1").status_code == 204
    assert pw.count("shelf_book_through") == 0
    assert pw.count("book") == 5


def test_deleting_an_item_linked_without_a_backref_deletes_its_links(pw: PeeweeEnv) -> None:
    # the ManyToManyField is on the other side only (backref="+"): the item's
    # model does not know it, the delete still removes the links
    Base = pw.base()

    class Label(Base):
        name = peewee.CharField()

    class Crate(Base):
        name = peewee.CharField()
        labels = peewee.ManyToManyField(Label, backref="+")

    Through = Crate.labels.get_through_model()
    pw.create_tables(Label, Crate, Through)

    class LabelResource(ModelResource):
        class Meta:
            model = Label

    class CrateResource(ModelResource):
        class Meta:
            model = Crate

        class Schema:
            labels = fields.ToMany("label")

    pw.api.add_resource(LabelResource)
    pw.api.add_resource(CrateResource)
    for name in ("fragile", "heavy"):
        assert pw.post("/label", {"name": name}).status_code == 200
    assert pw.post("/crate", {"name": "a", "labels": [1, 2]}).status_code == 200
    assert pw.delete("/label/1").status_code == 204
    assert pw.get("/crate/1").get_json()["labels"] == [{"$ref": "/label/2"}]
    assert pw.rows(f"select label_id from {Through._meta.table_name}") == [(2,)]


def test_to_many_output_is_ordered(shelf_of_books: Library) -> None:
    lib = shelf_of_books
    pw = lib.pw
    pw.post("/shelf", {"name": "s"})
    for book in (5, 1, 4, 3):
        assert pw.post("/shelf/1/books", book).status_code == 200
    refs = lambda ids: [{"$ref": f"/book/{i}"} for i in ids]  # noqa: E731
    assert pw.get("/shelf/1").get_json()["books"] == refs([1, 3, 4, 5])
    assert pw.get("/shelf/1/books").get_json() == refs([1, 3, 4, 5])
    lib.BookResource.meta.sort_attribute = "title"
    assert pw.get("/shelf/1").get_json()["books"] == refs([4, 1, 3, 5])
    assert pw.get("/shelf/1/books").get_json() == refs([4, 1, 3, 5])


# -- to-many output: one statement per relation for a whole page -------------------------------


def _refs(prefix: str, ids: list[int]) -> list[dict[str, str]]:
    return [{"$ref": f"/{prefix}/{i}"} for i in ids]


@pytest.fixture
def league(pw: PeeweeEnv) -> Any:
    """25 teams with 0-3 players each, some players in no team.

    Players sort by name, then id; a team's players are named so that this order is
    not the order of their ids, and some of them have the same name.
    """
    Base = pw.base()

    class Team(Base):
        name = peewee.CharField()

    class Player(Base):
        name = peewee.CharField()
        team = peewee.ForeignKeyField(Team, null=True, backref="players")

    pw.create_tables(Team, Player)

    class PlayerResource(ModelResource):
        class Meta:
            model = Player
            sort_attribute = "name"

    class TeamResource(ModelResource):
        class Schema:
            players = fields.ToMany("player")

        class Meta:
            model = Team

    pw.api.add_resource(PlayerResource)
    pw.api.add_resource(TeamResource)
    expected: dict[int, list[tuple[str, int]]] = {}
    with pw.db.atomic():
        for i in range(1, 26):
            team = Team.create(name=f"T{i:02d}")
            expected[team.id] = []
            for k in range(i % 4):
                name = "ba"[(i + k) % 2]
                player = Player.create(name=name, team=team)
                expected[team.id].append((name, player.id))
            Player.create(name="a", team=None)
    return {
        team: _refs("player", [player for _, player in sorted(players)])
        for team, players in expected.items()
    }


def test_to_many_over_a_backref_costs_one_statement_per_page(
    pw: PeeweeEnv, league: dict[int, list[dict[str, str]]]
) -> None:
    pw.statements = []
    response = pw.get("/team", per_page=20)
    assert len(pw.statements) == 3, pw.statements  # the count, the page, the players
    body = response.get_json()
    assert [team["players"] for team in body] == [league[i] for i in range(1, 21)]
    assert any(len(team["players"]) == 3 for team in body)
    assert any(team["players"] == [] for team in body)
    pw.statements = []
    response = pw.get("/team", page=2, per_page=20, where={"name": {"$ne": "T25"}})
    assert len(pw.statements) == 3, pw.statements
    assert [team["players"] for team in response.get_json()] == [league[i] for i in range(21, 25)]
    pw.statements = []
    response = pw.get("/team", where={"name": "nobody"})
    assert response.get_json() == []
    assert len(pw.statements) == 1, pw.statements  # the count: no page, no players


def test_to_many_over_a_many_to_many_costs_one_statement_per_page(lib: Library) -> None:
    pw = lib.pw
    lib.BookResource.meta.sort_attribute = "title"

    class ShelvesOfBook(ModelResource):
        """The other side of the ManyToManyField (``Book.shelves``)."""

        class Schema:
            shelves = fields.ToMany("shelf", io="r")

        class Meta:
            model = lib.Book
            name = "book_shelves"
            include_fields = ("title",)
            silenced_checks = ["potion.E102"]  # read only: no field writes the author

    pw.api.add_resource(ShelvesOfBook)
    author = lib.author()
    titles = ["b", "a", "c", "a", "b", "d"]
    with pw.db.atomic():
        books = [lib.Book.create(title=f"{t}{i}", author=author) for i, t in enumerate(titles)]
        for i in range(1, 26):
            shelf = lib.Shelf.create(name=f"S{i:02d}")
            shelf.books.add([books[(i + k) % 6] for k in range(i % 5)])
    by_title = sorted(books, key=lambda book: (book.title, book.id))
    expected = {
        shelf: [
            book.id
            for book in by_title
            if book in [books[(shelf + k) % 6] for k in range(shelf % 5)]
        ]
        for shelf in range(1, 26)
    }
    pw.statements = []
    response = pw.get("/shelf", per_page=20)
    assert len(pw.statements) == 3, pw.statements  # the count, the page, through ⋈ book
    body = response.get_json()
    assert [shelf["books"] for shelf in body] == [_refs("book", expected[i]) for i in range(1, 21)]
    assert any(shelf["books"] == [] for shelf in body)
    lib.BookResource.meta.sort_attribute = None  # then by id alone
    pw.statements = []
    response = pw.get("/shelf", page=2, per_page=20)
    assert len(pw.statements) == 3, pw.statements
    assert [shelf["books"] for shelf in response.get_json()] == [
        _refs("book", sorted(expected[i])) for i in range(21, 26)
    ]
    # the other side: each book's shelves, by the shelf's id
    pw.statements = []
    response = pw.get("/book_shelves", per_page=20)
    assert len(pw.statements) == 3, pw.statements
    for item in response.get_json():
        book = next(b for b in books if b.title == item["title"])
        shelves = [s for s in range(1, 26) if book.id in expected[s]]
        assert item["shelves"] == _refs("shelf", shelves)


def test_to_many_output_of_one_backref_item(
    pw: PeeweeEnv, league: dict[int, list[dict[str, str]]]
) -> None:
    for team in (1, 3, 4):
        pw.statements = []
        response = pw.get(f"/team/{team}")
        assert len(pw.statements) == 2, pw.statements  # the team, its players
        assert response.get_json()["players"] == league[team]
    pw.statements = []
    assert pw.get("/team/99").status_code == 404
    assert len(pw.statements) == 1, pw.statements


def test_to_many_output_of_one_many_to_many_item(shelf_of_books: Library) -> None:
    lib = shelf_of_books
    pw = lib.pw
    pw.post("/shelf", {"name": "s", "books": [5, 1, 4]})
    pw.post("/shelf", {"name": "empty"})
    lib.BookResource.meta.sort_attribute = "title"
    pw.statements = []
    assert pw.get("/shelf/1").get_json()["books"] == _refs("book", [4, 1, 5])
    assert len(pw.statements) == 2, pw.statements  # the shelf, through ⋈ book
    pw.statements = []
    assert pw.get("/shelf/2").get_json()["books"] == []
    assert len(pw.statements) == 2, pw.statements


def test_natural_keys(lib: Library) -> None:
    pw = lib.pw
    lib.author()
    response = pw.post("/book", {"title": "Origin", "author": ["Charles", "Darwin"]})
    assert response.status_code == 200
    assert response.get_json()["author"] == {"$ref": "/author/1"}
    response = pw.post("/book", {"title": "Other", "author": ["Charles", "Nobody"]})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["path"] == ["author"]
    pw.post("/shelf", {"name": "top"})
    assert pw.post("/shelf/1/books", {"$ref": "/book/1"}).status_code == 200
    assert pw.post("/shelf", {"name": "second", "books": [1]}).status_code == 200
    assert pw.get("/shelf", where={"name": "top"}).get_json()[0]["books"] == [{"$ref": "/book/1"}]


# -- signals and transactions ------------------------------------------------------------------


class Boom(Exception):
    pass


@pytest.mark.parametrize(
    "signal, request_",
    [
        (signals.before_create, ("post", "/book", {"title": "New", "author": 1})),
        (signals.after_create, ("post", "/book", {"title": "New", "author": 1})),
        (signals.before_update, ("patch", "/book/1", {"title": "Changed"})),
        (signals.after_update, ("patch", "/book/1", {"title": "Changed"})),
        (signals.before_delete, ("delete", "/book/1", None)),
        (signals.after_delete, ("delete", "/book/1", None)),
    ],
)
def test_signal_errors_roll_back(lib: Library, signal: Any, request_: tuple[str, str, Any]) -> None:
    pw = lib.pw
    lib.author()
    lib.book("Origin", 1)
    before = lib.table()

    def receiver(sender: Any, **kwargs: Any) -> None:
        raise Boom()

    signal.connect(receiver, sender=lib.BookResource)
    try:
        method, url, body = request_
        response = getattr(pw, method)(url, body) if body is not None else getattr(pw, method)(url)
    finally:
        signal.disconnect(receiver, sender=lib.BookResource)
    assert response.status_code == 500
    assert response.get_json()["status"] == 500
    assert lib.table() == before


@pytest.mark.parametrize(
    "signal", [signals.after_add_to_relation, signals.after_remove_from_relation]
)
def test_relation_signal_errors_roll_back(shelf_of_books: Library, signal: Any) -> None:
    lib = shelf_of_books
    pw = lib.pw
    pw.post("/shelf", {"name": "s", "books": [1]})

    def receiver(sender: Any, **kwargs: Any) -> None:
        raise Boom()

    signal.connect(receiver, sender=lib.ShelfResource)
    try:
        if signal is signals.after_add_to_relation:
            response = pw.post("/shelf/1/books", 2)
        else:
            response = pw.delete("/shelf/1/books/1")
    finally:
        signal.disconnect(receiver, sender=lib.ShelfResource)
    assert response.status_code == 500
    assert pw.rows("select book_id from shelf_book_through order by book_id") == [(1,)]


def test_signals_see_the_write_inside_the_transaction(lib: Library) -> None:
    pw = lib.pw
    lib.author()
    seen: list[Any] = []

    def before_create(sender: Any, item: Any) -> None:
        seen.append(("before_create", item.id, item.title))
        item.rating = 1.0  # a receiver may change the item

    def after_create(sender: Any, item: Any) -> None:
        seen.append(("after_create", item.id, pw.rows("select count(*) from book")[0][0]))

    def before_update(sender: Any, item: Any, changes: dict[str, Any]) -> None:
        seen.append(("before_update", changes))
        if changes:
            item.rating = 2.0  # saved along with the changes

    def after_update(sender: Any, item: Any, changes: dict[str, Any]) -> None:
        seen.append(("after_update", changes))

    connections = [
        (signals.before_create, before_create),
        (signals.after_create, after_create),
        (signals.before_update, before_update),
        (signals.after_update, after_update),
    ]
    for signal, receiver in connections:
        signal.connect(receiver, sender=lib.BookResource)
    try:
        response = pw.post("/book", {"title": "Origin", "author": 1})
        assert response.get_json()["rating"] == 1.0
        pw.statements = []
        response = pw.patch("/book/1", {"title": "Origin", "year": 1859, "author": 1})
        assert response.get_json()["rating"] == 2.0
        pw.statements = []
        response = pw.patch("/book/1", {"title": "Origin"})
    finally:
        for signal, receiver in connections:
            signal.disconnect(receiver, sender=lib.BookResource)
    assert not [s for s in pw.statements if s.lower().startswith("update")]
    assert seen[0] == ("before_create", None, "Origin")
    assert seen[1][0] == "after_create" and seen[1][1] == 1
    assert seen[2:] == [
        ("before_update", {"year": 1859}),
        ("after_update", {"year": 1859}),
        ("before_update", {}),
        ("after_update", {}),
    ]
    assert pw.rows("select rating, year from book") == [(2.0, 1859)]


def test_writes_join_an_outer_transaction(lib: Library) -> None:
    pw = lib.pw
    lib.author()
    manager = lib.BookResource.manager
    with pw.app.test_request_context():
        with pytest.raises(Boom):
            with pw.db.atomic():
                manager.create({"title": "Inside", "author": lib.Author.get_by_id(1)})
                assert pw.count("book") == 1
                raise Boom()
        assert pw.count("book") == 0
        with manager.transaction():
            # an id the column cannot hold is a miss, and does not spoil the transaction
            for bad in (2**40, 2**70, "abc", 1.5):
                with pytest.raises(ItemNotFound):
                    manager.read(bad)
            manager.create({"title": "A", "author": lib.Author.get_by_id(1)})
            manager.create({"title": "B", "author": lib.Author.get_by_id(1)})
        assert pw.count("book") == 2
        # commit=False leaves the write to an explicit commit()
        manager.create({"title": "C", "author": lib.Author.get_by_id(1)}, commit=False)
        assert pw.db.in_transaction()
        manager.commit()
        assert not pw.db.in_transaction()
        assert pw.count("book") == 3


# -- integrity errors --------------------------------------------------------------------------


def test_unique_violations_are_409(lib: Library) -> None:
    pw = lib.pw
    lib.author()
    lib.book("Origin", 1)
    lib.book("Descent", 1)
    before = lib.table()
    response = pw.post("/book", {"title": "Origin", "author": 1})
    assert response.status_code == 409
    assert response.get_json() == {
        "errors": [{"path": ["title"], "validationOf": {"unique": True}}],
        "message": "An item with this title already exists",
        "status": 409,
    }
    response = pw.patch("/book/2", {"title": "Origin"})
    assert response.status_code == 409
    assert response.get_json()["errors"] == [{"path": ["title"], "validationOf": {"unique": True}}]
    assert lib.table() == before

    response = pw.post("/author", {"first_name": "Charles", "last_name": "Darwin"})
    assert response.status_code == 409
    assert sorted(e["path"][0] for e in response.get_json()["errors"]) == [
        "first_name",
        "last_name",
    ]
    assert pw.count("author") == 1


def test_not_null_and_foreign_key_violations_are_400(lib: Library) -> None:
    pw = lib.pw
    lib.author()
    lib.book("Origin", 1)
    before = lib.table()

    def null_title(sender: Any, item: Any, **kwargs: Any) -> None:
        item.title = None

    signals.before_create.connect(null_title, sender=lib.BookResource)
    try:
        response = pw.post("/book", {"title": "x", "author": 1})
    finally:
        signals.before_create.disconnect(null_title, sender=lib.BookResource)
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        {"path": ["title"], "validationOf": {"required": ["title"]}}
    ]

    def dangling(sender: Any, item: Any, **kwargs: Any) -> None:
        item.author_id = 999

    signals.before_update.connect(dangling, sender=lib.BookResource)
    try:
        response = pw.patch("/book/1", {"year": 1})
    finally:
        signals.before_update.disconnect(dangling, sender=lib.BookResource)
    assert response.status_code == 400
    body = response.get_json()
    assert body["message"] == "A reference points to an item that does not exist"
    assert body["errors"] == [{"path": ["author"], "validationOf": {"$ref": "author"}}]
    assert lib.table() == before


def test_deleting_a_referenced_item_is_409(lib: Library) -> None:
    pw = lib.pw
    lib.author()
    lib.book("Origin", 1)
    response = pw.delete("/author/1")
    assert response.status_code == 409
    assert response.get_json()["errors"] == [{"path": [], "validationOf": {"referencedBy": "book"}}]
    assert pw.count("author") == 1 and pw.count("book") == 1


def test_item_routes_and_custom_routes(lib: Library) -> None:
    pw = lib.pw

    class AuthorWithRoute(ModelResource):
        class Meta:
            model = lib.Author
            name = "writer"

        @ItemRoute.GET
        def greeting(self, author: Any) -> fields.String():
            return f"Hello {author.first_name}"

    pw.api.add_resource(AuthorWithRoute)
    lib.author()
    assert pw.get("/writer/1/greeting").get_json() == "Hello Charles"
    assert pw.get("/writer/2/greeting").status_code == 404
