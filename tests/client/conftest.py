"""Fixtures of the client tests: the library API served on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from potion.client import Client

from .library import create_app, reset
from .server import Wire, serve


@dataclass
class Served:
    app: Any
    db: Any
    wire: Wire
    url: str  # the API root, http://127.0.0.1:N/api

    def reset(self) -> None:
        reset(self.app, self.db)
        self.wire.clear()
        self.wire.fail_path, self.wire.failures = None, 0

    def count(self, model: str) -> int:
        with self.app.app_context():
            return self.db.session.query(self.app.extensions["library_models"][model]).count()


def _served(tmp_path_factory: pytest.TempPathFactory, protected: bool) -> Iterator[Served]:
    path = tmp_path_factory.mktemp("library") / "library.sqlite3"
    app, db = create_app(f"sqlite:///{path}", protected=protected)
    wire = Wire(app)
    with serve(wire) as base:
        yield Served(app, db, wire, base + "/api")
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def served_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from _served(tmp_path_factory, protected=False)


@pytest.fixture
def library(served_library: Served) -> Served:
    """The library API with its seed data (Darwin and one book), the wire cleared."""
    served_library.reset()
    return served_library


@pytest.fixture
def client(library: Served) -> Iterator[Client]:
    """A fresh client of the library API (no backoff between retries)."""
    with Client(library.url, backoff=0) as client:
        library.wire.clear()  # the schema requests are not the test's
        yield client
