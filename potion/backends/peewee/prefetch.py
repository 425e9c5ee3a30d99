"""The to-many collections of items read for output: one query per relation per page.

A page of N items with a ``ToMany`` field over a back-reference or a
``ManyToManyField`` would cost one query per item if each item ran its own
collection query.  Instead the page's keys go into one ``IN`` query per relation
(a ``ManyToManyField`` reads its through table joined to the target), ordered in
SQL by the target's ``sort_attribute`` and id; the rows are then dealt out to their
items in the order the database returned them.

peewee's ``prefetch()`` is not used: it re-runs the page's filtered, sorted and
paginated query as a subquery of each related query, and a many-to-many relation
takes it two queries (the through table, then the target).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .inference import _OrderedToMany
from .queries import QueryMixin, in_target_order

#: At most this many keys in one ``IN (...)``; a larger page takes one more query each.
_KEYS_PER_QUERY = 500


class PrefetchMixin(QueryMixin):
    """Loads the readable ``ToMany`` collections of the items a built-in route formats."""

    def _prefetch(self, items: Sequence[Any]) -> None:
        """Hand each item its collections, one query per relation for all of them."""
        if not items:
            return
        for key, field in self.resource.schema.readable_fields.items():
            if not isinstance(field, _OrderedToMany):
                continue
            attribute = field.attribute or key
            collection = self._collection(attribute)
            if collection is None:
                continue
            kind, relation = collection
            if kind == "backref":
                parent_key = relation.rel_field.name
                keys = _distinct_keys(items, parent_key)
                groups = _backref_groups(relation, keys, field.target)
            else:
                parent_key = relation.src_fk.rel_field.name
                keys = _distinct_keys(items, parent_key)
                groups = _many_to_many_groups(relation, keys, field.target)
            for item in items:
                _OrderedToMany.give(item, attribute, groups.get(item.__data__.get(parent_key), []))


def _distinct_keys(items: Sequence[Any], name: str) -> list[Any]:
    """The values of column ``name`` of ``items``, each once, NULL left out."""
    return [k for k in dict.fromkeys(item.__data__.get(name) for item in items) if k is not None]


def _chunks(keys: list[Any]) -> list[list[Any]]:
    return [keys[i : i + _KEYS_PER_QUERY] for i in range(0, len(keys), _KEYS_PER_QUERY)]


def _backref_groups(foreign_key: Any, keys: list[Any], target: Any) -> dict[Any, list[Any]]:
    """The children of each parent key, in the target's order."""
    child = foreign_key.model
    groups: dict[Any, list[Any]] = {}
    for chunk in _chunks(keys):
        query = in_target_order(child.select().where(foreign_key.in_(chunk)), child, target)
        for row in query:
            groups.setdefault(row.__data__.get(foreign_key.name), []).append(row)
    return groups


def _many_to_many_groups(accessor: Any, keys: list[Any], target: Any) -> dict[Any, list[Any]]:
    """The linked items of each source key: the through table joined to the target."""
    source, dest = accessor.src_fk, accessor.dest_fk
    child = accessor.rel_model
    groups: dict[Any, list[Any]] = {}
    for chunk in _chunks(keys):
        query = (
            accessor.through_model.select(source, child)
            .join(child, on=dest)
            .where(source.in_(chunk))
        )
        for link in in_target_order(query, child, target):
            groups.setdefault(link.__data__.get(source.name), []).append(getattr(link, dest.name))
    return groups
