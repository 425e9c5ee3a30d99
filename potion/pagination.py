"""Pages of items and the ``Link`` / ``X-Total-Count`` headers that describe them."""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence
from urllib.parse import urlencode

__all__ = ["Pagination", "link_header", "pagination_headers"]


class Pagination:
    """One page of ``items`` out of ``total`` items, ``per_page`` to a page."""

    __slots__ = ("items", "page", "per_page", "total")

    def __init__(self, items: Sequence[Any], page: int, per_page: int, total: int) -> None:
        self.items = items
        self.page = page
        self.per_page = per_page
        self.total = total

    @classmethod
    def from_list(cls, items: Sequence[Any], page: int, per_page: int) -> Pagination:
        start = (page - 1) * per_page
        return cls(list(items[start : start + per_page]), page, per_page, len(items))

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def __iter__(self) -> Any:
        return iter(self.items)

    def __repr__(self) -> str:
        return f"Pagination(page={self.page}, per_page={self.per_page}, total={self.total})"


def link_header(path: str, page: Pagination, args: Iterable[tuple[str, str]] = ()) -> str:
    """The ``Link`` header: ``self``, ``first``, ``prev``, ``next`` and ``last``.

    Every query parameter of the request other than ``page`` and ``per_page`` is
    kept, so following ``next`` keeps the filter and the order.
    """
    # the query of every link but its page number, encoded once
    extra = urlencode([(k, v) for k, v in args if k not in ("page", "per_page")])
    rest = f"&per_page={page.per_page}" + (f"&{extra}" if extra else "")

    def link(number: int, rel: str) -> str:
        return f'<{path}?page={number}{rest}>; rel="{rel}"'

    links = [link(page.page, "self")]
    if page.has_prev:
        links.append(link(1, "first"))
        links.append(link(page.page - 1, "prev"))
    if page.has_next:
        links.append(link(page.page + 1, "next"))
    links.append(link(page.pages, "last"))
    return ",".join(links)


def pagination_headers(
    path: str, page: Pagination, args: Iterable[tuple[str, str]] = ()
) -> dict[str, str]:
    return {"Link": link_header(path, page, args), "X-Total-Count": str(page.total)}
