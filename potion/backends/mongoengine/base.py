"""What every part of the MongoEngine manager relies on: documents, ids and references as stored."""

from __future__ import annotations

import re
from typing import Any

import mongoengine
from bson import DBRef, ObjectId
from mongoengine import fields as me_fields
from mongoengine.base import BaseDocument

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
