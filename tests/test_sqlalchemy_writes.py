"""A create sets a reference to a stored item by its foreign key, and still shows the
referenced object to signal receivers and to a loaded reverse collection.  On SQLite,
PostgreSQL and MariaDB."""

from __future__ import annotations

import pytest

from potion import ModelResource, fields, signals

from . import sqla_env

database = sqla_env.database  # the fixtures this module uses
sqla = sqla_env.sqla


@pytest.fixture
def library(sqla):
    db = sqla.db

    class Author(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False)

    class Book(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(100), nullable=False)
        author_id = db.Column(db.Integer, db.ForeignKey(Author.id), nullable=False)
        author = db.relationship(Author, backref="books")

    class AuthorResource(ModelResource):
        class Meta:
            model = Author

    class BookResource(ModelResource):
        class Meta:
            model = Book

        class Schema:
            author = fields.ToOne("author")

    sqla.api.add_resource(AuthorResource)
    sqla.api.add_resource(BookResource)
    sqla.create_all()
    sqla.add(Author(name="Ann"), Author(name="Bo"))
    return Author, Book, BookResource


def test_signal_receivers_see_the_referenced_object(sqla, library):
    _author, _book, resource = library
    seen = []

    def before(sender, item):
        seen.append(("before", item.author.name, item.author_id))

    def after(sender, item):
        seen.append(("after", item.author.name, item.author_id, item.id is not None))

    signals.before_create.connect(before, sender=resource)
    signals.after_create.connect(after, sender=resource)
    try:
        response = sqla.post("/book", json={"title": "T", "author": {"$ref": "/author/2"}})
    finally:
        signals.before_create.disconnect(before, sender=resource)
        signals.after_create.disconnect(after, sender=resource)
    assert response.status_code == 200, response.json
    assert response.json["author"] == {"$ref": "/author/2"}
    assert seen == [("before", "Bo", 2), ("after", "Bo", 2, True)]
    assert sqla.rows("select title, author_id from book") == [("T", 2)]


def test_a_loaded_reverse_collection_gains_the_new_item(sqla, library):
    author, _book, resource = library
    with sqla.app.test_request_context():
        session = sqla.db.session
        ann = session.get(author, 1)
        assert ann.books == []  # loaded, and empty
        item = resource.manager.create({"title": "Loaded", "author": ann})
        assert ann.books == [item] and item.author is ann
        bo = session.get(author, 2)  # its collection is not loaded
        other = resource.manager.create({"title": "Unloaded", "author": bo})
        assert other.author is bo and [b.title for b in bo.books] == ["Unloaded"]
    assert sqla.rows("select title, author_id from book order by id") == [
        ("Loaded", 1),
        ("Unloaded", 2),
    ]


def test_a_missing_or_foreign_reference_is_still_refused(sqla, library):
    response = sqla.post("/book", json={"title": "T", "author": {"$ref": "/author/9"}})
    assert response.status_code == 400
    assert sqla.count("book") == 0
