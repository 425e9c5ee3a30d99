"""The admin's pages: dashboard, list, create, item (edit, relations) and delete.

Every page reads and writes through :func:`~potion.contrib.admin.dispatch.call_api`
(the Api's own routes, as the logged-in user).  The resource's permissions only
decide which buttons are drawn; the API decides what is done.
"""

from __future__ import annotations

from typing import Any, Callable
from urllib.parse import unquote

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException

from ...exceptions import PotionException
from ..auth import check_csrf_token
from ..auth.settings import setting as auth_setting
from .dispatch import Answer, call_api, item_path
from .forms import Forms, changed, read_only
from .listing import OPERATORS, ListState
from .messages import field_errors
from .registry import AdminResource, singular
from .widgets import Widget, reference_of, widget_for

__all__ = ["make_blueprint", "AdminAbort", "SECURITY_HEADERS"]

#: Headers of every admin page: no framing, no inline script, no caching.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_TITLES = {
    400: "Bad request",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    503: "Unavailable",
}


class AdminAbort(Exception):
    """Stop a page with an error page (its status and a sentence)."""

    def __init__(self, status: int, message: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def make_blueprint(admin: Any) -> Blueprint:
    """The admin's blueprint (mounted at ``admin.url_prefix``)."""
    blueprint = Blueprint(
        "potion_admin",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/static",
    )
    pages = _Pages(admin)

    @blueprint.before_request
    def gate() -> Any:
        if request.endpoint == "potion_admin.static":
            return None
        user = admin.auth.get_current_user()
        if user is None or not (user.is_staff or user.is_superuser):
            return redirect(admin.auth.login_url(request.full_path.rstrip("?")))
        if request.method == "POST":
            field = auth_setting(current_app, "POTION_AUTH_CSRF_FIELD")
            if not check_csrf_token(request.form.get(field)):
                raise AdminAbort(
                    403, "The form expired or did not come from this site: reload the page."
                )
        return None

    @blueprint.after_request
    def headers(response: Any) -> Any:
        for key, value in SECURITY_HEADERS.items():
            if key == "Cache-Control" and request.endpoint == "potion_admin.static":
                continue  # the stylesheet and the script may be cached
            response.headers.setdefault(key, value)
        return response

    @blueprint.errorhandler(AdminAbort)
    def aborted(error: AdminAbort) -> Any:
        return pages.error_page(error.status, error.message)

    @blueprint.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        return pages.error_page(error.code or 500, error.description)

    rules: list[tuple[str, str, Callable[..., Any], list[str]]] = [
        ("/", "dashboard", pages.dashboard, ["GET"]),
        ("/<name>/", "list", pages.listing, ["GET"]),
        ("/<name>/new", "create", pages.create, ["GET", "POST"]),
        ("/<name>/delete", "bulk_delete", pages.bulk_delete, ["GET", "POST"]),
        ("/<name>/<item_id>", "item", pages.item, ["GET", "POST"]),
        ("/<name>/<item_id>/delete", "delete", pages.delete, ["GET", "POST"]),
        ("/<name>/<item_id>/<relation>/add", "relation_add", pages.relation_add, ["POST"]),
        (
            "/<name>/<item_id>/<relation>/remove",
            "relation_remove",
            pages.relation_remove,
            ["POST"],
        ),
    ]
    for rule, endpoint, view, methods in rules:
        view.__func__.csrf_exempt = True  # type: ignore[attr-defined]  # checked in gate()
        blueprint.add_url_rule(rule, endpoint, view, methods=methods)
    return blueprint


def _status_of(answer: Answer) -> int:
    """How the admin answers an API refusal: a hidden resource or item is a 404."""
    if answer.status == 401:
        return 404
    return answer.status


class _Pages(Forms):
    """The views, sharing the admin and a few helpers."""

    # -- shared ---------------------------------------------------------------------------

    def readable(self) -> list[AdminResource]:
        """The resources the user may read (once per request)."""
        cached = g.get("_potion_admin_readable")
        if cached is None:
            cached = [entry for entry in self.admin.resources() if entry.can("read")]
            g._potion_admin_readable = cached
        return list(cached)

    def entry(self, name: str) -> AdminResource:
        """The resource of the URL; 404 when hidden or not readable."""
        for entry in self.readable():
            if entry.name == name:
                return entry
        raise AdminAbort(404, "There is no such page.")

    def render(self, template: str, status: int = 200, **context: Any) -> Any:
        user = self.admin.auth.get_current_user()
        body = render_template(
            f"potion_admin/{template}",
            admin=self.admin,
            nav=self.readable(),
            user=user,
            logout_url=auth_setting(current_app, "POTION_AUTH_LOGOUT_URL"),
            **context,
        )
        return body, status

    def error_page(self, status: int, message: str | None = None) -> Any:
        title = _TITLES.get(status, "Error")
        try:
            nav = self.readable()
        except Exception:  # the error may come from reading the resources
            nav = []
        body = render_template(
            "potion_admin/error.html",
            admin=self.admin,
            nav=nav,
            user=self.admin.auth.get_current_user(),
            logout_url=auth_setting(current_app, "POTION_AUTH_LOGOUT_URL"),
            title=title,
            message=message,
            status=status,
        )
        return body, status

    def refuse(self, answer: Answer) -> AdminAbort:
        status = _status_of(answer)
        message = answer.message if status not in (404,) else "There is no such item."
        return AdminAbort(status, message or None)

    def load(self, entry: AdminResource, item_id: str) -> Any:
        """The stored item for permission checks (as the resource loads it)."""
        try:
            return entry.load(item_id)
        except PotionException as error:
            status = 404 if error.status_code in (401, 403) else error.status_code
            raise AdminAbort(status) from None

    def read_item(self, entry: AdminResource, item_id: str) -> dict[str, Any]:
        answer = call_api("GET", entry.api_path(item_id))
        if not answer.ok or not isinstance(answer.data, dict):
            raise self.refuse(answer)
        return answer.data

    # -- pages ----------------------------------------------------------------------------

    def dashboard(self) -> Any:
        cards = []
        for entry in self.readable():
            answer = call_api("GET", entry.prefix, {"per_page": 1})
            if answer.status in (401, 403):
                continue
            cards.append({"entry": entry, "count": answer.total if answer.ok else None})
        return self.render("dashboard.html", title="Dashboard", cards=cards)

    def listing(self, name: str) -> Any:
        entry = self.entry(name)
        state = ListState.from_args(request.args)
        where, problems = state.where(entry, self.matching)
        query: dict[str, Any] = {"page": state.page, "per_page": _per_page(entry)}
        if where:
            query["where"] = where
        sort = state.sort_parameter(entry)
        if sort is not None:
            query["sort"] = {sort[0]: sort[1]}
        answer = call_api("GET", entry.prefix, query)
        if answer.status == 404 and state.page > 1:
            return redirect(state.url(url_for(".list", name=name), page=1))
        if answer.status in (401, 403):
            raise AdminAbort(404, "There is no such page.")
        if answer.status == 400:
            problems += field_errors(answer, (), {})[1]
            items: list[Any] = []
            total = 0
        elif not answer.ok:
            raise self.refuse(answer)
        else:
            items = answer.data if isinstance(answer.data, list) else []
            total = answer.total if answer.total is not None else len(items)
        columns = self.columns(entry)
        rows = self.rows(entry, columns, items)
        per_page = _per_page(entry)
        pages = max(1, -(-total // per_page))
        base = url_for(".list", name=name)
        filterable = [
            (key, widget_for(key, entry.schema_fields[key], False, False))
            for key in entry.filters
            if key in entry.schema_fields and key not in ("$uri", "$id", "$type")
        ]
        return self.render(
            "list.html",
            title=entry.title_plural,
            entry=entry,
            state=state,
            base=base,
            columns=columns,
            rows=rows,
            total=total,
            page=state.page,
            pages=pages,
            problems=problems,
            filterable=filterable,
            operators=OPERATORS,
            can_create=entry.has_route("create") and entry.can("create"),
            can_delete=entry.has_route("destroy") and entry.can("delete"),
        )

    def columns(self, entry: AdminResource) -> list[dict[str, Any]]:
        columns = []
        for key in entry.columns:
            field = entry.schema_fields[key]
            widget = widget_for(key, field, False, False)
            columns.append(
                {
                    "key": key,
                    "label": widget.label,
                    "widget": widget,
                    "sortable": key in entry.sortable,
                }
            )
        return columns

    def rows(
        self, entry: AdminResource, columns: list[dict[str, Any]], items: list[Any]
    ) -> list[dict[str, Any]]:
        labels: dict[str, str] = {}
        for column in columns:
            widget = column["widget"]
            if widget.kind in ("toone", "tomany"):
                refs: list[str] = []
                for item in items:
                    value = item.get(column["key"])
                    values = value if isinstance(value, list) else [value]
                    refs += [reference_of(v) for v in values if v is not None]
                labels.update(self.labels(widget.target, refs))
        rows = []
        for item in items:
            cells = []
            for column in columns:
                cells.append(self.cell(column["widget"], item.get(column["key"]), labels))
            rows.append({"id": entry.id_of(item), "label": entry.label_of(item), "cells": cells})
        return rows

    def create(self, name: str) -> Any:
        entry = self.entry(name)
        if not entry.has_route("create"):
            raise AdminAbort(404, "Items of this kind cannot be created here.")
        if not entry.can("create"):
            raise AdminAbort(403, "You may not create items of this kind.")
        widgets = self.widgets(entry, creating=True)
        if request.method == "GET":
            values = {}
            for widget in widgets:
                default = widget.schema.get("default")
                values[widget.key] = widget.to_input(default) if default is not None else ""
                if widget.kind == "checkbox":
                    values[widget.key] = bool(default)
            return self.form_page(entry, widgets, values, {}, [], creating=True)
        body, typed, local = self.read_form(widgets, creating=True)
        if local:
            return self.form_page(entry, widgets, typed, local, [], creating=True, status=400)
        answer = call_api("POST", entry.prefix, body=body)
        if answer.ok and isinstance(answer.data, dict):
            flash("Saved", "success")
            return redirect(url_for(".item", name=name, item_id=entry.id_of(answer.data)))
        if answer.status in (400, 409):
            errors, summary = field_errors(
                answer, [w.key for w in widgets], body, {w.key: w.label for w in widgets}
            )
            return self.form_page(
                entry, widgets, typed, errors, summary, creating=True, status=answer.status
            )
        raise self.refuse(answer)

    def form_page(
        self,
        entry: AdminResource,
        widgets: list[Widget],
        values: dict[str, Any],
        errors: dict[str, str],
        summary: list[str],
        creating: bool,
        status: int = 200,
        **context: Any,
    ) -> Any:
        template = "create.html" if creating else "item.html"
        title = context.pop("title", None) or f"New {entry.title}"
        return self.render(
            template,
            status=status,
            title=title,
            entry=entry,
            rows=self.form_rows(widgets, values, errors, context.pop("item", None)),
            labels={w.key: w.label for w in widgets},
            errors=errors,
            summary=summary,
            **context,
        )

    def item(self, name: str, item_id: str) -> Any:
        entry = self.entry(name)
        data = self.read_item(entry, item_id)
        stored = self.load(entry, item_id)
        can_update = entry.has_route("update") and entry.can("update", stored)
        can_delete = entry.has_route("destroy") and entry.can("delete", stored)
        widgets = self.widgets(entry, creating=False)
        if not can_update:
            widgets = [read_only(w) for w in widgets if "r" in w.field.io]
        current = {w.key: w.to_input(data.get(w.key)) for w in widgets if w.kind != "password"}
        errors: dict[str, str] = {}
        summary: list[str] = []
        status = 200
        values = current
        if request.method == "POST":
            if not entry.has_route("update"):
                raise AdminAbort(405, "Items of this kind cannot be changed.")
            if not can_update:
                raise AdminAbort(403, "You may not change this item.")
            editable = self.widgets(entry, creating=False)
            body, typed, errors = self.read_form(editable, creating=False)
            values = dict(current, **typed)
            if not errors:
                changes = {
                    key: value
                    for key, value in body.items()
                    if changed(entry, key, value, data.get(key))
                }
                answer = call_api("PATCH", entry.api_path(item_id), body=changes)
                if answer.ok:
                    flash("Saved", "success")
                    return redirect(url_for(".item", name=name, item_id=item_id))
                if answer.status not in (400, 409):
                    raise self.refuse(answer)
                errors, summary = field_errors(
                    answer, [w.key for w in editable], changes, {w.key: w.label for w in editable}
                )
                status = answer.status
            else:
                status = 400
        return self.form_page(
            entry,
            widgets,
            values,
            errors,
            summary,
            creating=False,
            status=status,
            title=entry.label_of(data),
            item=data,
            item_id=item_id,
            can_update=can_update,
            can_delete=can_delete,
            relations=self.relations(entry, item_id, can_update),
        )

    def relations(self, entry: AdminResource, item_id: str, can_update: bool) -> list[Any]:
        sections = []
        for attribute, title, target in entry.relations:
            list_rel, add_rel, remove_rel = entry.relation_rels(attribute)
            answer = call_api(
                "GET", entry.api_path(item_id, attribute.replace("_", "-")), {"per_page": 100}
            )
            if not answer.ok:
                continue
            references = [reference_of(v) for v in answer.data or ()]
            labels = self.labels(target, references)
            children = [
                {
                    "reference": ref,
                    "id": ref.rsplit("/", 1)[-1],
                    "label": labels.get(ref, ref),
                    "href": self.link_of(target, ref),
                }
                for ref in references
            ]
            can_add = can_update and entry.has_route(add_rel)
            target_entry = self.admin.resource(target)
            options = []
            if can_add:
                linked = set(references)
                options = [(ref, label) for ref, label in self.choices(target) if ref not in linked]
            sections.append(
                {
                    "attribute": attribute,
                    "title": title,
                    "children": children,
                    "total": answer.total,
                    "can_add": can_add,
                    "add_label": target_entry.title if target_entry else singular(title),
                    "can_remove": can_update
                    and entry.has_route(remove_rel)
                    and entry.relation_removable(target),
                    "options": options,
                }
            )
        return sections

    def relation_add(self, name: str, item_id: str, relation: str) -> Any:
        return self.relation_change(name, item_id, relation, adding=True)

    def relation_remove(self, name: str, item_id: str, relation: str) -> Any:
        return self.relation_change(name, item_id, relation, adding=False)

    def relation_change(self, name: str, item_id: str, relation: str, adding: bool) -> Any:
        entry = self.entry(name)
        found = [r for r in entry.relations if r[0] == relation]
        if not found:
            raise AdminAbort(404, "There is no such relation.")
        attribute, title, target = found[0]
        reference = request.form.get("target", "").strip()
        here = url_for(".item", name=name, item_id=item_id)
        if not reference:
            flash(f"Choose an item to add to {title}", "error")
            return redirect(here)
        path = entry.api_path(item_id, attribute.replace("_", "-"))
        if adding:
            answer = call_api("POST", path, body={"$ref": reference})
        else:
            target_id = reference.rsplit("/", 1)[-1]
            answer = call_api("DELETE", item_path(path, unquote(target_id)))
        if answer.ok:
            flash("Added" if adding else "Removed", "success")
            return redirect(here)
        if answer.status in (400, 409):
            flash(field_errors(answer, (), {})[1][0], "error")
            return redirect(here)
        raise self.refuse(answer)

    def delete(self, name: str, item_id: str) -> Any:
        entry = self.entry(name)
        data = self.read_item(entry, item_id)
        stored = self.load(entry, item_id)
        if not entry.has_route("destroy"):
            raise AdminAbort(404, "Items of this kind cannot be deleted.")
        problems: list[str] = []
        status = 200
        if request.method == "POST":
            answer = call_api("DELETE", entry.api_path(item_id))
            if answer.ok:
                flash("Deleted", "success")
                return redirect(url_for(".list", name=name))
            if answer.status not in (400, 409):
                raise self.refuse(answer)
            problems = field_errors(answer, (), {})[1]
            status = answer.status
        elif not entry.can("delete", stored):
            raise AdminAbort(403, "You may not delete this item.")
        label = entry.label_of(data)
        return self.render(
            "delete.html",
            status=status,
            title=f"Delete {label}?",
            entry=entry,
            items=[{"id": item_id, "label": label}],
            cascade=self.cascade(entry, [data]),
            problems=problems,
            cancel=url_for(".item", name=name, item_id=item_id),
            action=url_for(".delete", name=name, item_id=item_id),
            bulk=False,
        )

    def bulk_delete(self, name: str) -> Any:
        entry = self.entry(name)
        if not entry.has_route("destroy"):
            raise AdminAbort(404, "Items of this kind cannot be deleted.")
        if not entry.can("delete"):
            raise AdminAbort(403, "You may not delete items of this kind.")
        source = request.form if request.method == "POST" else request.args
        ids = [i for i in dict.fromkeys(source.getlist("id")) if i][:100]
        back = url_for(".list", name=name)
        if not ids:
            flash("Select the items to delete first", "error")
            return redirect(back)
        if request.method == "POST":
            deleted: list[str] = []
            failed: list[str] = []
            for item_id in ids:
                one = call_api("GET", entry.api_path(item_id))
                label = entry.label_of(one.data) if isinstance(one.data, dict) else item_id
                answer = call_api("DELETE", entry.api_path(item_id))
                if answer.ok:
                    deleted.append(label)
                else:
                    reason = field_errors(answer, (), {})[1][0]
                    failed.append(f"{label} ({reason})")
            if deleted:
                flash(f"Deleted {_count(entry, len(deleted))}: {', '.join(deleted)}", "success")
            if failed:
                flash(f"Not deleted: {_count(entry, len(failed))}: {'; '.join(failed)}", "error")
            return redirect(back)
        items = []
        found = []
        for item_id in ids:
            answer = call_api("GET", entry.api_path(item_id))
            if answer.ok and isinstance(answer.data, dict):
                found.append(answer.data)
                items.append({"id": item_id, "label": entry.label_of(answer.data)})
        if not items:
            raise AdminAbort(404, "There are no such items.")
        return self.render(
            "delete.html",
            title=f"Delete {_count(entry, len(items))}?",
            entry=entry,
            items=items,
            cascade=self.cascade(entry, found),
            problems=[],
            cancel=back,
            action=url_for(".bulk_delete", name=name),
            bulk=True,
        )

    def cascade(self, entry: AdminResource, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Items of other resources that refer to ``items`` (through a ToOne): the
        store deletes them along, clears their reference or refuses the delete."""
        from ... import fields

        references = [{"$ref": entry.api_path(entry.id_of(item))} for item in items]
        groups = []
        for other in self.readable():
            for key, field in other.schema_fields.items():
                if not isinstance(field, fields.ToOne) or field.target is not entry.resource:
                    continue
                if "in" not in other.filters.get(key, {}):
                    continue
                answer = call_api(
                    "GET", other.prefix, {"where": {key: {"$in": references}}, "per_page": 50}
                )
                if not answer.ok or not answer.data:
                    continue
                groups.append(
                    {
                        "title": other.title_plural,
                        "field": field.title or key,
                        "nullable": bool(field.nullable),
                        "total": answer.total,
                        "children": [
                            {
                                "label": other.label_of(child),
                                "href": url_for(
                                    ".item", name=other.name, item_id=other.id_of(child)
                                ),
                            }
                            for child in answer.data
                        ],
                    }
                )
        return groups


def _count(entry: AdminResource, count: int) -> str:
    """``1 Book``, ``3 Books``."""
    return f"{count} {entry.title if count == 1 else entry.title_plural}"


def _per_page(entry: AdminResource) -> int:
    limit = int(current_app.config.get("POTION_MAX_PER_PAGE", 100))
    return max(1, min(entry.per_page, limit))
