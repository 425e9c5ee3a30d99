"""Every public module path and name of Flask-Potion 0.16 imports from ``flask_potion``.

The list is the compatibility contract: a name that disappears fails here.  Each
name must also be Potion's own object (not a copy), so ``isinstance`` checks and
subclasses work across both import paths.
"""

from __future__ import annotations

import importlib

import pytest

import potion

#: module path → (the potion module serving it, its public names)
MODULES: dict[str, tuple[str, list[str]]] = {
    "flask_potion": (
        "potion",
        ["Api", "Resource", "ModelResource"],
    ),
    "flask_potion.resource": (
        "potion.resource",
        ["Resource", "ModelResource", "ResourceMeta", "ModelResourceMeta"],
    ),
    "flask_potion.reference": (
        "potion.fields.references",
        ["ResourceReference"],
    ),
    "flask_potion.utils": ("potion.utils", ["route_from", "unpack", "get_value", "AttributeDict"]),
    "flask_potion.routes": (
        "potion.routes",
        [
            "Route",
            "ItemRoute",
            "RouteSet",
            "ItemAttributeRoute",
            "Relation",
            "to_camel_case",
            "HTTP_METHODS",
            "HTTP_METHOD_VERB_DEFAULTS",
            "url_rule_to_uri_pattern",
            "attribute_to_route_uri",
        ],
    ),
    "flask_potion.schema": (
        "potion.schema",
        ["Schema", "FieldSet", "SchemaImpl", "RequestMustBeJSON", "ResourceBound"],
    ),
    "flask_potion.instances": (
        "potion.instances",
        ["Instances", "RelationInstances", "Pagination", "PaginationMixin"],
    ),
    "flask_potion.filters": (
        "potion.filters",
        [
            "BaseFilter",
            "EqualFilter",
            "NotEqualFilter",
            "LessThanFilter",
            "LessThanEqualFilter",
            "GreaterThanFilter",
            "GreaterThanEqualFilter",
            "NumberBaseFilter",
            "StringBaseFilter",
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
            "EQUALITY_FILTER_NAME",
            "filters_for_fields",
            "filters_for_field_class",
            "convert_filters",
        ],
    ),
    "flask_potion.fields": (
        "potion.fields",
        [
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
    ),
    "flask_potion.natural_keys": (
        "potion.natural_keys",
        ["Key", "RefKey", "IDKey", "PropertyKey", "PropertiesKey"],
    ),
    "flask_potion.manager": ("potion.backends", ["Manager", "RelationalManager"]),
    "flask_potion.signals": (
        "potion.signals",
        [
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
    ),
    "flask_potion.exceptions": (
        "potion.exceptions",
        [
            "PotionException",
            "ItemNotFound",
            "RequestMustBeJSON",
            "ValidationError",
            "DuplicateKey",
            "BackendConflict",
            "PageNotFound",
            "InvalidJSON",
        ],
    ),
    "flask_potion.contrib.alchemy": ("potion.backends.sqlalchemy", ["SQLAlchemyManager"]),
    "flask_potion.contrib.alchemy.manager": ("potion.backends.sqlalchemy", ["SQLAlchemyManager"]),
    "flask_potion.contrib.alchemy.fields": ("potion.backends.sqlalchemy", ["InlineModel"]),
    "flask_potion.contrib.alchemy.filters": (
        "potion.backends.sqlalchemy.filters",
        ["SQLAlchemyBaseFilter", "EqualFilter", "FILTERS_BY_TYPE"],
    ),
    "flask_potion.contrib.memory": ("potion.backends.memory", ["MemoryManager"]),
    "flask_potion.contrib.memory.manager": ("potion.backends.memory", ["MemoryManager"]),
    "flask_potion.contrib.peewee": ("potion.backends.peewee", ["PeeweeManager"]),
    "flask_potion.contrib.peewee.manager": ("potion.backends.peewee", ["PeeweeManager"]),
    "flask_potion.contrib.peewee.filters": (
        "potion.backends.peewee.filters",
        ["FILTER_NAMES", "FILTERS_BY_TYPE", "EqualFilter", "InFilter", "StringContainsFilter"],
    ),
    "flask_potion.contrib.mongoengine": ("potion.backends.mongoengine", ["MongoEngineManager"]),
    "flask_potion.contrib.mongoengine.manager": (
        "potion.backends.mongoengine",
        ["MongoEngineManager"],
    ),
    "flask_potion.contrib.mongoengine.filters": (
        "potion.backends.mongoengine.filters",
        ["FILTER_NAMES", "FILTERS_BY_TYPE", "EqualFilter", "InFilter", "StringContainsFilter"],
    ),
    "flask_potion.contrib.principals": (
        "potion.permissions.principals",
        ["principals", "PrincipalMixin"],
    ),
    "flask_potion.contrib.principals.needs": (
        "potion.permissions.principals",
        ["HybridNeed", "HybridItemNeed", "HybridRelationshipNeed", "HybridUserNeed"],
    ),
    "flask_potion.contrib.principals.permission": (
        "potion.permissions.principals",
        ["HybridPermission"],
    ),
}


@pytest.mark.parametrize("module_name", sorted(MODULES))
def test_module_path_serves_potion_objects(module_name):
    module = importlib.import_module(module_name)
    source_name, names = MODULES[module_name]
    source = importlib.import_module(source_name)
    for name in names:
        assert hasattr(module, name), f"{module_name}.{name} is missing"
        assert getattr(module, name) is getattr(source, name), f"{module_name}.{name}"


def test_top_level_extras():
    import flask_potion

    assert flask_potion.PotionException is potion.exceptions.PotionException
    assert flask_potion.RouteSet is potion.routes.RouteSet
    assert flask_potion.to_camel_case("read_is_recent") == "readIsRecent"
    assert flask_potion.resource.ModelResource is potion.ModelResource


def test_reference_module_resource_bound():
    from flask_potion.reference import ResourceBound

    assert ResourceBound is potion.schema.ResourceBound


def test_model_resource_meta_is_the_metaclass():
    from flask_potion.resource import ModelResource, ModelResourceMeta, Resource, ResourceMeta

    assert type(ModelResource) is ModelResourceMeta
    assert issubclass(ModelResourceMeta, ResourceMeta)
    assert type(Resource) is ResourceMeta


def test_contrib_backends_are_packages():
    for name in ("alchemy", "memory", "peewee", "mongoengine", "principals"):
        package = importlib.import_module(f"flask_potion.contrib.{name}")
        assert hasattr(package, "__path__"), f"flask_potion.contrib.{name} is not a package"


def test_filter_names_list_equality_twice():
    from flask_potion.filters import EQUALITY_FILTER_NAME, FILTER_NAMES, EqualFilter

    assert EQUALITY_FILTER_NAME == "eq"
    assert (EqualFilter, None) in FILTER_NAMES
    assert (EqualFilter, "eq") in FILTER_NAMES


def test_route_helpers():
    from flask_potion.routes import (
        HTTP_METHOD_VERB_DEFAULTS,
        HTTP_METHODS,
        attribute_to_route_uri,
        url_rule_to_uri_pattern,
    )

    assert HTTP_METHODS == ("GET", "PUT", "POST", "PATCH", "DELETE")
    assert HTTP_METHOD_VERB_DEFAULTS == {
        "GET": "read",
        "PUT": "create",
        "POST": "create",
        "PATCH": "update",
        "DELETE": "destroy",
    }
    assert url_rule_to_uri_pattern("/book/<int:id>/shout") == "/book/{id}/shout"
    assert url_rule_to_uri_pattern("/a/<target_id>") == "/a/{target_id}"
    assert attribute_to_route_uri("is_recent") == "is-recent"


def test_utils_unpack_and_get_value():
    from flask_potion.utils import AttributeDict, get_value, unpack

    assert unpack("x") == ("x", 200, {})
    assert unpack(("x", 201)) == ("x", 201, {})
    assert unpack(("x", 201, {"A": "b"})) == ("x", 201, {"A": "b"})
    assert get_value("a", {"a": 1}, None) == 1
    assert get_value("missing", object(), 5) == 5
    meta = AttributeDict(name="book")
    assert meta.name == "book"
    meta.title = "Books"
    assert meta["title"] == "Books"


def test_utils_route_from():
    from flask import Flask
    from werkzeug.exceptions import NotFound

    from flask_potion import Api, ModelResource
    from flask_potion.contrib.memory import MemoryManager
    from flask_potion.utils import route_from

    class Note(ModelResource):
        class Meta:
            manager = MemoryManager

    app = Flask(__name__)
    Api(app, prefix="/api").add_resource(Note)
    with app.test_request_context("/"):
        assert route_from("/api/note/3") == ("note_self", {"id": 3})
        assert route_from("http://localhost/api/note", "POST") == ("note_create", {})
        with pytest.raises(NotFound):
            route_from("/api/nothing")
