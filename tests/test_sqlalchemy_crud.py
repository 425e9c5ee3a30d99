"""CRUD through a SQLAlchemy ModelResource on SQLite, PostgreSQL and MariaDB:
status codes, bodies, headers, pagination bounds, and what ends up in the database."""

from __future__ import annotations

import json

import pytest

from potion import ModelResource, fields
from potion.routes import ItemRoute, Route

from . import sqla_env
from .sqla_env import where

database = sqla_env.database  # the fixtures this module uses
sqla = sqla_env.sqla


@pytest.fixture
def library(sqla):
    db = sqla.db

    class Author(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        first_name = db.Column(db.String(60), nullable=False)
        last_name = db.Column(db.String(60), nullable=False)
        __table_args__ = (db.UniqueConstraint("first_name", "last_name"),)

    class Book(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        author_id = db.Column(db.Integer, db.ForeignKey(Author.id), nullable=False)
        author = db.relationship(Author, backref=db.backref("books", lazy="dynamic"))
        title = db.Column(db.String(200), nullable=False, unique=True)
        year_published = db.Column(db.Integer)
        rating = db.Column(db.Integer, default=5)

    class AuthorResource(ModelResource):
        class Meta:
            model = Author
            natural_key = ("first_name", "last_name")

    class BookResource(ModelResource):
        class Meta:
            model = Book

        class Schema:
            author = fields.ToOne("author")
            year_published = fields.Integer(minimum=1400, nullable=True)

        @ItemRoute.GET
        def shout(self, book) -> fields.String():
            return book.title.upper()

    sqla.api.add_resource(AuthorResource)
    sqla.api.add_resource(BookResource)
    sqla.create_all()
    sqla.Author, sqla.Book = Author, Book
    return sqla


def add_books(lib, count, author=None):
    author = author or lib.Author(first_name="Charles", last_name="Darwin")
    books = [
        lib.Book(title=f"Book {i:03d}", year_published=1800 + i, author=author)
        for i in range(count)
    ]
    return lib.add(*books)


# -- create ------------------------------------------------------------------------


def test_create_answers_the_item_and_stores_it(library):
    library.add(library.Author(first_name="Charles", last_name="Darwin"))
    response = library.post("/book", {"title": "Origin", "author": 1, "year_published": 1859})
    assert response.status_code == 200
    assert response.json == {
        "$uri": "/book/1",
        "author": {"$ref": "/author/1"},
        "rating": 5,
        "title": "Origin",
        "year_published": 1859,
    }
    assert response.headers["Location"] == "/book/1"
    assert response.headers["Content-Type"] == "application/json"
    assert library.rows("select id, author_id, title, year_published, rating from book") == [
        (1, 1, "Origin", 1859, 5)
    ]


def test_create_accepts_every_reference_form(library):
    library.add(library.Author(first_name="Charles", last_name="Darwin"))
    for title, author in [
        ("By id", 1),
        ("By ref", {"$ref": "/author/1"}),
        ("By natural key", ["Charles", "Darwin"]),
    ]:
        response = library.post("/book", {"title": title, "author": author})
        assert response.status_code == 200, response.json
        assert response.json["author"] == {"$ref": "/author/1"}
    assert library.rows("select author_id from book") == [(1,), (1,), (1,)]


def test_create_with_missing_required_fields_is_400_and_stores_nothing(library):
    response = library.post("/book", {"year_published": 1859})
    assert response.status_code == 400
    assert response.json["errors"] == [
        {"path": [], "validationOf": {"required": ["author", "title"]}}
    ] or response.json["errors"] == [
        {"path": [], "validationOf": {"required": ["title", "author"]}}
    ]
    assert library.count("book") == 0


def test_create_validates_the_inferred_schema(library):
    library.add(library.Author(first_name="Charles", last_name="Darwin"))
    response = library.post("/book", {"title": "x" * 201, "author": 1, "year_published": 1200})
    assert response.status_code == 400
    errors = {tuple(e["path"]): e["validationOf"] for e in response.json["errors"]}
    assert errors == {("title",): {"maxLength": 200}, ("year_published",): {"minimum": 1400}}
    assert library.count("book") == 0


def test_create_rejects_unknown_and_read_only_keys(library):
    library.add(library.Author(first_name="Charles", last_name="Darwin"))
    response = library.post("/book", {"title": "Origin", "author": 1, "id": 7})
    assert response.status_code == 400
    assert response.json["errors"] == [
        {"path": [], "validationOf": {"additionalProperties": False}}
    ]
    response = library.post("/book", {"title": "Origin", "author": 1, "$uri": "/book/7"})
    assert response.status_code == 400
    assert library.count("book") == 0


def test_create_non_json_body_is_an_error(library):
    response = library.client.post("/book", data="title=x", content_type="text/plain")
    assert response.status_code in (400, 415)
    assert response.json["status"] == response.status_code
    response = library.client.post("/book", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert library.count("book") == 0


# -- read --------------------------------------------------------------------------


def test_read_one_item(library):
    add_books(library, 2)
    response = library.get("/book/2")
    assert response.status_code == 200
    assert response.json == {
        "$uri": "/book/2",
        "author": {"$ref": "/author/1"},
        "rating": 5,
        "title": "Book 001",
        "year_published": 1801,
    }


def test_read_missing_item_is_404(library):
    add_books(library, 1)
    response = library.get("/book/99")
    assert response.status_code == 404
    assert response.json == {
        "item": {"$id": 99, "$type": "book"},
        "message": "Not Found",
        "status": 404,
    }
    response = library.get("/book/abc")
    assert response.status_code == 404
    assert response.json["status"] == 404
    for huge in (2**63, 10**30):
        response = library.get(f"/book/{huge}")
        assert response.status_code == 404
        body = json.loads(response.data)  # the stdlib keeps big integers exact
        assert body["item"] == {"$id": huge, "$type": "book"}
        assert library.patch(f"/book/{huge}", {"rating": 1}).status_code == 404
    assert library.post("/book", {"title": "x", "author": 10**30}).status_code == 400


def test_item_route_loads_the_item(library):
    add_books(library, 1)
    assert library.get("/book/1/shout").json == "BOOK 000"
    response = library.get("/book/5/shout")
    assert response.status_code == 404
    assert response.json["item"] == {"$id": 5, "$type": "book"}


# -- update ------------------------------------------------------------------------


def test_update_changes_only_the_given_fields(library):
    add_books(library, 1)
    library.add(library.Author(first_name="Alfred", last_name="Wallace"))
    response = library.patch("/book/1", {"rating": 9, "author": {"$ref": "/author/2"}})
    assert response.status_code == 200
    assert response.json == {
        "$uri": "/book/1",
        "author": {"$ref": "/author/2"},
        "rating": 9,
        "title": "Book 000",
        "year_published": 1800,
    }
    assert library.rows("select author_id, title, rating from book") == [(2, "Book 000", 9)]


def test_update_with_nothing_to_change(library):
    add_books(library, 1)
    response = library.patch("/book/1", {})
    assert response.status_code == 200
    assert response.json["title"] == "Book 000"


def test_update_to_null_on_a_required_field_is_400(library):
    add_books(library, 1)
    response = library.patch("/book/1", {"title": None})
    assert response.status_code == 400
    assert response.json["errors"] == [{"path": ["title"], "validationOf": {"type": "string"}}]
    assert library.rows("select title from book") == [("Book 000",)]


def test_update_nullable_field_to_null(library):
    add_books(library, 1)
    response = library.patch("/book/1", {"year_published": None})
    assert response.status_code == 200
    assert response.json["year_published"] is None
    assert library.rows("select year_published from book") == [(None,)]


def test_update_missing_item_is_404(library):
    response = library.patch("/book/3", {"rating": 1})
    assert response.status_code == 404
    assert response.json["item"] == {"$id": 3, "$type": "book"}


def test_put_is_not_allowed(library):
    add_books(library, 1)
    response = library.client.put("/book/1", json={"rating": 1})
    assert response.status_code == 405
    assert response.json["status"] == 405


# -- delete ------------------------------------------------------------------------


def test_delete_answers_204_and_removes_the_row(library):
    add_books(library, 2)
    response = library.delete("/book/1")
    assert response.status_code == 204
    assert response.data == b""
    assert library.rows("select id from book") == [(2,)]
    response = library.delete("/book/1")
    assert response.status_code == 404
    assert response.json["item"] == {"$id": 1, "$type": "book"}
    assert library.get("/book/1").status_code == 404


# -- lists and pagination ------------------------------------------------------------


def test_empty_list(library):
    response = library.get("/book")
    assert response.status_code == 200
    assert response.json == []
    assert response.headers["X-Total-Count"] == "0"
    assert response.headers["Link"] == (
        '</book?page=1&per_page=20>; rel="self",</book?page=1&per_page=20>; rel="last"'
    )


def test_list_is_ordered_by_id_and_paginated(library):
    add_books(library, 45)
    response = library.get("/book")
    assert response.status_code == 200
    assert [item["title"] for item in response.json] == [f"Book {i:03d}" for i in range(20)]
    assert response.headers["X-Total-Count"] == "45"
    assert response.headers["Link"] == (
        '</book?page=1&per_page=20>; rel="self",'
        '</book?page=2&per_page=20>; rel="next",'
        '</book?page=3&per_page=20>; rel="last"'
    )

    response = library.get("/book?page=3")
    assert [item["$uri"] for item in response.json] == [f"/book/{i}" for i in range(41, 46)]
    assert response.headers["Link"] == (
        '</book?page=3&per_page=20>; rel="self",'
        '</book?page=1&per_page=20>; rel="first",'
        '</book?page=2&per_page=20>; rel="prev",'
        '</book?page=3&per_page=20>; rel="last"'
    )

    response = library.get("/book?page=2&per_page=7")
    assert [item["$uri"] for item in response.json] == [f"/book/{i}" for i in range(8, 15)]
    assert response.headers["X-Total-Count"] == "45"
    assert 'rel="last"' in response.headers["Link"]
    assert '</book?page=7&per_page=7>; rel="last"' in response.headers["Link"]


def test_link_header_keeps_where_and_sort(library):
    add_books(library, 5)
    response = library.get(
        "/book", query_string={"where": where(rating=5), "sort": '{"title": true}', "per_page": 2}
    )
    assert response.status_code == 200
    assert [item["title"] for item in response.json] == ["Book 004", "Book 003"]
    link = response.headers["Link"]
    assert "where=%7B%22rating%22%3A+5%7D" in link
    assert "sort=%7B%22title%22%3A+true%7D" in link
    assert "</book?page=2&per_page=2&where=" in link


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", ""])
def test_bad_page_is_400(library, page):
    add_books(library, 1)
    response = library.get(f"/book?page={page}")
    if page == "":
        assert response.status_code == 200  # an empty parameter is the default
        return
    assert response.status_code == 400
    assert response.json["status"] == 400
    assert response.json["errors"][0]["path"] == ["page"]


@pytest.mark.parametrize("per_page", ["0", "-5", "abc"])
def test_bad_per_page_is_400(library, per_page):
    response = library.get(f"/book?per_page={per_page}")
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == ["per_page"]


def test_huge_per_page_is_clamped_to_the_maximum(library):
    library.app.config["POTION_MAX_PER_PAGE"] = 10
    add_books(library, 25)
    response = library.get("/book?per_page=100000")
    assert response.status_code == 200
    assert len(response.json) == 10
    assert response.headers["X-Total-Count"] == "25"
    assert '</book?page=1&per_page=10>; rel="self"' in response.headers["Link"]
    assert '</book?page=3&per_page=10>; rel="last"' in response.headers["Link"]


def test_default_per_page_comes_from_the_config(library):
    library.app.config["POTION_DEFAULT_PER_PAGE"] = 3
    add_books(library, 5)
    response = library.get("/book")
    assert len(response.json) == 3
    assert '</book?page=2&per_page=3>; rel="next"' in response.headers["Link"]


def test_page_past_the_end_is_404(library):
    add_books(library, 5)
    assert library.get("/book?page=2&per_page=5").status_code == 404
    response = library.get("/book?page=3&per_page=2")
    assert response.status_code == 200
    assert len(response.json) == 1
    response = library.get("/book?page=4&per_page=2")
    assert response.status_code == 404
    assert response.json["status"] == 404
    # page 1 always exists, even when empty
    assert library.get(f"/book?page=1&where={where(rating=1)}").json == []
    assert library.get(f"/book?page=2&where={where(rating=1)}").status_code == 404


# -- several writes in one transaction --------------------------------------------------------


def test_writes_in_a_custom_route_share_one_transaction(library):
    class Batch(ModelResource):
        class Meta:
            name = "batch"
            model = library.Book
            silenced_checks = ["potion.E102"]  # its own route creates the books

        @Route.POST("/import")
        def import_books(self, titles: fields.List(fields.String())) -> fields.Integer():
            with self.manager.transaction():
                for title in titles:
                    self.manager.create({"title": title, "author_id": 1})
            return len(titles)

    library.api.add_resource(Batch)
    library.add(library.Author(first_name="Charles", last_name="Darwin"))
    response = library.post("/batch/import", {"titles": ["A", "B"]})
    assert response.status_code == 200, response.json
    assert response.json == 2
    # "A" exists already: the whole batch is refused, "C" is not stored either
    response = library.post("/batch/import", {"titles": ["C", "A"]})
    assert response.status_code == 409
    assert response.json["errors"] == [{"path": ["title"], "validationOf": {"unique": True}}]
    assert library.rows("select title from book order by id") == [("A",), ("B",)]
