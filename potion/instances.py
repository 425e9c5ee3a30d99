"""The list routes: parsing ``where``/``sort``/``page``/``per_page`` and formatting pages."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context, request

from .encoding import shown
from .exceptions import ValidationError
from .filters import parse_sort, parse_where, sort_schema, where_schema
from .pagination import Pagination, pagination_headers
from .schema import ResourceBound, Schema
from .settings import setting

__all__ = ["Instances", "RelationInstances", "Pagination", "PaginationMixin"]


def _positive_int(raw: str | None, name: str, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(
            [{"path": [name], "validationOf": {"type": "integer"}}],
            message=f"The {name!r} parameter must be a positive integer, not {shown(raw)}",
        ) from None
    if value < 1:
        raise ValidationError(
            [{"path": [name], "validationOf": {"minimum": 1}}],
            message=f"The {name!r} parameter must be a positive integer, not {shown(raw)}",
        )
    return value


def parse_page_arguments(args: Any) -> tuple[int, int]:
    """``page`` and ``per_page`` from query arguments; ``per_page`` is clamped."""
    app = current_app
    page = _positive_int(args.get("page"), "page", 1)
    default = setting(app, "POTION_DEFAULT_PER_PAGE")
    per_page = _positive_int(args.get("per_page"), "per_page", default)
    return page, min(per_page, setting(app, "POTION_MAX_PER_PAGE"))


def _page_schema(resource: Any) -> dict[str, Any]:
    """``page`` and ``per_page`` as published in a link, with the app's limits."""
    app = getattr(getattr(resource, "api", None), "app", None)
    if app is None and has_app_context():
        app = current_app
    return {
        "page": {"type": "integer", "minimum": 1, "default": 1},
        "per_page": {
            "type": "integer",
            "minimum": 1,
            "maximum": setting(app, "POTION_MAX_PER_PAGE"),
            "default": setting(app, "POTION_DEFAULT_PER_PAGE"),
        },
    }


class PaginationMixin(Schema):
    """A response schema for pages: formats a page (or a plain list) of items and
    adds the ``Link`` and ``X-Total-Count`` headers of a page."""

    spread_arguments = True

    def format_item(self, item: Any) -> Any:
        raise NotImplementedError

    def format_response(self, data: Any) -> Any:
        items = data.items if isinstance(data, Pagination) else data
        fmt = self.format_item
        return [fmt(item) for item in items]

    def response_headers(self, data: Any) -> dict[str, str]:
        if isinstance(data, Pagination):
            return pagination_headers(request.path, data, request.args.items(multi=True))
        return {}


class Instances(PaginationMixin, ResourceBound):
    """The ``instances`` route of a ModelResource: a filtered, sorted page of items."""

    def _on_bind(self, resource: Any) -> None:
        self._format: Any = None

    def schema(self) -> Any:
        manager = self.resource.manager
        request_schema = {
            "type": "object",
            "properties": {
                "where": where_schema(manager.filters),
                "sort": sort_schema(manager.sortable),
                **_page_schema(self.resource),
            },
            "additionalProperties": True,
        }
        return {"type": "array", "items": {"$ref": "#"}}, request_schema

    def parse_request(self, req: Any) -> dict[str, Any]:
        manager = self.resource.manager
        args = req.args
        page, per_page = parse_page_arguments(args)
        return {
            "page": page,
            "per_page": per_page,
            "where": parse_where(args.get("where"), manager.filters),
            "sort": parse_sort(args.get("sort"), manager.sortable),
        }

    def format_item(self, item: Any) -> Any:
        return self.resource.schema.format(item)

    def format_response(self, data: Any) -> Any:
        items = data.items if isinstance(data, Pagination) else data
        fmt = self.resource.schema.formatter()
        return [fmt(item) for item in items]


class RelationInstances(PaginationMixin):
    """The list route of a :class:`~potion.routes.Relation`: references, paginated."""

    def __init__(self, relation: Any) -> None:
        self.relation = relation

    def schema(self) -> Any:
        field = self.relation.target_field
        read = {"type": "array", "items": field.response}
        request_schema = {
            "type": "object",
            "properties": _page_schema(self.relation.resource),
            "additionalProperties": True,
        }
        return read, request_schema

    def parse_request(self, req: Any) -> dict[str, Any]:
        page, per_page = parse_page_arguments(req.args)
        return {"page": page, "per_page": per_page}

    def format_item(self, item: Any) -> Any:
        return self.relation.target_field.format(item)
