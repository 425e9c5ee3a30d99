"""Every marshmallow field type as a Potion field: its JSON Schema, the input it accepts
(and what is stored), the input it refuses (and the error body), and its output."""

from __future__ import annotations

import datetime
import decimal
import enum
import ipaddress
import uuid
from typing import Any

import pytest
from marshmallow import Schema, fields  # noqa: E402  (after the skip in marshmallow_env)

from .marshmallow_env import Env

UTC = datetime.UTC


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Point(Schema):
    x = fields.Integer(required=True)
    y = fields.Integer()


class Tag(Schema):
    name = fields.String(required=True)
    weight = fields.Float()


def case(
    field: Any,
    schema: dict[str, Any],
    accepted: list[tuple[Any, Any, Any]],
    refused: list[tuple[Any, dict[str, Any]]],
    *,
    id: str,
    read_schema: dict[str, Any] | None = None,
) -> Any:
    """``accepted``: (JSON in, Python value stored, JSON out); ``refused``: (JSON in, the
    error entry of the 400 body)."""
    return pytest.param(field, schema, read_schema or schema, accepted, refused, id=id)


def error(rule: dict[str, Any], *path: Any, message: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": ["value", *path], "validationOf": rule}
    if message is not None:
        entry["message"] = message
    return entry


CASES = [
    case(
        fields.String(),
        {"type": "string"},
        [("abc", "abc", "abc"), ("", "", "")],
        [(5, error({"type": "string"}))],
        id="String",
    ),
    case(
        fields.Integer(),
        {"type": "integer"},
        [(5, 5, 5), (-3, -3, -3)],
        [("5", error({"type": "integer"})), (2.5, error({"type": "integer"}))],
        id="Integer",
    ),
    case(
        fields.Float(),
        {"type": "number"},
        [(2.5, 2.5, 2.5), (3, 3, 3.0)],
        [("2.5", error({"type": "number"}))],
        id="Float",
    ),
    case(
        fields.Decimal(),
        {"type": "number"},
        [(1.25, decimal.Decimal("1.25"), 1.25)],
        [("1.25", error({"type": "number"}))],
        id="Decimal",
    ),
    case(
        fields.Decimal(places=1),
        {"type": "number"},
        [(1.25, decimal.Decimal("1.2"), 1.2)],
        [],
        id="Decimal-places",
    ),
    case(
        fields.Decimal(as_string=True),
        {
            "type": "string",
            "pattern": r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$",
            "description": "The server also checks: a decimal number.",
        },
        [("1.50", decimal.Decimal("1.50"), "1.50")],
        [
            (
                "one",
                error({"pattern": r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"}),
            )
        ],
        id="Decimal-as_string",
    ),
    case(
        fields.Boolean(),
        {"type": "boolean"},
        [(True, True, True), (False, False, False)],
        [("yes", error({"type": "boolean"}))],
        id="Boolean",
    ),
    case(
        fields.Date(),
        {"type": "string", "format": "date"},
        [("2024-02-29", datetime.date(2024, 2, 29), "2024-02-29")],
        [("2023-02-29", error({"format": "date"})), (20240229, error({"type": "string"}))],
        id="Date",
    ),
    case(
        fields.Date(format="%d/%m/%Y"),
        {
            "type": "string",
            "description": "The server also checks: a date in the format '%d/%m/%Y'.",
        },
        [("31/01/2024", datetime.date(2024, 1, 31), "31/01/2024")],
        [
            (
                "2024-01-31",
                error({"deserialize": "Date"}, message="Not a valid date."),
            )
        ],
        id="Date-format",
    ),
    case(
        fields.DateTime(),
        {
            "type": "string",
            "pattern": (
                r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}(?::\d{2}(?::\d{2}(?:[.,]\d+)?)?)?"
                r"(?:Z|[+-]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?)?)?$"
            ),
            "description": "The server also checks: an ISO 8601 date and time.",
        },
        [
            (
                "2024-01-31T10:00:00",
                datetime.datetime(2024, 1, 31, 10),
                "2024-01-31T10:00:00",
            ),
            (
                "2024-01-31T10:00:00+02:00",
                datetime.datetime(
                    2024, 1, 31, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
                ),
                "2024-01-31T10:00:00+02:00",
            ),
        ],
        [
            (
                "2024-13-01T00:00:00",
                error({"deserialize": "DateTime"}, message="Not a valid datetime."),
            ),
        ],
        id="DateTime",
    ),
    case(
        fields.AwareDateTime(),
        {"type": "string", "format": "date-time"},
        [
            (
                "2024-01-31T10:00:00+00:00",
                datetime.datetime(2024, 1, 31, 10, tzinfo=UTC),
                "2024-01-31T10:00:00+00:00",
            )
        ],
        [("2024-01-31T10:00:00", error({"format": "date-time"}))],
        id="AwareDateTime",
    ),
    case(
        fields.NaiveDateTime(timezone=UTC),
        {
            "type": "string",
            "pattern": (
                r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}(?::\d{2}(?::\d{2}(?:[.,]\d+)?)?)?"
                r"(?:Z|[+-]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?)?)?$"
            ),
            "description": "The server also checks: an ISO 8601 date and time.",
        },
        [
            (
                "2024-01-31T12:00:00+02:00",
                datetime.datetime(2024, 1, 31, 10),
                "2024-01-31T10:00:00",
            )
        ],
        [],
        id="NaiveDateTime",
    ),
    case(
        fields.DateTime(format="timestamp"),
        {"type": "number", "description": "seconds since the epoch"},
        [(86400, datetime.datetime(1970, 1, 2), 86400.0)],
        [("86400", error({"type": "number"}))],
        id="DateTime-timestamp",
    ),
    case(
        fields.Time(),
        {
            "type": "string",
            "pattern": r"^\d{2}(?::\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$",
            "description": "The server also checks: an ISO 8601 time of day.",
        },
        [("10:30:00", datetime.time(10, 30), "10:30:00")],
        [("25:00", error({"deserialize": "Time"}, message="Not a valid time."))],
        id="Time",
    ),
    case(
        fields.TimeDelta(),
        {"type": "number", "description": "in seconds"},
        [(90, datetime.timedelta(seconds=90), 90.0)],
        [("90", error({"type": "number"}))],
        id="TimeDelta",
    ),
    case(
        fields.Email(),
        {"type": "string", "format": "email", "description": "The server also checks: Email."},
        [("ada@example.com", "ada@example.com", "ada@example.com")],
        [
            ("nobody", error({"format": "email"})),
            ("a b@c.io", error({"validate": "Email"}, message="Not a valid email address.")),
        ],
        id="Email",
    ),
    case(
        fields.Url(),
        {"type": "string", "format": "uri", "description": "The server also checks: URL."},
        [("https://example.com/a", "https://example.com/a", "https://example.com/a")],
        [
            ("example", error({"format": "uri"})),
            ("http://example/", error({"validate": "URL"}, message="Not a valid URL.")),
        ],
        id="Url",
    ),
    case(
        fields.UUID(),
        {"type": "string", "format": "uuid", "description": "The server also checks: a UUID."},
        [
            (
                "12345678-1234-5678-1234-567812345678",
                uuid.UUID("12345678-1234-5678-1234-567812345678"),
                "12345678-1234-5678-1234-567812345678",
            )
        ],
        [("xyz", error({"deserialize": "UUID"}, message="Not a valid UUID."))],
        id="UUID",
    ),
    case(
        fields.IPv4(),
        {"type": "string", "format": "ipv4"},
        [("10.0.0.1", ipaddress.IPv4Address("10.0.0.1"), "10.0.0.1")],
        [("999.0.0.1", error({"format": "ipv4"}))],
        id="IPv4",
    ),
    case(
        fields.IP(),
        {"type": "string", "description": "The server also checks: an IP address."},
        [("::1", ipaddress.IPv6Address("::1"), "::1")],
        [("nope", error({"deserialize": "IP"}, message="Not a valid IP address."))],
        id="IP",
    ),
    case(
        fields.Enum(Color),
        {"type": "string", "enum": ["RED", "GREEN"]},
        [("RED", Color.RED, "RED")],
        [("BLUE", error({"enum": ["RED", "GREEN"]}))],
        id="Enum",
    ),
    case(
        fields.Enum(Color, by_value=True),
        {"type": "integer", "enum": [1, 2]},
        [(2, Color.GREEN, 2)],
        [(3, error({"enum": [1, 2]}))],
        id="Enum-by_value",
    ),
    case(
        fields.List(fields.String()),
        {"type": "array", "items": {"type": "string"}},
        [(["a", "b"], ["a", "b"], ["a", "b"]), ([], [], [])],
        [([1], error({"type": "string"}, 0)), ("a", error({"type": "array"}))],
        id="List",
    ),
    case(
        fields.Tuple((fields.String(), fields.Integer())),
        {
            "type": "array",
            "items": [{"type": "string"}, {"type": "integer"}],
            "additionalItems": False,
            "minItems": 2,
            "maxItems": 2,
        },
        [(["a", 1], ("a", 1), ["a", 1])],
        [(["a"], error({"minItems": 2})), ([1, 1], error({"type": "string"}, 0))],
        id="Tuple",
    ),
    case(
        fields.Dict(keys=fields.String(), values=fields.Integer()),
        {"type": "object", "additionalProperties": {"type": "integer"}},
        [({"a": 1}, {"a": 1}, {"a": 1})],
        [({"a": "x"}, error({"type": "integer"}, "a"))],
        id="Dict",
    ),
    case(
        fields.Nested(Point),
        {
            "type": "object",
            "additionalProperties": False,
            "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
            "required": ["x"],
        },
        [
            ({"x": 1, "y": 2}, {"x": 1, "y": 2}, {"x": 1, "y": 2}),
            ({"x": 1}, {"x": 1}, {"x": 1, "y": None}),
        ],
        [
            ({"y": 2}, error({"required": ["x"]})),
            ({"x": 1, "z": 0}, error({"additionalProperties": False})),
        ],
        read_schema={
            "type": "object",
            "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
        },
        id="Nested",
    ),
    case(
        fields.Nested(Point, many=True),
        {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
                "required": ["x"],
            },
        },
        [([{"x": 1, "y": 2}], [{"x": 1, "y": 2}], [{"x": 1, "y": 2}])],
        [([{"y": 2}], error({"required": ["x"]}, 0))],
        read_schema={
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
            },
        },
        id="Nested-many",
    ),
    case(
        fields.Pluck(Tag, "name"),
        {"type": "string"},
        [("red", {"name": "red"}, "red")],
        [(1, error({"type": "string"}))],
        id="Pluck",
    ),
    case(
        fields.Pluck(Tag, "name", many=True),
        {"type": "array", "items": {"type": "string"}},
        [(["red", "blue"], [{"name": "red"}, {"name": "blue"}], ["red", "blue"])],
        [([1], error({"type": "string"}, 0))],
        id="Pluck-many",
    ),
    case(
        fields.Constant("v1"),
        {"enum": ["v1"], "default": "v1"},
        [("v1", "v1", "v1")],
        [("v2", error({"enum": ["v1"]}))],
        id="Constant",
    ),
    case(
        fields.Raw(),
        {"type": ["null", "string", "number", "boolean", "object", "array"]},
        [({"any": [1, "json"]}, {"any": [1, "json"]}, {"any": [1, "json"]}), (7, 7, 7)],
        [],
        id="Raw",
    ),
]


