"""The MongoEngine backend: ModelResources over MongoEngine ``Document`` classes.

Plain MongoEngine (``mongoengine.connect()`` and ``Document``) is all it needs.
Fields are inferred from the document's fields, ``where`` and ``sort`` become a
MongoDB query and sort specification, and a page costs at most one ``find`` and
one count.

Ids are the documents' primary keys; an ``ObjectId`` travels as its 24-digit hex
string.  A malformed id is never an error of the store: in a URL it is a 404, in a
``where`` condition it matches nothing.

Transactions
    MongoDB has no multi-document transactions on a standalone server (nor does
    mongomock), so this backend makes rollback honest by *undoing*: while a Potion
    write is open, every document saved through MongoEngine (by the manager or by
    a signal receiver, ``Document.save()`` or ``QuerySet.insert()``) and every
    document the manager deletes or changes a relation of is remembered, and if
    the write fails (a receiver of ``after_create`` raises, say) the remembered
    documents are put back as they were: created ones are deleted, changed ones
    restored, deleted ones re-inserted.  The undo is not isolated (another client
    may read the write before it is undone), and writes made around MongoEngine's
    document API (``QuerySet.update()``, ``QuerySet.delete()``, pymongo, the
    NULLIFY/PULL delete rules) are not undone.
"""

from __future__ import annotations

import contextvars
import datetime
import enum
import logging
import re
import weakref
from typing import Any, Callable

import mongoengine
import pymongo.errors
from bson import DBRef, ObjectId
from mongoengine import fields as me_fields
from mongoengine import signals as me_signals
from mongoengine.base import BaseDocument, BaseField
from mongoengine.errors import LookUpError

from ... import fields, filters, signals
from ...exceptions import (
    BackendConflict,
    DuplicateKey,
    IntegrityViolation,
    ItemNotFound,
    PageNotFound,
)
from ...fields import _ResourceReference
from ...filters import NO_MATCH
from ...natural_keys import IDKey, PropertiesKey, PropertyKey, RefKey
from ...pagination import Pagination
from .. import Manager

__all__ = ["MongoEngineManager", "ObjectIdString"]

log = logging.getLogger(__package__)

OBJECT_ID_PATTERN = "^[0-9a-fA-F]{24}$"
_REFERENCE_FIELDS = (me_fields.ReferenceField, me_fields.LazyReferenceField)
_OBJECT_ID = re.compile(r"[0-9a-fA-F]{24}\Z")


# -- fields --------------------------------------------------------------------


class ObjectIdString(fields.String):
    """An ``ObjectId`` as its 24-digit hex string."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(pattern=OBJECT_ID_PATTERN, **kwargs)

    def format(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, DBRef):
            value = value.id
        elif isinstance(value, BaseDocument):
            value = value.pk
        return str(value)

    def convert(self, instance: Any, validate: bool = True) -> Any:
        instance = super().convert(instance, validate)
        if isinstance(instance, str) and _OBJECT_ID.match(instance):
            return ObjectId(instance)
        return instance


class _ModelReference(_ResourceReference):
    """The resource whose ``Meta.model`` is a given Document class."""

    def resolve(self, binding: Any) -> Any:
        document = self.value
        if binding is not None and binding.meta.get("model") is document:
            return binding
        api = getattr(binding, "api", None)
        candidates = list(api.resources.values()) if api is not None else []
        # not registered yet: the latest resource created for the document
        for ref in reversed(_managed_resources):
            resource = ref()
            if resource is not None and resource.api in (None, api):
                candidates.append(resource)
        for resource in candidates:
            if resource.meta.get("model") is document:
                return resource
        raise RuntimeError(
            f"No resource has Meta.model = {document.__name__}; add one to the Api "
            f"(needed by a reference from {getattr(binding, '__name__', binding)})"
        )


#: Resources managed by this backend, to resolve references before ``add_resource``.
_managed_resources: list[weakref.ref[Any]] = []


class _ModelToOne(fields.ToOne):
    """A ToOne to the resource of a Document class (a ``ReferenceField``)."""

    def __init__(self, document: type, **kwargs: Any) -> None:
        super().__init__(None, **kwargs)
        self._reference = _ModelReference(document)


class _ModelToMany(fields.ToMany):
    """A ToMany to the resource of a Document class (``ListField(ReferenceField)``)."""

    def __init__(self, document: type, **kwargs: Any) -> None:
        nullable = kwargs.pop("nullable", False)
        fields.Array.__init__(self, _ModelToOne(document, nullable=nullable), **kwargs)


class _EmbeddedObject(fields.Object):
    """An ``EmbeddedDocumentField``: an object converted into the embedded document."""

    def __init__(self, document: type, properties: dict[str, fields.Raw], **kwargs: Any):
        self.document = document
        super().__init__(properties, **kwargs)

    def convert(self, instance: Any, validate: bool = True) -> Any:
        value = super().convert(instance, validate)
        return None if value is None else self.document(**value)


class _EnumValue(fields.Raw):
    """An ``EnumField``: the enum's values on the wire, members in Python."""

    def __init__(self, enum_class: type[enum.Enum], **kwargs: Any) -> None:
        self.enum_class = enum_class
        values = [member.value for member in enum_class]
        kinds = {type(v) for v in values}
        schema: dict[str, Any] = {"enum": values}
        if kinds == {str}:
            schema["type"] = "string"
            self.json_type = "string"
        elif kinds == {int}:
            schema["type"] = "integer"
            self.json_type = "integer"
        super().__init__(schema, **kwargs)

    def format(self, value: Any) -> Any:
        return value.value if isinstance(value, enum.Enum) else value

    def convert(self, instance: Any, validate: bool = True) -> Any:
        instance = super().convert(instance, validate)
        return None if instance is None else self.enum_class(instance)


