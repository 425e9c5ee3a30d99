"""Dates and timestamps, as ``{"$date": milliseconds}`` or ISO 8601 strings."""

from __future__ import annotations

import datetime
import typing as t

from ..exceptions import ValidationError
from .base import Raw

__all__ = ["Date", "DateTime", "DateString", "DateTimeString"]

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_UTC = datetime.UTC


_DATE_SCHEMA = {
    "type": "object",
    "properties": {"$date": {"type": "integer"}},
    "additionalProperties": False,
    "required": ["$date"],
}


def _from_milliseconds(milliseconds: int) -> datetime.datetime:
    """An aware UTC datetime; 400 when it falls outside the years 1 to 9999."""
    try:
        return _EPOCH + datetime.timedelta(milliseconds=milliseconds)
    except OverflowError:
        raise ValidationError(
            [{"path": ["$date"], "validationOf": {"format": "a date between the years 1 and 9999"}}]
        ) from None


class Date(Raw):
    """A date on the wire as ``{"$date": milliseconds since the epoch}`` (UTC midnight)."""

    json_type = "object"

    def __init__(self, **kwargs: t.Any) -> None:
        super().__init__(_DATE_SCHEMA, **kwargs)

    def format(self, value: t.Any) -> t.Any:
        if value is None:
            return None
        if isinstance(value, datetime.datetime):
            value = value.date()
        days = value.toordinal() - 719163  # date(1970, 1, 1).toordinal()
        return {"$date": days * 86400000}

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        return _from_milliseconds(instance["$date"]).date()


class DateTime(Date):
    """A timestamp as ``{"$date": milliseconds}``; input becomes an aware UTC datetime.

    Naive datetimes read from the store are taken to be UTC.  With ``naive=True``
    input is converted to naive UTC (for columns without a time zone).
    """

    def __init__(self, naive: bool = False, **kwargs: t.Any) -> None:
        self.naive = naive
        super().__init__(**kwargs)

    def format(self, value: t.Any) -> t.Any:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=_UTC)
        delta = value - _EPOCH
        return {"$date": (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000}

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        value = _from_milliseconds(instance["$date"])
        return value.replace(tzinfo=None) if self.naive else value


class DateString(Raw):
    """A date as an ISO 8601 string (``2020-01-31``)."""

    json_type = "string"

    def __init__(self, **kwargs: t.Any) -> None:
        super().__init__({"type": "string", "format": "date"}, **kwargs)

    def format(self, value: t.Any) -> t.Any:
        if value is None:
            return None
        if isinstance(value, datetime.datetime):
            value = value.date()
        return value.isoformat()

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        return datetime.date.fromisoformat(instance)


class DateTimeString(Raw):
    """A timestamp as an ISO 8601 string; input is normalised to UTC."""

    json_type = "string"

    def __init__(self, naive: bool = False, **kwargs: t.Any) -> None:
        self.naive = naive
        super().__init__({"type": "string", "format": "date-time"}, **kwargs)

    def format(self, value: t.Any) -> t.Any:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=_UTC)
        return value.isoformat()

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        value = datetime.datetime.fromisoformat(instance)
        if value.tzinfo is None:
            value = value.replace(tzinfo=_UTC)
        value = value.astimezone(_UTC)
        return value.replace(tzinfo=None) if self.naive else value