@pytest.mark.parametrize("field, schema, read_schema, accepted, refused", CASES)
def test_field_type(field, schema, read_schema, accepted, refused):
    class ThingSchema(Schema):
        value = field

    env = Env(ThingSchema)
    assert env.resource.schema.create["properties"]["value"] == schema
    assert env.document()["properties"]["value"] == read_schema
    for value, stored, output in accepted:
        response = env.post({"value": value})
        assert response.status_code == 200, response.json
        item_id = int(response.json["$uri"].rsplit("/", 1)[1])
        assert env.items[item_id]["value"] == stored
        assert type(env.items[item_id]["value"]) is type(stored)
        assert response.json["value"] == output
        assert env.client.get(f"/thing/{item_id}").json["value"] == output
    count = len(env.items)
    for value, entry in refused:
        response = env.post({"value": value})
        assert response.status_code == 400, response.json
        assert response.json["errors"] == [entry]
        assert response.json["status"] == 400
    assert len(env.items) == count  # a refused body stores nothing


def test_method_and_function_are_read_only():
    class ThingSchema(Schema):
        name = fields.String()
        shout = fields.Method("get_shout")
        length = fields.Function(lambda obj: len(obj["name"]))

        def get_shout(self, obj):
            return obj["name"].upper() + "!"

    env = Env(ThingSchema)
    properties = env.document()["properties"]
    assert properties["shout"] == {"readOnly": True}
    assert properties["length"] == {"readOnly": True}
    assert "shout" not in env.resource.schema.create["properties"]
    response = env.post({"name": "hey"})
    assert response.status_code == 200
    assert response.json["shout"] == "HEY!"
    assert response.json["length"] == 3
    refused = env.post({"name": "hey", "shout": "HI"})
    assert refused.status_code == 400
    assert refused.json["errors"] == [{"path": [], "validationOf": {"additionalProperties": False}}]


