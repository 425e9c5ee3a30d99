"""potion.client.Client against a served Potion API: classes from the schema, items,
queries, lazy pages, identity, dates and references, links, errors and retries."""

from __future__ import annotations

import datetime
import inspect
import socket
import threading

import pytest
import requests

from potion.client import (
    ASC,
    DESC,
    Client,
    Conflict,
    ItemNotFound,
    MultipleItemsFound,
    PaginatedList,
    Resource,
    ValidationError,
)
from potion.client.transport import retry_delay

UTC = datetime.UTC


def add_books(client, count, author=None):
    author = author or client.Author(first_name="Alfred", last_name="Wallace").save()
    return [
        client.Book(title=f"Volume {n:02d}", author=author, year_published=1900 + n).save()
        for n in range(1, count + 1)
    ]


# -- the schema ---------------------------------------------------------------------------


def test_a_class_per_resource_named_in_upper_camel_case(client):
    assert set(client.resources) == {"author", "book", "book_store", "status"}
    assert client.BookStore is client.resources["book_store"]
    assert client.BookStore.__name__ == "BookStore"
    assert issubclass(client.Book, Resource)
    # properties of the schema are attributes, $uri is not
    for name in ("title", "author", "rating", "year_published", "published", "sequel"):
        assert isinstance(inspect.getattr_static(client.Book, name), property), name
    assert not hasattr(client.Book, "$uri")


def test_links_become_methods_named_after_their_rel(client):
    Book = client.Book
    # {id} in the href: instance methods; otherwise class methods
    assert isinstance(inspect.getattr_static(Book, "read_genres"), classmethod)
    assert inspect.isfunction(inspect.getattr_static(Book, "read_shout"))
    assert inspect.isfunction(inspect.getattr_static(Book, "create_rename"))
    assert inspect.isfunction(inspect.getattr_static(Book, "update_rating"))
    assert inspect.isfunction(inspect.getattr_static(client.Author, "add_books"))
    assert isinstance(inspect.getattr_static(client.Status, "create_echo"), classmethod)


def test_read_only_properties_have_no_setter(client):
    darwin = client.Author.fetch(1)
    assert darwin.full_name == "Charles Darwin"
    with pytest.raises(AttributeError):
        darwin.full_name = "Somebody Else"
    darwin.first_name = "Charlie"  # a writable one
    assert darwin.first_name == "Charlie"


def test_schema_read_on_first_use_when_not_fetched(library):
    client = Client(library.url, fetch_schema=False)
    assert library.wire.requests == []
    assert client.Book.fetch(1).title == "On the Origin of Species"
    assert [hit.path for hit in library.wire.requests][:2] == ["/api/schema", "/api/author/schema"]
    with pytest.raises(AttributeError):
        client.Nothing  # noqa: B018


def test_resource_factory_with_a_resource_class(client):
    class Book(Resource):
        def label(self):
            return f"{self.title} ({self.year_published})"

    schema = client.Book.described_by()
    cls = client.resource_factory("book", schema, resource_cls=Book)
    assert cls is client.Book and issubclass(cls, Book)
    assert cls.fetch(1).label() == "On the Origin of Species (1859)"
    with pytest.raises(TypeError):
        client.resource_factory("book", schema, resource_cls=dict)


def test_session_options_are_set_on_the_requests_session(library):
    client = Client(library.url, headers={"X-Library-Card": "42"}, backoff=0)
    assert client.session.headers == {"X-Library-Card": "42"}
    client.Book.fetch(1)
    assert library.wire.requests[-1].headers["X-Library-Card"] == "42"


# -- items ------------------------------------------------------------------------------------


def test_create_then_fetch(client, library):
    darwin = client.Author.fetch(1)
    book = client.Book(title="The Descent of Man", author=darwin, year_published=1871)
    assert book.uri is None and book.id is None
    assert book.save() is book
    assert book.uri == f"/api/book/{book.id}" and book.id == 2
    assert book.rating == 5  # the server's default, read back
    hit = library.wire.requests[-1]
    assert (hit.method, hit.path) == ("POST", "/api/book")
    assert hit.body == {
        "title": "The Descent of Man",
        "author": {"$ref": "/api/author/1"},
        "year_published": 1871,
    }
    assert library.count("Book") == 2
    assert client.Book.fetch(2) is book


