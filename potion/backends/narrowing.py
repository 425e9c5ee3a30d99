"""How a manager applies the permissions of its resource to its reads.

Every read method of a backend first passes its ``where`` through
:meth:`NarrowingMixin.narrow`, which adds the conditions of the current
identity's read permission (and, for conditions on references, those of the
referenced resources); the backend then runs the result in its own query.
"""

from __future__ import annotations

from typing import Any

from .. import fields
from ..conditions import NOTHING, Related, any_of, is_everything, is_nothing
from ..exceptions import Forbidden, ItemNotFound
from ..filters import NO_MATCH, Condition, EqualFilter
from ..permissions import Permissions, unchecked

__all__ = ["Narrowed", "NarrowingMixin"]


class Narrowed(tuple):  # type: ignore[type-arg]
    """A ``where`` that :meth:`NarrowingMixin.narrow` has already narrowed."""

    __slots__ = ()


class NarrowingMixin:
    """The permission side of :class:`~potion.backends.Manager`."""

    permissions: Permissions

    def read(self, id: Any) -> Any:
        raise NotImplementedError

    def get_id(self, item: Any) -> Any:
        raise NotImplementedError

    def narrow(self, where: Any = None, deny: bool = True) -> Narrowed:
        """``where`` and the conditions the identity's read permission adds.

        See the module documentation; every read method calls it first.
        """
        if isinstance(where, Narrowed):
            return where
        conditions = tuple(where or ())
        permissions = self.permissions
        if not permissions.guarded and not any(
            isinstance(getattr(getattr(c, "filter", None), "field", None), _REFERENCES)
            for c in conditions
        ):
            return Narrowed(conditions)  # nothing to narrow: no need to ask who is asking
        identity = permissions.identity()
        if identity is None:  # outside a request: nothing is checked
            return Narrowed(conditions)
        extra: list[Any] = []
        node = permissions.node("read", identity)
        if is_nothing(node) and not permissions.rule("read").item_level:
            if deny:
                raise Forbidden()
            return Narrowed(conditions + (NOTHING,))
        if not is_everything(node):
            extra.append(node)
        if conditions:
            conditions = tuple(self._narrow_reference(c, identity, extra) for c in conditions)
        return Narrowed(conditions + tuple(extra))

    def _narrow_reference(self, condition: Any, identity: Any, extra: list[Any]) -> Any:
        """A condition on a reference matches only items the identity may read."""
        if not isinstance(condition, Condition):
            return condition
        filter_ = condition.filter
        field = filter_.field
        if isinstance(field, fields.ToOne) and filter_.name in ("eq", "in"):
            target = _permissions_of(field)
            if target is None:
                return condition
            node = target.node("read", identity)
            if is_everything(node):
                return condition
            values = condition.value if filter_.name == "in" else [condition.value]
            if not isinstance(values, (list, tuple)) or all(v is None for v in values):
                return condition
            related: Any = (
                NOTHING
                if is_nothing(node)
                else Related(condition.key, field, node, condition.attribute)
            )
            if any(v is None for v in values):
                is_null = EqualFilter(field=field, attribute=condition.attribute)
                related = any_of([related, Condition(condition.key, is_null, None)])
            extra.append(related)
            return condition
        container = getattr(field, "container", None)
        if (
            isinstance(field, fields.Array)
            and isinstance(container, fields.ToOne)
            and filter_.name == "contains"
            and condition.value is not None
            and condition.value is not NO_MATCH
        ):
            target = _permissions_of(container)
            if target is None or is_everything(target.node("read", identity)):
                return condition
            try:
                container.target.manager.read(condition.value)
            except (ItemNotFound, Forbidden):
                return Condition(condition.key, filter_, NO_MATCH)
        return condition

    def read_unchecked(self, id: Any) -> Any:
        """:meth:`read` with no permission narrowing (for the permission layer)."""
        with unchecked():
            return self.read(id)

    def get_permissions_for_item(self, item: Any) -> dict[str, bool]:
        """``{action: bool}`` for the current identity on ``item`` (Flask-Potion's name)."""
        return self.permissions.actions(item)

    def can_create_item(self, item: Any) -> bool:
        """Whether the identity may create an item with these properties."""
        return self.permissions.can("create", None, item)

    def can_update_item(self, item: Any, changes: dict[str, Any] | None = None) -> bool:
        """Whether the identity may update ``item`` (with ``changes``, before and after)."""
        return self.permissions.can("update", item, changes)

    def can_delete_item(self, item: Any) -> bool:
        """Whether the identity may delete ``item``."""
        return self.permissions.can("delete", item)

    def _check_child(self, target_resource: Any, target_item: Any) -> None:
        """A child the identity may not read is as missing as one that does not exist."""
        permissions = getattr(target_resource.manager, "permissions", None)
        if permissions is not None and not permissions.can("read", target_item):
            raise ItemNotFound(target_resource, id=target_resource.manager.get_id(target_item))


_REFERENCES = (fields.ToOne, fields.Array)


def _permissions_of(field: Any) -> Permissions | None:
    """The permissions of a reference's target, when they are checked."""
    try:
        manager = field.target.manager
    except RuntimeError:
        return None
    permissions = getattr(manager, "permissions", None)
    return permissions if permissions is not None and permissions.guarded else None
