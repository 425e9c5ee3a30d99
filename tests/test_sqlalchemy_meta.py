"""Fields inferred from SQLAlchemy columns (checked through /schema) and each ``Meta``
option of a SQLAlchemy ModelResource, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import enum
import uuid

import pytest
import sqlalchemy as sa

from potion import ModelResource, fields

from . import sqla_env

database = sqla_env.database  # the fixtures this module uses
sqla = sqla_env.sqla

DATE = {
    "type": "object",
    "properties": {"$date": {"type": "integer"}},
    "additionalProperties": False,
    "required": ["$date"],
}
UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def nullable(schema):
    schema = dict(schema)
    schema["type"] = [schema["type"], "null"]
    if "enum" in schema:
        schema["enum"] = schema["enum"] + [None]
    return schema


class Colour(enum.Enum):
    red = 1
    green = 2


# -- column types -----------------------------------------------------------------------


@pytest.fixture
def samples(sqla):
    db = sqla.db

    class Sample(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        code = db.Column(db.String(12), nullable=False)
        label = db.Column(db.String(30), nullable=True, default="none")
        body = db.Column(db.Text)
        n = db.Column(db.Integer, nullable=False, default=3)
        big = db.Column(db.BigInteger)
        amount = db.Column(db.Numeric(10, 2))
        ratio = db.Column(db.Float, nullable=False)
        active = db.Column(db.Boolean, nullable=False, default=True)
        born = db.Column(db.Date)
        seen = db.Column(db.DateTime)
        at = db.Column(db.DateTime(timezone=True))
        colour = db.Column(db.Enum(Colour))
        size = db.Column(db.Enum("S", "M", "L", name="size"), nullable=False)
        data = db.Column(db.JSON)
        token = db.Column(db.Uuid)
        created = db.Column(db.DateTime, nullable=False, server_default=sa.func.now())
        touched = db.Column(db.DateTime, nullable=False, default=sa.func.now())

    class SampleResource(ModelResource):
        class Meta:
            model = Sample

    sqla.api.add_resource(SampleResource)
    sqla.create_all()
    return sqla


EXPECTED_PROPERTIES = {
    "$uri": {"type": "string", "pattern": "^/sample\\/[^/]+$", "readOnly": True},
    "code": {"type": "string", "maxLength": 12},
    "label": {"type": ["string", "null"], "maxLength": 30, "default": "none"},
    "body": {"type": ["string", "null"]},
    "n": {"type": "integer", "default": 3},
    "big": {"type": ["integer", "null"]},
    "amount": {"type": ["number", "null"]},
    "ratio": {"type": "number"},
    "active": {"type": "boolean", "default": True},
    "born": nullable(DATE),
    "seen": nullable(DATE),
    "at": nullable(DATE),
    "colour": {"type": ["string", "null"], "enum": ["red", "green", None]},
    "size": {"type": "string", "enum": ["S", "M", "L"]},
    "data": {"type": ["null", "string", "number", "boolean", "object", "array"]},
    "token": {
        "type": ["string", "null"],
        "minLength": 36,
        "maxLength": 36,
        "pattern": UUID_PATTERN,
    },
    "created": DATE,
    "touched": DATE,
}


def test_column_types_become_fields(samples):
    schema = samples.get("/sample/schema").json
    assert schema["properties"] == EXPECTED_PROPERTIES
    # the primary key and nothing else is read-only
    assert [k for k, v in schema["properties"].items() if v.get("readOnly")] == ["$uri"]


def test_update_link_lists_every_writable_column(samples):
    schema = samples.get("/sample/schema").json
    (update,) = [link for link in schema["links"] if link["rel"] == "update"]
    expected = {k: v for k, v in EXPECTED_PROPERTIES.items() if k != "$uri"}
    assert update["schema"] == {
        "type": "object",
        "additionalProperties": False,
        "properties": expected,
    }


def test_required_fields_are_the_not_null_columns_without_defaults(samples):
    response = samples.post("/sample", {})
    assert response.status_code == 400
    (error,) = response.json["errors"]
    assert error["path"] == []
    assert sorted(error["validationOf"]["required"]) == ["code", "ratio", "size"]


def test_values_of_every_type_round_trip(samples):
    body = {
        "code": "x1",
        "body": "a long text " * 50,
        "big": 2**40,
        "amount": 1.25,
        "ratio": 0.5,
        "active": False,
        "born": {"$date": 0},
        "seen": {"$date": 1234567890000},
        "at": {"$date": 1234567891000},
        "colour": "green",
        "size": "M",
        "data": {"a": [1, None, "x"], "b": {"c": True}},
        "token": "123e4567-e89b-12d3-a456-426614174000",
    }
    response = samples.post("/sample", body)
    assert response.status_code == 200, response.json
    created = response.json
    assert {k: created[k] for k in body} == body
    assert created["n"] == 3
    assert created["label"] == "none"
    assert isinstance(created["created"]["$date"], int)
    assert isinstance(created["touched"]["$date"], int)
    assert samples.get("/sample/1").json == created
    assert samples.get("/sample").json == [created]
    assert samples.rows("select code, n, big, active from sample") == [("x1", 3, 2**40, False)]


def test_values_are_validated_by_the_inferred_schema(samples):
    base = {"code": "x", "ratio": 1, "size": "S"}
    for key, value in [
        ("code", "x" * 13),
        ("n", 1.5),
        ("big", "1"),
        ("amount", "1.5"),
        ("active", "yes"),
        ("born", "2020-01-01"),
        ("colour", "blue"),
        ("size", "XL"),
        ("token", "not-a-uuid"),
    ]:
        response = samples.post("/sample", dict(base, **{key: value}))
        assert response.status_code == 400, key
        assert response.json["errors"][0]["path"] == [key]
    assert samples.count("sample") == 0


# -- identity: id_attribute, id_converter, include_id, include_type ---------------------


@pytest.fixture
def pages(sqla):
    db = sqla.db

    class Page(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        slug = db.Column(db.String(40), unique=True, nullable=False)
        title = db.Column(db.String(100), nullable=False)

    class Comment(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        page_id = db.Column(db.Integer, db.ForeignKey(Page.id), nullable=False)
        page = db.relationship(Page)
        text = db.Column(db.String(100), nullable=False)

    class PageResource(ModelResource):
        class Meta:
            model = Page
            id_attribute = "slug"
            include_id = True
            include_type = True

    class CommentResource(ModelResource):
        class Meta:
            model = Comment

        class Schema:
            page = fields.ToOne("page")

    sqla.api.add_resource(PageResource)
    sqla.api.add_resource(CommentResource)
    sqla.create_all()
    sqla.Page, sqla.Comment = Page, Comment
    return sqla


def test_id_attribute_names_items_by_another_column(pages):
    response = pages.post("/page", {"slug": "home", "title": "Home"})
    assert response.status_code == 200, response.json
    assert response.json == {"$id": "home", "$type": "page", "slug": "home", "title": "Home"}
    assert response.headers["Location"] == "/page/home"
    assert pages.get("/page/home").json == response.json
    assert pages.get("/page").json == [response.json]
    assert pages.patch("/page/home", {"title": "Start"}).json["title"] == "Start"
    missing = pages.get("/page/nowhere")
    assert missing.status_code == 404
    assert missing.json["item"] == {"$id": "nowhere", "$type": "page"}
    assert pages.delete("/page/home").status_code == 204
    assert pages.count("page") == 0


def test_include_id_and_include_type_in_the_schema(pages):
    properties = pages.get("/page/schema").json["properties"]
    assert properties["$id"] == {"type": "string", "maxLength": 40, "readOnly": True}
    assert properties["$type"] == {"type": "string", "enum": ["page"], "readOnly": True}
    assert "$uri" not in properties
    # the id column stays writable (it is not the primary key)
    assert properties["slug"] == {"type": "string", "maxLength": 40}


def test_references_to_a_resource_with_its_own_id_attribute(pages):
    pages.add(pages.Page(slug="home", title="Home"), pages.Page(slug="about", title="About"))
    response = pages.post("/comment", {"page": {"$ref": "/page/about"}, "text": "hi"})
    assert response.status_code == 200, response.json
    assert response.json["page"] == {"$ref": "/page/about"}
    assert pages.post("/comment", {"page": "home", "text": "yo"}).json["page"] == {
        "$ref": "/page/home"
    }
    assert pages.post("/comment", {"page": "nowhere", "text": "x"}).status_code == 400
    assert pages.get("/comment/1").json["page"] == {"$ref": "/page/about"}
    assert [c["page"] for c in pages.get("/comment").json] == [
        {"$ref": "/page/about"},
        {"$ref": "/page/home"},
    ]
    listed = pages.get("/comment", query_string={"where": '{"page": {"$ref": "/page/home"}}'})
    assert [c["text"] for c in listed.json] == ["yo"]
    listed = pages.get("/comment", query_string={"where": '{"page": "about"}'})
    assert [c["text"] for c in listed.json] == ["hi"]
    listed = pages.get("/comment", query_string={"where": '{"page": {"$in": ["about", "home"]}}'})
    assert [c["text"] for c in listed.json] == ["hi", "yo"]
    listed = pages.get("/comment", query_string={"where": '{"page": {"$ne": "about"}}'})
    assert [c["text"] for c in listed.json] == ["yo"]
    listed = pages.get("/comment", query_string={"sort": '{"page": false}'})
    assert [c["text"] for c in listed.json] == ["hi", "yo"]


@pytest.fixture
def tokens(sqla):
    db = sqla.db

    class Token(db.Model):
        id = db.Column(db.Uuid, primary_key=True, default=uuid.uuid4)
        label = db.Column(db.String(20), nullable=False)

    class Code(db.Model):
        code = db.Column(db.String(8), primary_key=True)
        label = db.Column(db.String(20), nullable=False)

    class TokenResource(ModelResource):
        class Meta:
            model = Token

    class CodeResource(ModelResource):
        class Meta:
            model = Code
            id_converter = "path"

        class Schema:  # a primary key the client chooses is declared, never inferred
            code = fields.String(max_length=8, io="rc")

    sqla.api.add_resource(TokenResource)
    sqla.api.add_resource(CodeResource)
    sqla.create_all()
    return sqla


def test_uuid_primary_key(tokens):
    response = tokens.post("/token", {"label": "a"})
    assert response.status_code == 200, response.json
    uri = response.json["$uri"]
    token = uri.rsplit("/", 1)[1]
    assert str(uuid.UUID(token)) == token
    assert tokens.get(uri).json == {"$uri": uri, "label": "a"}
    assert tokens.patch(uri, {"label": "b"}).json["label"] == "b"
    assert tokens.get("/token/not-a-uuid").status_code == 404
    assert tokens.get(f"/token/{uuid.uuid4()}").status_code == 404
    schema = tokens.get("/token/schema").json
    (self_link,) = [link for link in schema["links"] if link["rel"] == "self"]
    assert self_link["href"] == "/token/{id}"
    assert tokens.delete(uri).status_code == 204
    assert tokens.count("token") == 0


def test_string_primary_key_and_id_converter(tokens):
    response = tokens.post("/code", {"label": "x"})
    assert response.status_code == 400  # a key the database does not number is required
    response = tokens.post("/code", {"code": "ab-1", "label": "x"})
    assert response.status_code == 200, response.json
    assert response.json == {"$uri": "/code/ab-1", "code": "ab-1", "label": "x"}
    schema = tokens.get("/code/schema").json
    assert schema["properties"]["code"] == {"type": "string", "maxLength": 8}
    (update,) = [link for link in schema["links"] if link["rel"] == "update"]
    assert "code" not in update["schema"]["properties"]
    assert tokens.patch("/code/ab-1", {"code": "zz"}).status_code == 400
    rules = {rule.rule for rule in tokens.app.url_map.iter_rules() if rule.endpoint == "code_self"}
    assert rules == {"/code/<path:id>"}
    assert tokens.get("/code/ab-1").json["label"] == "x"
    assert tokens.get("/code/zz").status_code == 404


# -- io options: read_only_fields, write_only_fields, required_fields ------------------------


@pytest.fixture
def accounts(sqla):
    db = sqla.db

    class Account(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        username = db.Column(db.String(40), nullable=False, unique=True)
        password = db.Column(db.String(100), nullable=False)
        email = db.Column(db.String(100), nullable=True)
        score = db.Column(db.Integer, nullable=True, default=0)
        secret_note = db.Column(db.String(20), nullable=True)
        internal = db.Column(db.String(20), nullable=True)

    class AccountResource(ModelResource):
        class Meta:
            model = Account
            read_only_fields = ["score"]
            write_only_fields = ["password"]
            required_fields = ["email"]
            exclude_fields = ["internal"]

        class Schema:
            secret_note = fields.String(nullable=True)

        class Meta2:
            pass

    class AccountResource2(ModelResource):
        class Meta:
            model = Account
            name = "profile"
            include_fields = ["username", "email"]
            silenced_checks = ["potion.E102"]  # read only: no field writes the password

    sqla.api.add_resource(AccountResource)
    sqla.api.add_resource(AccountResource2)
    sqla.create_all()
    sqla.Account = Account
    return sqla


def test_read_write_only_required_and_excluded_fields_in_the_schema(accounts):
    schema = accounts.get("/account/schema").json
    assert schema["properties"] == {
        "$uri": {"type": "string", "pattern": "^/account\\/[^/]+$", "readOnly": True},
        "username": {"type": "string", "maxLength": 40},
        "email": {"type": ["string", "null"], "maxLength": 100},
        "score": {"type": ["integer", "null"], "default": 0, "readOnly": True},
        "secret_note": {"type": ["string", "null"]},
    }
    (update,) = [link for link in schema["links"] if link["rel"] == "update"]
    assert sorted(update["schema"]["properties"]) == [
        "email",
        "password",
        "secret_note",
        "username",
    ]


def test_io_options_on_the_wire(accounts):
    response = accounts.post("/account", {"username": "ann", "password": "pw"})
    assert response.status_code == 400
    assert response.json["errors"] == [
        {"path": [], "validationOf": {"required": ["username", "password", "email"]}}
    ]

    response = accounts.post(
        "/account", {"username": "ann", "password": "pw", "email": None, "score": 5}
    )
    assert response.status_code == 400  # score is read-only
    response = accounts.post(
        "/account", {"username": "ann", "password": "pw", "email": None, "internal": "x"}
    )
    assert response.status_code == 400  # internal is excluded

    response = accounts.post("/account", {"username": "ann", "password": "pw", "email": None})
    assert response.status_code == 200, response.json
    assert response.json == {
        "$uri": "/account/1",
        "username": "ann",
        "email": None,
        "score": 0,
        "secret_note": None,
    }
    assert accounts.get("/account/1").json == response.json
    assert accounts.get("/account").json == [response.json]
    assert accounts.patch("/account/1", {"password": "new"}).status_code == 200
    assert accounts.patch("/account/1", {"score": 3}).status_code == 400
    assert accounts.rows("select username, password, score, internal from account") == [
        ("ann", "new", 0, None)
    ]


def test_include_fields_and_explicit_name(accounts):
    accounts.add(accounts.Account(username="bob", password="x", email="b@example.com"))
    schema = accounts.get("/profile/schema").json
    assert sorted(schema["properties"]) == ["$uri", "email", "username"]
    assert accounts.get("/profile/1").json == {
        "$uri": "/profile/1",
        "email": "b@example.com",
        "username": "bob",
    }
    # the table name is not used when Meta.name is given
    assert accounts.get("/account/1").status_code == 200
    assert set(accounts.api.resources) == {"account", "profile"}


# -- names --------------------------------------------------------------------------------


def test_name_comes_from_the_table_name(sqla):
    db = sqla.db

    class BookTitle(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        text = db.Column(db.String(20))

    class Tagged(db.Model):
        __tablename__ = "labels"
        id = db.Column(db.Integer, primary_key=True)
        text = db.Column(db.String(20))

    class TitleResource(ModelResource):
        class Meta:
            model = BookTitle

    class LabelResource(ModelResource):
        class Meta:
            model = Tagged

    class NamedResource(ModelResource):
        class Meta:
            model = Tagged
            name = "tag"

    for resource in (TitleResource, LabelResource, NamedResource):
        sqla.api.add_resource(resource)
    sqla.create_all()
    assert TitleResource.meta.name == "book_title"
    assert LabelResource.meta.name == "labels"
    assert NamedResource.meta.name == "tag"
    assert sqla.post("/book_title", {"text": "a"}).json == {"$uri": "/book_title/1", "text": "a"}
    assert sqla.get("/labels").status_code == 200
    assert sqla.post("/tag", {"text": "b"}).json == {"$uri": "/tag/1", "text": "b"}
    assert sqla.get("/labels/1").json == {"$uri": "/labels/1", "text": "b"}
    assert set(sqla.get("/schema").json["properties"]) == {"book_title", "labels", "tag"}


# -- sort_attribute and filters -------------------------------------------------------------


def test_sort_attribute_sets_the_default_order(sqla):
    db = sqla.db

    class City(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(20), nullable=False)
        people = db.Column(db.Integer, nullable=False)

    class CityResource(ModelResource):
        class Meta:
            model = City
            sort_attribute = "name"

    class BigCityResource(ModelResource):
        class Meta:
            model = City
            name = "big_city"
            sort_attribute = ("people", True)

    sqla.api.add_resource(CityResource)
    sqla.api.add_resource(BigCityResource)
    sqla.create_all()
    sqla.add(City(name="Oslo", people=7), City(name="Bern", people=1), City(name="Lima", people=10))
    assert [c["name"] for c in sqla.get("/city").json] == ["Bern", "Lima", "Oslo"]
    assert [c["name"] for c in sqla.get("/big_city").json] == ["Lima", "Oslo", "Bern"]
    # an explicit sort wins
    assert [c["name"] for c in sqla.get('/city?sort={"people": false}').json] == [
        "Bern",
        "Oslo",
        "Lima",
    ]


def test_filters_option_limits_the_where_fields(sqla):
    db = sqla.db

    class Note(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(20), nullable=False)
        body = db.Column(db.String(20), nullable=False)

    class NoteResource(ModelResource):
        class Meta:
            model = Note
            filters = {"title": ["eq", "startswith"], "*": False}

    sqla.api.add_resource(NoteResource)
    sqla.create_all()
    sqla.add(Note(title="ab", body="x"), Note(title="cd", body="y"))
    assert [n["title"] for n in sqla.get('/note?where={"title": {"$startswith": "a"}}').json] == [
        "ab"
    ]
    assert sqla.get('/note?where={"title": {"$contains": "a"}}').status_code == 400
    assert sqla.get('/note?where={"body": "x"}').status_code == 400


def test_composite_primary_key_needs_an_id_attribute(sqla):
    db = sqla.db

    class Pair(db.Model):
        a = db.Column(db.Integer, primary_key=True)
        b = db.Column(db.Integer, primary_key=True)
        code = db.Column(db.String(10), unique=True, nullable=False)

    class PairResource(ModelResource):
        class Meta:
            model = Pair
            name = "pair"

    with pytest.raises(RuntimeError, match="composite primary key"):
        sqla.api.add_resource(PairResource)

    class CodedPairResource(ModelResource):
        class Meta:
            model = Pair
            name = "pair"
            id_attribute = "code"

        class Schema:  # primary-key columns are never inferred: declared to be shown
            a = fields.Integer(io="rc")
            b = fields.Integer(io="rc")

    sqla.api.add_resource(CodedPairResource)
    sqla.create_all()
    sqla.add(Pair(a=1, b=2, code="one-two"))
    assert sqla.get("/pair/one-two").json == {
        "$uri": "/pair/one-two",
        "a": 1,
        "b": 2,
        "code": "one-two",
    }


def test_columns_without_a_json_form_are_not_inferred(sqla):
    db = sqla.db

    class Lower(sa.types.TypeDecorator):
        impl = sa.String(20)
        cache_ok = True

        def process_bind_param(self, value, dialect):
            return None if value is None else value.lower()

    class Blob(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(Lower, nullable=False)
        data = db.Column(db.LargeBinary)
        wait = db.Column(db.Interval)

    class BlobResource(ModelResource):
        class Meta:
            model = Blob

        class Schema:
            wait_seconds = fields.Number(attribute="wait_seconds", io="r", nullable=True)

    Blob.wait_seconds = property(lambda self: self.wait and self.wait.total_seconds())
    sqla.api.add_resource(BlobResource)
    sqla.create_all()
    properties = sqla.get("/blob/schema").json["properties"]
    assert sorted(properties) == ["$uri", "name", "wait_seconds"]
    assert properties["name"] == {"type": "string", "maxLength": 20}
    response = sqla.post("/blob", {"name": "MiXed"})
    assert response.status_code == 200, response.json
    assert sqla.get("/blob/1").json == {"$uri": "/blob/1", "name": "mixed", "wait_seconds": None}
    assert sqla.get("/blob").json == [{"$uri": "/blob/1", "name": "mixed", "wait_seconds": None}]


def test_references_written_as_natural_keys(sqla):
    from potion.natural_keys import PropertyKey, RefKey

    db = sqla.db

    class Country(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        code = db.Column(db.String(2), nullable=False, unique=True)

    class City(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(20), nullable=False)
        country_id = db.Column(db.Integer, db.ForeignKey(Country.id), nullable=False)
        country = db.relationship(Country)

    class CountryResource(ModelResource):
        class Meta:
            model = Country
            key_converters = (PropertyKey("code"), RefKey())

    class CityResource(ModelResource):
        class Meta:
            model = City

        class Schema:
            country = fields.ToOne("country")

    sqla.api.add_resource(CountryResource)
    sqla.api.add_resource(CityResource)
    sqla.create_all()
    sqla.add(Country(code="NO"), Country(code="PE"))
    response = sqla.post("/city", {"name": "Lima", "country": "PE"})
    assert response.status_code == 200, response.json
    assert response.json["country"] == "PE"
    assert (
        sqla.post("/city", {"name": "Oslo", "country": {"$ref": "/country/1"}}).status_code == 200
    )
    assert sqla.get("/city/1").json == {"$uri": "/city/1", "country": "PE", "name": "Lima"}
    assert [c["country"] for c in sqla.get("/city").json] == ["PE", "NO"]
    assert [c["name"] for c in sqla.get('/city?where={"country": "NO"}').json] == ["Oslo"]
