"""The start-up checks (potion.checks): each misconfiguration, its message, and an
app that refuses to start instead of answering 500 to every request."""

from __future__ import annotations

import datetime
import warnings

import peewee
import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from mongoengine import Document, ReferenceField, StringField
from sqlalchemy.orm import DeclarativeBase

from potion import Api, ModelResource, fields, signals
from potion.backends.memory import MemoryManager
from potion.backends.peewee import PeeweeManager
from potion.checks import CheckWarning, ConfigurationError, run_checks


def make_app(**config):
    app = Flask(__name__)
    app.config.update(TESTING=True, SQLALCHEMY_DATABASE_URI="sqlite://", **config)
    return app


@pytest.fixture()
def sqla():
    """An app, its database (SQLite in memory) and the models of a small library."""
    app = make_app()

    class Base(DeclarativeBase):
        pass

    db = SQLAlchemy(app, model_class=Base)

    class Author(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(60), nullable=False)

    class Book(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(60), nullable=False)
        author_id = db.Column(db.Integer, db.ForeignKey(Author.id), nullable=False)
        author = db.relationship(Author)

    class Env:
        pass

    env = Env()
    env.app, env.db, env.Author, env.Book = app, db, Author, Book
    with app.app_context():
        db.create_all()
    return env


def resource(model, name=None, meta=None, schema=None, base=ModelResource):
    """A resource class of ``model`` with the given Meta options and Schema fields."""
    meta_class = type("Meta", (), {"model": model, **(meta or {})})
    members = {"Meta": meta_class, "Schema": type("Schema", (), schema or {})}
    return type(name or f"{model.__name__}Resource", (base,), members)


def refusal(api, *resources):
    """Add ``resources``; the ConfigurationError the last one raises."""
    for r in resources[:-1]:
        api.add_resource(r)
    with pytest.raises(ConfigurationError) as caught:
        api.add_resource(resources[-1])
    return caught.value


# -- potion.E101: references -------------------------------------------------------


def test_a_reference_to_a_misspelt_name_refuses_to_start(sqla):
    authors = resource(sqla.Author)
    books = resource(sqla.Book, schema={"author": fields.ToOne("authors")})
    error = refusal(Api(sqla.app), authors, books)
    assert [m.id for m in error.messages] == ["potion.E101"]
    assert str(error) == (
        "potion.E101: BookResource.Schema.author: fields.ToOne('authors') names no resource "
        "of the Api (its resources: author, book) (fix: write fields.ToOne('author'))"
    )
    assert isinstance(error, RuntimeError)


def test_a_reference_to_a_class_declared_further_down_is_accepted(sqla):
    """Flask-Potion resolved names lazily: a resource may be added before the class it
    refers to is even declared."""
    api = Api(sqla.app)
    api.add_resource(resource(sqla.Book, schema={"author": fields.ToOne("penman")}))
    penmen = resource(sqla.Author, meta={"name": "penman"})  # declared after the add
    api.add_resource(penmen)
    assert run_checks(api) == []
    with sqla.app.app_context():
        sqla.db.session.add(sqla.Author(name="Ann"))
        sqla.db.session.commit()
    response = sqla.app.test_client().post(
        "/book", json={"title": "T", "author": {"$ref": "/penman/1"}}
    )
    assert response.status_code == 200, response.json
    assert response.json["author"] == {"$ref": "/penman/1"}


def test_the_refused_resource_is_not_served(sqla):
    api = Api(sqla.app)
    books = resource(sqla.Book, schema={"author": fields.ToOne("bookk")})  # a typo of itself
    with pytest.raises(ConfigurationError, match="potion.E101"):
        api.add_resource(books)
    assert "book" not in api.resources and books.api is None
    assert sqla.app.test_client().get("/book").status_code == 404


def test_a_factory_app_refuses_to_start_at_init_app(sqla):
    api = Api()  # module-level, bound in the factory
    api.add_resource(resource(sqla.Author))
    api.add_resource(resource(sqla.Book, schema={"author": fields.ToOne("authr")}))
    with pytest.raises(ConfigurationError, match=r"fields.ToOne\('authr'\) names no resource"):
        api.init_app(sqla.app)
    assert api.app is None


