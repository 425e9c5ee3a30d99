"""``Meta.permissions``: need strings parsed into rules, and rules into conditions.

Each action (``read``, ``create``, ``update``, ``delete`` and any custom one) has
a rule: alternatives, any of which grants the action.  For one identity a rule
becomes one node of the ``where`` language (:mod:`potion.conditions`):
everything, nothing, or the conditions an item must meet.  Lists are narrowed
with that node inside the store's query; single items (and the properties of an
item about to be created or changed) are checked with the same node in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from .. import fields
from ..conditions import (
    EVERYTHING,
    NOTHING,
    Overlay,
    Related,
    any_of,
    is_everything,
    is_nothing,
    matches,
)
from ..exceptions import Forbidden
from ..filters import Condition, EqualFilter, InFilter
from .current import current_identity, request_cache
from .identity import SUPERUSER_NEED

__all__ = [
    "DEFAULT_PERMISSIONS",
    "GRANTED",
    "DENIED",
    "Permissions",
    "Rule",
    "InheritanceCycle",
]

#: The rules of a resource that declares none of its own (spec §12).
DEFAULT_PERMISSIONS: dict[str, Any] = {
    "read": "anyone",
    "create": "nobody",
    "update": "create",
    "delete": "update",
}
#: Need strings that always grant the action (and end the list).
GRANTED = frozenset({"yes", "everybody", "anybody", "everyone", "anyone"})
#: Need strings that never grant it.
DENIED = frozenset({"no", "nobody", "noone"})


class InheritanceCycle(RuntimeError):
    """Permission rules that refer to each other, or inherit from each other, in a cycle."""


# -- the kinds of need ---------------------------------------------------------------


@dataclass(frozen=True)
class _Everyone:
    item_level = False

    def node(self, permissions: Permissions, identity: Any, stack: tuple[Any, ...]) -> Any:
        return EVERYTHING


@dataclass(frozen=True)
class _Role:
    """``RoleNeed(name)`` among the identity's needs."""

    name: str
    item_level = False

    def node(self, permissions: Permissions, identity: Any, stack: tuple[Any, ...]) -> Any:
        return EVERYTHING if ("role", self.name) in _provides(identity) else NOTHING


@dataclass(frozen=True)
class _ItemAction:
    """``ItemNeed(action, <the item's id>, <resource name>)`` among the needs."""

    action: str
    item_level = True

    def node(self, permissions: Permissions, identity: Any, stack: tuple[Any, ...]) -> Any:
        name = permissions.resource.meta.name
        ids = [
            need[1]
            for need in _provides(identity)
            if len(need) == 3 and need[0] == self.action and need[2] == name
        ]
        return permissions.id_condition(ids) if ids else NOTHING


@dataclass(frozen=True)
class _UserField:
    """``user:<field>``: the field refers to (or holds the id of) the current user."""

    key: str
    item_level = True

    def node(self, permissions: Permissions, identity: Any, stack: tuple[Any, ...]) -> Any:
        ids = _user_ids(identity)
        if not ids:
            return NOTHING
        if len(ids) == 1:  # the usual case: one user, one equality (its statements are kept)
            return Condition(self.key, permissions.filter(self.key, EqualFilter), ids[0])
        return Condition(self.key, permissions.filter(self.key, InFilter), ids)


@dataclass(frozen=True)
class _UserSelf:
    """``user:$id`` / ``user:$uri``: the item is the current user."""

    item_level = True

    def node(self, permissions: Permissions, identity: Any, stack: tuple[Any, ...]) -> Any:
        ids = _user_ids(identity)
        return permissions.id_condition(ids) if ids else NOTHING


@dataclass(frozen=True)
class _Inherit:
    """``<action>:<field>``: the identity may do ``action`` on the item the ToOne
    ``field`` refers to."""

    action: str
    key: str
    item_level = True

    def node(self, permissions: Permissions, identity: Any, stack: tuple[Any, ...]) -> Any:
        field = permissions.resource.schema.fields[self.key]
        target = permissions.target_permissions(self.key)
        inner = target._node(self.action, identity, stack)
        if is_everything(inner) or is_nothing(inner):
            return inner
        return Related(self.key, field, inner)


def _provides(identity: Any) -> Any:
    return getattr(identity, "provides", None) or ()


def _user_ids(identity: Any) -> list[Any]:
    """The values of the identity's ``UserNeed``s (``Need("id", value)``)."""
    return [need[1] for need in _provides(identity) if len(need) == 2 and need[0] == "id"]


@dataclass(frozen=True)
class Rule:
    """The needs of one action: any of them grants it.

    ``item_level`` tells whether some need depends on the item (an owner, an
    item need, an inherited action); a rule of roles alone either grants the
    action on every item or on none.
    """

    action: str
    needs: tuple[Any, ...]

    @property
    def item_level(self) -> bool:
        return any(need.item_level for need in self.needs)


