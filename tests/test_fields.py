"""Fields: the JSON Schema each one publishes, format/convert, and the field options
(nullable, default, attribute, io) as seen through the API on the memory backend."""

from __future__ import annotations

import datetime
import uuid

import pytest
from flask import Flask

from potion import Api, ModelResource, fields
from potion.backends.memory import MemoryManager
from potion.exceptions import ValidationError

UTC = datetime.UTC
DATE_SCHEMA = {
    "type": "object",
    "properties": {"$date": {"type": "integer"}},
    "additionalProperties": False,
    "required": ["$date"],
}
UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


# -- the JSON Schema of every field type ----------------------------------------

SCHEMAS = [
    pytest.param(lambda: fields.Raw({"type": "integer"}), {"type": "integer"}, None, id="raw"),
    pytest.param(
        lambda: fields.Raw(({"type": "string"}, {"type": "integer"})),
        {"type": "string"},
        {"type": "integer"},
        id="raw-read-write-pair",
    ),
    pytest.param(
        lambda: fields.Raw(lambda: {"type": "boolean"}), {"type": "boolean"}, None, id="raw-lazy"
    ),
    pytest.param(
        lambda: fields.Raw(fields.Integer(minimum=3)),
        {"type": "integer", "minimum": 3},
        None,
        id="raw-from-schema",
    ),
    pytest.param(
        lambda: fields.Any(),
        {"type": ["null", "string", "number", "boolean", "object", "array"]},
        None,
        id="any",
    ),
    pytest.param(lambda: fields.String(), {"type": "string"}, None, id="string"),
    pytest.param(
        lambda: fields.String(min_length=2, max_length=5, pattern="^[a-z]+$", format="hostname"),
        {
            "type": "string",
            "minLength": 2,
            "maxLength": 5,
            "pattern": "^[a-z]+$",
            "format": "hostname",
        },
        None,
        id="string-options",
    ),
    pytest.param(
        lambda: fields.String(enum=["red", "green"]),
        {"type": "string", "enum": ["red", "green"]},
        None,
        id="string-enum",
    ),
    pytest.param(
        lambda: fields.UUID(),
        {"type": "string", "minLength": 36, "maxLength": 36, "pattern": UUID_PATTERN},
        None,
        id="uuid",
    ),
    pytest.param(lambda: fields.Uri(), {"type": "string", "format": "uri"}, None, id="uri"),
    pytest.param(lambda: fields.Email(), {"type": "string", "format": "email"}, None, id="email"),
    pytest.param(lambda: fields.Integer(), {"type": "integer"}, None, id="integer"),
    pytest.param(
        lambda: fields.Integer(minimum=1, maximum=9),
        {"type": "integer", "minimum": 1, "maximum": 9},
        None,
        id="integer-bounds",
    ),
    pytest.param(
        lambda: fields.PositiveInteger(),
        {"type": "integer", "minimum": 1},
        None,
        id="positive-integer",
    ),
    pytest.param(
        lambda: fields.PositiveInteger(maximum=10),
        {"type": "integer", "minimum": 1, "maximum": 10},
        None,
        id="positive-integer-max",
    ),
    pytest.param(lambda: fields.Number(), {"type": "number"}, None, id="number"),
    pytest.param(
        lambda: fields.Number(minimum=0, maximum=1, exclusive_minimum=True, exclusive_maximum=True),
        {
            "type": "number",
            "minimum": 0,
            "maximum": 1,
            "exclusiveMinimum": True,
            "exclusiveMaximum": True,
        },
        None,
        id="number-exclusive",
    ),
    pytest.param(lambda: fields.Boolean(), {"type": "boolean"}, None, id="boolean"),
    pytest.param(lambda: fields.Date(), DATE_SCHEMA, None, id="date"),
    pytest.param(lambda: fields.DateTime(), DATE_SCHEMA, None, id="datetime"),
    pytest.param(
        lambda: fields.DateString(), {"type": "string", "format": "date"}, None, id="datestring"
    ),
    pytest.param(
        lambda: fields.DateTimeString(),
        {"type": "string", "format": "date-time"},
        None,
        id="datetimestring",
    ),
    pytest.param(
        lambda: fields.Array(fields.Integer),
        {"type": "array", "items": {"type": "integer"}, "default": []},
        None,
        id="array",
    ),
    pytest.param(
        lambda: fields.List(fields.String(), min_items=1, max_items=3, unique=True),
        {
            "type": "array",
            "items": {"type": "string"},
            "minItems": 1,
            "maxItems": 3,
            "uniqueItems": True,
            "default": [],
        },
        None,
        id="list-options",
    ),
    pytest.param(
        lambda: fields.Array(fields.Integer(io="r")),
        {"type": "array", "items": {"type": "integer", "readOnly": True}, "default": []},
        {"type": "array", "items": {"type": "integer"}, "default": []},
        id="array-of-read-only",
    ),
    pytest.param(lambda: fields.Object(), {"type": "object"}, None, id="object"),
    pytest.param(
        lambda: fields.Object({"a": fields.Integer(), "b": fields.String}),
        {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
            "additionalProperties": False,
        },
        None,
        id="object-properties",
    ),
    pytest.param(
        lambda: fields.Object(fields.Integer),
        {"type": "object", "additionalProperties": {"type": "integer"}},
        None,
        id="object-values",
    ),
    pytest.param(
        lambda: fields.Object(fields.Integer, pattern="^[a-z]+$"),
        {
            "type": "object",
            "patternProperties": {"^[a-z]+$": {"type": "integer"}},
            "additionalProperties": False,
        },
        None,
        id="object-pattern",
    ),
    pytest.param(
        lambda: fields.Object(
            pattern_properties={"^x-": fields.String()}, additional_properties=fields.Integer()
        ),
        {
            "type": "object",
            "patternProperties": {"^x-": {"type": "string"}},
            "additionalProperties": {"type": "integer"},
        },
        None,
        id="object-pattern-properties",
    ),
    pytest.param(
        lambda: fields.Object({"a": fields.Integer()}, additional_properties=True),
        {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": True},
        None,
        id="object-additional-true",
    ),
    pytest.param(
        lambda: fields.AttributeMapped(
            fields.Object({"v": fields.Integer()}), mapping_attribute="k"
        ),
        {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {"v": {"type": "integer"}},
                "additionalProperties": False,
            },
        },
        None,
        id="attribute-mapped",
    ),
    pytest.param(
        lambda: fields.AttributeMapped(fields.Integer, mapping_attribute="k", pattern="^[a-z]$"),
        {
            "type": "object",
            "patternProperties": {"^[a-z]$": {"type": "integer"}},
            "additionalProperties": False,
        },
        None,
        id="attribute-mapped-pattern",
    ),
    pytest.param(
        lambda: fields.Custom({"type": "string", "pattern": "^#"}),
        {"type": "string", "pattern": "^#"},
        None,
        id="custom",
    ),
]


