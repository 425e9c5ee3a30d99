"""Routes: Route, ItemRoute, ItemAttributeRoute, Relation, their decorator forms,
request/response schemas, return values and the links they publish."""

from __future__ import annotations

import pytest
from flask import Flask, Response

from potion import (
    Api,
    ItemAttributeRoute,
    ItemRoute,
    ModelResource,
    Relation,
    Resource,
    Route,
    fields,
)
from potion.backends.memory import MemoryManager
from potion.exceptions import ItemNotFound
from potion.routes import to_camel_case
from potion.schema import FieldSet


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def api(app):
    return Api(app, default_manager=MemoryManager)


@pytest.fixture
def client(app):
    return app.test_client()


def links_by_rel(resource):
    return {link["rel"]: link for link in resource.schema_document()["links"]}


def test_to_camel_case():
    assert to_camel_case("read_is_recent") == "readIsRecent"
    assert to_camel_case("books") == "books"
    assert to_camel_case("add_books") == "addBooks"


# -- Route on a plain resource ----------------------------------------------------


def test_bare_decorator_and_defaults(api, client):
    class Thing(Resource):
        @Route.GET
        def genres(self):
            return ["a", "b"]

        @Route.GET
        def is_recent(self) -> fields.Boolean():
            return True

    api.add_resource(Thing)
    response = client.get("/thing/genres")
    assert response.status_code == 200
    assert response.json == ["a", "b"]
    assert response.headers["Content-Type"] == "application/json"
    # "_" becomes "-" in the URL, the rel is the camel-cased verb and name
    response = client.get("/thing/is-recent")
    assert response.json is True
    links = links_by_rel(Thing)
    assert links["readGenres"] == {"rel": "readGenres", "href": "/thing/genres", "method": "GET"}
    assert links["readIsRecent"] == {
        "rel": "readIsRecent",
        "href": "/thing/is-recent",
        "method": "GET",
        "schema": {"type": "object", "properties": {}, "additionalProperties": False},
        "targetSchema": {"type": "boolean"},
    }
    assert "thing_readGenres" in api.endpoints


@pytest.mark.parametrize(
    "decorator, verb",
    [
        ("GET", "read"),
        ("POST", "create"),
        ("PUT", "create"),
        ("PATCH", "update"),
        ("DELETE", "destroy"),
    ],
)
def test_every_method_decorator(api, client, decorator, verb):
    class Thing(Resource):
        @getattr(Route, decorator)
        def do_it(self):
            return decorator

    api.add_resource(Thing)
    response = client.open("/thing/do-it", method=decorator)
    assert response.status_code == 200
    assert response.json == decorator
    assert sorted(links_by_rel(Thing)) == sorted(["describedBy", f"{verb}DoIt"])


def test_decorator_with_arguments_and_fieldset_schemas(api, client):
    class Thing(Resource):
        @Route.POST(
            "/echo",
            rel="echoIt",
            title="Echo",
            description="echoes",
            schema=FieldSet({"value": fields.Integer(), "note": fields.String(nullable=True)}),
            response_schema=FieldSet(
                {"value": fields.Integer(), "note": fields.String(nullable=True)}
            ),
        )
        def echo(self, value, note=None):
            return {"value": value, "note": note, "dropped": True}

    api.add_resource(Thing)
    response = client.post("/thing/echo", json={"value": 3})
    assert response.status_code == 200
    # the FieldSet formats the response: only its own fields
    assert response.json == {"value": 3, "note": None}
    assert links_by_rel(Thing)["echoIt"] == {
        "rel": "echoIt",
        "href": "/thing/echo",
        "method": "POST",
        "title": "Echo",
        "description": "echoes",
        "schema": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"value": {"type": "integer"}, "note": {"type": ["string", "null"]}},
            "required": ["value"],
        },
        # a FieldSet as response schema is the object, without additionalProperties
        "targetSchema": {
            "type": "object",
            "properties": {"value": {"type": "integer"}, "note": {"type": ["string", "null"]}},
        },
    }
    assert "thing_echoIt" in api.endpoints
    response = client.post("/thing/echo", json={"value": "x", "other": 1})
    assert response.status_code == 400
    assert sorted(response.json["errors"], key=repr) == sorted(
        [
            {"path": [], "validationOf": {"additionalProperties": False}},
            {"path": ["value"], "validationOf": {"type": "integer"}},
        ],
        key=repr,
    )


