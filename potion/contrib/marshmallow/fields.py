"""Potion fields with marshmallow behaviour, and the Python steps of a converted field.

Most marshmallow fields become Potion's own fields (``String``, ``Integer``,
``Number``, ``Boolean``, ``DateString``, ``ToOne``...), which format and convert
exactly as marshmallow does for JSON values.  The classes here cover the rest:

- :class:`Delegated` fields publish a JSON Schema and let the marshmallow field's
  own ``_serialize`` and ``_deserialize`` do the formatting and the converting
  (dates in a custom format, decimals, UUIDs, enums, custom field types...);
- containers (:class:`ListValue`, :class:`TupleValue`, :class:`DictValue`,
  :class:`NestedValue`, :class:`PluckValue`) convert their items through
  :func:`convert_value`, so the items' Python steps run and errors carry the
  index or key of the item;
- :class:`ComputedValue` serves ``Method`` and ``Function`` fields, and
  :class:`ConstantValue` ``Constant``.

:class:`Steps` is the Python work of one field on input, kept on the converted
field as ``marshmallow_steps`` (None when there is nothing to run): field-level
``pre_load`` and ``post_load`` callables and the validators that have no JSON
Schema form.  The field's parent (a :class:`~.schemas.MarshmallowFieldSet` or a
container above) runs them through :func:`convert_value`.
"""

from __future__ import annotations

import dataclasses
import typing as t
from typing import Any, Callable

import marshmallow as ma

from ... import fields
from ...exceptions import ValidationError
from .errors import potion_errors, validation_error

__all__ = [
    "Steps",
    "convert_value",
    "Delegated",
    "MarshmallowValue",
    "StringValue",
    "IntegerValue",
    "NumberValue",
    "DateValue",
    "DateTimeValue",
    "ComputedValue",
    "ConstantValue",
    "ListValue",
    "TupleValue",
    "DictValue",
    "NestedValue",
    "PluckValue",
]


@dataclasses.dataclass
class Steps:
    """The Python steps of one field's input, in marshmallow's order.

    ``pre_load`` callables see the JSON value (which is validated again against
    the field's schema when they ran), then the field converts it, then the
    ``validators`` check the Python value and the ``post_load`` callables
    transform it.
    """

    pre_load: list[Callable[[Any], Any]]
    validators: list[tuple[str, Callable[[Any], Any]]]
    post_load: list[Callable[[Any], Any]]
    #: the message of a validator that returns False (marshmallow's ``validator_failed``)
    failed_message: str = "Invalid value."

    def convert(self, field: fields.Raw, value: Any) -> Any:
        if self.pre_load:
            for function in self.pre_load:
                value = _call(function, value, {"pre_load": _name(function)})
            field.request_validator.validate(value)
        if value is None:
            return None
        result = field.convert(value, validate=False)
        errors: list[dict[str, Any]] = []
        for name, validator in self.validators:
            try:
                if validator(result) is False:
                    errors += potion_errors(self.failed_message, [], {"validate": name})
            except ma.ValidationError as exc:
                errors += potion_errors(exc.messages, [], {"validate": name})
        if errors:
            raise ValidationError(errors)
        for function in self.post_load:
            result = _call(function, result, {"post_load": _name(function)})
        return result


def _call(function: Callable[[Any], Any], value: Any, rule: dict[str, Any]) -> Any:
    try:
        return function(value)
    except ma.ValidationError as exc:
        raise validation_error(exc.messages, [], rule) from None


def _name(function: Any) -> str:
    return getattr(function, "__name__", None) or type(function).__name__


def convert_value(field: fields.Raw, value: Any) -> Any:
    """A validated JSON value as Python: the field's conversion and its Python steps."""
    steps: Steps | None = getattr(field, "marshmallow_steps", None)
    if steps is None:
        return field.convert(value, validate=False)
    return steps.convert(field, value)