# -- a resource's permissions --------------------------------------------------------


class Permissions:
    """The permission rules of one resource, and the checks made with them.

    Every :class:`~potion.ModelResource` has one, as ``resource.manager.permissions``.
    A resource is *guarded* when it declares ``Meta.permissions`` (or its manager
    class is a :func:`flask_potion.contrib.principals.principals` manager); the
    rules of an unguarded resource grant everything to everyone.

    The methods other code uses (the HTML admin, custom views):

    - :meth:`can` whether the current identity may do an action (on an item);
    - :meth:`actions` every action of the resource, with that answer;
    - :meth:`require` like :meth:`can`, but raises :class:`~potion.exceptions.Forbidden`.
    """

    def __init__(self, resource: Any, declared: Mapping[str, Any] | None, guarded: bool) -> None:
        self.resource = resource
        self.guarded = guarded
        merged = dict(DEFAULT_PERMISSIONS)
        merged.update(declared or {})
        self.declared = merged
        self.rules: dict[str, Rule] = {
            action: Rule(action, _parse(resource, merged, action, ())) for action in merged
        }
        self._id_field: Any = None
        self._filters: dict[tuple[str, type], Any] = {}

    def __repr__(self) -> str:
        state = "guarded" if self.guarded else "unguarded"
        return f"<Permissions of {self.resource.meta.name} ({state}): {sorted(self.rules)}>"

    # -- identity ------------------------------------------------------------------

    def identity(self) -> Any:
        """The identity checked now, or None when nothing is checked (see
        :func:`~potion.permissions.current_identity`)."""
        return current_identity(getattr(self.resource, "api", None))

    # -- rules as conditions ---------------------------------------------------------

    def node(self, action: str, identity: Any = None) -> Any:
        """The condition an item must meet for ``identity`` to do ``action`` on it.

        :data:`~potion.conditions.EVERYTHING` when nothing is checked (an
        unguarded resource, no identity, a superuser), else a node of the
        ``where`` language (:data:`~potion.conditions.NOTHING` when no item
        qualifies).  Computed once per request and identity.
        """
        if not self.guarded or identity is None:
            return EVERYTHING
        return self._node(action, identity, ())

    def _node(self, action: str, identity: Any, stack: tuple[Any, ...]) -> Any:
        if not self.guarded or SUPERUSER_NEED in _provides(identity):
            return EVERYTHING
        key = (id(self), action, id(identity))
        cache = request_cache()
        if cache is not None:
            hit = cache.get(key)
            if hit is not None and hit[0] is identity:
                return hit[1]
        if (self, action) in stack:
            chain = " -> ".join(f"{p.resource.meta.name}.{a}" for p, a in stack)
            raise InheritanceCycle(f"Permissions inherit in a cycle: {chain} -> {action}")
        rule = self.rule(action)
        stack = stack + ((self, action),)
        node = any_of(need.node(self, identity, stack) for need in rule.needs)
        if cache is not None:
            cache[key] = (identity, node)
        return node

    def rule(self, action: str) -> Rule:
        try:
            return self.rules[action]
        except KeyError:
            raise RuntimeError(
                f"{self.resource.__name__} has no permission rule for action {action!r}; "
                f"add it to Meta.permissions (actions: {', '.join(sorted(self.rules))})"
            ) from None

    def id_condition(self, ids: Iterable[Any]) -> Condition:
        """``the item's id is one of ids``, as a condition."""
        if self._id_field is None:
            manager = self.resource.manager
            field = fields.ItemUri(self.resource, attribute=manager.id_attribute)
            self._id_field = field.bind(self.resource)
        field = self._id_field
        return Condition("$id", InFilter(field=field, attribute=field.attribute), list(ids))

    def filter(self, key: str, filter_class: type) -> Any:
        """One filter object per field and operator, so that conditions built for
        each request have the same shape (the SQL backends keep statements by it)."""
        found = self._filters.get((key, filter_class))
        if found is None:
            field = self.resource.schema.fields[key]
            found = filter_class(field=field, attribute=field.attribute or key)
            self._filters[(key, filter_class)] = found
        return found

    def target_permissions(self, key: str) -> Permissions:
        field = self.resource.schema.fields[key]
        manager = getattr(field.target, "manager", None)
        permissions = getattr(manager, "permissions", None)
        if permissions is None:
            raise RuntimeError(
                f"{self.resource.__name__}: {key!r} refers to {field.target.__name__}, "
                "which has no manager and so no permissions to inherit"
            )
        return permissions

    # -- checks ----------------------------------------------------------------------

    def can(self, action: str, item: Any = None, changes: Mapping[str, Any] | None = None) -> bool:
        """Whether the current identity may do ``action``.

        :param item: the item acted on; without one the answer is whether the
            identity may do ``action`` on some item (so whether a button to
            create, say, is worth showing).
        :param changes: attribute → new value.  With an ``item``, the action must
            be allowed on the item both as it is and as it would be after the
            changes (an update that hands an item to someone else is refused);
            without one, on an item made of ``changes`` alone (a create).
        """
        if not self.guarded:
            return True
        identity = self.identity()
        if identity is None:
            return True
        node = self.node(action, identity)
        if is_everything(node):
            return True
        if is_nothing(node):
            return False
        if item is not None and not matches(node, item):
            return False
        if changes is not None:
            after = Overlay(item, changes) if item is not None else dict(changes)
            if not matches(node, after):
                return False
        return True

    def require(
        self, action: str, item: Any = None, changes: Mapping[str, Any] | None = None
    ) -> None:
        """:meth:`can`, raising :class:`~potion.exceptions.Forbidden` (403) when not."""
        if not self.can(action, item, changes):
            raise Forbidden()

    def actions(self, item: Any = None) -> dict[str, bool]:
        """``{action: may the current identity do it}`` for every action of the
        resource (on ``item`` when given)."""
        return {action: self.can(action, item) for action in self.rules}

    # -- set-up checks -----------------------------------------------------------------

    def check_inheritance(self) -> None:
        """Refuse ``<action>:<field>`` chains that cannot be resolved or loop.

        Targets not registered yet are skipped (the Api checks again as resources
        are added); a cycle raises ``RuntimeError`` naming the chain.
        """
        for action in self.rules:
            self._walk(action, ())

    def _walk(self, action: str, stack: tuple[tuple[Permissions, str], ...]) -> None:
        if (self, action) in stack:
            chain = " -> ".join(f"{p.resource.meta.name}.{a}" for p, a in stack)
            raise InheritanceCycle(
                f"Permissions inherit in a cycle: {chain} -> "
                f"{self.resource.meta.name}.{action}; break it in Meta.permissions"
            )
        if not self.guarded:
            return
        stack = stack + ((self, action),)
        for need in self.rule(action).needs:
            if not isinstance(need, _Inherit):
                continue
            try:
                target = self.target_permissions(need.key)
            except RuntimeError:
                continue  # the target is not registered yet
            if need.action not in target.rules:
                raise RuntimeError(
                    f"{self.resource.__name__}.Meta.permissions: '{need.action}:{need.key}' "
                    f"names action {need.action!r}, which {target.resource.__name__} does "
                    f"not have (actions: {', '.join(sorted(target.rules))})"
                )
            target._walk(need.action, stack)


