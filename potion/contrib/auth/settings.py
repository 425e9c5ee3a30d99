"""Every ``POTION_AUTH_*`` Flask config key of contrib.auth with its default, in one place.

:class:`~potion.contrib.auth.Auth` copies the defaults into ``app.config`` (without
overriding what the application set), so ``app.config["POTION_AUTH_..."]`` always
answers.  docs/authentication.md describes each key.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULTS", "setting"]

DAY = 24 * 60 * 60

DEFAULTS: dict[str, Any] = {
    # -- the user model ---------------------------------------------------------
    # A model class (or "package.module:Class") to use instead of the built-in User.
    "POTION_AUTH_USER_MODEL": None,
    # Register the User and Role resources (/api/user, /api/role) on the Api.
    "POTION_AUTH_USER_RESOURCE": True,
    # -- passwords --------------------------------------------------------------
    # Argon2id cost parameters; hashes made with other parameters are upgraded at login.
    "POTION_AUTH_ARGON2_TIME_COST": 3,
    "POTION_AUTH_ARGON2_MEMORY_COST": 64 * 1024,  # KiB
    "POTION_AUTH_ARGON2_PARALLELISM": 4,
    # Validators run whenever a password is set (see passwords.py); names or callables.
    "POTION_AUTH_PASSWORD_VALIDATORS": [
        "minimum_length",
        "not_numeric",
        "not_similar_to_user",
        "not_common",
    ],
    "POTION_AUTH_PASSWORD_MIN_LENGTH": 10,
    # Longer passwords are refused before hashing (hashing cost stays bounded).
    "POTION_AUTH_PASSWORD_MAX_LENGTH": 1024,
    # -- sessions ---------------------------------------------------------------
    # Name of the session cookie (the value is an opaque id; the data stays on the server).
    "POTION_AUTH_SESSION_COOKIE": "potion_session",
    # Seconds a session lives after it was last written (a login starts a new one).
    "POTION_AUTH_SESSION_AGE": 14 * DAY,
    # "auto": Secure when the request came over HTTPS; True/False to force it.
    "POTION_AUTH_SESSION_COOKIE_SECURE": "auto",
    "POTION_AUTH_SESSION_COOKIE_SAMESITE": "Lax",
    # Where sessions and throttling counters live: the database unless a Redis URL is set.
    "POTION_AUTH_REDIS_URL": None,
    # Prefix of every Redis key contrib.auth writes.
    "POTION_AUTH_REDIS_PREFIX": "potion:auth:",
    # -- CSRF -------------------------------------------------------------------
    "POTION_AUTH_CSRF_HEADER": "X-CSRFToken",
    "POTION_AUTH_CSRF_FIELD": "csrf_token",
    # -- tokens -----------------------------------------------------------------
    # Days an API token is valid when the request does not say otherwise.
    "POTION_AUTH_TOKEN_DAYS": 30,
    # Longest validity a token may be given, in days.
    "POTION_AUTH_TOKEN_MAX_DAYS": 366,
    # -- throttling -------------------------------------------------------------
    # Failed login/token attempts allowed per username, and per client address,
    # within the window (seconds); further attempts get 429 with Retry-After.
    "POTION_AUTH_THROTTLE_USERNAME_LIMIT": 5,
    "POTION_AUTH_THROTTLE_ADDRESS_LIMIT": 20,
    "POTION_AUTH_THROTTLE_WINDOW": 15 * 60,
    # -- HTML pages -------------------------------------------------------------
    "POTION_AUTH_LOGIN_URL": "/login",
    "POTION_AUTH_LOGOUT_URL": "/logout",
    # Where the login page sends the user when there is no (safe) ``next``.
    "POTION_AUTH_LOGIN_REDIRECT": "/",
}


def setting(app: Any, key: str) -> Any:
    """The value of ``key`` in ``app.config``, or its default."""
    if app is None:
        return DEFAULTS[key]
    try:
        return app.config[key]
    except KeyError:
        return DEFAULTS[key]
