"""Key converters: the ways a client may refer to an item.

``{"$ref": "/author/1"}`` (:class:`RefKey`), a bare id (:class:`IDKey`), or a
natural key: one unique property (:class:`PropertyKey`) or several
(:class:`PropertiesKey`).  Each converter claims one JSON type, so the type of a
reference picks its converter.  The first converter of a resource formats its
references on output.
"""

from __future__ import annotations

import re
from typing import Any

from .exceptions import Forbidden, ItemNotFound
from .filters import NO_MATCH, Condition, EqualFilter, InFilter
from .schema import ResourceBound, route_prefix_of

__all__ = ["Key", "RefKey", "IDKey", "PropertyKey", "PropertiesKey"]


class Key(ResourceBound):
    """Base of key converters."""

    def matcher_type(self) -> str:
        """The JSON type of the references this converter reads."""
        raise NotImplementedError

    def schema(self) -> Any:
        raise NotImplementedError

    @property
    def response(self) -> dict[str, Any]:
        schema = self.schema()
        return schema[0] if isinstance(schema, tuple) else schema

    @property
    def request(self) -> dict[str, Any]:
        schema = self.schema()
        return schema[1] if isinstance(schema, tuple) else schema

    def format(self, item: Any) -> Any:
        raise NotImplementedError

    def format_id(self, item_id: Any) -> Any:
        """Format a reference from the id alone (only RefKey and IDKey can)."""
        raise NotImplementedError

    def convert(self, value: Any) -> Any:
        """The referenced item; raises :class:`ItemNotFound`."""
        raise NotImplementedError

    def convert_to_id(self, value: Any) -> Any:
        """The id of the referenced item, or ``NO_MATCH`` when it does not exist."""
        try:
            return self.resource.manager.get_id(self.convert(value))
        except ItemNotFound:
            return NO_MATCH

    def _read(self, id: Any) -> Any:
        """The item with this id; one the identity may not read is missing too."""
        try:
            return self.resource.manager.read(id)
        except Forbidden:
            raise ItemNotFound(self.resource, id=id) from None

    def _first(self, where: Any) -> Any:
        """The item matching ``where``; one the identity may not read is missing too."""
        try:
            return self.resource.manager.first(where=where)
        except Forbidden:
            raise ItemNotFound(self.resource, where=where) from None

    def convert_many_to_ids(self, values: list[Any]) -> list[Any]:
        """The ids of the items referenced by ``values``; missing ones are left out."""
        ids = (self.convert_to_id(value) for value in values)
        return [item_id for item_id in ids if item_id is not NO_MATCH]


class RefKey(Key):
    """``{"$ref": "<resource uri>/<id>"}``."""

    def matcher_type(self) -> str:
        return "object"

    def schema(self) -> tuple[dict[str, Any], dict[str, Any]]:
        prefix = re.escape(route_prefix_of(self.resource))
        ref = {"type": "string", "pattern": f"^{prefix}\\/[^/]+$"}
        read = {"type": "object", "properties": {"$ref": ref}, "additionalProperties": False}
        write = dict(read, required=["$ref"])
        return read, write

    def format(self, item: Any) -> Any:
        prefix = route_prefix_of(self.resource)
        return {"$ref": f"{prefix}/{self.resource.manager.get_id(item)}"}

    def format_id(self, item_id: Any) -> Any:
        prefix = self.resource.route_prefix
        if prefix is None:
            prefix = route_prefix_of(self.resource)
        return {"$ref": f"{prefix}/{item_id}"}

    def _id(self, value: Any) -> Any:
        uri = value["$ref"]
        prefix = route_prefix_of(self.resource) + "/"
        raw = uri[len(prefix) :] if uri.startswith(prefix) else uri.rpartition("/")[2]
        try:
            return self.resource.manager.id_field.convert_url_value(raw)
        except (TypeError, ValueError):
            raise ItemNotFound(self.resource, id=raw) from None

    def convert(self, value: Any) -> Any:
        return self._read(self._id(value))

    def convert_to_id(self, value: Any) -> Any:
        try:
            return self._id(value)
        except ItemNotFound:
            return NO_MATCH


class IDKey(Key):
    """The bare id of the item (``1`` or ``"abc"``)."""

    def matcher_type(self) -> str:
        return self.resource.manager.id_field.json_type or "string"

    def schema(self) -> tuple[dict[str, Any], dict[str, Any]]:
        # the id field is read-only on its item, a reference to it is not
        request = self.resource.manager.id_field.request
        return request, request

    def format(self, item: Any) -> Any:
        return self.resource.manager.id_field.format(self.resource.manager.get_id(item))

    def format_id(self, item_id: Any) -> Any:
        return self.resource.manager.id_field.format(item_id)

    def convert(self, value: Any) -> Any:
        return self._read(value)

    def convert_to_id(self, value: Any) -> Any:
        return value


class PropertyKey(Key):
    """One unique property, e.g. ``"jane"`` for ``natural_key = 'username'``."""

    def __init__(self, property: str) -> None:
        self.property = property

    def _field(self) -> Any:
        return self.resource.schema.fields[self.property]

    def matcher_type(self) -> str:
        return self._field().json_type or "string"

    def schema(self) -> tuple[dict[str, Any], dict[str, Any]]:
        field = self._field()
        return field.response, field.request

    def format(self, item: Any) -> Any:
        return self._field().output(self.property, item)

    def _condition(self, name: str, value: Any) -> Condition:
        field = self.resource.schema.fields[name]
        filter_ = EqualFilter(field=field, attribute=field.attribute or name)
        return Condition(name, filter_, field.convert(value, validate=False))

    def convert(self, value: Any) -> Any:
        return self._first((self._condition(self.property, value),))

    def convert_many_to_ids(self, values: list[Any]) -> list[Any]:
        """One query for all the values (``$in`` over natural keys)."""
        if type(self) is not PropertyKey:
            return super().convert_many_to_ids(values)
        field = self._field()
        filter_ = InFilter(field=field, attribute=field.attribute or self.property)
        converted = [field.convert(value, validate=False) for value in values]
        where = (Condition(self.property, filter_, converted),)
        manager = self.resource.manager
        try:
            return [manager.get_id(item) for item in manager.instances(where=where)]
        except Forbidden:  # the identity may read none of them
            return []


class PropertiesKey(PropertyKey):
    """Several properties that are unique together, e.g. ``["Charles", "Darwin"]``."""

    def __init__(self, *properties: str) -> None:
        self.properties = properties

    def matcher_type(self) -> str:
        return "array"

    def schema(self) -> tuple[dict[str, Any], dict[str, Any]]:
        fields = [self.resource.schema.fields[name] for name in self.properties]
        read = {
            "type": "array",
            "items": [f.response for f in fields],
            "additionalItems": False,
        }
        write = {
            "type": "array",
            "items": [f.request for f in fields],
            "additionalItems": False,
            "minItems": len(fields),
        }
        return read, write

    def format(self, item: Any) -> Any:
        return [self.resource.schema.fields[n].output(n, item) for n in self.properties]

    def convert(self, value: Any) -> Any:
        where = tuple(self._condition(n, v) for n, v in zip(self.properties, value, strict=True))
        return self._first(where)
