"""The backend contract suite: one set of HTTP tests, run against every backend.

Every backend builds the same small library through its own models:

- ``author``: first_name, last_name (unique together, the natural key); a
  ``books`` Relation is not used here (one-to-many semantics differ per store);
- ``book``: title (unique, max 100), year (nullable int), rating (number,
  default 5.0), available (boolean, default true), published (nullable date),
  author (ToOne, required);
- ``shelf``: name, books (many-to-many, exposed both as a ToMany field and as a
  ``books`` Relation);
- ``genre``: code (a string primary key the client chooses on create), name.

A backend module in ``tests/backends/stores/`` returns a :class:`Store`; the tests
drive the API through the Flask test client and check the data store directly
through ``store.rows(name)``.  A capability a store lacks is listed in its
manager's ``unsupported`` and the tests that need it skip with that reason.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest

from .stores import Store

BACKENDS = [
    pytest.param(("memory", None), id="memory"),
    pytest.param(("sqlalchemy", "sqlite"), id="sqlalchemy-sqlite"),
    pytest.param(("sqlalchemy", "postgres"), id="sqlalchemy-postgres", marks=pytest.mark.postgres),
    pytest.param(("sqlalchemy", "mysql"), id="sqlalchemy-mysql", marks=pytest.mark.mysql),
    pytest.param(("peewee", "sqlite"), id="peewee-sqlite"),
    pytest.param(("peewee", "postgres"), id="peewee-postgres", marks=pytest.mark.postgres),
    pytest.param(("peewee", "mysql"), id="peewee-mysql", marks=pytest.mark.mysql),
    pytest.param(("mongoengine", None), id="mongoengine"),
]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Store]:
    backend, database = request.param
    module = importlib.import_module(f"tests.backends.stores.{backend}")
    built: Store = module.build(database, tmp_path)
    try:
        with built.app.app_context():
            yield built
    finally:
        built.teardown()


@pytest.fixture
def client(store: Store) -> Any:
    return store.app.test_client()


def requires(store: Store, capability: str) -> None:
    """Skip the test, with the store's own reason, when it lacks ``capability``."""
    reason = store.unsupported.get(capability)
    if reason:
        pytest.skip(f"{store.name}: {reason}")
