"""Key converters: references by ``{"$ref"}``, by id and by natural key (one property
or several), in bodies, in ``where`` and in Relation routes."""

from __future__ import annotations

import pytest
from flask import Flask

from potion import Api, ModelResource, Relation, fields
from potion.backends.memory import MemoryManager
from potion.natural_keys import IDKey, PropertiesKey, PropertyKey, RefKey


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


@pytest.fixture
def people(api, client):
    class User(ModelResource):
        class Meta:
            natural_key = "username"

        class Schema:
            username = fields.String(min_length=2)

    class Author(ModelResource):
        class Meta:
            natural_key = ("first", "last")

        class Schema:
            first = fields.String()
            last = fields.String()

    class Book(ModelResource):
        readers = Relation("user")

        class Schema:
            title = fields.String()
            owner = fields.ToOne("user", nullable=True)
            author = fields.ToOne("author", nullable=True)

    for resource in (User, Author, Book):
        api.add_resource(resource)
    client.post("/user", json={"username": "ann"})
    client.post("/user", json={"username": "bob"})
    client.post("/author", json={"first": "Charles", "last": "Darwin"})
    return User, Author, Book


def test_key_converters_of_a_resource(people):
    user, author, book = people
    assert [type(c) for c in user.meta.key_converters] == [RefKey, IDKey, PropertyKey]
    assert [type(c) for c in author.meta.key_converters] == [RefKey, IDKey, PropertiesKey]
    assert [type(c) for c in book.meta.key_converters] == [RefKey, IDKey]
    assert set(user.meta.key_converters_by_type) == {"object", "integer", "string"}
    assert set(author.meta.key_converters_by_type) == {"object", "integer", "array"}


def test_key_converter_schemas(people):
    user, author, book = people
    ref, key, name = user.meta.key_converters
    ref_pattern = {"type": "string", "pattern": "^/user\\/[^/]+$"}
    assert ref.response == {
        "type": "object",
        "properties": {"$ref": ref_pattern},
        "additionalProperties": False,
    }
    assert ref.request == {
        "type": "object",
        "properties": {"$ref": ref_pattern},
        "additionalProperties": False,
        "required": ["$ref"],
    }
    assert key.request == key.response == {"type": "integer"}
    assert name.request == name.response == {"type": "string", "minLength": 2}
    pair = author.meta.key_converters[2]
    assert pair.response == {
        "type": "array",
        "items": [{"type": "string"}, {"type": "string"}],
        "additionalItems": False,
    }
    assert pair.request == {
        "type": "array",
        "items": [{"type": "string"}, {"type": "string"}],
        "additionalItems": False,
        "minItems": 2,
    }
    assert book.schema.fields["author"].request == {
        "anyOf": [
            author.meta.key_converters[0].request,
            {"type": "integer"},
            pair.request,
            {"type": "null"},
        ]
    }


@pytest.mark.parametrize(
    "owner, author",
    [
        ({"$ref": "/user/2"}, {"$ref": "/author/1"}),
        (2, 1),
        ("bob", ["Charles", "Darwin"]),
    ],
)
def test_references_in_a_body(people, client, owner, author):
    response = client.post("/book", json={"title": "T", "owner": owner, "author": author})
    assert response.status_code == 200, response.json
    assert response.json["owner"] == {"$ref": "/user/2"}
    assert response.json["author"] == {"$ref": "/author/1"}


@pytest.mark.parametrize(
    "owner, shown",
    [
        ({"$ref": "/user/9"}, '{"$ref": "/user/9"}'),
        (9, "9"),
        ("zed", '"zed"'),
    ],
)
def test_missing_reference_in_a_body(people, client, owner, shown):
    response = client.post("/book", json={"title": "T", "owner": owner})
    assert response.status_code == 400
    assert response.json == {
        "errors": [
            {
                "path": ["owner"],
                "message": f"user {shown} does not exist",
                "validationOf": {"$ref": "user"},
            }
        ],
        "message": "Reference to a missing user",
        "status": 400,
    }


def test_missing_composite_key(people, client):
    response = client.post("/book", json={"title": "T", "author": ["No", "Body"]})
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == ["author"]
    # a composite key must have all its parts
    response = client.post("/book", json={"title": "T", "author": ["Charles"]})
    assert response.status_code == 400
    assert list(response.json["errors"][0]["validationOf"]) == ["anyOf"]


def test_natural_keys_in_where(people, client):
    client.post("/book", json={"title": "A", "owner": "ann", "author": 1})
    client.post("/book", json={"title": "B", "owner": "bob"})

    def titles(where):
        response = client.get("/book", query_string={"where": where})
        assert response.status_code == 200, response.json
        return [b["title"] for b in response.json]

    assert titles('{"owner": "bob"}') == ["B"]
    assert titles('{"owner": {"$in": ["ann", "bob", "nobody"]}}') == ["A", "B"]
    assert titles('{"author": ["Charles", "Darwin"]}') == ["A"]
    assert titles('{"owner": "nobody"}') == []


def test_natural_keys_in_relation_routes(people, client):
    client.post("/book", json={"title": "A"})
    assert client.post("/book/1/readers", json="bob").json == {"$ref": "/user/2"}
    assert client.post("/book/1/readers", json={"$ref": "/user/1"}).json == {"$ref": "/user/1"}
    assert client.get("/book/1/readers").json == [{"$ref": "/user/2"}, {"$ref": "/user/1"}]
    response = client.post("/book/1/readers", json="nobody")
    assert response.status_code == 400
    assert response.json["errors"][0]["validationOf"] == {"$ref": "user"}


def test_ref_to_another_resource_is_rejected(people, client):
    response = client.post("/book", json={"title": "T", "owner": {"$ref": "/author/1"}})
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == ["owner"]


def test_id_key_first_formats_bare_ids(api, client):
    class User(ModelResource):
        class Meta:
            natural_key = "username"
            key_converters = (IDKey(),)

        class Schema:
            username = fields.String()

    class Doc(ModelResource):
        class Schema:
            owner = fields.ToOne("user")

    api.add_resource(User)
    api.add_resource(Doc)
    client.post("/user", json={"username": "ann"})
    response = client.post("/doc", json={"owner": "ann"})
    assert response.status_code == 200
    assert response.json == {"$uri": "/doc/1", "owner": 1}
    assert Doc.schema.fields["owner"].response == {"type": "integer"}
    assert Doc.schema.fields["owner"].request == {
        "anyOf": [{"type": "integer"}, {"type": "string"}]
    }
    # without a RefKey, {"$ref"} is not accepted
    assert client.post("/doc", json={"owner": {"$ref": "/user/1"}}).status_code == 400


def test_two_converters_for_one_json_type_are_an_error(api):
    class User(ModelResource):
        class Meta:
            natural_key = "username"
            key_converters = (RefKey(), PropertyKey("email"))

        class Schema:
            username = fields.String()
            email = fields.String()

    with pytest.raises(RuntimeError, match="Multiple keys of type string defined for"):
        api.add_resource(User)