@pytest.mark.parametrize("make, response, request_schema", SCHEMAS)
def test_field_schema(make, response, request_schema):
    field = make()
    assert field.response == response
    assert field.request == (response if request_schema is None else request_schema)


COMMON_OPTIONS = [
    pytest.param(
        lambda: fields.String(nullable=True),
        {"type": ["string", "null"]},
        id="nullable-type",
    ),
    pytest.param(
        lambda: fields.Any(nullable=True),
        {"type": ["null", "string", "number", "boolean", "object", "array"]},
        id="nullable-any-unchanged",
    ),
    pytest.param(
        lambda: fields.String(enum=["a", "b"], nullable=True),
        {"type": ["string", "null"], "enum": ["a", "b", None]},
        id="nullable-enum",
    ),
    pytest.param(
        lambda: fields.Raw({"anyOf": [{"type": "string"}, {"type": "integer"}]}, nullable=True),
        {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]},
        id="nullable-anyof",
    ),
    pytest.param(
        lambda: fields.Raw({"oneOf": [{"type": "string"}]}, nullable=True),
        {"oneOf": [{"type": "string"}, {"type": "null"}]},
        id="nullable-oneof",
    ),
    pytest.param(
        lambda: fields.Raw({"$ref": "#/definitions/x"}, nullable=True),
        {"anyOf": [{"$ref": "#/definitions/x"}, {"type": "null"}]},
        id="nullable-ref",
    ),
    pytest.param(
        lambda: fields.Integer(title="Age", description="In years"),
        {"type": "integer", "title": "Age", "description": "In years"},
        id="title-description",
    ),
    pytest.param(
        lambda: fields.Integer(default=5),
        {"type": "integer", "default": 5},
        id="default",
    ),
    pytest.param(
        lambda: fields.Integer(default=lambda: 5),
        {"type": "integer", "default": 5},
        id="callable-default-evaluated",
    ),
    pytest.param(
        lambda: fields.Date(default=datetime.date(1970, 1, 2)),
        dict(DATE_SCHEMA, default={"$date": 86400000}),
        id="default-formatted",
    ),
    pytest.param(
        lambda: fields.Boolean(io="r"),
        {"type": "boolean", "readOnly": True},
        id="read-only",
    ),
    pytest.param(lambda: fields.Boolean(io="w"), {"type": "boolean"}, id="write-only"),
]


