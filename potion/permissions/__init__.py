"""Principal-based object permissions.

The principal layer (identities and needs) lives in :mod:`potion.permissions.identity`.
"""

from __future__ import annotations

from .identity import SUPERUSER_NEED as SUPERUSER_NEED
from .identity import AnonymousIdentity as AnonymousIdentity
from .identity import Identity as Identity
from .identity import ItemNeed as ItemNeed
from .identity import Need as Need
from .identity import RoleNeed as RoleNeed
from .identity import UserNeed as UserNeed

__all__ = [
    "Need",
    "ItemNeed",
    "UserNeed",
    "RoleNeed",
    "SUPERUSER_NEED",
    "Identity",
    "AnonymousIdentity",
]