def test_method_with_deserialize_is_writable():
    class ThingSchema(Schema):
        size = fields.Method("get_size", "load_size", metadata={"type": "string"})

        def get_size(self, obj):
            return f"{obj['size']} cm"

        def load_size(self, value):
            return int(value.removesuffix(" cm"))

    env = Env(ThingSchema)
    assert env.resource.schema.create["properties"]["size"] == {"type": "string"}
    response = env.post({"size": "12 cm"})
    assert response.status_code == 200
    assert env.items[1]["size"] == 12
    assert response.json["size"] == "12 cm"


def test_constant_is_output_for_every_item():
    class ThingSchema(Schema):
        name = fields.String()
        kind = fields.Constant("thing", dump_only=True)

    env = Env(ThingSchema)
    env.resource.manager.items[7] = {"id": 7, "name": "old"}
    assert env.client.get("/thing/7").json == {"$uri": "/thing/7", "kind": "thing", "name": "old"}


def test_nested_validation_runs_in_the_nested_schema():
    from marshmallow import ValidationError, validates

    class Inner(Schema):
        code = fields.String()

        @validates("code")
        def upper(self, value, data_key):
            if value != value.upper():
                raise ValidationError("Codes are upper case")

    class ThingSchema(Schema):
        inner = fields.Nested(Inner)
        inners = fields.List(fields.Nested(Inner))

    env = Env(ThingSchema)
    response = env.post({"inner": {"code": "ab"}, "inners": [{"code": "OK"}, {"code": "no"}]})
    assert response.status_code == 400
    assert response.json["errors"] == [
        {
            "path": ["inner", "code"],
            "message": "Codes are upper case",
            "validationOf": {"validates": "upper"},
        },
        {
            "path": ["inners", 1, "code"],
            "message": "Codes are upper case",
            "validationOf": {"validates": "upper"},
        },
    ]
    assert env.items == {}