@pytest.mark.parametrize("make, response", COMMON_OPTIONS)
def test_common_options_schema(make, response):
    assert make().response == response


def test_read_only_flag_only_in_response_schema():
    field = fields.String(io="r")
    assert field.response == {"type": "string", "readOnly": True}
    assert field.request == {"type": "string"}


@pytest.mark.parametrize(
    "io, normalized",
    [("rw", "cru"), ("r", "r"), ("w", "cu"), ("c", "c"), ("u", "u"), ("rc", "cr"), ("ru", "ru")],
)
def test_io_is_normalised(io, normalized):
    assert fields.Raw({}, io=io).io == normalized


def test_io_rejects_unknown_flags():
    with pytest.raises(ValueError, match="Invalid io flag"):
        fields.Raw({}, io="rx")


# -- format (Python -> JSON) and convert (JSON -> Python) -----------------------


def test_scalar_formatting():
    assert fields.Integer().format(3.0) == 3
    assert fields.Integer().format(None) is None
    assert fields.Number().format(2) == 2.0
    assert isinstance(fields.Number().format(2), float)
    assert fields.Boolean().format(0) is False
    assert fields.Boolean().format(None) is None  # null stays null (spec §14.9)
    assert fields.String().format("x") == "x"
    assert fields.Any().format({"a": [1, None]}) == {"a": [1, None]}


def test_uuid_field():
    value = uuid.UUID("123e4567-e89b-12d3-a456-426614174000")
    assert fields.UUID().format(value) == "123e4567-e89b-12d3-a456-426614174000"
    assert fields.UUID().convert(str(value)) == str(value)
    assert fields.UUID(as_uuid=True).convert(str(value)) == value
    with pytest.raises(ValidationError) as error:
        fields.UUID().convert("not-a-uuid")
    assert error.value.errors[0]["path"] == []


def test_date_field():
    field = fields.Date()
    assert field.format(datetime.date(2009, 2, 13)) == {"$date": 1234483200000}
    # a datetime is formatted as its day (midnight UTC)
    assert field.format(datetime.datetime(2009, 2, 13, 23, 31)) == {"$date": 1234483200000}
    assert field.convert({"$date": 1234567890000}) == datetime.date(2009, 2, 13)
    assert field.format(None) is None
    assert field.convert({"$date": 0}) == datetime.date(1970, 1, 1)


def test_datetime_field_keeps_milliseconds():
    field = fields.DateTime()
    value = field.convert({"$date": 1234567890123})
    assert value == datetime.datetime(2009, 2, 13, 23, 31, 30, 123000, tzinfo=UTC)
    assert field.format(value) == {"$date": 1234567890123}
    # naive datetimes from the store are taken to be UTC
    assert field.format(datetime.datetime(1970, 1, 1, 0, 0, 1)) == {"$date": 1000}
    assert fields.DateTime(naive=True).convert({"$date": 1000}) == datetime.datetime(
        1970, 1, 1, 0, 0, 1
    )


def test_datestring_field():
    field = fields.DateString()
    assert field.format(datetime.date(2020, 1, 31)) == "2020-01-31"
    assert field.format(datetime.datetime(2020, 1, 31, 12)) == "2020-01-31"
    assert field.convert("2020-01-31") == datetime.date(2020, 1, 31)
    with pytest.raises(ValidationError) as error:
        field.convert("2020-13-31")
    assert error.value.errors == [{"path": [], "validationOf": {"format": "date"}}]
    with pytest.raises(ValidationError):
        field.convert("31.01.2020")


