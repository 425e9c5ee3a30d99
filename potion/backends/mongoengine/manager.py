"""The MongoEngine manager: set-up, ids, reads, relations and writes."""

from __future__ import annotations

from typing import Any

import mongoengine
import pymongo.errors
from bson import DBRef, ObjectId
from mongoengine import fields as me_fields
from mongoengine.base import LazyReference

from ... import fields
from ...exceptions import BackendConflict, IntegrityViolation, ItemNotFound, PageNotFound
from ...filters import NO_MATCH
from ...natural_keys import IDKey, PropertiesKey, PropertyKey, RefKey
from ...pagination import Pagination
from .. import Manager, StoredAttribute
from . import filters as mongo_filters
from .base import (
    _REFERENCE_FIELDS,
    LOADED,
    LOADED_OR_NONE,
    STORED,
    _id_to_mongo,
    _is_reference,
    _key_to_mongo,
    _reference_pk,
    _Stored,
)
from .errors import ErrorsMixin
from .inference import ObjectIdString, infer_field
from .queries import _OPERATORS, QueryMixin, _reference_condition
from .undo import (
    UndoMixin,
    _connect_receivers,
    _pull_from_lists,
    _snapshot,
    _snapshot_delete_rules,
)

__all__ = ["IDOrPropertyKey", "MongoEngineManager"]


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
                return self._read(value)
            except ItemNotFound:
                pass
        return super().convert(value)


def _is_document_class(model: Any) -> bool:
    return isinstance(model, type) and issubclass(model, mongoengine.Document)


