"""The create and edit forms: their widgets, the submitted form as a request body, and
the rows the form template draws."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import request

from .references import References
from .registry import AdminResource
from .widgets import OMIT, LocalError, Widget, reference_of, widget_for

__all__ = ["Forms", "read_only", "changed"]


class Forms(References):
    """The forms of ``admin``'s create and item pages."""

    def widgets(self, entry: AdminResource, creating: bool) -> list[Widget]:
        required = set(entry.resource.schema.create.get("required", ()))
        overrides = entry.options.get("widgets") or {}
        found = []
        for key in entry.form_fields:
            field = entry.schema_fields[key]
            if creating and "c" not in field.io:
                continue
            if not creating and "r" not in field.io and "u" not in field.io:
                continue
            # on an edit, a write-only field (a password) left empty keeps its value
            needed = key in required and (creating or "r" in field.io)
            widget = widget_for(key, field, creating, needed, overrides.get(key))
            if widget.kind == "textarea" and key == entry.label_field and key not in overrides:
                widget.kind = "text"  # a name is one line
            found.append(widget)
        return found

    def form_rows(
        self,
        widgets: list[Widget],
        values: dict[str, Any],
        errors: dict[str, str],
        item: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """What the form template needs per field: widget, value, error, options.

        ``item`` is the item as the API gave it: read-only fields show its values.
        """
        rows = []
        item = item or {}
        for widget in widgets:
            value = values.get(widget.key)
            options: list[tuple[str, str]] = list(widget.choices)
            display: str | None = None
            if widget.kind in ("toone", "tomany"):
                raw = value if isinstance(value, list) else [value] if value else []
                selected = [str(ref) for ref in raw if ref]
                if widget.editable:
                    options = self.choices(widget.target)
                    known = {ref for ref, _ in options}
                    missing = [ref for ref in selected if ref and ref not in known]
                    if missing:
                        labels = self.labels(widget.target, missing)
                        options += [(ref, labels.get(ref, ref)) for ref in missing]
                else:
                    labels = self.labels(widget.target, selected)
                    display = ", ".join(str(labels.get(ref, ref)) for ref in selected)
            elif not widget.editable:
                display = widget.display(item.get(widget.key))
            rows.append(
                {
                    "widget": widget,
                    "value": value,
                    "error": errors.get(widget.key),
                    "options": options,
                    "display": display,
                }
            )
        return rows

    def read_form(
        self, widgets: list[Widget], creating: bool
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
        """``(body for the API, the values as typed, local errors)``."""
        body: dict[str, Any] = {}
        typed: dict[str, Any] = {}
        errors: dict[str, str] = {}
        form = request.form
        for widget in widgets:
            if not widget.editable:
                continue
            if widget.kind == "tomany":
                typed[widget.key] = form.getlist(widget.key)
            elif widget.kind == "checkbox":
                typed[widget.key] = widget.key in form
            elif widget.kind != "password":
                typed[widget.key] = form.get(widget.key, "")
            try:
                value = widget.from_form(form, creating)
            except LocalError as error:
                errors[widget.key] = str(error)
                continue
            if value is not OMIT:
                body[widget.key] = value
        return body, typed, errors


def read_only(widget: Widget) -> Widget:
    return replace(widget, editable=False)


def changed(entry: AdminResource, key: str, new: Any, old: Any) -> bool:
    """Whether a submitted value differs from the item's (references compared by URI)."""
    if isinstance(new, list) and isinstance(old, list):
        return sorted(map(reference_of, new)) != sorted(map(reference_of, old))
    if isinstance(new, dict) and "$ref" in new:
        return reference_of(new) != reference_of(old)
    return bool(new != old)
