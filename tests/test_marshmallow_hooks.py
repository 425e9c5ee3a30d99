"""The schema's own Python steps: @validates, @validates_schema, pre_load/post_load,
pre_dump/post_dump; marshmallow's ValidationError as Potion's 400 body."""

from __future__ import annotations

import pytest
from marshmallow import (  # noqa: E402
    EXCLUDE,
    INCLUDE,
    Schema,
    ValidationError,
    fields,
    post_dump,
    post_load,
    pre_dump,
    pre_load,
    validates,
    validates_schema,
)

from potion.contrib.marshmallow import DeclarationError  # noqa: E402

from .marshmallow_env import Env


class EventSchema(Schema):
    title = fields.String(required=True)
    starts = fields.Integer()
    ends = fields.Integer(data_key="endsAt")

    @validates("title")
    def no_shouting(self, value, data_key):
        if value.isupper():
            raise ValidationError("No shouting.")

    @validates_schema
    def in_order(self, data, **kwargs):
        if "starts" in data and "ends" in data and data["ends"] < data["starts"]:
            raise ValidationError("Ends before it starts.", "ends")

    @validates_schema
    def not_both_zero(self, data, partial, many, **kwargs):
        assert many is False
        if data.get("starts") == 0 and data.get("ends") == 0:
            raise ValidationError("Zero length.")


def test_validates_and_validates_schema():
    env = Env(EventSchema)
    ok = env.post({"title": "Talk", "starts": 1, "endsAt": 2})
    assert ok.status_code == 200
    shouting = env.post({"title": "TALK"})
    assert shouting.status_code == 400
    assert shouting.json == {
        "errors": [
            {
                "path": ["title"],
                "message": "No shouting.",
                "validationOf": {"validates": "no_shouting"},
            }
        ],
        "message": "Bad Request",
        "status": 400,
    }
    order = env.post({"title": "Talk", "starts": 5, "endsAt": 2})
    assert order.json["errors"] == [
        {
            "path": ["endsAt"],  # the field's wire name
            "message": "Ends before it starts.",
            "validationOf": {"validates_schema": "in_order"},
        }
    ]
    zero = env.post({"title": "Talk", "starts": 0, "endsAt": 0})
    assert zero.json["errors"] == [
        {
            "path": [],
            "message": "Zero length.",
            "validationOf": {"validates_schema": "not_both_zero"},
        }
    ]
    assert len(env.items) == 1


def test_schema_validators_skip_after_field_errors_and_patch_is_partial():
    env = Env(EventSchema)
    # skip_on_field_errors (the default): in_order does not run after no_shouting failed
    both = env.post({"title": "TALK", "starts": 5, "endsAt": 2})
    assert [e["validationOf"] for e in both.json["errors"]] == [{"validates": "no_shouting"}]
    env.post({"title": "Talk", "starts": 1, "endsAt": 2})
    # PATCH runs the hooks on the changed fields (partial=True), as marshmallow does
    assert env.patch(1, {"starts": 3, "endsAt": 1}).status_code == 400
    assert env.patch(1, {"title": "SHOUT"}).status_code == 400
    patched = env.patch(1, {"starts": 2})
    assert patched.status_code == 200
    assert env.items[1]["starts"] == 2


def test_validates_schema_with_pass_original_and_messages_dict():
    class Schema_(Schema):
        a = fields.Integer()

        @validates_schema(pass_original=True)
        def check(self, data, original, **kwargs):
            if original.get("a") == 13:
                raise ValidationError({"a": ["Unlucky."], "b": ["Also wrong."]})

    env = Env(Schema_)
    response = env.post({"a": 13})
    assert response.json["errors"] == [
        {"path": ["a"], "message": "Unlucky.", "validationOf": {"validates_schema": "check"}},
        {"path": ["b"], "message": "Also wrong.", "validationOf": {"validates_schema": "check"}},
    ]


def test_pre_load_runs_after_the_compiled_validation_and_is_validated_again():
    class Schema_(Schema):
        name = fields.String()
        tags = fields.List(fields.String())

        @pre_load
        def clean(self, data, **kwargs):
            data = dict(data)
            if "name" in data:
                data["name"] = data["name"].strip()
            if data.get("name") == "list":
                data["tags"] = "not a list"
            return data

    env = Env(Schema_)
    ok = env.post({"name": "  Ada  "})
    assert ok.status_code == 200
    assert env.items[1]["name"] == "Ada"
    # the compiled validation comes first: the hook never sees a body of the wrong shape
    assert env.post({"name": 5}).json["errors"] == [
        {"path": ["name"], "validationOf": {"type": "string"}}
    ]
    # what the hook makes is validated again
    broken = env.post({"name": "list"})
    assert broken.status_code == 400
    assert broken.json["errors"] == [{"path": ["tags"], "validationOf": {"type": "array"}}]
    assert len(env.items) == 1