class MongoEngineManager(QueryMixin, ErrorsMixin, UndoMixin, Manager):
    """Serves a ModelResource whose ``Meta.model`` is a MongoEngine ``Document``."""

    FILTERS_BY_TYPE = mongo_filters.FILTERS_BY_TYPE

    unsupported: dict[str, str] = {
        "transaction_isolation": (
            "MongoDB (standalone, and mongomock) has no multi-document transactions: "
            "a failed write is undone by compensating writes, so other clients may "
            "see it before it is undone"
        ),
        "foreign_keys": (
            "MongoDB has no foreign keys: deleting a document leaves the references "
            "to it as they are unless the ReferenceField declares a reverse_delete_rule"
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
            meta.name = self.name_for_model(model)
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

    @classmethod
    def name_for_model(cls, model: Any) -> str | None:
        return model._get_collection_name() if _is_document_class(model) else None

    def stored_attributes(self) -> list[StoredAttribute]:
        """Every field of the document: required when ``required=True`` without a default."""
        found: list[StoredAttribute] = []
        pk_name = self.model._meta["id_field"]
        for name, model_field in self.model._fields.items():
            if name == pk_name or name.startswith("_"):
                continue
            reference = _is_reference(model_field)
            found.append(
                StoredAttribute(
                    name=name,
                    kind=type(model_field).__name__,
                    required=bool(model_field.required) and model_field.default is None,
                    fills_itself=model_field.default is not None,
                    inferred=reference or infer_field(model_field) is not None,
                    reference=name if reference else None,
                    target=getattr(model_field, "document_type", None) if reference else None,
                )
            )
        return found

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
            if _is_reference(model_field):
                continue  # a reference is a field only when the resource declares it
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

    def changed(self, item: Any, changes: dict[str, Any]) -> dict[str, Any]:
        """The changes that differ, references compared by id without loading them."""
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
        actual.update(super().changed(item, plain))
        return {key: actual[key] for key in changes if key in actual}

    def is_valid_id(self, value: Any) -> bool:
        """Whether ``value`` has the form of an id of this resource."""
        return self._id_to_mongo(value) is not NO_MATCH

    def _id_to_mongo(self, value: Any) -> Any:
        return _key_to_mongo(self._id_model_field, value)

    # -- reads -------------------------------------------------------------------

    def instances(self, where: Any = None, sort: Any = None) -> Any:
        queryset = self._filtered(self.narrow(where), sort)
        return [] if queryset is None else queryset

    def paginated_instances(
        self, page: int, per_page: int, where: Any = None, sort: Any = None
    ) -> Pagination:
        queryset = self._filtered(self.narrow(where), sort)
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
        queryset = self._filtered(self.narrow(where), sort)
        item = queryset.first() if queryset is not None else None
        if item is None:
            raise ItemNotFound(self.resource, where=where)
        return item

    def read(self, id: Any) -> Any:
        narrowing = self.query(self.narrow())
        key = self._id_to_mongo(id)
        queryset = self._queryset()
        if key is NO_MATCH or queryset is None:
            raise ItemNotFound(self.resource, id=id)
        queryset = queryset.filter(__raw__={self._id_model_field.db_field: key})
        if narrowing:
            queryset = queryset.filter(__raw__=narrowing)
        item = queryset.first()
        if item is None:
            raise ItemNotFound(self.resource, id=id)
        return item

    def item_for_output(self, id: Any) -> Any:
        return self.for_output(self.read(id))

    def page_for_output(
        self, page: int, per_page: int, where: Any = None, sort: Any = None
    ) -> Pagination:
        result = self.paginated_instances(page, per_page, where, sort)
        reads = self._reference_reads()
        if reads:  # documents without references are formatted as they are
            result.items = [_Stored(item, reads) for item in result.items]
        return result

    def for_output(self, item: Any) -> Any:
        """``item`` as the resource schema formats it: a view reading references safely.

        A document (or a view of it) becomes a view whose references never fail:
        one that names a deleted document formats as the stored reference, or as
        null where the document itself is needed.  A stored reference (``DBRef``),
        as an ``Inline`` field receives it, is loaded: None when its document has
        been deleted.
        """
        if isinstance(item, _Stored):
            item = item._document
        elif isinstance(item, DBRef):
            item = self._load_reference(item)
            if item is None:
                return None
        if not isinstance(item, mongoengine.Document):
            return item  # not a document (an ItemRoute may return a plain object)
        reads = self._reference_reads()
        return _Stored(item, reads) if reads else item

    def _load_reference(self, reference: DBRef) -> Any:
        """The document a stored reference names, or None when it does not exist."""
        if isinstance(reference, LazyReference):
            try:
                return reference.fetch()
            except mongoengine.DoesNotExist:
                return None
        son = self.model._get_collection().find_one({"_id": reference.id})
        return None if son is None else self.model._from_son(son)

    def _reference_reads(self) -> dict[str, str]:
        """How the formatter reads each reference attribute of the documents.

        ``STORED`` (the stored reference, nothing loaded) when every field of the
        schema reading it formats a reference from its id alone (a ``ToOne`` to a
        resource whose ids are the primary keys) or is an ``Inline`` of one
        document (which loads it itself); else the documents are loaded
        (``Array`` of ``Inline``: in one query), and a deleted one is read as the
        stored reference (``LOADED``) unless a field reading it needs the
        document to format it (``LOADED_OR_NONE``: a ``ToOne`` to a resource with
        other ids, or a field of another kind), which then formats null.  A
        reference no field of the schema reads is judged by the field inferred
        for it (an ItemAttributeRoute may read it).
        """
        reads = self.__dict__.get("_reads")
        if reads is not None:
            return reads
        by_attribute: dict[str, list[Any]] = {}
        for key, field in self.resource.schema.readable_fields.items():
            by_attribute.setdefault(field.attribute or key, []).append(field)
        reads = {}
        for attribute, model_field in self.model._fields.items():
            if not _is_reference(model_field):
                continue
            used_by = by_attribute.get(attribute)
            if used_by is None:
                inferred = infer_field(model_field)
                used_by = [inferred.bind(self.resource)] if inferred is not None else []
            kinds = {_reads_as(field) for field in used_by}
            if kinds <= {STORED}:
                reads[attribute] = STORED
            elif LOADED_OR_NONE in kinds:
                reads[attribute] = LOADED_OR_NONE
            else:
                reads[attribute] = LOADED
        self._reads = reads
        return reads

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
            where = target_manager.narrow((_reference_condition(back, item.pk),), deny=False)
            if page is None:
                return list(target_manager.instances(where))
            return target_manager.paginated_instances(page, per_page or 20, where)
        ids = [_reference_pk(v) for v in item._data.get(attribute) or ()]
        queryset = target_manager._queryset()
        readable = target_manager.query(target_manager.narrow(deny=False))
        if readable and queryset is not None:  # only the children the identity may read
            queryset = queryset.filter(__raw__=readable)
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

    def _add_to_relation(
        self, item: Any, attribute: str, target_resource: Any, target_item: Any
    ) -> bool:
        list_field = self._list_relation(attribute)
        if list_field is None:
            back = self._reverse_relation(attribute, target_resource)
            if _reference_pk(target_item._data.get(back)) == item.pk:
                return False
            setattr(target_item, back, item)
            self._save(target_item, target_resource)
            return True
        current = list(item._data.get(attribute) or ())
        if any(_reference_pk(v) == target_item.pk for v in current):
            return False
        _snapshot(item)
        value = list_field.field.to_mongo(target_item)
        self._write(item, {"$push": {list_field.db_field: value}})
        item._data[attribute] = current + [target_item]
        return True

    def _remove_from_relation(
        self, item: Any, attribute: str, target_resource: Any, target_item: Any
    ) -> bool:
        list_field = self._list_relation(attribute)
        if list_field is None:
            back = self._reverse_relation(attribute, target_resource)
            if _reference_pk(target_item._data.get(back)) != item.pk:
                return False
            setattr(target_item, back, None)
            self._save(target_item, target_resource)
            return True
        current = list(item._data.get(attribute) or ())
        kept = [v for v in current if _reference_pk(v) != target_item.pk]
        if len(kept) == len(current):
            return False
        _snapshot(item)
        value = list_field.field.to_mongo(target_item)
        self._write(item, {"$pull": {list_field.db_field: value}})
        item._data[attribute] = kept
        return True

    # -- writes ------------------------------------------------------------------

    def _insert(self, item: Any, properties: dict[str, Any]) -> None:
        # an insert, never an update: a primary key the client chose (setting it
        # makes MongoEngine take the document for a stored one) must not match
        # the save condition of an update, nor replace a document already stored
        self._save(item, insert=True)

    def _apply(self, item: Any, changes: dict[str, Any], actual: dict[str, Any]) -> None:
        for key, value in changes.items():
            setattr(item, key, value)
        self._save(item)

    def _remove(self, item: Any) -> None:
        if type(item)._get_collection().find_one({"_id": _id_to_mongo(item)}, {"_id": 1}) is None:
            # deleted by another request first
            raise ItemNotFound(self.resource, id=self.get_id(item))
        _snapshot(item)
        _snapshot_delete_rules(item)
        _pull_from_lists(item)
        try:
            item.delete()
        except mongoengine.OperationError as exc:
            raise (self.translate_error(exc) or BackendConflict(str(exc))) from exc

    def _save(self, item: Any, resource: Any = None, insert: bool = False) -> None:
        manager = resource.manager if resource is not None else self
        try:
            if insert:
                item.save(force_insert=True)
            else:
                # save_condition: an update of a document deleted meanwhile must not
                # re-create it (MongoEngine would upsert the changed fields alone)
                item.save(save_condition={})
        except mongoengine.errors.SaveConditionError as exc:
            raise ItemNotFound(manager.resource, id=manager.get_id(item)) from exc
        except (mongoengine.NotUniqueError, pymongo.errors.DuplicateKeyError) as exc:
            raise manager._duplicate_key(item, exc, insert) from exc
        except mongoengine.ValidationError as exc:
            errors = manager._validation_errors(exc)
            names = ", ".join(".".join(str(p) for p in e["path"]) for e in errors if e["path"])
            raise IntegrityViolation(errors, message=f"Invalid value: {names}") from exc
        except mongoengine.OperationError as exc:
            raise (manager.translate_error(exc) or BackendConflict(str(exc))) from exc

    def _write(self, item: Any, update: dict[str, Any]) -> None:
        collection = type(item)._get_collection()
        try:
            result = collection.update_one({"_id": _id_to_mongo(item)}, update)
        except pymongo.errors.DuplicateKeyError as exc:
            raise self._duplicate_key(item, exc) from exc
        if result.matched_count == 0:  # deleted meanwhile
            raise ItemNotFound(self.resource, id=self.get_id(item))


def _reads_as(field: Any) -> str:
    """How one field needs a reference read (see ``_reference_reads``)."""
    if isinstance(field, fields.Inline):
        return STORED
    many = isinstance(field, fields.Array)
    container = field.container if many else field
    if many and isinstance(container, fields.Inline):
        return LOADED
    if not isinstance(container, fields.ToOne):
        return LOADED_OR_NONE
    try:
        target = container.target
    except RuntimeError:
        return LOADED_OR_NONE
    manager = target.manager
    if (
        isinstance(manager, MongoEngineManager)
        and manager._id_is_pk
        and isinstance(target.meta.key_converters[0], (RefKey, IDKey))
    ):
        return STORED
    return LOADED_OR_NONE