def _common_options(field: BaseField, top: bool) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if top:
        options["nullable"] = not field.required or bool(getattr(field, "null", False))
        default = field.default
        if default is not None:
            options["default"] = default
    title = getattr(field, "verbose_name", None)
    if title:
        options["title"] = title
    description = getattr(field, "help_text", None)
    if description:
        options["description"] = description
    return options


def _choices(field: BaseField) -> list[Any] | None:
    choices = field.choices
    if not choices:
        return None
    return [c[0] if isinstance(c, (list, tuple)) else c for c in choices]


def _pattern(regex: Any) -> str | None:
    if regex is None:
        return None
    text = regex.pattern if hasattr(regex, "pattern") else str(regex)
    # MongoEngine matches at the start (re.match), JSON Schema searches
    return text if text.startswith("^") else f"^(?:{text})"


def infer_field(field: BaseField, top: bool = True) -> fields.Raw | None:
    """The Potion field of a MongoEngine field, or None when there is none."""
    options = _common_options(field, top)
    if isinstance(field, _REFERENCE_FIELDS):
        return _ModelToOne(field.document_type, **options)
    if isinstance(field, me_fields.ListField):
        inner = field.field
        # a list is never null: MongoEngine keeps an empty one
        list_options = {k: v for k, v in options.items() if k not in ("default", "nullable")}
        max_length = getattr(field, "max_length", None)
        if max_length is not None:
            list_options["max_items"] = max_length
        if isinstance(inner, _REFERENCE_FIELDS):
            return _ModelToMany(inner.document_type, **list_options)
        container = infer_field(inner, top=False) if inner is not None else fields.Any()
        if container is None:
            return None
        return fields.Array(container, **list_options)
    if isinstance(field, me_fields.EmbeddedDocumentField):
        document = field.document_type
        properties = {}
        for name, sub in document._fields.items():
            if name.startswith("_"):
                continue
            inferred = infer_field(sub, top=True)
            if inferred is not None:
                properties[name] = inferred
        return _EmbeddedObject(document, properties, **options)
    if isinstance(field, me_fields.DictField):
        inner = getattr(field, "field", None)
        value_field = infer_field(inner, top=False) if inner is not None else None
        # like a list, a dict is never null: MongoEngine keeps an empty one
        options.pop("nullable", None)
        options["default"] = dict
        return fields.Object(value_field, **options) if value_field else fields.Object(**options)
    if isinstance(field, me_fields.EmailField):
        return fields.Email(**options)
    if isinstance(field, me_fields.URLField):
        return fields.Uri(**options)
    if isinstance(field, me_fields.StringField) and not isinstance(
        field, me_fields.ComplexDateTimeField
    ):
        return fields.String(
            min_length=field.min_length,
            max_length=field.max_length,
            pattern=_pattern(field.regex),
            enum=_choices(field),
            **options,
        )
    if isinstance(field, me_fields.EnumField):
        return _EnumValue(field._enum_cls, **options)
    if isinstance(field, me_fields.SequenceField):
        options.pop("default", None)
        return fields.Integer(io="r", **options)
    if isinstance(field, me_fields.IntField):
        return fields.Integer(minimum=field.min_value, maximum=field.max_value, **options)
    if isinstance(field, (me_fields.FloatField, me_fields.DecimalField)):
        return fields.Number(minimum=field.min_value, maximum=field.max_value, **options)
    if isinstance(field, me_fields.BooleanField):
        return fields.Boolean(**options)
    if isinstance(field, me_fields.DateField):
        return fields.Date(**options)
    if isinstance(field, (me_fields.DateTimeField, me_fields.ComplexDateTimeField)):
        return fields.DateTime(naive=True, **options)
    if isinstance(field, me_fields.UUIDField):
        return fields.UUID(**options)
    if isinstance(field, me_fields.ObjectIdField):
        return ObjectIdString(**options)
    return None


# -- key converters ------------------------------------------------------------


class IDOrPropertyKey(PropertyKey):
    """A string that is an id or else a natural key.

    Used when a resource with string ids declares a string ``natural_key``: both
    would claim JSON strings, so one converter accepts either, trying the id first.
    """

    def schema(self) -> tuple[dict[str, Any], dict[str, Any]]:
        field = self._field()
        id_field = self.resource.manager.id_field
        return field.response, {"anyOf": [id_field.request, field.request]}

    def convert(self, value: Any) -> Any:
        manager = self.resource.manager
        if manager.is_valid_id(value):
            try:
                return manager.read(value)
            except ItemNotFound:
                pass
        return super().convert(value)