def test_create_class_method(client, library):
    author = client.Author.create(first_name="Gregor", last_name="Mendel")
    assert author.uri == "/api/author/2"
    assert library.count("Author") == 2


def test_save_patches_only_the_changed_properties(client, library):
    book = client.Book.fetch(1)
    book.rating = 3
    book["year_published"] = 1860
    library.wire.clear()
    book.save()
    (hit,) = library.wire.requests
    assert (hit.method, hit.path, hit.body) == (
        "PATCH",
        "/api/book/1",
        {"rating": 3, "year_published": 1860},
    )
    assert client.Book.fetch(1).rating == 3


def test_save_without_changes_sends_nothing(client, library):
    book = client.Book.fetch(1)
    library.wire.clear()
    book.save()
    assert library.wire.requests == []


def test_update(client, library):
    book = client.Book.fetch(1)
    assert book.update(rating=9) is book
    assert book.rating == 9
    assert library.wire.requests[-1].body == {"rating": 9}
    book.update({"year_published": 1861})
    assert book.year_published == 1861


def test_an_id_or_uri_gives_the_stored_item(client, library):
    book = client.Book(1)
    assert book is client.Book("/api/book/1") is client.Book(uri="/api/book/1")
    assert library.wire.requests == []  # not loaded yet
    assert book.title == "On the Origin of Species"
    assert len(library.wire.requests) == 1
    client.Book(1, rating=2).save()  # changes on a stored item: a PATCH
    assert library.wire.requests[-1].method == "PATCH"
    assert client.Book.fetch(1).rating == 2


def test_delete(client, library):
    book = client.Book(title="Doomed", author=client.Author(1)).save()
    book.delete()
    assert library.wire.requests[-1].method == "DELETE"
    assert library.count("Book") == 1
    with pytest.raises(ItemNotFound):
        client.Book.fetch(book.id)
    with pytest.raises(ItemNotFound):
        book.delete()


def test_destroy_is_delete(client, library):
    book = client.Book(title="Doomed", author=client.Author(1)).save()
    book.destroy()
    assert library.count("Book") == 1


def test_the_mapping_protocol(client):
    book = client.Book.fetch(1)
    assert book["title"] == "On the Origin of Species"
    assert "title" in book and "nope" not in book
    assert set(book) == {
        "title",
        "author",
        "rating",
        "year_published",
        "published",
        "added_at",
        "first_printed",
        "sequel",
    }
    assert len(book) == 8
    new = client.Book(title="Draft")
    assert dict(new) == {"title": "Draft"}
    with pytest.raises(AttributeError):
        new.rating  # noqa: B018 - not set on a new item
    with pytest.raises(KeyError):
        new["rating"]  # noqa: B018
    del new["title"]
    assert dict(new) == {}


def test_an_unsaved_item_cannot_be_referred_to(client, library):
    author = client.Author(first_name="No", last_name="Body")
    with pytest.raises(ValueError, match="save"):
        client.Book(title="Orphan", author=author).save()
    assert library.count("Book") == 1


# -- queries -----------------------------------------------------------------------------------


def test_where_and_sort(client):
    wallace = client.Author(first_name="Alfred", last_name="Wallace").save()
    add_books(client, 4, author=wallace)
    Book = client.Book
    titles = [
        b.title
        for b in Book.instances(where={"year_published": {"$gt": 1902}}, sort={"title": DESC})
    ]
    assert titles == ["Volume 04", "Volume 03"]
    titles = [
        b.title for b in Book.instances(where={"author": wallace}, sort={"year_published": ASC})
    ]
    assert titles == ["Volume 01", "Volume 02", "Volume 03", "Volume 04"]
    assert [b.title for b in Book.instances(where={"title": {"$startswith": "On"}})] == [
        "On the Origin of Species"
    ]
    assert list(Book.instances(where={"title": {"$in": []}})) == []


