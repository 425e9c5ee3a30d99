"""The memory backend: items are dicts kept in the process.

Meant for plain resources without a data store, for prototypes and for tests.
It implements the whole Manager contract: filters, sorting and pagination run in
Python, writes are transactional (a failed write restores the items it touched)
and every signal is sent.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any

from .. import fields
from ..conditions import matches
from ..exceptions import DuplicateKey, ItemNotFound, PageNotFound
from ..pagination import Pagination
from . import Manager

__all__ = ["MemoryManager", "reset_all"]

#: Every memory manager of the process, for :func:`reset_all`.
_managers: weakref.WeakSet[MemoryManager] = weakref.WeakSet()


def reset_all(api: Any = None) -> None:
    """Empty the memory store of every resource of ``api`` (of every Api when None).

    Memory items live on the resource class for as long as the process, so tests
    that share resource classes see each other's items; call this in a fixture
    (ids start again from 1).
    """
    if api is not None:
        managers = [r.manager for r in api.resources.values()]
    else:
        managers = list(_managers)
    for manager in managers:
        if isinstance(manager, MemoryManager):
            manager.reset()


def _comparable(field: Any, value: Any, manager_of: Any) -> Any:
    """Replace referenced items by their ids so conditions compare ids."""
    if isinstance(field, fields.ToOne):
        return None if value is None else manager_of(field).get_id(value)
    if isinstance(field, fields.Array) and isinstance(field.container, fields.ToOne):
        target = manager_of(field.container)
        return [target.get_id(v) for v in value or ()]
    return value


def _sort_key(value: Any) -> tuple[bool, Any]:
    return (value is not None, value if value is not None else 0)


class MemoryManager(Manager):
    """Keeps items as dicts in insertion order; ids are integers from 1."""

    requires_model = False
    unsupported = {
        "unique": "the memory store has no unique constraints",
        "foreign_keys": (
            "the memory store has no foreign keys: deleting an item leaves the "
            "references (ToOne) to it dangling"
        ),
    }

    def _init_model(self, resource: Any, model: Any, meta: Any) -> None:
        super()._init_model(resource, model, meta)
        self.reset()
        _managers.add(self)

    def reset(self) -> None:
        """Remove every item of the resource; the next id is 1 again."""
        self.items: dict[Any, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._undo: list[tuple[str, Any, Any]] | None = None

    @staticmethod
    def _target_manager(field: Any) -> Any:
        return field.target.manager

    # -- reads -------------------------------------------------------------------

    def instances(self, where: Any = None, sort: Any = None) -> list[dict[str, Any]]:
        where = self.narrow(where)
        items = [item for item in self.items.values() if matches(where, item)]
        sort = tuple(sort or ())
        if not sort and self.resource.meta.get("sort_attribute"):
            attribute = self.resource.meta.sort_attribute
            reverse = False
            if isinstance(attribute, (tuple, list)):
                attribute, reverse = attribute
            sort = ((None, attribute, reverse),)
        for order in reversed(sort):
            field, attribute, reverse = order[0], order[1], order[2]

            def key(item: dict[str, Any], field: Any = field, attribute: str = attribute) -> Any:
                value = fields.get_value(attribute, item, None)
                return _sort_key(_comparable(field, value, self._target_manager))

            items.sort(key=key, reverse=reverse)
        return items

    def paginated_instances(
        self, page: int, per_page: int, where: Any = None, sort: Any = None
    ) -> Pagination:
        result = Pagination.from_list(self.instances(where, sort), page, per_page)
        if page > result.pages:
            raise PageNotFound()
        return result

    def read(self, id: Any) -> dict[str, Any]:
        narrowing = self.narrow()
        try:
            item = self.items[id]
        except (KeyError, TypeError):
            raise ItemNotFound(self.resource, id=id) from None
        if narrowing and not matches(narrowing, item):
            raise ItemNotFound(self.resource, id=id)
        return item

    def relation_instances(
        self,
        item: Any,
        attribute: str,
        target_resource: Any,
        page: int | None = None,
        per_page: int | None = None,
    ) -> Any:
        children = list(item.get(attribute) or ())
        readable = target_resource.manager.narrow(deny=False)
        if readable:
            children = [child for child in children if matches(readable, child)]
        if page is None:
            return children
        result = Pagination.from_list(children, page, per_page or 20)
        if page > result.pages:
            raise PageNotFound()
        return result

    # -- transactions ------------------------------------------------------------

    def _begin(self) -> None:
        self._undo = []

    def _commit(self) -> None:
        self._undo = None

    def _rollback(self) -> None:
        undo, self._undo = self._undo or [], None
        for action, key, value in reversed(undo):
            if action == "insert":
                self.items.pop(key, None)
            elif action == "restore":
                item, snapshot = value
                item.clear()
                item.update(snapshot)
            elif action == "delete":
                self.items[key] = value
                # keep insertion order close to the original position
        self.items = dict(sorted(self.items.items(), key=lambda kv: _sort_key(kv[0])))

    def _remember(self, action: str, key: Any, value: Any) -> None:
        if self._undo is not None:
            self._undo.append((action, key, value))

    # -- writes ------------------------------------------------------------------

    def _will_change(self, item: Any) -> None:
        self._remember("restore", None, (item, dict(item)))

    def _build(self, properties: dict[str, Any]) -> dict[str, Any]:
        return dict(properties)

    def _insert(self, item: Any, properties: dict[str, Any]) -> None:
        item_id = item.get(self.id_attribute)
        if item_id is None:
            item_id = next(self._ids)
            while item_id in self.items:
                item_id = next(self._ids)
            item[self.id_attribute] = item_id
        elif item_id in self.items:  # a key the client chose is taken: never replace
            key = next(
                (
                    k
                    for k, f in self.resource.schema.fields.items()
                    if (f.attribute or k) == self.id_attribute and "c" in f.io
                ),
                self.id_attribute,
            )
            raise DuplicateKey(
                f"An item with this {key} already exists",
                errors=[{"path": [key], "validationOf": {"unique": True}}],
            )
        self.items[item_id] = item
        self._remember("insert", item_id, None)

    def _apply(self, item: Any, changes: dict[str, Any], actual: dict[str, Any]) -> None:
        self._stored(item)
        item.update(changes)

    def _remove(self, item: Any) -> None:
        item_id = self._stored(item)
        self.items.pop(item_id, None)
        self._remember("delete", item_id, item)
        self._forget_references(item)

    def _forget_references(self, removed: Any) -> None:
        """Drop ``removed`` from every relation list of the memory items of the Api.

        A relation (a ``ToMany`` field or a ``Relation`` route) keeps the related
        items themselves; a deleted one would otherwise stay listed.  The lists
        changed are put back if the write is rolled back.
        """
        api = getattr(self.resource, "api", None)
        resources = api.resources.values() if api is not None else (self.resource,)
        for resource in resources:
            manager = resource.manager
            if not isinstance(manager, MemoryManager):
                continue
            for other in manager.items.values():
                for key, value in list(other.items()):
                    if isinstance(value, list) and any(v is removed for v in value):
                        self._remember("restore", None, (other, dict(other)))
                        other[key] = [v for v in value if v is not removed]

    def _stored(self, item: Any) -> Any:
        """The id of ``item``; ``ItemNotFound`` when it was deleted meanwhile."""
        item_id = self.get_id(item)
        if self.items.get(item_id) is not item:
            raise ItemNotFound(self.resource, id=item_id)
        return item_id

    def _add_to_relation(
        self, item: Any, attribute: str, target_resource: Any, target_item: Any
    ) -> bool:
        children = list(item.get(attribute) or ())
        if any(child is target_item for child in children):
            return False
        item[attribute] = children + [target_item]
        return True

    def _remove_from_relation(
        self, item: Any, attribute: str, target_resource: Any, target_item: Any
    ) -> bool:
        children = list(item.get(attribute) or ())
        if target_item not in children:
            return False
        children.remove(target_item)
        item[attribute] = children
        return True
