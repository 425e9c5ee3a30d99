"""The contract resources on the memory backend."""

from __future__ import annotations

from typing import Any

from potion import Api, ModelResource, Relation, fields
from potion.backends.memory import MemoryManager

from . import PLAIN_KEYS, Store, collect_unsupported, new_app, register_guarded_resources


def build(database: Any, tmp_path: Any) -> Store:
    app = new_app()
    api = Api(app)

    class AuthorResource(ModelResource):
        class Meta:
            name = "author"
            manager = MemoryManager
            natural_key = ("first_name", "last_name")

        class Schema:
            first_name = fields.String(max_length=60)
            last_name = fields.String(max_length=60)

    class BookResource(ModelResource):
        class Meta:
            name = "book"
            manager = MemoryManager

        class Schema:
            title = fields.String(max_length=100)
            year = fields.Integer(nullable=True)
            rating = fields.Number(default=5.0)
            available = fields.Boolean(default=True)
            published = fields.Date(nullable=True)
            author = fields.ToOne("author")

    class ShelfResource(ModelResource):
        books = Relation("book")

        class Meta:
            name = "shelf"
            manager = MemoryManager

        class Schema:
            name = fields.String(max_length=60)
            books = fields.ToMany("book")

    class GenreResource(ModelResource):
        class Meta:
            name = "genre"
            manager = MemoryManager
            id_attribute = "code"
            id_field_class = fields.String

        class Schema:
            code = fields.String(io="rc", min_length=1, max_length=20)
            name = fields.String(max_length=60)

    resources = {
        "author": AuthorResource,
        "book": BookResource,
        "shelf": ShelfResource,
        "genre": GenreResource,
    }
    for resource in resources.values():
        api.add_resource(resource)
    resources.update(register_guarded_resources(api, resources))

    def read_rows(name: str) -> list[dict[str, Any]]:
        rows = []
        for item in resources[name].manager.items.values():
            row = {key: item.get(key) for key in PLAIN_KEYS if key in item}
            if "id" in item:
                row["id"] = item["id"]
            if "author" in item:
                row["author_id"] = item["author"]["id"]
            if name in ("shelf", "gshelf"):
                row["book_ids"] = sorted(book["id"] for book in item.get("books") or ())
            rows.append(row)
        return rows

    return Store(
        "memory",
        app,
        api,
        resources,
        read_rows,
        unsupported=collect_unsupported(*resources.values()),
        guarded_share_data=False,
    )
