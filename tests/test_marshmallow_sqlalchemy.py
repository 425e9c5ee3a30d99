"""A marshmallow-sqlalchemy auto schema drives ModelResources with a relation, on every
SQL database of the suite (SQLite always; PostgreSQL and MariaDB when configured)."""

from __future__ import annotations

import pytest

from . import sqla_env

pytest.importorskip("marshmallow_sqlalchemy", reason="needs the marshmallow extra")

from marshmallow import ValidationError, fields, validates_schema  # noqa: E402
from marshmallow_sqlalchemy import SQLAlchemyAutoSchema, auto_field  # noqa: E402

import potion.contrib.marshmallow  # noqa: E402,F401
from potion import ModelResource  # noqa: E402

database = sqla_env.database
sqla = sqla_env.sqla


@pytest.fixture
def library(sqla):
    db = sqla.db

    class Author(db.Model):
        __tablename__ = "author"
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(60), nullable=False)

    class Book(db.Model):
        __tablename__ = "book"
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(80), nullable=False, unique=True)
        year = db.Column(db.Integer)
        author_id = db.Column(db.Integer, db.ForeignKey("author.id"), nullable=False)
        author = db.relationship(Author, backref=db.backref("books", order_by="Book.id"))

    class AuthorSchema(SQLAlchemyAutoSchema):
        class Meta:
            model = Author
            include_relationships = True
            load_instance = True  # Potion's manager builds the item; this hook is skipped

        id = auto_field(dump_only=True)

    class BookSchema(SQLAlchemyAutoSchema):
        class Meta:
            model = Book
            include_relationships = True

        id = auto_field(dump_only=True)
        title = auto_field(data_key="bookTitle")
        label = fields.Method("get_label")

        def get_label(self, book):
            return f"{book.title} ({book.year})"

        @validates_schema
        def not_before_printing(self, data, **kwargs):
            if data.get("year") is not None and data["year"] < 1450:
                raise ValidationError("Printed books start in 1450.", "year")

    class AuthorResource(ModelResource):
        class Meta:
            model = Author
            marshmallow_schema = AuthorSchema

    class BookResource(ModelResource):
        class Meta:
            model = Book
            marshmallow_schema = BookSchema

    sqla.api.add_resource(AuthorResource)
    sqla.api.add_resource(BookResource)
    sqla.create_all()
    return sqla


def test_the_schema_follows_the_auto_schema(library):
    document = library.get("/book/schema").json
    properties = document["properties"]
    assert set(properties) == {"$uri", "id", "bookTitle", "year", "author", "label"}
    assert properties["bookTitle"] == {"type": "string", "maxLength": 80}
    assert properties["year"] == {"type": ["integer", "null"]}
    assert properties["id"] == {"type": "integer", "readOnly": True}
    assert properties["label"] == {"readOnly": True}
    assert properties["author"]["properties"]["$ref"]["pattern"] == "^/author\\/[^/]+$"
    create = library.api.resources["book"].schema.create
    assert create["required"] == ["author", "bookTitle"]
    assert "id" not in create["properties"] and "label" not in create["properties"]
    author = library.get("/author/schema").json["properties"]
    assert author["books"]["type"] == "array"
    assert author["books"]["items"]["properties"]["$ref"]["pattern"] == "^/book\\/[^/]+$"


def test_create_read_and_relations(library):
    ada = library.post("/author", {"name": "Ada"})
    assert ada.status_code == 200, ada.json
    assert ada.json == {"$uri": "/author/1", "id": 1, "name": "Ada", "books": []}
    first = library.post(
        "/book", {"bookTitle": "Notes", "year": 1843, "author": {"$ref": "/author/1"}}
    )
    assert first.status_code == 200, first.json
    assert first.json == {
        "$uri": "/book/1",
        "id": 1,
        "bookTitle": "Notes",
        "year": 1843,
        "author": {"$ref": "/author/1"},
        "label": "Notes (1843)",
    }
    # a plain id is a reference too (how marshmallow-sqlalchemy clients send it)
    second = library.post("/book", {"bookTitle": "Letters", "author": 1})
    assert second.status_code == 200, second.json
    assert library.rows("select id, title, year, author_id from book order by id") == [
        (1, "Notes", 1843, 1),
        (2, "Letters", None, 1),
    ]
    assert library.get("/author/1").json["books"] == [{"$ref": "/book/1"}, {"$ref": "/book/2"}]
    listed = library.get('/book?where={"author": {"$ref": "/author/1"}}&sort={"bookTitle": false}')
    assert [book["bookTitle"] for book in listed.json] == ["Letters", "Notes"]
    patched = library.patch("/book/2", {"year": 1850})
    assert patched.status_code == 200
    assert library.scalar("select year from book where id = 2") == 1850


def test_a_to_many_written_through_the_related_list(library):
    library.post("/author", {"name": "Ada"})
    library.post("/book", {"bookTitle": "Notes", "author": 1})
    bob = library.post("/author", {"name": "Bob", "books": [{"$ref": "/book/1"}]})
    assert bob.status_code == 200, bob.json
    assert bob.json["books"] == [{"$ref": "/book/1"}]
    assert library.scalar("select author_id from book where id = 1") == 2


def test_refusals_store_nothing(library):
    library.post("/author", {"name": "Ada"})
    missing_author = library.post("/book", {"bookTitle": "Notes", "author": {"$ref": "/author/9"}})
    assert missing_author.status_code == 400
    assert missing_author.json["errors"] == [
        {
            "path": ["author"],
            "message": 'author {"$ref": "/author/9"} does not exist',
            "validationOf": {"$ref": "author"},
        }
    ]
    too_early = library.post("/book", {"bookTitle": "Bible", "year": 1200, "author": 1})
    assert too_early.status_code == 400
    assert too_early.json["errors"] == [
        {
            "path": ["year"],
            "message": "Printed books start in 1450.",
            "validationOf": {"validates_schema": "not_before_printing"},
        }
    ]
    too_long = library.post("/book", {"bookTitle": "x" * 81, "author": 1})
    assert too_long.json["errors"] == [{"path": ["bookTitle"], "validationOf": {"maxLength": 80}}]
    library.post("/book", {"bookTitle": "Notes", "author": 1})
    duplicate = library.post("/book", {"bookTitle": "Notes", "author": 1})
    assert duplicate.status_code == 409
    assert library.count("book") == 1
    assert library.count("author") == 1


def test_reads_take_as_many_statements_as_with_potion_fields(library):
    library.post("/author", {"name": "Ada"})
    for n in range(3):
        library.post("/book", {"bookTitle": f"Book {n}", "author": 1})
    with library.count_statements() as statements:
        assert library.get("/book?per_page=2").status_code == 200
    assert len(statements) == 2  # the page and its count, the author from the foreign key