def test_first_and_one(client):
    add_books(client, 3)
    Book = client.Book
    assert Book.first(sort={"year_published": DESC}).title == "Volume 03"
    assert Book.first(where={"title": "Volume 02"}).year_published == 1902
    with pytest.raises(ItemNotFound) as excinfo:
        Book.first(where={"title": "Missing"})
    assert "Missing" in str(excinfo.value)
    assert Book.one(where={"year_published": 1859}).title == "On the Origin of Species"
    with pytest.raises(MultipleItemsFound):
        Book.one(where={"year_published": {"$gt": 1900}})
    with pytest.raises(ItemNotFound):
        Book.one(where={"year_published": 2999})


def test_pages_are_fetched_on_demand(client, library):
    add_books(client, 25)  # 26 books with Darwin's
    wire = library.wire
    wire.clear()
    books = client.Book.instances(per_page=5)
    assert isinstance(books, PaginatedList)
    assert wire.hits() == []  # nothing fetched yet

    def pages():
        return [int(q["page"]) for q in wire.hits("GET", "/api/book")]

    assert len(books) == 26  # X-Total-Count of the first page
    assert pages() == [1]
    assert books[12].title == "Volume 12"
    assert pages() == [1, 3]
    assert books[14].title == "Volume 14"  # page 3 again: no request
    assert books[-1].title == "Volume 25"
    assert pages() == [1, 3, 6]
    assert [b.title for b in books[3:6]] == ["Volume 03", "Volume 04", "Volume 05"]
    assert pages() == [1, 3, 6, 2]
    with pytest.raises(IndexError):
        books[26]  # noqa: B018 - beyond the total: no request
    assert pages() == [1, 3, 6, 2]
    assert len(list(books)) == 26
    assert pages() == [1, 3, 6, 2, 4, 5]
    assert all(q["per_page"] == "5" for q in wire.hits("GET", "/api/book"))


def test_iteration_stops_at_the_last_page(client, library):
    add_books(client, 9)
    library.wire.clear()
    titles = [b.title for b in client.Book.instances(per_page=4)]
    assert len(titles) == 10
    assert [q["page"] for q in library.wire.hits("GET", "/api/book")] == ["1", "2", "3"]


def test_one_page(client, library):
    add_books(client, 9)
    library.wire.clear()
    page = client.Book.instances(page=2, per_page=4, sort={"title": ASC})
    assert [b.title for b in page] == ["Volume 04", "Volume 05", "Volume 06", "Volume 07"]
    assert len(page) == 4
    assert page[0].title == "Volume 04"
    assert [q["page"] for q in library.wire.hits("GET", "/api/book")] == ["2"]


def test_per_page_stays_within_the_schema_maximum(client, library):
    assert len(client.Book.instances(per_page=500)) == 1
    assert library.wire.hits("GET", "/api/book")[0]["per_page"] == "100"


def test_the_where_of_a_list_is_sent_with_every_page(client, library):
    add_books(client, 6)
    library.wire.clear()
    books = client.Book.instances(
        where={"year_published": {"$gt": 1901}}, sort={"title": DESC}, per_page=2
    )
    assert [b.year_published for b in books] == [1906, 1905, 1904, 1903, 1902]
    queries = library.wire.hits("GET", "/api/book")
    assert len(queries) == 3
    assert {q["where"] for q in queries} == {'{"year_published":{"$gt":1901}}'}
    assert {q["sort"] for q in queries} == {'{"title":true}'}


# -- identity, references, dates ----------------------------------------------------------------


def test_one_instance_per_uri(client, library):
    wallace = client.Author(first_name="Alfred", last_name="Wallace").save()
    add_books(client, 3, author=wallace)
    library.wire.clear()
    book = client.Book.fetch(2)
    assert book is client.Book(2) is client.instance("/api/book/2") is client.Book.instances()[1]
    assert client.instance(library.url + "/book/2") is book  # an absolute URL of the API
    authors = {b.author for b in client.Book.instances(where={"author": wallace})}
    assert authors == {wallace}
    assert len({id(b.author) for b in client.Book.instances()}) == 2


def test_references_load_lazily_and_once(client, library):
    add_books(client, 3)
    library.wire.clear()
    books = list(client.Book.instances())
    assert [hit.path for hit in library.wire.requests] == ["/api/book"]
    assert [b.author.last_name for b in books] == ["Darwin", "Wallace", "Wallace", "Wallace"]
    assert sorted(hit.path for hit in library.wire.requests[1:]) == [
        "/api/author/1",
        "/api/author/2",
    ]


