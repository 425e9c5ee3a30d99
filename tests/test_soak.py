"""A bounded soak: gunicorn with 2 workers (``--preload``) on PostgreSQL, mixed reads
and writes from several clients on loopback for ``POTION_SOAK_SECONDS`` (30 s).

Zero 5xx, no failed connection, and every acknowledged write is in the database.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from .databases import sqlalchemy_url
from .served import call
from .served_app import create_app

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn serving ``tests.served_app`` on a loopback port, 2 workers, --preload."""

    def __init__(self, url: str) -> None:
        pytest.importorskip("gunicorn")
        self.port = _free_port()
        env = dict(os.environ, POTION_SERVED_DATABASE_URL=url, PYTHONPATH=str(ROOT))
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn",
                "--workers", "2", "--preload", "--threads", "4",
                "--bind", f"127.0.0.1:{self.port}",
                "--config", str(ROOT / "tests" / "gunicorn_soak.conf.py"),
                "tests.served_app:create_app()",
            ],
            cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.log: list[str] = []
        booted = 0
        assert self.process.stderr is not None
        for line in self.process.stderr:  # blocks until gunicorn says something
            self.log.append(line)
            if "Booting worker" in line:
                booted += 1
                if booted == 2:
                    break
        else:
            raise AssertionError("gunicorn did not start:\n" + "".join(self.log))
        self._drain = threading.Thread(target=self._read_log, daemon=True)
        self._drain.start()
        # the workers are up; wait until one accepts (bounded)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                break
            except OSError:
                if self.process.poll() is not None:
                    raise AssertionError("gunicorn exited:\n" + "".join(self.log)) from None
        else:
            raise AssertionError("gunicorn does not accept connections")

    def _read_log(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self._drain.join(10)
        if self.process.stderr is not None:
            self.process.stderr.close()


class Client:
    """One client's loop of mixed requests, and what the server acknowledged."""

    def __init__(self, port: int, number: int) -> None:
        self.port = port
        self.number = number
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []
        self.years: dict[int, int] = {}  # acknowledged books and their last year
        self.deleted: set[int] = set()

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        try:
            status, answer = call(self.port, method, path, body)
        except OSError as exc:
            self.failures.append(f"{method} {path}: {exc!r}")
            return 0, None
        self.statuses[status] += 1
        if status >= 500:
            self.failures.append(f"{method} {path}: {status} {answer}")
        return status, answer

    def run(self, deadline: float) -> None:
        try:
            self._loop(deadline)
        except Exception as exc:  # a failed client is a failed soak
            self.failures.append(f"client {self.number} stopped: {exc!r}")

    def _loop(self, deadline: float) -> None:
        step = 0
        while time.monotonic() < deadline and step < 100_000:
            step += 1
            kind = step % 6
            mine = [i for i in self.years if i not in self.deleted]
            if kind in (0, 3) or not mine:
                title = f"c{self.number}-{step}"
                body = {"title": title, "year": step, "author": {"$ref": "/api/author/1"}}
                status, answer = self.request("POST", "/api/book", body)
                if status == 200:
                    self.years[int(answer["$uri"].rsplit("/", 1)[1])] = step
            elif kind == 1:
                self.request("GET", "/api/book?per_page=20&sort=%7B%22year%22%3Atrue%7D")
            elif kind == 2:
                self.request("GET", f"/api/book/{mine[-1]}")
            elif kind == 4:
                book = mine[step % len(mine)]
                status, _ = self.request("PATCH", f"/api/book/{book}", {"year": step})
                if status == 200:
                    self.years[book] = step
            else:
                book = mine[0]
                status, _ = self.request("DELETE", f"/api/book/{book}")
                if status == 204:
                    self.deleted.add(book)


def test_soak_under_gunicorn_has_no_5xx_and_loses_no_acknowledged_write():
    url = sqlalchemy_url("postgres")
    app = create_app(url)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    metadata = app.extensions["served_db"].metadata
    metadata.drop_all(engine)
    metadata.create_all(engine)  # before the server starts: never at import
    with engine.begin() as connection:
        connection.execute(sa.text("insert into served_author (name) values ('Darwin')"))
    server = Gunicorn(url)
    try:
        seconds = float(os.environ.get("POTION_SOAK_SECONDS", "30"))
        deadline = time.monotonic() + seconds
        clients = [Client(server.port, n) for n in range(CLIENTS)]
        threads = [threading.Thread(target=c.run, args=(deadline,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 120)
    finally:
        server.stop()
    try:
        failures = [f for c in clients for f in c.failures]
        assert not failures, failures[:20] + ["".join(server.log[-40:])]
        statuses = sum((c.statuses for c in clients), Counter())
        assert statuses[200] > 100 and statuses[204] > 10, statuses
        with engine.connect() as connection:
            stored = dict(connection.execute(sa.text("select id, year from served_book")).all())
        for client in clients:
            for book, year in client.years.items():
                if book in client.deleted:
                    assert book not in stored, book
                else:
                    assert stored.get(book) == year, (book, year, stored.get(book))
    finally:
        metadata.drop_all(engine)
        engine.dispose()
