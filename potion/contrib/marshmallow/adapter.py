"""The schema adapter: ``Meta.marshmallow_schema`` and routes taking marshmallow schemas."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from ... import fields
from ...adapters import SchemaAdapter
from .convert import Conversion
from .errors import DeclarationError
from .fields import ListValue, NestedValue
from .schemas import MarshmallowFieldSet

__all__ = ["MarshmallowAdapter", "to_fieldset"]


def _is_schema(value: Any) -> bool:
    return isinstance(value, ma.Schema) or (
        isinstance(value, type) and issubclass(value, ma.Schema)
    )


def _instance(value: Any, where: str) -> ma.Schema:
    if isinstance(value, ma.Schema):
        return value
    if isinstance(value, type) and issubclass(value, ma.Schema):
        return value()
    raise DeclarationError(
        f"{where}: expected a marshmallow Schema class or instance, not {value!r}"
    )


def to_fieldset(schema: Any, where: str | None = None) -> MarshmallowFieldSet:
    """The Potion FieldSet of a marshmallow schema (class or instance).

    With ``partial=True`` on the instance no field is required.
    """
    instance = _instance(schema, where or "to_fieldset()")
    where = where or type(instance).__name__
    return Conversion(where).schema(instance, partial=instance.partial is True)


class MarshmallowAdapter(SchemaAdapter):
    """Reads ``Meta.marshmallow_schema``; converts marshmallow schemas given to routes."""

    option = "marshmallow_schema"

    def item_schema(self, value: Any, resource: Any) -> MarshmallowFieldSet:
        where = f"{resource.__name__} (Meta.marshmallow_schema)"
        schema = _instance(value, where)
        if schema.many:
            raise DeclarationError(
                f"{where}: {type(schema).__name__}(many=True) describes a list; the "
                "resource's schema describes one item"
            )
        if schema.unknown == ma.INCLUDE:
            raise DeclarationError(
                f"{where}: unknown = INCLUDE would let a client write any attribute of an "
                "item; use RAISE (refuse unknown keys) or EXCLUDE (ignore them)"
            )
        return Conversion(where).schema(schema)

    def route_schema(self, value: Any) -> fields.Raw | MarshmallowFieldSet | None:
        if not _is_schema(value):
            return None
        instance = _instance(value, "route schema")
        fieldset = to_fieldset(instance, f"route schema {type(instance).__name__}")
        if instance.many:
            return ListValue(NestedValue(fieldset), default=None)
        return fieldset
