"""Database faults for tests: a loopback proxy that can refuse and cut connections, and
killing a connection from the server's side (``pg_terminate_backend``, ``KILL``).

Everything here talks to loopback addresses only and stops by itself.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .databases import _admin_connection

#: The body of every 503 of an outage.
UNAVAILABLE = {"message": "The database is unavailable", "status": 503}


def assert_unavailable(response: Any) -> None:
    """``response`` is the JSON 503 of an outage, with ``Retry-After``."""
    assert response.status_code == 503, (response.status_code, response.get_data())
    assert response.get_json() == UNAVAILABLE
    assert response.headers["Retry-After"].isdigit()


class Proxy:
    """A TCP proxy on a loopback port in front of a database server.

    ``down()`` closes every proxied connection and stops listening, so new
    connections are refused, as when the server is stopped; ``up()`` listens on
    the same port again; ``cut()`` closes the proxied connections but keeps
    listening, as when the server restarted or a firewall dropped idle
    connections.
    """

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._pending: list[tuple[Any, threading.Event]] = []
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._thread = threading.Thread(target=self._run, name="db-proxy", daemon=True)
        self.up()
        self._thread.start()

    # -- control -------------------------------------------------------------------

    def url(self, url: str) -> str:
        """``url`` with its host and port replaced by the proxy's."""
        parts = urlsplit(url)
        auth = parts.netloc.rpartition("@")[0]
        netloc = (auth + "@" if auth else "") + f"127.0.0.1:{self.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    def up(self) -> None:
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(16)
            listener.setblocking(False)
            self.port = listener.getsockname()[1]
            self._listener = listener
        self._call(lambda: self._selector.register(listener, selectors.EVENT_READ, "accept"))

    def down(self) -> None:
        """Refuse new connections and cut the open ones."""
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            self._call(lambda: self._forget(listener))
        self.cut()

    def cut(self) -> None:
        """Close every proxied connection (the clients see the server hang up)."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            self._call(lambda pair=pair: [self._forget(s) for s in pair])

    def close(self) -> None:
        self.down()
        self._stop.set()
        self._wake()
        self._thread.join(10)
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    # -- the loop ------------------------------------------------------------------

    def _call(self, action: Any) -> None:
        """Run ``action`` in the proxy's thread (the selector is not thread-safe)."""
        done = threading.Event()
        with self._lock:
            self._pending.append((action, done))
        self._wake()
        if threading.current_thread() is not self._thread and self._thread.is_alive():
            done.wait(10)
        else:
            self._run_pending()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def _run_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        for action, done in pending:
            try:
                action()
            finally:
                done.set()

    def _forget(self, sock: socket.socket) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            for key, _events in self._selector.select(timeout=1):
                sock: Any = key.fileobj
                if sock is self._wake_r:
                    with contextlib.suppress(OSError):
                        sock.recv(4096)
                    self._run_pending()
                elif key.data == "accept":
                    self._accept(sock)
                elif isinstance(key.data, socket.socket):
                    self._pump(sock, key.data)
            self._run_pending()

    def _accept(self, listener: socket.socket) -> None:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        try:
            server = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        client.setblocking(False)
        server.setblocking(False)
        with self._lock:
            self._pairs.append((client, server))
        self._selector.register(client, selectors.EVENT_READ, server)
        self._selector.register(server, selectors.EVENT_READ, client)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            data = source.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            try:
                sink.setblocking(True)
                sink.sendall(data)
                sink.setblocking(False)
                return
            except OSError:
                pass
        with self._lock:
            self._pairs = [p for p in self._pairs if source not in p]
        self._forget(source)
        self._forget(sink)


@contextlib.contextmanager
def proxy_for(url: str) -> Iterator[Proxy]:
    """A :class:`Proxy` in front of the server of ``url`` (closed afterwards)."""
    parts = urlsplit(url)
    proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or _DEFAULT_PORTS[parts.scheme])
    try:
        yield proxy
    finally:
        proxy.close()


_DEFAULT_PORTS = {"postgresql": 5432, "postgres": 5432, "mysql": 3306}


class Killer:
    """Kills connections from the server's side, as an operator or a failover would.

    ``kill_all(database)`` ends every connection to the suite's own test
    ``database`` (``pg_terminate_backend``, or ``KILL`` on MariaDB);
    ``kill(pid)`` ends one, waiting until it is gone.
    """

    def __init__(self, kind: str, base_url: str) -> None:
        self.kind = kind
        self.connection = _admin_connection(kind, base_url)

    def kill(self, pid: int) -> None:
        with self.connection.cursor() as cursor:
            if self.kind == "postgres":
                # waits (up to 10 s) until the server process has exited
                cursor.execute("select pg_terminate_backend(%s, 10000)", (pid,))
            else:
                with contextlib.suppress(Exception):  # already gone
                    cursor.execute(f"KILL {int(pid)}")

    def kill_all(self, database: str) -> int:
        with self.connection.cursor() as cursor:
            if self.kind == "postgres":
                cursor.execute(
                    "select pid from pg_stat_activity where datname = %s and pid <> pg_backend_pid()",
                    (database,),
                )
            else:
                cursor.execute(
                    "select id from information_schema.processlist "
                    "where db = %s and id <> connection_id()",
                    (database,),
                )
            pids = [row[0] for row in cursor.fetchall()]
        for pid in pids:
            self.kill(pid)
        return len(pids)

    def close(self) -> None:
        self.connection.close()


def backend_pid(dbapi_connection: Any) -> int:
    """The server's id of a DB-API connection (psycopg2 or PyMySQL)."""
    if hasattr(dbapi_connection, "get_backend_pid"):
        return int(dbapi_connection.get_backend_pid())
    if hasattr(dbapi_connection, "info") and hasattr(dbapi_connection.info, "backend_pid"):
        return int(dbapi_connection.info.backend_pid)
    return int(dbapi_connection.thread_id())
