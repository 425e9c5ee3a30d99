"""Every ``POTION_*`` Flask config key with its default, in one place."""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    # Items per page when the client does not ask for a number.
    "POTION_DEFAULT_PER_PAGE": 20,
    # Largest page a client may ask for; larger ``per_page`` values are clamped.
    "POTION_MAX_PER_PAGE": 100,
    # Apply the Api's ``decorators`` to the schema endpoints too.
    "POTION_DECORATE_SCHEMA_ENDPOINTS": True,
    # Largest request body (bytes) accepted by an API route; larger ones get 413.
    "POTION_MAX_CONTENT_LENGTH": 1024 * 1024,
    # Replace Flask's default JSON provider with Potion's orjson-based one.
    "POTION_JSON_PROVIDER": True,
    # Add to each entry of an error's ``errors`` a ``message`` in plain words (off:
    # Flask-Potion's exact bodies).
    "POTION_ERROR_DETAIL": False,
    # Ids of start-up checks (``potion.W101`` ...) not to run; see potion.checks.
    "POTION_SILENCED_CHECKS": (),
}


def setting(app: Any, key: str) -> Any:
    """The value of ``key`` in ``app.config``, or its default (also when ``app`` is None)."""
    if app is None:
        return DEFAULTS[key]
    try:
        return app.config[key]
    except KeyError:
        return DEFAULTS[key]