# -- output --------------------------------------------------------------------


class _Stored:
    """A document as the formatter sees it, its references read as stored ids.

    Formatting a ``{"$ref"}`` needs only the referenced id, which the document
    holds; reading the attribute itself would load the referenced document.
    """

    __slots__ = ("_document", "_raw")

    def __init__(self, document: Any, raw: frozenset[str]) -> None:
        self._document = document
        self._raw = raw

    def __getattr__(self, name: str) -> Any:
        if name in self._raw:
            return self._document._data.get(name)
        return getattr(self._document, name)


def _is_document_class(model: Any) -> bool:
    return isinstance(model, type) and issubclass(model, mongoengine.Document)


def _reference_pk(value: Any) -> Any:
    if isinstance(value, DBRef):
        return value.id
    if isinstance(value, BaseDocument):
        return value.pk
    if isinstance(value, _Stored):
        return value._document.pk
    return value


# -- undo log ------------------------------------------------------------------

_undo_log: contextvars.ContextVar[list[Callable[[], None]] | None] = contextvars.ContextVar(
    "potion_mongoengine_undo", default=None
)
_TRANSACTION_KEY = hash("potion.backends.mongoengine")


def _remember(action: Callable[[], None]) -> None:
    undo = _undo_log.get()
    if undo is not None:
        undo.append(action)


def _snapshot(document: Any) -> None:
    """Remember how ``document`` is stored now, to put it back on rollback."""
    if _undo_log.get() is None:
        return
    collection = type(document)._get_collection()
    pk = document.pk
    if pk is None:
        # a new document: delete it again once it has its id
        def forget() -> None:
            if document.pk is not None:
                collection.delete_one({"_id": _id_to_mongo(document)})

        _remember(forget)
        return
    key = _id_to_mongo(document)
    stored = collection.find_one({"_id": key})

    def restore() -> None:
        if stored is None:
            collection.delete_one({"_id": key})
        else:
            collection.replace_one({"_id": key}, stored, upsert=True)

    _remember(restore)


def _id_to_mongo(document: Any) -> Any:
    id_field = document._meta["id_field"]
    return document._fields[id_field].to_mongo(document.pk)


def _on_save(sender: Any, document: Any, created: bool = False, **kwargs: Any) -> None:
    _snapshot(document)


def _on_bulk_insert(sender: Any, documents: Any, loaded: bool = False, **kwargs: Any) -> None:
    if _undo_log.get() is None:
        return
    collection = sender._get_collection()
    ids = [_id_to_mongo(doc) for doc in documents if doc is not None]
    _remember(lambda: collection.delete_many({"_id": {"$in": ids}}))


_receivers_connected = False


def _connect_receivers() -> None:
    global _receivers_connected
    if _receivers_connected or not me_signals.signals_available:
        return
    me_signals.pre_save_post_validation.connect(_on_save, weak=False)
    me_signals.post_bulk_insert.connect(_on_bulk_insert, weak=False)
    _receivers_connected = True


# -- the manager ---------------------------------------------------------------


