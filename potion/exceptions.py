"""Errors raised by Potion.

Every error is an exception carrying its HTTP status and the JSON body the client
receives; nothing in Potion builds an error response by hand.
"""

from __future__ import annotations

from typing import Any

from werkzeug.http import HTTP_STATUS_CODES

from . import error_detail
from .encoding import shown

__all__ = [
    "PotionException",
    "ItemNotFound",
    "RequestMustBeJSON",
    "ValidationError",
    "DuplicateKey",
    "BackendConflict",
    "PageNotFound",
    "InvalidJSON",
    "InvalidReference",
    "IntegrityViolation",
    "Forbidden",
    "RequestTooLarge",
    "InternalError",
    "StoreUnavailable",
]


class PotionException(Exception):
    """Base class of every error that Potion turns into a JSON response."""

    status_code: int = 500

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message)
        self.message = message

    def as_dict(self) -> dict[str, Any]:
        """The JSON body of the response: ``message`` and ``status`` plus extras."""
        return {
            "message": self.message or HTTP_STATUS_CODES.get(self.status_code, "Error"),
            "status": self.status_code,
        }

    #: Extra response headers (``Retry-After`` of a 503, ``WWW-Authenticate`` of a 401).
    headers: dict[str, str] = {}

    def get_response(self) -> Any:
        """A Flask response with the body of :meth:`as_dict`, the status and ``headers``."""
        from .encoding import json_response

        return json_response(self.as_dict(), self.status_code, dict(self.headers) or None)


class ItemNotFound(PotionException):
    """An item looked up by id or by a ``where`` condition does not exist (404)."""

    status_code = 404

    def __init__(self, resource: Any, where: Any = None, id: Any = None) -> None:
        """``resource`` is the resource class, or its name (``ItemNotFound("book", id=1)``)."""
        super().__init__()
        self.resource = resource
        self.where = where
        self.id = id

    @property
    def resource_name(self) -> str | None:
        """The name of the resource (``$type`` in the body)."""
        resource = self.resource
        if resource is None or isinstance(resource, str):
            return resource
        meta = getattr(resource, "meta", None)
        return meta.name if meta is not None else str(resource)

    def as_dict(self) -> dict[str, Any]:
        body = super().as_dict()
        name = self.resource_name
        if self.id is not None:
            body["item"] = {"$type": name, "$id": self.id}
        else:
            body["item"] = {"$type": name, "$where": _render_where(self.where)}
        return body


def _render_where(where: Any) -> Any:
    if where is None:
        return None
    if isinstance(where, dict):
        return where
    rendered: dict[str, Any] = {}
    for condition in where:
        value = condition.value
        if hasattr(value, "__json__"):
            value = value.__json__()
        if condition.filter.name in (None, "eq"):
            rendered[condition.key] = value
        else:
            rendered[condition.key] = {"$" + condition.filter.name: value}
    return rendered


class PageNotFound(PotionException):
    """A page past the last page of a list (404)."""

    status_code = 404


class RequestMustBeJSON(PotionException):
    """A route that takes a JSON body received something else (415)."""

    status_code = 415


class InvalidJSON(PotionException):
    """A body or query parameter that should hold JSON could not be parsed (400)."""

    status_code = 400

    def __init__(self, message: str | None = None, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter

    def as_dict(self) -> dict[str, Any]:
        body = super().as_dict()
        if self.parameter is not None:
            body["parameter"] = self.parameter
        return body


class ValidationError(PotionException):
    """A request failed its JSON Schema (400); ``errors`` lists every failure."""

    status_code = 400

    def __init__(self, errors: list[dict[str, Any]], message: str | None = None) -> None:
        super().__init__(message)
        self.errors = errors

    def as_dict(self) -> dict[str, Any]:
        """The body; each error's ``path`` is a tuple (a JSON array on the wire)."""
        body = super().as_dict()
        errors = self.errors
        if error_detail.enabled():
            errors = error_detail.add_messages(errors)
        body["errors"] = [
            dict(error, path=tuple(error["path"])) if "path" in error else error for error in errors
        ]
        return body


class InvalidReference(ValidationError):
    """A reference in a request body points at an item that does not exist (400)."""

    def __init__(self, path: list[Any], reference: Any, resource_name: str) -> None:
        super().__init__(
            [
                {
                    "path": path,
                    "message": f"{resource_name} {shown(reference)} does not exist",
                    "validationOf": {"$ref": resource_name},
                }
            ],
            message=f"Reference to a missing {resource_name}",
        )


class BackendConflict(PotionException):
    """The data store refused a write because it conflicts with stored data (409)."""

    status_code = 409

    def __init__(
        self,
        message: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        debug_info: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.errors = errors
        self.debug_info = debug_info

    def as_dict(self) -> dict[str, Any]:
        body = super().as_dict()
        if self.errors:
            body["errors"] = self.errors
            if error_detail.enabled():
                body["errors"] = error_detail.add_messages(self.errors)
        if self.debug_info:
            from flask import current_app

            if current_app and current_app.debug:
                body["debug_info"] = self.debug_info
        return body


class DuplicateKey(BackendConflict):
    """A unique constraint was violated (409); ``errors`` names the fields."""


class IntegrityViolation(ValidationError):
    """The data store refused a value (a missing required value, a dangling key) (400)."""


class Forbidden(PotionException):
    """The identity may not perform the action (403)."""

    status_code = 403

    def as_dict(self) -> dict[str, Any]:
        body = super().as_dict()
        if self.message is None:
            body["message"] = (
                "You don't have the permission to access the requested resource. "
                "It is either read-protected or not readable by the server."
            )
        return body


class RequestTooLarge(PotionException):
    """The request body is larger than ``POTION_MAX_CONTENT_LENGTH`` (413)."""

    status_code = 413


class InternalError(PotionException):
    """An unexpected error; the body never carries a traceback (500)."""

    status_code = 500


class StoreUnavailable(PotionException):
    """The data store could not be reached or did not answer in time (503).

    Raised for a lost or refused connection, a timeout, a deadlock or any other
    operational failure of the store; never for missing data.  The response
    carries ``Retry-After``; the cause (the store's own exception) is chained and
    logged by the Api.
    """

    status_code = 503
    #: ``Retry-After``: the seconds the client is asked to wait before retrying.
    headers = {"Retry-After": "5"}

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "The database is unavailable")