def test_a_reference_to_a_missing_item_raises_item_not_found(client):
    ghost = client.Book(999)
    with pytest.raises(ItemNotFound) as excinfo:
        ghost.title  # noqa: B018
    assert excinfo.value.status == 404
    assert excinfo.value.body["item"] == {"$id": 999, "$type": "book"}


def test_references_both_ways(client, library):
    origin = client.Book.fetch(1)
    sequel = client.Book(title="Descent", author=origin.author, sequel=origin).save()
    assert library.wire.requests[-1].body["sequel"] == {"$ref": "/api/book/1"}
    assert sequel.sequel is origin
    store = client.BookStore(name="Corner", favourites=[origin, sequel]).save()
    assert store.favourites == [origin, sequel]
    assert library.wire.requests[-1].body["favourites"] == [
        {"$ref": "/api/book/1"},
        {"$ref": "/api/book/2"},
    ]
    assert [b.title for b in client.Book.instances(where={"sequel": origin})] == ["Descent"]


def test_dates_both_ways(client, library):
    added = datetime.datetime(2020, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    book = client.Book(
        title="Dated",
        author=client.Author(1),
        published=datetime.date(1869, 1, 1),
        added_at=added,
        first_printed=datetime.date(1869, 3, 1),
    ).save()
    body = library.wire.requests[-1].body
    assert body["published"] == {"$date": -3187209600000}
    assert body["added_at"] == {"$date": 1577934245678}
    assert body["first_printed"] == "1869-03-01"  # a DateString field: ISO text
    fetched = client.Book.fetch(book.id)
    assert fetched.added_at == added and fetched.added_at.tzinfo is not None
    assert fetched.published == datetime.datetime(1869, 1, 1, tzinfo=UTC)
    assert fetched.first_printed == "1869-03-01"
    # a naive datetime is taken as UTC
    found = client.Book.instances(where={"added_at": {"$gt": datetime.datetime(2020, 1, 2)}})
    assert [b.title for b in found] == ["Dated"]


# -- links ---------------------------------------------------------------------------------------


def test_item_routes(client, library):
    book = client.Book.fetch(1)
    assert book.read_shout() == "ON THE ORIGIN OF SPECIES"
    renamed = book.create_rename(title="Origin")
    assert renamed is book and book.title == "Origin"
    assert library.wire.requests[-1].body == {"title": "Origin"}
    assert book.read_rating() == 5
    assert book.update_rating(7) == 7
    assert library.wire.requests[-1].body == 7
    assert book.load().rating == 7


def test_class_routes(client, library):
    add_books(client, 2)
    assert client.Book.read_genres() == ["history", "science"]
    found = client.Book.read_titled(prefix="Volume")
    assert found == [client.Book(2), client.Book(3)]
    assert library.wire.requests[-1].query == {"prefix": "Volume"}
    assert client.Status.read_ping() == "pong"
    assert client.Status.create_echo(value=3, note="hi") == {"value": 3, "note": "hi"}
    with pytest.raises(ValidationError):
        client.Status.create_echo(value="three")


def test_relation_routes(client, library):
    add_books(client, 3)
    store = client.BookStore(name="Corner").save()
    books = store.books()
    assert isinstance(books, PaginatedList) and len(books) == 0
    assert store.add_books(client.Book(1)) is client.Book(1)
    assert library.wire.requests[-1].body == {"$ref": "/api/book/1"}
    store.add_books(client.Book(3))
    assert list(store.books()) == [client.Book(1), client.Book(3)]
    assert len(store.books(per_page=1)) == 2
    assert store.remove_books(client.Book(1)) is None
    assert library.wire.requests[-1].path == "/api/book_store/1/books/1"
    assert list(store.books()) == [client.Book(3)]
    darwin = client.Author(1)
    assert [b.title for b in darwin.books()] == ["On the Origin of Species"]
    with pytest.raises(TypeError):
        store.remove_books()


def test_client_fetch(client):
    assert client.fetch("/api/book/1") is client.Book(1)
    assert client.fetch("/api/book", params={"where": {"rating": 5}}) == [client.Book(1)]


# -- errors ----------------------------------------------------------------------------------------


def test_validation_error(client, library):
    with pytest.raises(ValidationError) as excinfo:
        client.Book(title="Early", author=client.Author(1), year_published=1000).save()
    error = excinfo.value
    assert isinstance(error, requests.HTTPError)
    assert error.status == 400 and error.response.status_code == 400
    assert error.paths == [("year_published",)]
    assert error.errors == [{"path": ["year_published"], "validationOf": {"minimum": 1400}}]
    assert "year_published" in str(error)
    with pytest.raises(ValidationError) as excinfo:
        client.Book(rating=3).save()
    assert excinfo.value.errors[0]["validationOf"] == {"required": ["author", "title"]} or any(
        "required" in e["validationOf"] for e in excinfo.value.errors
    )
    assert library.count("Book") == 1


def test_conflict(client, library):
    with pytest.raises(Conflict) as excinfo:
        client.Book(title="On the Origin of Species", author=client.Author(1)).save()
    assert excinfo.value.status == 409
    assert library.count("Book") == 1


def test_item_not_found(client):
    with pytest.raises(ItemNotFound) as excinfo:
        client.Book.fetch(404)
    assert excinfo.value.status == 404
    assert excinfo.value.message == "Not Found"
    assert isinstance(excinfo.value, LookupError)


# -- retries ------------------------------------------------------------------------------------------


def test_a_get_is_retried_after_503(client, library):
    library.wire.fail("/api/book/1", 2)
    assert client.Book.fetch(1).title == "On the Origin of Species"
    assert len(library.wire.hits("GET", "/api/book/1")) == 3


def test_retries_give_up(library):
    client = Client(library.url, retries=1, backoff=0)
    library.wire.clear()
    library.wire.fail("/api/book/1", 5)
    with pytest.raises(requests.HTTPError) as excinfo:
        client.Book.fetch(1)
    assert excinfo.value.response.status_code == 503
    assert len(library.wire.hits("GET", "/api/book/1")) == 2


def test_a_post_is_not_retried(client, library):
    library.wire.fail("/api/book", 1)
    with pytest.raises(requests.HTTPError):
        client.Book(title="Once", author=client.Author(1)).save()
    assert len(library.wire.hits("POST", "/api/book")) == 1
    assert library.count("Book") == 1


class Hangup:
    """A TCP server that accepts connections and closes them at once; counts them."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            conn.recv(65536)
            conn.close()

    def close(self):
        self.socket.close()


def test_connection_errors_are_retried_for_idempotent_requests(client):
    hangup = Hangup()
    try:
        client.retries = 2
        with pytest.raises(requests.ConnectionError):
            client.fetch(f"http://127.0.0.1:{hangup.port}/api/book/1")
        assert hangup.connections == 3
    finally:
        hangup.close()


def test_retry_delays_back_off():
    assert [retry_delay(n, 0.5) for n in range(4)] == [0.5, 1.0, 2.0, 4.0]
    assert retry_delay(10, 0.5) == 30.0
    assert retry_delay(0, 0.5, "3") == 3.0
    assert retry_delay(1, 0.5, "Wed, 21 Oct 2015 07:28:00 GMT") == 1.0


def test_items_that_carry_only_their_id(tmp_path):
    # Meta.include_id: bodies have "$id" (and "$type"), no "$uri"
    from flask import Flask

    from potion import Api, ModelResource, fields
    from potion.backends.memory import MemoryManager

    from .server import serve

    class TagResource(ModelResource):
        class Meta:
            name = "tag"
            manager = MemoryManager
            include_id = True
            include_type = True

        class Schema:
            label = fields.String()
            parent = fields.ToOne("tag", nullable=True)

    app = Flask(__name__)
    Api(app, prefix="/api").add_resource(TagResource)
    with serve(app) as base:
        client = Client(base + "/api", backoff=0)
        root = client.Tag(label="root").save()
        assert (root.id, root.uri) == (1, "/api/tag/1")
        child = client.Tag(label="child", parent=root).save()
        assert child.parent is root
        assert client.Tag.fetch(2) is child
        assert list(client.Tag.instances()) == [root, child]
        assert client.Tag.first(where={"label": "child"}) is child
        child.update(label="leaf")
        assert client.Tag.fetch(2).label == "leaf"
        child.delete()
        assert [t.label for t in client.Tag.instances()] == ["root"]
