"""The item schema built from a marshmallow schema, and the schema's own Python steps.

:class:`MarshmallowFieldSet` is a Potion :class:`~potion.schema.FieldSet` of
converted fields.  It validates and formats exactly as any FieldSet (compiled JSON
Schema, compiled formatter) and adds, only when the marshmallow schema declares
them, the steps that JSON Schema cannot express (:class:`Hooks`):

on input, after the compiled validation
    ``pre_load`` hooks (the JSON is validated again after them), the fields'
    conversion with their own Python steps, ``@validates`` methods,
    ``@validates_schema`` methods, then ``post_load`` hooks;
on output
    ``pre_dump`` hooks before the compiled formatter, ``post_dump`` hooks after it.

A ``ValidationError`` raised by any of them becomes Potion's 400 body.
"""

from __future__ import annotations

from typing import Any, Callable

import marshmallow as ma
from marshmallow import decorators

from ...exceptions import ValidationError
from ...schema import FieldSet
from .errors import DeclarationError, potion_errors, validation_error
from .fields import convert_value

__all__ = ["MarshmallowFieldSet", "Hooks"]

_SCHEMA = "_schema"

#: Hooks whose work Potion does itself: marshmallow-sqlalchemy's ``make_instance``
#: builds a model instance from the loaded data, which Potion's manager does.
_REPLACED = {("marshmallow_sqlalchemy.load_instance_mixin", "make_instance")}

_Hook = tuple[str, bool, dict[str, Any]]


