"""The synchronous client, on a requests ``Session``."""

from __future__ import annotations

import time
from typing import Any

import requests

from .auth import HTTPBearerAuth
from .base import ClientBase
from .collection import PaginatedList
from .resource import Resource
from .transport import IDEMPOTENT, NOBODY, Call, Plan, Reply, reply_from, retry_delay

__all__ = ["Client"]


class Client(ClientBase):
    """A client of one Potion API, with a class per resource: ``client.Book``.

    :param api_root_url: the API's root, e.g. ``http://localhost:5000/api``.
    :param schema_path: the root schema, relative to ``api_root_url``.
    :param fetch_schema: read the schema now; when False it is read the first time a
        resource class is asked for (or call :meth:`fetch_schema`).
    :param token: a bearer token sent with every request (see :meth:`login`).
    :param retries: how often an idempotent request (GET, PUT, DELETE...) is retried after a
        503 answer or a connection error, waiting ``backoff * 2 ** attempt`` seconds
        (or the answer's ``Retry-After``) in between.
    :param timeout: seconds to wait for the server (requests' ``timeout``), None for ever.
    :param session_options: set as attributes of the ``requests.Session``
        (``auth=``, ``headers=``, ``verify=``, ``cert=``, ``proxies=``...), as potion-client did.
    """

    resource_class = Resource
    list_class = PaginatedList

    def __init__(
        self,
        api_root_url: str,
        schema_path: str = "/schema",
        fetch_schema: bool = True,
        *,
        token: str | None = None,
        retries: int = 3,
        backoff: float = 0.5,
        timeout: float | None = None,
        **session_options: Any,
    ) -> None:
        super().__init__(api_root_url, schema_path, retries=retries, backoff=backoff)
        self.timeout = timeout
        self.session = requests.Session()
        for key, value in session_options.items():
            setattr(self.session, key, value)
        if token is not None:
            self._use_token(token)
        if fetch_schema:
            self.fetch_schema()

    def fetch_schema(self) -> dict[str, Any]:
        """Read the root schema and every resource's schema; build their classes."""
        return self.run(self._schema_plan())

    def __getattr__(self, name: str) -> Any:
        # Resource classes are attributes once the schema is read; read it on first use.
        if (
            name.startswith("_")
            or not name[:1].isupper()
            or self.__dict__.get("_schema_loaded", True)
        ):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        self.fetch_schema()
        return object.__getattribute__(self, name)

    def fetch(self, uri: str, params: dict[str, Any] | None = None) -> Any:
        """GET any URI of the API and decode the answer (references become instances)."""
        from .codec import dumps, encode

        query = {
            k: v if isinstance(v, str) else dumps(encode(v)) for k, v in (params or {}).items()
        }
        return self.run(_fetch_plan(self, uri, query))

    def login(self, username: str, password: str) -> str:
        """Ask the API's token route (``POST {api}/auth/token``) for a token and send it
        with every later request; returns the token.  A refused login raises
        :class:`~potion.client.exceptions.Unauthorized` (or the error the API answered)."""
        return self.run(self._login_plan(username, password))

    def _use_token(self, token: str) -> None:
        self.session.auth = HTTPBearerAuth(token)

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- running plans ------------------------------------------------------------------------

    def run(self, plan: Plan[Any]) -> Any:
        """Carry out an operation, one request after the other."""
        try:
            step = next(plan)
            while True:
                if isinstance(step, list):
                    answer: Any = [self.send(call) for call in step]
                else:
                    answer = self.send(step)
                step = plan.send(answer)
        except StopIteration as stop:
            return stop.value
        finally:
            plan.close()

    def send(self, call: Call) -> Reply:
        """Send one request (retrying idempotent ones); an error answer raises its APIError."""
        options: dict[str, Any] = {"timeout": self.timeout}
        if call.params:
            options["params"] = call.params
        if call.json is not NOBODY:
            options["json"] = call.json
        url = self.url(call.url)
        retry = call.method in IDEMPOTENT
        attempt = 0
        while True:
            try:
                response = self.session.request(call.method, url, **options)
            except requests.ConnectionError as exc:
                if (
                    not retry
                    or attempt >= self.retries
                    or isinstance(exc, requests.exceptions.SSLError)
                ):
                    raise
                time.sleep(retry_delay(attempt, self.backoff))
                attempt += 1
                continue
            if response.status_code == 503 and retry and attempt < self.retries:
                response.close()
                time.sleep(retry_delay(attempt, self.backoff, response.headers.get("Retry-After")))
                attempt += 1
                continue
            return reply_from(
                response.status_code,
                response.headers,
                response.content,
                response.reason or "",
                response,
            )


def _fetch_plan(client: ClientBase, uri: str, query: dict[str, str]) -> Plan[Any]:
    reply = yield Call("GET", uri, params=query or None)
    return client.decode(reply.data)
