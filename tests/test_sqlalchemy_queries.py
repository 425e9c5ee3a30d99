"""How many SQL statements the built-in routes run on SQLAlchemy (no N+1), on SQLite,
PostgreSQL and MariaDB, counted with a ``before_cursor_execute`` listener."""

from __future__ import annotations

import pytest

from potion import ModelResource, Relation, fields

from . import sqla_env

database = sqla_env.database  # the fixtures this module uses
sqla = sqla_env.sqla


@pytest.fixture
def books(sqla):
    db = sqla.db

    book_tag = db.Table(
        "book_tag",
        db.Column("book_id", db.Integer, db.ForeignKey("book.id"), primary_key=True),
        db.Column("tag_id", db.Integer, db.ForeignKey("tag.id"), primary_key=True),
    )

    class Author(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False, unique=True)

    class Tag(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False)

    class Book(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(100), nullable=False)
        year = db.Column(db.Integer, nullable=False)
        rating = db.Column(db.Float, nullable=False)
        author_id = db.Column(db.Integer, db.ForeignKey(Author.id), nullable=False)
        author = db.relationship(Author, backref=db.backref("books", lazy="dynamic"))
        tags = db.relationship(Tag, secondary=book_tag)

    class AuthorResource(ModelResource):
        books = Relation("book")

        class Meta:
            model = Author
            natural_key = "name"
            sort_attribute = "name"

    class BookResource(ModelResource):
        class Meta:
            model = Book

        class Schema:
            author = fields.ToOne("author")

    class TaggedBookResource(ModelResource):
        class Meta:
            model = Book
            name = "tagged_book"

        class Schema:
            author = fields.ToOne("author")
            tags = fields.ToMany("tag")

    class TagResource(ModelResource):
        class Meta:
            model = Tag

    for resource in (AuthorResource, TagResource, BookResource, TaggedBookResource):
        sqla.api.add_resource(resource)
    sqla.create_all()
    sqla.add(*[Author(name=f"Author {i}") for i in range(1, 6)])
    tags = [Tag(name=f"tag {i}") for i in range(1, 4)]
    sqla.add(*tags)
    # book n has author (n - 1) % 5 + 1 and tag (n - 1) % 3 + 1
    for n in range(1, 31):
        book = Book(title=f"Book {n:02d}", year=1900 + n, rating=n % 5, author_id=(n - 1) % 5 + 1)
        book.tags = [tags[(n - 1) % 3]]
        sqla.add(book)
    return sqla


def run(books, url, **kwargs):
    with books.count_statements() as statements:
        response = books.get(url, **kwargs)
    assert response.status_code == 200, response.json
    return response, list(statements)


def test_a_page_of_twenty_books_with_their_authors_is_two_statements(books):
    response, statements = run(books, "/book")
    assert len(response.json) == 20
    assert len({item["author"]["$ref"] for item in response.json}) == 5
    assert len(statements) == 2, statements
    count, select = (s.lower() for s in statements)
    assert "count(" in count
    # only the book table's own columns: the author is formatted from the foreign key
    assert "author" not in select.split("from", 1)[1].replace("author_id", "")
    assert "book.author_id" in select


def test_filtered_and_sorted_pages_stay_at_two_statements(books):
    for query in (
        {"where": '{"year": {"$gt": 1905}, "rating": {"$gte": 3.0}}', "sort": '{"title": true}'},
        {"where": '{"author": {"$ref": "/author/2"}}'},
        {"where": '{"author": 3}'},
        {"where": '{"author": {"$in": [1, {"$ref": "/author/2"}]}}'},
        {"where": '{"author": {"$ref": "/author/99"}}'},
        {"sort": '{"author": false, "year": true}'},
        {"page": "2", "per_page": "10"},
    ):
        response, statements = run(books, "/book", query_string=query)
        assert len(statements) == 2, (query, statements)


def test_a_natural_key_in_where_costs_one_lookup(books):
    response, statements = run(books, "/book", query_string={"where": '{"author": "Author 1"}'})
    assert len(response.json) == 6
    assert len(statements) == 3


def test_in_over_natural_keys_costs_one_lookup(books):
    where = '{"author": {"$in": ["Author 1", "Author 2", "Nobody", {"$ref": "/author/3"}]}}'
    response, statements = run(books, "/book", query_string={"where": where, "per_page": 50})
    assert len(response.json) == 18
    assert len(statements) == 3, statements


def test_one_item_is_one_statement(books):
    response, statements = run(books, "/book/7")
    assert response.json["author"] == {"$ref": "/author/2"}
    assert len(statements) == 1, statements
    assert "author." not in statements[0].replace("author_id", "")


def test_the_relation_route_is_at_most_three_statements(books):
    # the parent item, the count and the page of its children (the first two may be one)
    response, statements = run(books, "/author/2/books")
    assert [item["$ref"] for item in response.json] == [
        f"/book/{n}" for n in (2, 7, 12, 17, 22, 27)
    ]
    assert len(statements) <= 3, statements
    assert books.get("/author/9/books").status_code == 404


def test_to_many_fields_are_loaded_in_one_more_statement(books):
    response, statements = run(books, "/tagged_book")
    assert len(response.json) == 20
    assert all(len(item["tags"]) == 1 for item in response.json)
    assert len(statements) == 3, statements  # count, page, all their tags at once
    response, statements = run(books, "/tagged_book/4")
    assert response.json["tags"] == [{"$ref": "/tag/1"}]
    assert len(statements) == 2, statements


def test_writes(books):
    with books.count_statements() as statements:
        response = books.client.patch("/book/3", json={"rating": 4.5})
    assert response.status_code == 200
    # read, update, and the reload of the expired item for the answer
    assert len(statements) <= 4, statements
    with books.count_statements() as statements:
        response = books.client.post(
            "/book", json={"title": "New", "year": 2000, "rating": 1, "author": 1}
        )
    assert response.status_code == 200
    assert len(statements) <= 4, statements
