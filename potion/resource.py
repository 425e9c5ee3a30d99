"""Resources: declarative classes with a ``Schema``, a ``Meta`` and routes."""

from __future__ import annotations

import copy
import inspect
from typing import Any, ClassVar

from . import fields
from .adapters import item_schema
from .exceptions import ItemNotFound
from .instances import Instances
from .permissions.rules import DEFAULT_PERMISSIONS
from .routes import ItemRoute, Route, RouteSet
from .schema import FieldSet, ResourceBound, Schema, route_prefix_of
from .utils import AttributeDict

__all__ = ["Resource", "ModelResource", "ResourceMeta", "ModelResourceMeta", "AttributeDict"]

HYPER_SCHEMA = "http://json-schema.org/draft-04/hyper-schema#"


def _own(klass: type, name: str) -> dict[str, Any]:
    inner = klass.__dict__.get(name)
    if inner is None:
        return {}
    return {k: v for k, v in vars(inner).items() if not k.startswith("__")}


class ResourceMeta(type):
    """Collects ``meta``, ``schema`` and ``routes`` when a resource class is created.

    A resource without fields has ``schema = None`` (a plain ``Resource``); model
    resources always have one (see :class:`ModelResourceMeta`).
    """

    #: Whether a resource without declared fields still gets a (empty) FieldSet.
    always_has_schema = False

    def __new__(mcs, name: str, bases: tuple[type, ...], members: dict[str, Any]) -> Any:
        cls: Any = super().__new__(mcs, name, bases, members)
        mro = list(reversed(cls.__mro__))

        meta = AttributeDict()
        for klass in mro:
            meta.update(_own(klass, "Meta"))
        own_meta = _own(cls, "Meta")
        if not own_meta.get("name"):
            meta["name"] = name.lower()
        cls.meta = meta
        cls._names_itself = "name" in own_meta

        declared: dict[str, fields.Raw] = {}
        for klass in mro:
            for key, value in _own(klass, "Schema").items():
                if isinstance(value, fields.Raw):
                    declared[key] = value
        # A schema of another library (``Meta.marshmallow_schema``), converted once;
        # the inner Schema's fields replace converted ones of the same name.
        schema = item_schema(meta, cls)
        if schema is None:
            schema = FieldSet()
        elif meta.get("include_fields") is None:
            meta["include_fields"] = ()  # the adapted schema is the whole declaration
        declared = {**schema.fields, **declared}
        for key in meta.get("read_only_fields") or ():
            if key in declared:
                declared[key] = _with_io(declared[key], "r")
        for key in meta.get("write_only_fields") or ():
            if key in declared:
                declared[key] = _with_io(declared[key], "w")
        if declared or mcs.always_has_schema:
            schema.fields = declared
            schema.required.update(meta.get("required_fields") or ())
            cls.schema = schema.bind(cls)
        else:
            cls.schema = None  # a plain resource without fields

        cls.routes = _collect_routes(cls, mro)
        cls.route_sets = {}
        for klass in mro:
            for attr, member in vars(klass).items():
                if isinstance(member, RouteSet):
                    bound = copy.copy(member)
                    bound.resource = None
                    bound = bound.bind(cls)
                    if bound.attribute is None:
                        bound.attribute = attr
                    cls.route_sets[attr] = bound
        for route_set in cls.route_sets.values():
            for route in route_set.routes():
                cls.routes[route.rel] = route
        for rel in meta.get("exclude_routes") or ():
            cls.routes.pop(rel, None)

        for member in members.values():
            if isinstance(member, ResourceBound) and not isinstance(member, (RouteSet, Schema)):
                member.bind(cls)

        cls.api = None
        cls.route_prefix = None  # set when the resource is added to an Api
        cls._schema_document = None
        cls.manager = None  # every resource has a manager of its own, never its base's
        cls._init_manager()
        return cls


class ModelResourceMeta(ResourceMeta):
    """The metaclass of :class:`ModelResource`: its resources always have a schema,
    to which the manager adds the identity fields and the fields of the model."""

    always_has_schema = True


def _with_io(field: fields.Raw, io: str) -> fields.Raw:
    clone = copy.copy(field)
    clone.io = fields.normalize_io(io)
    clone.resource = None
    return clone


def _collect_routes(cls: type, mro: list[type]) -> dict[str, Route]:
    routes: dict[str, Route] = {}
    by_name: dict[str, Route] = {}
    for klass in mro:
        members = [(a, m) for a, m in vars(klass).items() if isinstance(m, Route)]
        # name the routes first, then their siblings (``@rating.POST``)
        for attr, member in sorted(members, key=lambda am: am[1]._parent is not None):
            root = member._parent or member
            if root._attribute is None:
                root.attribute = attr
        for attr, member in members:
            by_name[attr] = member
            for route in member.related_routes:
                routes[route.rel] = route
        # a plain method overriding an inherited route's view keeps the route
        for attr, member in vars(klass).items():
            if inspect.isfunction(member) and attr in by_name:
                route = by_name[attr].with_view_func(member)
                by_name[attr] = route
                routes[route.rel] = route
    return routes


