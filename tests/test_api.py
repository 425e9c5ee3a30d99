"""The Api object and resource declarations: init_app, prefixes, blueprints, several
Apis, decorators, Meta options, names and registration rules."""

from __future__ import annotations

import functools

import pytest
from flask import Blueprint, Flask, url_for

from potion import Api, ItemRoute, ModelResource, Relation, Resource, Route, fields
from potion.backends.memory import MemoryManager


def memory_api(app=None, **kwargs):
    return Api(app, default_manager=MemoryManager, **kwargs)


class Counter:
    """A view decorator that counts the calls of the views it wraps."""

    def __init__(self):
        self.calls = []

    def __call__(self, view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            self.calls.append(view.__name__)
            return view(*args, **kwargs)

        return wrapper


def make_note_resource():
    class Note(ModelResource):
        class Schema:
            text = fields.String()

    return Note


# -- set-up ------------------------------------------------------------------------


def test_application_factory():
    api = memory_api(prefix="/api")
    note = make_note_resource()
    api.add_resource(note)  # before the app exists

    def create_app():
        app = Flask(__name__)
        api.init_app(app)
        return app

    app = create_app()

    # resources added after init_app are registered at once
    class Later(Resource):
        @Route.GET
        def hello(self) -> fields.String():
            return "hello"

    api.add_resource(Later)
    client = app.test_client()
    response = client.post("/api/note", json={"text": "hi"})
    assert response.status_code == 200
    assert response.json == {"$uri": "/api/note/1", "text": "hi"}
    assert client.get("/api/later/hello").json == "hello"
    assert client.get("/api/schema").json["properties"] == {
        "later": {"$ref": "/api/later/schema#"},
        "note": {"$ref": "/api/note/schema#"},
    }


def test_config_defaults_are_set_on_init():
    app = Flask(__name__)
    app.config["POTION_MAX_PER_PAGE"] = 10
    memory_api(app)
    assert app.config["POTION_MAX_PER_PAGE"] == 10
    assert app.config["POTION_DEFAULT_PER_PAGE"] == 20
    assert app.config["POTION_DECORATE_SCHEMA_ENDPOINTS"] is True
    assert app.config["POTION_MAX_CONTENT_LENGTH"] == 1024 * 1024


def test_prefix_must_start_with_a_slash():
    with pytest.raises(ValueError, match="must start with '/'"):
        Api(prefix="api")


def test_a_prefix_given_where_decorators_go_is_refused():
    app = Flask(__name__)
    with pytest.raises(TypeError) as caught:
        Api(app, "/api")
    assert str(caught.value) == (
        "Api(app, '/api'): the second argument is decorators (Flask-Potion's order is app, "
        "decorators, prefix); write Api(app, prefix='/api')"
    )
    assert list(app.url_map.iter_rules()) == [app.url_map._rules_by_endpoint["static"][0]]
    assert Api(app, [], "/api").prefix == "/api"  # Flask-Potion's positional order works


def test_prefix_title_and_description():
    app = Flask(__name__)
    api = memory_api(app, prefix="/api/v2/", title="Notes", description="Short notes")
    api.add_resource(make_note_resource())
    client = app.test_client()
    assert client.get("/api/v2/schema").json == {
        "$schema": "http://json-schema.org/draft-04/hyper-schema#",
        "title": "Notes",
        "description": "Short notes",
        "properties": {"note": {"$ref": "/api/v2/note/schema#"}},
    }
    response = client.post("/api/v2/note", json={"text": "x"})
    assert response.headers["Location"] == "/api/v2/note/1"
    assert response.json["$uri"] == "/api/v2/note/1"


def test_several_apis_on_one_app():
    app = Flask(__name__)
    first = memory_api(app, prefix="/one")
    second = memory_api(app, prefix="/two")
    first.add_resource(make_note_resource())
    second.add_resource(make_note_resource())
    client = app.test_client()
    client.post("/one/note", json={"text": "a"})
    assert client.get("/one/note").json == [{"$uri": "/one/note/1", "text": "a"}]
    assert client.get("/two/note").json == []
    assert client.get("/two/schema").json["properties"] == {"note": {"$ref": "/two/note/schema#"}}
    assert app.extensions["potion"] == [first, second]
    # the first Api names its endpoints as Flask-Potion does, a further one
    # prefixes them with its URL prefix
    with app.test_request_context():
        assert url_for("schema") == "/one/schema"
        assert url_for("note_self", id=1) == "/one/note/1"
        assert url_for("two_schema") == "/two/schema"
        assert url_for("two_note_self", id=1) == "/two/note/1"
    # both answer their errors in JSON
    assert client.get("/one/nope").json["status"] == 404
    assert client.get("/two/nope").json["status"] == 404
    assert client.get("/three").headers["Content-Type"].startswith("text/html")


def test_api_on_a_blueprint():
    app = Flask(__name__)
    blueprint = Blueprint("v1", __name__, url_prefix="/v1")
    api = memory_api(blueprint, prefix="/api")

    class Author(ModelResource):
        books = Relation("book")

        class Schema:
            name = fields.String()

    class Book(ModelResource):
        class Schema:
            title = fields.String()
            author = fields.ToOne("author", nullable=True)

    api.add_resource(Author)
    api.add_resource(Book)
    app.register_blueprint(blueprint)

    client = app.test_client()
    response = client.post("/v1/api/author", json={"name": "Ann"})
    assert response.status_code == 200
    assert response.headers["Location"] == "/v1/api/author/1"
    response = client.post(
        "/v1/api/book", json={"title": "T", "author": {"$ref": "/v1/api/author/1"}}
    )
    assert response.json == {
        "$uri": "/v1/api/book/1",
        "author": {"$ref": "/v1/api/author/1"},
        "title": "T",
    }
    assert client.post("/v1/api/author/1/books", json=1).json == {"$ref": "/v1/api/book/1"}
    assert client.get("/v1/api/schema").json["properties"] == {
        "author": {"$ref": "/v1/api/author/schema#"},
        "book": {"$ref": "/v1/api/book/schema#"},
    }
    assert api.prefix == "/v1/api"
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert endpoints == {
        "v1.schema",
        *(f"v1.author_{rel}" for rel in Author.routes),
        *(f"v1.book_{rel}" for rel in Book.routes),
    }
    assert "v1.author_addBooks" in endpoints
    with app.test_request_context():
        assert url_for("v1.book_self", id=1) == "/v1/api/book/1"
    assert client.get("/v1/api/nope").json["status"] == 404


def test_decorators_wrap_every_view_including_schemas():
    app = Flask(__name__)
    counter = Counter()
    api = memory_api(app, decorators=[counter])
    api.add_resource(make_note_resource())
    client = app.test_client()
    client.get("/note")
    client.post("/note", json={"text": "x"})
    client.get("/schema")
    client.get("/note/schema")
    assert len(counter.calls) == 4
    assert counter.calls[:2] == ["note_instances", "note_create"]
    assert counter.calls[3] == "note_describedBy"


def test_decorators_apply_in_list_order():
    app = Flask(__name__)
    order = []

    def tag(name):
        def decorator(view):
            @functools.wraps(view)
            def wrapper(*args, **kwargs):
                order.append(name)
                return view(*args, **kwargs)

            return wrapper

        return decorator

    api = memory_api(app, decorators=[tag("inner"), tag("outer")])
    api.add_resource(make_note_resource())
    app.test_client().get("/note")
    assert order == ["outer", "inner"]


def test_schema_endpoints_can_stay_undecorated():
    app = Flask(__name__)
    app.config["POTION_DECORATE_SCHEMA_ENDPOINTS"] = False

    def deny(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            return {"message": "Denied", "status": 401}, 401

        return wrapper

    api = memory_api(app, decorators=[deny])
    api.add_resource(make_note_resource())
    client = app.test_client()
    assert client.get("/note").status_code == 401
    assert client.post("/note", json={"text": "x"}).status_code == 401
    assert client.get("/schema").status_code == 200
    assert client.get("/note/schema").status_code == 200


def test_route_decorators_and_exclude_routes():
    app = Flask(__name__)
    counter = Counter()
    api = memory_api(app)

    class Note(ModelResource):
        class Meta:
            route_decorators = {"create": counter, "readShout": counter}
            exclude_routes = ["destroy", "readHidden"]

        class Schema:
            text = fields.String()

        @ItemRoute.GET
        def shout(self, note) -> fields.String():
            return note["text"].upper()

        @Route.GET
        def hidden(self):
            return "secret"

    api.add_resource(Note)
    client = app.test_client()
    client.post("/note", json={"text": "x"})
    client.get("/note/1")
    assert client.get("/note/1/shout").json == "X"
    assert counter.calls == ["note_create", "note_readShout"]
    assert client.delete("/note/1").status_code == 405
    assert client.get("/note/hidden").status_code == 404
    rels = [link["rel"] for link in Note.schema_document()["links"]]
    assert rels == ["create", "describedBy", "instances", "readShout", "self", "update"]


def test_exclude_inherited_routes():
    class ReadOnly(ModelResource):
        class Meta:
            exclude_routes = ("create", "update", "destroy")

    app = Flask(__name__)
    api = memory_api(app)

    class Entry(ReadOnly):
        class Schema:
            text = fields.String()

    api.add_resource(Entry)
    assert set(Entry.routes) == {"instances", "self", "describedBy"}
    client = app.test_client()
    assert client.post("/entry", json={"text": "x"}).status_code == 405
    assert client.get("/entry").status_code == 200


def test_read_only_write_only_and_required_fields():
    app = Flask(__name__)
    api = memory_api(app)

    class User(ModelResource):
        class Meta:
            read_only_fields = ["created"]
            write_only_fields = ("password",)
            required_fields = ["nickname"]

        class Schema:
            name = fields.String()
            nickname = fields.String(nullable=True)
            password = fields.String()
            created = fields.String(default="today")

    api.add_resource(User)
    assert User.schema.fields["created"].io == "r"
    assert User.schema.fields["password"].io == "cu"
    assert User.schema.create["required"] == ["name", "password", "nickname"]
    client = app.test_client()
    response = client.post("/user", json={"name": "ann", "password": "pw"})
    assert response.status_code == 400
    assert response.json["errors"] == [
        {"path": [], "validationOf": {"required": ["name", "password", "nickname"]}}
    ]
    response = client.post("/user", json={"name": "ann", "password": "pw", "nickname": None})
    assert response.status_code == 200
    assert response.json == {"$uri": "/user/1", "created": "today", "name": "ann", "nickname": None}
    assert User.manager.items[1]["password"] == "pw"
    response = client.post(
        "/user", json={"name": "b", "password": "p", "nickname": "b", "created": "x"}
    )
    assert response.status_code == 400
    schema = User.schema_document()
    assert "password" not in schema["properties"]
    assert schema["properties"]["created"] == {
        "type": "string",
        "default": "today",
        "readOnly": True,
    }


def test_include_id_and_include_type():
    app = Flask(__name__)
    api = memory_api(app)

    class Plain(ModelResource):
        class Schema:
            x = fields.Integer()

    class Typed(ModelResource):
        class Meta:
            include_id = True
            include_type = True

        class Schema:
            x = fields.Integer()

    api.add_resource(Plain)
    api.add_resource(Typed)
    client = app.test_client()
    assert client.post("/plain", json={"x": 1}).json == {"$uri": "/plain/1", "x": 1}
    assert client.post("/typed", json={"x": 1}).json == {"$id": 1, "$type": "typed", "x": 1}
    assert Typed.schema_document()["properties"]["$id"] == {"type": "integer", "readOnly": True}
    # $type cannot be filtered on, $id can
    assert "$type" not in Typed.manager.filters
    assert client.get('/typed?where={"$id": 1}').json == [{"$id": 1, "$type": "typed", "x": 1}]


# -- names and registration ----------------------------------------------------------


def test_resource_names():
    class BookResource(Resource):
        pass

    class Named(Resource):
        class Meta:
            name = "things"
            title = "Things"

    class Child(Named):
        pass

    class ChildWithMeta(Named):
        class Meta:
            description = "own meta, no name"

    assert BookResource.meta.name == "bookresource"
    assert Named.meta.name == "things"
    assert Child.meta.name == "child"
    assert ChildWithMeta.meta.name == "childwithmeta"
    # other options are inherited
    assert ChildWithMeta.meta.title == "Things"
    assert ChildWithMeta.meta.description == "own meta, no name"


def test_mixins_merge_meta_schema_and_routes():
    class Timestamped:
        class Meta:
            include_type = True

        class Schema:
            created = fields.String(io="r", default="now")

        @Route.GET
        def ping(self) -> fields.String():
            return "pong"

    class Note(Timestamped, ModelResource):
        class Schema:
            text = fields.String()

    app = Flask(__name__)
    memory_api(app).add_resource(Note)
    client = app.test_client()
    assert client.post("/note", json={"text": "x"}).json == {
        "$type": "note",
        "$uri": "/note/1",
        "created": "now",
        "text": "x",
    }
    assert client.get("/note/ping").json == "pong"


def test_two_resources_with_one_name_are_an_error():
    api = memory_api()

    class First(Resource):
        class Meta:
            name = "same"

    class Second(Resource):
        class Meta:
            name = "same"

    api.add_resource(First)
    with pytest.raises(RuntimeError, match="Two resources are named 'same'"):
        api.add_resource(Second)


def test_registering_a_resource_twice():
    note = make_note_resource()
    api = memory_api()
    api.add_resource(note)
    api.add_resource(note)  # the same Api: ignored
    assert list(api.resources) == ["note"]
    with pytest.raises(RuntimeError, match="already registered with another Api") as caught:
        memory_api().add_resource(note)
    assert str(caught.value).endswith(
        "a resource class belongs to one Api. To serve it from several apps, declare one "
        "module-level Api and call api.init_app(app) in each app; to serve it from two Apis "
        "of one app, register a subclass (class V2Note(Note): ...) on the second one"
    )


def test_model_resource_needs_a_manager():
    class Orphan(ModelResource):
        class Schema:
            x = fields.Integer()

    with pytest.raises(RuntimeError, match="has no manager: set Meta.model"):
        Api().add_resource(Orphan)


def test_meta_manager_wins_over_the_default():
    class Recorder(MemoryManager):
        pass

    class Note(ModelResource):
        class Meta:
            manager = Recorder

        class Schema:
            text = fields.String()

    api = Api(default_manager=MemoryManager)
    api.add_resource(Note)
    assert type(Note.manager) is Recorder


def test_references_resolve_in_any_order():
    app = Flask(__name__)
    api = memory_api(app)

    class Book(ModelResource):
        class Schema:
            title = fields.String()
            author = fields.ToOne("author", nullable=True)

    class Author(ModelResource):
        books = Relation("book")
        favourite = Relation("genre")

        class Schema:
            name = fields.String()
            best = fields.ToOne("book", nullable=True)

    class Genre(ModelResource):
        class Schema:
            name = fields.String()

    # Book refers to Author before Author exists; Author's Relation to Genre too
    api.add_resource(Book)
    api.add_resource(Author)
    api.add_resource(Genre)
    client = app.test_client()
    client.post("/author", json={"name": "Ann"})
    assert client.post("/book", json={"title": "T", "author": 1}).json["author"] == {
        "$ref": "/author/1"
    }
    assert client.patch("/author/1", json={"best": 1}).json["best"] == {"$ref": "/book/1"}
    client.post("/genre", json={"name": "g"})
    assert client.post("/author/1/favourite", json=1).json == {"$ref": "/genre/1"}


def test_reference_to_an_unregistered_resource_is_reported():
    app = Flask(__name__)
    api = memory_api(app)

    class Book(ModelResource):
        class Schema:
            author = fields.ToOne("nobody", nullable=True)

    # a resource named "nobody" may still be declared and added: refused by the check
    # that runs once every resource is added (before the first request)
    api.add_resource(Book)
    with pytest.raises(RuntimeError, match=r"potion.E101: Book.Schema.author: fields.ToOne"):
        api.check()
    app.testing = True  # the error is raised (and logged), never an answer
    with pytest.raises(RuntimeError, match=r"potion.E101"):
        app.test_client().get("/book")
    unbound = memory_api()
    Book.api = None  # added again to an Api without an app (never checked)
    unbound.add_resource(Book)
    with pytest.raises(RuntimeError, match='Resource named "nobody" is not registered'):
        Book.schema.create  # noqa: B018


def test_reference_by_class_and_self():
    app = Flask(__name__)
    api = memory_api(app)

    class Person(ModelResource):
        class Schema:
            name = fields.String()
            parent = fields.ToOne("self", nullable=True)

    class Pet(ModelResource):
        class Schema:
            owner = fields.ToOne(Person)

    api.add_resource(Person)
    api.add_resource(Pet)
    client = app.test_client()
    client.post("/person", json={"name": "a"})
    assert client.post("/person", json={"name": "b", "parent": 1}).json["parent"] == {
        "$ref": "/person/1"
    }
    assert client.post("/pet", json={"owner": 2}).json["owner"] == {"$ref": "/person/2"}


def test_create_answers_200_with_location():
    app = Flask(__name__)
    api = memory_api(app, prefix="/api")
    api.add_resource(make_note_resource())
    response = app.test_client().post("/api/note", json={"text": "x"})
    assert response.status_code == 200
    assert response.headers["Location"] == "/api/note/1"
    assert response.json == {"$uri": "/api/note/1", "text": "x"}


def test_a_subclass_of_a_registered_resource_gets_its_own_manager():
    app = Flask(__name__)
    api = Api(app, default_manager=MemoryManager)

    class NoteResource(ModelResource):
        class Schema:
            text = fields.String()

    class ArchivedNoteResource(NoteResource):
        pass

    api.add_resource(NoteResource)
    api.add_resource(ArchivedNoteResource)
    assert ArchivedNoteResource.manager is not NoteResource.manager
    assert ArchivedNoteResource.manager.resource is ArchivedNoteResource
    client = app.test_client()
    assert client.post("/archivednoteresource", json={"text": "old"}).status_code == 200
    assert client.get("/noteresource").get_json() == []
    assert client.get("/archivednoteresource").headers["X-Total-Count"] == "1"


def test_an_api_blueprint_is_registered_once():
    blueprint = Blueprint("v1", __name__)
    api = memory_api(blueprint)
    api.add_resource(make_note_resource())
    app = Flask(__name__)
    app.register_blueprint(blueprint, url_prefix="/v1")
    with pytest.raises(RuntimeError, match="can be registered once"):
        app.register_blueprint(blueprint, url_prefix="/v2", name="v2")
    assert app.test_client().get("/v1/note").status_code == 200


def test_every_store_is_released_after_each_request_once():
    """The stores a request may have used are released when its app context ends,
    once per store (managers sharing a transaction share a store), for every Api."""
    released = []

    class Recording(MemoryManager):
        def release(self):
            released.append(self.resource.meta.name)

        def _transaction_key(self):
            return 1  # one store for all

    def labelled(name, manager=None):
        meta = type("Meta", (), {"name": name, **({"manager": manager} if manager else {})})
        schema = type("Schema", (), {"label": fields.String()})
        return type(name.title(), (ModelResource,), {"Meta": meta, "Schema": schema})

    app = Flask(__name__)
    api = memory_api(app)
    api.add_resource(make_note_resource())  # the memory store has nothing to release
    api.add_resource(labelled("shelf", Recording))
    api.add_resource(labelled("crate", Recording))
    second = Api(app, prefix="/v2", default_manager=Recording)
    second.add_resource(labelled("box"))
    client = app.test_client()
    assert client.get("/note").status_code == 200
    assert released == ["shelf"]
    assert client.get("/v2/box").status_code == 200
    assert released == ["shelf", "shelf"]
