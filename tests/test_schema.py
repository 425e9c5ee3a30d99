"""The two schema endpoints, GET {prefix}/schema and GET {prefix}/{resource}/schema,
compared against complete expected documents."""

from __future__ import annotations

import pytest
from flask import Flask

from potion import Api, ItemRoute, ModelResource, Resource, Route, fields
from potion.backends.memory import MemoryManager

HYPER_SCHEMA = "http://json-schema.org/draft-04/hyper-schema#"


def condition(op, schema):
    """The schema of ``{"$op": value}`` in ``where``."""
    return {
        "type": "object",
        "properties": {f"${op}": schema},
        "required": [f"${op}"],
        "additionalProperties": False,
    }


def in_list(schema):
    return condition("in", {"type": "array", "items": schema, "minItems": 0, "uniqueItems": True})


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config["TESTING"] = True
    api = Api(app, prefix="/api", title="Zoo", description="Animals", default_manager=MemoryManager)

    class Animal(ModelResource):
        class Meta:
            title = "Animals"
            description = "Every animal of the zoo"
            include_type = True

        class Schema:
            name = fields.String(max_length=20)
            legs = fields.Integer(io="r", default=4)
            secret = fields.String(io="w", nullable=True)

        @ItemRoute.GET
        def sound(self, animal) -> fields.String():
            return "..."

    class Status(Resource):
        class Schema:
            ok = fields.Boolean()

        @Route.GET
        def ping(self) -> fields.String():
            return "pong"

    class Empty(Resource):
        pass

    api.add_resource(Status)
    api.add_resource(Animal)
    api.add_resource(Empty)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def test_root_schema(client):
    response = client.get("/api/schema")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json == {
        "$schema": HYPER_SCHEMA,
        "title": "Zoo",
        "description": "Animals",
        "properties": {
            "animal": {"$ref": "/api/animal/schema#"},
            "empty": {"$ref": "/api/empty/schema#"},
            "status": {"$ref": "/api/status/schema#"},
        },
    }
    # the resources are listed sorted by name
    assert list(response.json["properties"]) == ["animal", "empty", "status"]


def test_root_schema_without_title_and_resources():
    app = Flask(__name__)
    Api(app)
    response = app.test_client().get("/schema")
    assert response.status_code == 200
    assert response.json == {"$schema": HYPER_SCHEMA, "properties": {}}


def test_model_resource_schema(client):
    response = client.get("/api/animal/schema")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    uri = {"type": "string", "pattern": "^/api/animal\\/[^/]+$"}
    name = {"type": "string", "maxLength": 20}
    legs = {"type": "integer"}
    number = {"type": "number"}
    text = {"type": "string", "minLength": 1}
    assert response.json == {
        "$schema": HYPER_SCHEMA,
        "title": "Animals",
        "description": "Every animal of the zoo",
        "type": "object",
        "properties": {
            "$type": {"type": "string", "enum": ["animal"], "readOnly": True},
            "$uri": dict(uri, readOnly=True),
            "legs": {"type": "integer", "default": 4, "readOnly": True},
            "name": name,
        },
        "links": [
            {
                "rel": "create",
                "href": "/api/animal",
                "method": "POST",
                "schema": {"$ref": "#"},
                "targetSchema": {"$ref": "#"},
            },
            {"rel": "describedBy", "href": "/api/animal/schema", "method": "GET"},
            {"rel": "destroy", "href": "/api/animal/{id}", "method": "DELETE"},
            {
                "rel": "instances",
                "href": "/api/animal",
                "method": "GET",
                "schema": {
                    "type": "object",
                    "properties": {
                        "where": {
                            "type": "object",
                            "properties": {
                                "name": {
                                    "anyOf": [
                                        name,
                                        condition("eq", name),
                                        condition("ne", name),
                                        condition("contains", text),
                                        condition("icontains", text),
                                        condition("startswith", text),
                                        condition("istartswith", text),
                                        condition("endswith", text),
                                        condition("iendswith", text),
                                        in_list(name),
                                    ]
                                },
                                "legs": {
                                    "anyOf": [
                                        dict(legs, default=4),
                                        condition("eq", dict(legs, default=4)),
                                        condition("ne", dict(legs, default=4)),
                                        condition("lt", number),
                                        condition("lte", number),
                                        condition("gt", number),
                                        condition("gte", number),
                                        in_list(dict(legs, default=4)),
                                    ]
                                },
                                "$uri": {
                                    "anyOf": [
                                        uri,
                                        condition("eq", uri),
                                        condition("ne", uri),
                                        in_list(uri),
                                    ]
                                },
                            },
                            "additionalProperties": False,
                        },
                        "sort": {
                            "type": "object",
                            "properties": {
                                "name": {"type": "boolean"},
                                "legs": {"type": "boolean"},
                                "$uri": {"type": "boolean"},
                            },
                            "additionalProperties": False,
                        },
                        "page": {"type": "integer", "minimum": 1, "default": 1},
                        "per_page": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": 100,
                            "default": 20,
                        },
                    },
                    "additionalProperties": True,
                },
                "targetSchema": {"type": "array", "items": {"$ref": "#"}},
            },
            {
                "rel": "readSound",
                "href": "/api/animal/{id}/sound",
                "method": "GET",
                "schema": {"type": "object", "properties": {}, "additionalProperties": False},
                "targetSchema": {"type": "string"},
            },
            {
                "rel": "self",
                "href": "/api/animal/{id}",
                "method": "GET",
                "targetSchema": {"$ref": "#"},
            },
            {
                "rel": "update",
                "href": "/api/animal/{id}",
                "method": "PATCH",
                "schema": {
                    "type": "object",
                    "properties": {"name": name, "secret": {"type": ["string", "null"]}},
                    "additionalProperties": False,
                },
                "targetSchema": {"$ref": "#"},
            },
        ],
    }
    # links are sorted by rel
    rels = [link["rel"] for link in response.json["links"]]
    assert rels == sorted(rels)


def test_plain_resource_schema(client):
    response = client.get("/api/status/schema")
    assert response.status_code == 200
    assert response.json == {
        "$schema": HYPER_SCHEMA,
        "type": "object",
        "properties": {"ok": {"type": "boolean"}},
        "links": [
            {"rel": "describedBy", "href": "/api/status/schema", "method": "GET"},
            {
                "rel": "readPing",
                "href": "/api/status/ping",
                "method": "GET",
                "schema": {"type": "object", "properties": {}, "additionalProperties": False},
                "targetSchema": {"type": "string"},
            },
        ],
    }


def test_resource_without_fields_has_only_links(client):
    response = client.get("/api/empty/schema")
    assert response.json == {
        "$schema": HYPER_SCHEMA,
        "links": [{"rel": "describedBy", "href": "/api/empty/schema", "method": "GET"}],
    }


def test_create_schema_is_the_validated_one(app):
    animal = app.extensions["potion"][0].resources["animal"]
    assert animal.schema.create == {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 20},
            "secret": {"type": ["string", "null"]},
        },
        "additionalProperties": False,
        "required": ["name"],
    }


def test_schema_is_served_in_debug_mode_indented(app, client):
    app.debug = True
    response = client.get("/api/empty/schema")
    assert response.status_code == 200
    assert response.data.startswith(b'{\n  "$schema"')
