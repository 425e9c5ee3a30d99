"""Flask-Potion's SQLAlchemy extras: InlineModel and filters written as SQL expressions,
on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from potion import ModelResource, fields
from potion.filters import EqualFilter

from . import sqla_env

database = sqla_env.database
sqla = sqla_env.sqla


@pytest.fixture
def people(sqla):
    from flask_potion.contrib.alchemy.fields import InlineModel
    from flask_potion.contrib.alchemy.filters import SQLAlchemyBaseFilter

    db = sqla.db

    class Address(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        city = db.Column(db.String(60), nullable=False)
        street = db.Column(db.String(60))

    class Person(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(60), nullable=False)
        address_id = db.Column(db.Integer, db.ForeignKey(Address.id))
        address = db.relationship(Address)

    class NameLongerThan(SQLAlchemyBaseFilter):
        name = "longer"

        def value_schema(self):
            return {"type": "integer", "minimum": 0}

        def convert(self, value):
            return value

        def expression(self, value):
            return sa.func.length(self.column) > value

    class PersonResource(ModelResource):
        class Meta:
            model = Person
            filters = {"name": {"eq": EqualFilter, "longer": NameLongerThan}}

        class Schema:
            address = InlineModel(
                {"city": fields.String(), "street": fields.String(nullable=True)},
                model=Address,
                nullable=True,
            )

    sqla.api.add_resource(PersonResource)
    sqla.create_all()
    return sqla


def test_inline_model_is_stored_as_a_row_and_read_back(people):
    response = people.post(
        "/person", json={"name": "Ada", "address": {"city": "London", "street": "St James's Sq"}}
    )
    assert response.status_code == 200, response.json
    assert response.json["address"] == {"city": "London", "street": "St James's Sq"}
    assert people.rows("select city, street from address") == [("London", "St James's Sq")]
    person_id = response.json["$uri"].rsplit("/", 1)[1]
    assert people.get(f"/person/{person_id}").json["address"] == {
        "city": "London",
        "street": "St James's Sq",
    }
    assert people.post("/person", json={"name": "Bob", "address": None}).json["address"] is None


def test_inline_model_input_is_validated(people):
    response = people.post("/person", json={"name": "Ada", "address": {"town": "London"}})
    assert response.status_code == 400
    assert people.count("person") == 0 and people.count("address") == 0


def test_a_filter_written_as_an_sql_expression(people):
    for name in ("Al", "Ada", "Grace", "Barbara"):
        assert people.post("/person", json={"name": name}).status_code == 200
    response = people.get("/person", query_string={"where": json.dumps({"name": {"$longer": 3}})})
    assert response.status_code == 200
    assert [p["name"] for p in response.json] == ["Grace", "Barbara"]
    assert people.get('/person?where={"name": "Al"}').json[0]["name"] == "Al"
    response = people.get('/person?where={"name": {"$longer": "x"}}')
    assert response.status_code == 400
    assert response.json["errors"][0]["path"] == ["where", "name"]
    assert people.get('/person?where={"name": {"$startswith": "A"}}').status_code == 400
