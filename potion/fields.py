"""Fields: one class per JSON type, each with its JSON Schema, output and input.

A field reads a value from an item (``output``), turns a Python value into JSON
(``format``) and a validated JSON value into Python (``convert``).  Its ``io``
tells in which operations it takes part: ``r`` read, ``c`` create, ``u`` update
(``w`` is ``cu``).
"""

from __future__ import annotations

import datetime
import functools
import re
import typing as t
import uuid as uuid_module
from typing import Callable, Iterable

from .schema import FieldSet, ResourceBound, Schema

__all__ = [
    "Raw",
    "Any",
    "Custom",
    "Array",
    "List",
    "Object",
    "AttributeMapped",
    "String",
    "UUID",
    "Uri",
    "Email",
    "Date",
    "DateTime",
    "DateString",
    "DateTimeString",
    "Boolean",
    "Integer",
    "PositiveInteger",
    "Number",
    "ToOne",
    "ToMany",
    "Inline",
    "ItemType",
    "ItemUri",
]

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_UTC = datetime.UTC


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


def get_value(key: str, obj: t.Any, default: t.Any) -> t.Any:
    """``obj[key]`` for mappings, else ``getattr(obj, key)``; ``default`` if absent."""
    if isinstance(obj, dict):
        value = obj.get(key, _ABSENT)
    else:
        value = getattr(obj, key, _ABSENT)
    if value is _ABSENT:
        return default() if callable(default) else default
    return value


_ABSENT = object()


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
        if self.nullable:
            schema = _make_nullable(schema)
        for key, value in (("title", self.title), ("description", self.description)):
            if value is not None:
                schema[key] = value
        default = self.default
        if default is not None and not callable(default):
            schema["default"] = self.format(default)
        if response and self.io == "r":
            schema["readOnly"] = True
        return schema

    # -- output and input --------------------------------------------------------

    def output(self, key: str, obj: t.Any) -> t.Any:
        """The formatted value of this field on ``obj``."""
        return self.format(get_value(self.attribute or key, obj, self.default))

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
                default = field.default
                value = default() if callable(default) else default
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


class Array(Raw):
    """A JSON array of one field type."""

    json_type = "array"

    def __init__(
        self,
        cls_or_instance: t.Any,
        min_items: int | None = None,
        max_items: int | None = None,
        unique: bool | None = None,
        **kwargs: t.Any,
    ) -> None:
        self.container = _field_instance(cls_or_instance)
        self.min_items = min_items
        self.max_items = max_items
        self.unique = unique
        kwargs.setdefault("default", list)
        super().__init__(self._array_schema, **kwargs)

    def _on_bind(self, resource: t.Any) -> None:
        self.container = self.container.bind(resource)

    def _array_schema(self) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
        extra = _options(minItems=self.min_items, maxItems=self.max_items, uniqueItems=self.unique)
        read = {"type": "array", "items": self.container.response, **extra}
        write = {"type": "array", "items": self.container.request, **extra}
        return read, write

    def _finalize(self, schema: dict[str, t.Any], response: bool) -> dict[str, t.Any]:
        schema = super()._finalize(schema, response)
        if callable(self.default):
            schema["default"] = []
        return schema

    def format(self, value: t.Any) -> t.Any:
        if value is None:
            return None if self.nullable else []
        fmt = self.container.format
        return [fmt(v) for v in value]

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        convert = self.container.convert
        return [convert(v, validate=False) for v in instance]


List = Array


