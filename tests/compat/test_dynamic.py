"""SQLAlchemy relationships declared ``lazy="dynamic"`` and ``lazy="write_only"``, and
``Meta.query_options`` on every query, on SQLite, PostgreSQL and MariaDB (issue #12,
item 5).  The application is written against the ``flask_potion`` import paths."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import orm

from flask_potion import ModelResource, fields
from flask_potion.routes import Relation
from tests import sqla_env

database = sqla_env.database
sqla = sqla_env.sqla


@pytest.fixture
def lib(sqla: Any) -> Any:
    db = sqla.db
    book_tag = db.Table(
        "dyn_book_tag",
        db.Column("book_id", db.Integer, db.ForeignKey("dyn_book.id"), primary_key=True),
        db.Column("tag_id", db.Integer, db.ForeignKey("dyn_tag.id"), primary_key=True),
    )

    class Tag(db.Model):
        __tablename__ = "dyn_tag"
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(20), nullable=False)

    class Author(db.Model):
        __tablename__ = "dyn_author"
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False)
        books = db.relationship("Book", lazy="dynamic", order_by="Book.id", back_populates="author")
        notes = db.relationship("Note", lazy="write_only", order_by="Note.id")

    class Book(db.Model):
        __tablename__ = "dyn_book"
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(40), nullable=False)
        archived = db.Column(db.Boolean, nullable=False, default=False)
        author_id = db.Column(db.Integer, db.ForeignKey(Author.id), nullable=True)
        author = db.relationship(Author, back_populates="books")
        tags = db.relationship(Tag, secondary=book_tag, lazy="dynamic", order_by=Tag.id)

    class Note(db.Model):
        __tablename__ = "dyn_note"
        id = db.Column(db.Integer, primary_key=True)
        text = db.Column(db.String(40), nullable=False)
        author_id = db.Column(db.Integer, db.ForeignKey(Author.id), nullable=True)

    class TagResource(ModelResource):
        class Meta:
            model = Tag

    class NoteResource(ModelResource):
        class Meta:
            model = Note
            # criteria only: the built-in reads still select plain rows
            query_options = [orm.with_loader_criteria(Note, Note.text != "hidden")]

    class BookResource(ModelResource):
        class Meta:
            model = Book
            # archived books are hidden from every query, single reads included
            query_options = [
                orm.with_loader_criteria(Book, Book.archived.is_(False)),
                orm.selectinload(Book.author),  # a loader option: entity queries only
            ]

        class Schema:
            author = fields.ToOne("dyn_author", nullable=True)
            tags = fields.ToMany("dyn_tag")

    class AuthorResource(ModelResource):
        books = Relation("dyn_book")
        notes = Relation("dyn_note")

        class Meta:
            model = Author

        class Schema:
            books = fields.ToMany("dyn_book", io="r")
            notes = fields.ToMany("dyn_note", io="r")

    for resource in (TagResource, NoteResource, BookResource, AuthorResource):
        sqla.api.add_resource(resource)
    sqla.create_all()
    sqla.models = {"Author": Author, "Book": Book, "Tag": Tag, "Note": Note}
    return sqla


def post(env: Any, url: str, body: Any) -> dict[str, Any]:
    response = env.post(url, body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_dynamic_relationships_in_lists_items_and_to_many_fields(lib: Any) -> None:
    for name in ("red", "blue"):
        post(lib, "/dyn_tag", {"name": name})
    post(lib, "/dyn_author", {"name": "Ann"})
    origin = post(lib, "/dyn_book", {"title": "Origin", "author": 1, "tags": [2, 1]})
    assert origin == {
        "$uri": "/dyn_book/1",
        "title": "Origin",
        "archived": False,
        "author": {"$ref": "/dyn_author/1"},
        "tags": [{"$ref": "/dyn_tag/1"}, {"$ref": "/dyn_tag/2"}],
    }
    post(lib, "/dyn_book", {"title": "Descent", "author": {"$ref": "/dyn_author/1"}, "tags": []})
    expected_author = {
        "$uri": "/dyn_author/1",
        "name": "Ann",
        "books": [{"$ref": "/dyn_book/1"}, {"$ref": "/dyn_book/2"}],
        "notes": [],
    }
    response = lib.get("/dyn_author")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == [expected_author]
    assert lib.get("/dyn_author/1").get_json() == expected_author
    books = lib.get("/dyn_book").get_json()
    assert [b["tags"] for b in books] == [
        [{"$ref": "/dyn_tag/1"}, {"$ref": "/dyn_tag/2"}],
        [],
    ]
    response = lib.patch("/dyn_book/2", {"tags": [{"$ref": "/dyn_tag/2"}]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["tags"] == [{"$ref": "/dyn_tag/2"}]
    assert lib.rows("select book_id, tag_id from dyn_book_tag order by book_id, tag_id") == [
        (1, 1),
        (1, 2),
        (2, 2),
    ]
    where = json.dumps({"tags": {"$contains": {"$ref": "/dyn_tag/2"}}})
    titles = [b["title"] for b in lib.get("/dyn_book", query_string={"where": where}).get_json()]
    assert titles == ["Origin", "Descent"]


def test_relation_routes_over_dynamic_and_write_only_relationships(lib: Any) -> None:
    post(lib, "/dyn_author", {"name": "Ann"})
    for title in ("A", "B", "C"):
        post(lib, "/dyn_book", {"title": title, "tags": []})
    assert lib.get("/dyn_author/1/books").get_json() == []
    for book in (3, 1):
        assert lib.post("/dyn_author/1/books", book).get_json() == {"$ref": f"/dyn_book/{book}"}
    response = lib.get("/dyn_author/1/books", query_string={"per_page": 1, "page": 2})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == [{"$ref": "/dyn_book/3"}]
    assert response.headers["X-Total-Count"] == "2"
    assert lib.delete("/dyn_author/1/books/3").status_code == 204
    assert lib.get("/dyn_author/1/books").get_json() == [{"$ref": "/dyn_book/1"}]
    assert lib.rows("select id, author_id from dyn_book order by id") == [
        (1, 1),
        (2, None),
        (3, None),
    ]
    # write-only: read through its query, written with add/remove
    for text in ("x", "y"):
        post(lib, "/dyn_note", {"text": text})
    assert lib.post("/dyn_author/1/notes", 2).status_code == 200
    assert lib.post("/dyn_author/1/notes", {"$ref": "/dyn_note/1"}).status_code == 200
    assert lib.get("/dyn_author/1/notes").get_json() == [
        {"$ref": "/dyn_note/1"},
        {"$ref": "/dyn_note/2"},
    ]
    assert lib.get("/dyn_author/1").get_json()["notes"] == [
        {"$ref": "/dyn_note/1"},
        {"$ref": "/dyn_note/2"},
    ]
    assert lib.delete("/dyn_author/1/notes/1").status_code == 204
    assert lib.rows("select id, author_id from dyn_note order by id") == [(1, None), (2, 1)]
    assert lib.get("/dyn_author").get_json()[0]["notes"] == [{"$ref": "/dyn_note/2"}]


def test_query_options_apply_to_every_query(lib: Any) -> None:
    Book = lib.models["Book"]
    post(lib, "/dyn_author", {"name": "Ann"})
    post(lib, "/dyn_book", {"title": "Shown", "author": 1, "tags": []})
    lib.add(Book(title="Hidden", archived=True, author_id=1))
    assert lib.count("dyn_book") == 2
    # lists and their counts
    response = lib.get("/dyn_book")
    assert [b["title"] for b in response.get_json()] == ["Shown"]
    assert response.headers["X-Total-Count"] == "1"
    # single reads, writes of hidden items, and references to them
    assert lib.get("/dyn_book/2").status_code == 404
    assert lib.patch("/dyn_book/2", {"title": "x"}).status_code == 404
    assert lib.delete("/dyn_book/2").status_code == 404
    assert lib.post("/dyn_author/1/books", 2).status_code == 400
    where = json.dumps({"title": {"$startswith": "H"}})
    assert lib.get("/dyn_book", query_string={"where": where}).get_json() == []
    assert lib.rows("select title, archived from dyn_book order by id") == [
        ("Shown", False),
        ("Hidden", True),
    ]


def test_query_criteria_on_reads_of_rows(lib: Any) -> None:
    Note = lib.models["Note"]
    post(lib, "/dyn_author", {"name": "Ann"})
    post(lib, "/dyn_note", {"text": "shown"})
    lib.add(Note(text="hidden", author_id=1))
    response = lib.get("/dyn_note")
    assert response.get_json() == [{"$uri": "/dyn_note/1", "text": "shown"}]
    assert response.headers["X-Total-Count"] == "1"
    assert lib.get("/dyn_note/1").status_code == 200
    assert lib.get("/dyn_note/2").status_code == 404
    assert lib.post("/dyn_author/1/notes", 2).status_code == 400
    assert lib.post("/dyn_author/1/notes", 1).status_code == 200
    with lib.engine.begin() as connection:
        connection.exec_driver_sql("update dyn_note set author_id = 1")
    # the relation list and the ToMany of the author hide it too
    assert lib.get("/dyn_author/1/notes").get_json() == [{"$ref": "/dyn_note/1"}]
    assert lib.get("/dyn_author/1").get_json()["notes"] == [{"$ref": "/dyn_note/1"}]
