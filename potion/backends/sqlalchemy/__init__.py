"""The SQLAlchemy backend (Flask-SQLAlchemy 3 / SQLAlchemy 2).

Fields are inferred from the model's columns; filters, sorting, counting and
paging are SQL.  Lists and single items served by the built-in routes select
only the columns the schema needs and format the rows directly (no ORM objects
are built, references are formatted from foreign keys); writes and custom routes
work on ORM objects.  Every write is one transaction with its signals inside.

SQLAlchemy is imported by this package only, never by ``import potion``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .fields import InlineModel as InlineModel
from .filters import SQLAlchemyBaseFilter as SQLAlchemyBaseFilter
from .inference import EnumField as EnumField
from .inference import field_for_column as field_for_column
from .manager import FILLED_BY_MODEL as FILLED_BY_MODEL
from .manager import SQLAlchemyManager as SQLAlchemyManager

#: Engine options for the engines Potion configures, and recommended for an
#: application's own (``SQLAlchemy(app, engine_options=ENGINE_OPTIONS)``): a pooled
#: connection is checked ("pre-pinged") before a request uses it, so one that
#: died while it waited (a database restart, a failover) is replaced, not failed.
ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}


def sqlite_foreign_keys(engine: sa.Engine) -> None:
    """Make SQLite enforce foreign keys on every connection ``engine`` opens.

    SQLite checks foreign keys (and applies ``ON DELETE`` rules) only on a
    connection that asked with ``PRAGMA foreign_keys=ON``; without it, deleting
    a row others refer to silently orphans them.  With it, such a delete is a 409
    naming the referring table, as on PostgreSQL and MariaDB.  Call it when the
    engine is created, before it opens a connection (the project wrapper does,
    for its SQLite database); other databases are left alone, and a second call
    changes nothing.
    """
    if engine.dialect.name != "sqlite":
        return
    if not sa.event.contains(engine, "connect", _enforce_foreign_keys):
        sa.event.listen(engine, "connect", _enforce_foreign_keys)


def _enforce_foreign_keys(dbapi_connection: Any, record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


__all__ = [
    "ENGINE_OPTIONS",
    "FILLED_BY_MODEL",
    "sqlite_foreign_keys",
    "SQLAlchemyManager",
    "EnumField",
    "InlineModel",
    "SQLAlchemyBaseFilter",
    "field_for_column",
]
