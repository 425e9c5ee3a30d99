"""The admin's only way to the data: requests to the Api, served in-process.

Every read and write of the admin is an API request, built here and handed to
the Api's own view through Flask's dispatch, inside the admin's request: the
same URL rules, route decorators, request parsing, validation, permissions,
manager, transaction and signals as a client's request, as the same logged-in
user (the sub-request shares the admin request's session and ``g``).  Nothing
in the admin can reach an item that the API would not give to that user, and
every refusal comes back as the API's JSON error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping
from urllib.parse import quote

from flask import current_app, request, session
from flask.ctx import RequestContext
from flask.testing import EnvironBuilder
from werkzeug.datastructures import Headers

from ...encoding import dumps_bytes, loads

__all__ = ["Answer", "call_api", "item_path"]

_NO_BODY: Any = object()


@dataclass
class Answer:
    """The Api's answer to one in-process request."""

    status: int
    data: Any
    headers: Headers

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        """The error's message (the API's ``message``), or ''."""
        if isinstance(self.data, dict):
            return str(self.data.get("message") or "")
        return ""

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The API's ``errors`` list (validation errors, duplicate keys), or []."""
        if isinstance(self.data, dict) and isinstance(self.data.get("errors"), list):
            return [e for e in self.data["errors"] if isinstance(e, dict)]
        return []

    @property
    def total(self) -> int | None:
        """``X-Total-Count`` of a list answer."""
        raw = self.headers.get("X-Total-Count")
        try:
            return int(raw) if raw is not None else None
        except ValueError:
            return None


def item_path(prefix: str, item_id: Any, *rest: str) -> str:
    """``{prefix}/{id}[/rest...]`` with the id quoted as one path segment."""
    path = f"{prefix}/{quote(str(item_id), safe='')}"
    for part in rest:
        path += "/" + part
    return path


def call_api(
    method: str,
    path: str,
    query: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
    body: Any = _NO_BODY,
) -> Answer:
    """Serve ``method path`` (an API URL, e.g. ``/api/book/1``) in-process.

    ``query`` becomes the query string (dicts and lists are sent as JSON, as the
    API reads ``where`` and ``sort``); ``body`` is sent as the JSON body.  Must be
    called inside a request: the sub-request speaks for the same user.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    outer = request._get_current_object()  # type: ignore[attr-defined]
    pairs = query.items() if isinstance(query, Mapping) else (query or ())
    query_string = [
        (key, value if isinstance(value, str) else dumps_bytes(value).decode())
        for key, value in pairs
        if value is not None
    ]
    data = None if body is _NO_BODY else dumps_bytes(body)
    builder = EnvironBuilder(
        app,
        path=path,
        base_url=outer.root_url,
        method=method,
        query_string=query_string,
        data=data,
        content_type="application/json" if data is not None else None,
        headers={"Accept": "application/json"},
        environ_base={
            "REMOTE_ADDR": outer.remote_addr or "",
            "HTTP_USER_AGENT": outer.headers.get("User-Agent", ""),
        },
    )
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    context = RequestContext(app, environ, session=session._get_current_object())  # type: ignore[attr-defined]
    context.push()
    try:
        try:
            result = app.dispatch_request()
        except Exception as error:
            result = app.handle_user_exception(error)
        response = app.make_response(result)
        raw = response.get_data()
        payload = None
        if raw and response.mimetype in ("application/json", "application/schema+json"):
            payload = loads(raw)
        return Answer(response.status_code, payload, Headers(response.headers))
    finally:
        context.pop(None)