def test_a_reference_to_a_resource_never_added_is_refused_before_the_first_request(sqla):
    authors = resource(sqla.Author)  # declared, but never added to the Api
    api = Api(sqla.app)
    api.add_resource(resource(sqla.Book, schema={"author": fields.ToOne("author")}))
    assert authors.api is None
    [message] = run_checks(api)
    assert message.id == "potion.E101"
    assert "fields.ToOne('author') names no resource of the Api (its resources: book)" in str(
        message
    )
    # the first request refuses too: the error is raised (and logged), never an answer
    for _ in range(2):
        with pytest.raises(ConfigurationError, match="potion.E101"):
            sqla.app.test_client().get("/book")


def test_passed_checks_leave_the_requests_and_a_resource_added_later_is_checked(sqla):
    api = Api(sqla.app)
    api.add_resource(resource(sqla.Author))
    hooks = sqla.app.before_request_funcs
    assert api._check_resolved in hooks[None]
    api.check()  # passed (a project runs it when it builds its app): requests skip it
    assert api._check_resolved not in hooks.get(None, [])
    # a resource added afterwards brings it back, and its broken reference is refused
    writers = resource(sqla.Author, meta={"name": "writer"})  # declared, never added
    api.add_resource(resource(sqla.Book, schema={"author": fields.ToOne("writer")}))
    assert api._check_resolved in hooks[None]
    client = sqla.app.test_client()
    with pytest.raises(ConfigurationError, match="fields.ToOne\\('writer'\\) names no resource"):
        client.get("/author")
    assert writers.api is None


def test_a_passed_check_is_not_run_again_by_later_requests(sqla):
    api = Api(sqla.app)
    api.add_resource(resource(sqla.Author))
    client = sqla.app.test_client()
    assert client.get("/author").status_code == 200
    assert api._check_resolved not in sqla.app.before_request_funcs.get(None, [])
    assert client.get("/author").status_code == 200


def test_a_dotted_reference_is_imported_only_once_resources_are_added(sqla):
    api = Api(sqla.app)
    api.add_resource(resource(sqla.Book, schema={"author": fields.ToOne("nowhere.Author")}))
    [message] = run_checks(api)
    assert str(message) == (
        "potion.E101: BookResource.Schema.author: fields.ToOne('nowhere.Author') cannot be "
        "resolved: No module named 'nowhere' (fix: write 'package.module.ResourceClass' of an "
        "importable module, or the resource's name)"
    )


def test_a_reference_by_model_needs_a_resource_of_that_model(sqla):
    books = resource(sqla.Book, schema={"author": fields.ToOne(sqla.Author)})
    error = refusal(Api(sqla.app), books)
    assert "no resource of the Api has Meta.model = Author" in str(error)


def test_a_relation_and_a_route_argument_are_checked(sqla):
    from potion.routes import ItemRoute, Relation

    class AuthorResource(ModelResource):
        books = Relation("bok")

        class Meta:
            model = sqla.Author

    error = refusal(Api(sqla.app), AuthorResource)
    assert "AuthorResource.books (a Relation): fields.ToOne('bok')" in str(error)

    class Shelf(ModelResource):
        class Meta:
            manager = MemoryManager

        @ItemRoute.POST("/put")
        def put(self, item, book: fields.ToOne("boook")) -> fields.Boolean():
            return True

    error = refusal(Api(make_app()), Shelf)
    assert "Shelf route 'createPut', argument 'book': fields.ToOne('boook')" in str(error)


def test_a_reference_to_a_resource_added_later_is_accepted(sqla):
    books = resource(sqla.Book, schema={"author": fields.ToOne("author")})
    authors = resource(sqla.Author)  # declared before the first add_resource
    api = Api(sqla.app)
    api.add_resource(books)
    api.add_resource(authors)
    assert run_checks(api) == []
    assert sqla.app.test_client().get("/book").status_code == 200


