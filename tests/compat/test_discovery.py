"""Field discovery is Flask-Potion's on every backend (issue #12, item 3): primary keys
are never fields, foreign keys and references are fields only when declared, and
MongoEngine nullability follows ``null=True``."""

from __future__ import annotations

from typing import Any

import mongoengine as me
import peewee
import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_potion import Api, ModelResource, fields
from flask_potion.contrib.alchemy import SQLAlchemyManager
from flask_potion.contrib.mongoengine import MongoEngineManager
from flask_potion.contrib.peewee import PeeweeManager
from tests.mongo_env import fresh_database


def properties(resource: Any) -> dict[str, Any]:
    return resource.schema.response["properties"]


def test_peewee_primary_and_foreign_keys(tmp_path: Any) -> None:
    db = peewee.SqliteDatabase(str(tmp_path / "d.db"))

    class Country(peewee.Model):
        code = peewee.CharField(max_length=2, primary_key=True)
        name = peewee.CharField()

        class Meta:
            database = db

    class City(peewee.Model):
        name = peewee.CharField()
        country = peewee.ForeignKeyField(Country)
        twin = peewee.ForeignKeyField("self", null=True)

        class Meta:
            database = db

    class CountryResource(ModelResource):
        class Meta:
            model = Country
            manager = PeeweeManager
            silenced_checks = ["potion.E102"]  # no field sets the key: read only

    class CityResource(ModelResource):
        class Meta:
            model = City
            manager = PeeweeManager

    class DeclaredCity(ModelResource):
        class Meta:
            name = "declared_city"
            model = City
            manager = PeeweeManager

        class Schema:
            country = fields.ToOne("country")

    api = Api(Flask(__name__))
    api.add_resource(CountryResource)
    api.add_resource(DeclaredCity)
    # no primary key, no foreign key
    assert sorted(properties(CountryResource)) == ["$uri", "name"]
    assert sorted(properties(CityResource)) == ["$uri", "name"]
    assert sorted(properties(DeclaredCity)) == ["$uri", "country", "name"]
    # the same as the SQLAlchemy backend infers for the same tables
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    sa_db = SQLAlchemy(app)

    class SaCountry(sa_db.Model):
        code = sa_db.Column(sa_db.String(2), primary_key=True)
        name = sa_db.Column(sa_db.String, nullable=False)

    class SaCity(sa_db.Model):
        id = sa_db.Column(sa_db.Integer, primary_key=True)
        name = sa_db.Column(sa_db.String, nullable=False)
        country_code = sa_db.Column(sa_db.ForeignKey(SaCountry.code), nullable=False)
        country = sa_db.relationship(SaCountry)

    class SaCityResource(ModelResource):
        class Meta:
            model = SaCity
            manager = SQLAlchemyManager

    class SaCountryResource(ModelResource):
        class Meta:
            model = SaCountry
            manager = SQLAlchemyManager

    assert sorted(properties(SaCityResource)) == sorted(properties(CityResource))
    assert sorted(properties(SaCountryResource)) == sorted(properties(CountryResource))


class Tag(me.Document):
    meta = {"collection": "discovery_tag"}
    name = me.StringField(required=True)


class Post(me.Document):
    meta = {"collection": "discovery_post"}
    slug = me.StringField(primary_key=True)
    title = me.StringField(required=True)
    subtitle = me.StringField()  # not null=True: not nullable, required on create
    summary = me.StringField(null=True)
    views = me.IntField(default=0)
    main_tag = me.ReferenceField(Tag)
    tags = me.ListField(me.ReferenceField(Tag))
    words = me.ListField(me.StringField())


@pytest.fixture
def mongo() -> Any:
    with fresh_database() as database:
        yield database


def test_mongoengine_discovery(mongo: Any) -> None:
    class PostResource(ModelResource):
        class Meta:
            name = "post"
            model = Post
            manager = MongoEngineManager

    class DeclaredPost(ModelResource):
        class Meta:
            name = "declared_post"
            model = Post
            manager = MongoEngineManager

        class Schema:
            slug = fields.String(io="rc")  # a primary key the client gives: declared
            main_tag = fields.ToOne("tag", nullable=True)
            tags = fields.ToMany("tag")

    class TagResource(ModelResource):
        class Meta:
            name = "tag"
            model = Tag
            manager = MongoEngineManager

    app = Flask(__name__)
    api = Api(app)
    for resource in (TagResource, PostResource, DeclaredPost):
        api.add_resource(resource)
    # no primary key (slug is the $uri), no reference
    assert sorted(properties(PostResource)) == [
        "$uri",
        "subtitle",
        "summary",
        "title",
        "views",
        "words",
    ]
    assert sorted(properties(DeclaredPost)) == sorted(
        [*properties(PostResource), "main_tag", "slug", "tags"]
    )
    post = properties(PostResource)
    assert post["subtitle"] == {"type": "string"}
    assert post["summary"] == {"type": ["string", "null"]}
    assert post["views"] == {"type": "integer", "default": 0}
    assert PostResource.schema.create["required"] == ["title", "subtitle"]
    client = app.test_client()
    tag = client.post("/tag", json={"name": "t"}).get_json()["$uri"]
    response = client.post(
        "/declared_post", json={"slug": "a", "title": "A", "subtitle": "s", "tags": [{"$ref": tag}]}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["tags"] == [{"$ref": tag}] and body["main_tag"] is None
    assert body["summary"] is None and body["views"] == 0
    response = client.post("/post", json={"title": "B", "subtitle": "s", "main_tag": tag})
    assert response.status_code == 400  # not a field of PostResource
    response = client.patch(body["$uri"].replace("declared_post", "post"), json={"subtitle": None})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["path"] == ["subtitle"]
