"""The database servers the tests run against, one private database per test worker.

SQLite always runs.  PostgreSQL runs when ``POTION_TEST_POSTGRES_URL`` is set,
MariaDB/MySQL when ``POTION_TEST_MYSQL_URL`` is set (``.ci/run`` sets both); a
test that asks for one of them is skipped, with the reason, when it is not set or
the server does not answer.  Each pytest-xdist worker gets its own database
(``potion_test_gw0`` ...) so workers never see each other's tables.  Two test runs
on one machine at the same time should set different ``POTION_TEST_DB_PREFIX`` values
(default ``potion_test_``), or they share those databases.
"""

from __future__ import annotations

import functools
import os
from urllib.parse import urlsplit, urlunsplit

import pytest

SQL_DATABASES = ("sqlite", "postgres", "mysql")

_ENV = {"postgres": "POTION_TEST_POSTGRES_URL", "mysql": "POTION_TEST_MYSQL_URL"}


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@functools.cache
def server_url(kind: str) -> str:
    """A URL (scheme ``postgresql`` or ``mysql``) of this worker's database; skips if absent."""
    variable = _ENV[kind]
    base = os.environ.get(variable)
    if not base:
        pytest.skip(f"{kind} tests need {variable} (set by .ci/run)")
    name = os.environ.get("POTION_TEST_DB_PREFIX", "potion_test_") + _worker()
    try:
        if kind == "postgres":
            import psycopg2

            parts = urlsplit(base)
            conn = psycopg2.connect(
                host=parts.hostname,
                port=parts.port or 5432,
                user=parts.username,
                password=parts.password,
                dbname=parts.path.lstrip("/") or "postgres",
                connect_timeout=5,
            )
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("select 1 from pg_database where datname = %s", (name,))
                if cur.fetchone() is None:
                    cur.execute(f'create database "{name}"')
            conn.close()
        else:
            import pymysql

            parts = urlsplit(base)
            conn = pymysql.connect(
                host=parts.hostname,
                port=parts.port or 3306,
                user=parts.username,
                password=parts.password or "",
                connect_timeout=5,
            )
            with conn.cursor() as cur:
                cur.execute(f"create database if not exists `{name}`")
            conn.close()
    except Exception as exc:  # the server is not there
        pytest.skip(f"{kind} server at {variable} is not reachable: {exc}")
    return _with_database(base, name)


def sqlalchemy_url(kind: str, tmp_path: os.PathLike[str] | None = None) -> str:
    """An SQLAlchemy URL for ``kind`` (``sqlite`` is in-memory unless a path is given)."""
    if kind == "sqlite":
        return f"sqlite:///{os.path.join(tmp_path, 'test.db')}" if tmp_path else "sqlite://"
    url = server_url(kind)
    if kind == "mysql":
        return "mysql+pymysql" + url[len("mysql") :] + "?charset=utf8mb4"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        # SQLAlchemy 2.1 picks psycopg 3 for a bare scheme; the test extras ship psycopg2
        return "postgresql+psycopg2" + url[url.index("://") :]
    return url


def database_params() -> list[object]:
    """``pytest.param`` for each SQL database, marked for selection with ``-m``."""
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
        pytest.param("mysql", id="mysql", marks=pytest.mark.mysql),
    ]
