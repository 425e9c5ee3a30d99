"""Lazy paginated lists: the answer of ``instances()`` and of every paginated link.

A list fetches nothing when it is made. Each page is fetched the first time one of its
items is needed (``len()`` needs the first page, for its ``X-Total-Count``) and kept.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from .codec import dumps, encode
from .exceptions import ItemNotFound
from .transport import Call, Plan

if TYPE_CHECKING:
    from .links import Link

__all__ = ["Pager", "PaginatedList", "AsyncPaginatedList"]

T = TypeVar("T")

DEFAULT_PER_PAGE = 20


class Pager:
    """The pages of one list request: the query, the page size, the pages fetched so far
    and the total count the server announced."""

    def __init__(
        self,
        client: Any,
        href: str,
        params: Mapping[str, Any],
        item_class: Any = None,
        link: Link | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> None:
        default, maximum = link.per_page_bounds() if link is not None else (None, None)
        size = per_page or default or DEFAULT_PER_PAGE
        if maximum:
            size = min(size, maximum)  # the server clamps to its maximum too
        if size < 1 or (page is not None and page < 1):
            raise ValueError("page and per_page must be positive integers")
        self.client = client
        self.href = href
        self.params = {k: v for k, v in params.items() if v is not None}
        self.query = {k: dumps(encode(v)) for k, v in self.params.items()}
        self.item_class = item_class
        self.rel = link.rel if link is not None else "instances"
        self.fixed_page = page
        self.per_page = size
        self.pages: dict[int, list[Any]] = {}
        self.total: int | None = None

    def plan(self, number: int) -> Plan[list[Any]]:
        """Fetch page ``number`` (1-based), remember it and the total count."""
        query = dict(self.query, page=str(number), per_page=str(self.per_page))
        reply = yield Call("GET", self.href, params=query)
        items = self.client.decode(reply.data or [], cls=self.item_class)
        count = reply.headers.get("X-Total-Count")
        if count is not None and count.isdigit():
            self.total = int(count)
        elif len(items) < self.per_page:  # no header: a short page is the last one
            self.total = (number - 1) * self.per_page + len(items)
        self.pages[number] = items
        return items

    def locate(self, index: int) -> tuple[int, int]:
        """(page number, offset in the page) of item ``index``."""
        return index // self.per_page + 1, index % self.per_page

    def has_page_after(self, number: int) -> bool:
        items = self.pages.get(number, [])
        if self.total is not None:
            return number * self.per_page < self.total
        return len(items) >= self.per_page

    def describe(self, owner: str) -> str:
        arguments = [f"{k}={v!r}" for k, v in self.params.items()]
        if self.fixed_page is not None:
            arguments.append(f"page={self.fixed_page}")
        arguments.append(f"per_page={self.per_page}")
        return f"{owner}.{self.rel}({', '.join(arguments)})"


class PaginatedList(Sequence[T]):
    """A sequence over every item the request matches (or, when ``page`` was given, over
    that page only), fetched page by page as items are needed.

    ``len()`` is the server's ``X-Total-Count``; indexing, slicing and iteration fetch only
    the pages they reach; a fetched page is never fetched again.
    """

    def __init__(self, pager: Pager, owner: str = "") -> None:
        self._pager = pager
        self._owner = owner

    def _page(self, number: int) -> list[T] | None:
        pager = self._pager
        if number not in pager.pages:
            try:
                pager.client.run(pager.plan(number))
            except ItemNotFound:  # past the last page
                return None
        return pager.pages[number]

    def __len__(self) -> int:
        pager = self._pager
        if pager.fixed_page is not None:
            return len(self._page(pager.fixed_page) or [])
        if pager.total is None:
            self._page(1)
        if pager.total is None:  # no X-Total-Count: count by fetching
            return sum(1 for _ in self)
        return pager.total

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        pager = self._pager
        if pager.fixed_page is not None:
            return (self._page(pager.fixed_page) or [])[index]
        if index < 0:
            index += len(self)
        if index < 0 or (pager.total is not None and index >= pager.total):
            raise IndexError("PaginatedList index out of range")
        number, offset = pager.locate(index)
        items = self._page(number)
        if items is None or offset >= len(items):
            raise IndexError("PaginatedList index out of range")
        return items[offset]

    def __iter__(self) -> Iterator[T]:
        pager = self._pager
        if pager.fixed_page is not None:
            yield from self._page(pager.fixed_page) or []
            return
        number = 1
        while True:
            items = self._page(number)
            if not items:
                return
            yield from items
            if not pager.has_page_after(number):
                return
            number += 1

    def __repr__(self) -> str:
        return f"PaginatedList({self._pager.describe(self._owner)})"


class AsyncPaginatedList(Generic[T]):
    """The async counterpart of :class:`PaginatedList`: ``async for item in items``,
    ``await items[3]``, ``await items[2:5]`` and ``await items.count()``.

    ``len(items)`` works once a page has been fetched (it is the server's count then).
    """

    def __init__(self, pager: Pager, owner: str = "") -> None:
        self._pager = pager
        self._owner = owner

    async def _page(self, number: int) -> list[T] | None:
        pager = self._pager
        if number not in pager.pages:
            try:
                await pager.client.run(pager.plan(number))
            except ItemNotFound:
                return None
        return pager.pages[number]

    async def count(self) -> int:
        """The number of items: the server's ``X-Total-Count`` (fetches the first page)."""
        pager = self._pager
        if pager.fixed_page is not None:
            return len(await self._page(pager.fixed_page) or [])
        if pager.total is None:
            await self._page(1)
        if pager.total is None:
            return len([item async for item in self])
        return pager.total

    def __len__(self) -> int:
        pager = self._pager
        if pager.fixed_page is not None and pager.fixed_page in pager.pages:
            return len(pager.pages[pager.fixed_page])
        if pager.fixed_page is None and pager.total is not None:
            return pager.total
        raise TypeError("the length of an AsyncPaginatedList is known once fetched: await .count()")

    @overload
    def __getitem__(self, index: int) -> Awaitable[T]: ...

    @overload
    def __getitem__(self, index: slice) -> Awaitable[list[T]]: ...

    def __getitem__(self, index: int | slice) -> Awaitable[T] | Awaitable[list[T]]:
        if isinstance(index, slice):
            return self._slice(index)
        return self._item(index)

    async def _slice(self, index: slice) -> list[T]:
        return [await self._item(i) for i in range(*index.indices(await self.count()))]

    async def _item(self, index: int) -> T:
        pager = self._pager
        if pager.fixed_page is not None:
            return (await self._page(pager.fixed_page) or [])[index]
        if index < 0:
            index += await self.count()
        if index < 0 or (pager.total is not None and index >= pager.total):
            raise IndexError("AsyncPaginatedList index out of range")
        number, offset = pager.locate(index)
        items = await self._page(number)
        if items is None or offset >= len(items):
            raise IndexError("AsyncPaginatedList index out of range")
        return items[offset]

    async def __aiter__(self) -> AsyncIterator[T]:
        pager = self._pager
        if pager.fixed_page is not None:
            for item in await self._page(pager.fixed_page) or []:
                yield item
            return
        number = 1
        while True:
            items = await self._page(number)
            if not items:
                return
            for item in items:
                yield item
            if not pager.has_page_after(number):
                return
            number += 1

    def __repr__(self) -> str:
        return f"AsyncPaginatedList({self._pager.describe(self._owner)})"