def test_post_load_transforms_and_can_refuse():
    class Schema_(Schema):
        first = fields.String()
        last = fields.String()

        @post_load
        def join(self, data, partial, **kwargs):
            if data.get("first") == "nobody":
                raise ValidationError("Who?", "first")
            if not partial:
                data["full_name"] = f"{data.get('first', '')} {data.get('last', '')}".strip()
            return data

    env = Env(Schema_)
    assert env.post({"first": "Ada", "last": "Lovelace"}).status_code == 200
    assert env.items[1]["full_name"] == "Ada Lovelace"
    refused = env.post({"first": "nobody"})
    assert refused.json["errors"] == [
        {"path": ["first"], "message": "Who?", "validationOf": {"post_load": "join"}}
    ]
    assert env.patch(1, {"last": "King"}).status_code == 200
    assert env.items[1]["full_name"] == "Ada Lovelace"


def test_post_load_returning_an_object_is_an_error_that_stores_nothing():
    class Thing:
        def __init__(self, **kwargs):
            self.__dict__.update(kwargs)

    class Schema_(Schema):
        name = fields.String()

        @post_load
        def make(self, data, **kwargs):
            return Thing(**data)

    env = Env(Schema_)
    logged = []
    env.app.logger.error = lambda *args, **kwargs: logged.append(kwargs["exc_info"])
    response = env.post({"name": "x"})
    assert response.status_code == 500
    assert "Traceback" not in response.get_data(as_text=True)
    assert "Schema_.make (a post_load hook) returned Thing, not a dict" in str(logged[0])
    assert env.items == {}


def test_field_level_pre_load_and_post_load():
    class Schema_(Schema):
        code = fields.String(pre_load=[str.strip], post_load=[str.upper])

    env = Env(Schema_)
    assert env.post({"code": "  ab "}).json["code"] == "AB"
    assert env.items[1]["code"] == "AB"


def test_post_dump_and_pre_dump_apply_to_output():
    class Schema_(Schema):
        name = fields.String()

        @pre_dump
        def named(self, item, **kwargs):
            return dict(item, name=item["name"] or "anonymous")

        @post_dump(pass_original=True)
        def stamp(self, data, original, **kwargs):
            data["id_seen"] = original["id"]
            return data

    env = Env(Schema_)
    env.post({"name": ""})
    env.post({"name": "Ada"})
    assert env.client.get("/thing/1").json == {
        "$uri": "/thing/1",
        "name": "anonymous",
        "id_seen": 1,
    }
    listed = env.client.get("/thing").json
    assert [item["name"] for item in listed] == ["anonymous", "Ada"]
    assert [item["id_seen"] for item in listed] == [1, 2]


def test_without_dump_hooks_the_formatter_is_the_compiled_one():
    class Plain(Schema):
        name = fields.String()

    env = Env(Plain)
    schema = env.resource.schema
    # the same function a FieldSet compiles, no wrapper around it
    assert schema.formatter().__qualname__ == "FieldSet.compile_formatter.<locals>.format_item"
    assert schema.hooks.loads is False and schema.hooks.dumps is False


def test_post_dump_on_the_collection_is_refused_at_start_up():
    class Schema_(Schema):
        name = fields.String()

        @post_dump(pass_collection=True)
        def envelope(self, data, many, **kwargs):
            return {"data": data}

    with pytest.raises(DeclarationError, match="Schema_.envelope is a post_dump hook"):
        Env(Schema_)


def test_validates_of_an_unknown_field_is_refused_at_start_up():
    class Schema_(Schema):
        name = fields.String()

        @validates("nmae")
        def check(self, value, data_key):
            pass

    with pytest.raises(DeclarationError, match="validates 'nmae', which is not a field"):
        Env(Schema_)


def test_unknown_exclude_ignores_keys_and_include_is_refused_for_items():
    class Loose(Schema):
        name = fields.String()

        class Meta:
            unknown = EXCLUDE

    env = Env(Loose)
    assert env.resource.schema.create["additionalProperties"] is True
    assert env.post({"name": "a", "extra": 1}).status_code == 200
    assert env.items[1] == {"id": 1, "name": "a"}

    class Open(Schema):
        name = fields.String()

        class Meta:
            unknown = INCLUDE

    with pytest.raises(DeclarationError, match="unknown = INCLUDE"):
        Env(Open)


def test_many_schema_is_refused_as_an_item_schema():
    class One(Schema):
        name = fields.String()

    with pytest.raises(DeclarationError, match=r"One\(many=True\) describes a list"):
        Env(One(many=True))


def test_recursive_nesting_is_refused_at_start_up():
    class Node(Schema):
        name = fields.String()
        children = fields.List(fields.Nested(lambda: Node()))

    with pytest.raises(DeclarationError, match="the schemas nest each other \\(Node -> Node\\)"):
        Env(Node)


def test_a_schema_instance_with_only():
    class Full(Schema):
        a = fields.Integer()
        b = fields.Integer()

    env = Env(Full(only=("a",)))
    assert set(env.resource.schema.fields) == {"a", "$uri"}
