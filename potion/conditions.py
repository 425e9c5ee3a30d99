"""Combinations of conditions, in the same backend-neutral language as ``where``.

A parsed ``where`` is a tuple of :class:`~potion.filters.Condition` objects that
all must hold.  The permission layer needs three more nodes, which every backend
translates into its own query language next to the conditions:

- :class:`AnyOf`: at least one of its nodes holds (``AnyOf()`` holds for nothing);
- :class:`AllOf`: every one of its nodes holds (``AllOf()`` holds for everything);
- :class:`Related`: the item a ``ToOne`` field refers to matches a node (a NULL
  reference matches nothing).

:func:`matches` evaluates any node on a Python item; the memory backend filters
with it, and the permission layer checks single items (and items about to be
written) with it, so a check and a narrowed query always agree.
"""

from __future__ import annotations

import uuid
from typing import Any, Iterable

from . import fields
from .filters import NO_MATCH, Condition

__all__ = [
    "AnyOf",
    "AllOf",
    "Related",
    "Overlay",
    "EVERYTHING",
    "NOTHING",
    "any_of",
    "is_everything",
    "is_nothing",
    "matches",
    "readable_only",
    "id_key",
]


class _Nodes:
    """A combination of nodes (conditions or other combinations)."""

    __slots__ = ("nodes",)

    def __init__(self, nodes: Iterable[Any] = ()) -> None:
        self.nodes = tuple(nodes)

    def __repr__(self) -> str:
        return f"{type(self).__name__}{self.nodes!r}"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.nodes == self.nodes  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self.nodes))


class AnyOf(_Nodes):
    """At least one of ``nodes`` holds; with no nodes, nothing matches."""

    __slots__ = ()


class AllOf(_Nodes):
    """Every one of ``nodes`` holds; with no nodes, everything matches."""

    __slots__ = ()


class Related:
    """The item that the ``ToOne`` field ``key`` refers to matches ``node``.

    ``field`` is the ToOne (its ``target`` is the referenced resource) and
    ``attribute`` the attribute that holds the reference on the item.
    """

    __slots__ = ("key", "field", "attribute", "node")

    def __init__(self, key: str, field: Any, node: Any, attribute: str | None = None) -> None:
        self.key = key
        self.field = field
        self.attribute = attribute or field.attribute or key
        self.node = node

    def __repr__(self) -> str:
        return f"Related({self.key!r}, {self.node!r})"


#: Matches every item.
EVERYTHING = AllOf()
#: Matches no item.
NOTHING = AnyOf()


def is_everything(node: Any) -> bool:
    return isinstance(node, AllOf) and not node.nodes


def is_nothing(node: Any) -> bool:
    return isinstance(node, AnyOf) and not node.nodes


def any_of(nodes: Iterable[Any]) -> Any:
    """``AnyOf(nodes)``, simplified: EVERYTHING if one node is, NOTHING dropped."""
    kept = []
    for node in nodes:
        if is_everything(node):
            return EVERYTHING
        if is_nothing(node):
            continue
        if node not in kept:
            kept.append(node)
    if len(kept) == 1:
        return kept[0]
    return AnyOf(kept)


class Overlay:
    """An item as it would be after ``changes``: a changed attribute reads the new
    value, any other the item's own."""

    __slots__ = ("_item", "_changes")

    def __init__(self, item: Any, changes: Any) -> None:
        self._item = item
        self._changes = changes

    def __getattr__(self, name: str) -> Any:
        changes = self._changes
        if name in changes:
            return changes[name]
        value = fields.get_value(name, self._item, _MISSING)
        if value is _MISSING:
            raise AttributeError(name)
        return value


_MISSING = object()


def id_key(value: Any) -> Any:
    """An id in a form that compares equal however it was typed (``5`` and ``"5"``)."""
    if value is None or isinstance(value, bool):
        return value
    return str(value)


def _is_bare_id(value: Any) -> bool:
    """Whether a ToOne holds an id (or a stored reference) rather than the item."""
    return isinstance(value, (str, int, float, uuid.UUID)) or type(value).__name__ in (
        "ObjectId",
        "DBRef",
    )


