"""The principal layer: who is asking, as a set of needs they provide.

The shapes are those of Flask-Principal, so needs built by either library compare
equal: a :data:`Need` is a ``(method, value)`` named tuple, :func:`UserNeed` and
:func:`RoleNeed` fill in the method, an :data:`ItemNeed` is
``(method, value, type)``.  An :class:`Identity` carries the needs it provides.

The application tells an :class:`~potion.Api` who is asking through its
``identity_source``: a callable returning the current :class:`Identity`, or None
for an anonymous request.  ``potion.contrib.auth`` is one such source; anything
else (a JWT decoder, a test fixture) can be another.  The permission layer knows
nothing about users, sessions or tokens.
"""

from __future__ import annotations

from collections import namedtuple
from functools import partial
from typing import Any, Iterable

__all__ = [
    "Need",
    "ItemNeed",
    "UserNeed",
    "RoleNeed",
    "SUPERUSER_NEED",
    "Identity",
    "AnonymousIdentity",
]

#: A need: ``Need("role", "editor")``; compares equal to Flask-Principal's.
Need = namedtuple("Need", ["method", "value"])

#: A need on one item: ``ItemNeed("update", 42, "article")``.
ItemNeed = namedtuple("ItemNeed", ["method", "value", "type"])

#: The need of the user with this id: ``UserNeed(7)`` is ``Need("id", 7)``.
UserNeed = partial(Need, "id")

#: The need of a role: ``RoleNeed("editor")`` is ``Need("role", "editor")``.
RoleNeed = partial(Need, "role")

#: Provided by superusers: it satisfies every permission check.
SUPERUSER_NEED = Need("superuser", True)


class Identity:
    """Who is asking: an id (None when anonymous) and the needs they provide.

    :param id: the user's id, as ``user:<field>`` needs compare it.
    :param provides: the needs this identity provides (``UserNeed(id)`` is not
        added for you: the identity source says exactly what it provides).
    :param auth_type: how the identity was established (``"session"``,
        ``"token"``, ...), for the application's own use.
    """

    def __init__(
        self, id: Any = None, provides: Iterable[Any] = (), auth_type: str | None = None
    ) -> None:
        self.id = id
        self.auth_type = auth_type
        self.provides: set[Any] = set(provides)

    @property
    def is_superuser(self) -> bool:
        """Whether the identity provides :data:`SUPERUSER_NEED`."""
        return SUPERUSER_NEED in self.provides

    @property
    def is_anonymous(self) -> bool:
        return self.id is None and not self.provides

    def __repr__(self) -> str:
        return f"<Identity id={self.id!r} provides={sorted(map(repr, self.provides))}>"


class AnonymousIdentity(Identity):
    """The identity of a request nobody vouches for: no id, no needs."""

    def __init__(self) -> None:
        super().__init__(None, (), None)
