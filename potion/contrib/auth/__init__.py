"""potion.contrib.auth: users, roles, login sessions, API tokens, CSRF and throttling.

::

    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy
    from potion import Api
    from potion.contrib.auth import Auth

    app = Flask(__name__)
    db = SQLAlchemy(app)
    api = Api(app, prefix="/api")
    auth = Auth(app, db=db, api=api)

``auth`` is the identity source of the permission layer; see docs/authentication.md.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar, cast

from .commands import cli as cli
from .commands import commands as commands
from .csrf import check_csrf_token as check_csrf_token
from .csrf import csrf_token as csrf_token
from .errors import AuthError as AuthError
from .errors import CSRFError as CSRFError
from .errors import InvalidCredentials as InvalidCredentials
from .errors import InvalidToken as InvalidToken
from .errors import TooManyAttempts as TooManyAttempts
from .errors import Unauthorized as Unauthorized
from .extension import AUTHENTICATED_NEED as AUTHENTICATED_NEED
from .extension import STAFF_NEED as STAFF_NEED
from .extension import Auth as Auth
from .extension import csrf_exempt as csrf_exempt
from .extension import current_user as current_user
from .extension import get_auth as get_auth
from .models import UserMixin as UserMixin
from .passwords import PasswordHasher as PasswordHasher
from .passwords import validate_password as validate_password

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "Auth",
    "STAFF_NEED",
    "AUTHENTICATED_NEED",
    "UserMixin",
    "current_user",
    "get_auth",
    "get_current_user",
    "login_required",
    "staff_required",
    "csrf_token",
    "check_csrf_token",
    "csrf_exempt",
    "PasswordHasher",
    "validate_password",
    "commands",
    "cli",
    "AuthError",
    "Unauthorized",
    "InvalidCredentials",
    "InvalidToken",
    "CSRFError",
    "TooManyAttempts",
]


def get_current_user() -> Any:
    """The logged-in user of the current request (a model instance), or None."""
    return get_auth().get_current_user()


def login_required(view: F) -> F:
    """Decorate an HTML view: anonymous visitors are sent to the login page with ``next``."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return get_auth().login_required(view)(*args, **kwargs)

    return cast(F, wrapper)


def staff_required(view: F) -> F:
    """Decorate an HTML view for staff and superusers; anyone else goes to the login page."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return get_auth().staff_required(view)(*args, **kwargs)

    return cast(F, wrapper)
