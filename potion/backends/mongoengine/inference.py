"""Potion fields inferred from MongoEngine fields, and the resource serving a document."""

from __future__ import annotations

import enum
from typing import Any

from bson import DBRef, ObjectId
from mongoengine import fields as me_fields
from mongoengine.base import BaseDocument, BaseField

from ... import fields
from .base import _OBJECT_ID, _REFERENCE_FIELDS, OBJECT_ID_PATTERN


class ObjectIdString(fields.String):
    """An ``ObjectId`` as its 24-digit hex string."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(pattern=OBJECT_ID_PATTERN, **kwargs)

    def format(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, DBRef):
            value = value.id
        elif isinstance(value, BaseDocument):
            value = value.pk
        return str(value)

    def convert(self, instance: Any, validate: bool = True) -> Any:
        instance = super().convert(instance, validate)
        if isinstance(instance, str) and _OBJECT_ID.match(instance):
            return ObjectId(instance)
        return instance


class _ModelToOne(fields.ToOne):
    """A ToOne to the resource of a Document class (a ``ReferenceField``)."""

    def __init__(self, document: type, **kwargs: Any) -> None:
        super().__init__(document, **kwargs)  # the resource whose Meta.model it is


class _ModelToMany(fields.ToMany):
    """A ToMany to the resource of a Document class (``ListField(ReferenceField)``)."""

    def __init__(self, document: type, **kwargs: Any) -> None:
        nullable = kwargs.pop("nullable", False)
        fields.Array.__init__(self, _ModelToOne(document, nullable=nullable), **kwargs)


class _EmbeddedObject(fields.Object):
    """An ``EmbeddedDocumentField``: an object converted into the embedded document."""

    def __init__(self, document: type, properties: dict[str, fields.Raw], **kwargs: Any):
        self.document = document
        super().__init__(properties, **kwargs)

    def convert(self, instance: Any, validate: bool = True) -> Any:
        value = super().convert(instance, validate)
        return None if value is None else self.document(**value)


class _EnumValue(fields.Raw):
    """An ``EnumField``: the enum's values on the wire, members in Python."""

    def __init__(self, enum_class: type[enum.Enum], **kwargs: Any) -> None:
        self.enum_class = enum_class
        values = [member.value for member in enum_class]
        kinds = {type(v) for v in values}
        schema: dict[str, Any] = {"enum": values}
        if kinds == {str}:
            schema["type"] = "string"
            self.json_type = "string"
        elif kinds == {int}:
            schema["type"] = "integer"
            self.json_type = "integer"
        super().__init__(schema, **kwargs)

    def format(self, value: Any) -> Any:
        return value.value if isinstance(value, enum.Enum) else value

    def convert(self, instance: Any, validate: bool = True) -> Any:
        instance = super().convert(instance, validate)
        return None if instance is None else self.enum_class(instance)


def _common_options(field: BaseField, top: bool) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if top:
        # nullable exactly when the model says so; a field without a default that is
        # not nullable is then required on create, as on the other backends
        options["nullable"] = bool(getattr(field, "null", False))
        default = field.default
        if default is not None:
            options["default"] = default
    title = getattr(field, "verbose_name", None)
    if title:
        options["title"] = title
    description = getattr(field, "help_text", None)
    if description:
        options["description"] = description
    return options


def _choices(field: BaseField) -> list[Any] | None:
    choices = field.choices
    if not choices:
        return None
    return [c[0] if isinstance(c, (list, tuple)) else c for c in choices]


def _pattern(regex: Any) -> str | None:
    if regex is None:
        return None
    text = regex.pattern if hasattr(regex, "pattern") else str(regex)
    # MongoEngine matches at the start (re.match), JSON Schema searches
    return text if text.startswith("^") else f"^(?:{text})"


def infer_field(field: BaseField, top: bool = True) -> fields.Raw | None:
    """The Potion field of a MongoEngine field, or None when there is none."""
    options = _common_options(field, top)
    if isinstance(field, _REFERENCE_FIELDS):
        return _ModelToOne(field.document_type, **options)
    if isinstance(field, me_fields.ListField):
        inner = field.field
        # a list is never null: MongoEngine keeps an empty one
        list_options = {k: v for k, v in options.items() if k not in ("default", "nullable")}
        max_length = getattr(field, "max_length", None)
        if max_length is not None:
            list_options["max_items"] = max_length
        if isinstance(inner, _REFERENCE_FIELDS):
            return _ModelToMany(inner.document_type, **list_options)
        container = infer_field(inner, top=False) if inner is not None else fields.Any()
        if container is None:
            return None
        return fields.Array(container, **list_options)
    if isinstance(field, me_fields.EmbeddedDocumentField):
        document = field.document_type
        properties = {}
        for name, sub in document._fields.items():
            if name.startswith("_"):
                continue
            inferred = infer_field(sub, top=True)
            if inferred is not None:
                properties[name] = inferred
        return _EmbeddedObject(document, properties, **options)
    if isinstance(field, me_fields.DictField):
        inner = getattr(field, "field", None)
        value_field = infer_field(inner, top=False) if inner is not None else None
        # like a list, a dict is never null: MongoEngine keeps an empty one
        options.pop("nullable", None)
        options["default"] = dict
        return fields.Object(value_field, **options) if value_field else fields.Object(**options)
    if isinstance(field, me_fields.EmailField):
        return fields.Email(**options)
    if isinstance(field, me_fields.URLField):
        return fields.Uri(**options)
    if isinstance(field, me_fields.StringField) and not isinstance(
        field, me_fields.ComplexDateTimeField
    ):
        return fields.String(
            min_length=field.min_length,
            max_length=field.max_length,
            pattern=_pattern(field.regex),
            enum=_choices(field),
            **options,
        )
    if isinstance(field, me_fields.EnumField):
        return _EnumValue(field._enum_cls, **options)
    if isinstance(field, me_fields.SequenceField):
        options.pop("default", None)
        return fields.Integer(io="r", **options)
    if isinstance(field, me_fields.IntField):
        return fields.Integer(minimum=field.min_value, maximum=field.max_value, **options)
    if isinstance(field, (me_fields.FloatField, me_fields.DecimalField)):
        return fields.Number(minimum=field.min_value, maximum=field.max_value, **options)
    if isinstance(field, me_fields.BooleanField):
        return fields.Boolean(**options)
    if isinstance(field, me_fields.DateField):
        return fields.Date(**options)
    if isinstance(field, (me_fields.DateTimeField, me_fields.ComplexDateTimeField)):
        return fields.DateTime(naive=True, **options)
    if isinstance(field, me_fields.UUIDField):
        return fields.UUID(**options)
    if isinstance(field, me_fields.ObjectIdField):
        return ObjectIdString(**options)
    return None
