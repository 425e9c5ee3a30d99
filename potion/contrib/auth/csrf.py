"""CSRF tokens bound to the server-side session.

The session holds a random secret; each token handed out is that secret under a
fresh one-time mask (``mask + (mask XOR secret)``, URL-safe base64), so a token
printed into a compressed page reveals nothing that compression could leak, and
any token handed out for the session is accepted.  A login starts a new session
and so a new secret.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from typing import Any

from flask import session

__all__ = ["SECRET_KEY", "csrf_token", "check_csrf_token"]

#: The key of the secret in the session.
SECRET_KEY = "_csrf"
_SIZE = 32


def _secret(create: bool) -> bytes | None:
    value = session.get(SECRET_KEY)
    if isinstance(value, str):
        try:
            raw = base64.urlsafe_b64decode(value.encode())
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) == _SIZE:
            return raw
    if not create:
        return None
    raw = secrets.token_bytes(_SIZE)
    session[SECRET_KEY] = base64.urlsafe_b64encode(raw).decode()
    return raw


def csrf_token() -> str:
    """A CSRF token for the current session (creating the session's secret if needed).

    Put it in forms as the ``csrf_token`` field, or send it in the ``X-CSRFToken``
    header; templates have it as ``{{ csrf_token() }}``.
    """
    secret = _secret(create=True)
    assert secret is not None
    mask = secrets.token_bytes(_SIZE)
    masked = bytes(a ^ b for a, b in zip(mask, secret, strict=True))
    return base64.urlsafe_b64encode(mask + masked).decode().rstrip("=")


def check_csrf_token(token: Any) -> bool:
    """Whether ``token`` is a CSRF token of the current session."""
    secret = _secret(create=False)
    if secret is None or not isinstance(token, str) or len(token) > 200:
        return False
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return False
    if len(raw) != 2 * _SIZE:
        return False
    mask, masked = raw[:_SIZE], raw[_SIZE:]
    candidate = bytes(a ^ b for a, b in zip(mask, masked, strict=True))
    return hmac.compare_digest(candidate, secret)


def rotate_csrf_secret() -> None:
    """Forget the session's secret: tokens handed out before stop working."""
    session.pop(SECRET_KEY, None)
