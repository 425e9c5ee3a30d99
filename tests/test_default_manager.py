"""Without Meta.manager, the backend follows the model's library."""

from __future__ import annotations

import subprocess
import sys

import mongoengine
import peewee
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from potion import Api, ModelResource
from potion.backends import manager_for_model
from potion.backends.memory import MemoryManager
from potion.backends.mongoengine import MongoEngineManager
from potion.backends.peewee import PeeweeManager
from potion.backends.sqlalchemy import SQLAlchemyManager

from .mongo_env import fresh_database


def test_each_library_gets_its_backend():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db = SQLAlchemy(app)

    class Row(db.Model):
        id = db.Column(db.Integer, primary_key=True)

    class Record(peewee.Model):
        name = peewee.CharField()

    class Entry(mongoengine.Document):
        name = mongoengine.StringField()

    assert manager_for_model(Row) is SQLAlchemyManager
    assert manager_for_model(Record) is PeeweeManager
    assert manager_for_model(Entry) is MongoEngineManager
    assert manager_for_model(None) is SQLAlchemyManager
    assert Api().default_manager is SQLAlchemyManager
    assert Api(default_manager=MemoryManager).default_manager is MemoryManager


def test_a_peewee_model_is_served_without_meta_manager(tmp_path):
    notes_db = peewee.SqliteDatabase(str(tmp_path / "notes.db"))

    class Note(peewee.Model):
        text = peewee.CharField()

        class Meta:
            database = notes_db

    notes_db.create_tables([Note])

    class NoteResource(ModelResource):
        class Meta:
            model = Note

    app = Flask(__name__)
    Api(app).add_resource(NoteResource)
    assert isinstance(NoteResource.manager, PeeweeManager)
    client = app.test_client()
    assert client.post("/note", json={"text": "hello"}).status_code == 200
    assert [n.text for n in Note.select()] == ["hello"]


def test_a_mongoengine_document_is_served_without_meta_manager():
    with fresh_database():

        class Memo(mongoengine.Document):
            text = mongoengine.StringField(required=True)

        class MemoResource(ModelResource):
            class Meta:
                model = Memo

        app = Flask(__name__)
        Api(app).add_resource(MemoResource)
        assert isinstance(MemoResource.manager, MongoEngineManager)
        client = app.test_client()
        assert client.post("/memo", json={"text": "hi"}).status_code == 200
        assert [m.text for m in Memo.objects] == ["hi"]


def test_choosing_a_backend_imports_no_other():
    code = (
        "import sys, peewee\n"
        "from potion.backends import manager_for_model\n"
        "class M(peewee.Model):\n    pass\n"
        "manager_for_model(M)\n"
        "print(sorted(m for m in ('sqlalchemy', 'mongoengine') if m in sys.modules))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"