def test_datetimestring_field_normalises_to_utc():
    field = fields.DateTimeString()
    assert field.convert("2020-01-31T10:20:30+02:00") == datetime.datetime(
        2020, 1, 31, 8, 20, 30, tzinfo=UTC
    )
    assert field.format(datetime.datetime(2020, 1, 31, 10, 20, 30)) == "2020-01-31T10:20:30+00:00"
    assert fields.DateTimeString(naive=True).convert("2020-01-31T10:20:30Z") == datetime.datetime(
        2020, 1, 31, 10, 20, 30
    )
    with pytest.raises(ValidationError) as error:
        field.convert("2020-02-30T10:00:00Z")
    assert error.value.errors == [{"path": [], "validationOf": {"format": "date-time"}}]


@pytest.mark.parametrize(
    "field, good, bad, keyword",
    [
        (fields.Email(), "ada@example.org", "ada", "format"),
        (fields.Uri(), "https://example.org/x", "example", "format"),
        (fields.String(pattern="^[a-z]+$"), "abc", "A1", "pattern"),
        (fields.String(min_length=2), "ab", "a", "minLength"),
        (fields.String(max_length=2), "ab", "abc", "maxLength"),
        (fields.String(enum=["a"]), "a", "b", "enum"),
        (fields.Integer(minimum=1), 1, 0, "minimum"),
        (fields.Integer(maximum=1), 1, 2, "maximum"),
        (fields.PositiveInteger(), 1, 0, "minimum"),
        (fields.Number(minimum=0, exclusive_minimum=True), 0.5, 0, "minimum"),
        (fields.Array(fields.Integer, max_items=1), [1], [1, 2], "maxItems"),
        (fields.Array(fields.Integer, unique=True), [1, 2], [1, 1], "uniqueItems"),
        (fields.Boolean(), True, "yes", "type"),
    ],
)
def test_convert_validates(field, good, bad, keyword):
    assert field.convert(good) == good
    with pytest.raises(ValidationError) as error:
        field.convert(bad)
    assert keyword in error.value.errors[0]["validationOf"]


def test_nullable_accepts_null_only_when_set():
    assert fields.Integer(nullable=True).convert(None) is None
    with pytest.raises(ValidationError) as error:
        fields.Integer().convert(None)
    assert error.value.errors == [{"path": [], "validationOf": {"type": "integer"}}]


def test_array_field():
    field = fields.Array(fields.Date)
    assert field.format([datetime.date(1970, 1, 2)]) == [{"$date": 86400000}]
    assert field.convert([{"$date": 0}]) == [datetime.date(1970, 1, 1)]
    assert field.format(None) == []
    assert fields.Array(fields.Integer, nullable=True).format(None) is None
    with pytest.raises(ValidationError) as error:
        field.convert([{"$date": 0}, "x"])
    assert error.value.errors[0]["path"] == [1]


def test_object_field_with_properties():
    field = fields.Object({"when": fields.Date(), "n": fields.Integer(io="r")})
    assert field.convert({"when": {"$date": 0}}) == {"when": datetime.date(1970, 1, 1)}
    assert field.format({"when": datetime.date(1970, 1, 2), "n": 3}) == {
        "when": {"$date": 86400000},
        "n": 3,
    }

    class Obj:
        when = datetime.date(1970, 1, 1)
        n = 5

    # objects that are not dicts are read attribute by attribute
    assert field.format(Obj()) == {"when": {"$date": 0}, "n": 5}
    # keys that are not declared properties are not output
    assert field.format({"n": 1, "secret": 2}) == {"when": None, "n": 1}
    with pytest.raises(ValidationError) as error:
        field.convert({"other": 1})
    assert error.value.errors == [{"path": [], "validationOf": {"additionalProperties": False}}]


def test_object_field_with_one_value_type():
    field = fields.Object(fields.DateString)
    assert field.convert({"a": "2020-01-01"}) == {"a": datetime.date(2020, 1, 1)}
    assert field.format({"a": datetime.date(2020, 1, 1)}) == {"a": "2020-01-01"}
    with pytest.raises(ValidationError) as error:
        field.convert({"a": 1})
    assert error.value.errors == [{"path": ["a"], "validationOf": {"type": "string"}}]


