"""Imports: ``import potion`` stays free of every ORM and optional extra (marshmallow), and
Flask-Potion's import paths
(spec §1) keep working through the ``flask_potion`` package."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap

import pytest

import potion

ORMS = ("sqlalchemy", "flask_sqlalchemy", "peewee", "mongoengine", "pymongo")
#: What ``import potion`` must not import: the ORMs and the libraries of optional extras.
OPTIONAL = ORMS + ("marshmallow", "marshmallow_sqlalchemy")


def run_python(code):
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize(
    "statement", ["import potion", "import flask_potion", "from potion import *"]
)
def test_importing_potion_imports_no_orm(statement):
    output = run_python(
        f"""
        import sys
        {statement}
        print(",".join(m for m in {OPTIONAL!r} if m in sys.modules))
        """
    )
    assert output.strip() == ""


@pytest.mark.parametrize(
    "statement", ["import potion", "import flask_potion", "from potion import *"]
)
def test_importing_potion_imports_no_client(statement):
    # potion.client is the optional extra potion[client]: the server side never loads it
    output = run_python(
        f"""
        import sys
        {statement}
        print(",".join(m for m in ("potion.client", "requests", "httpx") if m in sys.modules))
        """
    )
    assert output.strip() == ""


def test_a_memory_api_runs_without_any_orm():
    output = run_python(
        f"""
        import sys
        from flask import Flask
        from flask_potion import Api, ModelResource, fields
        from flask_potion.routes import ItemRoute
        from flask_potion.contrib.memory import MemoryManager

        class Note(ModelResource):
            class Meta:
                manager = MemoryManager

            class Schema:
                text = fields.String()

            @ItemRoute.GET
            def shout(self, note) -> fields.String():
                return note["text"].upper()

        app = Flask(__name__)
        api = Api(app)
        api.add_resource(Note)
        client = app.test_client()
        assert client.post("/note", json={{"text": "hi"}}).status_code == 200
        assert client.get("/note/1/shout").json == "HI"
        assert client.get("/schema").status_code == 200
        print(",".join(m for m in {OPTIONAL!r} if m in sys.modules))
        """
    )
    assert output.strip() == ""


def test_flask_potion_top_level():
    import flask_potion

    assert flask_potion.Api is potion.Api
    assert flask_potion.Resource is potion.Resource
    assert flask_potion.ModelResource is potion.ModelResource
    assert set(flask_potion.__all__) == {
        "Api",
        "Resource",
        "ModelResource",
        "fields",
        "filters",
        "manager",
        "instances",
        "routes",
        "schema",
        "signals",
        "contrib",
        "natural_keys",
    }
    for name in flask_potion.__all__:
        if name[0].islower():  # a submodule
            importlib.import_module(f"flask_potion.{name}")


PATHS = {
    "flask_potion.fields": [
        "Raw",
        "Any",
        "Custom",
        "Array",
        "List",
        "Object",
        "AttributeMapped",
        "String",
        "UUID",
        "Uri",
        "Email",
        "Date",
        "DateTime",
        "DateString",
        "DateTimeString",
        "Boolean",
        "Integer",
        "PositiveInteger",
        "Number",
        "ToOne",
        "ToMany",
        "Inline",
        "ItemType",
        "ItemUri",
    ],
    "flask_potion.routes": [
        "Route",
        "ItemRoute",
        "RouteSet",
        "ItemAttributeRoute",
        "Relation",
        "to_camel_case",
    ],
    "flask_potion.schema": ["Schema", "FieldSet", "SchemaImpl"],
    "flask_potion.instances": ["Instances", "RelationInstances", "Pagination"],
    "flask_potion.filters": [
        "BaseFilter",
        "EqualFilter",
        "NotEqualFilter",
        "LessThanFilter",
        "LessThanEqualFilter",
        "GreaterThanFilter",
        "GreaterThanEqualFilter",
        "NumberLessThanFilter",
        "NumberLessThanEqualFilter",
        "NumberGreaterThanFilter",
        "NumberGreaterThanEqualFilter",
        "InFilter",
        "ContainsFilter",
        "StringContainsFilter",
        "StringIContainsFilter",
        "StartsWithFilter",
        "IStartsWithFilter",
        "EndsWithFilter",
        "IEndsWithFilter",
        "DateBetweenFilter",
        "FILTER_NAMES",
        "FILTERS_BY_TYPE",
    ],
    "flask_potion.natural_keys": ["Key", "RefKey", "IDKey", "PropertyKey", "PropertiesKey"],
    "flask_potion.manager": ["Manager", "RelationalManager"],
    "flask_potion.signals": [
        "before_create",
        "after_create",
        "before_update",
        "after_update",
        "before_delete",
        "after_delete",
        "before_add_to_relation",
        "after_add_to_relation",
        "before_remove_from_relation",
        "after_remove_from_relation",
    ],
    "flask_potion.exceptions": [
        "PotionException",
        "ItemNotFound",
        "RequestMustBeJSON",
        "ValidationError",
        "DuplicateKey",
        "BackendConflict",
        "PageNotFound",
        "InvalidJSON",
    ],
    "flask_potion.contrib.memory": ["MemoryManager"],
}


@pytest.mark.parametrize("module_name", sorted(PATHS))
def test_flask_potion_module_paths(module_name):
    module = importlib.import_module(module_name)
    potion_name = module_name.replace("flask_potion.manager", "potion.backends").replace(
        "flask_potion.contrib.memory", "potion.backends.memory"
    )
    potion_name = potion_name.replace("flask_potion.", "potion.")
    original = importlib.import_module(potion_name)
    for name in PATHS[module_name]:
        assert hasattr(module, name), f"{module_name}.{name}"
        # the same objects as potion's, not copies
        assert getattr(module, name) is getattr(original, name), f"{module_name}.{name}"


def test_submodules_reached_as_attributes():
    import flask_potion

    assert flask_potion.fields.String is potion.fields.String
    assert flask_potion.routes.Relation is potion.Relation
    assert flask_potion.signals.before_create is potion.signals.before_create


def test_potion_public_face():
    for name in potion.__all__:
        assert hasattr(potion, name), name
    assert potion.Route is potion.routes.Route
    assert potion.__version__
