"""The example of SEED.md (Flask-Potion's README), completed with its three lost lines,
runs unchanged: ``tests/seed_example.py`` holds its exact text."""

from __future__ import annotations

import pathlib
import runpy

import flask
import pytest
from werkzeug.datastructures import ImmutableDict

EXAMPLE = pathlib.Path(__file__).with_name("seed_example.py")


@pytest.fixture
def example(monkeypatch):
    # Flask-SQLAlchemy 3 needs a database URI before SQLAlchemy(app); the example
    # sets none, so the test gives every new app an in-memory SQLite default.
    config = dict(flask.Flask.default_config, SQLALCHEMY_DATABASE_URI="sqlite://")
    monkeypatch.setattr(flask.Flask, "default_config", ImmutableDict(config))
    namespace = runpy.run_path(str(EXAMPLE), run_name="seed_example")
    app, db = namespace["app"], namespace["db"]
    with app.app_context():
        db.create_all()
    yield namespace
    with app.app_context():
        db.drop_all()


def test_the_example_text_is_unchanged():
    text = EXAMPLE.read_text()
    assert "from flask_potion import Api, ModelResource, fields" in text
    assert "    @ItemRoute.GET\n    def greeting(self, user) -> fields.String():" in text
    assert "\napi.add_resource(UserResource)\n" in text
    assert "if __name__ == '__main__':\n    app.run()\n" in text


def test_greeting(example):
    client = example["app"].test_client()
    response = client.post("/user", json={"name": "Ada"})
    assert response.status_code == 200
    assert response.json == {"$uri": "/user/1", "name": "Ada"}
    response = client.get("/user/1/greeting")
    assert response.status_code == 200
    assert response.json == "Hello, Ada!"
    assert client.get("/user/2/greeting").status_code == 404


def test_the_example_api(example):
    client = example["app"].test_client()
    assert client.post("/user", json={}).status_code == 400
    client.post("/user", json={"name": "Grace"})
    assert client.get("/user").json == [{"$uri": "/user/1", "name": "Grace"}]
    links = {link["rel"]: link for link in client.get("/user/schema").json["links"]}
    assert links["readGreeting"] == {
        "rel": "readGreeting",
        "href": "/user/{id}/greeting",
        "method": "GET",
        "schema": {"type": "object", "additionalProperties": False, "properties": {}},
        "targetSchema": {"type": "string"},
    }
