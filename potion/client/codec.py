"""Potion's JSON conventions on the client side: ``{"$date"}`` and ``{"$ref"}``.

Going out, instances become ``{"$ref": uri}`` and dates ``{"$date": ms}`` (or ISO
strings for string-typed date fields); coming in, the client turns ``{"$date"}``
into aware datetimes and ``{"$ref"}`` into instances (see ``ClientBase.decode``).
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from collections.abc import Mapping
from typing import Any

__all__ = ["Referable", "encode", "encode_property", "date_from_ms", "ms_from_date", "dumps"]

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MS = datetime.timedelta(milliseconds=1)


class Referable:
    """Something sent as ``{"$ref": uri}``: the base of every resource instance."""

    _uri: str | None = None

    def _reference(self) -> dict[str, str]:
        if self._uri is None:
            raise ValueError(f"{self!r} has no URI yet: save() it before referring to it")
        return {"$ref": self._uri}


def date_from_ms(ms: int | float) -> datetime.datetime:
    """The aware UTC datetime of ``{"$date": ms}`` (exact to the millisecond)."""
    return EPOCH + datetime.timedelta(milliseconds=ms)


def ms_from_date(value: datetime.date) -> int:
    """Milliseconds since the epoch; naive datetimes are taken as UTC, dates as midnight UTC."""
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return (value - EPOCH) // _MS


def encode(value: Any) -> Any:
    """``value`` as JSON-ready data: instances to ``$ref``, dates to ``$date``."""
    if isinstance(value, Referable):
        return value._reference()
    if isinstance(value, datetime.date):
        return {"$date": ms_from_date(value)}
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [encode(v) for v in value]
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def encode_property(value: Any, schema: Any) -> Any:
    """Encode one property value following its schema: a date given to a string field
    of format ``date`` / ``date-time`` is sent as ISO 8601 text, not ``{"$date"}``."""
    if isinstance(value, datetime.date) and isinstance(schema, Mapping):
        kind = schema.get("type")
        kinds = kind if isinstance(kind, list) else [kind]
        if "string" in kinds and schema.get("format") == "date-time":
            if not isinstance(value, datetime.datetime):
                value = datetime.datetime(value.year, value.month, value.day)
            if value.tzinfo is None:
                value = value.replace(tzinfo=datetime.UTC)
            return value.isoformat()
        if "string" in kinds and schema.get("format") == "date":
            if isinstance(value, datetime.datetime):
                value = value.date()
            return value.isoformat()
    return encode(value)


def dumps(value: Any) -> str:
    """Compact JSON text of an already encoded value (query-string arguments)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