class Object(Raw):
    """A JSON object: named properties, or one field type for every value."""

    json_type = "object"

    def __init__(
        self,
        properties: t.Any = None,
        pattern: str | None = None,
        pattern_properties: dict[str, t.Any] | None = None,
        additional_properties: t.Any = None,
        **kwargs: t.Any,
    ) -> None:
        self.properties: dict[str, Raw] | None = None
        self.pattern_properties: dict[str, Raw] | None = None
        self.additional_properties: t.Any = additional_properties
        if isinstance(properties, dict):
            self.properties = {k: _field_instance(v) for k, v in properties.items()}
        elif properties is not None:
            field = _field_instance(properties)
            if pattern:
                self.pattern_properties = {pattern: field}
            else:
                self.additional_properties = field
        if pattern_properties:
            self.pattern_properties = {k: _field_instance(v) for k, v in pattern_properties.items()}
        if isinstance(self.additional_properties, type) or isinstance(
            self.additional_properties, Raw
        ):
            self.additional_properties = _field_instance(self.additional_properties)
        super().__init__(self._object_schema, **kwargs)

    def _on_bind(self, resource: t.Any) -> None:
        if self.properties:
            self.properties = {k: f.bind(resource) for k, f in self.properties.items()}
        if self.pattern_properties:
            self.pattern_properties = {
                k: f.bind(resource) for k, f in self.pattern_properties.items()
            }
        if isinstance(self.additional_properties, Raw):
            self.additional_properties = self.additional_properties.bind(resource)

    def _object_schema(self) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
        def build(kind: str) -> dict[str, t.Any]:
            schema: dict[str, t.Any] = {"type": "object"}
            if self.properties is not None:
                schema["properties"] = {k: getattr(f, kind) for k, f in self.properties.items()}
            if self.pattern_properties:
                schema["patternProperties"] = {
                    k: getattr(f, kind) for k, f in self.pattern_properties.items()
                }
            additional = self.additional_properties
            if isinstance(additional, Raw):
                schema["additionalProperties"] = getattr(additional, kind)
            elif additional is True:
                schema["additionalProperties"] = True
            elif self.properties is not None or self.pattern_properties:
                schema["additionalProperties"] = False
            return schema

        return build("response"), build("request")

    def _value_field(self, key: str) -> Raw | None:
        if self.properties and key in self.properties:
            return self.properties[key]
        if self.pattern_properties:
            for pattern, field in self.pattern_properties.items():
                if re.search(pattern, key):
                    return field
        if isinstance(self.additional_properties, Raw):
            return self.additional_properties
        return None

    def format(self, value: t.Any) -> t.Any:
        if value is None:
            return None
        result: dict[str, t.Any] = {}
        if self.properties is not None:
            # declared properties are read from dicts and objects alike
            result = {k: f.output(k, value) for k, f in self.properties.items() if "r" in f.io}
            if not isinstance(value, dict):
                return result
        free = self.additional_properties is True or (
            self.properties is None
            and not self.pattern_properties
            and self.additional_properties is None
        )
        for key, item in dict(value).items():
            if self.properties is not None and key in self.properties:
                continue
            field = self._value_field(key)
            if field is not None:
                result[key] = field.format(item)
            elif free:
                result[key] = item
        return result

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        result = {}
        for key, item in instance.items():
            field = self._value_field(key)
            result[key] = field.convert(item, validate=False) if field is not None else item
        return result


class AttributeMapped(Object):
    """A JSON object stored as a list of items keyed by one of their attributes."""

    def __init__(
        self,
        cls_or_instance: t.Any,
        mapping_attribute: str | None = None,
        pattern: str | None = None,
        **kwargs: t.Any,
    ) -> None:
        self.mapping_attribute = mapping_attribute
        super().__init__(cls_or_instance, pattern=pattern, **kwargs)

    def _value_field(self, key: str) -> Raw | None:
        if self.pattern_properties:
            return next(iter(self.pattern_properties.values()))
        return self.additional_properties if isinstance(self.additional_properties, Raw) else None

    def format(self, value: t.Any) -> t.Any:
        if value is None:
            return None
        field = self._value_field("")
        assert field is not None and self.mapping_attribute is not None
        return {get_value(self.mapping_attribute, v, None): field.format(v) for v in value}

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        field = self._value_field("")
        assert field is not None and self.mapping_attribute is not None
        result = []
        for key, value in instance.items():
            converted = field.convert(value, validate=False)
            if isinstance(converted, dict):
                converted[self.mapping_attribute] = key
            else:
                setattr(converted, self.mapping_attribute, key)
            result.append(converted)
        return result


