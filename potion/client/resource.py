"""Resource instances: mutable mappings of an item's properties, with the schema's
properties as attributes.

:class:`ResourceBase` holds what the sync and async instances share: the state of an
item, the mapping protocol and the operations written once as plans.
:class:`Resource` runs those plans at once; ``potion.client.aio.AsyncResource`` awaits them.

An instance keeps the server's properties (``None`` until loaded, for a reference
decoded from ``{"$ref"}``) apart from the local changes not saved yet; reading a
property sees the local change first.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, ClassVar, Self
from urllib.parse import unquote

from .codec import Referable, dumps, encode, encode_property
from .collection import PaginatedList
from .exceptions import ItemNotFound, MultipleItemsFound
from .links import Link
from .transport import Call, Plan

__all__ = ["ResourceBase", "Resource", "resource_property"]


class ResourceBase(Referable, MutableMapping[str, Any]):
    """State and operations shared by :class:`Resource` and ``AsyncResource``."""

    _client: ClassVar[Any] = None
    _name: ClassVar[str] = ""
    _schema: ClassVar[dict[str, Any]] = {}
    _links: ClassVar[dict[str, Link]] = {}

    _uri: str | None
    _id: Any
    _properties: dict[str, Any] | None
    _changes: dict[str, Any]
    _deleted: bool

    def __new__(cls, id_or_uri: Any = None, /, **properties: Any) -> Self:
        if cls._client is None:
            raise TypeError(
                f"{cls.__name__} is not bound to a client: use client.resource_factory()"
            )
        if id_or_uri is None and "uri" in properties and "uri" not in cls._property_schemas():
            id_or_uri = properties.pop("uri")  # potion-client's keyword
        if id_or_uri is None:
            instance = cls._blank(None)
        else:
            instance = cls._client.instance(cls._uri_for(id_or_uri), cls)
        instance._changes.update(properties)
        return instance

    def __init__(self, id_or_uri: Any = None, /, **properties: Any) -> None:
        """``Book(**properties)`` is a new item (``save()`` creates it); ``Book(id)`` or
        ``Book(uri)`` is the one instance of a stored item, loaded when first read."""

    @classmethod
    def _blank(cls, uri: str | None) -> Self:
        instance = object.__new__(cls)
        instance._uri = uri
        instance._id = None
        instance._properties = None if uri is not None else {}
        instance._changes = {}
        instance._deleted = False
        return instance

    # -- identity ------------------------------------------------------------------

    @property
    def uri(self) -> str | None:
        """The item's URI (``$uri``), None until it is saved."""
        return self._uri

    @property
    def id(self) -> Any:
        """The item's id: ``$id`` when the API sends it, else the last segment of its URI
        (an int when it is all digits)."""
        if self._id is not None:
            return self._id
        if self._uri is None:
            return None
        segment = unquote(self._uri.rstrip("/").rsplit("/", 1)[-1])
        return int(segment) if segment.isdigit() else segment

    @classmethod
    def _uri_for(cls, id_or_uri: Any) -> str:
        if isinstance(id_or_uri, str) and (id_or_uri.startswith("/") or "://" in id_or_uri):
            return cls._client.path_of(id_or_uri)
        return cls._link("self").expand({"id": id_or_uri})

    @classmethod
    def _link(cls, rel: str) -> Link:
        try:
            return cls._links[rel]
        except KeyError:
            raise AttributeError(f"the {cls._name!r} resource has no {rel!r} link") from None

    @classmethod
    def _property_schemas(cls) -> dict[str, Any]:
        properties = cls._schema.get("properties")
        return dict(properties) if isinstance(properties, Mapping) else {}

    @property
    def _is_loaded(self) -> bool:
        return self._properties is not None

    def _loaded(self) -> dict[str, Any]:
        if self._properties is None:
            self._load_now()
        assert self._properties is not None
        return self._properties

    def _load_now(self) -> None:
        raise NotImplementedError

    # -- the mapping -----------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        if key in self._changes:
            return self._changes[key]
        return self._loaded()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._changes[key] = value

    def __delitem__(self, key: str) -> None:
        found = self._changes.pop(key, _MISSING) is not _MISSING
        if self._properties is not None and key in self._properties:
            del self._properties[key]
            found = True
        if not found:
            raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        loaded = self._loaded() if self._uri is not None else (self._properties or {})
        yield from loaded
        yield from (key for key in self._changes if key not in loaded)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, key: object) -> bool:
        if key in self._changes:
            return True
        return key in (self._loaded() if self._uri is not None else (self._properties or {}))

    __eq__ = object.__eq__  # one instance per URI: identity is equality
    __hash__ = object.__hash__  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self._uri is None:
            return f"{type(self).__name__}(<unsaved>)"
        return f"{type(self).__name__}({self.id!r})"

    # -- operations, written once ----------------------------------------------------

    @classmethod
    def _encode_properties(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        schemas = cls._property_schemas()
        return {key: encode_property(value, schemas.get(key)) for key, value in values.items()}

    def _load_plan(self) -> Plan[Self]:
        if self._uri is None:
            raise ValueError(f"{self!r} is not saved: there is nothing to load")
        reply = yield Call("GET", self._uri)
        self._client.decode(reply.data, target=self)
        return self

    @classmethod
    def _fetch_plan(cls, id: Any) -> Plan[Self]:
        instance = cls._client.instance(cls._uri_for(id), cls)
        reply = yield Call("GET", instance._uri)
        cls._client.decode(reply.data, target=instance)
        return instance

    def _save_plan(self) -> Plan[Self]:
        cls = type(self)
        if self._uri is None:
            link = cls._link("create")
            sent = dict(self._properties or {}, **self._changes)
            reply = yield Call(link.method, link.href, json=cls._encode_properties(sent))
        else:
            if not self._changes:
                return self
            link = cls._link("update")
            sent = dict(self._changes)
            href = link.expand({"id": self.id})
            reply = yield Call(link.method, href, json=cls._encode_properties(sent))
        for key, value in sent.items():
            if self._changes.get(key, _MISSING) is value:
                del self._changes[key]
        self._client.decode(reply.data, target=self)
        return self

    def _delete_plan(self) -> Plan[None]:
        cls = type(self)
        if self._uri is None:
            raise ValueError(f"{self!r} is not saved: there is nothing to delete")
        link = cls._link("destroy")
        yield Call(link.method, link.expand({"id": self.id}))
        self._client.forget(self)
        self._deleted = True
        return None

    @classmethod
    def _query(cls, where: Any, sort: Any, params: Mapping[str, Any]) -> dict[str, Any]:
        query = dict(params)
        if where is not None:
            query["where"] = where
        if sort is not None:
            query["sort"] = sort
        return query

    @classmethod
    def _pager(
        cls,
        where: Any,
        sort: Any,
        page: int | None,
        per_page: int | None,
        params: Mapping[str, Any],
    ) -> Any:
        from .collection import Pager

        link = cls._link("instances")
        query = cls._query(where, sort, params)
        return Pager(cls._client, link.href, query, cls, link, page, per_page)

    @classmethod
    def _first_plan(cls, where: Any, sort: Any, params: Mapping[str, Any], limit: int) -> Plan[Any]:
        link = cls._link("instances")
        query = {k: dumps(encode(v)) for k, v in cls._query(where, sort, params).items()}
        query.update(page="1", per_page=str(limit))
        reply = yield Call("GET", link.href, params=query)
        items = cls._client.decode(reply.data or [], cls=cls)
        matching = _describe_query(where, sort, params)
        if not items:
            raise ItemNotFound(f"No {cls.__name__!r} item found matching {matching}")
        total = reply.headers.get("X-Total-Count")
        if limit > 1 and (
            len(items) > 1 or (total is not None and total.isdigit() and int(total) > 1)
        ):
            raise MultipleItemsFound(f"Multiple {cls.__name__!r} items found matching {matching}")
        return items[0]


_MISSING: Any = object()


def _describe_query(where: Any, sort: Any, params: Mapping[str, Any]) -> str:
    parts = {"where": where, "sort": sort, **params}
    return ", ".join(f"{k}={v!r}" for k, v in parts.items() if v is not None) or "(no filter)"


class Resource(ResourceBase):
    """An item of a resource of the API, for the synchronous :class:`~potion.client.Client`.

    ``client.Book`` is a subclass of this class built from the ``book`` schema.
    Properties of a reference are loaded from the server the first time one is read.
    """

    def _load_now(self) -> None:
        self._client.run(self._load_plan())

    @classmethod
    def fetch(cls, id: Any) -> Self:
        """GET the item with this id (its one instance, loaded now)."""
        return cls._client.run(cls._fetch_plan(id))

    @classmethod
    def instances(
        cls,
        where: Mapping[str, Any] | None = None,
        sort: Mapping[str, bool] | None = None,
        page: int | None = None,
        per_page: int | None = None,
        **params: Any,
    ) -> PaginatedList[Self]:
        """The items matching ``where``, ordered by ``sort`` (``{"name": DESC}``), as a
        lazy :class:`~potion.client.collection.PaginatedList` over all of them (or over
        page ``page`` only, when it is given)."""
        return PaginatedList(cls._pager(where, sort, page, per_page, params), cls.__name__)

    @classmethod
    def first(
        cls,
        where: Mapping[str, Any] | None = None,
        sort: Mapping[str, bool] | None = None,
        **params: Any,
    ) -> Self:
        """The first item matching ``where`` in ``sort`` order; ``ItemNotFound`` if none."""
        return cls._client.run(cls._first_plan(where, sort, params, 1))

    @classmethod
    def one(
        cls,
        where: Mapping[str, Any] | None = None,
        sort: Mapping[str, bool] | None = None,
        **params: Any,
    ) -> Self:
        """The only item matching ``where``; ``ItemNotFound`` if none, ``MultipleItemsFound``
        if more than one."""
        return cls._client.run(cls._first_plan(where, sort, params, 2))

    @classmethod
    def create(cls, **properties: Any) -> Self:
        """Create an item with these properties (``Book(**properties).save()``)."""
        return cls(**properties).save()

    @classmethod
    def described_by(cls) -> dict[str, Any]:
        """The resource's JSON Hyper-Schema, as the server publishes it now."""
        link = cls._link("describedBy")
        return cls._client.run(_raw_plan(Call(link.method, link.href)))

    def load(self) -> Self:
        """GET the item again: its properties become the server's (unsaved changes stay)."""
        return self._client.run(self._load_plan())

    def save(self) -> Self:
        """Create the item (POST) when it has no URI, else PATCH the changed properties."""
        return self._client.run(self._save_plan())

    def update(self, *args: Any, **changes: Any) -> Self:  # type: ignore[override]
        """Set these properties (as ``dict.update`` does) and save."""
        MutableMapping.update(self, *args, **changes)
        return self.save()

    def delete(self) -> None:
        """DELETE the item."""
        self._client.run(self._delete_plan())

    def destroy(self) -> None:
        """DELETE the item (the ``destroy`` link; the same as :meth:`delete`)."""
        self.delete()


def _raw_plan(call: Call) -> Plan[Any]:
    reply = yield call
    return reply.data


def resource_property(name: str, schema: Mapping[str, Any]) -> property:
    """The attribute of one schema property: reads ``item[name]``; read-only properties
    (``"readOnly": true``) have no setter."""

    def fget(self: ResourceBase) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__}.{name} is not set") from None

    def fset(self: ResourceBase, value: Any) -> None:
        self[name] = value

    def fdel(self: ResourceBase) -> None:
        del self[name]

    doc = schema.get("description") or schema.get("title") or f"The {name!r} property."
    if schema.get("readOnly"):
        return property(fget, doc=doc)
    return property(fget, fset, fdel, doc=doc)
