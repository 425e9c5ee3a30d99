"""Relations on SQLAlchemy: ToOne and ToMany fields, ``Relation`` routes over a one-to-many
and a many-to-many association table, and natural keys (single and composite), on SQLite,
PostgreSQL and MariaDB."""

from __future__ import annotations

import json

import pytest

from potion import Api, ModelResource, Relation, fields

from . import sqla_env

database = sqla_env.database  # the fixtures this module uses
sqla = sqla_env.sqla


@pytest.fixture
def shelf(sqla):
    db = sqla.db

    book_tag = db.Table(
        "book_tag",
        db.Column("book_id", db.Integer, db.ForeignKey("book.id"), primary_key=True),
        db.Column("tag_id", db.Integer, db.ForeignKey("tag.id"), primary_key=True),
    )

    class Author(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        first_name = db.Column(db.String(40), nullable=False)
        last_name = db.Column(db.String(40), nullable=False)
        __table_args__ = (db.UniqueConstraint("first_name", "last_name"),)
        books = db.relationship("Book", back_populates="author", order_by="Book.id")

    class Tag(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False, unique=True)

    class Book(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(100), nullable=False)
        author_id = db.Column(db.Integer, db.ForeignKey(Author.id), nullable=True)
        author = db.relationship(Author, back_populates="books")
        tags = db.relationship(
            Tag, secondary=book_tag, backref=db.backref("books", lazy="dynamic"), order_by=Tag.id
        )

    class Chapter(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        book_id = db.Column(db.Integer, db.ForeignKey(Book.id), nullable=False)
        book = db.relationship(Book, backref=db.backref("chapters", order_by="Chapter.id"))
        title = db.Column(db.String(40), nullable=False)

    class AuthorResource(ModelResource):
        books = Relation("book")

        class Meta:
            model = Author
            natural_key = ("first_name", "last_name")

    class TagResource(ModelResource):
        books = Relation("book")

        class Meta:
            model = Tag
            natural_key = "name"
            sort_attribute = "name"

    class BookResource(ModelResource):
        tags = Relation("tag")
        chapters = Relation("chapter")

        class Meta:
            model = Book

        class Schema:
            author = fields.ToOne("author", nullable=True)
            tags = fields.ToMany("tag")

    class ChapterResource(ModelResource):
        class Meta:
            model = Chapter

        class Schema:
            book = fields.ToOne("book")

    for resource in (AuthorResource, TagResource, BookResource, ChapterResource):
        sqla.api.add_resource(resource)
    sqla.create_all()

    darwin = Author(first_name="Charles", last_name="Darwin")
    wallace = Author(first_name="Alfred", last_name="Wallace")
    science, history, travel = Tag(name="science"), Tag(name="history"), Tag(name="travel")
    sqla.add(science, history, travel)  # ids 1, 2, 3
    sqla.add(
        Book(title="Origin", author=darwin, tags=[science]),
        Book(title="Beagle", author=darwin, tags=[science, travel]),
        Book(title="Malay", author=wallace, tags=[travel]),
        Book(title="Anonymous", author=None, tags=[]),
    )
    sqla.add(Chapter(book_id=1, title="Variation"), Chapter(book_id=1, title="Struggle"))
    sqla.book_tags = lambda: sqla.rows("select book_id, tag_id from book_tag order by 1, 2")
    sqla.Book, sqla.Tag, sqla.Author = Book, Tag, Author
    return sqla


def refs(response):
    assert response.status_code == 200, response.json
    return [item["$ref"] for item in response.json]


# -- ToOne and ToMany fields ---------------------------------------------------------------


def test_to_one_and_to_many_are_formatted_as_references(shelf):
    assert shelf.get("/book/2").json == {
        "$uri": "/book/2",
        "title": "Beagle",
        "author": {"$ref": "/author/1"},
        "tags": [{"$ref": "/tag/1"}, {"$ref": "/tag/3"}],
    }
    listed = shelf.get("/book").json
    assert [book["tags"] for book in listed] == [
        [{"$ref": "/tag/1"}],
        [{"$ref": "/tag/1"}, {"$ref": "/tag/3"}],
        [{"$ref": "/tag/3"}],
        [],
    ]
    assert [book["author"] for book in listed] == [
        {"$ref": "/author/1"},
        {"$ref": "/author/1"},
        {"$ref": "/author/2"},
        None,
    ]


def test_create_with_to_many_in_every_reference_form(shelf):
    response = shelf.post(
        "/book",
        {
            "title": "Voyage",
            "author": ["Alfred", "Wallace"],
            "tags": [{"$ref": "/tag/2"}, "travel", 1],
        },
    )
    assert response.status_code == 200, response.json
    assert response.json["author"] == {"$ref": "/author/2"}
    assert response.json["tags"] == [{"$ref": "/tag/1"}, {"$ref": "/tag/2"}, {"$ref": "/tag/3"}]
    assert shelf.rows("select author_id from book where id = 5") == [(2,)]
    assert [row for row in shelf.book_tags() if row[0] == 5] == [(5, 1), (5, 2), (5, 3)]


def test_create_without_to_many_uses_its_default(shelf):
    response = shelf.post("/book", {"title": "Plain"})
    assert response.status_code == 200, response.json
    assert response.json["tags"] == []
    assert response.json["author"] is None


def test_update_to_many_replaces_the_collection(shelf):
    response = shelf.patch("/book/2", {"tags": ["history"]})
    assert response.status_code == 200, response.json
    assert response.json["tags"] == [{"$ref": "/tag/2"}]
    assert [row for row in shelf.book_tags() if row[0] == 2] == [(2, 2)]
    response = shelf.patch("/book/2", {"tags": []})
    assert response.json["tags"] == []
    assert [row for row in shelf.book_tags() if row[0] == 2] == []
    assert shelf.count("tag") == 3  # the tags themselves stay


def test_update_to_one_to_null_and_back(shelf):
    assert shelf.patch("/book/1", {"author": None}).json["author"] is None
    assert shelf.rows("select author_id from book where id = 1") == [(None,)]
    assert shelf.patch("/book/1", {"author": 2}).json["author"] == {"$ref": "/author/2"}
    assert shelf.rows("select author_id from book where id = 1") == [(2,)]


def test_missing_references_in_a_body_are_400_naming_the_field(shelf):
    before = shelf.book_tags()
    response = shelf.post("/book", {"title": "X", "tags": ["science", "poetry"]})
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == ["tags"]
    assert response.json["errors"][0]["validationOf"] == {"$ref": "tag"}
    response = shelf.post("/book", {"title": "X", "author": ["No", "Body"]})
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == ["author"]
    response = shelf.patch("/book/1", {"author": {"$ref": "/author/99"}, "title": "Changed"})
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == ["author"]
    assert shelf.count("book") == 4
    assert shelf.rows("select title, author_id from book where id = 1") == [("Origin", 1)]
    assert shelf.book_tags() == before


def test_references_are_validated(shelf):
    for body in (
        {"title": "X", "author": {"$ref": "/book/1"}},
        {"title": "X", "author": ["Charles"]},
        {"title": "X", "author": 1.5},
        {"title": "X", "tags": "science"},
        {"title": "X", "tags": [{"$ref": "/author/1"}]},
    ):
        response = shelf.post("/book", body)
        assert response.status_code == 400, body
    assert shelf.count("book") == 4


def test_where_contains_on_to_many(shelf):
    def titles(query):
        response = shelf.get("/book", query_string={"where": json.dumps(query)})
        assert response.status_code == 200, response.json
        return [book["title"] for book in response.json]

    assert titles({"tags": {"$contains": {"$ref": "/tag/3"}}}) == ["Beagle", "Malay"]
    assert titles({"tags": {"$contains": "science"}}) == ["Origin", "Beagle"]
    assert titles({"tags": {"$contains": 2}}) == []
    assert titles({"tags": {"$contains": "poetry"}}) == []
    assert titles({"tags": {"$contains": "science"}, "author": ["Charles", "Darwin"]}) == [
        "Origin",
        "Beagle",
    ]
    assert titles({"author": ["Alfred", "Wallace"]}) == ["Malay"]
    assert titles({"author": {"$in": [["Alfred", "Wallace"], ["No", "Body"], 1]}}) == [
        "Origin",
        "Beagle",
        "Malay",
    ]


def test_sort_by_reference_without_sort_attribute_uses_the_id(shelf):
    response = shelf.get(
        "/book", query_string={"where": '{"author": {"$ne": null}}', "sort": '{"author": true}'}
    )
    assert [book["title"] for book in response.json] == ["Malay", "Origin", "Beagle"]


# -- natural keys ------------------------------------------------------------------------


def test_natural_keys_in_the_reference_schema(shelf):
    schema = shelf.get("/book/schema").json
    (create,) = [link for link in schema["links"] if link["rel"] == "update"]
    author = create["schema"]["properties"]["author"]
    assert author == {
        "anyOf": [
            {
                "type": "object",
                "properties": {"$ref": {"type": "string", "pattern": "^/author\\/[^/]+$"}},
                "additionalProperties": False,
                "required": ["$ref"],
            },
            {"type": "integer"},
            {
                "type": "array",
                "items": [{"type": "string", "maxLength": 40}, {"type": "string", "maxLength": 40}],
                "additionalItems": False,
                "minItems": 2,
            },
            {"type": "null"},
        ]
    }
    tags = create["schema"]["properties"]["tags"]
    assert tags["items"]["anyOf"][2] == {"type": "string", "maxLength": 40}


def test_natural_key_lookups_that_fail(shelf):
    assert shelf.post("/chapter", {"book": 99, "title": "x"}).status_code == 400
    response = shelf.post("/book/1/tags", "poetry")
    assert response.status_code == 400
    assert response.json["status"] == 400
    response = shelf.post("/author/1/books", {"$ref": "/book/77"})
    assert response.status_code == 400


# -- Relation routes: one-to-many ---------------------------------------------------------


def test_relation_list_one_to_many(shelf):
    response = shelf.get("/author/1/books")
    assert refs(response) == ["/book/1", "/book/2"]
    assert response.headers["X-Total-Count"] == "2"
    assert response.headers["Link"] == (
        '</author/1/books?page=1&per_page=20>; rel="self",'
        '</author/1/books?page=1&per_page=20>; rel="last"'
    )
    assert refs(shelf.get("/author/2/books")) == ["/book/3"]
    assert shelf.get("/author/9/books").status_code == 404


def test_relation_list_is_paginated(shelf):
    shelf.add(*[shelf.Book(title=f"More {i}", author_id=1) for i in range(5)])
    response = shelf.get("/author/1/books?per_page=3")
    assert refs(response) == ["/book/1", "/book/2", "/book/5"]
    assert response.headers["X-Total-Count"] == "7"
    assert '</author/1/books?page=2&per_page=3>; rel="next"' in response.headers["Link"]
    assert '</author/1/books?page=3&per_page=3>; rel="last"' in response.headers["Link"]
    assert refs(shelf.get("/author/1/books?page=3&per_page=3")) == ["/book/9"]
    assert shelf.get("/author/1/books?page=4&per_page=3").status_code == 404
    assert shelf.get("/author/1/books?page=0").status_code == 400
    assert shelf.get("/author/1/books?per_page=abc").status_code == 400
    shelf.app.config["POTION_MAX_PER_PAGE"] = 2
    response = shelf.get("/author/1/books?per_page=50")
    assert len(response.json) == 2


def test_relation_add_one_to_many(shelf):
    response = shelf.post("/author/2/books", {"$ref": "/book/4"})
    assert response.status_code == 200, response.json
    assert response.json == {"$ref": "/book/4"}
    assert shelf.rows("select author_id from book where id = 4") == [(2,)]
    # moving a book from one author to another
    assert shelf.post("/author/2/books", 1).json == {"$ref": "/book/1"}
    assert shelf.rows("select id, author_id from book order by id") == [
        (1, 2),
        (2, 1),
        (3, 2),
        (4, 2),
    ]
    assert refs(shelf.get("/author/2/books")) == ["/book/1", "/book/3", "/book/4"]
    # adding a book that is already there changes nothing
    assert shelf.post("/author/2/books", 1).status_code == 200
    assert refs(shelf.get("/author/2/books")) == ["/book/1", "/book/3", "/book/4"]


def test_relation_add_to_a_missing_item_is_404(shelf):
    response = shelf.post("/author/9/books", 1)
    assert response.status_code == 404
    assert response.json["item"] == {"$id": 9, "$type": "author"}


def test_relation_add_validates_the_reference(shelf):
    assert shelf.post("/author/1/books", {"$ref": "/tag/1"}).status_code == 400
    assert shelf.post("/author/1/books", "Origin").status_code == 400
    assert shelf.rows("select id, author_id from book order by id") == [
        (1, 1),
        (2, 1),
        (3, 2),
        (4, None),
    ]


def test_relation_remove_one_to_many(shelf):
    response = shelf.delete("/author/1/books/2")
    assert response.status_code == 204
    assert response.data == b""
    assert shelf.rows("select author_id from book where id = 2") == [(None,)]
    assert refs(shelf.get("/author/1/books")) == ["/book/1"]
    # not in the collection: nothing happens
    assert shelf.delete("/author/1/books/3").status_code == 204
    assert shelf.rows("select author_id from book where id = 3") == [(2,)]
    # no such book, no such author
    response = shelf.delete("/author/1/books/99")
    assert response.status_code == 404
    assert response.json["item"] == {"$id": 99, "$type": "book"}
    assert shelf.delete("/author/9/books/1").status_code == 404
    assert shelf.delete("/author/1/books/abc").status_code == 404


def test_relation_remove_of_a_child_that_needs_its_parent_is_400(shelf):
    response = shelf.delete("/book/1/chapters/1")
    assert response.status_code == 400, response.json
    assert response.json["errors"] == [{"path": [], "validationOf": {"required": ["book"]}}]
    assert "chapter" in response.json["message"]
    assert shelf.rows("select id, book_id from chapter order by id") == [(1, 1), (2, 1)]
    assert refs(shelf.get("/book/1/chapters")) == ["/chapter/1", "/chapter/2"]


# -- Relation routes: many-to-many ----------------------------------------------------------


def test_relation_list_many_to_many_in_both_directions(shelf):
    # tags sort by name: science (1), travel (3)
    assert refs(shelf.get("/book/2/tags")) == ["/tag/1", "/tag/3"]
    assert refs(shelf.get("/book/4/tags")) == []
    # Tag.books is a dynamic backref
    response = shelf.get("/tag/3/books")
    assert refs(response) == ["/book/2", "/book/3"]
    assert response.headers["X-Total-Count"] == "2"
    assert refs(shelf.get("/tag/2/books")) == []


def test_relation_add_and_remove_many_to_many(shelf):
    assert shelf.post("/book/4/tags", "history").json == {"$ref": "/tag/2"}
    assert shelf.post("/book/4/tags", {"$ref": "/tag/1"}).json == {"$ref": "/tag/1"}
    assert [row for row in shelf.book_tags() if row[0] == 4] == [(4, 1), (4, 2)]
    # adding it twice does not duplicate it
    assert shelf.post("/book/4/tags", 2).status_code == 200
    assert [row for row in shelf.book_tags() if row[0] == 4] == [(4, 1), (4, 2)]
    # from the other side, through the dynamic relationship
    assert shelf.post("/tag/2/books", 1).json == {"$ref": "/book/1"}
    assert shelf.post("/tag/2/books", 1).status_code == 200
    assert refs(shelf.get("/tag/2/books")) == ["/book/1", "/book/4"]

    assert shelf.delete("/book/4/tags/1").status_code == 204
    assert shelf.delete("/tag/2/books/4").status_code == 204
    assert shelf.delete("/tag/2/books/3").status_code == 204  # never there
    assert [row for row in shelf.book_tags() if row[0] in (3, 4)] == [(3, 3)]
    assert shelf.count("tag") == 3
    assert shelf.count("book") == 4


def test_relation_routes_in_the_schema(shelf):
    links = {link["rel"]: link for link in shelf.get("/author/schema").json["links"]}
    assert links["books"]["href"] == "/author/{id}/books"
    assert links["books"]["method"] == "GET"
    assert links["books"]["targetSchema"]["type"] == "array"
    assert links["addBooks"]["method"] == "POST"
    assert links["removeBooks"]["href"] == "/author/{id}/books/{target_id}"
    assert links["removeBooks"]["method"] == "DELETE"


# -- a resource that refers to itself ------------------------------------------------------


def test_self_reference(sqla):
    db = sqla.db

    class Category(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False, unique=True)
        parent_id = db.Column(db.Integer, db.ForeignKey("category.id"), nullable=True)
        parent = db.relationship("Category", remote_side=[id], backref="children")

    class CategoryResource(ModelResource):
        children = Relation("self")

        class Meta:
            model = Category
            natural_key = "name"

        class Schema:
            parent = fields.ToOne("self", nullable=True)

    sqla.api.add_resource(CategoryResource)
    sqla.create_all()
    assert sqla.post("/category", {"name": "root"}).json["parent"] is None
    assert sqla.post("/category", {"name": "a", "parent": "root"}).json["parent"] == {
        "$ref": "/category/1"
    }
    assert sqla.post("/category", {"name": "b", "parent": 1}).status_code == 200
    assert sqla.post("/category", {"name": "c", "parent": "a"}).status_code == 200
    response = sqla.get("/category", query_string={"where": '{"parent": "root"}'})
    assert [c["name"] for c in response.json] == ["a", "b"]
    response = sqla.get("/category", query_string={"where": '{"parent": null}'})
    assert [c["name"] for c in response.json] == ["root"]
    assert [c["$ref"] for c in sqla.get("/category/1/children").json] == [
        "/category/2",
        "/category/3",
    ]
    assert sqla.post("/category/2/children", "b").status_code == 200
    assert sqla.rows("select name, parent_id from category order by id") == [
        ("root", None),
        ("a", 1),
        ("b", 2),
        ("c", 2),
    ]
    assert sqla.delete("/category/2/children/3").status_code == 204
    assert sqla.rows("select parent_id from category where id = 3") == [(None,)]


@pytest.mark.parametrize("lazy", ["select", "dynamic", "write_only"])
def test_deleting_either_side_of_a_many_to_many_deletes_its_links(sqla, lazy):
    # declared on one side only (no backref), in every loading style; a
    # self-referential one too (a person follows people), linked both ways
    db = sqla.db
    options = {"passive_deletes": True} if lazy == "write_only" else {}
    badge_person = db.Table(
        "badge_person",
        db.Column("badge_id", db.Integer, db.ForeignKey("badge.id"), primary_key=True),
        db.Column("person_id", db.Integer, db.ForeignKey("person.id"), primary_key=True),
    )
    follows_table = db.Table(
        "follows",
        db.Column("follower_id", db.Integer, db.ForeignKey("person.id"), primary_key=True),
        db.Column("followed_id", db.Integer, db.ForeignKey("person.id"), primary_key=True),
    )

    class Person(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        follows = db.relationship(
            "Person",
            secondary=follows_table,
            primaryjoin=lambda: Person.id == follows_table.c.follower_id,
            secondaryjoin=lambda: Person.id == follows_table.c.followed_id,
            lazy=lazy,
            **options,
        )

    class Badge(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        people = db.relationship(Person, secondary=badge_person, lazy=lazy, **options)

    class PersonResource(ModelResource):
        follows = Relation("self")

        class Meta:
            model = Person

    class BadgeResource(ModelResource):
        people = Relation("person")

        class Meta:
            model = Badge

    sqla.api.add_resource(PersonResource)
    sqla.api.add_resource(BadgeResource)
    sqla.create_all()
    for _ in range(3):
        assert sqla.post("/person", {}).status_code == 200
    for _ in range(2):
        assert sqla.post("/badge", {}).status_code == 200
    for badge, person in ((1, 1), (1, 2), (2, 2), (2, 3)):
        assert sqla.post(f"/badge/{badge}/people", person).status_code == 200
    for follower, followed in ((1, 2), (2, 1), (3, 2), (2, 3)):
        assert sqla.post(f"/person/{follower}/follows", followed).status_code == 200

    assert sqla.delete("/person/2").status_code == 204  # the target side, and both ways
    assert sqla.rows("select badge_id, person_id from badge_person order by 1, 2") == [
        (1, 1),
        (2, 3),
    ]
    assert sqla.rows("select * from follows") == []
    assert sqla.get("/badge/1/people").json == [{"$ref": "/person/1"}]
    assert sqla.delete("/badge/2").status_code == 204  # the side that declares it
    assert sqla.rows("select badge_id, person_id from badge_person") == [(1, 1)]
    assert sqla.count("person") == 2


def test_a_reference_may_name_the_target_model(sqla):
    db = sqla.db

    class Owner(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False)

    class Pet(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        owner_id = db.Column(db.Integer, db.ForeignKey(Owner.id), nullable=False)
        owner = db.relationship(Owner)

    class PetResource(ModelResource):
        class Meta:
            model = Pet

        class Schema:
            owner = fields.ToOne(Owner)  # the model: its resource is found on the Api

    class OwnerResource(ModelResource):
        class Meta:
            model = Owner

    sqla.api.add_resource(PetResource)
    sqla.api.add_resource(OwnerResource)
    sqla.create_all()
    assert sqla.post("/owner", json={"name": "Ann"}).status_code == 200
    response = sqla.post("/pet", json={"owner": {"$ref": "/owner/1"}})
    assert response.status_code == 200, response.json
    assert response.json["owner"] == {"$ref": "/owner/1"}


def test_a_reference_to_a_model_without_a_resource_says_so(sqla):
    db = sqla.db

    class Kennel(db.Model):
        id = db.Column(db.Integer, primary_key=True)

    class Dog(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        kennel_id = db.Column(db.Integer, db.ForeignKey(Kennel.id))
        kennel = db.relationship(Kennel)

    class DogResource(ModelResource):
        class Meta:
            model = Dog

        class Schema:
            kennel = fields.ToOne(Kennel, nullable=True)

    # no resource class of Kennel exists: refused at start-up (potion.E101)
    with pytest.raises(RuntimeError, match="no resource of the Api has Meta.model = Kennel"):
        sqla.api.add_resource(DogResource)
    unbound = Api()  # unchecked until bound: the reference fails when resolved
    unbound.add_resource(DogResource)
    with pytest.raises(RuntimeError, match="No resource has Meta.model = Kennel"):
        DogResource.schema.fields["kennel"].target