def test_object_field_with_pattern():
    field = fields.Object(fields.Integer, pattern="^[a-z]+$")
    assert field.convert({"abc": 1}) == {"abc": 1}
    assert field.format({"abc": 1, "X": 2}) == {"abc": 1}
    assert fields.Object().format({"any": {"thing": 1}}) == {"any": {"thing": 1}}
    extra = fields.Object({"a": fields.Integer()}, additional_properties=True)
    assert extra.format({"a": 1, "b": [2]}) == {"a": 1, "b": [2]}
    with pytest.raises(ValidationError):
        field.convert({"ABC": 1})


def test_attribute_mapped_field():
    field = fields.AttributeMapped(fields.Object({"v": fields.Integer()}), mapping_attribute="k")
    assert field.convert({"a": {"v": 1}, "b": {"v": 2}}) == [{"v": 1, "k": "a"}, {"v": 2, "k": "b"}]
    assert field.format([{"k": "a", "v": 1}]) == {"a": {"v": 1}}
    assert field.format(None) is None


def test_custom_field():
    field = fields.Custom(
        {"type": "string"}, converter=lambda v: v.upper(), formatter=lambda v: v.lower()
    )
    assert field.convert("ab") == "AB"
    assert field.format("AB") == "ab"
    assert field.format(None) is None  # the formatter is not called with None
    assert fields.Custom({"type": "integer"}).convert(3) == 3
    with pytest.raises(ValidationError):
        field.convert(3)


def test_output_reads_attribute_or_key():
    assert fields.Integer(attribute="n").output("count", {"n": 4}) == 4

    class Obj:
        n = 6

    assert fields.Integer(attribute="n").output("count", Obj()) == 6
    assert fields.Integer(default=7).output("count", {}) == 7
    assert fields.Integer(default=lambda: 8).output("count", Obj()) == 8
    assert fields.Integer().output("count", {}) is None


# -- options through the API ------------------------------------------------------


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def api(app):
    return Api(app, default_manager=MemoryManager)


@pytest.fixture
def client(app):
    return app.test_client()


def test_io_flags_on_create_and_update(api, client):
    class Thing(ModelResource):
        class Meta:
            include_id = True

        class Schema:
            name = fields.String()
            r = fields.String(io="r", default="fixed")
            w = fields.String(io="w", nullable=True)
            c = fields.String(io="c", nullable=True)
            u = fields.String(io="u", nullable=True)
            rc = fields.String(io="rc", nullable=True)
            ru = fields.String(io="ru", nullable=True)

    api.add_resource(Thing)

    response = client.post("/thing", json={"name": "a", "w": "W", "c": "C", "rc": "RC"})
    assert response.status_code == 200
    # w, c and u are never returned; r, rc and ru are
    assert response.json == {"$id": 1, "name": "a", "r": "fixed", "rc": "RC", "ru": None}
    assert Thing.manager.items[1] == {"id": 1, "name": "a", "w": "W", "c": "C", "rc": "RC"}

    for key in ("r", "u", "ru"):
        response = client.post("/thing", json={"name": "b", key: "x"})
        assert response.status_code == 400, key
        assert response.json == {
            "errors": [{"path": [], "validationOf": {"additionalProperties": False}}],
            "message": "Bad Request",
            "status": 400,
        }

    response = client.patch("/thing/1", json={"w": "W2", "u": "U", "ru": "RU", "name": "z"})
    assert response.status_code == 200
    assert response.json == {"$id": 1, "name": "z", "r": "fixed", "rc": "RC", "ru": "RU"}
    assert Thing.manager.items[1]["u"] == "U"
    assert Thing.manager.items[1]["w"] == "W2"

    for key in ("r", "c", "rc"):
        response = client.patch("/thing/1", json={key: "x"})
        assert response.status_code == 400, key
        assert response.json["errors"] == [
            {"path": [], "validationOf": {"additionalProperties": False}}
        ]
    assert Thing.manager.items[1]["c"] == "C"


