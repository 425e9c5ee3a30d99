"""The database servers the tests run against, one private database per test worker.

SQLite always runs.  PostgreSQL runs when ``POTION_TEST_POSTGRES_URL`` is set,
MariaDB/MySQL when ``POTION_TEST_MYSQL_URL`` is set (``.ci/run`` sets both); a
test that asks for one of them is skipped, with the reason, when it is not set or
the server does not answer.  Each test process (each pytest-xdist worker) gets a
database of its own, ``potion_test_<worker>_<pid>``, dropped when the process
exits, so concurrent runs never share tables.
"""

from __future__ import annotations

import atexit
import functools
import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

SQL_DATABASES = ("sqlite", "postgres", "mysql")

_ENV = {"postgres": "POTION_TEST_POSTGRES_URL", "mysql": "POTION_TEST_MYSQL_URL"}


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _admin_connection(kind: str, base: str) -> Any:
    parts = urlsplit(base)
    if kind == "postgres":
        import psycopg

        return psycopg.connect(
            host=parts.hostname,
            port=parts.port or 5432,
            user=parts.username,
            password=parts.password,
            dbname=parts.path.lstrip("/") or "postgres",
            connect_timeout=5,
            autocommit=True,
        )
    import pymysql

    return pymysql.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=parts.username,
        password=parts.password or "",
        connect_timeout=5,
        autocommit=True,
    )


def _drop_database(kind: str, base: str, name: str) -> None:
    try:
        conn = _admin_connection(kind, base)
        with conn.cursor() as cur:
            if kind == "postgres":
                cur.execute(f'drop database if exists "{name}" with (force)')
            else:
                cur.execute(f"drop database if exists `{name}`")
        conn.close()
    except Exception:  # the server went away; nothing left to clean
        pass


@functools.cache
def server_url(kind: str) -> str:
    """A URL (scheme ``postgresql`` or ``mysql``) of this process's database; skips if absent.

    The database is private to this test process (``potion_test_<worker>_<pid>``), so
    concurrent test runs never share tables, and it is dropped when the process exits.
    """
    variable = _ENV[kind]
    base = os.environ.get(variable)
    if not base:
        pytest.skip(f"{kind} tests need {variable} (set by .ci/run)")
    name = f"potion_test_{_worker()}_{os.getpid()}"
    try:
        conn = _admin_connection(kind, base)
        with conn.cursor() as cur:
            if kind == "postgres":
                cur.execute("select 1 from pg_database where datname = %s", (name,))
                if cur.fetchone() is None:
                    cur.execute(f'create database "{name}"')
            else:
                cur.execute(f"create database if not exists `{name}`")
        conn.close()
    except Exception as exc:  # the server is not there
        pytest.skip(f"{kind} server at {variable} is not reachable: {exc}")
    atexit.register(_drop_database, kind, base, name)
    return _with_database(base, name)


def sqlalchemy_url(kind: str, tmp_path: os.PathLike[str] | None = None) -> str:
    """An SQLAlchemy URL for ``kind`` (``sqlite`` is in-memory unless a path is given).

    The URLs are written as the documentation shows them (``postgresql://...``,
    ``mysql+pymysql://...?charset=utf8mb4``), so the suite runs the drivers the
    ``postgres`` and ``mysql`` extras install.
    """
    if kind == "sqlite":
        return f"sqlite:///{os.path.join(tmp_path, 'test.db')}" if tmp_path else "sqlite://"
    url = server_url(kind)
    if kind == "mysql":
        # the form docs/settings.md shows: the ``mysql`` extra installs PyMySQL, while a
        # bare ``mysql://`` would ask SQLAlchemy for mysqlclient (MySQLdb)
        return "mysql+pymysql" + url[url.index("://") :] + "?charset=utf8mb4"
    # a bare ``postgresql://``, as the docs write it: SQLAlchemy 2 picks psycopg 3 for
    # it, which the ``postgres`` extra installs
    return "postgresql" + url[url.index("://") :]


def database_params() -> list[object]:
    """``pytest.param`` for each SQL database, marked for selection with ``-m``."""
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
        pytest.param("mysql", id="mysql", marks=pytest.mark.mysql),
    ]