def _reference_id(field: Any, value: Any) -> Any:
    """The id of the item a ToOne holds: the item itself, or an id already."""
    if value is None or isinstance(value, (str, int, float, uuid.UUID)):
        return value
    manager = getattr(field.target, "manager", None)
    if manager is None:
        return value
    item_id = manager.get_id(value)
    return value if item_id is None else item_id


def _stored_id(field: Any, item: Any) -> Any:
    """The id a stored item holds in the foreign key of a ToOne (``_MISSING`` when it
    cannot tell: a dict of properties, an item with changes laid over it)."""
    attribute = field.id_attribute
    if attribute is None or isinstance(item, (dict, Overlay)):
        return _MISSING
    return fields.get_value(attribute, item, _MISSING)


def _condition_matches(condition: Condition, item: Any) -> bool:
    filter_ = condition.filter
    field = filter_.field
    operand = condition.value
    if isinstance(field, fields.ToOne) and _stored_id(field, item) is not _MISSING:
        value = None  # read from the foreign key below, without loading the item
    else:
        value = fields.get_value(condition.attribute, item, None)
    container = field.container if isinstance(field, fields.Array) else None
    if isinstance(field, (fields.ToOne, fields.ItemUri)) or isinstance(container, fields.ToOne):
        # ids compare whatever their Python type on either side
        if isinstance(field, fields.ToOne):
            stored = _stored_id(field, item)
            value = id_key(_reference_id(field, value) if stored is _MISSING else stored)
        elif container is not None:
            value = [id_key(_reference_id(container, v)) for v in value or ()]
        else:
            value = id_key(value)
        if operand is NO_MATCH:
            return filter_.name == "ne"
        if isinstance(operand, (list, tuple, set, frozenset)):
            operand = [id_key(v) for v in operand if v is not NO_MATCH]
        else:
            operand = id_key(operand)
    elif operand is NO_MATCH:
        return filter_.name == "ne"
    try:
        return bool(filter_.op(value, operand))
    except TypeError:
        return False


def matches(node: Any, item: Any) -> bool:
    """Whether the Python ``item`` (object, dict or document) matches ``node``.

    ``node`` is a :class:`~potion.filters.Condition`, :class:`AnyOf`,
    :class:`AllOf`, :class:`Related`, or a tuple (all of).
    """
    if isinstance(node, Condition):
        return _condition_matches(node, item)
    if isinstance(node, AnyOf):
        return any(matches(child, item) for child in node.nodes)
    if isinstance(node, (AllOf, tuple, list)):
        children = node.nodes if isinstance(node, AllOf) else node
        return all(matches(child, item) for child in children)
    if isinstance(node, Related):
        target = fields.get_value(node.attribute, item, None)
        if target is None:
            return False
        if _is_bare_id(target):  # an id: load the item it names
            target = _load(node.field, _reference_id(node.field, target))
            if target is None:
                return False
        return matches(node.node, target)
    raise TypeError(f"Not a condition: {node!r}")


def _load(field: Any, target_id: Any) -> Any:
    return _load_with(field.target.manager, target_id)


def readable_only(node: Any, items: Any, manager: Any) -> list[Any]:
    """The items (or stored references, loaded through ``manager``) matching ``node``."""
    kept = []
    for item in items:
        subject = item
        if _is_bare_id(item):
            subject = _load_with(manager, _reference_id_of(manager, item))
            if subject is None:
                continue
        if matches(node, subject):
            kept.append(item)
    return kept


def _reference_id_of(manager: Any, value: Any) -> Any:
    if isinstance(value, (str, int, float, uuid.UUID)):
        return value
    item_id = manager.get_id(value)
    return value if item_id is None else item_id


def _load_with(manager: Any, item_id: Any) -> Any:
    from .exceptions import ItemNotFound

    try:
        return manager.read_unchecked(item_id)
    except ItemNotFound:
        return None
