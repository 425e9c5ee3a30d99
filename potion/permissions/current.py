"""Who is asking, right now: the identity of the current request, resolved once.

The identity of a request is, in this order:

1. the identity given to :func:`acting_as` (for code that acts on behalf of
   someone, and for tests), or the superuser of :func:`unchecked`;
2. what the Api's ``identity_source`` returns;
3. Flask-Principal's ``g.identity``, when an application uses Flask-Principal;
4. :class:`~potion.permissions.AnonymousIdentity`.

Outside a request (a CLI command, a background task) with no :func:`acting_as`,
there is nobody to check: the code runs as the application itself and nothing is
narrowed.  Inside a request the identity is looked up once and kept with the request, as
are the conditions derived from its needs.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Iterator

from flask import g, has_request_context, request

from .identity import SUPERUSER_NEED, AnonymousIdentity, Identity

__all__ = ["current_identity", "acting_as", "unchecked", "request_cache"]

_acting: contextvars.ContextVar[Any] = contextvars.ContextVar("potion_acting_as", default=None)

#: Where a request keeps its identity and the conditions derived from it: in the
#: WSGI environ, which lives exactly as long as the request (``g`` lives as long
#: as the app context, which several requests may share).
_ENVIRON_KEY = "potion.permissions"


def current_identity(api: Any = None) -> Any:
    """The identity whose permissions apply now, or None when nothing is checked.

    :param api: the :class:`~potion.Api` whose ``identity_source`` is asked.
    """
    override = _acting.get()
    if override is not None:
        return override
    cache = request_cache()
    if cache is None:
        return None
    cached = cache.get("identity")
    if cached is not None and cached[0] is api:
        return cached[1]
    identity = None
    source = getattr(api, "identity_source", None)
    if source is not None:
        identity = source()
    if identity is None:
        identity = g.get("identity")  # Flask-Principal's identity, when it is used
    if identity is None:
        identity = AnonymousIdentity()
    cache["identity"] = (api, identity)
    return identity


@contextlib.contextmanager
def acting_as(identity: Any) -> Iterator[Any]:
    """Check permissions as ``identity`` inside the block (in or outside a request).

    ``None`` means anonymous.  Blocks nest; the innermost wins.
    """
    if identity is None:
        identity = AnonymousIdentity()
    token = _acting.set(identity)
    try:
        yield identity
    finally:
        _acting.reset(token)


#: The identity of :func:`unchecked`: it provides the superuser need.
SYSTEM = Identity(None, {SUPERUSER_NEED}, "system")


@contextlib.contextmanager
def unchecked() -> Iterator[None]:
    """Run the block as the application itself: every permission check passes.

    For the application's own writes during a request (a login route that
    records the time of the last login, say), never for work done on a
    client's behalf.
    """
    with acting_as(SYSTEM):
        yield


def request_cache() -> dict[Any, Any] | None:
    """A dict that lives as long as the current request (None outside one)."""
    if not has_request_context():
        return None
    environ = request.environ
    cache = environ.get(_ENVIRON_KEY)
    if cache is None:
        cache = environ[_ENVIRON_KEY] = {}
    return cache