def test_fieldset_route_needs_a_json_body(api, client):
    class Thing(Resource):
        @Route.POST(schema=FieldSet({"value": fields.Integer()}))
        def echo(self, value):
            return value

        @Route.POST(schema=FieldSet({"value": fields.Integer(nullable=True)}))
        def optional(self, value=None):
            return value

    api.add_resource(Thing)
    for kwargs in ({"data": "value=1"}, {}):
        response = client.post("/thing/echo", **kwargs)
        assert response.status_code == 415
        assert response.json == {
            "message": "The request body must be JSON (Content-Type: application/json)",
            "status": 415,
        }
    # when every argument is optional a missing body is an empty object
    response = client.post("/thing/optional")
    assert response.status_code == 200
    assert response.json is None
    response = client.post("/thing/optional", data="x", content_type="text/plain")
    assert response.status_code == 415


def test_annotations_become_request_and_response_schemas(api, client):
    class Thing(Resource):
        @Route.POST
        def add(self, a: fields.Integer(), b: fields.Integer(default=10)) -> fields.Integer():
            return a + b

        @Route.POST
        def plain(self, a: fields.Integer, unannotated=None) -> fields.String:
            return str(a)

    api.add_resource(Thing)
    assert client.post("/thing/add", json={"a": 1}).json == 11
    assert client.post("/thing/add", json={"a": 1, "b": 2}).json == 3
    response = client.post("/thing/add", json={})
    assert response.status_code == 400
    assert response.json["errors"] == [{"path": [], "validationOf": {"required": ["a"]}}]
    links = links_by_rel(Thing)
    assert links["createAdd"]["schema"] == {
        "type": "object",
        "additionalProperties": False,
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer", "default": 10}},
        "required": ["a"],
    }
    assert links["createAdd"]["targetSchema"] == {"type": "integer"}
    # field classes work as annotations too
    assert client.post("/thing/plain", json={"a": 4}).json == "4"
    assert links["createPlain"]["targetSchema"] == {"type": "string"}


def test_python_defaults_of_annotated_arguments(api, client):
    class Thing(Resource):
        @Route.GET
        def greet(self, name: fields.String() = "world") -> fields.String():
            return f"hello {name}"

    api.add_resource(Thing)
    assert client.get("/thing/greet").json == "hello world"
    assert client.get("/thing/greet?name=you").json == "hello you"
    assert links_by_rel(Thing)["readGreet"]["schema"] == {
        "type": "object",
        "additionalProperties": False,
        "properties": {"name": {"type": "string", "default": "world"}},
    }


def test_get_route_reads_query_arguments(api, client):
    class Thing(Resource):
        @Route.GET
        def status(
            self,
            q: fields.String(),
            n: fields.Integer(nullable=True) = None,
            tags: fields.Array(fields.String) = None,
        ) -> fields.Any():
            return {"q": q, "n": n, "tags": tags}

    api.add_resource(Thing)
    response = client.get("/thing/status?q=hello")
    assert response.status_code == 200
    assert response.json == {"q": "hello", "n": None, "tags": []}
    # values are parsed as JSON, except for string fields which keep the text
    response = client.get('/thing/status?q=5&n=3&tags=["a","b"]')
    assert response.json == {"q": "5", "n": 3, "tags": ["a", "b"]}
    response = client.get("/thing/status?n=3")
    assert response.status_code == 400
    assert response.json == {
        "errors": [{"path": [], "validationOf": {"required": ["q"]}}],
        "message": "Bad Request",
        "status": 400,
    }
    response = client.get("/thing/status?q=a&n=three")
    assert response.status_code == 400
    assert response.json["errors"] == [
        {"path": ["n"], "validationOf": {"type": ["integer", "null"]}}
    ]


