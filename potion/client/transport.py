"""What the sync and async clients share about HTTP: the shape of a call and of its
answer, which calls may be retried, and how long to wait before the next attempt.

Operations (save, fetch, a page of a list, a link) are written once, as generators
that yield :class:`Call` objects and receive :class:`Reply` objects; each client
drives them with its own HTTP library (see ``ClientBase.run``).
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, Union

from .exceptions import error_for_status

__all__ = ["Call", "Reply", "Plan", "NOBODY", "IDEMPOTENT", "retry_delay", "reply_from"]

NOBODY: Any = object()
"""Marks a call without a request body."""

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""Methods retried on 503 and connection errors: repeating them changes nothing more."""

MAX_DELAY = 30.0


@dataclass
class Call:
    """One HTTP request of an operation; ``url`` is absolute or a path on the API's host."""

    method: str
    url: str
    params: Mapping[str, str] | None = None
    json: Any = NOBODY


@dataclass
class Reply:
    """A successful answer: its status, headers and parsed JSON body (None when empty)."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    data: Any = None


T = TypeVar("T")
Plan = Generator[Union[Call, list[Call]], Any, T]
"""An operation: yields a Call (or a list of Calls, which may run concurrently) and is
sent the Reply (or the list of Replies); its return value is the operation's result."""


def retry_delay(attempt: int, backoff: float, retry_after: str | None = None) -> float:
    """Seconds to wait before retry number ``attempt + 1``.

    Exponential: ``backoff * 2 ** attempt`` (0.5, 1, 2, ... for ``backoff=0.5``), capped at
    30 seconds; a ``Retry-After: <seconds>`` header of the 503 answer wins when it is given.
    """
    if retry_after:
        try:
            return min(max(float(retry_after.strip()), 0.0), MAX_DELAY)
        except ValueError:
            pass  # an HTTP date: fall back to the backoff
    return min(backoff * (2**attempt), MAX_DELAY)


def reply_from(
    status: int, headers: Mapping[str, str], content: bytes, reason: str, response: Any
) -> Reply:
    """The Reply of an HTTP answer, or raise the APIError its error status stands for."""
    data: Any = None
    if content:
        try:
            data = json.loads(content)
        except ValueError:
            data = content.decode("utf-8", "replace")
    if status >= 400:
        raise error_for_status(status, data, reason, response)
    return Reply(status, headers, data)
