"""The errors of contrib.auth: JSON bodies like every Potion error, with their headers."""

from __future__ import annotations

from typing import Any

from ...encoding import json_response
from ...exceptions import PotionException

__all__ = ["AuthError", "Unauthorized", "InvalidCredentials", "InvalidToken", "CSRFError"]
__all__ += ["TooManyAttempts"]


class AuthError(PotionException):
    """Base of the auth errors; ``headers`` go on the response."""

    headers: dict[str, str] = {}

    def get_response(self) -> Any:
        return json_response(self.as_dict(), self.status_code, dict(self.headers))


class Unauthorized(AuthError):
    """The request needs an authenticated user (401)."""

    status_code = 401
    headers = {"WWW-Authenticate": 'Bearer realm="potion"'}

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "Authentication is required")


class InvalidCredentials(Unauthorized):
    """A wrong username or password; the same answer for both, and for inactive users (401)."""

    def __init__(self) -> None:
        super().__init__("Invalid username or password")


class InvalidToken(Unauthorized):
    """A bearer token that is unknown, expired or revoked (401)."""

    headers = {
        "WWW-Authenticate": (
            'Bearer realm="potion", error="invalid_token", '
            'error_description="The token is invalid, expired or revoked"'
        )
    }

    def __init__(self) -> None:
        super().__init__("The token is invalid, expired or revoked")


class CSRFError(AuthError):
    """An unsafe request authenticated by the session cookie lacks a valid CSRF token (403)."""

    status_code = 403

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "CSRF token missing or invalid")

    def as_dict(self) -> dict[str, Any]:
        body = super().as_dict()
        body["reason"] = "csrf"
        return body


class TooManyAttempts(AuthError):
    """Too many failed attempts for a username or an address (429, with Retry-After)."""

    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many failed attempts; try again later")
        self.retry_after = max(1, int(retry_after))
        self.headers = {"Retry-After": str(self.retry_after)}

    def as_dict(self) -> dict[str, Any]:
        body = super().as_dict()
        body["retry_after"] = self.retry_after
        return body
