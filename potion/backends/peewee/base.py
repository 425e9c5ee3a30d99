"""What every part of the peewee manager relies on: the model, its database."""

from __future__ import annotations

from typing import Any

import peewee


class PeeweeBase:
    """The attributes the manager's parts share (set up by :class:`PeeweeManager`)."""

    model: Any
    resource: Any
    id_attribute: str
    id_column: Any
    #: schema key -> ForeignKeyField of the ToOne fields over foreign keys
    _foreign_keys: dict[str, Any]

    @property
    def database(self) -> Any:
        database = self.model._meta.database
        while isinstance(database, peewee.Proxy):
            database = database.obj
        return database

    def _dialect(self) -> str:
        database = self.database
        if isinstance(database, peewee.PostgresqlDatabase):
            return "postgresql"
        if isinstance(database, peewee.MySQLDatabase):
            return "mysql"
        return "sqlite"