def test_whole_body_schema_and_sibling_route(api, client):
    class Thing(Resource):
        store: list[str] = []

        @Route.GET(response_schema=fields.Array(fields.String()))
        def genres(self):
            return list(self.store)

        @genres.POST(schema=fields.String(min_length=1), response_schema=fields.String())
        def add_genre(self, genre):
            self.store.append(genre)
            return genre

    api.add_resource(Thing)
    assert client.get("/thing/genres").json == []
    response = client.post("/thing/genres", json="poetry")
    assert response.status_code == 200
    assert response.json == "poetry"
    assert client.get("/thing/genres").json == ["poetry"]
    response = client.post("/thing/genres", json="")
    assert response.status_code == 400
    assert response.json["errors"] == [{"path": [], "validationOf": {"minLength": 1}}]
    # a non-JSON body to a whole-body route is a 400 naming the problem
    response = client.post("/thing/genres", data="poetry", content_type="text/plain")
    assert response.status_code == 400
    assert response.json == {
        "message": "The request body must be JSON (Content-Type: application/json)",
        "parameter": "body",
        "status": 400,
    }
    links = links_by_rel(Thing)
    # the sibling shares the URL and takes its own rel from the parent's name
    assert links["createGenres"] == {
        "rel": "createGenres",
        "href": "/thing/genres",
        "method": "POST",
        "schema": {"type": "string", "minLength": 1},
        "targetSchema": {"type": "string"},
    }
    assert links["readGenres"]["targetSchema"] == {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
    }


def test_schemas_assigned_as_attributes(api, client):
    class Thing(Resource):
        @Route.POST
        def double(self, value):
            return [value, value]

        double.request_schema = fields.Integer()
        double.response_schema = fields.Array(fields.Integer())

    api.add_resource(Thing)
    assert client.post("/thing/double", json=2).json == [2, 2]
    assert client.post("/thing/double", json="x").status_code == 400
    link = links_by_rel(Thing)["createDouble"]
    assert link["schema"] == {"type": "integer"}
    assert link["targetSchema"]["items"] == {"type": "integer"}


def test_return_values_codes_and_headers(api, client):
    class Thing(Resource):
        @Route.POST
        def made(self) -> fields.String():
            return "new", 201

        @Route.GET
        def tagged(self) -> fields.String():
            return "x", 202, {"X-Tag": "yes"}

        @Route.DELETE(success_code=204)
        def gone(self):
            return None

        @Route.POST(success_code=201, response_schema=fields.Integer())
        def counted(self):
            return 7

        @Route.GET(format_response=False, response_schema=fields.Integer())
        def unformatted(self):
            return {"not": "an integer"}

        @Route.GET
        def response(self):
            return Response("plain text", mimetype="text/plain", status=203)

    api.add_resource(Thing)
    response = client.post("/thing/made")
    assert (response.status_code, response.json) == (201, "new")
    response = client.get("/thing/tagged")
    assert (response.status_code, response.json, response.headers["X-Tag"]) == (202, "x", "yes")
    response = client.delete("/thing/gone")
    assert response.status_code == 204
    assert response.data == b""
    assert response.headers["Content-Type"] == "application/json"
    response = client.post("/thing/counted")
    assert (response.status_code, response.json) == (201, 7)
    assert client.get("/thing/unformatted").json == {"not": "an integer"}
    response = client.get("/thing/response")
    assert (response.status_code, response.data) == (203, b"plain text")


def test_rule_attribute_and_callable_rule(api, client):
    class Thing(Resource):
        @Route.GET("/custom/<int:number>", attribute="numbers")
        def number(self, number):
            return number * 2

        @Route.GET(rule=lambda resource: "/named-" + resource.meta.name)
        def named(self):
            return "ok"

    api.add_resource(Thing)
    assert client.get("/thing/custom/21").json == 42
    assert client.get("/thing/named-thing").json == "ok"
    links = links_by_rel(Thing)
    assert links["readNumbers"]["href"] == "/thing/custom/{number}"
    assert links["readNamed"]["href"] == "/thing/named-thing"


# -- routes on model resources ----------------------------------------------------


@pytest.fixture
def library(api):
    class Author(ModelResource):
        books = Relation("book")

        class Meta:
            name = "author"
            natural_key = "name"

        class Schema:
            name = fields.String()

    class Book(ModelResource):
        rating = ItemAttributeRoute(fields.Integer(minimum=0, maximum=10))
        secret = ItemAttributeRoute(fields.String(), io="u")
        note = ItemAttributeRoute(fields.String(nullable=True), io="r")

        class Meta:
            name = "book"

        class Schema:
            title = fields.String()
            rating = fields.Integer(default=5)

        @ItemRoute.GET
        def shout(self, book) -> fields.String():
            return book["title"].upper()

        @ItemRoute.POST("/rename")
        def rename(self, book, title: fields.String()) -> fields.Inline("self"):
            return self.manager.update(book, {"title": title})

        @Route.GET
        def count(self) -> fields.Integer():
            return len(self.manager.items)

    api.add_resource(Book)
    api.add_resource(Author)
    return Author, Book