class String(Raw):
    """A JSON string."""

    url_rule_converter = "string"
    json_type = "string"

    def __init__(
        self,
        min_length: int | None = None,
        max_length: int | None = None,
        pattern: str | None = None,
        enum: Iterable[str] | None = None,
        format: str | None = None,
        **kwargs: t.Any,
    ) -> None:
        schema: dict[str, t.Any] = {"type": "string"}
        schema.update(
            _options(minLength=min_length, maxLength=max_length, pattern=pattern, format=format)
        )
        if enum is not None:
            schema["enum"] = list(enum)
        super().__init__(schema, **kwargs)


class UUID(String):
    """A UUID in its canonical 36-character string form.

    With ``as_uuid=True`` input is converted to :class:`uuid.UUID` objects.
    """

    _PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

    def __init__(self, as_uuid: bool = False, **kwargs: t.Any) -> None:
        self.as_uuid = as_uuid
        super().__init__(min_length=36, max_length=36, pattern=self._PATTERN, **kwargs)

    def format(self, value: t.Any) -> t.Any:
        return None if value is None else str(value)

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        instance = super().convert(instance, validate)
        if self.as_uuid and instance is not None:
            return uuid_module.UUID(instance)
        return instance


class Uri(String):
    """A string holding a URI."""

    def __init__(self, **kwargs: t.Any) -> None:
        super().__init__(format="uri", **kwargs)


class Email(String):
    """A string holding an e-mail address."""

    def __init__(self, **kwargs: t.Any) -> None:
        super().__init__(format="email", **kwargs)


class Boolean(Raw):
    """A JSON boolean; ``None`` stays ``null``."""

    json_type = "boolean"

    def __init__(self, **kwargs: t.Any) -> None:
        super().__init__({"type": "boolean"}, **kwargs)

    def format(self, value: t.Any) -> t.Any:
        return None if value is None else bool(value)


class Integer(Raw):
    """A JSON integer."""

    url_rule_converter = "int"
    json_type = "integer"

    def __init__(
        self, minimum: int | None = None, maximum: int | None = None, **kwargs: t.Any
    ) -> None:
        super().__init__(
            {"type": "integer", **_options(minimum=minimum, maximum=maximum)}, **kwargs
        )

    def format(self, value: t.Any) -> t.Any:
        return None if value is None else int(value)


class PositiveInteger(Integer):
    """An integer of at least 1."""

    def __init__(self, maximum: int | None = None, **kwargs: t.Any) -> None:
        super().__init__(minimum=1, maximum=maximum, **kwargs)


class Number(Raw):
    """A JSON number, output as a float."""

    json_type = "number"

    def __init__(
        self,
        minimum: float | None = None,
        maximum: float | None = None,
        exclusive_minimum: bool = False,
        exclusive_maximum: bool = False,
        **kwargs: t.Any,
    ) -> None:
        schema: dict[str, t.Any] = {"type": "number", **_options(minimum=minimum, maximum=maximum)}
        if exclusive_minimum:
            schema["exclusiveMinimum"] = True
        if exclusive_maximum:
            schema["exclusiveMaximum"] = True
        super().__init__(schema, **kwargs)

    def format(self, value: t.Any) -> t.Any:
        return None if value is None else float(value)


_DATE_SCHEMA = {
    "type": "object",
    "properties": {"$date": {"type": "integer"}},
    "additionalProperties": False,
    "required": ["$date"],
}


def _from_milliseconds(milliseconds: int) -> datetime.datetime:
    """An aware UTC datetime; 400 when it falls outside the years 1 to 9999."""
    try:
        return _EPOCH + datetime.timedelta(milliseconds=milliseconds)
    except OverflowError:
        from .exceptions import ValidationError

        raise ValidationError(
            [{"path": ["$date"], "validationOf": {"format": "a date between the years 1 and 9999"}}]
        ) from None


