"""Small helpers shared by the core: URL matching, view results, attribute dicts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context
from werkzeug.exceptions import NotFound

from .fields.base import get_value as get_value

__all__ = ["route_from", "unpack", "get_value", "AttributeDict"]


class AttributeDict(dict):  # type: ignore[type-arg]
    """A dict whose keys are also attributes (``meta.name``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value


def unpack(value: Any, default_code: int = 200) -> tuple[Any, int, dict[str, Any]]:
    """A view's result as ``(data, status, headers)``.

    A view may return a bare value, ``(value, status)`` or ``(value, status,
    headers)``; a bare value gets ``default_code`` and no headers.
    """
    if isinstance(value, tuple):
        if len(value) == 3:
            data, code, headers = value
            return data, code, dict(headers or {})
        if len(value) == 2:
            data, code = value
            return data, code, {}
    return value, default_code, {}


def route_from(url: str, method: str | None = None) -> tuple[str, dict[str, Any]]:
    """The endpoint and view arguments that ``url`` is routed to on the current app.

    Raises ``werkzeug.exceptions.NotFound`` when no rule matches (or the URL names
    another host) and ``MethodNotAllowed`` when a rule matches the path but not
    ``method``.
    """
    from flask.globals import app_ctx, request_ctx

    adapter = request_ctx.url_adapter if has_request_context() else None
    if adapter is None:
        adapter = app_ctx.url_adapter
    if adapter is None:
        adapter = current_app.url_map.bind("localhost")
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != adapter.server_name:
        raise NotFound()
    endpoint, arguments = adapter.match(parts.path, method)
    return str(endpoint), dict(arguments)