def _prefixed(exc: ValidationError, key: Any) -> list[dict[str, Any]]:
    for error in exc.errors:
        error["path"] = [key, *error.get("path", [])]
    return exc.errors


class Delegated(fields.Raw):
    """A field whose values are formatted and converted by the marshmallow field itself.

    :param marshmallow_field: the (bound) marshmallow field.
    :param schema: the JSON Schema of its values.
    """

    def __init__(
        self, marshmallow_field: ma.fields.Field, schema: dict[str, Any], **kwargs: Any
    ) -> None:
        fields.Raw.__init__(self, schema, **kwargs)
        self.marshmallow_field = marshmallow_field

    def format(self, value: Any) -> Any:
        if value is None:
            return None
        return self.marshmallow_field._serialize(value, None, None)

    def convert(self, instance: Any, validate: bool = True) -> Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        field = self.marshmallow_field
        try:
            return field._deserialize(instance, None, None)
        except ma.ValidationError as exc:
            raise validation_error(
                exc.messages, [], {"deserialize": type(field).__name__}
            ) from None


class MarshmallowValue(Delegated):
    """Any JSON value of the given schema (custom field types registered with a schema)."""


class StringValue(Delegated, fields.String):
    """A JSON string converted by marshmallow (UUID, Time, IP addresses, enum names...)."""


class IntegerValue(Delegated, fields.Integer):
    """A JSON integer converted by marshmallow (an enum's integer values)."""


class NumberValue(Delegated, fields.Number):
    """A JSON number converted by marshmallow (Decimal, TimeDelta, timestamps)."""


class DateValue(Delegated, fields.DateString):
    """A date in a format other than ISO 8601, formatted and parsed by marshmallow."""


class DateTimeValue(Delegated, fields.DateTimeString):
    """A timestamp as marshmallow writes it: naive values stay naive, offsets are kept."""


class ComputedValue(Delegated):
    """A ``Method`` or ``Function`` field: its value is computed from the whole item.

    Read-only unless the marshmallow field has a ``deserialize`` function.
    """

    def output(self, key: str, obj: Any) -> Any:
        value = self.marshmallow_field._serialize(None, key, obj)
        return None if value is ma.missing else value


