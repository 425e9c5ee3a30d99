"""potion.contrib.admin: an HTML admin drawn from the resource schema.

::

    from potion.contrib.admin import Admin

    admin = Admin(app, api=api, auth=auth)      # at /admin (POTION_ADMIN_URL)

Only the logged-in staff and superusers of contrib.auth enter; everyone else is
sent to the login page.  Every page reads and writes through the Api's own
routes as the logged-in user (see :mod:`potion.contrib.admin.dispatch`), so the
admin obeys the same validation, permissions, signals and transactions as the
API, on every backend.  See docs/admin.md.
"""

from __future__ import annotations

from .dispatch import Answer as Answer
from .dispatch import call_api as call_api
from .extension import Admin as Admin
from .extension import get_admin as get_admin
from .registry import AdminResource as AdminResource

__all__ = ["Admin", "AdminResource", "Answer", "call_api", "get_admin"]
