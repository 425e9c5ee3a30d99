"""The asyncio client, on an ``httpx.AsyncClient``: the same API, awaited.

::

    async with AsyncClient("http://localhost:5000/api") as client:
        book = await client.Book.fetch(1)
        async for book in client.Book.instances(where={"rating": {"$gt": 3}}):
            ...
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, MutableMapping
from typing import Any, Self

import httpx

from .auth import HTTPBearerAuth
from .base import ClientBase
from .collection import AsyncPaginatedList
from .exceptions import NotLoaded
from .resource import ResourceBase, _raw_plan
from .transport import IDEMPOTENT, NOBODY, Call, Plan, Reply, reply_from, retry_delay

__all__ = ["AsyncClient", "AsyncResource"]

_RETRIED_ERRORS = (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ConnectTimeout)


class AsyncResource(ResourceBase):
    """An item of a resource, for :class:`AsyncClient`: every method that talks to the
    server is a coroutine.  A reference's properties are read after ``await item.load()``
    (reading them before raises :class:`~potion.client.exceptions.NotLoaded`)."""

    def _load_now(self) -> None:
        raise NotLoaded(f"{self!r} is not loaded: await its load() before reading its properties")

    @classmethod
    async def fetch(cls, id: Any) -> Self:
        """GET the item with this id."""
        return await cls._client.run(cls._fetch_plan(id))

    @classmethod
    def instances(
        cls,
        where: Mapping[str, Any] | None = None,
        sort: Mapping[str, bool] | None = None,
        page: int | None = None,
        per_page: int | None = None,
        **params: Any,
    ) -> AsyncPaginatedList[Self]:
        """The matching items as a lazy :class:`~potion.client.collection.AsyncPaginatedList`."""
        return AsyncPaginatedList(cls._pager(where, sort, page, per_page, params), cls.__name__)

    @classmethod
    async def first(
        cls,
        where: Mapping[str, Any] | None = None,
        sort: Mapping[str, bool] | None = None,
        **params: Any,
    ) -> Self:
        """The first matching item; ``ItemNotFound`` if none."""
        return await cls._client.run(cls._first_plan(where, sort, params, 1))

    @classmethod
    async def one(
        cls,
        where: Mapping[str, Any] | None = None,
        sort: Mapping[str, bool] | None = None,
        **params: Any,
    ) -> Self:
        """The only matching item; ``ItemNotFound`` / ``MultipleItemsFound`` otherwise."""
        return await cls._client.run(cls._first_plan(where, sort, params, 2))

    @classmethod
    async def create(cls, **properties: Any) -> Self:
        """Create an item with these properties."""
        return await cls(**properties).save()

    @classmethod
    async def described_by(cls) -> dict[str, Any]:
        """The resource's JSON Hyper-Schema."""
        link = cls._link("describedBy")
        return await cls._client.run(_raw_plan(Call(link.method, link.href)))

    async def load(self) -> Self:
        """GET the item: its properties become the server's (unsaved changes stay)."""
        return await self._client.run(self._load_plan())

    async def save(self) -> Self:
        """Create the item (POST) when it has no URI, else PATCH the changed properties."""
        return await self._client.run(self._save_plan())

    async def update(self, *args: Any, **changes: Any) -> Self:  # type: ignore[override]
        """Set these properties and save."""
        MutableMapping.update(self, *args, **changes)
        return await self.save()

    async def delete(self) -> None:
        """DELETE the item."""
        await self._client.run(self._delete_plan())

    async def destroy(self) -> None:
        """DELETE the item (the same as :meth:`delete`)."""
        await self.delete()


class AsyncClient(ClientBase):
    """The asyncio client: :class:`~potion.client.Client`'s API, awaited.

    The schema is read on ``async with AsyncClient(url) as client`` (or by
    ``await client.fetch_schema()``).  ``session_options`` are arguments of the
    ``httpx.AsyncClient`` (``auth=``, ``headers=``, ``verify=``, ``timeout=``...).
    """

    resource_class = AsyncResource
    list_class = AsyncPaginatedList

    def __init__(
        self,
        api_root_url: str,
        schema_path: str = "/schema",
        fetch_schema: bool = True,
        *,
        token: str | None = None,
        retries: int = 3,
        backoff: float = 0.5,
        **session_options: Any,
    ) -> None:
        super().__init__(api_root_url, schema_path, retries=retries, backoff=backoff)
        self._fetch_on_enter = fetch_schema
        self.session = httpx.AsyncClient(**session_options)
        if token is not None:
            self._use_token(token)

    async def __aenter__(self) -> AsyncClient:
        if self._fetch_on_enter and not self._schema_loaded:
            await self.fetch_schema()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self.session.aclose()

    def __getattr__(self, name: str) -> Any:
        if name[:1].isupper() and not self.__dict__.get("_schema_loaded", True):
            raise AttributeError(
                f"{name}: the schema is not read yet; use 'async with AsyncClient(...)' "
                "or 'await client.fetch_schema()' first"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    async def fetch_schema(self) -> dict[str, Any]:
        """Read the root schema and every resource's schema (concurrently)."""
        return await self.run(self._schema_plan())

    async def fetch(self, uri: str, params: dict[str, Any] | None = None) -> Any:
        """GET any URI of the API and decode the answer."""
        from .codec import dumps, encode

        query = {
            k: v if isinstance(v, str) else dumps(encode(v)) for k, v in (params or {}).items()
        }
        reply = await self.send(Call("GET", uri, params=query or None))
        return self.decode(reply.data)

    async def login(self, username: str, password: str) -> str:
        """Get a token from ``POST {api}/auth/token`` and send it from now on."""
        return await self.run(self._login_plan(username, password))

    def _use_token(self, token: str) -> None:
        self.session.auth = HTTPBearerAuth(token)

    async def run(self, plan: Plan[Any]) -> Any:
        """Carry out an operation; the calls of one step run concurrently."""
        try:
            step = next(plan)
            while True:
                if isinstance(step, list):
                    answer: Any = list(await asyncio.gather(*(self.send(call) for call in step)))
                else:
                    answer = await self.send(step)
                step = plan.send(answer)
        except StopIteration as stop:
            return stop.value
        finally:
            plan.close()

    async def send(self, call: Call) -> Reply:
        """Send one request (retrying idempotent ones); an error answer raises its APIError."""
        options: dict[str, Any] = {}
        if call.params:
            options["params"] = call.params
        if call.json is not NOBODY:
            options["json"] = call.json
        url = self.url(call.url)
        retry = call.method in IDEMPOTENT
        attempt = 0
        while True:
            try:
                response = await self.session.request(call.method, url, **options)
            except _RETRIED_ERRORS:
                if not retry or attempt >= self.retries:
                    raise
                await asyncio.sleep(retry_delay(attempt, self.backoff))
                attempt += 1
                continue
            if response.status_code == 503 and retry and attempt < self.retries:
                await asyncio.sleep(
                    retry_delay(attempt, self.backoff, response.headers.get("Retry-After"))
                )
                attempt += 1
                continue
            return reply_from(
                response.status_code,
                response.headers,
                response.content,
                response.reason_phrase,
                response,
            )