class Resource(metaclass=ResourceMeta):
    """A plain resource: a schema, options and routes, with no data store needed.

    Declare fields in an inner ``Schema`` class and options in an inner ``Meta``
    class; add routes with ``@Route.GET`` and friends.
    """

    meta: ClassVar[AttributeDict]
    schema: ClassVar[Any]  # a FieldSet, or None for a resource without fields
    routes: ClassVar[dict[str, Route]]
    route_sets: ClassVar[dict[str, RouteSet]]
    api: ClassVar[Any]
    route_prefix: ClassVar[str | None]
    _schema_document: ClassVar[dict[str, Any] | None]
    _names_itself: ClassVar[bool]
    manager: ClassVar[Any] = None

    class Meta:
        title = None
        description = None
        exclude_routes = ()
        route_decorators: dict[str, Any] = {}
        required_fields = None
        read_only_fields = ()
        write_only_fields = ()

    @Route.GET("/schema", rel="describedBy", attribute="schema")
    def described_by(self) -> Any:
        """The JSON Hyper-Schema of this resource: ``(document, 200, headers)``.

        The ``Content-Type`` header names ``application/schema+json``; the Api
        answers every route as ``application/json``, as Flask-Potion does.
        """
        return type(self).schema_document(), 200, {"Content-Type": "application/schema+json"}

    @classmethod
    def schema_document(cls) -> dict[str, Any]:
        """The resource's JSON Hyper-Schema (built once, then cached)."""
        if cls._schema_document is None:
            cls._schema_document = cls._build_schema_document()
        return cls._schema_document

    @classmethod
    def _build_schema_document(cls) -> dict[str, Any]:
        document: dict[str, Any] = {"$schema": HYPER_SCHEMA}
        for key in ("title", "description"):
            if cls.meta.get(key) is not None:
                document[key] = cls.meta[key]
        if cls.schema is not None and cls.schema.fields:
            document["type"] = "object"
            document["properties"] = cls.schema.response["properties"]
        links = [route.link(cls) for route in cls.routes.values()]
        document["links"] = sorted(links, key=lambda link: link["rel"])
        return document

    def read_item(self, id: Any) -> Any:
        """The item an ItemRoute works on; 404 when it does not exist."""
        return self.manager.read(id)

    @classmethod
    def _init_manager(cls) -> None:
        """Create the manager once the class is complete (ModelResource does)."""


class _ItemSchema(Schema, ResourceBound):
    """The resource's own item schema, as the create/read/update routes use it."""

    def __init__(self, kind: str = "response") -> None:
        self.kind = kind

    def schema(self) -> Any:
        return {"$ref": "#"}, {"$ref": "#"}

    def link_request(self) -> Any:
        if self.kind == "update":
            return self.resource.schema.update
        return {"$ref": "#"}

    def link_response(self) -> Any:
        return {"$ref": "#"}

    def parse_request(self, req: Any) -> Any:
        from .schema import read_json_body

        body = read_json_body(req, required=False)
        return self.resource.schema.convert(body, update=self.kind == "update")

    def format(self, value: Any) -> Any:
        return self.resource.schema.format(value)


class ModelResource(Resource, metaclass=ModelResourceMeta):
    """A resource backed by a data store through a manager: full CRUD.

    Routes: ``instances`` (GET list), ``create`` (POST), ``self`` (GET item),
    ``update`` (PATCH), ``destroy`` (DELETE), plus ``describedBy``.
    """

    class Meta:
        id_attribute = None
        id_converter = None
        id_field_class = fields.Integer
        include_id = False
        include_type = False
        include_fields = None
        exclude_fields = None
        filters = True
        sort_attribute = None
        manager = None
        natural_key = None
        key_converters = None
        #: the defaults, checked only when a resource declares its own rules
        permissions = DEFAULT_PERMISSIONS

    @Route.GET("", rel="instances", schema=Instances(), response_schema=Instances())
    def instances(self, **kwargs: Any) -> Any:
        """A page of items, filtered by ``where`` and ordered by ``sort``."""
        return self.manager.page_for_output(**kwargs)

    @instances.POST(rel="create", schema=_ItemSchema("create"), response_schema=_ItemSchema())
    def create(self, properties: dict[str, Any]) -> Any:
        """Create an item."""
        item = self.manager.create(properties)
        item_id = self.manager.get_id(item)
        location = f"{route_prefix_of(self)}/{item_id}"
        return self._output(item, item_id), 200, {"Location": location}

    @Route.GET(
        lambda r: f"/<{r.meta.id_converter}:id>",
        rel="self",
        attribute="instance",
        response_schema=_ItemSchema(),
    )
    def read(self, id: Any) -> Any:
        """One item."""
        return self.manager.item_for_output(id)

    @read.PATCH(rel="update", schema=_ItemSchema("update"), response_schema=_ItemSchema())
    def update(self, properties: dict[str, Any], id: Any) -> Any:
        """Change some fields of an item."""
        item = self.read_item(id)
        return self._output(self.manager.update(item, properties), id)

    @update.DELETE(rel="destroy")
    def destroy(self, id: Any) -> Any:
        """Delete an item."""
        self.manager.delete(self.read_item(id))
        return None, 204

    def _output(self, item: Any, id: Any) -> Any:
        """The written item as the response formats it; 404 when it was deleted meanwhile."""
        output = self.manager.for_output(item)
        if output is None:
            raise ItemNotFound(type(self), id=id)
        return output

    def relation_add(self, item: Any, attribute: str, target: Any, target_item: Any) -> None:
        self.manager.relation_add(item, attribute, target, target_item)

    def relation_remove(self, item: Any, attribute: str, target: Any, target_item: Any) -> None:
        self.manager.relation_remove(item, attribute, target, target_item)

    @classmethod
    def _init_manager(cls) -> None:
        manager_class = cls.meta.get("manager")
        if manager_class is None:
            return
        if cls.meta.get("model") is None and getattr(manager_class, "requires_model", True):
            return
        manager_class(cls, cls.meta.get("model"))


__all__ += ["ItemRoute"]
