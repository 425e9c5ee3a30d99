"""The list page's query: search, filters, sort and page, as ``where`` and ``sort``.

The list page keeps its state in its own query string (``q``, one ``f``/``op``/
``v`` triple per filter, ``sort`` as ``field`` or ``-field``, ``page``) and turns
it into the API's ``where`` and ``sort`` parameters; the API parses and checks
them like any client's, so a filter it refuses comes back as its error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping
from urllib.parse import urlencode

from .registry import AdminResource, humanize
from .widgets import LocalError, Widget, widget_for

__all__ = ["OPERATORS", "Filter", "ListState"]

#: The operators of the ``where`` language, in words.
OPERATORS: dict[str, str] = {
    "eq": "equals",
    "ne": "is not",
    "icontains": "contains",
    "contains": "contains (same case)",
    "istartswith": "starts with",
    "startswith": "starts with (same case)",
    "iendswith": "ends with",
    "endswith": "ends with (same case)",
    "lt": "less than",
    "lte": "at most",
    "gt": "greater than",
    "gte": "at least",
    "in": "is one of (comma-separated)",
    "between": "between (two values, comma-separated)",
}


@dataclass
class Filter:
    """One filter of the list: ``field op value`` as typed."""

    key: str
    op: str
    value: str

    def describe(self, entry: AdminResource) -> str:
        field_ = entry.schema_fields.get(self.key)
        title = (getattr(field_, "title", None) or humanize(self.key)) if field_ else self.key
        return f"{title} {OPERATORS.get(self.op, self.op)} {self.value}"


@dataclass
class ListState:
    """What the list shows: the search, the filters, the order and the page."""

    q: str = ""
    search_in: str = ""
    filters: list[Filter] = field(default_factory=list)
    sort: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> ListState:
        keys, ops, values = args.getlist("f"), args.getlist("op"), args.getlist("v")
        filters = [
            Filter(k, o, v.strip())
            for k, o, v in zip(keys, ops, values, strict=False)
            if k and o and v.strip()
        ]
        try:
            page = max(1, int(args.get("page", "1")))
        except ValueError:
            page = 1
        return cls(
            q=args.get("q", "").strip()[:200],
            search_in=args.get("in", "")[:200],
            filters=filters[:20],
            sort=args.get("sort", "")[:200],
            page=page,
        )

    # -- the query string of the page ---------------------------------------------------

    def pairs(self, **changes: Any) -> list[tuple[str, str]]:
        """The page's own query as pairs, with ``changes`` (``page``, ``sort``,
        ``filters``) applied; empty values are left out."""
        q = changes.get("q", self.q)
        search_in = changes.get("search_in", self.search_in)
        filters = changes.get("filters", self.filters)
        sort = changes.get("sort", self.sort)
        page = changes.get("page", self.page)
        pairs: list[tuple[str, str]] = []
        if q:
            pairs.append(("q", q))
            if search_in:
                pairs.append(("in", search_in))
        for item in filters:
            pairs += [("f", item.key), ("op", item.op), ("v", item.value)]
        if sort:
            pairs.append(("sort", sort))
        if page and page != 1:
            pairs.append(("page", str(page)))
        return pairs

    def url(self, base: str, **changes: Any) -> str:
        query = urlencode(self.pairs(**changes))
        return f"{base}?{query}" if query else base

    def without_filter(self, index: int) -> list[Filter]:
        return [f for i, f in enumerate(self.filters) if i != index]

    # -- the API's parameters -----------------------------------------------------------

    def sort_parameter(self, entry: AdminResource) -> tuple[str, bool] | None:
        """``(field, descending)`` when the list is sorted by a sortable field."""
        key = self.sort.lstrip("-")
        if key and key in entry.sortable:
            return key, self.sort.startswith("-")
        return None

    def where(
        self, entry: AdminResource, references: Callable[[Widget, str], Any]
    ) -> tuple[dict[str, Any], list[str]]:
        """The ``where`` of the API for the search and filters, and the problems found.

        ``references(widget, text)`` turns the text typed for a reference into the
        references it stands for (items whose label contains it).
        """
        where: dict[str, Any] = {}
        problems: list[str] = []
        if self.q and entry.search_fields:
            # one field at a time: the where language has no "or"
            key = self.search_in if self.search_in in entry.search_fields else None
            where[key or entry.search_fields[0]] = {"$icontains": self.q}
        for item in self.filters:
            operators: Mapping[str, Any] = entry.filters.get(item.key, {})
            field_ = entry.schema_fields.get(item.key)
            if field_ is None or not operators:
                problems.append(f"Cannot filter on {item.key}")
                continue
            if item.op not in operators:
                problems.append(f"{item.describe(entry)}: this operator does not apply here")
                continue
            widget = widget_for(item.key, field_, creating=False, required=False)
            try:
                value = _operand(widget, item.op, item.value, references)
            except LocalError as exc:
                problems.append(f"{item.describe(entry)}: {exc}")
                continue
            condition = value if item.op == "eq" and widget.kind != "toone" else None
            if condition is None:
                condition = {f"${item.op}": value}
                if widget.kind == "toone" and item.op in ("eq", "in"):
                    condition = {"$in": value}
            if item.key in where:
                problems.append(f"{item.describe(entry)}: one filter per field")
                continue
            where[item.key] = condition
        return where, problems


def _operand(widget: Widget, op: str, text: str, references: Callable[[Widget, str], Any]) -> Any:
    if widget.kind == "toone":
        found = references(widget, text)
        if op == "ne":
            if len(found) != 1:
                raise LocalError(f"{len(found)} items match {text!r}; name exactly one")
            return found[0]
        return found
    if op in ("in", "between"):
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if op == "between" and len(parts) != 2:
            raise LocalError("give two values separated by a comma")
        return [widget.convert_text(part) for part in parts]
    if op in ("contains", "icontains", "startswith", "istartswith", "endswith", "iendswith"):
        if widget.kind == "tomany":
            return widget.convert_text(text)
        return text
    return widget.convert_text(text)