# -- potion.E102: a required column no field writes ----------------------------------


def test_a_required_foreign_key_without_its_to_one_refuses_to_start(sqla):
    error = refusal(Api(sqla.app), resource(sqla.Author), resource(sqla.Book))
    assert str(error) == (
        "potion.E102: BookResource: Book.author_id (Integer) must have a value on create, "
        "but no field writes it, so every create fails (fix: add "
        'author = fields.ToOne("author") to BookResource.Schema; if a before_create receiver '
        "fills it, add 'potion.E102' to BookResource.Meta.silenced_checks)"
    )


def test_the_line_the_message_gives_works(sqla):
    api = Api(sqla.app)
    api.add_resource(resource(sqla.Author))
    api.add_resource(resource(sqla.Book, schema={"author": fields.ToOne("author")}))
    client = sqla.app.test_client()
    assert client.post("/author", json={"name": "Ann"}).status_code == 200
    created = client.post("/book", json={"title": "Tea", "author": {"$ref": "/author/1"}})
    assert created.status_code == 200, created.json
    assert created.json["author"] == {"$ref": "/author/1"}


def test_a_foreign_key_without_a_relationship_asks_for_one():
    app = make_app()
    db = SQLAlchemy(app)

    class Owner(db.Model):
        id = db.Column(db.Integer, primary_key=True)

    class Pet(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        owner_id = db.Column(db.Integer, db.ForeignKey(Owner.id), nullable=False)

    error = refusal(Api(app), resource(Pet))
    assert "Pet.owner_id (Integer) must have a value on create" in str(error)
    assert (
        "fix: give the model a relationship 'owner' to Owner and add "
        'owner = fields.ToOne("owner") to PetResource.Schema'
    ) in str(error)


def test_a_required_column_of_a_type_without_field_refuses_to_start():
    app = make_app()
    db = SQLAlchemy(app)

    class Alarm(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        at = db.Column(db.Time, nullable=False)

    error = refusal(Api(app), resource(Alarm))
    assert "potion.E102: AlarmResource: Alarm.at (Time) must have a value on create" in str(error)
    assert "declare a field for it in AlarmResource.Schema (its type has none)" in str(error)


def test_a_required_column_left_out_names_the_option(sqla):
    for meta, option in (
        ({"exclude_fields": ["name"]}, "remove 'name' from AuthorResource.Meta.exclude_fields"),
        ({"include_fields": ["id"]}, "add 'name' to AuthorResource.Meta.include_fields"),
        ({"read_only_fields": ["name"]}, "make AuthorResource's field of 'name' writable"),
    ):
        error = refusal(Api(make_app()), resource(sqla.Author, meta=meta))
        assert "Author.name (String) must have a value on create" in str(error)
        assert option in str(error)


def test_columns_that_fill_themselves_are_not_required():
    app = make_app()
    db = SQLAlchemy(app)

    class Note(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        body = db.Column(db.String, nullable=False, default="")
        stamp = db.Column(db.DateTime, nullable=False, server_default=db.func.now())

    api = Api(app)
    api.add_resource(resource(Note, meta={"exclude_fields": ["body", "stamp"]}))
    assert run_checks(api) == []


def test_a_silenced_check_lets_a_receiver_fill_the_column(sqla):
    books = resource(
        sqla.Book, meta={"silenced_checks": ["potion.E102"]}, schema={"title": fields.String()}
    )
    api = Api(sqla.app)
    api.add_resource(resource(sqla.Author))
    api.add_resource(books)
    assert run_checks(api) == []

    with sqla.app.app_context():
        sqla.db.session.add(sqla.Author(name="Ann"))
        sqla.db.session.commit()

    def fill(sender, item):
        item.author_id = 1

    signals.before_create.connect(fill, sender=books)
    try:
        response = sqla.app.test_client().post("/book", json={"title": "Tea"})
    finally:
        signals.before_create.disconnect(fill, sender=books)
    assert response.status_code == 200, response.json


def test_the_silenced_checks_setting(sqla):
    app = make_app(POTION_SILENCED_CHECKS=["potion.E102"])
    api = Api(app)
    api.add_resource(resource(sqla.Book, schema={"title": fields.String()}))
    assert run_checks(api) == []


def test_a_resource_with_its_own_create_is_not_checked(sqla):
    class BookResource(ModelResource):
        class Meta:
            model = sqla.Book

        def create(self, properties):
            properties["author_id"] = 1
            return super().create(properties)

    api = Api(sqla.app)
    api.add_resource(BookResource)
    assert run_checks(api) == []


# -- potion.E103, E104: Meta.filters ----------------------------------------------------


@pytest.mark.parametrize(
    "operator, fix",
    [
        ("equals", "write 'eq' (accepted: eq, ne, contains, icontains, startswith, "),
        ("$eq", "write 'eq' (without '$')"),
        ("gt", "accepted: eq, ne, contains"),
    ],
)
def test_an_unknown_operator_in_meta_filters_refuses_to_start(sqla, operator, fix):
    authors = resource(sqla.Author, meta={"filters": {"name": [operator]}})
    error = refusal(Api(sqla.app), authors)
    [message] = error.messages
    assert message.id == "potion.E103"
    assert message.text == (
        f"AuthorResource.Meta.filters['name']: {operator!r} is not an operator of String fields"
    )
    assert fix in message.hint


def test_operators_listed_for_every_field_are_checked_against_them_all():
    class Event(ModelResource):
        class Meta:
            manager = MemoryManager
            filters = ["eq", "gt", "contains"]  # each applies to some field

        class Schema:
            name = fields.String()
            seats = fields.Integer()

    api = Api(make_app())
    api.add_resource(Event)
    assert run_checks(api) == []

    class Party(ModelResource):
        class Meta:
            manager = MemoryManager
            filters = {"*": ["eq", "like"]}

        class Schema:
            name = fields.String()

    error = refusal(Api(make_app()), Party)
    assert "Party.Meta.filters['*']: 'like' is not an operator of String fields" in str(error)


def test_an_unknown_field_in_meta_filters_refuses_to_start(sqla):
    error = refusal(Api(sqla.app), resource(sqla.Author, meta={"filters": {"nmae": True}}))
    assert str(error) == (
        "potion.E104: AuthorResource.Meta.filters['nmae']: AuthorResource has no readable "
        "field 'nmae' (fix: write 'name')"
    )


# -- potion.E105, E106: permissions -------------------------------------------------------


def _guarded(name, permissions, schema):
    meta = type("Meta", (), {"name": name, "manager": MemoryManager, "permissions": permissions})
    return type(name.title(), (ModelResource,), {"Meta": meta, "Schema": type("S", (), schema)})


def test_a_permission_cycle_is_a_check_error():
    api = Api(make_app())
    alpha = _guarded("alpha", {"read": "read:other"}, {"other": fields.ToOne("beta")})
    beta = _guarded("beta", {"read": "read:other"}, {"other": fields.ToOne("alpha")})
    api.add_resource(alpha)
    with pytest.raises(ConfigurationError) as caught:
        api.add_resource(beta)
    [message] = caught.value.messages
    assert message.id == "potion.E106"
    assert "Permissions inherit in a cycle: alpha.read -> beta.read -> alpha.read" in message.text
    assert "beta" not in api.resources


def test_a_permission_naming_a_missing_action_is_a_check_error():
    api = Api(make_app())
    api.add_resource(_guarded("target", {"read": "yes"}, {"text": fields.String()}))
    source = _guarded("source", {"read": "publish:target"}, {"target": fields.ToOne("target")})
    with pytest.raises(ConfigurationError, match=r"^potion.E105: .*'publish'"):
        api.add_resource(source)


# -- warnings ----------------------------------------------------------------------------


def test_a_column_type_without_field_is_a_warning():
    app = make_app()
    db = SQLAlchemy(app)

    class Alarm(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        at = db.Column(db.Time, nullable=True)

    with app.app_context():
        db.create_all()
    api = Api(app)
    with pytest.warns(CheckWarning) as caught:
        api.add_resource(resource(Alarm))
    [warning] = [str(w.message) for w in caught]
    assert warning == (
        "potion.W101: AlarmResource: Alarm.at (Time) is not in the API: no field is inferred "
        "for its type (fix: declare it in AlarmResource.Schema (e.g. at = fields.String() with a "
        "conversion), or leave it out with Meta.exclude_fields = ['at'])"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Api(app, prefix="/v2").add_resource(resource(Alarm, meta={"exclude_fields": ["at"]}))
    assert client_status(app, "/alarm") == 200  # a warning does not stop the app


def client_status(app, path):
    return app.test_client().get(path).status_code


def test_a_read_only_default_on_a_stored_column_is_a_warning():
    app = make_app()
    db = SQLAlchemy(app)

    class Post(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        created = db.Column(db.DateTime)

    posts = resource(
        Post, schema={"created": fields.DateTime(io="r", default=datetime.datetime.now)}
    )
    with pytest.warns(
        CheckWarning, match=r"^potion.W102: PostResource.Schema.created is read-only"
    ):
        Api(app).add_resource(posts)


def test_an_api_bound_before_sqlalchemy_is_a_warning():
    app = make_app()
    api = Api(app)
    db = SQLAlchemy(app)

    class Item(db.Model):
        id = db.Column(db.Integer, primary_key=True)

    api.add_resource(resource(Item))
    with app.app_context():
        db.create_all()
    assert [m.id for m in run_checks(api)] == ["potion.W103"]
    with pytest.warns(CheckWarning, match="potion.W103"):
        assert client_status(app, "/item") == 200

    right = make_app()
    db = SQLAlchemy(right)

    class Thing(db.Model):
        id = db.Column(db.Integer, primary_key=True)

    api = Api(right)
    api.add_resource(resource(Thing))
    assert run_checks(api) == []


# -- peewee and MongoEngine ----------------------------------------------------------------


def test_peewee_a_required_foreign_key_without_its_to_one():
    memory = peewee.SqliteDatabase(":memory:")

    class Writer(peewee.Model):
        name = peewee.CharField()

        class Meta:
            database = memory

    class Novel(peewee.Model):
        title = peewee.CharField()
        writer = peewee.ForeignKeyField(Writer)
        at = peewee.TimeField(null=True)

        class Meta:
            database = memory

    app = make_app()
    api = Api(app)
    api.add_resource(resource(Writer, meta={"manager": PeeweeManager}))
    novels = resource(Novel, meta={"manager": PeeweeManager})
    error = refusal(api, novels)
    assert str(error).startswith(
        "potion.E102: NovelResource: Novel.writer (ForeignKeyField) must have a value on create"
    )
    assert 'add writer = fields.ToOne("writer") to NovelResource.Schema' in str(error)

    fixed = resource(
        Novel, meta={"manager": PeeweeManager}, schema={"writer": fields.ToOne("writer")}
    )
    with pytest.warns(
        CheckWarning, match=r"potion.W101: NovelResource: Novel.at \(TimeField\) is not in the API"
    ):
        api.add_resource(fixed)


def test_mongoengine_a_required_reference_without_its_to_one():
    class Publisher(Document):
        name = StringField()

    class Magazine(Document):
        title = StringField(required=True)
        publisher = ReferenceField(Publisher, required=True)

    api = Api(make_app())
    api.add_resource(resource(Publisher))
    error = refusal(api, resource(Magazine))
    assert (
        "Magazine.publisher (ReferenceField) must have a value on create, but no field "
        'writes it, so every create fails (fix: add publisher = fields.ToOne("publisher")'
    ) in str(error)
    api.add_resource(resource(Magazine, schema={"publisher": fields.ToOne("publisher")}))
    assert run_checks(api) == []