class MongoEngineManager(Manager):
    """Serves a ModelResource whose ``Meta.model`` is a MongoEngine ``Document``."""

    unsupported: dict[str, str] = {
        "transaction_isolation": (
            "MongoDB (standalone, and mongomock) has no multi-document transactions: "
            "a failed write is undone by compensating writes, so other clients may "
            "see it before it is undone"
        ),
        "sort_by_reference_target": (
            "sorting on a reference orders by the referenced id; MongoDB has no join "
            "to order by the target's sort attribute"
        ),
    }

    # -- set-up ------------------------------------------------------------------

    def _init_model(self, resource: Any, model: Any, meta: Any) -> None:
        if not _is_document_class(model):
            raise TypeError(f"{resource.__name__}.Meta.model must be a mongoengine Document")
        _connect_receivers()
        self.model = model
        if not resource._names_itself:
            meta.name = model._get_collection_name()
            resource.route_prefix = "/" + meta.name
        pk_name = model._meta["id_field"]
        self.id_attribute = meta.get("id_attribute") or pk_name
        self._id_is_pk = self.id_attribute in (pk_name, "pk")
        id_model_field = model._fields[pk_name if self._id_is_pk else self.id_attribute]
        self._id_model_field = id_model_field
        id_field_class = meta.get("id_field_class")
        if id_field_class not in (None, fields.Integer):
            self.id_field = id_field_class(io="r", attribute=self.id_attribute)
        elif isinstance(id_model_field, me_fields.ObjectIdField):
            self.id_field = ObjectIdString(io="r", attribute=self.id_attribute)
        else:
            inferred = infer_field(id_model_field, top=False) or fields.String()
            inferred.io = "r"
            inferred.attribute = self.id_attribute
            self.id_field = inferred
        self._import_fields(resource, meta)
        self._add_identity_fields(resource, meta)
        _managed_resources[:] = [ref for ref in _managed_resources if ref() is not None]
        _managed_resources.append(weakref.ref(resource))

    def _import_fields(self, resource: Any, meta: Any) -> None:
        include = meta.get("include_fields")
        exclude = set(meta.get("exclude_fields") or ())
        read_only = set(meta.get("read_only_fields") or ())
        write_only = set(meta.get("write_only_fields") or ())
        schema = resource.schema
        declared = {f.attribute or key for key, f in schema.fields.items()} | set(schema.fields)
        pk_name = self.model._meta["id_field"]
        for name, model_field in self.model._fields.items():
            if name == pk_name or name.startswith("_") or name in declared:
                continue
            if (include is not None and name not in include) or name in exclude:
                continue
            field = infer_field(model_field)
            if field is None:
                continue
            if name in read_only:
                field.io = "r"
            elif name in write_only:
                field.io = fields.normalize_io("w")
            schema.set(name, field)

    def _init_filters(self, resource: Any, meta: Any) -> None:
        super()._init_filters(resource, meta)
        for key in list(self.filters):
            field = resource.schema.fields[key]
            if self._model_path(field.attribute or key) is None:
                del self.filters[key]
                continue
            for name, filter_ in self.filters[key].items():
                if name not in _OPERATORS and not hasattr(filter_, "mongo_query"):
                    raise RuntimeError(
                        f"{resource.__name__}: filter {name!r} on {key!r} has no MongoDB "
                        "translation (give the filter class a mongo_query(path, value) method)"
                    )
        self.sortable = {key: f for key, f in self.sortable.items() if key in self.filters}

    def _init_key_converters(self, resource: Any, meta: Any) -> None:
        natural_key = meta.get("natural_key")
        if meta.get("key_converters") or not natural_key:
            super()._init_key_converters(resource, meta)
            return
        names = (natural_key,) if isinstance(natural_key, str) else tuple(natural_key)
        converters: list[Any] = [RefKey()]
        if len(names) > 1:
            converters += [IDKey(), PropertiesKey(*names)]
        else:
            field = resource.schema.fields[names[0]]
            id_type = self.id_field.json_type or "string"
            if (field.json_type or "string") == id_type:
                converters.append(IDOrPropertyKey(names[0]))
            else:
                converters += [IDKey(), PropertyKey(names[0])]
        bound = [converter.bind(resource) for converter in converters]
        meta.key_converters = tuple(bound)
        self._bound_key_converters = bound
        meta.key_converters_by_type = self.key_converters_by_type()

    # -- ids ---------------------------------------------------------------------

    def get_id(self, item: Any) -> Any:
        if isinstance(item, (DBRef, ObjectId)):
            value = _reference_pk(item)
        elif isinstance(item, _Stored):
            value = getattr(item._document, self.id_attribute)
        else:
            value = fields.get_value(self.id_attribute, item, None)
        return str(value) if isinstance(value, ObjectId) else value

    def real_changes(self, item: Any, changes: dict[str, Any]) -> dict[str, Any]:
        """:meth:`changed`, with references compared by id, without loading them."""
        plain = {}
        actual = {}
        for key, value in changes.items():
            field = self.model._fields.get(key)
            inner = (
                getattr(field, "field", None) if isinstance(field, me_fields.ListField) else None
            )
            if isinstance(field, _REFERENCE_FIELDS):
                old, new = _reference_pk(item._data.get(key)), _reference_pk(value)
            elif isinstance(inner, _REFERENCE_FIELDS):
                old = [_reference_pk(v) for v in item._data.get(key) or ()]
                new = [_reference_pk(v) for v in value or ()]
            else:
                plain[key] = value
                continue
            if old != new:
                actual[key] = value
        actual.update(self.changed(item, plain))
        return {key: actual[key] for key in changes if key in actual}

    def is_valid_id(self, value: Any) -> bool:
        """Whether ``value`` has the form of an id of this resource."""
        return self._id_to_mongo(value) is not NO_MATCH

    def _id_to_mongo(self, value: Any) -> Any:
        return _key_to_mongo(self._id_model_field, value)

    # -- paths and values ----------------------------------------------------------

    def _model_path(self, attribute: str) -> tuple[str, Any] | None:
        """``(db path, MongoEngine field)`` of an attribute, or None if not stored."""
        if attribute == self.id_attribute:
            return self._id_model_field.db_field, self._id_model_field
        try:
            path = self.model._lookup_field(attribute.split("."))
        except LookUpError:
            return None
        if not path or not all(isinstance(f, BaseField) for f in path):
            return None
        return ".".join(f.db_field for f in path), path[-1]

    def _value_to_mongo(self, field: Any, value: Any) -> Any:
        if value is None or value is NO_MATCH:
            return value
        if isinstance(field, _REFERENCE_FIELDS):
            target = field.document_type
            pk = _key_to_mongo(target._fields[target._meta["id_field"]], _reference_pk(value))
            return pk if pk is NO_MATCH else field.to_mongo(pk)
        if isinstance(field, me_fields.ObjectIdField):
            return _key_to_mongo(field, value)
        try:
            result = field.to_mongo(value)
        except (mongoengine.ValidationError, ValueError, TypeError):
            return NO_MATCH
        if isinstance(result, datetime.datetime) and result.tzinfo is not None:
            result = result.astimezone(datetime.UTC).replace(tzinfo=None)
        return result

    # -- queries -----------------------------------------------------------------

    def _queryset(self) -> Any:
        """The documents this resource serves; override to narrow (None: nothing)."""
        return self.model.objects

    def query(self, where: Any) -> dict[str, Any]:
        """The MongoDB query document for a tuple of conditions."""
        parts = [self._condition_query(condition) for condition in where or ()]
        parts = [part for part in parts if part]
        if not parts:
            return {}
        if len(parts) == 1:
            return parts[0]
        keys = [key for part in parts for key in part]
        if len(keys) == len(set(keys)) and not any(k.startswith("$") for k in keys):
            merged: dict[str, Any] = {}
            for part in parts:
                merged.update(part)
            return merged
        return {"$and": parts}

    def _condition_query(self, condition: Any) -> dict[str, Any]:
        filter_ = condition.filter
        found = self._model_path(condition.attribute)
        if found is None:
            raise RuntimeError(f"Cannot filter on {condition.key!r}: it is not stored")
        path, field = found
        value = _target_pks(filter_, condition.value)
        custom = getattr(filter_, "mongo_query", None)
        if custom is not None:
            return custom(path, value)
        name = filter_.name
        if isinstance(filter_, filters._StringFilter):
            return {path: _regex(name, value)}
        if name == "contains":
            inner = getattr(field, "field", None) or field
            element = self._value_to_mongo(inner, value)
            return {path: {"$in": []}} if element is NO_MATCH else {path: element}
        if name == "in":
            values = [self._value_to_mongo(field, v) for v in value]
            return {path: {"$in": [v for v in values if v is not NO_MATCH]}}
        if name == "between":
            low, high = (self._value_to_mongo(field, v) for v in value)
            return {path: {"$gte": low, "$lte": high}}
        converted = self._value_to_mongo(field, value)
        if name == "eq":
            return {path: {"$in": []}} if converted is NO_MATCH else {path: converted}
        if name == "ne":
            return {} if converted is NO_MATCH else {path: {"$ne": converted}}
        if converted is NO_MATCH:
            return {path: {"$in": []}}
        return {path: {_COMPARISONS[name]: converted}}

    def _order(self, sort: Any) -> list[str]:
        sort = tuple(sort or ())
        pk_name = self.model._meta["id_field"]
        order: list[str] = []
        if not sort and self.resource.meta.get("sort_attribute"):
            attribute = self.resource.meta.sort_attribute
            reverse = False
            if isinstance(attribute, (tuple, list)):
                attribute, reverse = attribute
            order.append(("-" if reverse else "+") + attribute)
        for item in sort:
            attribute, reverse = item[1], item[2]
            if attribute == self.id_attribute and self._id_is_pk:
                attribute = pk_name
            order.append(("-" if reverse else "+") + attribute)
        if not any(o[1:] == pk_name for o in order):
            order.append("+" + pk_name)
        return order

    def _filtered(self, where: Any, sort: Any) -> Any:
        queryset = self._queryset()
        if queryset is None:
            return None
        query = self.query(where)
        if query:
            queryset = queryset.filter(__raw__=query)
        return queryset.order_by(*self._order(sort))

    # -- reads -------------------------------------------------------------------

    def instances(self, where: Any = None, sort: Any = None) -> Any:
        queryset = self._filtered(where, sort)
        return [] if queryset is None else queryset

    def paginated_instances(
        self, page: int, per_page: int, where: Any = None, sort: Any = None
    ) -> Pagination:
        queryset = self._filtered(where, sort)
        if queryset is None:
            if page > 1:
                raise PageNotFound()
            return Pagination([], page, per_page, 0)
        skip = (page - 1) * per_page
        items = list(queryset.skip(skip).limit(per_page))
        if not items and page > 1:
            raise PageNotFound()
        if len(items) < per_page:
            total = skip + len(items)  # a short page is the last one: no count needed
        else:
            total = queryset.count()
        return Pagination(items, page, per_page, total)

    def first(self, where: Any = None, sort: Any = None) -> Any:
        queryset = self._filtered(where, sort)
        item = queryset.first() if queryset is not None else None
        if item is None:
            raise ItemNotFound(self.resource, where=where)
        return item

    def read(self, id: Any) -> Any:
        key = self._id_to_mongo(id)
        queryset = self._queryset()
        if key is NO_MATCH or queryset is None:
            raise ItemNotFound(self.resource, id=id)
        item = queryset.filter(__raw__={self._id_model_field.db_field: key}).first()
        if item is None:
            raise ItemNotFound(self.resource, id=id)
        return item

    def item_for_output(self, id: Any) -> Any:
        return _Stored(self.read(id), self._raw_references())

    def page_for_output(
        self, page: int, per_page: int, where: Any = None, sort: Any = None
    ) -> Pagination:
        result = self.paginated_instances(page, per_page, where, sort)
        raw = self._raw_references()
        if raw:
            result.items = [_Stored(item, raw) for item in result.items]
        return result

    def _raw_references(self) -> frozenset[str]:
        """Attributes formatted from their stored ids (only ``{"$ref"}``/id output)."""
        raw = self.__dict__.get("_raw")
        if raw is not None:
            return raw
        by_attribute: dict[str, list[Any]] = {}
        for key, field in self.resource.schema.readable_fields.items():
            by_attribute.setdefault(field.attribute or key, []).append(field)
        names = set()
        for attribute, used_by in by_attribute.items():
            model_field = self.model._fields.get(attribute)
            if isinstance(model_field, me_fields.ListField):
                model_field = model_field.field
            if not isinstance(model_field, _REFERENCE_FIELDS):
                continue
            if all(_formats_from_id(field) for field in used_by):
                names.add(attribute)
        self._raw = frozenset(names)
        return self._raw

    # -- relations ---------------------------------------------------------------

    def _list_relation(self, attribute: str) -> Any:
        field = self.model._fields.get(attribute)
        if isinstance(field, me_fields.ListField) and isinstance(field.field, _REFERENCE_FIELDS):
            return field
        return None

    def _reverse_relation(self, attribute: str, target_resource: Any) -> str:
        """The ReferenceField of the target's documents that points back at ours."""
        target = target_resource.meta.model
        names = [
            name
            for name, field in target._fields.items()
            if isinstance(field, _REFERENCE_FIELDS) and field.document_type is self.model
        ]
        if len(names) != 1:
            raise RuntimeError(
                f"{self.model.__name__}.{attribute} is not a ListField(ReferenceField), and "
                f"{target.__name__} has {len(names)} ReferenceFields to {self.model.__name__}"
            )
        return names[0]

    def relation_instances(
        self,
        item: Any,
        attribute: str,
        target_resource: Any,
        page: int | None = None,
        per_page: int | None = None,
    ) -> Any:
        target_manager = target_resource.manager
        if self._list_relation(attribute) is None:
            back = self._reverse_relation(attribute, target_resource)
            where = (_reference_condition(back, item.pk),)
            if page is None:
                return list(target_manager.instances(where))
            return target_manager.paginated_instances(page, per_page or 20, where)
        ids = [_reference_pk(v) for v in item._data.get(attribute) or ()]
        queryset = target_manager._queryset()
        if queryset is None:
            ids = []
        elif ids:
            # references to deleted documents are left out
            existing = set(queryset.filter(pk__in=ids).scalar("pk"))
            ids = [i for i in ids if i in existing]
        if page is None:
            chosen = ids
        else:
            per_page = per_page or 20
            chosen = ids[(page - 1) * per_page : page * per_page]
            if not chosen and page > 1:
                raise PageNotFound()
        documents = {doc.pk: doc for doc in queryset.filter(pk__in=chosen)} if chosen else {}
        items = [documents[i] for i in chosen if i in documents]
        if page is None:
            return items
        return Pagination(items, page, per_page or 20, len(ids))

    def relation_add(
        self, item: Any, attribute: str, target_resource: Any, target_item: Any
    ) -> None:
        """Add ``target_item`` to the relation; a child already in it changes nothing."""
        with self.transaction():
            self._send(
                signals.before_add_to_relation, item=item, attribute=attribute, child=target_item
            )
            list_field = self._list_relation(attribute)
            if list_field is None:
                back = self._reverse_relation(attribute, target_resource)
                if _reference_pk(target_item._data.get(back)) == item.pk:
                    return
                setattr(target_item, back, item)
                self._save(target_item, target_resource)
            else:
                current = list(item._data.get(attribute) or ())
                if any(_reference_pk(v) == target_item.pk for v in current):
                    return
                _snapshot(item)
                value = list_field.field.to_mongo(target_item)
                self._write(item, {"$push": {list_field.db_field: value}})
                item._data[attribute] = current + [target_item]
            self._send(
                signals.after_add_to_relation, item=item, attribute=attribute, child=target_item
            )

    def relation_remove(
        self, item: Any, attribute: str, target_resource: Any, target_item: Any
    ) -> None:
        with self.transaction():
            self._send(
                signals.before_remove_from_relation,
                item=item,
                attribute=attribute,
                child=target_item,
            )
            list_field = self._list_relation(attribute)
            removed = False
            if list_field is None:
                back = self._reverse_relation(attribute, target_resource)
                if _reference_pk(target_item._data.get(back)) == item.pk:
                    setattr(target_item, back, None)
                    self._save(target_item, target_resource)
                    removed = True
            else:
                current = list(item._data.get(attribute) or ())
                kept = [v for v in current if _reference_pk(v) != target_item.pk]
                if len(kept) != len(current):
                    _snapshot(item)
                    value = list_field.field.to_mongo(target_item)
                    self._write(item, {"$pull": {list_field.db_field: value}})
                    item._data[attribute] = kept
                    removed = True
            if removed:
                self._send(
                    signals.after_remove_from_relation,
                    item=item,
                    attribute=attribute,
                    child=target_item,
                )

    # -- writes ------------------------------------------------------------------

    def create(self, properties: dict[str, Any], commit: bool = True) -> Any:
        with self.transaction(commit):
            item = self.model()
            for key, value in properties.items():
                setattr(item, key, value)
            self._send(signals.before_create, item=item)
            self._save(item)
            self._send(signals.after_create, item=item)
        return item

    def update(self, item: Any, changes: dict[str, Any], commit: bool = True) -> Any:
        with self.transaction(commit):
            actual = self.real_changes(item, changes)
            self._send(signals.before_update, item=item, changes=actual)
            for key, value in changes.items():
                setattr(item, key, value)
            self._save(item)
            self._send(signals.after_update, item=item, changes=actual)
        return item

    def delete(self, item: Any) -> None:
        with self.transaction():
            self._send(signals.before_delete, item=item)
            _snapshot(item)
            try:
                item.delete()
            except mongoengine.OperationError as exc:
                raise BackendConflict(str(exc)) from exc
            self._send(signals.after_delete, item=item)

    def _save(self, item: Any, resource: Any = None) -> None:
        manager = resource.manager if resource is not None else self
        try:
            item.save()
        except (mongoengine.NotUniqueError, pymongo.errors.DuplicateKeyError) as exc:
            raise manager._duplicate_key(item, exc) from exc
        except mongoengine.ValidationError as exc:
            errors = manager._validation_errors(exc)
            names = ", ".join(".".join(str(p) for p in e["path"]) for e in errors if e["path"])
            raise IntegrityViolation(errors, message=f"Invalid value: {names}") from exc
        except mongoengine.OperationError as exc:
            raise BackendConflict(str(exc)) from exc

    def _write(self, item: Any, update: dict[str, Any]) -> None:
        collection = type(item)._get_collection()
        try:
            collection.update_one({"_id": _id_to_mongo(item)}, update)
        except pymongo.errors.DuplicateKeyError as exc:
            raise self._duplicate_key(item, exc) from exc

    # -- errors ------------------------------------------------------------------

    def _schema_key(self, attribute: str) -> str:
        for key, field in self.resource.schema.fields.items():
            if (field.attribute or key) == attribute:
                return key
        return attribute

    def _duplicate_key(self, item: Any, exc: BaseException) -> DuplicateKey:
        """A 409 naming the fields of the unique index ``item`` collides on."""
        reverse = self.model._reverse_db_field_map
        keys = [
            self._schema_key(reverse.get(key, key))
            for key in _duplicate_keys(self.model, item, exc)
        ]
        errors = [{"path": [key], "validationOf": {"unique": True}} for key in keys]
        names = ", ".join(keys) or "a unique value"
        return DuplicateKey(
            f"An item with this {names} already exists",
            errors=errors,
            debug_info={"exception_message": str(exc)},
        )

    def _validation_errors(self, exc: Any) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = []

        def walk(path: list[str], messages: Any, document: Any) -> None:
            for name, message in messages.items():
                field = document._fields.get(name) if document is not None else None
                if isinstance(message, dict):
                    sub = getattr(field, "document_type", None)
                    walk(path + [name], message, sub)
                    continue
                errors.append(
                    {
                        "path": path + [name],
                        "message": str(message),
                        "validationOf": _validation_of(field, str(message)),
                    }
                )

        if not exc.errors:
            return [{"path": [], "message": str(exc.message), "validationOf": {"valid": False}}]
        walk([], exc.to_dict(), self.model)
        for error in errors:
            if error["path"]:
                error["path"][0] = self._schema_key(error["path"][0])
        return errors

    def translate_error(self, exc: BaseException) -> Any:
        if isinstance(exc, (mongoengine.NotUniqueError, pymongo.errors.DuplicateKeyError)):
            return DuplicateKey()
        if isinstance(exc, mongoengine.ValidationError):
            return IntegrityViolation(self._validation_errors(exc))
        if isinstance(exc, mongoengine.OperationError):
            return BackendConflict(str(exc))
        return None

    # -- transactions ------------------------------------------------------------

    def _transaction_key(self) -> int:
        return _TRANSACTION_KEY

    def _begin(self) -> None:
        _undo_log.set([])

    def _commit(self) -> None:
        _undo_log.set(None)

    # Without multi-document transactions a write cannot be held back: flushing
    # makes it final, as committing does.
    _flush = _commit

    def _rollback(self) -> None:
        undo = _undo_log.get() or []
        _undo_log.set(None)
        for action in reversed(undo):
            try:
                action()
            except Exception:  # keep undoing the rest
                log.exception("Potion could not undo a MongoDB write")


