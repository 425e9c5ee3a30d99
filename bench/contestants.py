"""The contestants: who serves the benchmark's operations, and how each is called.

Every contestant is a module with ``create_server(workload) -> Server``.  A
:class:`Server` serves a batch of requests through the minimal WSGI or ASGI
caller of ``bench/calls.py`` and counts the SQL statements its app runs.

What differs between contestants besides their code is declared here: the URL
of a request where a framework's own query language differs from Potion's, how
a list reports its total, and the status of a create.  The checks of the
answers are the same for all (``bench/operations.py``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import importlib.util
import json
from typing import Any, Callable

import sqlalchemy as sa

from .calls import Call, Response, call_asgi, call_wsgi
from .workload import Workload, db

__all__ = [
    "Contestant",
    "CONTESTANTS",
    "Server",
    "WSGIServer",
    "ASGIServer",
    "by_name",
    "flask_sqlalchemy_server",
    "count_statements",
    "sqlite_tracer",
]

#: What SQLite runs that is not a statement of the app's: the transaction control
#: that the sqlite3 module issues around writes.
_NOT_STATEMENTS = ("BEGIN", "COMMIT", "ROLLBACK")


class Server:
    """A contestant's app, ready to serve.  ``statements`` counts the SQL it runs."""

    statements: int = 0

    def count(self, *_args: Any) -> None:
        """A listener: one more SQL statement."""
        self.statements += 1

    def serve(self, calls: list[Call], clock: Callable[[], float]) -> tuple[float, list[Any]]:
        """Serve ``calls`` back to back; (seconds by ``clock``, raw responses)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections."""


def sqlite_tracer(count: Callable[[], None]) -> Callable[[str], None]:
    """A ``sqlite3`` trace callback calling ``count`` for each statement SQLite runs.

    Every contestant's statements are counted this way, inside SQLite: an engine
    listener such as SQLAlchemy's ``before_cursor_execute`` would make the
    counting cost part of the time measured (for SQLAlchemy, about as much as
    running a prepared ``SELECT``).
    """

    def trace(sql: str) -> None:
        if not sql.startswith(_NOT_STATEMENTS):
            count()

    return trace


