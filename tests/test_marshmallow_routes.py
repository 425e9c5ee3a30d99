"""Routes take marshmallow schemas wherever they take a FieldSet: request_schema,
response_schema, the decorator forms and a view's return annotation."""

from __future__ import annotations

import datetime

import pytest
from flask import Flask
from marshmallow import Schema, ValidationError, fields, validate, validates  # noqa: E402

from potion import Api, ModelResource, Resource  # noqa: E402
from potion.backends.memory import MemoryManager  # noqa: E402
from potion.routes import ItemRoute, Route  # noqa: E402
from potion.schema import FieldSet  # noqa: E402

from . import marshmallow_env  # noqa: F401  (skips without marshmallow)


class QuoteSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1))
    author = fields.String(data_key="by")
    day = fields.Date()

    @validates("text")
    def polite(self, value, data_key):
        if "rude" in value:
            raise ValidationError("Be polite.")


class Envelope(Schema):
    count = fields.Integer()
    quotes = fields.List(fields.Nested(QuoteSchema))


@pytest.fixture
def client():
    app = Flask(__name__)
    app.config["TESTING"] = True

    class Quote(Resource):
        store: list = []

        @Route.POST("/echo", schema=QuoteSchema, response_schema=QuoteSchema)
        def echo(self, text, author, day):
            return {"text": text.upper(), "author": author, "day": day}

        @Route.POST("/many", schema=QuoteSchema(many=True), response_schema=Envelope())
        def many(self, quotes):
            return {"count": len(quotes), "quotes": quotes}

        @Route.GET("/today")
        def today(self) -> QuoteSchema:
            return {"text": "hello", "author": "ada", "day": datetime.date(2024, 1, 31)}

        @Route.PATCH("/draft", schema=QuoteSchema(partial=True), response_schema=QuoteSchema)
        def draft(self, text, author, day):
            return {"text": text or "", "author": author}

    api = Api(app)
    api.add_resource(Quote)
    return app.test_client(), Quote


def test_request_and_response_schema(client):
    client, resource = client
    assert isinstance(resource.routes["createEcho"].request_schema, FieldSet)
    response = client.post("/quote/echo", json={"text": "hi", "by": "ada", "day": "2024-01-31"})
    assert response.status_code == 200
    assert response.json == {"text": "HI", "by": "ada", "day": "2024-01-31"}
    missing = client.post("/quote/echo", json={"by": "ada"})
    assert missing.status_code == 400
    assert missing.json["errors"] == [{"path": [], "validationOf": {"required": ["text"]}}]
    rude = client.post("/quote/echo", json={"text": "rude words"})
    assert rude.json["errors"] == [
        {"path": ["text"], "message": "Be polite.", "validationOf": {"validates": "polite"}}
    ]


def test_the_link_schemas(client):
    client, _ = client
    links = {link["rel"]: link for link in client.get("/quote/schema").json["links"]}
    echo = links["createEcho"]
    assert echo["schema"] == {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "text": {"type": "string", "minLength": 1},
            "by": {"type": "string"},
            "day": {"type": "string", "format": "date"},
        },
        "required": ["text"],
    }
    assert echo["targetSchema"]["properties"]["by"] == {"type": "string"}
    assert links["createMany"]["schema"]["type"] == "array"
    assert links["createMany"]["schema"]["items"]["required"] == ["text"]
    assert links["readToday"]["targetSchema"]["properties"]["day"] == {
        "type": "string",
        "format": "date",
    }


def test_many_request_and_nested_response(client):
    client, _ = client
    response = client.post("/quote/many", json=[{"text": "a"}, {"text": "b", "by": "x"}])
    assert response.status_code == 200
    assert response.json == {
        "count": 2,
        "quotes": [
            {"text": "a", "by": None, "day": None},
            {"text": "b", "by": "x", "day": None},
        ],
    }
    bad = client.post("/quote/many", json=[{"text": "a"}, {"by": "x"}])
    assert bad.status_code == 400
    assert bad.json["errors"] == [{"path": [1], "validationOf": {"required": ["text"]}}]


def test_return_annotation_and_partial_schema(client):
    client, _ = client
    assert client.get("/quote/today").json == {"text": "hello", "by": "ada", "day": "2024-01-31"}
    response = client.patch("/quote/draft", json={"by": "me"})
    assert response.json["by"] == "me", response.json


def test_item_route_with_marshmallow_schemas():
    class NoteSchema(Schema):
        text = fields.String()

    class RenameSchema(Schema):
        text = fields.String(required=True, validate=validate.Length(max=5))

    class Note(ModelResource):
        class Meta:
            manager = MemoryManager
            marshmallow_schema = NoteSchema

        @ItemRoute.POST("/rename", schema=RenameSchema, response_schema=NoteSchema)
        def rename(self, note, text):
            return self.manager.update(note, {"text": text})

    app = Flask(__name__)
    api = Api(app)
    api.add_resource(Note)
    client = app.test_client()
    client.post("/note", json={"text": "a"})
    assert client.post("/note/1/rename", json={"text": "b"}).json == {"text": "b"}
    refused = client.post("/note/1/rename", json={"text": "too long"})
    assert refused.json["errors"] == [{"path": ["text"], "validationOf": {"maxLength": 5}}]
    assert Note.manager.items[1]["text"] == "b"
