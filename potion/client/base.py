"""What both clients do without HTTP: read the schema into classes, keep one instance
per URI, decode answers and turn link calls into plans."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit
from weakref import WeakValueDictionary

from .codec import date_from_ms, dumps, encode
from .collection import Pager
from .exceptions import APIError
from .links import BUILTIN_RELS, Link, link_method
from .names import is_identifier, upper_camel_case
from .resource import ResourceBase, resource_property
from .transport import NOBODY, Call, Plan

__all__ = ["ClientBase", "TOKEN_PATH", "members", "resource_root"]

TOKEN_PATH = "/auth/token"
"""Where ``login()`` posts ``{"username", "password"}``, under the API's root."""


def members(
    schema: Mapping[str, Any], base: type[Any]
) -> tuple[dict[str, Link], dict[str, dict[str, Any]]]:
    """The link methods (by method name) and the property attributes (with their schemas)
    a resource class built on ``base`` gets from ``schema``.

    Links other than the built-in rels are named after their rel in snake_case (with a
    trailing ``_`` when ``base`` already has the name).  Properties are attributes unless
    their name is not an identifier, is taken by ``base`` or by a link: they stay
    reachable as ``item["name"]``.
    """
    taken = set(dir(base))
    methods: dict[str, Link] = {}
    for data in schema.get("links") or []:
        link = Link.from_schema(data)
        if link.rel in BUILTIN_RELS or not is_identifier(link.name):
            continue
        methods[link.name + "_" if link.name in taken else link.name] = link
    properties: dict[str, dict[str, Any]] = {}
    for prop, prop_schema in (schema.get("properties") or {}).items():
        if prop.startswith("$") or not is_identifier(prop) or prop in taken or prop in methods:
            continue
        properties[prop] = dict(prop_schema) if isinstance(prop_schema, Mapping) else {}
    return methods, properties


def resource_root(name: str, schema: Mapping[str, Any], root_path: str = "") -> str:
    """The path under which a resource's items live (``/api/book`` for ``/api/book/1``)."""
    for data in schema.get("links") or []:
        if data.get("rel") == "instances":
            return str(data["href"])
    for data in schema.get("links") or []:
        if data.get("rel") == "self":
            return str(data["href"]).rsplit("/", 1)[0]
    return f"{root_path}/{name.replace('_', '-')}"