def test_required_fields_on_create(api, client):
    class Thing(ModelResource):
        class Schema:
            name = fields.String()
            count = fields.Integer(default=0)
            note = fields.String(nullable=True)
            tags = fields.Array(fields.String)
            ro = fields.String(io="r")

    api.add_resource(Thing)
    assert Thing.schema.create["required"] == ["name"]

    response = client.post("/thing", json={})
    assert response.status_code == 400
    assert response.json == {
        "errors": [{"path": [], "validationOf": {"required": ["name"]}}],
        "message": "Bad Request",
        "status": 400,
    }

    response = client.post("/thing", json={"name": "n"})
    assert response.status_code == 200
    # defaults are filled in on create and stored
    assert response.json == {
        "$uri": "/thing/1",
        "count": 0,
        "name": "n",
        "note": None,
        "ro": None,
        "tags": [],
    }
    assert Thing.manager.items[1]["count"] == 0
    assert Thing.manager.items[1]["tags"] == []

    # PATCH requires nothing, and a missing key keeps its value
    response = client.patch("/thing/1", json={"count": 3})
    assert response.status_code == 200
    assert response.json["count"] == 3
    assert response.json["name"] == "n"
    # ... also when the field has a default: defaults apply on create only
    response = client.patch("/thing/1", json={"name": "m", "tags": ["x"]})
    assert response.json["count"] == 3
    response = client.patch("/thing/1", json={"name": "o"})
    assert response.json["tags"] == ["x"]
    assert Thing.manager.items[1]["count"] == 3


def test_mutable_defaults_are_not_shared(api, client):
    class Thing(ModelResource):
        class Schema:
            data = fields.Object(default={})

    api.add_resource(Thing)
    client.post("/thing", json={})
    client.post("/thing", json={})
    Thing.manager.items[1]["data"]["x"] = 1
    assert Thing.manager.items[2]["data"] == {}


def test_nullable_on_create_and_update(api, client):
    class Thing(ModelResource):
        class Schema:
            title = fields.String()
            year = fields.Integer(nullable=True)

    api.add_resource(Thing)
    response = client.post("/thing", json={"title": "a", "year": None})
    assert response.status_code == 200
    assert response.json["year"] is None

    response = client.patch("/thing/1", json={"title": None})
    assert response.status_code == 400
    assert response.json == {
        "errors": [{"path": ["title"], "validationOf": {"type": "string"}}],
        "message": "Bad Request",
        "status": 400,
    }


def test_attribute_option_through_the_api(api, client):
    class Thing(ModelResource):
        class Schema:
            title = fields.String(attribute="name")

    api.add_resource(Thing)
    response = client.post("/thing", json={"title": "a"})
    assert response.json == {"$uri": "/thing/1", "title": "a"}
    assert Thing.manager.items[1] == {"id": 1, "name": "a"}


def test_every_value_type_round_trips(api, client):
    class Thing(ModelResource):
        class Meta:
            include_id = True
            include_type = True

        class Schema:
            any_ = fields.Any(nullable=True)
            name = fields.String(min_length=2)
            uuid = fields.UUID(nullable=True)
            email = fields.Email(nullable=True)
            uri = fields.Uri(nullable=True)
            num = fields.Number(nullable=True)
            count = fields.PositiveInteger(nullable=True)
            flag = fields.Boolean(nullable=True)
            day = fields.Date(nullable=True)
            moment = fields.DateTime(nullable=True)
            ds = fields.DateString(nullable=True)
            dts = fields.DateTimeString(nullable=True)
            tags = fields.Array(fields.String)
            obj = fields.Object(fields.Integer, nullable=True)
            custom = fields.Custom({"type": "string"}, converter=str.upper, nullable=True)

    api.add_resource(Thing)
    body = {
        "any_": [1, "x"],
        "name": "ab",
        "uuid": "123e4567-e89b-12d3-a456-426614174000",
        "email": "ada@example.org",
        "uri": "https://example.org/",
        "num": 1.5,
        "count": 2,
        "flag": True,
        "day": {"$date": 1234567890000},
        "moment": {"$date": 1234567890123},
        "ds": "2020-01-31",
        "dts": "2020-01-31T10:20:30+02:00",
        "tags": ["a"],
        "obj": {"a": 1},
        "custom": "shout",
    }
    response = client.post("/thing", json=body)
    assert response.status_code == 200, response.json
    assert response.json == {
        "$id": 1,
        "$type": "thing",
        "any_": [1, "x"],
        "name": "ab",
        "uuid": "123e4567-e89b-12d3-a456-426614174000",
        "email": "ada@example.org",
        "uri": "https://example.org/",
        "num": 1.5,
        "count": 2,
        "flag": True,
        "day": {"$date": 1234483200000},
        "moment": {"$date": 1234567890123},
        "ds": "2020-01-31",
        "dts": "2020-01-31T08:20:30+00:00",
        "tags": ["a"],
        "obj": {"a": 1},
        "custom": "SHOUT",
    }
    stored = Thing.manager.items[1]
    assert stored["day"] == datetime.date(2009, 2, 13)
    assert stored["moment"] == datetime.datetime(2009, 2, 13, 23, 31, 30, 123000, tzinfo=UTC)
    assert stored["ds"] == datetime.date(2020, 1, 31)

    response = client.post("/thing", json={"name": "cd"})
    assert response.status_code == 200
    assert response.json == {
        "$id": 2,
        "$type": "thing",
        "any_": None,
        "name": "cd",
        "uuid": None,
        "email": None,
        "uri": None,
        "num": None,
        "count": None,
        "flag": None,
        "day": None,
        "moment": None,
        "ds": None,
        "dts": None,
        "tags": [],
        "obj": None,
        "custom": None,
    }


