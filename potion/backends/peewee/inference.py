"""Potion fields inferred from peewee fields, and the resource serving a model."""

from __future__ import annotations

from typing import Any

import peewee

from ... import fields
from .queries import in_target_order


def _class_names(field: Any) -> set[str]:
    return {cls.__name__ for cls in type(field).__mro__}


def _choice_values(choices: Any) -> list[Any]:
    return [c[0] if isinstance(c, (tuple, list)) else c for c in choices]


def field_for_peewee_field(field: Any, **kwargs: Any) -> fields.Raw | None:
    """The Potion field for a (non-relational) peewee field, or None if unsupported."""
    names = _class_names(field)
    choices = _choice_values(field.choices) if getattr(field, "choices", None) else None
    result: fields.Raw
    if "JSONField" in names or "BinaryJSONField" in names:
        result = fields.Any(**kwargs)
    elif isinstance(field, (peewee.UUIDField, peewee.BinaryUUIDField)):
        result = fields.UUID(as_uuid=True, **kwargs)
    elif isinstance(field, peewee.BooleanField):
        result = fields.Boolean(**kwargs)
    elif "DateTimeTZField" in names:
        result = fields.DateTime(**kwargs)
    elif isinstance(field, (peewee.DateTimeField, peewee.TimestampField)):
        result = fields.DateTime(naive=True, **kwargs)
    elif isinstance(field, peewee.DateField):
        result = fields.Date(**kwargs)
    elif isinstance(field, peewee.IPField):
        result = fields.String(**kwargs)
    elif isinstance(field, peewee.IntegerField):
        result = fields.Integer(**kwargs)
    elif isinstance(field, (peewee.FloatField, peewee.DecimalField)):
        result = fields.Number(**kwargs)
    elif isinstance(field, peewee.CharField):
        result = fields.String(max_length=field.max_length, enum=choices, **kwargs)
        return result
    elif isinstance(field, peewee.TextField):
        result = fields.String(enum=choices, **kwargs)
        return result
    else:
        return None
    if choices is not None and isinstance(result._schema, dict):
        result._schema = dict(result._schema, enum=choices)
    return result


#: Where an item keeps the collections loaded for it (see ``prefetch``), by attribute.
_LOADED = "_potion_collections"


class _OrderedToMany(fields.ToMany):
    """A ToMany over a back-reference or ManyToManyField: output in the target's order.

    peewee's collections are unordered queries; this one is ordered by the target
    resource's ``sort_attribute``, then its id (as the ``Relation`` routes are).
    Items that the manager read for output carry their collection already, loaded
    with those of the other items of their page (:meth:`give`); any other item
    queries its own.
    """

    @classmethod
    def wrap(cls, field: fields.ToMany) -> _OrderedToMany:
        clone = cls.__new__(cls)
        clone.__dict__.update(field.__dict__)
        return clone

    @staticmethod
    def give(item: Any, attribute: str, children: list[Any]) -> None:
        """Let ``item`` output ``children`` (already in order) as its ``attribute``."""
        item.__dict__.setdefault(_LOADED, {})[attribute] = children

    def output(self, key: str, obj: Any) -> Any:
        attribute = self.attribute or key
        loaded = getattr(obj, "__dict__", {}).get(_LOADED)
        if loaded is not None and attribute in loaded:
            return self.format(loaded[attribute])
        value = fields.get_value(attribute, obj, None)
        if isinstance(value, peewee.ModelSelect):
            value = in_target_order(value, value.model, self.target)
        return self.format(value)