class ClientBase:
    """The parts of :class:`~potion.client.Client` and :class:`~potion.client.AsyncClient`
    that do no I/O.  Subclasses supply ``run(plan)``, ``resource_class`` and ``list_class``."""

    resource_class: type[ResourceBase] = ResourceBase
    list_class: Any = None

    def __init__(
        self,
        api_root_url: str,
        schema_path: str = "/schema",
        *,
        retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        parts = urlsplit(api_root_url)
        if not parts.scheme or not parts.netloc:
            raise ValueError(f"not an absolute URL: {api_root_url!r}")
        self._api_root_url = api_root_url.rstrip("/")
        self._root_url = f"{parts.scheme}://{parts.netloc}"
        self._root_path = parts.path.rstrip("/")
        self._schema_url = self._api_root_url + schema_path
        self._instances: WeakValueDictionary[str, ResourceBase] = WeakValueDictionary()
        self._resources: dict[str, type[ResourceBase]] = {}  # root path → class
        self._resource_names: dict[str, type[ResourceBase]] = {}  # resource name → class
        self._schema_loaded = False
        self.retries = retries
        self.backoff = backoff

    def run(self, plan: Plan[Any]) -> Any:
        """Carry out an operation (see :mod:`potion.client.transport`)."""
        raise NotImplementedError

    # -- URLs --------------------------------------------------------------------------

    def url(self, uri: str) -> str:
        """The absolute URL of a URI of the API (``/api/book/1``)."""
        if "://" in uri:
            return uri
        if uri.startswith("/"):
            return self._root_url + uri
        return f"{self._api_root_url}/{uri}"

    def path_of(self, uri: str) -> str:
        """The URI as the API writes it (a path), also for an absolute URL on its host."""
        if "://" in uri:
            parts = urlsplit(uri)
            if f"{parts.scheme}://{parts.netloc}" == self._root_url:
                return parts.path + (f"?{parts.query}" if parts.query else "")
        return uri

    # -- the schema ----------------------------------------------------------------------

    def _schema_plan(self) -> Plan[dict[str, Any]]:
        reply = yield Call("GET", self._schema_url)
        root = reply.data
        if not isinstance(root, Mapping) or not isinstance(root.get("properties"), Mapping):
            raise APIError(f"{self._schema_url} is not a Potion API schema", body=root)
        names = sorted(root["properties"])
        calls = [Call("GET", self._ref_url(root["properties"][name])) for name in names]
        replies = yield calls
        for name, resource_reply in zip(names, replies, strict=True):
            self.resource_factory(name, resource_reply.data)
        self._schema_loaded = True
        return dict(root)

    def _ref_url(self, reference: Any) -> str:
        ref = reference.get("$ref", "") if isinstance(reference, Mapping) else ""
        if not isinstance(ref, str) or not ref:
            raise APIError(f"{self._schema_url}: a resource entry without a $ref", body=reference)
        path = ref.split("#", 1)[0]
        if not path.startswith("/") and "://" not in path:
            # relative to the schema document
            return self._schema_url.rsplit("/", 1)[0] + "/" + path
        return self.url(path)

    def resource_factory(
        self, name: str, schema: Mapping[str, Any], resource_cls: type[ResourceBase] | None = None
    ) -> type[Any]:
        """Build (and register) the class of resource ``name`` from its Hyper-Schema.

        The class is a subclass of ``resource_cls`` (default: this client's resource
        class), named in UpperCamelCase and set as an attribute of the client
        (``client.BookStore``).  Every readable schema property becomes an attribute
        (without a setter when read-only); every link other than the built-in ones a
        method named after its rel in snake_case.
        """
        base = resource_cls or self.resource_class
        if not issubclass(base, self.resource_class):
            raise TypeError(f"resource_cls must subclass {self.resource_class.__name__}")
        methods, properties = members(schema, base)
        attributes: dict[str, Any] = {
            "__doc__": schema.get("description")
            or schema.get("title")
            or f"The {name!r} resource.",
            "__module__": base.__module__,
            "_client": self,
            "_name": name,
            "_schema": dict(schema),
            "_links": {link.rel: link for link in map(Link.from_schema, schema.get("links") or [])},
        }
        cls: type[Any] = type(upper_camel_case(name), (base,), attributes)
        for method_name, link in methods.items():
            setattr(cls, method_name, link_method(link))
        for prop, prop_schema in properties.items():
            setattr(cls, prop, resource_property(prop, prop_schema))
        root = resource_root(name, schema, self._root_path)
        self._resources[root] = cls
        self._resource_names[name] = cls
        setattr(self, upper_camel_case(name), cls)
        return cls

    @property
    def resources(self) -> dict[str, type[Any]]:
        """The resource classes, by resource name."""
        return dict(self._resource_names)

    # -- one instance per URI --------------------------------------------------------------

    def _class_for_uri(self, path: str) -> type[ResourceBase] | None:
        return self._resources.get(path.rsplit("/", 1)[0])

    def instance(self, uri: str, cls: type[Any] | None = None) -> Any:
        """The one instance of the item at ``uri`` (made, not loaded, when new)."""
        path = self.path_of(uri)
        found = self._instances.get(path)
        if found is not None:
            return found
        cls = cls or self._class_for_uri(path)
        if cls is None:
            raise LookupError(f"no resource of this API has items at {uri!r}")
        instance = cls._blank(path)
        self._instances[path] = instance
        return instance

    def forget(self, instance: ResourceBase) -> None:
        """Drop a deleted instance from the identity map."""
        if instance._uri is not None and self._instances.get(instance._uri) is instance:
            del self._instances[instance._uri]

    # -- decoding answers ------------------------------------------------------------------

    def decode(
        self, data: Any, target: ResourceBase | None = None, cls: type[Any] | None = None
    ) -> Any:
        """Turn an answer's JSON into Python: ``{"$date"}`` → aware datetime,
        ``{"$ref"}`` → instance (lazy), an item body → its instance (updated).

        ``target`` is the instance the top-level item body belongs to (a created item);
        ``cls`` the class of top-level items that carry only ``$id``.
        """
        if isinstance(data, list):
            return [self.decode(value, cls=cls) for value in data]
        if not isinstance(data, dict):
            return data
        if len(data) == 1:
            if "$date" in data and isinstance(data["$date"], (int, float)):
                return date_from_ms(data["$date"])
            if "$ref" in data and isinstance(data["$ref"], str):
                path = self.path_of(data["$ref"])
                if path in self._instances or self._class_for_uri(path) is not None:
                    return self.instance(path)
                return dict(data)
        item_cls, uri = self._identify(data, target, cls)
        if item_cls is None or uri is None:
            return {key: self.decode(value) for key, value in data.items()}
        instance = target if target is not None else self._instances.get(uri)
        if instance is None:
            instance = item_cls._blank(uri)
        instance._uri = uri
        self._instances[uri] = instance
        if "$id" in data:
            instance._id = data["$id"]
        # registered first, so a property referring to the item itself decodes to it
        instance._properties = {
            key: self.decode(value) for key, value in data.items() if not key.startswith("$")
        }
        return instance

    def _identify(
        self, data: dict[str, Any], target: ResourceBase | None, cls: type[Any] | None
    ) -> tuple[Any, str | None]:
        uri = data.get("$uri")
        if isinstance(uri, str):
            path = self.path_of(uri)
            return (type(target) if target is not None else self._class_for_uri(path) or cls), path
        if "$id" in data:
            item_cls: Any = type(target) if target is not None else cls
            if isinstance(data.get("$type"), str):
                item_cls = self._resource_names.get(data["$type"], item_cls)
            if item_cls is not None and "self" in item_cls._links:
                return item_cls, item_cls._uri_for(data["$id"])
        return None, None

    # -- links --------------------------------------------------------------------------

    def _call_link(
        self,
        link: Link,
        owner: type[ResourceBase],
        instance: ResourceBase | None,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        rest = list(args)
        values: dict[str, Any] = {}
        for name in link.placeholders:
            if name == "id" and instance is not None:
                if instance.uri is None:
                    raise ValueError(f"{instance!r} is not saved: {link.name}() needs its id")
                values[name] = instance.id
                continue
            if name in kwargs:
                value = kwargs.pop(name)
            elif rest:
                value = rest.pop(0)
            else:
                raise TypeError(f"{owner.__name__}.{link.name}() needs the {name!r} argument")
            values[name] = value.id if isinstance(value, ResourceBase) else value
        if len(rest) > 1 or (rest and kwargs):
            raise TypeError(
                f"{owner.__name__}.{link.name}() takes one positional value (the body) "
                "or keyword arguments, not both"
            )
        href = link.expand(values)
        item_cls = owner if link.returns_items else None
        if link.returns_pagination:
            arguments = dict(rest[0]) if rest else dict(kwargs)
            page = arguments.pop("page", None)
            per_page = arguments.pop("per_page", None)
            pager = Pager(self, href, arguments, item_cls, link, page, per_page)
            return self.list_class(pager, owner.__name__)
        return self.run(self._link_plan(link, href, rest, kwargs, item_cls))

    def _link_plan(
        self, link: Link, href: str, rest: list[Any], kwargs: dict[str, Any], item_cls: Any
    ) -> Plan[Any]:
        if link.method == "GET":
            arguments = rest[0] if rest else kwargs
            if not isinstance(arguments, Mapping):
                raise TypeError(f"{link.name}() sends GET arguments as keywords")
            properties = link.properties
            query = {
                k: _query_value(v, properties.get(k)) for k, v in arguments.items() if v is not None
            }
            call = Call("GET", href, params=query or None)
        else:
            if rest:
                body = encode(rest[0])
            elif kwargs or link.schema is not None:
                body = encode(kwargs)
            else:
                body = NOBODY
            call = Call(link.method, href, json=body)
        reply = yield call
        return self.decode(reply.data, cls=item_cls)

    # -- auth -------------------------------------------------------------------------------

    def _login_plan(self, username: str, password: str) -> Plan[str]:
        reply = yield Call(
            "POST",
            self._api_root_url + TOKEN_PATH,
            json={"username": username, "password": password},
        )
        token = reply.data.get("token") if isinstance(reply.data, Mapping) else None
        if not isinstance(token, str):
            raise APIError(f"{self._api_root_url + TOKEN_PATH} answered no token", body=reply.data)
        self._use_token(token)
        return token

    def _use_token(self, token: str) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._api_root_url}>"


def _query_value(value: Any, schema: Any) -> str:
    """A GET argument as text: JSON, except a string for a string-typed argument, which
    goes as written (Potion reads string arguments verbatim)."""
    if isinstance(value, str) and isinstance(schema, Mapping):
        kind = schema.get("type")
        if kind == "string" or (isinstance(kind, list) and "string" in kind):
            return value
    return dumps(encode(value))