def test_all_validation_errors_are_reported_with_paths(api, client):
    class Thing(ModelResource):
        class Schema:
            name = fields.String(pattern="^[a-z]+$")
            email = fields.Email()
            day = fields.DateString()
            tags = fields.Array(fields.Integer)

    api.add_resource(Thing)
    response = client.post(
        "/thing",
        json={"name": "A1", "email": "nope", "day": "2020-02-30", "tags": [1, "x"], "extra": 1},
    )
    assert response.status_code == 400
    errors = response.json["errors"]
    expected = [
        {"path": [], "validationOf": {"additionalProperties": False}},
        {"path": ["name"], "validationOf": {"pattern": "^[a-z]+$"}},
        {"path": ["email"], "validationOf": {"format": "email"}},
        {"path": ["day"], "validationOf": {"format": "date"}},
        {"path": ["tags", 1], "validationOf": {"type": "integer"}},
    ]
    assert sorted(errors, key=repr) == sorted(expected, key=repr)
    assert response.json["message"] == "Bad Request"


def test_validation_messages_in_debug_mode(app, api, client):
    app.debug = True

    class Thing(ModelResource):
        class Schema:
            name = fields.String(pattern="^[a-z]+$")

    api.add_resource(Thing)
    response = client.post("/thing", json={"name": "A1"})
    assert response.status_code == 400
    assert response.json["errors"] == [
        {
            "path": ["name"],
            "validationOf": {"pattern": "^[a-z]+$"},
            "message": "'A1' does not match '^[a-z]+$'",
        }
    ]


# -- references ------------------------------------------------------------------


@pytest.fixture
def library(api):
    class Author(ModelResource):
        class Meta:
            name = "author"
            natural_key = "name"

        class Schema:
            name = fields.String()

    class Book(ModelResource):
        class Meta:
            name = "book"
            include_type = True

        class Schema:
            title = fields.String()
            author = fields.ToOne("author", nullable=True)
            coauthors = fields.ToMany("author")
            sequel = fields.Inline("self", nullable=True)
            main_author = fields.Inline("author", nullable=True)

    api.add_resource(Book)
    api.add_resource(Author)
    return Author, Book


