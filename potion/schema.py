"""Schemas: things that produce a JSON Schema, format output and convert input.

:class:`Schema` is the base of every field and of :class:`FieldSet`, the ordered
collection of fields that describes a resource item or the keyword arguments of a
route.  Validators are compiled the first time a schema is used and kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from flask import Request

from .encoding import loads
from .exceptions import (
    InvalidJSON,
    InvalidReference,
    ItemNotFound,
    RequestMustBeJSON,
    ValidationError,
)
from .validation import Validator

if TYPE_CHECKING:
    from .fields import Raw

__all__ = [
    "Schema",
    "FieldSet",
    "ResourceBound",
    "SchemaImpl",
    "RequestMustBeJSON",
    "read_json_body",
    "route_prefix_of",
]

_MISSING = object()
_MUST_BE_JSON = "The request body must be JSON (Content-Type: application/json)"


def route_prefix_of(resource: Any) -> str:
    """The URL prefix of a resource's items: its ``route_prefix`` once it is added to
    an Api, ``/{name}`` before."""
    prefix = resource.route_prefix
    return prefix if prefix is not None else "/" + resource.meta["name"]


class ResourceBound:
    """Something that belongs to one resource class (a field, a key, a route set)."""

    resource: Any = None

    def bind(self, resource: Any) -> Any:
        """Bind to ``resource``; returns a copy when already bound to another one."""
        if self.resource is None:
            self.resource = resource
            self._on_bind(resource)
            return self
        if self.resource is resource:
            return self
        import copy

        clone = copy.copy(self)
        clone.resource = resource
        clone._on_bind(resource)
        return clone

    def _on_bind(self, resource: Any) -> None:
        pass


class Schema:
    """Base of every schema: JSON Schema for reading and writing, format, convert."""

    def schema(self) -> Any:
        """The JSON Schema: one dict, or a ``(read, write)`` pair."""
        raise NotImplementedError

    @property
    def response(self) -> Any:
        schema = self.schema()
        return schema[0] if isinstance(schema, tuple) else schema

    @property
    def request(self) -> Any:
        schema = self.schema()
        return schema[1] if isinstance(schema, tuple) else schema

    @property
    def request_validator(self) -> Validator:
        validator = self.__dict__.get("_request_validator")
        if validator is None:
            validator = Validator(self.request)
            self.__dict__["_request_validator"] = validator
        return validator

    def format(self, value: Any) -> Any:
        return value

    def convert(self, instance: Any, validate: bool = True) -> Any:
        if validate:
            self.request_validator.validate(instance)
        return instance

    def parse_request(self, request: Request) -> Any:
        """Read the whole body (or, for GET, the query string) and convert it."""
        data: Any
        if request.method in ("GET", "HEAD"):
            data = _query_object(request) or None
        else:
            data = read_json_body(request, required=False)
        return self.convert(data)

    def format_response(self, data: Any) -> Any:
        return self.format(data)


def read_json_body(request: Request, required: bool = True, strict: bool = False) -> Any:
    """The decoded JSON body; ``None`` when there is none and it is not ``required``.

    A body that is not valid JSON is a 400 naming the problem.  A missing or
    non-JSON body is a 400 too, or a 415 when ``strict`` (the routes taking
    keyword arguments answer 415, as Flask-Potion's do).
    """
    raw = request.get_data(cache=True)
    if (raw or required) and not request.is_json:
        if strict:
            raise RequestMustBeJSON(_MUST_BE_JSON)
        raise InvalidJSON(_MUST_BE_JSON, parameter="body")
    if not raw:
        if required:
            raise InvalidJSON("The request body is empty; a JSON value is required", "body")
        return None
    try:
        return loads(raw)
    except ValueError as exc:
        raise InvalidJSON(f"The request body is not valid JSON: {exc}", parameter="body") from None


def _query_object(request: Request, fields: Mapping[str, Raw] | None = None) -> dict[str, Any]:
    """Query arguments as an object: each value parsed as JSON when it can be.

    The value of a string field is kept as written (``?q=5`` is the string ``"5"``).
    """
    data: dict[str, Any] = {}
    for key, value in request.args.items():
        field = fields.get(key) if fields is not None else None
        if field is not None and field.json_type == "string":
            data[key] = value
            continue
        try:
            data[key] = loads(value)
        except ValueError:
            data[key] = value
    return data


class FieldSet(Schema, ResourceBound):
    """An ordered set of named fields: an item body or a route's keyword arguments."""

    #: A route with this request schema receives the fields as keyword arguments.
    spread_arguments = True

    def __init__(
        self,
        fields: Mapping[str, Raw] | None = None,
        required_fields: Iterable[str] | None = None,
    ) -> None:
        self.fields: dict[str, Raw] = dict(fields or {})
        self.required = set(required_fields or ())
        self._formatter: Callable[[Any], dict[str, Any]] | None = None
        self._validators: dict[str, Validator] = {}

    def _on_bind(self, resource: Any) -> None:
        self.fields = {key: field.bind(resource) for key, field in self.fields.items()}
        self._reset()

    def _reset(self) -> None:
        self._formatter = None
        self._validators = {}

    def set(self, key: str, field: Raw) -> None:
        """Add or replace a field."""
        if self.resource is not None:
            field = field.bind(self.resource)
        self.fields[key] = field
        self._reset()

    def remove(self, key: str) -> None:
        self.fields.pop(key, None)
        self._reset()

    # -- JSON Schema ---------------------------------------------------------------

    @property
    def readable_fields(self) -> dict[str, Raw]:
        return {key: f for key, f in self.fields.items() if "r" in f.io}

    def _required(self, io: str) -> list[str]:
        names = [
            key
            for key, f in self.fields.items()
            if io in f.io and not f.nullable and f.default is None and not f.optional
        ]
        names += [name for name in sorted(self.required) if name not in names]
        return names

    def schema(self) -> Any:
        return self.response, self.request

    @property
    def response(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {key: f.response for key, f in self.readable_fields.items()},
        }

    def _write_schema(self, io: str, required: bool) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "additionalProperties": False,
            "properties": {key: f.request for key, f in self.fields.items() if io in f.io},
        }
        if required:
            names = self._required(io)
            if names:
                schema["required"] = names
        return schema

    @property
    def request(self) -> dict[str, Any]:
        return self._write_schema("c", True)

    @property
    def create(self) -> dict[str, Any]:
        return self._write_schema("c", True)

    @property
    def update(self) -> dict[str, Any]:
        return self._write_schema("u", False)

    @property
    def route_response(self) -> dict[str, Any]:
        """The response schema of a route returning an object of these fields."""
        return self.response

    def validator(self, kind: str) -> Validator:
        validator = self._validators.get(kind)
        if validator is None:
            resource = self.resource
            # the resource's item schema names its items in messages ("of book")
            subject = resource.meta.name if getattr(resource, "schema", None) is self else None
            validator = Validator(getattr(self, kind), subject=subject)
            self._validators[kind] = validator
        return validator

    @property
    def request_validator(self) -> Validator:
        return self.validator("request")

    # -- output ------------------------------------------------------------------

    def format(self, item: Any) -> dict[str, Any]:
        return self.formatter()(item)

    def formatter(self) -> Callable[[Any], dict[str, Any]]:
        """``format`` as one function, compiled from the readable fields once."""
        formatter = self._formatter
        if formatter is None:
            formatter = self._formatter = self.compile_formatter()
        return formatter

    def compile_formatter(self) -> Callable[[Any], dict[str, Any]]:
        """Build the formatting function (once); a subclass may wrap what this returns."""
        plan = [(key, f.output_function(key)) for key, f in self.fields.items() if "r" in f.io]

        def format_item(item: Any) -> dict[str, Any]:
            return {key: output(item) for key, output in plan}

        return format_item

    # -- input -------------------------------------------------------------------

    def convert(  # type: ignore[override]
        self,
        instance: Any,
        update: bool = False,
        validate: bool = True,
        kind: str | None = None,
    ) -> dict[str, Any]:
        """Validate ``instance`` and convert it to ``{attribute: python value}``.

        References are resolved here; a reference to a missing item is a 400 that
        names the field.
        """
        kind = kind or ("update" if update else "create")
        if instance is None:
            instance = {} if not self._required("c" if kind != "update" else "u") else None
        if validate:
            self.validator(kind).validate(instance)
        result, errors = self.convert_fields(instance, kind)
        if errors:
            raise errors[0] if len(errors) == 1 else ValidationError(_joined(errors))
        return result

    def convert_fields(
        self, instance: dict[str, Any], kind: str
    ) -> tuple[dict[str, Any], list[ValidationError]]:
        """Convert each field of a validated ``instance``: ``(result, errors)``.

        ``kind`` is ``create``, ``update`` or ``request`` (a route's arguments).  A
        field whose conversion fails (a value the JSON Schema cannot rule out) is
        left out of the result; its error, with the key prepended to each path, is
        collected so that one response lists every field's problem.  Subclasses may
        add steps around it (see :mod:`potion.adapters`).
        """
        io = "u" if kind == "update" else "c"
        result: dict[str, Any] = {}
        errors: list[ValidationError] = []
        for key, field in self.fields.items():
            if io not in field.io:
                continue
            attribute = field.attribute or key
            value = instance.get(key, _MISSING)
            if value is _MISSING:
                if kind == "update":
                    continue
                default = field.default
                if default is None:
                    if kind == "request":
                        result[attribute] = None
                    continue
                result[attribute] = default() if callable(default) else _copy(default)
                continue
            try:
                result[attribute] = self.convert_value(field, value)
            except ItemNotFound as exc:
                raise InvalidReference([key], value, exc.resource_name or "item") from None
            except ValidationError as exc:
                for error in exc.errors:
                    error["path"] = [key, *error.get("path", [])]
                errors.append(exc)
        return result, errors

    def convert_value(self, field: Raw, value: Any) -> Any:
        """One field's value, already validated, as Python (``field.convert``)."""
        return field.convert(value, validate=False)

    def parse_request(self, request: Request) -> dict[str, Any]:
        """Keyword arguments of a route: query string for GET, else the JSON body."""
        if request.method in ("GET", "HEAD"):
            data: Any = _query_object(request, self.fields)
        else:
            data = read_json_body(request, required=bool(self._required("c")), strict=True)
            if data is None:
                data = {}
        return self.convert(data, kind="request")

    def format_response(self, data: Any) -> Any:
        return self.format(data)


def _joined(errors: list[ValidationError]) -> list[dict[str, Any]]:
    return [error for exc in errors for error in exc.errors]


def _copy(value: Any) -> Any:
    if isinstance(value, (list, dict, set)):
        return type(value)(value)
    return value


#: Flask-Potion exposed the implementation class under this name.
SchemaImpl = Schema
