"""JSON encoding: an orjson-backed Flask JSON provider and the response helper."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import uuid
from typing import Any

import orjson
from flask import Response, current_app
from flask.json.provider import JSONProvider

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS
_DEBUG_OPTIONS = _OPTIONS | orjson.OPT_INDENT_2


def _default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "__json__"):
        return value.__json__()
    if hasattr(value, "__html__"):
        return str(value.__html__())
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps_bytes(value: Any, debug: bool = False) -> bytes:
    """Encode ``value`` as JSON bytes, keys sorted (indented when ``debug``)."""
    try:
        return orjson.dumps(value, default=_default, option=_DEBUG_OPTIONS if debug else _OPTIONS)
    except TypeError as exc:
        if "64-bit" not in str(exc):
            raise
        # orjson has no integers beyond 64 bits (a huge id echoed in a 404); json has
        return json.dumps(
            value,
            default=_default,
            sort_keys=True,
            indent=2 if debug else None,
            separators=(",", ": ") if debug else (",", ":"),
        ).encode()


def shown(value: Any, limit: int = 80) -> str:
    """``value`` as JSON text for an error message (``{"$ref": "/author/9"}``, ``"abc"``).

    Keys keep the client's order; text longer than ``limit`` is cut with ``...``.
    """
    try:
        text = json.dumps(value, ensure_ascii=False, default=_default)
    except (TypeError, ValueError):
        text = str(value)
    return text if len(text) < limit else text[: limit - 3] + "..."


def loads(data: str | bytes) -> Any:
    """Decode JSON text; raises ``ValueError`` on malformed input."""
    return orjson.loads(data)


class PotionJSONProvider(JSONProvider):
    """Flask JSON provider backed by orjson: sorted keys, dates as ISO 8601."""

    mimetype = "application/json"

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return dumps_bytes(obj, debug=bool(kwargs.get("indent"))).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Any:
        obj = self._prepare_response_obj(args, kwargs)
        body = dumps_bytes(obj, debug=self._app.debug)
        return self._app.response_class(body, mimetype=self.mimetype)  # type: ignore[arg-type]


def json_response(
    data: Any, status: int = 200, headers: Any = None, debug: bool | None = None
) -> Response:
    """A JSON response of ``data`` encoded with orjson."""
    if debug is None:
        debug = current_app.debug
    body = b"" if status == 204 else dumps_bytes(data, debug=debug)
    return Response(body, status=status, headers=headers, mimetype="application/json")
