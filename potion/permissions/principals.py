"""Flask-Potion's ``contrib.principals`` surface, served by Potion's permission layer.

``principals(SQLAlchemyManager)`` is a manager class that checks ``Meta.permissions``
(the defaults when a resource declares none), like Flask-Potion's.  The hybrid
needs and ``HybridPermission`` keep their names and their meaning: a need that
depends on an item, turned into the plain need an identity must provide.

Potion checks permissions in every manager once a resource declares
``Meta.permissions``; ``principals()`` only adds that the defaults apply to
resources that declare none (``create`` then needs somebody allowed to).
"""

from __future__ import annotations

from typing import Any

from .. import fields
from .current import current_identity
from .identity import SUPERUSER_NEED, ItemNeed, UserNeed

__all__ = [
    "PrincipalMixin",
    "principals",
    "HybridNeed",
    "HybridItemNeed",
    "HybridRelationshipNeed",
    "HybridUserNeed",
    "HybridPermission",
]


class PrincipalMixin:
    """Makes a manager check the default permissions of resources that declare none."""

    guard_by_default = True


def principals(manager_class: type) -> type:
    """A subclass of ``manager_class`` (a ``RelationalManager``) with permissions on."""
    from ..backends import RelationalManager

    if not (isinstance(manager_class, type) and issubclass(manager_class, RelationalManager)):
        raise RuntimeError(
            f"principals() needs a RelationalManager subclass (SQLAlchemy or peewee), "
            f"not {manager_class!r}"
        )
    name = f"Principals{manager_class.__name__}"
    return type(name, (PrincipalMixin, manager_class), {"__module__": manager_class.__module__})


def _item_id(item: Any, resource: Any = None) -> Any:
    manager = getattr(resource, "manager", None)
    if manager is not None:
        return manager.get_id(item)
    return fields.get_value("id", item, None)


class HybridNeed:
    """A need that depends on the item: ``need(item)`` is the plain need an
    identity must provide to pass it on that item."""

    def __call__(self, item: Any) -> Any:
        raise NotImplementedError

    def identity_get_item_needs(self) -> Any:
        """Flask-Potion's hook; Potion narrows queries with its own conditions."""
        return None


class HybridItemNeed(HybridNeed):
    """``ItemNeed(method, <the item's id>, type)``; ``type`` defaults to the
    resource's name."""

    def __init__(self, method: str, resource: Any = None, type_: str | None = None) -> None:
        self.method = method
        self.resource = resource
        self.type = (
            type_ if type_ is not None else getattr(getattr(resource, "meta", None), "name", None)
        )

    def __call__(self, item: Any) -> Any:
        return ItemNeed(self.method, _item_id(item, self.resource), self.type)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} method={self.method!r} type={self.type!r}>"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self), self.method, self.type))


class HybridRelationshipNeed(HybridItemNeed):
    """The ``method`` need of the item that ``fields`` (ToOne fields, followed in
    order) lead to: ``HybridRelationshipNeed("update", article_field)``."""

    def __init__(self, method: str, *fields_: Any) -> None:
        self.fields = fields_
        target = getattr(fields_[-1], "target", None) if fields_ else None
        super().__init__(method, target)

    def related(self, item: Any) -> Any:
        for field in self.fields:
            if item is None:
                return None
            attribute = field if isinstance(field, str) else field.attribute
            if attribute is None:
                raise RuntimeError(
                    f"{type(self).__name__}: give the field an attribute (or its name)"
                )
            item = fields.get_value(attribute, item, None)
        return item

    def __call__(self, item: Any) -> Any:
        related = self.related(item)
        if related is None:
            return None
        return ItemNeed(self.method, _item_id(related, self.resource), self.type)

    def __hash__(self) -> int:
        return hash((type(self), self.method, self.fields))


class HybridUserNeed(HybridRelationshipNeed):
    """``UserNeed(<id of the user the field refers to>)``: ``user:<field>``."""

    def __init__(self, field: Any) -> None:
        super().__init__("id", field)

    def __call__(self, item: Any) -> Any:
        related = self.related(item)
        if related is None:
            return None
        return UserNeed(_item_id(related, self.resource))


class HybridPermission:
    """Plain needs (any provided passes) and hybrid needs (checked on an item).

    ``can()`` asks for the current identity without an item (plain needs only),
    ``can(item)`` also tries the hybrid needs on the item.
    """

    def __init__(self, *needs: Any) -> None:
        self.needs = {need for need in needs if not isinstance(need, HybridNeed)}
        self.hybrid_needs = {need for need in needs if isinstance(need, HybridNeed)}

    def allows(self, identity: Any, item: Any = None) -> bool:
        provides = set(getattr(identity, "provides", None) or ())
        if SUPERUSER_NEED in provides or self.needs & provides:
            return True
        if item is None:
            return False
        return any(need(item) in provides for need in self.hybrid_needs)

    def can(self, item: Any = None) -> bool:
        identity = current_identity()
        return True if identity is None else self.allows(identity, item)

    def __repr__(self) -> str:
        return f"<HybridPermission needs={self.needs!r} hybrid_needs={self.hybrid_needs!r}>"
