"""Fields from columns: a column's SQL type gives its Potion field and default."""

from __future__ import annotations

import enum
from typing import Any

import sqlalchemy as sa

from ... import fields

__all__ = ["EnumField", "field_for_column"]


class EnumField(fields.String):
    """An ``Enum`` column: one of a fixed set of strings.

    With a Python ``enum.Enum`` class the members travel by name and are
    converted to members on input.  Only ``eq``, ``ne`` and ``in`` filter it (a
    native enum type has no ``LIKE``).
    """

    def __init__(
        self, values: Any, enum_class: type[enum.Enum] | None = None, **kwargs: Any
    ) -> None:
        self.enum_class = enum_class
        super().__init__(enum=list(values), **kwargs)

    def format(self, value: Any) -> Any:
        return value.name if isinstance(value, enum.Enum) else value

    def convert(self, instance: Any, validate: bool = True) -> Any:
        value = super().convert(instance, validate)
        if value is None or self.enum_class is None:
            return value
        return self.enum_class[value]


def field_for_column(column: sa.Column[Any], **kwargs: Any) -> fields.Raw | None:
    """The Potion field for a column, by its SQL type; None for a type with no JSON form.

    Columns of such types (binary data, intervals, times of day...) are not inferred;
    declare a field for them in the resource's ``Schema``.
    """
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator) and _python_type(kind) in (
        None,
        object,  # what SQLAlchemy 2.1 answers when the decorator does not say
        _python_type(kind.impl_instance),
    ):
        kind = kind.impl_instance  # a decorator that keeps its implementation's values
    if isinstance(kind, sa.Enum):
        if kind.enum_class is not None:
            names = [member.name for member in kind.enum_class]
            return EnumField(names, kind.enum_class, **kwargs)
        return EnumField(kind.enums, **kwargs)
    if isinstance(kind, sa.Uuid):
        return fields.UUID(as_uuid=bool(kind.as_uuid), **kwargs)
    if isinstance(kind, sa.ARRAY):
        item = field_for_column(sa.Column(kind.item_type))
        return fields.Array(item, **kwargs) if item is not None else None
    if isinstance(kind, sa.JSON):
        return fields.Any(**kwargs)
    if isinstance(kind, sa.Boolean):
        return fields.Boolean(**kwargs)
    if isinstance(kind, sa.DateTime):
        return fields.DateTime(naive=not kind.timezone, **kwargs)
    if isinstance(kind, sa.Date):
        return fields.Date(**kwargs)
    if isinstance(kind, sa.Integer):
        return fields.Integer(**kwargs)
    if isinstance(kind, (sa.Numeric, sa.Float)):
        return fields.Number(**kwargs)
    if isinstance(kind, sa.String):
        if getattr(kind, "length", None):
            return fields.String(max_length=kind.length, **kwargs)
        return fields.String(**kwargs)
    python_type = _python_type(kind)
    if python_type is dict:
        return fields.Object(additional_properties=True, **kwargs)
    if python_type is list:
        return fields.Array(fields.Any(), **kwargs)
    return None


def _python_type(kind: Any) -> Any:
    try:
        return kind.python_type
    except NotImplementedError:
        return None


def _column_default(column: sa.Column[Any]) -> tuple[Any, bool]:
    """``(scalar default or None, whether the column fills itself)``."""
    default = column.default
    if default is not None and getattr(default, "is_scalar", False):
        return getattr(default, "arg", None), True
    has_own = default is not None or column.server_default is not None
    return None, has_own or column.autoincrement is True