def count_statements(engine: sa.Engine, server: Server) -> None:
    """Count the statements of ``engine``'s connections into ``server.statements``."""
    trace = sqlite_tracer(server.count)

    def traced(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(trace)

    sa.event.listen(engine, "connect", traced)
    engine.dispose()  # a connection opened before is closed: every one in use is traced


class WSGIServer(Server):
    def __init__(self, wsgi_app: Callable[..., Any], close: Callable[[], None] | None = None):
        self.wsgi_app = wsgi_app
        self._close = close

    def serve(self, calls: list[Call], clock: Callable[[], float]) -> tuple[float, list[Any]]:
        environs = [call.environ() for call in calls]
        wsgi_app = self.wsgi_app
        raw: list[Any] = []
        append = raw.append
        start = clock()
        for environ in environs:
            append(call_wsgi(wsgi_app, environ))
        return clock() - start, raw

    def close(self) -> None:
        if self._close is not None:
            self._close()


class ASGIServer(Server):
    """Serves a batch in one event loop: each request is one ``await app(...)``."""

    def __init__(self, asgi_app: Any, close: Callable[[], None] | None = None):
        self.asgi_app = asgi_app
        self._close = close
        self.loop = asyncio.new_event_loop()

    def serve(self, calls: list[Call], clock: Callable[[], float]) -> tuple[float, list[Any]]:
        scopes = [call.scope() for call in calls]
        asgi_app = self.asgi_app

        async def batch() -> tuple[float, list[Any]]:
            raw: list[Any] = []
            append = raw.append
            start = clock()
            for scope, body in scopes:
                append(await call_asgi(asgi_app, scope, body))
            return clock() - start, raw

        return self.loop.run_until_complete(batch())

    def close(self) -> None:
        if self._close is not None:
            self._close()
        self.loop.close()


def flask_sqlalchemy_server(app: Any) -> WSGIServer:
    """A Flask app on the workload's Flask-SQLAlchemy models, its statements counted."""
    with app.app_context():
        engine = db.engine

    def close() -> None:
        with app.app_context():
            db.engine.dispose()

    server = WSGIServer(app.wsgi_app, close)
    count_statements(engine, server)
    server.app = app  # type: ignore[attr-defined]
    return server


def _x_total_count(response: Response) -> str | None:
    return response.headers.get("x-total-count")


def _x_pagination_total(response: Response) -> str | None:
    raw = response.headers.get("x-pagination")
    return None if raw is None else str(json.loads(raw).get("total"))


def _plain_filters(ops: dict[str, str]) -> dict[str, Callable[[Workload, int], Call]]:
    """R3 in a framework's own words: ``?year<gt>=2000&rating<gte>=3.0&<sort>=title``."""
    query = {"year" + ops["gt"]: 2000, "rating" + ops["gte"]: 3.0, ops["sort"]: "title"}
    query.update(ops.get("extra", {}))  # type: ignore[arg-type]
    return {"R3": lambda w, i: Call("GET", "/book", dict(query))}


@dataclasses.dataclass(frozen=True)
class Contestant:
    """One contestant of the benchmark.

    :param name: as ``--contestants`` names it.
    :param module: provides ``create_server(workload) -> Server``.
    :param requires: importable modules it needs beyond the test extra (the
        ``bench`` extra installs them); a contestant missing one is skipped.
    :param peer: a framework Potion is compared with (not hand-written code).
    :param requests: its own request for an operation whose URL differs from Potion's.
    :param total: how its list answers report the total.
    :param create_status: the status of a create; ``location``: whether a create
        answers with a ``Location`` header.
    """

    name: str
    title: str
    module: str
    requires: tuple[str, ...] = ()
    peer: bool = False
    requests: dict[str, Callable[[Workload, int], Call]] = dataclasses.field(default_factory=dict)
    total: Callable[[Response], str | None] = _x_total_count
    create_status: int = 200
    location: bool = True

    def missing(self) -> list[str]:
        """The modules it requires that are not installed."""
        return [name for name in self.requires if importlib.util.find_spec(name) is None]

    def call(self, operation: Any, workload: Workload, i: int) -> Call:
        own = self.requests.get(operation.name)
        return own(workload, i) if own is not None else operation.request(workload, i)

    def create_server(self, workload: Workload) -> Server:
        module = importlib.import_module(self.module)
        return module.create_server(workload)


_SAME_AS_REFERENCE = _plain_filters({"gt": "_gt", "gte": "_gte", "sort": "sort"})

CONTESTANTS: list[Contestant] = [
    Contestant("potion", "Potion", "bench.potion_app"),
    Contestant(
        "reference",
        "hand-written Flask-SQLAlchemy",
        "bench.reference_app",
        requests=_SAME_AS_REFERENCE,
    ),
    Contestant(
        "marshmallow",
        "Potion, the book declared through a marshmallow schema",
        "bench.marshmallow_app",
        requires=("marshmallow", "marshmallow_sqlalchemy"),
    ),
    Contestant(
        "floor",
        "Flask + sqlite3, no ORM",
        "bench.floor_app",
        requests=_SAME_AS_REFERENCE,
        create_status=201,
    ),
    Contestant(
        "smorest",
        "flask-smorest",
        "bench.smorest_app",
        requires=("flask_smorest", "marshmallow_sqlalchemy"),
        peer=True,
        requests={
            "R2": lambda w, i: Call("GET", "/book", {"page": 3, "page_size": 20}),
            **_plain_filters({"gt": "_gt", "gte": "_gte", "sort": "sort"}),
        },
        total=_x_pagination_total,
        create_status=201,
        location=False,
    ),
    Contestant(
        "fastapi",
        "FastAPI",
        "bench.fastapi_app",
        requires=("fastapi", "pydantic"),
        peer=True,
        requests=_SAME_AS_REFERENCE,
        create_status=201,
        location=False,
    ),
    Contestant(
        "drf",
        "Django REST Framework",
        "bench.drf",
        requires=("django", "rest_framework", "django_filters"),
        peer=True,
        requests=_plain_filters({"gt": "__gt", "gte": "__gte", "sort": "ordering"}),
        create_status=201,
        location=False,
    ),
]

#: What ``bench/run.py`` runs without ``--contestants``.
DEFAULT = ("potion", "reference")


def by_name(name: str) -> Contestant:
    for contestant in CONTESTANTS:
        if contestant.name == name:
            return contestant
    names = ", ".join(c.name for c in CONTESTANTS)
    raise KeyError(f"no contestant {name!r}; the contestants are {names}")
