"""The MongoDB the MongoEngine tests run against.

No MongoDB server can be installed on the development machines, so the tests use
mongomock by default.  When ``POTION_TEST_MONGODB_URL`` is set
(``mongodb://host:27017``), the same tests run against that server instead.
Every test gets a database of its own, dropped afterwards.

:func:`count_operations` counts what is sent to the store: with a real server
through pymongo's command monitoring (command names such as ``find``,
``aggregate``, ``count``), with mongomock by spying on its ``Collection`` methods
(method names such as ``find_one``, ``count_documents``, and ``find`` when a
cursor is first read).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import mongoengine
from pymongo import monitoring

URL_VARIABLE = "POTION_TEST_MONGODB_URL"

#: mongomock methods that reach the store (reads and writes).  ``find`` is counted
#: when its cursor is first read, as a server would see it.
_MOCK_OPERATIONS = (
    "find_one",
    "count_documents",
    "estimated_document_count",
    "aggregate",
    "distinct",
    "insert_one",
    "insert_many",
    "update_one",
    "update_many",
    "replace_one",
    "delete_one",
    "delete_many",
    "find_one_and_update",
    "find_one_and_replace",
    "find_one_and_delete",
)

#: Commands of a real server that are not the test's own reads and writes.
_IGNORED_COMMANDS = {"createIndexes", "listIndexes", "endSessions", "ping", "hello", "isMaster"}


class _Listener(monitoring.CommandListener):
    def __init__(self) -> None:
        self.recording: list[str] | None = None

    def started(self, event: Any) -> None:
        if self.recording is not None and event.command_name not in _IGNORED_COMMANDS:
            self.recording.append(event.command_name)

    def succeeded(self, event: Any) -> None:
        pass

    def failed(self, event: Any) -> None:
        pass


_listener = _Listener()


def server_url() -> str | None:
    return os.environ.get(URL_VARIABLE) or None


def using_mongomock() -> bool:
    return server_url() is None


def _without_database(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/", parts.query, parts.fragment))


@contextlib.contextmanager
def fresh_database() -> Iterator[Any]:
    """Connect MongoEngine's default alias to a new, empty database; drop it after."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"potion_test_{worker}_{uuid.uuid4().hex[:12]}"
    mongoengine.disconnect()
    url = server_url()
    if url is None:
        import mongomock

        client = mongoengine.connect(
            db=name,
            host="mongodb://localhost",
            mongo_client_class=mongomock.MongoClient,
            uuidRepresentation="standard",
        )
    else:
        client = mongoengine.connect(
            db=name,
            host=_without_database(url),
            event_listeners=[_listener],
            uuidRepresentation="standard",
            serverSelectionTimeoutMS=5000,
        )
    try:
        yield client[name]
    finally:
        try:
            client.drop_database(name)
        finally:
            mongoengine.disconnect()


@contextlib.contextmanager
def count_operations() -> Iterator[list[str]]:
    """The operations sent to the store inside the block, in order."""
    operations: list[str] = []
    if not using_mongomock():
        _listener.recording = operations
        try:
            yield operations
        finally:
            _listener.recording = None
        return
    from mongomock.collection import Collection, Cursor

    originals = {name: getattr(Collection, name) for name in _MOCK_OPERATIONS}
    compute_results = Cursor._compute_results
    depth = [0]

    def first_read(self: Any, *args: Any, **kwargs: Any) -> Any:
        if depth[0] == 0 and not getattr(self, "_potion_counted", False):
            self._potion_counted = True
            operations.append("find")
        depth[0] += 1
        try:
            return compute_results(self, *args, **kwargs)
        finally:
            depth[0] -= 1

    def spy(name: str, original: Any) -> Any:
        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            if depth[0] == 0:
                operations.append(name)
            depth[0] += 1
            try:
                return original(self, *args, **kwargs)
            finally:
                depth[0] -= 1

        return method

    for name, original in originals.items():
        setattr(Collection, name, spy(name, original))
    Cursor._compute_results = first_read
    try:
        yield operations
    finally:
        for name, original in originals.items():
            setattr(Collection, name, original)
        Cursor._compute_results = compute_results
