"""Custom marshmallow field types: refused at start-up until registered, then served;
and the core's adapter registry (Meta.<library>_schema) without the adapter."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from marshmallow import Schema, ValidationError, fields  # noqa: E402

from potion import fields as potion_fields  # noqa: E402
from potion.contrib.marshmallow import UnmappedField, register  # noqa: E402
from potion.contrib.marshmallow import convert as convert_module  # noqa: E402

from .marshmallow_env import Env


@pytest.fixture(autouse=True)
def clean_registry():
    saved = dict(convert_module._REGISTRY)
    yield
    convert_module._REGISTRY.clear()
    convert_module._REGISTRY.update(saved)


class Color(fields.Field):
    """A ``#rrggbb`` colour, held as an (r, g, b) tuple."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else "#{:02x}{:02x}{:02x}".format(*value)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return tuple(int(value[i : i + 2], 16) for i in (1, 3, 5))
        except (ValueError, TypeError, IndexError):
            raise ValidationError("Not a colour.") from None


class Lowercase(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).lower()


class ShortString(fields.String):
    """Only options: served as its base class."""

    def __init__(self, **kwargs):
        super().__init__(metadata={"description": "short"}, **kwargs)


def test_an_unmapped_field_type_is_refused_at_start_up():
    class PaintSchema(Schema):
        color = Color()

    with pytest.raises(UnmappedField) as info:
        Env(PaintSchema)
    message = str(info.value)
    assert "PaintSchema.color is a Color" in message
    assert 'potion.contrib.marshmallow.register(Color, {"type": "string"})' in message


def test_a_subclass_changing_the_wire_format_is_refused():
    class TagSchema(Schema):
        name = Lowercase()

    with pytest.raises(UnmappedField, match="it changes how String writes or reads values"):
        Env(TagSchema)


def test_a_subclass_with_options_only_maps_as_its_base():
    class TagSchema(Schema):
        name = ShortString()

    env = Env(TagSchema)
    assert type(env.resource.schema.fields["name"]) is potion_fields.String
    assert env.document()["properties"]["name"] == {"type": "string", "description": "short"}


def test_register_a_json_schema():
    register(Color, {"type": "string", "pattern": "^#[0-9a-f]{6}$"})

    class PaintSchema(Schema):
        color = Color(required=True)

    env = Env(PaintSchema)
    assert env.resource.schema.create["properties"]["color"] == {
        "type": "string",
        "pattern": "^#[0-9a-f]{6}$",
    }
    response = env.post({"color": "#ff8000"})
    assert response.status_code == 200
    assert env.items[1]["color"] == (255, 128, 0)  # the field's own _deserialize
    assert response.json["color"] == "#ff8000"  # and _serialize
    refused = env.post({"color": "orange"})
    assert refused.json["errors"] == [
        {"path": ["color"], "validationOf": {"pattern": "^#[0-9a-f]{6}$"}}
    ]


def test_register_a_converter():
    def lowercase(field, convert):
        return potion_fields.String(pattern="^[a-z]*$")

    register(Lowercase, lowercase)

    class TagSchema(Schema):
        name = Lowercase(required=True)
        names = fields.List(Lowercase())

    env = Env(TagSchema)
    assert env.resource.schema.create["properties"]["names"] == {
        "type": "array",
        "items": {"type": "string", "pattern": "^[a-z]*$"},
    }
    assert env.post({"name": "Abc"}).status_code == 400
    assert env.post({"name": "abc", "names": ["x"]}).status_code == 200


def test_register_refuses_what_is_not_a_field_class():
    with pytest.raises(TypeError, match="marshmallow field class"):
        register(str, {"type": "string"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a function"):
        register(Color, "string")  # type: ignore[arg-type]


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )


def test_meta_option_without_its_adapter_is_an_error():
    result = run_python(
        """
        from marshmallow import Schema, fields
        from potion import Resource

        class BookSchema(Schema):
            title = fields.String()

        class Book(Resource):
            class Meta:
                marshmallow_schema = BookSchema
        """
    )
    assert result.returncode == 1
    assert (
        "RuntimeError: Book: no schema adapter reads Meta.marshmallow_schema; adapters register "
        "themselves when imported (for marshmallow: import potion.contrib.marshmallow)"
    ) in result.stderr


def test_importing_the_adapter_is_all_it_takes():
    result = run_python(
        """
        import sys
        import potion
        assert "marshmallow" not in sys.modules
        import potion.contrib.marshmallow
        from potion.adapters import adapters
        assert list(adapters()) == ["marshmallow_schema"]
        assert "marshmallow_sqlalchemy" not in sys.modules and "sqlalchemy" not in sys.modules
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