class Date(Raw):
    """A date on the wire as ``{"$date": milliseconds since the epoch}`` (UTC midnight)."""

    json_type = "object"

    def __init__(self, **kwargs: t.Any) -> None:
        super().__init__(_DATE_SCHEMA, **kwargs)

    def format(self, value: t.Any) -> t.Any:
        if value is None:
            return None
        if isinstance(value, datetime.datetime):
            value = value.date()
        days = value.toordinal() - 719163  # date(1970, 1, 1).toordinal()
        return {"$date": days * 86400000}

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        return _from_milliseconds(instance["$date"]).date()


class DateTime(Date):
    """A timestamp as ``{"$date": milliseconds}``; input becomes an aware UTC datetime.

    Naive datetimes read from the store are taken to be UTC.  With ``naive=True``
    input is converted to naive UTC (for columns without a time zone).
    """

    def __init__(self, naive: bool = False, **kwargs: t.Any) -> None:
        self.naive = naive
        super().__init__(**kwargs)

    def format(self, value: t.Any) -> t.Any:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=_UTC)
        delta = value - _EPOCH
        return {"$date": (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000}

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        value = _from_milliseconds(instance["$date"])
        return value.replace(tzinfo=None) if self.naive else value


class DateString(Raw):
    """A date as an ISO 8601 string (``2020-01-31``)."""

    json_type = "string"

    def __init__(self, **kwargs: t.Any) -> None:
        super().__init__({"type": "string", "format": "date"}, **kwargs)

    def format(self, value: t.Any) -> t.Any:
        if value is None:
            return None
        if isinstance(value, datetime.datetime):
            value = value.date()
        return value.isoformat()

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        return datetime.date.fromisoformat(instance)


class DateTimeString(Raw):
    """A timestamp as an ISO 8601 string; input is normalised to UTC."""

    json_type = "string"

    def __init__(self, naive: bool = False, **kwargs: t.Any) -> None:
        self.naive = naive
        super().__init__({"type": "string", "format": "date-time"}, **kwargs)

    def format(self, value: t.Any) -> t.Any:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=_UTC)
        return value.isoformat()

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        value = datetime.datetime.fromisoformat(instance)
        if value.tzinfo is None:
            value = value.replace(tzinfo=_UTC)
        value = value.astimezone(_UTC)
        return value.replace(tzinfo=None) if self.naive else value


# -- references ----------------------------------------------------------------


class _ResourceReference:
    """Resolves a resource given as class, registered name, ``module.Class`` or ``self``."""

    def __init__(self, value: t.Any) -> None:
        self.value = value

    def resolve(self, binding: t.Any) -> t.Any:
        value = self.value
        if value == "self" or value is None:
            if binding is None:
                raise RuntimeError("A reference to 'self' must be bound to a resource")
            return binding
        if isinstance(value, type):
            return value
        if isinstance(value, str):
            api = getattr(binding, "api", None) if binding is not None else None
            if api is not None and value in api.resources:
                return api.resources[value]
            if "." in value:
                import importlib

                module_name, _, class_name = value.rpartition(".")
                return getattr(importlib.import_module(module_name), class_name)
            if api is None:
                raise RuntimeError(
                    f"Cannot resolve resource {value!r}: the referring resource is not "
                    "registered with an Api yet"
                )
            raise RuntimeError(f'Resource named "{value}" is not registered with the Api')
        raise TypeError(f"Cannot resolve a resource from {value!r}")


class _TargetMixin(ResourceBound):
    def _init_target(self, resource: t.Any) -> None:
        self._reference = _ResourceReference(resource)
        self._target: t.Any = None

    @property
    def target(self) -> t.Any:
        if self._target is None:
            self._target = self._reference.resolve(self.resource)
        return self._target

    def _on_bind(self, resource: t.Any) -> None:
        self._target = None