def test_item_route(library, client):
    author, book = library
    client.post("/book", json={"title": "Origin"})
    response = client.get("/book/1/shout")
    assert (response.status_code, response.json) == (200, "ORIGIN")
    response = client.get("/book/99/shout")
    assert response.status_code == 404
    assert response.json == {
        "item": {"$id": 99, "$type": "book"},
        "message": "Not Found",
        "status": 404,
    }
    response = client.post("/book/1/rename", json={"title": "Descent"})
    assert response.status_code == 200
    assert response.json == {"$uri": "/book/1", "title": "Descent", "rating": 5}
    assert client.get("/book/count").json == 1
    links = links_by_rel(book)
    assert links["readShout"] == {
        "rel": "readShout",
        "href": "/book/{id}/shout",
        "method": "GET",
        "schema": {"type": "object", "properties": {}, "additionalProperties": False},
        "targetSchema": {"type": "string"},
    }
    assert links["createRename"]["href"] == "/book/{id}/rename"
    assert links["createRename"]["targetSchema"] == {"$ref": "#"}
    assert links["readCount"]["href"] == "/book/count"


def test_item_attribute_route(library, client):
    author, book = library
    client.post("/book", json={"title": "Origin"})
    response = client.get("/book/1/rating")
    assert (response.status_code, response.json) == (200, 5)
    response = client.post("/book/1/rating", json=7)
    assert (response.status_code, response.json) == (200, 7)
    assert book.manager.items[1]["rating"] == 7
    response = client.post("/book/1/rating", json="x")
    assert response.status_code == 400
    assert response.json == {
        "errors": [{"path": [], "validationOf": {"type": "integer"}}],
        "message": "Bad Request",
        "status": 400,
    }
    response = client.post("/book/1/rating", json=11)
    assert response.json["errors"] == [{"path": [], "validationOf": {"maximum": 10}}]
    assert client.get("/book/2/rating").status_code == 404
    # io="u": write only, io="r": read only
    assert client.post("/book/1/secret", json="s").json == "s"
    assert client.get("/book/1/secret").status_code == 405
    assert client.get("/book/1/note").json is None
    assert client.post("/book/1/note", json="n").status_code == 405

    links = links_by_rel(book)
    assert links["readRating"] == {
        "rel": "readRating",
        "href": "/book/{id}/rating",
        "method": "GET",
        "targetSchema": {"type": "integer", "minimum": 0, "maximum": 10},
    }
    assert links["updateRating"] == {
        "rel": "updateRating",
        "href": "/book/{id}/rating",
        "method": "POST",
        "schema": {"type": "integer", "minimum": 0, "maximum": 10},
        "targetSchema": {"type": "integer", "minimum": 0, "maximum": 10},
    }
    assert "readSecret" not in links and "updateSecret" in links
    assert "readNote" in links and "updateNote" not in links


def test_item_attribute_route_formats_the_value_once(api, client):
    # a ToOne formatted twice read its own {"$ref"} as an item: {"$ref": "/author/None"}
    class Author(ModelResource):
        class Meta:
            name = "author"

        class Schema:
            name = fields.String()

    class Book(ModelResource):
        writer = ItemAttributeRoute(fields.ToOne("author", nullable=True, attribute="author"))

        class Meta:
            name = "book"

        class Schema:
            author = fields.ToOne("author", nullable=True)

    api.add_resource(Author)
    api.add_resource(Book)
    client.post("/author", json={"name": "Darwin"})
    client.post("/author", json={"name": "Wallace"})
    client.post("/book", json={"author": 1})
    response = client.get("/book/1/writer")
    assert (response.status_code, response.json) == (200, {"$ref": "/author/1"})
    response = client.post("/book/1/writer", json={"$ref": "/author/2"})
    assert (response.status_code, response.json) == (200, {"$ref": "/author/2"})
    assert client.get("/book/1").json["author"] == {"$ref": "/author/2"}


