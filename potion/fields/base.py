"""The field base class :class:`Raw` and the fields with a schema of their own's choosing."""

from __future__ import annotations

import functools
import typing as t
from typing import Callable

from ..schema import ResourceBound, Schema

__all__ = ["Raw", "Any", "Custom", "normalize_io", "get_value"]


def normalize_io(io: str) -> str:
    """``'rw'`` → ``'cru'``: the set of operations a field takes part in."""
    result: set[str] = set()
    for char in io:
        if char == "w":
            result.update("cu")
        elif char in "rcu":
            result.add(char)
        else:
            raise ValueError(f"Invalid io flag {char!r} in {io!r}; use r, w, c and u")
    return "".join(sorted(result, key="cru".index))


_ABSENT: t.Any = object()


def get_value(key: str, obj: t.Any, default: t.Any) -> t.Any:
    """``obj[key]`` for mappings, else ``getattr(obj, key)``; ``default`` if absent."""
    if isinstance(obj, dict):
        value = obj.get(key, _ABSENT)
    else:
        value = getattr(obj, key, _ABSENT)
    if value is _ABSENT:
        return default() if callable(default) else default
    return value


class Raw(Schema, ResourceBound):
    """A field with an explicit JSON Schema; the base of every other field.

    :param schema: a JSON Schema dict, a ``(read, write)`` pair, a :class:`Schema`,
        or a callable returning one of these (evaluated when first needed).
    :param io: operations the field takes part in (``r``, ``w``, ``c``, ``u``).
    :param default: value (or zero-argument callable) used when the value is absent.
    :param attribute: attribute or key on the item (default: the field's name).
    :param nullable: whether ``null`` is an accepted value.
    """

    url_rule_converter: str | None = None
    #: JSON type of the values, used to pick key converters and filters.
    json_type: str | None = None
    #: Not required on create even without a default (the data store fills it).
    optional: bool = False
    #: Whether the JSON Schema shows the value of a callable ``default`` (called when
    #: the schema is built).  Adapters of libraries that never publish one turn it off.
    publishes_callable_default: bool = True
    #: Further JSON Schema keywords (``{"minLength": 3}``) merged into the field's
    #: read and write schemas; schema adapters put converted constraints here.
    keywords: dict[str, t.Any] | None = None
    #: The value output when the item has no such attribute or key (a value or a
    #: zero-argument callable); when unset, :attr:`default`.
    output_default: t.Any = _ABSENT

    def __init__(
        self,
        schema: t.Any = None,
        io: str = "rw",
        default: t.Any = None,
        attribute: str | None = None,
        nullable: bool = False,
        title: str | None = None,
        description: str | None = None,
    ) -> None:
        self._schema = schema if schema is not None else {}
        self.io = normalize_io(io)
        self.default = default
        self.attribute = attribute
        self.nullable = nullable
        self.title = title
        self.description = description

    def __repr__(self) -> str:
        return f"{type(self).__name__}(attribute={self.attribute!r})"

    # -- schema ------------------------------------------------------------------

    def _raw_schema(self) -> t.Any:
        schema = self._schema
        if callable(schema) and not isinstance(schema, Schema):
            schema = schema()
        if isinstance(schema, Schema):
            return schema.response, schema.request
        return schema

    def schema(self) -> t.Any:
        raw = self._raw_schema()
        if isinstance(raw, tuple):
            read, write = raw
        else:
            read = write = raw
        return self._finalize(read, response=True), self._finalize(write, response=False)

    def _finalize(self, schema: dict[str, t.Any], response: bool) -> dict[str, t.Any]:
        schema = dict(schema)
        if self.keywords:
            schema.update(self.keywords)
        if self.nullable:
            schema = _make_nullable(schema)
        for key, value in (("title", self.title), ("description", self.description)):
            if value is not None:
                schema[key] = value
        default = self.default
        if default is not None:
            if not callable(default):
                schema["default"] = self.format(default)
            elif self.publishes_callable_default:
                # called, as Flask-Potion does: the schema shows the value it gives now
                schema["default"] = self.format(default())
        if response and self.io == "r":
            schema["readOnly"] = True
        return schema

    # -- output and input --------------------------------------------------------

    def output(self, key: str, obj: t.Any) -> t.Any:
        """The formatted value of this field on ``obj``."""
        value = get_value(self.attribute or key, obj, _ABSENT)
        return self.format(self.missing_output() if value is _ABSENT else value)

    def missing_output(self) -> t.Any:
        """The value output for an item without this field's attribute."""
        default = self.default if self.output_default is _ABSENT else self.output_default
        return default() if callable(default) else default

    def output_function(self, key: str) -> Callable[[t.Any], t.Any]:
        """``output(key, obj)`` as a function of ``obj`` alone.

        :class:`~potion.schema.FieldSet` compiles its formatter from these.  When
        ``output`` is not overridden, the function reads the value and formats it
        in one call (and skips ``format`` when it returns values unchanged);
        otherwise it is ``output`` with ``key`` bound.
        """
        if getattr(self.output, "__func__", None) is not Raw.output:
            return functools.partial(self.output, key)
        fmt = self.format
        plain = getattr(fmt, "__func__", None) is Raw.format
        field = self

        def output(obj: t.Any) -> t.Any:
            name = field.attribute or key
            if isinstance(obj, dict):
                value = obj.get(name, _ABSENT)
            else:
                value = getattr(obj, name, _ABSENT)
            if value is _ABSENT:
                value = field.missing_output()
            return value if plain else fmt(value)

        return output

    def format(self, value: t.Any) -> t.Any:
        return value

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        return instance

    def convert_url_value(self, value: str) -> t.Any:
        """Convert an id taken from a URL path segment."""
        if self.json_type == "integer":
            return int(value)
        return value


def _make_nullable(schema: dict[str, t.Any]) -> dict[str, t.Any]:
    if "type" in schema:
        kind = schema["type"]
        if isinstance(kind, list):
            if "null" not in kind:
                schema["type"] = kind + ["null"]
        elif kind != "null":
            schema["type"] = [kind, "null"]
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = list(schema["enum"]) + [None]
        return schema
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            schema[combinator] = list(schema[combinator]) + [{"type": "null"}]
            return schema
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    return schema


def _options(**options: t.Any) -> dict[str, t.Any]:
    return {key: value for key, value in options.items() if value is not None}


class Any(Raw):  # noqa: A001 - the Flask-Potion name
    """t.Any JSON value, passed through unchanged."""

    def __init__(self, **kwargs: t.Any) -> None:
        super().__init__(
            {"type": ["null", "string", "number", "boolean", "object", "array"]}, **kwargs
        )


class Custom(Raw):
    """A field with a given schema and user functions to convert and format."""

    def __init__(
        self,
        schema: t.Any,
        converter: Callable[[t.Any], t.Any] | None = None,
        formatter: Callable[[t.Any], t.Any] | None = None,
        **kwargs: t.Any,
    ) -> None:
        super().__init__(schema, **kwargs)
        self.converter = converter
        self.formatter = formatter

    def format(self, value: t.Any) -> t.Any:
        if self.formatter is None or value is None:
            return value
        return self.formatter(value)

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        if self.converter is None or instance is None:
            return instance
        return self.converter(instance)


def _field_instance(cls_or_instance: t.Any) -> Raw:
    if isinstance(cls_or_instance, type):
        return cls_or_instance()
    return cls_or_instance
