"""Matching text in SQL, shared by the SQL backends: LIKE patterns and case folding."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["like_escape", "sql_casefold", "register_casefold"]


def like_escape(value: str, escape: str = "\\") -> str:
    """Escape ``%`` and ``_`` (and the escape character) for a SQL LIKE pattern."""
    return re.sub(r"([%_\\])", lambda m: escape + m.group(1), value)


def sql_casefold(value: Any) -> Any:
    """Unicode case folding, where SQLite's ``lower()`` (ASCII only) is not enough."""
    return value.casefold() if isinstance(value, str) else value


def register_casefold(sqlite_connection: Any) -> bool:
    """Make ``potion_casefold()`` callable in SQL on a DB-API SQLite connection.

    False when the driver cannot register Python functions (the caller then falls
    back to ``lower()``).
    """
    try:
        sqlite_connection.create_function("potion_casefold", 1, sql_casefold, deterministic=True)
    except Exception:
        return False
    return True
