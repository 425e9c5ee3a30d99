"""The errors of potion.client: what the API answered, as exceptions to catch.

Every error the server answers is an :class:`APIError`, a subclass of
``requests.HTTPError`` (so code written for potion-client that catches ``HTTPError``
and reads ``exc.response`` keeps working), carrying the API's JSON error body:
``status``, ``message`` and the per-field ``errors``.
"""

from __future__ import annotations

from typing import Any

import requests

__all__ = [
    "APIError",
    "ValidationError",
    "Unauthorized",
    "Forbidden",
    "ItemNotFound",
    "Conflict",
    "TooManyRequests",
    "MultipleItemsFound",
    "NotLoaded",
    "error_for_status",
]


class APIError(requests.HTTPError):
    """The API answered with an error status.

    :ivar status: the HTTP status code (``None`` for an error raised by the client
        itself, such as ``first()`` finding nothing).
    :ivar message: the ``message`` of the JSON error body (or the reason phrase).
    :ivar errors: the ``errors`` list of the body: ``[{"path": [...], "validationOf": {...}}]``
        for validation errors, ``[{"path": [...], "message": ...}]`` for conflicts.
    :ivar body: the whole decoded error body (a dict, or the text of a non-JSON answer).
    :ivar response: the HTTP response (a ``requests`` or ``httpx`` response).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        errors: list[dict[str, Any]] | None = None,
        body: Any = None,
        response: Any = None,
    ) -> None:
        super().__init__(message, response=response)
        self.status = status
        self.message = message
        self.errors = list(errors or [])
        self.body = body

    def __str__(self) -> str:
        text = f"{self.status} {self.message}" if self.status else self.message
        details = [_describe(error) for error in self.errors]
        return text + ("".join(f"\n  {d}" for d in details) if details else "")


def _describe(error: Any) -> str:
    if not isinstance(error, dict):
        return repr(error)
    path = "/".join(str(part) for part in error.get("path") or []) or "(body)"
    detail = (
        error.get("message")
        or error.get("validationOf")
        or {k: v for k, v in error.items() if k != "path"}
    )
    return f"{path}: {detail}"


class ValidationError(APIError):
    """400: the request did not match the schema; ``paths`` names each offending value."""

    @property
    def paths(self) -> list[tuple[Any, ...]]:
        """The path of every error, as a tuple of keys and indices (``()`` for the body)."""
        return [tuple(error.get("path") or ()) for error in self.errors if isinstance(error, dict)]


class Unauthorized(APIError):
    """401: the request carried no valid credentials (or a login failed)."""


class Forbidden(APIError):
    """403: the identity may not do this."""


class ItemNotFound(APIError, LookupError):
    """404: no such item (or nothing matched ``first()`` / ``one()``)."""


class Conflict(APIError):
    """409: the write conflicts with stored data, e.g. a unique value taken."""


class TooManyRequests(APIError):
    """429: too many attempts (e.g. failed logins); ``retry_after`` says when to try again."""

    @property
    def retry_after(self) -> float | None:
        """Seconds to wait, from the ``Retry-After`` header or the body's ``retry_after``."""
        headers = getattr(self.response, "headers", None) or {}
        for value in (
            headers.get("Retry-After"),
            (self.body or {}).get("retry_after") if isinstance(self.body, dict) else None,
        ):
            try:
                return float(value) if value is not None else None
            except (TypeError, ValueError):
                continue
        return None


class MultipleItemsFound(LookupError):
    """``one()`` matched more than one item."""


class NotLoaded(RuntimeError):
    """An async instance's properties were read before ``await instance.load()``."""


_BY_STATUS: dict[int, type[APIError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: ItemNotFound,
    409: Conflict,
    429: TooManyRequests,
}


def error_for_status(status: int, body: Any, reason: str = "", response: Any = None) -> APIError:
    """The exception for an error answer: its class follows the status (and, for 400, the body)."""
    message = reason or f"HTTP {status}"
    errors: list[dict[str, Any]] = []
    if isinstance(body, dict):
        message = str(body.get("message") or message)
        raw = body.get("errors")
        if isinstance(raw, list):
            errors = raw
    elif isinstance(body, str) and body.strip() and len(body) < 200:
        message = body.strip()
    cls = _BY_STATUS.get(status, APIError)
    if status == 400 and errors:
        cls = ValidationError
    return cls(message, status=status, errors=errors, body=body, response=response)
