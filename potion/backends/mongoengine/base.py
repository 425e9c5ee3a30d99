"""What every part of the MongoEngine manager relies on: documents, ids and references as stored."""

from __future__ import annotations

import re
from typing import Any

import mongoengine
from bson import DBRef, ObjectId
from mongoengine import fields as me_fields
from mongoengine.base import BaseDocument, LazyReference

from ...filters import NO_MATCH

OBJECT_ID_PATTERN = "^[0-9a-fA-F]{24}$"
_REFERENCE_FIELDS = (me_fields.ReferenceField, me_fields.LazyReferenceField)
_OBJECT_ID = re.compile(r"[0-9a-fA-F]{24}\Z")


class MongoEngineBase:
    """The attributes the manager's parts share (set up by :class:`MongoEngineManager`)."""

    model: Any
    resource: Any
    id_attribute: str
    #: whether the resource's id is the documents' primary key
    _id_is_pk: bool
    #: the MongoEngine field holding the id
    _id_model_field: Any


#: How the formatter reads a reference (see ``MongoEngineManager._reference_reads``):
#: the stored reference itself, without loading the document;
STORED = "stored"
#: the document, loaded, or the stored reference when the document does not exist;
LOADED = "loaded"
#: the document, loaded, or None when it does not exist.
LOADED_OR_NONE = "loaded-or-none"


class _Stored:
    """A document as the formatter sees it: its references read without ever failing.

    MongoDB has no foreign keys, so a stored reference may name a document that has
    been deleted, and reading it through MongoEngine raises ``DoesNotExist``.  This
    view reads each reference attribute as ``reads`` says (``STORED``, ``LOADED``
    or ``LOADED_OR_NONE``) and every other attribute from the document itself.
    """

    __slots__ = ("_document", "_reads", "_loaded")

    def __init__(self, document: Any, reads: dict[str, str]) -> None:
        self._document = document
        self._reads = reads
        self._loaded: dict[str, Any] | None = None

    def __getattr__(self, name: str) -> Any:
        document = self._document
        read = self._reads.get(name)
        if read is None:
            return getattr(document, name)
        if read == STORED:
            return document._data.get(name)
        loaded = self._loaded
        if loaded is None:
            loaded = self._loaded = {}
        if name not in loaded:
            loaded[name] = _dereference(document, name, keep_missing=read == LOADED)
        return loaded[name]


def _is_reference(field: Any) -> bool:
    """Whether a MongoEngine field holds references (one, or a list of them)."""
    if isinstance(field, me_fields.ListField):
        field = field.field
    return isinstance(field, _REFERENCE_FIELDS)


def _dereference(document: Any, name: str, keep_missing: bool) -> Any:
    """The document(s) a reference attribute names, loaded as MongoEngine loads them.

    A reference to a document that does not exist is read as the stored reference
    when ``keep_missing``, else as None.
    """
    try:
        value = getattr(document, name)
    except mongoengine.DoesNotExist:
        return document._data.get(name) if keep_missing else None
    if isinstance(document._fields[name], me_fields.ListField):
        return None if value is None else [_loaded(v, keep_missing) for v in value]
    return _loaded(value, keep_missing)


def _loaded(value: Any, keep_missing: bool) -> Any:
    if isinstance(value, LazyReference):
        try:
            return value.fetch()
        except mongoengine.DoesNotExist:
            return value if keep_missing else None
    if isinstance(value, (DBRef, ObjectId)):
        # MongoEngine leaves a reference to a missing document in a list as it is
        return value if keep_missing else None
    return value


def _reference_pk(value: Any) -> Any:
    if isinstance(value, DBRef):
        return value.id
    if isinstance(value, BaseDocument):
        return value.pk
    if isinstance(value, _Stored):
        return value._document.pk
    return value


def _id_to_mongo(document: Any) -> Any:
    id_field = document._meta["id_field"]
    return document._fields[id_field].to_mongo(document.pk)


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
