"""marshmallow validators and field options: JSON Schema where there is a form for it,
Python (after the compiled validation) where there is none, and the options every field
has (required, allow_none, defaults, load_only/dump_only, data_key, metadata)."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from marshmallow import Schema, ValidationError, fields, validate  # noqa: E402

from .marshmallow_env import Env


def is_even(value: int) -> None:
    if value % 2:
        raise ValidationError("Must be even.")


def vcase(field: Any, schema: dict[str, Any], good: list[Any], bad: list[tuple[Any, Any]], id: str):
    """``bad``: (JSON in, the error entry of the 400 body)."""
    return pytest.param(field, schema, good, bad, id=id)


def err(rule: dict[str, Any], *path: Any, message: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": ["value", *path], "validationOf": rule}
    if message is not None:
        entry["message"] = message
    return entry


VALIDATOR_CASES = [
    vcase(
        fields.String(validate=validate.Length(min=2, max=4)),
        {"type": "string", "minLength": 2, "maxLength": 4},
        ["ab", "abcd"],
        [("a", err({"minLength": 2})), ("abcde", err({"maxLength": 4}))],
        id="Length-string",
    ),
    vcase(
        fields.String(validate=validate.Length(equal=3)),
        {"type": "string", "minLength": 3, "maxLength": 3},
        ["abc"],
        [("ab", err({"minLength": 3}))],
        id="Length-equal",
    ),
    vcase(
        fields.List(fields.Integer(), validate=validate.Length(max=2)),
        {"type": "array", "items": {"type": "integer"}, "maxItems": 2},
        [[1, 2]],
        [([1, 2, 3], err({"maxItems": 2}))],
        id="Length-list",
    ),
    vcase(
        fields.Dict(validate=validate.Length(min=1)),
        {"type": "object", "additionalProperties": True, "minProperties": 1},
        [{"a": 1}],
        [({}, err({"minProperties": 1}))],
        id="Length-dict",
    ),
    vcase(
        fields.Integer(validate=validate.Range(min=1, max=10)),
        {"type": "integer", "minimum": 1, "maximum": 10},
        [1, 10],
        [(0, err({"minimum": 1})), (11, err({"maximum": 10}))],
        id="Range",
    ),
    vcase(
        fields.Float(
            validate=validate.Range(min=0, max=1, min_inclusive=False, max_inclusive=False)
        ),
        {
            "type": "number",
            "minimum": 0,
            "exclusiveMinimum": True,
            "maximum": 1,
            "exclusiveMaximum": True,
        },
        [0.5],
        [(0, err({"minimum": 0})), (1, err({"maximum": 1}))],
        id="Range-exclusive",
    ),
    vcase(
        fields.Date(validate=validate.Range(min=datetime.date(2000, 1, 1))),
        {
            "type": "string",
            "format": "date",
            "description": "The server also checks: Range.",
        },
        ["2000-01-01"],
        [
            (
                "1999-12-31",
                err({"validate": "Range"}, message="Must be greater than or equal to 2000-01-01."),
            )
        ],
        id="Range-date-in-Python",
    ),
    vcase(
        fields.String(validate=validate.OneOf(["draft", "published"])),
        {"type": "string", "enum": ["draft", "published"]},
        ["draft"],
        [("gone", err({"enum": ["draft", "published"]}))],
        id="OneOf",
    ),
    vcase(
        fields.String(validate=validate.NoneOf(["admin"])),
        {"type": "string", "not": {"enum": ["admin"]}},
        ["ada"],
        [("admin", err({"not": {"enum": ["admin"]}}))],
        id="NoneOf",
    ),
    vcase(
        fields.Integer(validate=validate.Equal(42)),
        {"type": "integer", "enum": [42]},
        [42],
        [(41, err({"enum": [42]}))],
        id="Equal",
    ),
    vcase(
        fields.String(validate=validate.Regexp(r"[a-z]+")),
        {"type": "string", "pattern": "^(?:[a-z]+)"},
        ["abc", "abc1"],
        [("1abc", err({"pattern": "^(?:[a-z]+)"}))],
        id="Regexp",
    ),
    vcase(
        fields.String(validate=validate.Regexp(r"^[a-z]+$", flags=re.IGNORECASE)),
        {"type": "string", "description": "The server also checks: Regexp."},
        ["ABC"],
        [
            (
                "a1",
                err({"validate": "Regexp"}, message="String does not match expected pattern."),
            )
        ],
        id="Regexp-flags-in-Python",
    ),
    vcase(
        fields.List(fields.String(), validate=validate.ContainsOnly(["a", "b"])),
        {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
        [["a", "b", "a"], []],
        [(["a", "c"], err({"enum": ["a", "b"]}, 1))],
        id="ContainsOnly",
    ),
    vcase(
        fields.List(fields.String(), validate=validate.ContainsNoneOf(["x"])),
        {"type": "array", "items": {"type": "string", "not": {"enum": ["x"]}}},
        [["a"]],
        [(["a", "x"], err({"not": {"enum": ["x"]}}, 1))],
        id="ContainsNoneOf",
    ),
    vcase(
        fields.Integer(validate=is_even),
        {"type": "integer", "description": "The server also checks: is_even."},
        [2],
        [(3, err({"validate": "is_even"}, message="Must be even."))],
        id="function-in-Python",
    ),
    vcase(
        fields.Integer(validate=lambda v: v > 0, error_messages={"validator_failed": "Too small"}),
        {"type": "integer", "description": "The server also checks: <lambda>."},
        [1],
        [(0, err({"validate": "<lambda>"}, message="Too small"))],
        id="predicate-returning-False",
    ),
    vcase(
        fields.Integer(validate=validate.And(validate.Range(min=0), is_even)),
        {"type": "integer", "minimum": 0, "description": "The server also checks: is_even."},
        [4],
        [(-2, err({"minimum": 0})), (5, err({"validate": "is_even"}, message="Must be even."))],
        id="And",
    ),
    vcase(
        fields.Dict(keys=fields.String(validate=validate.Length(max=3)), values=fields.Integer()),
        {"type": "object", "additionalProperties": {"type": "integer"}},
        [{"abc": 1}],
        [
            (
                {"abcd": 1},
                err({"validate": "Length"}, "abcd", message="Longer than maximum length 3."),
            )
        ],
        id="Dict-keys-in-Python",
    ),
]


@pytest.mark.parametrize("field, schema, good, bad", VALIDATOR_CASES)
def test_validator(field, schema, good, bad):
    class ThingSchema(Schema):
        value = field

    env = Env(ThingSchema)
    assert env.resource.schema.create["properties"]["value"] == schema
    for value in good:
        response = env.post({"value": value})
        assert response.status_code == 200, response.json
        assert response.json["value"] == value
    count = len(env.items)
    for value, entry in bad:
        response = env.post({"value": value})
        assert response.status_code == 400, (value, response.json)
        assert response.json["errors"] == [entry]
    assert len(env.items) == count


def test_errors_of_every_field_in_one_body():
    class ThingSchema(Schema):
        a = fields.Integer(validate=is_even)
        b = fields.Date(validate=validate.Range(max=datetime.date(2000, 1, 1)))

    env = Env(ThingSchema)
    response = env.post({"a": 1, "b": "2001-01-01"})
    assert response.status_code == 400
    assert response.json["errors"] == [
        {"path": ["a"], "message": "Must be even.", "validationOf": {"validate": "is_even"}},
        {
            "path": ["b"],
            "message": "Must be less than or equal to 2000-01-01.",
            "validationOf": {"validate": "Range"},
        },
    ]


# -- options ------------------------------------------------------------------------


def test_required_and_allow_none():
    class ThingSchema(Schema):
        title = fields.String(required=True)
        note = fields.String(allow_none=True)
        pages = fields.Integer()

    env = Env(ThingSchema)
    create = env.resource.schema.create
    assert create["required"] == ["title"]
    assert create["properties"]["note"] == {"type": ["string", "null"]}
    missing = env.post({"pages": 3})
    assert missing.status_code == 400
    assert missing.json["errors"] == [{"path": [], "validationOf": {"required": ["title"]}}]
    null = env.post({"title": "t", "pages": None})
    assert null.status_code == 400
    assert null.json["errors"] == [{"path": ["pages"], "validationOf": {"type": "integer"}}]
    ok = env.post({"title": "t", "note": None})
    assert ok.status_code == 200
    assert env.items[1] == {"id": 1, "title": "t", "note": None}
    # PATCH: nothing is required
    assert env.patch(1, {"pages": 7}).json["pages"] == 7


def test_load_default_and_dump_default():
    counter = iter(range(100))

    class ThingSchema(Schema):
        status = fields.String(load_default="draft")
        serial = fields.Integer(load_default=lambda: next(counter))
        label = fields.String(dump_default="(none)")

    env = Env(ThingSchema)
    properties = env.resource.schema.create["properties"]
    assert properties["status"] == {"type": "string", "default": "draft"}
    assert "default" not in properties["serial"]
    first = env.post({})
    second = env.post({"status": "done"})
    assert (first.status_code, second.status_code) == (200, 200)
    assert env.items[1] == {"id": 1, "status": "draft", "serial": 0}
    assert env.items[2] == {"id": 2, "status": "done", "serial": 1}
    # the dump default is what an item without the attribute shows
    assert first.json["label"] == "(none)"
    # a PATCH does not apply load defaults
    assert env.patch(2, {"label": "x"}).json == {
        "$uri": "/thing/2",
        "status": "done",
        "serial": 1,
        "label": "x",
    }


def test_load_only_and_dump_only():
    class ThingSchema(Schema):
        name = fields.String()
        password = fields.String(load_only=True)
        created = fields.Integer(dump_only=True, dump_default=0)

    env = Env(ThingSchema)
    document = env.document()["properties"]
    assert "password" not in document
    assert document["created"] == {"type": "integer", "readOnly": True}
    assert set(env.resource.schema.create["properties"]) == {"name", "password"}
    response = env.post({"name": "ada", "password": "secret"})
    assert response.json == {"$uri": "/thing/1", "name": "ada", "created": 0}
    assert env.items[1]["password"] == "secret"
    refused = env.post({"name": "x", "created": 5})
    assert refused.status_code == 400
    assert refused.json["errors"] == [{"path": [], "validationOf": {"additionalProperties": False}}]


def test_meta_load_only_and_dump_only_and_exclude():
    class ThingSchema(Schema):
        name = fields.String()
        secret = fields.String()
        stamp = fields.Integer()
        hidden = fields.Integer()

        class Meta:
            load_only = ("secret",)
            dump_only = ("stamp",)
            exclude = ("hidden",)

    env = Env(ThingSchema)
    assert set(env.document()["properties"]) == {"$uri", "name", "stamp"}
    assert set(env.resource.schema.create["properties"]) == {"name", "secret"}


def test_data_key_is_the_wire_name():
    class ThingSchema(Schema):
        first_name = fields.String(data_key="firstName", required=True)
        age = fields.Integer(data_key="Age", validate=is_even)

    env = Env(ThingSchema)
    create = env.resource.schema.create
    assert set(create["properties"]) == {"firstName", "Age"}
    assert create["required"] == ["firstName"]
    response = env.post({"firstName": "Ada", "Age": 36})
    assert response.status_code == 200
    assert response.json == {"$uri": "/thing/1", "firstName": "Ada", "Age": 36}
    assert env.items[1] == {"id": 1, "first_name": "Ada", "age": 36}
    refused = env.post({"first_name": "Ada"})
    assert refused.status_code == 400
    bad = env.post({"firstName": "Ada", "Age": 3})
    assert bad.json["errors"] == [
        {"path": ["Age"], "message": "Must be even.", "validationOf": {"validate": "is_even"}}
    ]
    # filters and sorting use the wire name too
    assert env.client.get('/thing?where={"firstName": "Ada"}').json[0]["Age"] == 36
    assert env.client.get('/thing?sort={"Age": true}').status_code == 200


def test_attribute_reads_another_attribute():
    class ThingSchema(Schema):
        name = fields.String(attribute="full_name")

    env = Env(ThingSchema)
    env.post({"name": "Ada Lovelace"})
    assert env.items[1] == {"id": 1, "full_name": "Ada Lovelace"}
    assert env.client.get("/thing/1").json["name"] == "Ada Lovelace"


def test_metadata_gives_title_description_and_keywords():
    class ThingSchema(Schema):
        code = fields.String(
            metadata={"title": "Code", "description": "Two letters", "example": "FR"},
            validate=validate.Length(equal=2),
        )
        score = fields.Integer(metadata={"description": "Points"}, validate=is_even)

    env = Env(ThingSchema)
    properties = env.document()["properties"]
    assert properties["code"] == {
        "type": "string",
        "title": "Code",
        "description": "Two letters",
        "example": "FR",
        "minLength": 2,
        "maxLength": 2,
    }
    assert properties["score"]["description"] == "Points The server also checks: is_even."


def test_inner_schema_fields_override_converted_ones():
    from potion import fields as potion_fields

    class ThingSchema(Schema):
        name = fields.String()
        rank = fields.Integer()

    class Meta:
        pass

    env = Env(ThingSchema)
    base = env.resource
    Override = type(
        "Override",
        (base,),
        {
            "Schema": type("Schema", (), {"rank": potion_fields.Integer(minimum=1, io="r")}),
            "Meta": type("Meta", (), {"name": "override"}),
        },
    )
    assert Override.schema.fields["rank"].io == "r"
    assert Override.schema.fields["name"] is not None
    assert "rank" not in Override.schema.create["properties"]
