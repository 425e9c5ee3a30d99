"""One module per backend, each with ``build(database, tmp_path) -> Store``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from potion import Api, ModelResource, Relation, fields


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

    def rows(self, name: str) -> list[dict[str, Any]]:
        return self.read_rows(name)

    def count(self, name: str) -> int:
        return len(self.read_rows(name))


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
    """The contract's three resources over one backend's ``author``, ``book`` and
    ``shelf`` models, registered on ``api``; the field types are inferred."""

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

    resources = {"author": AuthorResource, "book": BookResource, "shelf": ShelfResource}
    for resource in resources.values():
        api.add_resource(resource)
    return resources
