"""A database outage is a 503, never "not found", and the API recovers by itself.

The application reaches PostgreSQL or MariaDB through a loopback proxy (see
:mod:`tests.faults`) that can refuse connections and cut them; connections are
also killed from the server's side (``pg_terminate_backend``, ``KILL``) between
requests and in the middle of one.  Every request then answers a JSON 5xx with
the database unchanged, or succeeds with its effect applied: never a 4xx.  Once
the database is back, the next requests succeed without a restart.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from potion import Api, ModelResource, Relation, fields

from .databases import sqlalchemy_url
from .faults import UNAVAILABLE, Killer, Proxy, assert_unavailable, backend_pid, proxy_for


class Outage:
    """An API on a database reached through a proxy, and the means to break it."""

    def __init__(self, kind: str, proxy: Proxy, pre_ping: bool) -> None:
        direct_url = sqlalchemy_url(kind)
        self.kind = kind
        self.proxy = proxy
        self.database = urlsplit(direct_url).path.lstrip("/")
        self.killer = Killer(kind, _server_base(kind))
        self.direct = sa.create_engine(direct_url, poolclass=sa.pool.NullPool)

        app = Flask(__name__)
        app.config.update(
            TESTING=True,
            SQLALCHEMY_DATABASE_URI=proxy.url(direct_url),
            SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": pre_ping},
        )
        db = SQLAlchemy(app)

        shelf_book = db.Table(
            "fault_shelf_book",
            db.Column("shelf_id", db.Integer, db.ForeignKey("fault_shelf.id"), primary_key=True),
            db.Column("book_id", db.Integer, db.ForeignKey("fault_book.id"), primary_key=True),
        )

        class Author(db.Model):
            __tablename__ = "fault_author"
            id = db.Column(db.Integer, primary_key=True)
            name = db.Column(db.String(60), nullable=False)

        class Book(db.Model):
            __tablename__ = "fault_book"
            id = db.Column(db.Integer, primary_key=True)
            title = db.Column(db.String(100), nullable=False, unique=True)
            author_id = db.Column(db.Integer, db.ForeignKey(Author.id), nullable=False)
            author = db.relationship(Author)

        class Shelf(db.Model):
            __tablename__ = "fault_shelf"
            id = db.Column(db.Integer, primary_key=True)
            name = db.Column(db.String(60), nullable=False)
            books = db.relationship(Book, secondary=shelf_book, order_by=Book.id)

        class AuthorResource(ModelResource):
            class Meta:
                model = Author
                name = "author"

        class BookResource(ModelResource):
            class Meta:
                model = Book
                name = "book"

            class Schema:
                author = fields.ToOne("author")

        class ShelfResource(ModelResource):
            books = Relation("book")

            class Meta:
                model = Shelf
                name = "shelf"

        api = Api(app, prefix="/api")
        for resource in (AuthorResource, BookResource, ShelfResource):
            api.add_resource(resource)

        self.app = app
        self.db = db
        self.client = app.test_client()
        db.metadata.drop_all(self.direct)
        db.metadata.create_all(self.direct)
        with self.direct.begin() as connection:
            # fresh tables: the ids are 1, 2, 3 (given by the database, so it counts on)
            connection.execute(sa.insert(Author.__table__), [{"name": "Darwin"}])
            for i in (1, 2, 3):
                connection.execute(
                    sa.insert(Book.__table__), {"title": f"Book {i}", "author_id": 1}
                )
            connection.execute(sa.insert(Shelf.__table__), [{"name": "Top"}])
            connection.execute(sa.insert(shelf_book), [{"shelf_id": 1, "book_id": 1}])
        with app.app_context():
            self.engine = db.engine
        self._armed: re.Pattern[str] | None = None
        self._times = 0
        sa.event.listen(self.engine, "before_cursor_execute", self._maybe_kill)

    # -- looking at the data directly ---------------------------------------------

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        with self.direct.connect() as connection:
            return {
                table: [
                    tuple(row)
                    for row in connection.execute(sa.text(f"select * from {table} order by 1, 2"))
                ]
                for table in ("fault_author", "fault_book", "fault_shelf", "fault_shelf_book")
            }

    # -- killing a connection in the middle of a request ---------------------------

    @contextlib.contextmanager
    def kill_before(self, pattern: str, times: int = 1) -> Iterator[None]:
        """Kill the request's connection just before a statement matching ``pattern`` runs."""
        self._armed, self._times = re.compile(pattern, re.IGNORECASE), times
        try:
            yield
        finally:
            self._armed = None

    def _maybe_kill(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self._armed is None or self._times == 0 or not self._armed.match(statement):
            return
        self._times -= 1
        self.killer.kill(backend_pid(conn.connection.dbapi_connection))

    def close(self) -> None:
        with self.app.app_context():
            with contextlib.suppress(Exception):
                self.db.session.remove()
            self.db.engine.dispose()
        self.db.metadata.drop_all(self.direct)
        self.direct.dispose()
        self.killer.close()


def _server_base(kind: str) -> str:
    import os

    return os.environ["POTION_TEST_POSTGRES_URL" if kind == "postgres" else "POTION_TEST_MYSQL_URL"]


SERVERS = [
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mysql", marks=pytest.mark.mysql),
]


def _outage(kind: str, pre_ping: bool) -> Iterator[Outage]:
    with proxy_for(sqlalchemy_url(kind)) as proxy:
        outage = Outage(kind, proxy, pre_ping)
        try:
            yield outage
        finally:
            outage.close()


@pytest.fixture(params=SERVERS)
def outage(request: pytest.FixtureRequest) -> Iterator[Outage]:
    yield from _outage(request.param, pre_ping=False)


@pytest.fixture(params=SERVERS)
def pinged(request: pytest.FixtureRequest) -> Iterator[Outage]:
    yield from _outage(request.param, pre_ping=True)


def requests(client: Any) -> dict[str, Any]:
    """One request of each kind the issue names, as callables."""
    return {
        "get": lambda: client.get("/api/book/2"),
        "list": lambda: client.get("/api/book"),
        "delete": lambda: client.delete("/api/book/3"),
        "patch": lambda: client.patch("/api/book/2", json={"title": "Changed"}),
        "create": lambda: client.post(
            "/api/book", json={"title": "New", "author": {"$ref": "/api/author/1"}}
        ),
        "relation": lambda: client.get("/api/shelf/1/books"),
    }


def assert_recovered(outage: Outage) -> None:
    """Each kind of request succeeds, with its effect in the database."""
    calls = requests(outage.client)
    assert calls["get"]().status_code == 200
    assert calls["list"]().get_json()[0]["title"] == "Book 1"
    assert calls["relation"]().get_json() == [{"$ref": "/api/book/1"}]
    response = calls["patch"]()
    assert response.status_code == 200, response.get_json()
    response = calls["create"]()
    assert response.status_code == 200, response.get_json()
    assert calls["delete"]().status_code == 204
    titles = [row[1] for row in outage.snapshot()["fault_book"]]
    assert titles == ["Book 1", "Changed", "New"]


def test_refused_connections_answer_503_and_change_nothing(outage):
    assert outage.client.get("/api/book/1").status_code == 200  # a pooled connection
    before = outage.snapshot()
    outage.proxy.down()
    for name, call in requests(outage.client).items():
        response = call()
        assert_unavailable(response)
        assert outage.snapshot() == before, name
    outage.proxy.up()
    assert_recovered(outage)


def test_cut_connections_never_answer_4xx(outage):
    """Connections killed by the server between requests: 503 or success, never a 4xx."""
    for name, call in requests(outage.client).items():
        outage.client.get("/api/book/1")  # the pool holds a connection
        assert outage.killer.kill_all(outage.database) >= 1
        before = outage.snapshot()
        response = call()
        if response.status_code == 503:
            assert response.get_json() == UNAVAILABLE
            assert outage.snapshot() == before, name
        else:
            assert response.status_code in (200, 204), (name, response.get_json())
    # a read met the dead connection and was retried on a fresh one, or every
    # connection has been replaced: the API works again without a restart
    assert outage.client.get("/api/book/1").status_code == 200


def test_reads_retry_once_on_a_fresh_connection(outage):
    outage.client.get("/api/book/1")
    outage.killer.kill_all(outage.database)
    for call in ("get", "list", "relation"):
        outage.client.get("/api/book/1")
        outage.killer.kill_all(outage.database)
        response = requests(outage.client)[call]()
        assert response.status_code == 200, response.get_json()


def test_writes_never_retry_silently(outage):
    outage.client.get("/api/book/1")
    outage.killer.kill_all(outage.database)
    before = outage.snapshot()
    assert_unavailable(outage.client.patch("/api/book/2", json={"title": "Changed"}))
    assert outage.snapshot() == before
    # the pool dropped its dead connections: the next write works
    assert outage.client.patch("/api/book/2", json={"title": "Changed"}).status_code == 200


@pytest.mark.parametrize(
    "call, statement",
    [
        ("patch", "UPDATE"),
        ("delete", "DELETE"),
        ("create", "INSERT"),
        ("create", "SELECT"),  # resolving the author reference
        ("relation", "SELECT"),
        ("get", "SELECT"),
    ],
)
def test_a_connection_lost_during_a_request_is_503(outage, call, statement):
    before = outage.snapshot()
    # killed at every try: a read is retried once, then answers 503 too
    with outage.kill_before(statement, times=2):
        response = requests(outage.client)[call]()
    assert_unavailable(response)
    assert outage.snapshot() == before
    assert_recovered(outage)


def test_pre_ping_replaces_dead_connections_before_a_request_uses_them(pinged):
    for name, call in requests(pinged.client).items():
        pinged.client.get("/api/book/1")
        pinged.killer.kill_all(pinged.database)
        response = call()
        assert response.status_code in (200, 204), (name, response.get_json())


def test_the_outage_is_logged_with_its_cause(outage, caplog):
    outage.proxy.down()
    with caplog.at_level("ERROR"):
        assert_unavailable(outage.client.get("/api/book/1"))
    outage.proxy.up()
    records = [r for r in caplog.records if "503" in r.getMessage()]
    assert records, caplog.text
    assert "OperationalError" in records[0].getMessage()
    assert records[0].exc_info is not None


def test_sqlite_that_cannot_be_opened_is_503(tmp_path):
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path}/missing/dir/app.db"
    db = SQLAlchemy(app)

    class Note(db.Model):
        id = db.Column(db.Integer, primary_key=True)

    class NoteResource(ModelResource):
        class Meta:
            model = Note

    Api(app).add_resource(NoteResource)
    client = app.test_client()
    for response in (
        client.get("/note"),
        client.get("/note/1"),
        client.post("/note", json={}),
        client.delete("/note/1"),
    ):
        assert_unavailable(response)


@pytest.mark.parametrize("method", ["get", "patch"])
def test_a_connection_lost_at_teardown_keeps_the_computed_response(outage, method, caplog):
    """The rollback at the end of the request fails on the dead connection: the
    response already computed is sent, in JSON, and the failure is logged."""
    armed = []

    @outage.app.after_request
    def kill_the_connection(response: Any) -> Any:
        if armed:
            session = outage.db.session()
            if session.in_transaction():
                outage.killer.kill(backend_pid(session.connection().connection.dbapi_connection))
        return response

    armed.append(True)
    with caplog.at_level("WARNING"):
        if method == "get":
            response = outage.client.get("/api/book/2")
        else:
            response = outage.client.patch("/api/book/2", json={"title": "Changed"})
    assert response.status_code == 200
    assert response.get_json()["title"] == ("Changed" if method == "patch" else "Book 2")
    armed.clear()
    assert outage.client.get("/api/book/2").status_code == 200
    if method == "patch":
        assert [row[1] for row in outage.snapshot()["fault_book"]][1] == "Changed"
