"""The built-in reads of SQLAlchemy resources run on a connection of their own when the
request has no session, and keep everything the ORM adds to a query of a mapped class:
``do_orm_execute`` hooks, the discriminator of single-table inheritance, the session's
transaction and its unflushed changes.  On SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from potion import ModelResource, Relation, fields

from . import sqla_env

database = sqla_env.database  # the fixtures this module uses
sqla = sqla_env.sqla


@pytest.fixture
def shelf(sqla):
    db = sqla.db

    class Author(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False)

    class Book(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(100), nullable=False)
        deleted = db.Column(db.Boolean, nullable=False, default=False)
        author_id = db.Column(db.Integer, db.ForeignKey(Author.id), nullable=False)
        author = db.relationship(Author, backref="books")

    class AuthorResource(ModelResource):
        books = Relation("book")

        class Meta:
            model = Author

    class BookResource(ModelResource):
        class Meta:
            model = Book
            exclude_fields = ("deleted",)

        class Schema:
            author = fields.ToOne("author")

    sqla.api.add_resource(AuthorResource)
    sqla.api.add_resource(BookResource)
    sqla.create_all()
    sqla.add(Author(name="Ann"))
    sqla.add(*[Book(title=f"B{n}", deleted=n % 2 == 0, author_id=1) for n in range(1, 7)])
    return Author, Book, BookResource, AuthorResource


def test_a_do_orm_execute_hook_narrows_every_built_in_read(sqla, shelf):
    _author, book, _resource, _authors = shelf

    def hide_deleted(state):
        if state.is_select:
            state.statement = state.statement.options(
                orm.with_loader_criteria(book, book.deleted.is_(False))
            )

    sa.event.listen(sqla.db.session, "do_orm_execute", hide_deleted)
    try:
        assert sqla.get("/book/1").status_code == 200
        assert sqla.get("/book/2").status_code == 404  # deleted
        response = sqla.get("/book")
        assert [item["title"] for item in response.json] == ["B1", "B3", "B5"]
        assert response.headers["X-Total-Count"] == "3"
        response = sqla.get("/author/1/books")
        assert response.json == [{"$ref": f"/book/{n}"} for n in (1, 3, 5)]
        assert response.headers["X-Total-Count"] == "3"
    finally:
        sa.event.remove(sqla.db.session, "do_orm_execute", hide_deleted)
    assert sqla.get("/book/2").status_code == 200
    assert sqla.get("/book").headers["X-Total-Count"] == "6"


def test_single_table_inheritance_reads_only_the_subclass_rows(sqla):
    db = sqla.db

    class Animal(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False)
        kind = db.Column(db.String(10), nullable=False)
        __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "animal"}

    class Dog(Animal):
        __mapper_args__ = {"polymorphic_identity": "dog"}

    class Cat(Animal):
        __mapper_args__ = {"polymorphic_identity": "cat"}

    class DogResource(ModelResource):
        class Meta:
            model = Dog
            name = "dog"
            exclude_fields = ("kind",)

    sqla.api.add_resource(DogResource)
    sqla.create_all()
    sqla.add(Dog(name="Rex"), Cat(name="Tom"), Dog(name="Fido"))
    response = sqla.get("/dog")
    assert [item["name"] for item in response.json] == ["Rex", "Fido"]
    assert response.headers["X-Total-Count"] == "2"
    assert sqla.get("/dog/1").json["name"] == "Rex"
    assert sqla.get("/dog/2").status_code == 404  # the cat


def test_a_read_in_a_session_transaction_sees_its_unflushed_and_uncommitted_rows(sqla, shelf):
    _author, book, resource, authors = shelf
    manager = resource.manager
    with sqla.app.test_request_context():
        session = sqla.db.session
        session.add(book(title="New", author_id=1))  # pending: the read flushes it
        page = manager.page_for_output(1, 50)
        assert page.total == 7 and page.items[-1].title == "New"
        new_id = page.items[-1].id
        assert manager.item_for_output(new_id).title == "New"
        assert authors.manager.relation_page_for_output(1, "books", resource, 1, 50).total == 7
        session.rollback()
    assert sqla.count("book") == 6  # nothing was committed
    assert sqla.get(f"/book/{new_id}").status_code == 404


def test_built_in_reads_give_their_connection_back(sqla, shelf):
    pool = sqla.engine.pool
    if not hasattr(pool, "checkedout"):
        pytest.skip(f"{type(pool).__name__} does not count its connections")
    for url in ("/book/1", "/book", "/author/1/books", "/book/999", "/author/9/books"):
        sqla.get(url)
        assert pool.checkedout() == 0, url


def test_a_read_without_a_session_creates_none(sqla, shelf):
    created = []

    def began(*args):
        created.append(args)

    sa.event.listen(sqla.db.session, "after_begin", began)
    try:
        for url in ("/book/1", '/book?where={"title": "B3"}', "/author/1/books"):
            assert sqla.get(url).status_code == 200
        assert created == []  # no session transaction: the rows came from a connection
        assert sqla.patch("/book/1", json={"title": "B1b"}).status_code == 200
        assert created  # writes run in the session
    finally:
        sa.event.remove(sqla.db.session, "after_begin", began)


def test_a_write_answers_what_the_database_stored_in_one_statement(sqla, shelf):
    _author, book, resource, _authors = shelf
    from potion import signals

    def shout(sender, item, changes):
        # changes the row behind the ORM's back: only a reload can see it
        sqla.db.session.execute(
            sa.update(book).where(book.id == item.id).values(title=sa.func.upper(book.title))
        )

    signals.after_update.connect(shout, sender=resource)
    try:
        with sqla.count_statements() as statements:
            response = sqla.patch("/book/1", json={"title": "quiet"})
        assert response.status_code == 200
        assert response.json["title"] == "QUIET" == sqla.scalar("select title from book where id=1")
        reloads = [s for s in statements if s.lower().lstrip().startswith("select")]
        assert len(reloads) == 2  # the item, then its columns after the commit
    finally:
        signals.after_update.disconnect(shout, sender=resource)
    response = sqla.post("/book", json={"title": "Fresh", "author": {"$ref": "/author/1"}})
    assert response.status_code == 200
    new_id = sqla.scalar("select id from book where title='Fresh'")
    assert response.headers["Location"].endswith(f"/book/{new_id}")
    assert response.json == {
        "$uri": f"/book/{new_id}",
        "title": "Fresh",
        "author": {"$ref": "/author/1"},
    }


def test_an_attribute_route_after_a_write_reads_attributes_beyond_the_schema(sqla):
    from potion import ItemAttributeRoute

    db = sqla.db

    class Note(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        text = db.Column(db.String(40), nullable=False)
        secret = db.Column(db.String(40), nullable=False, default="s")

    class NoteResource(ModelResource):
        secret = ItemAttributeRoute(fields.String(), io="ru")

        class Meta:
            model = Note
            exclude_fields = ("secret",)

    sqla.api.add_resource(NoteResource)
    sqla.create_all()
    sqla.add(Note(text="a", secret="old"))
    response = sqla.post("/note/1/secret", json="new")
    assert response.status_code == 200 and response.json == "new"
    assert sqla.get("/note/1/secret").json == "new"
    assert sqla.get("/note/1").json == {"$uri": "/note/1", "text": "a"}


def test_a_session_choosing_its_engine_per_read_is_asked_on_every_read(sqla, shelf):
    session_class = sqla.db.session.session_factory.class_
    asked = []

    def get_bind(self, mapper=None, clause=None, **kwargs):
        asked.append(mapper)
        return sqla.engine

    session_class.get_bind = get_bind
    try:
        for _ in range(3):
            assert sqla.get("/book/1").status_code == 200
        assert len(asked) == 3
    finally:
        del session_class.get_bind