def test_relation_routes(library, client):
    author, book = library
    client.post("/author", json={"name": "Ann"})
    for title in ("A", "B", "C"):
        client.post("/book", json={"title": title})

    response = client.get("/author/1/books")
    assert response.status_code == 200
    assert response.json == []
    assert response.headers["X-Total-Count"] == "0"

    response = client.post("/author/1/books", json=1)
    assert (response.status_code, response.json) == (200, {"$ref": "/book/1"})
    response = client.post("/author/1/books", json={"$ref": "/book/2"})
    assert (response.status_code, response.json) == (200, {"$ref": "/book/2"})
    client.post("/author/1/books", json=3)

    response = client.get("/author/1/books?per_page=2")
    assert response.json == [{"$ref": "/book/1"}, {"$ref": "/book/2"}]
    assert response.headers["X-Total-Count"] == "3"
    assert response.headers["Link"] == (
        '</author/1/books?page=1&per_page=2>; rel="self",'
        '</author/1/books?page=2&per_page=2>; rel="next",'
        '</author/1/books?page=2&per_page=2>; rel="last"'
    )
    assert client.get("/author/1/books?page=2&per_page=2").json == [{"$ref": "/book/3"}]

    response = client.delete("/author/1/books/2")
    assert response.status_code == 204
    assert response.data == b""
    assert client.get("/author/1/books").json == [{"$ref": "/book/1"}, {"$ref": "/book/3"}]

    response = client.delete("/author/1/books/99")
    assert response.status_code == 404
    assert response.json == {
        "item": {"$id": 99, "$type": "book"},
        "message": "Not Found",
        "status": 404,
    }
    response = client.post("/author/1/books", json=99)
    assert response.status_code == 400
    assert response.json["errors"][0]["validationOf"] == {"$ref": "book"}
    response = client.post("/author/1/books", json="one")
    assert response.status_code == 400
    assert client.get("/author/9/books").status_code == 404

    links = links_by_rel(author)
    ref = {"type": "string", "pattern": "^/book\\/[^/]+$"}
    assert links["books"] == {
        "rel": "books",
        "href": "/author/{id}/books",
        "method": "GET",
        "schema": {
            "type": "object",
            "properties": {
                "page": {"type": "integer", "minimum": 1, "default": 1},
                "per_page": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
            },
            "additionalProperties": True,
        },
        "targetSchema": {
            "type": "array",
            "items": {"type": "object", "properties": {"$ref": ref}, "additionalProperties": False},
        },
    }
    assert links["addBooks"] == {
        "rel": "addBooks",
        "href": "/author/{id}/books",
        "method": "POST",
        "schema": {
            "anyOf": [
                {
                    "type": "object",
                    "properties": {"$ref": ref},
                    "additionalProperties": False,
                    "required": ["$ref"],
                },
                {"type": "integer"},
            ]
        },
        "targetSchema": {
            "type": "object",
            "properties": {"$ref": ref},
            "additionalProperties": False,
        },
    }
    assert links["removeBooks"] == {
        "rel": "removeBooks",
        "href": "/author/{id}/books/{target_id}",
        "method": "DELETE",
    }
    assert {"author_books", "author_addBooks", "author_removeBooks"} <= set(author.api.endpoints)


def test_read_only_relation(api, client):
    class Book(ModelResource):
        class Schema:
            title = fields.String()

    class Shelf(ModelResource):
        books = Relation("book", io="r")

    api.add_resource(Book)
    api.add_resource(Shelf)
    client.post("/shelf", json={})
    assert client.get("/shelf/1/books").status_code == 200
    assert client.post("/shelf/1/books", json=1).status_code == 405
    assert sorted(links_by_rel(Shelf)) == [
        "books",
        "create",
        "describedBy",
        "destroy",
        "instances",
        "self",
        "update",
    ]


def test_builtin_routes_and_their_status_codes(library, client):
    response = client.post("/book", json={"title": "A"})
    assert response.status_code == 200
    assert response.headers["Location"] == "/book/1"
    assert response.json == {"$uri": "/book/1", "title": "A", "rating": 5}
    assert client.get("/book/1").json == {"$uri": "/book/1", "title": "A", "rating": 5}
    assert client.patch("/book/1", json={"rating": 1}).json["rating"] == 1
    response = client.delete("/book/1")
    assert response.status_code == 204
    assert response.data == b""
    response = client.delete("/book/1")
    assert response.status_code == 404
    assert response.json == {
        "item": {"$id": 1, "$type": "book"},
        "message": "Not Found",
        "status": 404,
    }
    assert client.patch("/book/1", json={}).status_code == 404
    # a converter mismatch is a plain JSON 404
    response = client.get("/book/abc")
    assert response.status_code == 404
    assert response.json["status"] == 404


