"""References between resources, as the admin shows them: names, links and choices.

A reference of the API (``{"$ref": "/api/author/1"}``) is shown by the label of
the item it points to, read from the target resource's list route (one request
for up to 100 references), and offered in selects from the same route; the user
sees only the items they may read.
"""

from __future__ import annotations

from typing import Any, Iterable

from flask import current_app, url_for

from .dispatch import call_api
from .widgets import LocalError, Widget, reference_of

__all__ = ["References", "page_size"]


def page_size() -> int:
    """The largest page the Api serves (``POTION_MAX_PER_PAGE``), at most 100."""
    return max(1, min(100, int(current_app.config.get("POTION_MAX_PER_PAGE", 100))))


class References:
    """Labels, links and choices of referenced items, for ``admin``'s pages."""

    def __init__(self, admin: Any) -> None:
        self.admin = admin

    def labels(self, target: Any, references: Iterable[str]) -> dict[str, str]:
        """``{reference: label}`` for references to items of ``target`` the user may
        read (one API request per page of references)."""
        entry = self.admin.resource(target)
        if entry is None or not entry.can("read"):
            return {}
        prefix = entry.prefix + "/"
        wanted = sorted(
            {r for r in references if r.startswith(prefix) and "/" not in r[len(prefix) :]}
        )
        if not wanted:
            return {}
        found: dict[str, str] = {}
        uri_in = "in" in entry.filters.get("$uri", {}) and entry.id_key == "$uri"
        size = page_size()
        for start in range(0, len(wanted), size):
            chunk = wanted[start : start + size]
            if uri_in:
                answer = call_api(
                    "GET",
                    entry.prefix,
                    {"where": {"$uri": {"$in": chunk}}, "per_page": len(chunk)},
                )
                items = answer.data if answer.ok and isinstance(answer.data, list) else []
            else:
                items = []
                for reference in chunk:
                    one = call_api("GET", reference)
                    if one.ok and isinstance(one.data, dict):
                        items.append(one.data)
            for item in items:
                found[entry.api_path(entry.id_of(item))] = entry.label_of(item)
        return found

    def link_of(self, target: Any, reference: str) -> str | None:
        """The admin page of a referenced item, when the admin shows its resource."""
        entry = self.admin.resource(target)
        if entry is None or not reference.startswith(entry.prefix + "/"):
            return None
        return url_for(".item", name=entry.name, item_id=reference[len(entry.prefix) + 1 :])

    def choices(self, target: Any, limit: int | None = None) -> list[tuple[str, str]]:
        """``(reference, label)`` of the items of ``target`` the user may read, by label."""
        entry = self.admin.resource(target)
        if entry is None or not entry.can("read"):
            return []
        limit = limit or entry.choices_limit
        per_page = page_size()
        query: dict[str, Any] = {"per_page": per_page}
        if entry.label_field in entry.sortable:
            query["sort"] = {entry.label_field: False}
        found: list[tuple[str, str]] = []
        page = 1
        while len(found) < limit:
            answer = call_api("GET", entry.prefix, dict(query, page=page))
            if not answer.ok or not isinstance(answer.data, list) or not answer.data:
                break
            for item in answer.data:
                found.append((entry.api_path(entry.id_of(item)), entry.label_of(item)))
            if len(answer.data) < per_page:
                break
            page += 1
        return found[:limit]

    def matching(self, widget: Widget, text: str) -> list[Any]:
        """References to items of a ToOne's target whose label contains ``text``."""
        if text.startswith("/"):
            return [{"$ref": text}]
        entry = self.admin.resource(widget.target)
        if entry is None or entry.label_field is None or not entry.can("read"):
            raise LocalError("its items cannot be searched")
        if "icontains" not in entry.filters.get(entry.label_field, {}):
            raise LocalError("its items cannot be searched by name")
        answer = call_api(
            "GET",
            entry.prefix,
            {"where": {entry.label_field: {"$icontains": text}}, "per_page": page_size()},
        )
        items = answer.data if answer.ok and isinstance(answer.data, list) else []
        return [{"$ref": entry.api_path(entry.id_of(item))} for item in items]

    def cell(self, widget: Widget, value: Any, labels: dict[str, str]) -> dict[str, Any]:
        """A value shown as text, with a link for a reference."""
        if widget.kind in ("toone", "tomany"):
            values = value if isinstance(value, list) else [value] if value is not None else []
            links = []
            for one in values:
                reference = reference_of(one)
                links.append(
                    {
                        "text": labels.get(reference, reference),
                        "href": self.link_of(widget.target, reference)
                        if reference in labels
                        else None,
                    }
                )
            return {"links": links, "text": ""}
        return {"links": None, "text": widget.display(value)}
