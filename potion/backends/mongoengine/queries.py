"""``where`` and ``sort`` as a MongoDB query document and sort specification."""

from __future__ import annotations

import datetime
import re
from typing import Any

import mongoengine
from mongoengine import fields as me_fields
from mongoengine.base import BaseField
from mongoengine.errors import LookUpError

from ... import fields, filters
from ...conditions import AllOf, AnyOf, Related
from ...filters import NO_MATCH
from .base import _REFERENCE_FIELDS, MongoEngineBase, _key_to_mongo, _reference_pk

_COMPARISONS = {"lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}
#: The operators this backend translates (a filter may bring its own ``mongo_query``).
_OPERATORS = frozenset(
    ("eq", "ne", "in", "contains", "between", "icontains", "startswith", "istartswith")
    + ("endswith", "iendswith", *_COMPARISONS)
)

#: A query document that matches no document.
_NOTHING: dict[str, Any] = {"_id": {"$in": []}}

# the end of the string, in PCRE (MongoDB) and Python (mongomock) alike
_END = r"(?![\s\S])"


def _regex(name: str, value: str) -> dict[str, Any]:
    escaped = re.escape(value)
    if name.endswith("startswith"):
        pattern = "^" + escaped
    elif name.endswith("endswith"):
        pattern = escaped + _END
    else:
        pattern = escaped
    query: dict[str, Any] = {"$regex": pattern}
    if name.startswith("i"):
        query["$options"] = "i"
    return query


class QueryMixin(MongoEngineBase):
    """Conditions, ordering and stored values of the MongoEngine manager."""

    # -- paths and values ----------------------------------------------------------

    def _model_path(self, attribute: str) -> tuple[str, Any] | None:
        """``(db path, MongoEngine field)`` of an attribute, or None if not stored."""
        if attribute == self.id_attribute:
            return self._id_model_field.db_field, self._id_model_field
        try:
            path = self.model._lookup_field(attribute.split("."))
        except LookUpError:
            return None
        if not path or not all(isinstance(f, BaseField) for f in path):
            return None
        return ".".join(f.db_field for f in path), path[-1]

    def _value_to_mongo(self, field: Any, value: Any) -> Any:
        if value is None or value is NO_MATCH:
            return value
        if isinstance(field, _REFERENCE_FIELDS):
            target = field.document_type
            pk = _key_to_mongo(target._fields[target._meta["id_field"]], _reference_pk(value))
            return pk if pk is NO_MATCH else field.to_mongo(pk)
        if isinstance(field, me_fields.ObjectIdField):
            return _key_to_mongo(field, value)
        try:
            result = field.to_mongo(value)
        except (mongoengine.ValidationError, ValueError, TypeError):
            return NO_MATCH
        if isinstance(result, datetime.datetime) and result.tzinfo is not None:
            result = result.astimezone(datetime.UTC).replace(tzinfo=None)
        return result

    # -- queries -----------------------------------------------------------------

    def _queryset(self) -> Any:
        """The documents this resource serves; override to narrow (None: nothing)."""
        return self.model.objects

    def query(self, where: Any) -> dict[str, Any]:
        """The MongoDB query document for a tuple of conditions."""
        parts = [self._condition_query(condition) for condition in where or ()]
        parts = [part for part in parts if part]
        if not parts:
            return {}
        if len(parts) == 1:
            return parts[0]
        keys = [key for part in parts for key in part]
        if len(keys) == len(set(keys)) and not any(k.startswith("$") for k in keys):
            merged: dict[str, Any] = {}
            for part in parts:
                merged.update(part)
            return merged
        return {"$and": parts}

    def _node_query(self, node: Any) -> dict[str, Any]:
        """``AnyOf``, ``AllOf`` and ``Related`` (see :mod:`potion.conditions`) as a
        query document; ``{}`` matches everything."""
        if isinstance(node, AnyOf):
            parts = [self._condition_query(child) for child in node.nodes]
            if not parts:
                return dict(_NOTHING)
            if any(not part for part in parts):
                return {}
            return parts[0] if len(parts) == 1 else {"$or": parts}
        if isinstance(node, AllOf):
            parts = [part for part in map(self._condition_query, node.nodes) if part]
            if not parts:
                return {}
            return parts[0] if len(parts) == 1 else {"$and": parts}
        if isinstance(node, Related):
            # MongoDB has no join: the referenced documents that match, then $in
            target = node.field.target.manager
            found = self._model_path(node.attribute)
            if not isinstance(target, QueryMixin) or found is None:
                raise RuntimeError(
                    f"{self.resource.__name__}.{node.key}: conditions on the referenced "
                    f"{node.field.target.__name__} need a stored reference to a "
                    "MongoEngine resource"
                )
            path, field = found
            queryset = target.model.objects
            inner = target._condition_query(node.node)
            if inner:
                queryset = queryset.filter(__raw__=inner)
            pks = [field.to_mongo(pk) for pk in queryset.scalar("pk")]
            return {path: {"$in": pks}}
        raise TypeError(f"Not a condition: {node!r}")

    def _condition_query(self, condition: Any) -> dict[str, Any]:
        if not isinstance(condition, filters.Condition):
            return self._node_query(condition)
        filter_ = condition.filter
        found = self._model_path(condition.attribute)
        if found is None:
            raise RuntimeError(f"Cannot filter on {condition.key!r}: it is not stored")
        path, field = found
        value = _target_pks(filter_, condition.value)
        custom = getattr(filter_, "mongo_query", None)
        if custom is not None:
            return custom(path, value)
        name = filter_.name
        if isinstance(filter_, filters.StringBaseFilter):
            return {path: _regex(name, value)}
        if name == "contains":
            inner = getattr(field, "field", None) or field
            element = self._value_to_mongo(inner, value)
            return {path: {"$in": []}} if element is NO_MATCH else {path: element}
        if name == "in":
            values = [self._value_to_mongo(field, v) for v in value]
            return {path: {"$in": [v for v in values if v is not NO_MATCH]}}
        if name == "between":
            low, high = (self._value_to_mongo(field, v) for v in value)
            return {path: {"$gte": low, "$lte": high}}
        converted = self._value_to_mongo(field, value)
        if name == "eq":
            return {path: {"$in": []}} if converted is NO_MATCH else {path: converted}
        if name == "ne":
            return {} if converted is NO_MATCH else {path: {"$ne": converted}}
        if converted is NO_MATCH:
            return {path: {"$in": []}}
        return {path: {_COMPARISONS[name]: converted}}

    def _order(self, sort: Any) -> list[str]:
        sort = tuple(sort or ())
        pk_name = self.model._meta["id_field"]
        order: list[str] = []
        if not sort and self.resource.meta.get("sort_attribute"):
            attribute = self.resource.meta.sort_attribute
            reverse = False
            if isinstance(attribute, (tuple, list)):
                attribute, reverse = attribute
            order.append(("-" if reverse else "+") + attribute)
        for item in sort:
            attribute, reverse = item[1], item[2]
            if attribute == self.id_attribute and self._id_is_pk:
                attribute = pk_name
            order.append(("-" if reverse else "+") + attribute)
        if not any(o[1:] == pk_name for o in order):
            order.append("+" + pk_name)
        return order

    def _filtered(self, where: Any, sort: Any) -> Any:
        queryset = self._queryset()
        if queryset is None:
            return None
        query = self.query(where)
        if query:
            queryset = queryset.filter(__raw__=query)
        return queryset.order_by(*self._order(sort))


def _target_pks(filter_: Any, value: Any) -> Any:
    """References to a resource whose id is not its primary key, as primary keys.

    A stored reference holds the primary key; a reference in ``where`` gives the
    resource's id (``Meta.id_attribute``), so the two are matched in one query.
    """
    field = filter_.field
    container = field.container if isinstance(field, fields.Array) else field
    if not isinstance(container, fields.ToOne):
        return value
    manager = container.target.manager
    if not isinstance(manager, QueryMixin) or manager._id_is_pk:
        return value
    many = filter_.name == "in"
    values = list(value) if many else [value]
    wanted = [v for v in values if v is not None and v is not NO_MATCH]
    queryset = manager._queryset()
    pks: dict[Any, Any] = {}
    if wanted and queryset is not None:
        attribute = manager.id_attribute
        for document in queryset.filter(**{f"{attribute}__in": wanted}).only(attribute):
            pks[getattr(document, attribute)] = document.pk
    result = [v if v is None or v is NO_MATCH else pks.get(v, NO_MATCH) for v in values]
    return result if many else result[0]


def _reference_condition(attribute: str, pk: Any) -> Any:
    """``attribute == pk`` for a ReferenceField (only this backend reads it)."""
    return filters.Condition(attribute, filters.EqualFilter(attribute=attribute), pk)