class ConstantValue(fields.Raw):
    """A ``Constant`` field: always the same value, whatever the item or the request."""

    def __init__(self, constant: Any, schema: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self.constant = constant

    def output(self, key: str, obj: Any) -> Any:
        return self.constant

    def convert(self, instance: Any, validate: bool = True) -> Any:
        if validate:
            self.request_validator.validate(instance)
        return self.constant


class ListValue(fields.Array):
    """A ``List``: an array of one converted field type."""

    def convert(self, instance: Any, validate: bool = True) -> Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        result = []
        errors: list[dict[str, Any]] = []
        for index, item in enumerate(instance):
            try:
                result.append(convert_value(self.container, item))
            except ValidationError as exc:
                errors += _prefixed(exc, index)
        if errors:
            raise ValidationError(errors)
        return result


class TupleValue(fields.Raw):
    """A ``Tuple``: an array of a fixed length, one field type per position."""

    json_type = "array"

    def __init__(self, items: list[fields.Raw], **kwargs: Any) -> None:
        self.items = items
        super().__init__(self._tuple_schema, **kwargs)

    def _on_bind(self, resource: Any) -> None:
        self.items = [item.bind(resource) for item in self.items]

    def _tuple_schema(self) -> tuple[dict[str, Any], dict[str, Any]]:
        def build(kind: str) -> dict[str, Any]:
            count = len(self.items)
            return {
                "type": "array",
                "items": [getattr(item, kind) for item in self.items],
                "additionalItems": False,
                "minItems": count,
                "maxItems": count,
            }

        return build("response"), build("request")

    def format(self, value: Any) -> Any:
        if value is None:
            return None
        return [item.format(v) for item, v in zip(self.items, value, strict=False)]

    def convert(self, instance: Any, validate: bool = True) -> Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        result = []
        errors: list[dict[str, Any]] = []
        for index, (item, value) in enumerate(zip(self.items, instance, strict=True)):
            try:
                result.append(convert_value(item, value))
            except ValidationError as exc:
                errors += _prefixed(exc, index)
        if errors:
            raise ValidationError(errors)
        return tuple(result)


class DictValue(fields.Object):
    """A ``Dict`` or ``Mapping``: an object whose keys and values have a field each."""

    def __init__(
        self, keys: fields.Raw | None = None, values: fields.Raw | None = None, **kwargs: Any
    ) -> None:
        super().__init__(additional_properties=values if values is not None else True, **kwargs)
        self.keys = keys
        self.values = values

    def _on_bind(self, resource: Any) -> None:
        super()._on_bind(resource)
        if self.keys is not None:
            self.keys = self.keys.bind(resource)
        if self.values is not None:
            self.values = self.additional_properties

    def format(self, value: Any) -> Any:
        if value is None:
            return None
        keys = self.keys.format if self.keys is not None else _same
        values = self.values.format if self.values is not None else _same
        return {keys(k): values(v) for k, v in dict(value).items()}

    def convert(self, instance: Any, validate: bool = True) -> Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        result = {}
        errors: list[dict[str, Any]] = []
        for key, value in instance.items():
            try:
                new_key = convert_value(self.keys, key) if self.keys is not None else key
                result[new_key] = (
                    convert_value(self.values, value) if self.values is not None else value
                )
            except ValidationError as exc:
                errors += _prefixed(exc, key)
        if errors:
            raise ValidationError(errors)
        return result


def _same(value: Any) -> Any:
    return value


class NestedValue(fields.Raw):
    """A ``Nested`` schema: an object embedded in the item, with the nested schema's fields."""

    json_type = "object"

    def __init__(self, nested: fields.FieldSet, **kwargs: Any) -> None:
        self.nested = nested
        super().__init__(lambda: (self.nested.response, self.nested.create), **kwargs)

    def _on_bind(self, resource: Any) -> None:
        self.nested = self.nested.bind(resource)

    def format(self, value: Any) -> Any:
        if value is None:
            return None
        return self.nested.format(value)

    def convert(self, instance: Any, validate: bool = True) -> Any:
        if instance is None:
            if validate:
                self.request_validator.validate(instance)
            return None
        return self.nested.convert(instance, validate=validate)


class PluckValue(fields.Raw):
    """A ``Pluck``: one field of a nested schema stands for the nested object.

    On output the plucked field's value is read from the nested object; on input
    the value becomes ``{attribute: value}`` (one per item with ``many``).
    """

    def __init__(self, field: fields.Raw, name: str, many: bool = False, **kwargs: t.Any) -> None:
        self.field = field
        self.name = name
        self.many = many
        self.json_type = "array" if many else field.json_type
        super().__init__(self._pluck_schema, **kwargs)

    def _on_bind(self, resource: Any) -> None:
        self.field = self.field.bind(resource)

    def _pluck_schema(self) -> tuple[dict[str, Any], dict[str, Any]]:
        read, write = self.field.response, self.field.request
        if self.many:
            return {"type": "array", "items": read}, {"type": "array", "items": write}
        return read, write

    def format(self, value: Any) -> Any:
        if value is None:
            return None
        if self.many:
            return [self.field.output(self.name, v) for v in value]
        return self.field.output(self.name, value)

    def convert(self, instance: Any, validate: bool = True) -> Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        attribute = self.field.attribute or self.name
        if not self.many:
            return {attribute: convert_value(self.field, instance)}
        result = []
        errors: list[dict[str, Any]] = []
        for index, item in enumerate(instance):
            try:
                result.append({attribute: convert_value(self.field, item)})
            except ValidationError as exc:
                errors += _prefixed(exc, index)
        if errors:
            raise ValidationError(errors)
        return result
