"""Store errors as API errors, classified once for the MongoEngine backend.

- MongoDB cannot serve (no server selected in time, a lost connection, a network
  or execution timeout, a write concern not met in time):
  :class:`~potion.exceptions.StoreUnavailable` (503), also when MongoEngine wraps
  the driver's error in an ``OperationError``;
- unique indexes: 409 naming the fields; validation errors: 400 naming the field.
"""

from __future__ import annotations

import re
from typing import Any

import mongoengine
import pymongo.errors

from ...exceptions import (
    BackendConflict,
    DuplicateKey,
    IntegrityViolation,
    StoreUnavailable,
)
from .base import MongoEngineBase
from .inference import _choices, _pattern

#: pymongo's errors of a server that cannot serve now.  ``ConnectionFailure``
#: covers ``AutoReconnect`` (and so ``NetworkTimeout``, ``NotPrimaryError``) and
#: ``ServerSelectionTimeoutError``; the other two are timeouts of an operation.
_UNAVAILABLE = (
    pymongo.errors.ConnectionFailure,
    pymongo.errors.ExecutionTimeout,
    pymongo.errors.WTimeoutError,
    pymongo.errors.WaitQueueTimeoutError,
)


def unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means MongoDB cannot serve now (also under MongoEngine's wrappers)."""
    seen = 0
    error: BaseException | None = exc
    while error is not None and seen < 5:
        if isinstance(error, _UNAVAILABLE):
            return True
        if not isinstance(error, (mongoengine.OperationError, pymongo.errors.PyMongoError)):
            return False
        error = error.__cause__ or error.__context__
        seen += 1
    return False


class ErrorsMixin(MongoEngineBase):
    """Names the fields a ``NotUniqueError`` or a ``ValidationError`` is about."""

    unavailable = staticmethod(unavailable)

    def _schema_key(self, attribute: str) -> str:
        for key, field in self.resource.schema.fields.items():
            if (field.attribute or key) == attribute:
                return key
        return attribute

    def _duplicate_key(self, item: Any, exc: BaseException, insert: bool = False) -> DuplicateKey:
        """A 409 naming the fields of the unique index ``item`` collides on.

        ``insert``: ``item`` is a new document, so its primary key (one the
        client chose) may be what collides.
        """
        reverse = self.model._reverse_db_field_map
        keys = [
            self._schema_key(reverse.get(key, key))
            for key in _duplicate_keys(self.model, item, exc, insert)
        ]
        errors = [{"path": [key], "validationOf": {"unique": True}} for key in keys]
        names = f"this {', '.join(keys)}" if keys else "one of its unique values"
        return DuplicateKey(
            f"An item with {names} already exists",
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
        if self.unavailable(exc):
            return StoreUnavailable()
        if isinstance(exc, (mongoengine.NotUniqueError, pymongo.errors.DuplicateKeyError)):
            return DuplicateKey()
        if isinstance(exc, mongoengine.ValidationError):
            return IntegrityViolation(self._validation_errors(exc))
        if isinstance(exc, mongoengine.OperationError):
            return BackendConflict(str(exc))
        return None


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


def _duplicate_keys(model: Any, item: Any, exc: BaseException, insert: bool = False) -> list[str]:
    """The db field names of the unique index that ``item`` violated.

    The primary key is a candidate only for a new document (``insert``): an
    update keeps its own.
    """
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
    if insert and "_id" in stored and collection.find_one({"_id": stored["_id"]}, {"_id": 1}):
        return ["_id"]
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
