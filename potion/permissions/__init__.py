"""Principal-based object permissions.

- :mod:`potion.permissions.identity`: who is asking, as a set of needs
  (``Identity``, ``UserNeed``, ``RoleNeed``, ``ItemNeed``, ``SUPERUSER_NEED``).
- :mod:`potion.permissions.current`: the identity of the current request
  (the Api's ``identity_source``, Flask-Principal's ``g.identity``, or anonymous).
- :mod:`potion.permissions.rules`: ``Meta.permissions`` parsed into rules, and
  rules turned into conditions that every backend narrows its queries with.

For other code (the HTML admin, custom views)::

    from potion import permissions

    permissions.can(BookResource, "update", book)       # -> bool
    permissions.actions(BookResource, book)             # -> {"read": True, "update": False, ...}
    permissions.can(BookResource, "create", changes={"author": me})

See docs/permissions.md.
"""

from __future__ import annotations

from typing import Any, Mapping

from .current import acting_as as acting_as
from .current import current_identity as current_identity
from .current import unchecked as unchecked
from .identity import SUPERUSER_NEED as SUPERUSER_NEED
from .identity import AnonymousIdentity as AnonymousIdentity
from .identity import Identity as Identity
from .identity import ItemNeed as ItemNeed
from .identity import Need as Need
from .identity import RoleNeed as RoleNeed
from .identity import UserNeed as UserNeed
from .rules import DEFAULT_PERMISSIONS as DEFAULT_PERMISSIONS
from .rules import Permissions as Permissions

__all__ = [
    "Need",
    "ItemNeed",
    "UserNeed",
    "RoleNeed",
    "SUPERUSER_NEED",
    "Identity",
    "AnonymousIdentity",
    "DEFAULT_PERMISSIONS",
    "Permissions",
    "current_identity",
    "acting_as",
    "unchecked",
    "permissions_for",
    "can",
    "actions",
    "require",
    "declares_permissions",
]


def permissions_for(resource: Any) -> Permissions:
    """The :class:`Permissions` of a ModelResource (class or instance)."""
    manager = getattr(resource, "manager", None)
    permissions = getattr(manager, "permissions", None)
    if permissions is None:
        name = getattr(resource, "__name__", type(resource).__name__)
        raise TypeError(f"{name} has no manager, so no permissions")
    return permissions


def can(
    resource: Any, action: str, item: Any = None, changes: Mapping[str, Any] | None = None
) -> bool:
    """Whether the current identity may do ``action`` on ``resource``.

    :param item: the item acted on; without one, whether the identity may do the
        action on some item (worth showing a button for).
    :param changes: the new values of an update (checked on the item as it is
        and as it would be after them) or the properties of a create (with no
        ``item``).
    """
    return permissions_for(resource).can(action, item, changes)


def actions(resource: Any, item: Any = None) -> dict[str, bool]:
    """``{action: bool}`` for every action of ``resource`` (built-in and custom),
    for the current identity, on ``item`` when given."""
    return permissions_for(resource).actions(item)


def require(
    resource: Any, action: str, item: Any = None, changes: Mapping[str, Any] | None = None
) -> None:
    """Like :func:`can`, but raise :class:`~potion.exceptions.Forbidden` (403) when not."""
    permissions_for(resource).require(action, item, changes)


def declares_permissions(resource: Any) -> bool:
    """Whether a ModelResource declares ``Meta.permissions`` (in itself or a base class)."""
    meta = getattr(resource, "meta", None)
    if meta is None:
        return False
    return meta.get("permissions", DEFAULT_PERMISSIONS) is not DEFAULT_PERMISSIONS