def test_overriding_a_builtin_view(api, client):
    class Book(ModelResource):
        class Schema:
            title = fields.String()

        def create(self, properties):
            properties["title"] = properties["title"].title()
            return super().create(properties)

        def update(self, properties, id):
            properties["title"] = properties["title"].upper()
            return super().update(properties, id)

    api.add_resource(Book)
    response = client.post("/book", json={"title": "the title"})
    assert response.status_code == 200
    assert response.headers["Location"] == "/book/1"
    assert response.json["title"] == "The Title"
    response = client.patch("/book/1", json={"title": "shout"})
    assert response.json["title"] == "SHOUT"
    # the overriding views keep the routes' schemas
    assert client.post("/book", json={"title": 1}).status_code == 400
    assert client.patch("/book/1", json={"title": 1}).status_code == 400
    assert links_by_rel(Book)["update"]["schema"]["properties"] == {"title": {"type": "string"}}


def test_validators_are_compiled_once(api, client, monkeypatch):
    import potion.validation

    compiled = []
    original = potion.validation.fastjsonschema.compile

    def counting_compile(definition, **kwargs):
        compiled.append(definition)
        return original(definition, **kwargs)

    monkeypatch.setattr(potion.validation.fastjsonschema, "compile", counting_compile)

    class Book(ModelResource):
        class Schema:
            title = fields.String()
            year = fields.Integer(nullable=True)

        @Route.POST
        def check(self, title: fields.String()) -> fields.Boolean():
            return True

    api.add_resource(Book)

    def requests():
        assert client.post("/book", json={"title": "A", "year": 1}).status_code == 200
        assert client.patch("/book/1", json={"year": 2}).status_code == 200
        assert client.get('/book?where={"year": {"$gt": 1}, "title": "A"}').status_code == 200
        assert client.post("/book/check", json={"title": "x"}).json is True
        assert client.post("/book", json={"title": 1}).status_code == 400

    requests()
    warm = len(compiled)
    assert warm > 0
    for _ in range(3):
        requests()
    assert len(compiled) == warm


def test_patchable_inline(api, client):
    class Address(ModelResource):
        class Schema:
            street = fields.String()
            city = fields.String()

    class Person(ModelResource):
        class Schema:
            name = fields.String()
            home = fields.Inline("address", patchable=True, nullable=True)

    api.add_resource(Address)
    api.add_resource(Person)
    assert Person.schema.fields["home"].request == {
        "type": ["object", "null"],
        "additionalProperties": False,
        "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
    }
    # a patchable inline body may hold only some of the target's fields
    response = client.post("/person", json={"name": "Ann", "home": {"city": "Oslo"}})
    assert response.status_code == 200, response.json
    assert (response.json["home"]["city"], response.json["home"]["street"]) == ("Oslo", None)
    assert Person.manager.items[1]["home"] == {"city": "Oslo"}
    response = client.post("/person", json={"name": "Bob", "home": {"zip": "1"}})
    assert response.status_code == 400


def test_relation_add_is_idempotent(library, client):
    client.post("/author", json={"name": "Ann"})
    client.post("/book", json={"title": "A"})
    assert client.post("/author/1/books", json=1).status_code == 200
    assert client.post("/author/1/books", json={"$ref": "/book/1"}).status_code == 200
    response = client.get("/author/1/books")
    assert response.json == [{"$ref": "/book/1"}]
    assert response.headers["X-Total-Count"] == "1"


def test_item_routes_on_a_plain_resource_need_a_way_to_load_items():
    class Orphan(Resource):
        @ItemRoute.GET
        def size(self, item) -> fields.Integer():
            return len(item)

    with pytest.raises(RuntimeError, match="override read_item"):
        Api(Flask(__name__)).add_resource(Orphan)

    class Words(Resource):
        def read_item(self, id):
            if id not in ("potion", "flask"):
                raise ItemNotFound(type(self), id=id)
            return id

        @ItemRoute.GET
        def size(self, word) -> fields.Integer():
            return len(word)

    app = Flask(__name__)
    Api(app).add_resource(Words)
    client = app.test_client()
    assert client.get("/words/potion/size").get_json() == 6
    response = client.get("/words/nope/size")
    assert response.status_code == 404
    assert response.get_json()["item"] == {"$id": "nope", "$type": "words"}
