"""Real Potion servers for the client tests, served on a loopback port in this process.

``serve(wsgi_app)`` runs a threaded werkzeug server on ``127.0.0.1:<free port>``;
:class:`Wire` sits in front of an app, records every request the client made (so
tests count page fetches) and can answer 503 a given number of times (retries).
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

from werkzeug.serving import WSGIRequestHandler, make_server


class Hit:
    """One request the server received."""

    def __init__(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Any
    ):
        self.method, self.path, self.query, self.headers, self.body = (
            method,
            path,
            query,
            headers,
            body,
        )

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} {self.query}>"


class Wire:
    """WSGI middleware: records each request (method, path, query, headers, JSON body);
    answers 503 to the next ``failures`` requests whose path is ``fail_path``."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.requests: list[Hit] = []
        self.fail_path: str | None = None
        self.failures = 0
        self.lock = threading.Lock()

    def fail(self, path: str, times: int) -> None:
        self.fail_path, self.failures = path, times

    def hits(self, method: str | None = None, path: str | None = None) -> list[dict[str, str]]:
        """The query arguments of each recorded request matching method and path."""
        return [
            hit.query
            for hit in self.requests
            if (method is None or hit.method == method) and (path is None or hit.path == path)
        ]

    def clear(self) -> None:
        self.requests.clear()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(raw)
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        with self.lock:
            self.requests.append(Hit(environ["REQUEST_METHOD"], path, query, headers, body))
            failing = self.failures > 0 and path == self.fail_path
            if failing:
                self.failures -= 1
        if failing:
            body = b'{"message":"Service Unavailable","status":503}'
            start_response(
                "503 SERVICE UNAVAILABLE",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return self.app(environ, start_response)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass  # the wire is recorded by Wire; no access log in the test output


@contextlib.contextmanager
def serve(app: Callable[..., Any]) -> Iterator[str]:
    """Serve ``app`` on a free loopback port; yields its base URL (``http://127.0.0.1:N``)."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="potion-client-test-server")
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
