"""A Flask app, a Flask-SQLAlchemy database and a Potion Api for SQLAlchemy tests.

Test modules use the ``sqla`` fixture (bound in each module with
``database = sqla_env.database`` and ``sqla = sqla_env.sqla``): it is parametrised over SQLite,
PostgreSQL and MariaDB (see :mod:`tests.databases`).  A test defines its models
on ``sqla.db``, calls ``sqla.create_all()`` and works through ``sqla.client``;
the tables are dropped afterwards, so the per-worker databases stay empty.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from potion import Api

from .databases import database_params, sqlalchemy_url


class SQLAEnv:
    """Everything a SQLAlchemy backend test needs, for one database."""

    def __init__(self, kind: str, url: str) -> None:
        self.kind = kind
        self.app = Flask(__name__)
        self.app.config.update(TESTING=True, SQLALCHEMY_DATABASE_URI=url)

        class Base(DeclarativeBase):
            pass

        self.db = SQLAlchemy(self.app, model_class=Base)
        self.api = Api(self.app)
        self.client = self.app.test_client()
        # No app context stays pushed: each request gets its own (and its own
        # session), as in production.
        with self.app.app_context():
            self.engine = self.db.engine
        if kind == "sqlite":
            # SQLite checks foreign keys only when asked, the servers always do.
            sa.event.listen(self.engine, "connect", _sqlite_foreign_keys)
        # The statement listener is added by the first count_statements(): until
        # then no engine listener keeps the built-in reads off the DBAPI cursor
        # (potion/backends/sqlalchemy/direct.py), which tests exercise that way.
        self.statements: list[str] | None = None

    # -- schema ------------------------------------------------------------------

    def create_all(self) -> None:
        with self.app.app_context():
            self.db.drop_all()  # leftovers of an interrupted run
            self.db.create_all()

    def close(self) -> None:
        try:
            with self.app.app_context():
                self.db.session.remove()
                self.db.drop_all()
        finally:
            self.engine.dispose()

    # -- looking at the database directly -----------------------------------------

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        """Rows of a query run on a fresh connection (sees only committed data)."""
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql), params)]

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(sa.text(sql), params).scalar()

    def count(self, table: str) -> int:
        return int(self.scalar(f"select count(*) from {table}"))

    def add(self, *items: Any) -> list[Any]:
        """Store items through the ORM in their own session; returns their ids."""
        with self.app.app_context():
            session = self.db.session
            session.add_all(items)
            session.commit()
            ids = [sa.inspect(item).identity[0] for item in items]
            session.remove()
        return ids

    @contextlib.contextmanager
    def session(self) -> Iterator[Any]:
        """A session of its own (in an app context) for looking at ORM objects."""
        with self.app.app_context():
            try:
                yield self.db.session
            finally:
                self.db.session.remove()

    # -- statements ----------------------------------------------------------------

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self.statements is not None:
            self.statements.append(statement)

    @contextlib.contextmanager
    def count_statements(self) -> Iterator[list[str]]:
        """Collect the SQL statements run inside the block."""
        if not sa.event.contains(self.engine, "before_cursor_execute", self._record):
            sa.event.listen(self.engine, "before_cursor_execute", self._record)
        self.statements = []
        try:
            yield self.statements
        finally:
            self.statements = None

    # -- requests ------------------------------------------------------------------

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, **kwargs)

    def post(self, url: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.post(url, json=json, **kwargs)

    def patch(self, url: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.patch(url, json=json, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.client.delete(url, **kwargs)


def _sqlite_foreign_keys(connection: Any, record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@pytest.fixture(params=database_params())
def database(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def sqla(database: str, tmp_path: Any) -> Iterator[SQLAEnv]:
    # SQLite in a file: each connection is its own, so uncommitted work is private
    # to its transaction as on the servers.
    env = SQLAEnv(database, sqlalchemy_url(database, tmp_path))
    try:
        yield env
    finally:
        env.close()


def where(**conditions: Any) -> str:
    """A ``where`` query string value."""
    import json

    return json.dumps(conditions)
