"""Serving an app over HTTP on a loopback port for race and soak tests."""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any

from werkzeug.serving import make_server


@contextlib.contextmanager
def serve(app: Any) -> Iterator[int]:
    """Serve ``app`` with werkzeug's threaded server on 127.0.0.1; yields the port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="served-app", daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


def call(port: int, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """One HTTP request on a connection of its own: ``(status, decoded JSON or None)``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        try:
            decoded = json.loads(raw) if raw else None
        except ValueError:
            decoded = raw.decode(errors="replace")
        return response.status, decoded
    finally:
        connection.close()


def at_once(calls: list[Any]) -> list[Any]:
    """Run the callables in threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, function: Any) -> None:
        barrier.wait(30)
        try:
            results[index] = function()
        except Exception as exc:  # reported, not swallowed
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results