class ToOne(_TargetMixin, Raw):
    """A reference to one item of another resource (``{"$ref": "/author/1"}``)."""

    def __init__(self, resource: t.Any, **kwargs: t.Any) -> None:
        self._init_target(resource)
        #: Set by a backend when the target's id can be read without loading it
        #: (e.g. a foreign-key column): output then formats straight from it.
        self.id_attribute: str | None = None
        super().__init__(self._reference_schema, **kwargs)

    def _reference_schema(self) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
        converters = self.target.meta.key_converters
        read = converters[0].response
        writes = [converter.request for converter in converters]
        write = writes[0] if len(writes) == 1 else {"anyOf": writes}
        return read, write

    def output(self, key: str, obj: t.Any) -> t.Any:
        if self.id_attribute is not None:
            target_id = get_value(self.id_attribute, obj, None)
            if target_id is None:
                return None
            return self.target.meta.key_converters[0].format_id(target_id)
        return self.format(get_value(self.attribute or key, obj, self.default))

    def format(self, value: t.Any) -> t.Any:
        if value is None:
            return None
        return self.target.meta.key_converters[0].format(value)

    def converter_for(self, value: t.Any) -> t.Any:
        by_type = self.target.meta.key_converters_by_type
        return by_type[_json_type(value)]

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        return self.converter_for(instance).convert(instance)

    def convert_to_id(self, instance: t.Any) -> t.Any:
        """The id of the referenced item (looked up only for natural keys).

        ``None`` for ``null``, :data:`potion.filters.NO_MATCH` for a missing item.
        """
        if instance is None:
            return None
        return self.converter_for(instance).convert_to_id(instance)


def _json_type(value: t.Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return "null"


class ToMany(Array):
    """A list of references to items of another resource."""

    def __init__(self, resource: t.Any, **kwargs: t.Any) -> None:
        nullable = kwargs.pop("nullable", False)
        super().__init__(ToOne(resource, nullable=nullable), **kwargs)

    @property
    def target(self) -> t.Any:
        return self.container.target  # type: ignore[attr-defined]


class Inline(_TargetMixin, Raw):
    """An item of another resource (or of this one) embedded as its full body."""

    def __init__(self, resource: t.Any, patchable: bool = False, **kwargs: t.Any) -> None:
        self._init_target(resource)
        self.patchable = patchable
        super().__init__(self._inline_schema, **kwargs)

    def _inline_schema(self) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
        target = self.target
        if target is self.resource:
            # The item schema refers to itself: "#" is the root of whichever item
            # schema (create or update) is being validated, so no recursion.
            return {"$ref": "#"}, {"$ref": "#"}
        read = {"$ref": f"{target.route_prefix}/schema"}
        return read, target.schema.update if self.patchable else target.schema.create

    def format(self, value: t.Any) -> t.Any:
        if value is None:
            return None
        return self.target.schema.format(value)

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if instance is None:
            return None
        return self.target.schema.convert(instance, update=self.patchable, validate=validate)


class ItemType(_TargetMixin, Raw):
    """The resource name of an item (``$type``); read-only."""

    def __init__(self, resource: t.Any) -> None:
        self._init_target(resource)
        super().__init__(lambda: {"type": "string", "enum": [self.target.meta.name]}, io="r")

    def output(self, key: str, obj: t.Any) -> t.Any:
        return self.target.meta.name


class ItemUri(_TargetMixin, Raw):
    """The URI of an item (``$uri``); read-only."""

    def __init__(self, resource: t.Any, attribute: str | None = None) -> None:
        self._init_target(resource)
        super().__init__(self._uri_schema, io="r", attribute=attribute)

    def _uri_schema(self) -> dict[str, t.Any]:
        prefix = re.escape(self.target.route_prefix)
        return {"type": "string", "pattern": f"^{prefix}\\/[^/]+$"}

    def output(self, key: str, obj: t.Any) -> t.Any:
        item_id = get_value(self.attribute or "id", obj, None)
        return f"{self.target.route_prefix}/{item_id}"

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        target = self.target
        raw_id = instance[len(target.route_prefix) + 1 :]
        try:
            return target.manager.id_field.convert_url_value(raw_id)
        except (TypeError, ValueError):
            from .filters import NO_MATCH  # no item has this URI

            return NO_MATCH


__all__ += ["FieldSet"]
