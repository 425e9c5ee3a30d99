"""Concurrent writes against an app served over HTTP on PostgreSQL: never a 5xx.

The app runs in werkzeug's threaded server on a loopback port; requests are sent
from threads released together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from .databases import sqlalchemy_url
from .served import at_once, call, serve
from .served_app import create_app

pytestmark = pytest.mark.postgres

THREADS = 8


@pytest.fixture
def served() -> Iterator[tuple[int, Any]]:
    url = sqlalchemy_url("postgres")
    app = create_app(url)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    metadata = app.extensions["served_db"].metadata
    metadata.drop_all(engine)
    metadata.create_all(engine)
    try:
        with serve(app) as port:
            assert call(port, "POST", "/api/author", {"name": "Darwin"})[0] == 200
            yield port, engine
    finally:
        with app.app_context():
            app.extensions["served_db"].engine.dispose()
        metadata.drop_all(engine)
        engine.dispose()


def _book(port: int, title: str) -> int:
    status, body = call(
        port, "POST", "/api/book", {"title": title, "author": {"$ref": "/api/author/1"}}
    )
    assert status == 200, body
    return int(body["$uri"].rsplit("/", 1)[1])


def _titles(engine: Any) -> list[str]:
    with engine.connect() as connection:
        return [
            row[0]
            for row in connection.execute(sa.text("select title from served_book order by id"))
        ]


def test_concurrent_deletes_of_one_item_give_exactly_one_204(served):
    port, engine = served
    for round_ in range(3):
        book = _book(port, f"Doomed {round_}")
        results = at_once([lambda: call(port, "DELETE", f"/api/book/{book}")] * THREADS)
        statuses = Counter(status for status, _body in results)
        assert statuses == {204: 1, 404: THREADS - 1}, results
    assert _titles(engine) == []


def test_patch_racing_delete_never_answers_5xx(served):
    port, engine = served
    for round_ in range(3):
        book = _book(port, f"Contested {round_}")
        calls = []
        for i in range(THREADS):
            if i % 2:
                calls.append(lambda: call(port, "DELETE", f"/api/book/{book}"))
            else:
                calls.append(
                    lambda i=i: call(port, "PATCH", f"/api/book/{book}", {"year": 1800 + i})
                )
        results = at_once(calls)
        deletes = [status for i, (status, _b) in enumerate(results) if i % 2]
        patches = [status for i, (status, _b) in enumerate(results) if not i % 2]
        assert Counter(deletes) == {204: 1, 404: THREADS // 2 - 1}, results
        assert set(patches) <= {200, 404}, results
        for status, body in results:
            if status == 404:
                assert body["item"]["$id"] == book or body["item"]["$id"] == str(book), body
    assert _titles(engine) == []


def test_concurrent_creates_of_one_unique_value_give_one_200_and_409s(served):
    port, engine = served
    body = {"title": "Only once", "author": {"$ref": "/api/author/1"}}
    results = at_once([lambda: call(port, "POST", "/api/book", body)] * THREADS)
    statuses = Counter(status for status, _body in results)
    assert statuses == {200: 1, 409: THREADS - 1}, results
    for status, answer in results:
        if status == 409:
            assert answer["errors"] == [{"path": ["title"], "validationOf": {"unique": True}}]
    assert _titles(engine) == ["Only once"]
