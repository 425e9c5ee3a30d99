"""The links of a resource schema, and the methods the client makes of them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .names import snake_case

__all__ = ["Link", "BUILTIN_RELS", "link_method"]

BUILTIN_RELS = frozenset({"self", "instances", "create", "update", "destroy", "describedBy"})
"""Rels the Resource class serves with its own methods (fetch, instances, save, delete...)."""

_PLACEHOLDER = re.compile(r"{(\w+)}")


@dataclass
class Link:
    """One entry of a schema's ``links``: rel, method, href (with ``{id}``-style
    placeholders) and the request and response schemas."""

    rel: str
    href: str
    method: str = "GET"
    schema: Any = None
    target_schema: Any = None
    title: str | None = None
    description: str | None = None
    placeholders: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        self.placeholders = _PLACEHOLDER.findall(self.href)

    @classmethod
    def from_schema(cls, data: Mapping[str, Any]) -> Link:
        """The Link of one ``links`` entry of a Hyper-Schema."""
        return cls(
            rel=data["rel"],
            href=data["href"],
            method=data.get("method", "GET"),
            schema=data.get("schema"),
            target_schema=data.get("targetSchema"),
            title=data.get("title"),
            description=data.get("description"),
        )

    @property
    def name(self) -> str:
        """The Python method name: the rel in snake_case."""
        return snake_case(self.rel)

    @property
    def requires_instance(self) -> bool:
        """True when the href has ``{id}``: the link is an instance method."""
        return "id" in self.placeholders

    @property
    def properties(self) -> dict[str, Any]:
        """The ``properties`` of an object request schema (empty otherwise)."""
        if isinstance(self.schema, Mapping) and isinstance(self.schema.get("properties"), Mapping):
            return dict(self.schema["properties"])
        return {}

    @property
    def returns_pagination(self) -> bool:
        """A GET link taking ``page`` and ``per_page``: it answers a paginated list."""
        return self.method == "GET" and {"page", "per_page"} <= set(self.properties)

    @property
    def returns_items(self) -> bool:
        """The answer is an item of the resource (``{"$ref": "#"}``) or a list of them."""
        target = self.target_schema
        if not isinstance(target, Mapping):
            return False
        if target.get("$ref") == "#":
            return True
        items = target.get("items")
        return (
            target.get("type") == "array"
            and isinstance(items, Mapping)
            and items.get("$ref") == "#"
        )

    def per_page_bounds(self) -> tuple[int | None, int | None]:
        """The ``default`` and ``maximum`` of the ``per_page`` argument, when declared."""
        spec = self.properties.get("per_page")
        if not isinstance(spec, Mapping):
            return None, None
        return spec.get("default"), spec.get("maximum")

    def expand(self, values: Mapping[str, Any]) -> str:
        """The href with every placeholder replaced by its (URL-quoted) value."""
        return _PLACEHOLDER.sub(lambda m: quote(str(values[m.group(1)]), safe=""), self.href)


def link_method(link: Link) -> Callable[..., Any]:
    """The method a resource class gets for ``link``: an instance method when its href
    has ``{id}``, a class method otherwise.  Arguments: the other placeholders (by position
    or name), then either one positional value (the whole request body) or keyword
    arguments (an object body; the query string for GET)."""

    if link.requires_instance:

        def instance_method(self: Any, *args: Any, **kwargs: Any) -> Any:
            return self._client._call_link(link, type(self), self, args, kwargs)

        method: Callable[..., Any] = instance_method
    else:

        def class_method(cls: Any, *args: Any, **kwargs: Any) -> Any:
            return cls._client._call_link(link, cls, None, args, kwargs)

        method = class_method
    method.__name__ = link.name
    method.__qualname__ = link.name
    method.__doc__ = _doc(link)
    return method if link.requires_instance else classmethod(method)  # type: ignore[return-value]


def _doc(link: Link) -> str:
    lines = [f"{link.method} {link.href} (rel {link.rel!r})."]
    if link.title:
        lines.insert(0, link.title)
    if link.description:
        lines.append(link.description)
    return "\n\n".join(lines)
