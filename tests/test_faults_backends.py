"""Store outages on the peewee and MongoEngine backends: a 503, never a 4xx.

peewee reaches PostgreSQL or MariaDB through the loopback proxy of
:mod:`tests.faults`; MongoEngine runs on mongomock, whose collections are made to
raise the errors pymongo raises when no server answers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from .backends.library import seed
from .databases import server_url
from .faults import UNAVAILABLE, Killer, assert_unavailable, proxy_for

# -- peewee ------------------------------------------------------------------------


class PeeweeOutage:
    def __init__(self, kind: str, proxy: Any) -> None:
        import peewee
        from flask import Flask
        from playhouse.db_url import connect

        from potion import Api, ModelResource, fields

        url = server_url(kind)
        suffix = "?charset=utf8mb4" if kind == "mysql" else ""
        self.database = url.rsplit("/", 1)[1]
        self.direct = connect(url + suffix)
        self.db = connect(proxy.url(url) + suffix)
        self.proxy = proxy
        self.killer = Killer(kind, url.rsplit("/", 1)[0] + "/test")

        def models(db: Any) -> tuple[Any, Any]:
            class Author(peewee.Model):
                name = peewee.CharField(max_length=60)

                class Meta:
                    database = db
                    table_name = "fault_pw_author"

            class Book(peewee.Model):
                title = peewee.CharField(max_length=100, unique=True)
                author = peewee.ForeignKeyField(Author, backref="books")

                class Meta:
                    database = db
                    table_name = "fault_pw_book"

            return Author, Book

        direct_author, direct_book = models(self.direct)
        self.tables = [direct_author, direct_book]
        self.direct.drop_tables(self.tables, safe=True)
        self.direct.create_tables(self.tables)
        darwin = direct_author.create(name="Darwin")
        for title in ("Book 1", "Book 2", "Book 3"):
            direct_book.create(title=title, author=darwin)
        self.direct_book = direct_book
        self.direct.close()  # opened again for each look: the killer ends it too

        author, book = models(self.db)

        class AuthorResource(ModelResource):
            books = __import__("potion").Relation("book")

            class Meta:
                model = author
                name = "author"

        class BookResource(ModelResource):
            class Meta:
                model = book
                name = "book"

            class Schema:
                author = fields.ToOne("author")

        app = Flask(__name__)
        app.config["TESTING"] = True
        api = Api(app)
        api.add_resource(AuthorResource)
        api.add_resource(BookResource)
        self.client = app.test_client()

    def titles(self) -> list[str]:
        with self.direct.connection_context():
            return [b.title for b in self.direct_book.select().order_by(self.direct_book.id)]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.db.close()
        with self.direct.connection_context():
            self.direct.drop_tables(self.tables, safe=True)
        self.killer.close()


@pytest.fixture(
    params=[
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("mysql", marks=pytest.mark.mysql),
    ]
)
def peewee_outage(request: pytest.FixtureRequest) -> Iterator[PeeweeOutage]:
    with proxy_for(server_url(request.param)) as proxy:
        outage = PeeweeOutage(request.param, proxy)
        try:
            yield outage
        finally:
            outage.close()


def _peewee_requests(client: Any) -> dict[str, Any]:
    return {
        "get": lambda: client.get("/book/2"),
        "list": lambda: client.get("/book"),
        "relation": lambda: client.get("/author/1/books"),
        "patch": lambda: client.patch("/book/2", json={"title": "Changed"}),
        "create": lambda: client.post(
            "/book", json={"title": "New", "author": {"$ref": "/author/1"}}
        ),
        "delete": lambda: client.delete("/book/3"),
    }


def test_peewee_refused_connections_are_503_then_recover(peewee_outage):
    outage = peewee_outage
    assert outage.client.get("/book/1").status_code == 200
    before = outage.titles()
    outage.proxy.down()
    for call in _peewee_requests(outage.client).values():
        assert_unavailable(call())
        assert outage.titles() == before
    outage.proxy.up()
    calls = _peewee_requests(outage.client)
    assert calls["get"]().status_code == 200
    assert len(calls["relation"]().get_json()) == 3
    assert calls["patch"]().status_code == 200
    assert calls["create"]().status_code == 200
    assert calls["delete"]().status_code == 204
    assert outage.titles() == ["Book 1", "Changed", "New"]


def test_peewee_cut_connections_retry_reads_and_never_answer_4xx(peewee_outage):
    outage = peewee_outage
    for name, call in _peewee_requests(outage.client).items():
        outage.client.get("/book/1")
        assert outage.killer.kill_all(outage.database) >= 1
        before = outage.titles()
        response = call()
        if name in ("get", "list", "relation"):
            assert response.status_code == 200, response.get_json()  # retried once
        elif response.status_code == 503:
            assert outage.titles() == before
        else:
            assert response.status_code in (200, 204), response.get_json()
    assert outage.client.get("/book/1").status_code == 200


# -- MongoEngine -----------------------------------------------------------------------


@pytest.fixture
def mongo_store(tmp_path: Any) -> Iterator[Any]:
    from .backends.stores import mongoengine as store_module

    store = store_module.build(None, tmp_path)
    try:
        with store.app.app_context():
            yield store
    finally:
        store.teardown()


MONGO_ERRORS = [
    "ServerSelectionTimeoutError",
    "AutoReconnect",
    "NetworkTimeout",
    "ExecutionTimeout",
    "WTimeoutError",
]


@pytest.mark.parametrize("error", MONGO_ERRORS)
def test_mongo_outage_is_503(mongo_store, monkeypatch, error):
    import mongomock
    import pymongo.errors

    from .mongo_env import using_mongomock

    if not using_mongomock():
        pytest.skip("makes mongomock's collections raise")
    client = mongo_store.app.test_client()
    ids = seed(client)
    book = ids["books"]["Descent of Man"]
    author = ids["authors"][0]
    response = client.post("/shelf", json={"name": "Top", "books": [{"$ref": f"/book/{book}"}]})
    shelf = response.get_json()["$uri"].rsplit("/", 1)[1]
    before = {name: mongo_store.rows(name) for name in ("author", "book", "shelf")}

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise getattr(pymongo.errors, error)("no server answers")

    for method in ("find", "find_one", "insert_one", "update_one", "replace_one", "delete_one"):
        monkeypatch.setattr(mongomock.collection.Collection, method, fail)
    monkeypatch.setattr(mongomock.collection.Collection, "count_documents", fail)

    responses = {
        "get": client.get(f"/book/{book}"),
        "list": client.get("/book"),
        "patch": client.patch(f"/book/{book}", json={"year": 1}),
        "delete": client.delete(f"/book/{book}"),
        "create": client.post(
            "/book", json={"title": "New", "author": {"$ref": f"/author/{author}"}}
        ),
        "relation": client.get(f"/shelf/{shelf}/books"),
    }
    for name, response in responses.items():
        assert response.status_code == 503, (name, response.get_json())
        assert response.get_json() == UNAVAILABLE
    monkeypatch.undo()
    assert {name: mongo_store.rows(name) for name in ("author", "book", "shelf")} == before
    assert client.get(f"/book/{book}").status_code == 200


def test_mongo_update_of_a_document_deleted_meanwhile_is_404_and_creates_nothing(mongo_store):
    client = mongo_store.app.test_client()
    ids = seed(client)
    book_id = ids["books"]["Descent of Man"]
    resource = mongo_store.resources["book"]
    item = resource.manager.read(book_id)
    resource.meta.model.objects(pk=item.pk).delete()  # another request deletes it
    count = mongo_store.count("book")
    from potion.exceptions import ItemNotFound

    with pytest.raises(ItemNotFound):
        resource.manager.update(item, {"year": 1900})
    with pytest.raises(ItemNotFound):
        resource.manager.delete(item)
    assert mongo_store.count("book") == count  # not re-created by an upsert