_COMPARISONS = {"lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}
#: The operators this backend translates (a filter may bring its own ``mongo_query``).
_OPERATORS = frozenset(
    ("eq", "ne", "in", "contains", "between", "icontains", "startswith", "istartswith")
    + ("endswith", "iendswith", *_COMPARISONS)
)

# the end of the string, in PCRE (MongoDB) and Python (mongomock) alike
_END = r"(?![\s\S])"


def _regex(name: str, value: str) -> dict[str, Any]:
    escaped = re.escape(value)
    if name.endswith("startswith"):
        pattern = "^" + escaped
    elif name.endswith("endswith"):
        pattern = escaped + _END
    else:
        pattern = escaped
    query: dict[str, Any] = {"$regex": pattern}
    if name.startswith("i"):
        query["$options"] = "i"
    return query


def _key_to_mongo(field: Any, value: Any) -> Any:
    """A primary key value as stored, or NO_MATCH when it cannot be one."""
    if value is None or value is NO_MATCH:
        return NO_MATCH
    if isinstance(field, me_fields.ObjectIdField):
        if isinstance(value, ObjectId):
            return value
        if isinstance(value, str) and _OBJECT_ID.match(value):
            return ObjectId(value)
        return NO_MATCH
    try:
        return field.to_mongo(value)
    except (mongoengine.ValidationError, ValueError, TypeError):
        return NO_MATCH


def _formats_from_id(field: Any) -> bool:
    """Whether a field can format a reference from the referenced id alone."""
    container = field.container if isinstance(field, fields.Array) else field
    if not isinstance(container, fields.ToOne):
        return False
    try:
        target = container.target
    except RuntimeError:
        return False
    manager = target.manager
    return (
        isinstance(manager, MongoEngineManager)
        and manager._id_is_pk
        and isinstance(target.meta.key_converters[0], (RefKey, IDKey))
    )


def _target_pks(filter_: Any, value: Any) -> Any:
    """References to a resource whose id is not its primary key, as primary keys.

    A stored reference holds the primary key; a reference in ``where`` gives the
    resource's id (``Meta.id_attribute``), so the two are matched in one query.
    """
    field = filter_.field
    container = field.container if isinstance(field, fields.Array) else field
    if not isinstance(container, fields.ToOne):
        return value
    manager = container.target.manager
    if not isinstance(manager, MongoEngineManager) or manager._id_is_pk:
        return value
    many = filter_.name == "in"
    values = list(value) if many else [value]
    wanted = [v for v in values if v is not None and v is not NO_MATCH]
    queryset = manager._queryset()
    pks: dict[Any, Any] = {}
    if wanted and queryset is not None:
        attribute = manager.id_attribute
        for document in queryset.filter(**{f"{attribute}__in": wanted}).only(attribute):
            pks[getattr(document, attribute)] = document.pk
    result = [v if v is None or v is NO_MATCH else pks.get(v, NO_MATCH) for v in values]
    return result if many else result[0]


def _reference_condition(attribute: str, pk: Any) -> Any:
    """``attribute == pk`` for a ReferenceField (only this backend reads it)."""
    return filters.Condition(attribute, filters.EqualFilter(attribute=attribute), pk)


def _validation_of(field: Any, message: str) -> dict[str, Any]:
    if message.startswith("Field is required"):
        return {"required": True}
    if message.startswith("String value is too long"):
        return {"maxLength": getattr(field, "max_length", None)}
    if message.startswith("String value is too short"):
        return {"minLength": getattr(field, "min_length", None)}
    if message.startswith("String value did not match validation regex"):
        return {"pattern": _pattern(getattr(field, "regex", None))}
    if message.startswith("Value must be one of"):
        return {"enum": _choices(field) if field is not None else None}
    if "too small" in message:
        return {"minimum": getattr(field, "min_value", None)}
    if "too large" in message:
        return {"maximum": getattr(field, "max_value", None)}
    if message.startswith("Invalid email address"):
        return {"format": "email"}
    if message.startswith("Invalid URL") or message.startswith("Invalid scheme"):
        return {"format": "uri"}
    return {"valid": False}


def _duplicate_keys(model: Any, item: Any, exc: BaseException) -> list[str]:
    """The db field names of the unique index that ``item`` violated."""
    error: Any = exc
    while error is not None and not isinstance(error, pymongo.errors.DuplicateKeyError):
        error = error.__cause__ or error.__context__
    details = getattr(error, "details", None) or {}
    if details.get("keyPattern"):
        return list(details["keyPattern"])
    collection = model._get_collection()
    indexes = collection.index_information()
    match = re.search(r"index: (\S+) dup key", str(exc))
    if match and match.group(1) in indexes:
        return [key for key, _ in indexes[match.group(1)]["key"]]
    # the store did not say (mongomock): look for the document we collide with
    stored = item.to_mongo()
    for name, info in indexes.items():
        if not info.get("unique") or name == "_id_":
            continue
        keys = [key for key, _ in info["key"]]
        query: dict[str, Any] = {key: _get_path(stored, key) for key in keys}
        if "_id" in stored:
            query["_id"] = {"$ne": stored["_id"]}
        if collection.find_one(query, {"_id": 1}) is not None:
            return keys
    return []


def _get_path(document: Any, path: str) -> Any:
    value = document
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
