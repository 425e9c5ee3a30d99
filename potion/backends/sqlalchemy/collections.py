"""Collections of relationships: plain ones, and those read only through a query.

A relationship declared ``lazy="dynamic"`` (an ``AppenderQuery``) or
``lazy="write_only"`` (a ``WriteOnlyCollection``) is never loaded whole: no
eager-loading option may name it, and its items are read with a query (the
target's order, the target's ``Meta.query_options``).  These helpers let the
manager read, compare and write every kind of collection the same way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import orm

from ... import fields

#: ``relationship(lazy=...)`` strategies whose collection is a query, never a list.
QUERY_ONLY = frozenset({"dynamic", "write_only"})


def is_query_only(mapper: orm.Mapper[Any], attribute: str) -> bool:
    """Whether ``attribute`` is a relationship read only through its query."""
    prop = mapper.relationships.get(attribute)
    return prop is not None and prop.lazy in QUERY_ONLY


def add_child(collection: Any, child: Any) -> None:
    """Add ``child`` to a list, set, dynamic or write-only collection."""
    append = getattr(collection, "append", None)
    if append is not None:
        append(child)
    else:
        collection.add(child)


def replace_children(
    manager: Any, item: Any, attribute: str, children: Any, is_new: bool = False
) -> None:
    """Make a query-only collection hold exactly ``children`` (added and removed one by one)."""
    collection = getattr(item, attribute)
    wanted = list(children or ())
    if is_new:
        for child in wanted:
            add_child(collection, child)
        return
    target = orm.class_mapper(type(wanted[0])) if wanted else None
    current = manager.collection_items(item, attribute)
    if target is None and current:
        target = orm.class_mapper(type(current[0]))
    if target is None:
        return
    current_keys = {target.identity_key_from_instance(c): c for c in current}
    wanted_keys = {target.identity_key_from_instance(c): c for c in wanted}
    for key, child in current_keys.items():
        if key not in wanted_keys:
            collection.remove(child)
    for key, child in wanted_keys.items():
        if key not in current_keys:
            add_child(collection, child)


class QueryToMany(fields.ToMany):
    """A ToMany over a dynamic or write-only relationship: output read with a query.

    The items come in the target's order (``sort_attribute``, then id), as the
    ``Relation`` routes list them.
    """

    manager: Any = None

    @classmethod
    def wrap(cls, field: fields.ToMany, manager: Any) -> QueryToMany:
        clone = cls.__new__(cls)
        clone.__dict__.update(field.__dict__)
        clone.manager = manager
        return clone

    def output(self, key: str, obj: Any) -> Any:
        attribute = self.attribute or key
        if isinstance(obj, dict):
            return self.format(obj.get(attribute))
        return self.format(self.manager.collection_items(obj, attribute, self.target))


#: ``(association table, [(column of the item's table, column of the association)])``
AssociationLink = tuple[Any, list[tuple[Any, Any]]]


def association_links(mapper: orm.Mapper[Any]) -> list[AssociationLink]:
    """The association rows that link an item of ``mapper`` and that a delete must remove.

    Every many-to-many relationship of the mapper's registry that reaches the
    item's table through an association table links it: from either side, the
    item's own relationships and the other models' (a relationship declared on
    the other side only, without a backref, included).  The unit of work
    already deletes the rows of the item's own relationships (unless they are
    view-only or leave deletes to the database), so those are left to it.
    """
    needed: dict[tuple[Any, tuple[Any, ...]], list[tuple[Any, Any]]] = {}
    handled: set[tuple[Any, tuple[Any, ...]]] = set()
    for other in mapper.registry.mappers:
        for prop in other.relationships:
            if prop.secondary is None:
                continue
            sides = []
            if mapper.isa(prop.parent):
                sides.append((prop.synchronize_pairs, True))
            if mapper.isa(prop.mapper):
                sides.append((prop.secondary_synchronize_pairs or [], False))
            for pairs, own in sides:
                key = (prop.secondary, tuple(column for _, column in pairs))
                needed.setdefault(key, list(pairs))
                if own and not prop.viewonly and not prop.passive_deletes:
                    handled.add(key)
    return [(key[0], pairs) for key, pairs in needed.items() if key not in handled and pairs]
