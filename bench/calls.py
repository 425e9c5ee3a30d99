"""Requests and responses of the benchmark, and the two minimal servers that make them.

A :class:`Call` is one HTTP request as an operation describes it.  It becomes a
WSGI environ or an ASGI scope before the clock starts; :func:`call_wsgi` and
:func:`call_asgi` are the whole server: they hand the request to the app and
collect the status, the headers and the body, nothing else.
"""

from __future__ import annotations

import dataclasses
import io
import sys
from typing import Any, Callable
from urllib.parse import urlencode

import orjson

__all__ = ["Call", "Response", "CheckFailed", "expect", "call_wsgi", "call_asgi"]

_NO_BODY = object()


@dataclasses.dataclass
class Call:
    """One HTTP request, as the operation describes it."""

    method: str
    path: str
    query: dict[str, Any] | str = ""
    body: Any = _NO_BODY
    headers: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def body_bytes(self) -> bytes:
        return b"" if self.body is _NO_BODY else orjson.dumps(self.body)

    @property
    def query_string(self) -> str:
        return self.query if isinstance(self.query, str) else urlencode(self.query)

    def environ(self) -> dict[str, Any]:
        """A WSGI environ for this request, built by hand (no test client)."""
        body = self.body_bytes
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": self.path,
            "QUERY_STRING": self.query_string,
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "localhost",
            "HTTP_ACCEPT": "application/json",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        if body:
            environ["CONTENT_TYPE"] = "application/json"
            environ["CONTENT_LENGTH"] = str(len(body))
        for name, value in self.headers.items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        return environ

    def scope(self) -> tuple[dict[str, Any], bytes]:
        """An ASGI HTTP scope for this request and its body, as a server builds them."""
        body = self.body_bytes
        headers = [(b"host", b"localhost"), (b"accept", b"application/json")]
        if body:
            headers.append((b"content-type", b"application/json"))
            headers.append((b"content-length", str(len(body)).encode()))
        for name, value in self.headers.items():
            headers.append((name.lower().encode(), value.encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": self.method,
            "scheme": "http",
            "path": self.path,
            "raw_path": self.path.encode(),
            "query_string": self.query_string.encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("localhost", 80),
            "state": {},
        }
        return scope, body


def call_wsgi(wsgi_app: Callable[..., Any], environ: dict[str, Any]) -> tuple[str, Any, bytes]:
    """The minimal WSGI server: call the app, collect status, headers and body."""
    started: list[Any] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        started[:] = (status, headers)
        return None

    iterable = wsgi_app(environ, start_response)
    try:
        body = b"".join(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    return started[0], started[1], body


async def call_asgi(asgi_app: Any, scope: dict[str, Any], body: bytes) -> tuple[str, Any, bytes]:
    """The minimal ASGI server: the same as :func:`call_wsgi`, one ``await`` of the app.

    ``receive`` hands over the whole body in one message, ``send`` collects the
    messages; the result has the WSGI shape, so both are checked alike.
    """
    status: list[Any] = []
    chunks: list[bytes] = []
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return pending.pop() if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status[:] = (message["status"], message.get("headers", ()))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await asgi_app(scope, receive, send)
    code, raw_headers = status
    headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw_headers]
    return str(code), headers, b"".join(chunks)


@dataclasses.dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    #: the contestant that sent it (how it reports a list's total, its create status)
    contestant: Any = dataclasses.field(default=None, repr=False)

    @classmethod
    def from_wsgi(cls, raw: tuple[str, Any, bytes], **kwargs: Any) -> Response:
        status, headers, body = raw
        headers = {k.lower(): v for k, v in headers}
        return cls(int(status.split(" ", 1)[0]), headers, body, **kwargs)

    def json(self) -> Any:
        return orjson.loads(self.body)


class CheckFailed(AssertionError):
    pass


def expect(
    response: Response, status: int, body: Any = None, total: int | None = None, **headers: str
) -> Any:
    """Assert the status, the JSON body and the list's total (when given) and some
    headers; the parsed body."""
    if response.status != status:
        raise CheckFailed(f"status {response.status}, expected {status}: {response.body[:300]!r}")
    if not response.headers.get("content-type", "").startswith("application/json"):
        raise CheckFailed(f"content type {response.headers.get('content-type')!r}")
    data = response.json()
    if body is not None and data != body:
        raise CheckFailed(f"body {data!r}\n  expected {body!r}")
    if total is not None:
        contestant = response.contestant
        actual = (
            contestant.total(response)
            if contestant is not None
            else response.headers.get("x-total-count")
        )
        if actual != str(total):
            raise CheckFailed(f"total {actual!r}, expected {total}")
    for name, value in headers.items():
        actual = response.headers.get(name.replace("_", "-").lower())
        if actual != value:
            raise CheckFailed(f"header {name}: {actual!r}, expected {value!r}")
    return data