class Hooks:
    """The decorated methods of one marshmallow schema, found once at start-up."""

    def __init__(self, schema: ma.Schema, where: str) -> None:
        self.schema = schema
        self.name = type(schema).__name__
        found: dict[str, list[_Hook]] = type(schema)._hooks

        def hooks(tag: str) -> list[_Hook]:
            return [hook for hook in found.get(tag, ()) if not self._replaced(hook[0])]

        # load processors taking the collection run first, as marshmallow runs them
        self.pre_load = sorted(hooks(decorators.PRE_LOAD), key=lambda h: not h[1])
        self.post_load = sorted(hooks(decorators.POST_LOAD), key=lambda h: not h[1])
        self.validates = hooks(decorators.VALIDATES)
        self.validates_schema = sorted(hooks(decorators.VALIDATES_SCHEMA), key=lambda h: not h[1])
        self.pre_dump = hooks(decorators.PRE_DUMP)
        self.post_dump = hooks(decorators.POST_DUMP)
        for tag, declared in (("pre_dump", self.pre_dump), ("post_dump", self.post_dump)):
            for attr_name, pass_collection, _ in declared:
                if pass_collection:
                    raise DeclarationError(
                        f"{where}: {self.name}.{attr_name} is a {tag} hook with "
                        "pass_collection=True; Potion formats every item on its own (lists "
                        "stay plain arrays, with their headers), so declare it without "
                        "pass_collection"
                    )
        for attr_name, _, options in self.validates:
            for field_name in options["field_names"]:
                if field_name not in schema.fields and field_name not in schema.declared_fields:
                    raise DeclarationError(
                        f"{where}: {self.name}.{attr_name} validates {field_name!r}, "
                        f"which is not a field of {self.name}"
                    )
        #: whether anything runs on input beyond the fields' own steps
        self.loads = bool(
            self.pre_load or self.post_load or self.validates or self.validates_schema
        )
        #: whether anything runs on output beyond the compiled formatter
        self.dumps = bool(self.pre_dump or self.post_dump)

    def _replaced(self, attr_name: str) -> bool:
        function = getattr(type(self.schema), attr_name, None)
        key = (getattr(function, "__module__", None), getattr(function, "__name__", None))
        return key in _REPLACED

    # -- input -------------------------------------------------------------------

    def _process(
        self, tag: str, hooks: list[_Hook], data: Any, original: Any, **kwargs: Any
    ) -> Any:
        for attr_name, _, options in hooks:
            processor = getattr(self.schema, attr_name)
            try:
                if options.get("pass_original"):
                    data = processor(data, original, many=False, **kwargs)
                else:
                    data = processor(data, many=False, **kwargs)
            except ma.ValidationError as exc:
                raise validation_error(exc.normalized_messages(), [], {tag: attr_name}) from None
        return data

    def pre_load_data(self, data: Any, partial: bool | None) -> Any:
        """``pre_load`` hooks over the request's JSON."""
        unknown = self.schema.unknown
        return self._process(
            "pre_load", self.pre_load, data, data, partial=partial, unknown=unknown
        )

    def post_load_data(self, result: Any, original: Any, partial: bool | None) -> Any:
        """``post_load`` hooks over the converted properties; they must return a dict."""
        unknown = self.schema.unknown
        for hook in self.post_load:
            result = self._process(
                "post_load", [hook], result, original, partial=partial, unknown=unknown
            )
            if not isinstance(result, dict):
                raise TypeError(
                    f"{self.name}.{hook[0]} (a post_load hook) returned "
                    f"{type(result).__name__}, not a dict: in Potion the manager builds "
                    "the item from the loaded properties"
                )
        return result

    def check(
        self, result: dict[str, Any], original: Any, partial: bool | None, field_errors: bool
    ) -> list[dict[str, Any]]:
        """Errors of the ``@validates`` and ``@validates_schema`` methods (Potion format)."""
        schema = self.schema
        errors: list[dict[str, Any]] = []
        for attr_name, _, options in self.validates:
            validator = getattr(schema, attr_name)
            for field_name in options["field_names"]:
                field = schema.fields.get(field_name)
                if field is None:
                    continue  # excluded from this schema (only=, exclude=)
                attribute = field.attribute or field_name
                if attribute not in result:
                    continue
                data_key = field.data_key or field_name
                try:
                    validator(result[attribute], data_key=data_key)
                except ma.ValidationError as exc:
                    errors += potion_errors(exc.messages, [data_key], {"validates": attr_name})
        field_errors = field_errors or bool(errors)
        for attr_name, _, options in self.validates_schema:
            if field_errors and options.get("skip_on_field_errors", True):
                continue
            validator = getattr(schema, attr_name)
            kwargs = {"partial": partial, "many": False, "unknown": schema.unknown}
            try:
                if options.get("pass_original"):
                    validator(result, original, **kwargs)
                else:
                    validator(result, **kwargs)
            except ma.ValidationError as exc:
                errors += potion_errors(
                    exc.messages, self._path(exc.field_name), {"validates_schema": attr_name}
                )
        return errors

    def _path(self, field_name: str) -> list[Any]:
        if field_name == _SCHEMA:
            return []
        schema = self.schema
        field = schema.fields.get(field_name) or schema.declared_fields.get(field_name)
        return [field.data_key or field_name] if field is not None else [field_name]

    # -- output ------------------------------------------------------------------

    def _dump(self, hooks: list[_Hook], data: Any, original: Any) -> Any:
        for attr_name, _, options in hooks:
            processor = getattr(self.schema, attr_name)
            if options.get("pass_original"):
                data = processor(data, original, many=False)
            else:
                data = processor(data, many=False)
        return data

    def wrap_formatter(self, format_item: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """``format_item`` with the ``pre_dump`` and ``post_dump`` hooks around it."""
        pre_dump, post_dump, dump = self.pre_dump, self.post_dump, self._dump

        def format_with_hooks(item: Any) -> Any:
            source = dump(pre_dump, item, item) if pre_dump else item
            body = format_item(source)
            return dump(post_dump, body, item) if post_dump else body

        return format_with_hooks


class MarshmallowFieldSet(FieldSet):
    """The fields converted from one marshmallow schema, with its Python steps.

    ``unknown`` follows the schema: ``RAISE`` refuses keys that are not fields (as
    every Potion schema does), ``EXCLUDE`` ignores them, ``INCLUDE`` passes them on
    unchanged (route schemas only).
    """

    def __init__(
        self,
        fields: dict[str, Any],
        required_fields: set[str],
        hooks: Hooks,
    ) -> None:
        super().__init__(fields, required_fields)
        self.hooks = hooks
        self.unknown = hooks.schema.unknown

    # -- JSON Schema -------------------------------------------------------------

    def _open(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self.unknown != ma.RAISE:
            schema["additionalProperties"] = True
        return schema

    @property
    def request(self) -> dict[str, Any]:
        return self._open(super().request)

    @property
    def create(self) -> dict[str, Any]:
        return self._open(super().create)

    @property
    def update(self) -> dict[str, Any]:
        return self._open(super().update)

    # -- input -------------------------------------------------------------------

    def convert_value(self, field: Any, value: Any) -> Any:
        return convert_value(field, value)

    def convert_fields(
        self, instance: dict[str, Any], kind: str
    ) -> tuple[dict[str, Any], list[ValidationError]]:
        hooks = self.hooks
        if not hooks.loads:
            result, failures = super().convert_fields(instance, kind)
            return self._with_unknown(result, instance), failures
        partial = True if kind == "update" else None
        original = instance
        if hooks.pre_load:
            instance = hooks.pre_load_data(instance, partial)
            self.validator(kind).validate(instance)  # what the hooks made must still fit
        result, field_errors = super().convert_fields(instance, kind)
        # a route's arguments missing from the request are None for the view, but
        # absent for the hooks, as marshmallow loads them
        absent = [
            field.attribute or key
            for key, field in self.fields.items()
            if kind == "request"
            and "c" in field.io
            and key not in instance
            and field.default is None
        ]
        loaded = {k: v for k, v in result.items() if k not in absent} if absent else result
        errors: list[dict[str, Any]] = [error for exc in field_errors for error in exc.errors]
        errors += hooks.check(loaded, original, partial, field_errors=bool(errors))
        if errors:
            return result, [ValidationError(errors)]
        if hooks.post_load:
            loaded = hooks.post_load_data(loaded, original, partial)
        for attribute in absent:
            loaded.setdefault(attribute, None)
        return self._with_unknown(loaded, instance), []

    def _with_unknown(self, result: dict[str, Any], instance: Any) -> dict[str, Any]:
        if self.unknown == ma.INCLUDE and isinstance(instance, dict):
            for key, value in instance.items():
                if key not in self.fields:
                    result[key] = value
        return result

    # -- output ------------------------------------------------------------------

    def compile_formatter(self) -> Callable[[Any], dict[str, Any]]:
        format_item = super().compile_formatter()
        if not self.hooks.dumps:
            return format_item  # no hook declared: the plain compiled formatter
        return self.hooks.wrap_formatter(format_item)