def _parse(
    resource: Any, permissions: Mapping[str, Any], action: str, seen: tuple[str, ...]
) -> tuple[Any, ...]:
    """The needs of ``action``, with the names of other actions expanded."""
    if action in seen:
        chain = " -> ".join(seen + (action,))
        raise InheritanceCycle(
            f"{resource.__name__}.Meta.permissions refer to each other in a cycle: {chain}"
        )
    value = permissions[action]
    strings = [value] if isinstance(value, str) else list(value or ())
    needs: list[Any] = []
    for need in strings:
        if not isinstance(need, str):
            raise TypeError(
                f"{resource.__name__}.Meta.permissions[{action!r}]: {need!r} is not a need string"
            )
        if need in GRANTED:
            return (_Everyone(),)
        if need in DENIED:
            continue
        if need == action:
            needs.append(_ItemAction(action))
        elif need in permissions:
            needs.extend(_parse(resource, permissions, need, seen + (action,)))
        elif ":" in need:
            needs.append(_parse_field_need(resource, action, need))
        else:
            needs.append(_Role(need))
    unique: list[Any] = []
    for need in needs:
        if need not in unique:
            unique.append(need)
        if isinstance(need, _Everyone):
            return (need,)
    return tuple(unique)


def _parse_field_need(resource: Any, action: str, need: str) -> Any:
    kind, _, key = need.partition(":")
    where = f"{resource.__name__}.Meta.permissions[{action!r}] = {need!r}"
    if kind == "user" and key in ("$id", "$uri"):
        return _UserSelf()
    schema_fields = resource.schema.fields
    field = schema_fields.get(key)
    if field is None:
        for name, candidate in schema_fields.items():
            if candidate.attribute == key:
                key, field = name, candidate
                break
    if field is None:
        raise RuntimeError(f"{where}: {resource.__name__} has no field {key!r}")
    if kind == "role":
        return _Role(key)
    if kind == "user":
        if isinstance(field, (fields.ToMany, fields.Array, fields.Inline)):
            raise RuntimeError(
                f"{where}: {key!r} must be a ToOne (or hold the user's id), not a "
                f"{type(field).__name__}"
            )
        return _UserField(key)
    if not isinstance(field, fields.ToOne):
        raise RuntimeError(
            f"{where}: '{kind}:<field>' inherits {kind!r} from the item a ToOne refers to, "
            f"and {key!r} is a {type(field).__name__}"
        )
    return _Inherit(kind, key)
