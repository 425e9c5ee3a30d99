"""The contract resources on the MongoEngine backend (mongomock, or a real server)."""

from __future__ import annotations

from typing import Any

import mongoengine as me

from potion import Api
from potion.backends.mongoengine import MongoEngineManager
from tests.mongo_env import fresh_database

from . import PLAIN_KEYS, Store, collect_unsupported, new_app, register_model_resources


class ContractAuthor(me.Document):
    meta = {
        "collection": "contract_author",
        "indexes": [{"fields": ["first_name", "last_name"], "unique": True}],
    }
    first_name = me.StringField(required=True, max_length=60)
    last_name = me.StringField(required=True, max_length=60)


class ContractBook(me.Document):
    meta = {"collection": "contract_book"}
    title = me.StringField(required=True, max_length=100, unique=True)
    year = me.IntField(null=True)
    rating = me.FloatField(required=True, default=5.0)
    available = me.BooleanField(required=True, default=True)
    published = me.DateField(null=True)
    author = me.ReferenceField(ContractAuthor, required=True)


class ContractShelf(me.Document):
    meta = {"collection": "contract_shelf"}
    name = me.StringField(required=True, max_length=60)
    books = me.ListField(me.ReferenceField(ContractBook))


class ContractGenre(me.Document):
    meta = {"collection": "contract_genre"}
    code = me.StringField(primary_key=True, min_length=1, max_length=20)
    name = me.StringField(required=True, max_length=60)


MODELS = {
    "author": ContractAuthor,
    "book": ContractBook,
    "shelf": ContractShelf,
    "genre": ContractGenre,
}


def build(database: Any, tmp_path: Any) -> Store:
    connection = fresh_database()
    db = connection.__enter__()
    app = new_app()

    api = Api(app)
    resources = register_model_resources(
        api,
        MongoEngineManager,
        MODELS,
    )
    for model in MODELS.values():
        model.ensure_indexes()

    def read_rows(name: str) -> list[dict[str, Any]]:
        rows = []
        for document in db[MODELS[name]._get_collection_name()].find().sort("_id", 1):
            row = {key: document.get(key) for key in PLAIN_KEYS if key in MODELS[name]._fields}
            if name == "genre":
                row["code"] = document["_id"]
            else:
                row["id"] = str(document["_id"])
            if "author" in document:
                row["author_id"] = str(document["author"])
            if name == "shelf":
                row["book_ids"] = sorted(str(b) for b in document.get("books") or ())
            rows.append(row)
        return rows

    def teardown() -> None:
        connection.__exit__(None, None, None)

    return Store(
        "mongoengine",
        app,
        api,
        resources,
        read_rows,
        teardown,
        unsupported=collect_unsupported(*resources.values()),
    )