def test_reference_field_schemas(library):
    author, book = library
    ref = {"type": "string", "pattern": "^/author\\/[^/]+$"}
    read = {"type": "object", "properties": {"$ref": ref}, "additionalProperties": False}
    write_ref = dict(read, required=["$ref"])
    fs = book.schema.fields
    assert fs["author"].response == {
        "type": ["object", "null"],
        "properties": {"$ref": ref},
        "additionalProperties": False,
    }
    assert fs["author"].request == {
        "anyOf": [write_ref, {"type": "integer"}, {"type": "string"}, {"type": "null"}]
    }
    assert fs["coauthors"].response == {"type": "array", "items": read, "default": []}
    assert fs["coauthors"].request == {
        "type": "array",
        "items": {"anyOf": [write_ref, {"type": "integer"}, {"type": "string"}]},
        "default": [],
    }
    assert fs["sequel"].response == {"anyOf": [{"$ref": "#"}, {"type": "null"}]}
    assert fs["sequel"].request == {"anyOf": [{"$ref": "#"}, {"type": "null"}]}
    assert fs["main_author"].response == {"anyOf": [{"$ref": "/author/schema"}, {"type": "null"}]}
    assert fs["main_author"].request == {
        "type": ["object", "null"],
        "additionalProperties": False,
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
    }
    assert fs["$type"].response == {"type": "string", "enum": ["book"], "readOnly": True}
    assert fs["$uri"].response == {
        "type": "string",
        "pattern": "^/book\\/[^/]+$",
        "readOnly": True,
    }


def test_to_one_and_to_many_accept_every_key_form(library, client):
    client.post("/author", json={"name": "Ann"})
    client.post("/author", json={"name": "Bob"})
    response = client.post(
        "/book",
        json={
            "title": "T",
            "author": {"$ref": "/author/1"},
            "coauthors": [2, "Ann", {"$ref": "/author/2"}],
        },
    )
    assert response.status_code == 200, response.json
    assert response.json == {
        "$type": "book",
        "$uri": "/book/1",
        "title": "T",
        "author": {"$ref": "/author/1"},
        "coauthors": [{"$ref": "/author/2"}, {"$ref": "/author/1"}, {"$ref": "/author/2"}],
        "sequel": None,
        "main_author": None,
    }
    author, book = library
    # the manager receives the referenced items, not the references
    assert book.manager.items[1]["author"] is author.manager.items[1]

    response = client.patch("/book/1", json={"author": "Bob"})
    assert response.json["author"] == {"$ref": "/author/2"}
    response = client.patch("/book/1", json={"author": None})
    assert response.json["author"] is None


def test_reference_to_missing_item_is_400_naming_the_field(library, client):
    response = client.post("/book", json={"title": "T", "author": 99})
    assert response.status_code == 400
    assert response.json == {
        "errors": [
            {
                "path": ["author"],
                "message": "author 99 does not exist",
                "validationOf": {"$ref": "author"},
            }
        ],
        "message": "Reference to a missing author",
        "status": 400,
    }
    response = client.post("/book", json={"title": "T", "coauthors": ["Nobody"]})
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == ["coauthors"]
    response = client.post("/book", json={"title": "T", "author": {"$ref": "/book/1"}})
    assert response.status_code == 400
    assert response.status_code == 400
    [error] = response.json["errors"]
    assert error["path"] == ["author"]
    assert list(error["validationOf"]) == ["anyOf"]


def test_inline_fields(library, client):
    author, book = library
    response = client.post(
        "/book",
        json={"title": "One", "sequel": {"title": "Two"}, "main_author": {"name": "Cy"}},
    )
    assert response.status_code == 200, response.json
    sequel = response.json["sequel"]
    assert sequel["title"] == "Two"
    assert sequel["$type"] == "book"
    assert sequel["coauthors"] == []
    assert sequel["sequel"] is None
    assert response.json["main_author"]["name"] == "Cy"
    # the embedded body is converted like a create body (defaults filled in)
    assert book.manager.items[1]["sequel"] == {"title": "Two", "coauthors": []}
    # the embedded item is validated against the target's create schema
    response = client.post("/book", json={"title": "One", "main_author": {}})
    assert response.status_code == 400
    response = client.post("/book", json={"title": "One", "sequel": {"title": 5}})
    assert response.status_code == 400


def test_dates_outside_the_calendar_are_400_naming_the_field():
    app = Flask(__name__)
    api = Api(app)

    class EventResource(ModelResource):
        class Meta:
            manager = MemoryManager

        class Schema:
            day = fields.Date()
            moment = fields.DateTime(nullable=True)

    api.add_resource(EventResource)
    client = app.test_client()
    response = client.post("/eventresource", json={"day": {"$date": 10**17}})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["path"] == ["day", "$date"]
    response = client.post(
        "/eventresource", json={"day": {"$date": 0}, "moment": {"$date": -(10**17)}}
    )
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["path"] == ["moment", "$date"]
    assert EventResource.manager.items == {}
