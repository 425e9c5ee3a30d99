"""One module per backend, each with ``build(database, tmp_path) -> Store``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, request

from potion import Api, ModelResource, Relation, fields
from potion.permissions import SUPERUSER_NEED, Identity, ItemNeed, RoleNeed, UserNeed
from potion.permissions import unchecked as _unchecked
from potion.routes import ItemRoute

#: The plain (not reference) values of the contract's items, as the stores without
#: SQL tables read them back.
PLAIN_KEYS = (
    "first_name",
    "last_name",
    "title",
    "year",
    "rating",
    "available",
    "published",
    "name",
    "code",
)


@dataclass
class Store:
    """A Flask app serving the contract resources, and direct access to its data."""

    name: str
    app: Flask
    api: Api
    resources: dict[str, Any]
    #: ``rows(resource name)`` → list of dicts read straight from the store.
    read_rows: Callable[[str], list[dict[str, Any]]]
    teardown: Callable[[], None] = lambda: None
    unsupported: dict[str, str] = field(default_factory=dict)
    #: Whether the guarded resources serve the tables of the plain ones (every
    #: store but memory, whose resources each keep their own items).
    guarded_share_data: bool = True

    def rows(self, name: str) -> list[dict[str, Any]]:
        if self.guarded_share_data:
            name = GUARDED_DATA.get(name, name)
        return self.read_rows(name)

    def count(self, name: str) -> int:
        return len(self.rows(name))


def new_app() -> Flask:
    app = Flask(__name__)
    app.config["TESTING"] = True
    return app


def collect_unsupported(*resources: Any) -> dict[str, str]:
    result: dict[str, str] = {}
    for resource in resources:
        result.update(resource.manager.unsupported)
    return result


def register_model_resources(
    api: Api, manager_class: Any, models: dict[str, Any]
) -> dict[str, Any]:
    """The contract's resources over one backend's ``author``, ``book``, ``shelf``
    and ``genre`` models, registered on ``api``; the field types are inferred."""

    class AuthorResource(ModelResource):
        class Meta:
            name = "author"
            model = models["author"]
            manager = manager_class
            natural_key = ("first_name", "last_name")

    class BookResource(ModelResource):
        class Meta:
            name = "book"
            model = models["book"]
            manager = manager_class

        class Schema:
            author = fields.ToOne("author")

    class ShelfResource(ModelResource):
        books = Relation("book")

        class Meta:
            name = "shelf"
            model = models["shelf"]
            manager = manager_class

        class Schema:
            books = fields.ToMany("book")

    class GenreResource(ModelResource):
        class Meta:
            name = "genre"
            model = models["genre"]
            manager = manager_class

        class Schema:
            # a primary key is never an inferred field: the resource declares it
            code = fields.String(io="rc", min_length=1, max_length=20)

    resources = {
        "author": AuthorResource,
        "book": BookResource,
        "shelf": ShelfResource,
        "genre": GenreResource,
    }
    for resource in resources.values():
        api.add_resource(resource)
    resources.update(register_guarded_resources(api, resources))
    return resources


#: The guarded resources serve the same data as these (same tables, collections).
GUARDED_DATA = {"writer": "author", "gbook": "book", "gshelf": "shelf"}


def _id(value: str) -> Any:
    return int(value) if value.isdigit() else value


def identity_from_headers() -> Identity | None:
    """The contract's identity source: who asks is told by request headers.

    ``X-User: 3`` (UserNeed), ``X-Roles: librarian,editor`` (RoleNeeds),
    ``X-Items: read:gbook:5,...`` (ItemNeeds), ``X-Superuser: 1``.
    """
    headers = request.headers
    user = headers.get("X-User")
    provides: set[Any] = set()
    if user:
        provides.add(UserNeed(_id(user)))
    for role in filter(None, headers.get("X-Roles", "").split(",")):
        provides.add(RoleNeed(role))
    for need in filter(None, headers.get("X-Items", "").split(",")):
        action, kind, item_id = need.split(":")
        provides.add(ItemNeed(action, _id(item_id), kind))
    if headers.get("X-Superuser"):
        provides.add(SUPERUSER_NEED)
    if not provides:
        return None
    return Identity(_id(user) if user else None, provides)


def register_guarded_resources(api: Api, resources: dict[str, Any]) -> dict[str, Any]:
    """The contract resources again, under other names, with ``Meta.permissions``.

    - ``writer`` (authors): each reads and updates only themselves;
    - ``gbook`` (books): owned by their ``author``; updating inherits the
      writer's ``update`` (``update:author``); a custom ``publish`` action;
    - ``gshelf`` (shelves): librarians and editors change them.
    """

    class WriterResource(resources["author"]):  # type: ignore[misc,valid-type]
        class Meta:
            name = "writer"
            permissions = {
                "read": ["user:$id", "librarian", "read"],
                "create": "librarian",
                "update": "user:$id",
                "delete": "nobody",
            }

    class GuardedBookResource(resources["book"]):  # type: ignore[misc,valid-type]
        class Meta:
            name = "gbook"
            permissions = {
                "read": ["user:author", "librarian", "read"],
                "create": ["user:author", "librarian"],
                "update": ["update:author", "librarian", "update"],
                "delete": ["user:author", "delete"],
                "publish": ["user:author", "publisher"],
            }

        class Schema:
            author = fields.ToOne("writer")

        @ItemRoute.POST(action="publish")
        def publish(self, book: Any) -> fields.Boolean():
            # the route's action is checked; the write is the application's own
            with _unchecked():
                self.manager.update(book, {"available": True})
            return True

    class GuardedShelfResource(resources["shelf"]):  # type: ignore[misc,valid-type]
        books = Relation("gbook")

        class Meta:
            name = "gshelf"
            permissions = {
                "read": ["librarian", "editor", "read"],
                "create": "librarian",
                "update": ["librarian", "editor"],
                "delete": "librarian",
            }

        class Schema:
            books = fields.ToMany("gbook")

    guarded = {
        "writer": WriterResource,
        "gbook": GuardedBookResource,
        "gshelf": GuardedShelfResource,
    }
    for resource in guarded.values():
        api.add_resource(resource)
    api.identity_source = identity_from_headers
    return guarded
