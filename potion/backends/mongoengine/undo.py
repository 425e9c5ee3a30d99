"""Rollback by undoing: the journal of the documents a Potion write changed.

MongoDB has no multi-document transactions on a standalone server (nor does
mongomock).  While a write is open, every document saved through MongoEngine (by
the manager or by a signal receiver), every document the manager deletes or
changes a relation of, and every document the delete rules (``NULLIFY``, ``PULL``,
``CASCADE``) of a deleted document change is remembered as stored; a rollback puts
them back in reverse order.  A delete also pulls the document from the lists of
references to it that have no delete rule (:func:`_pull_from_lists`), journalled
the same way.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any, Callable

import mongoengine
from mongoengine import fields as me_fields
from mongoengine import signals as me_signals

from .base import _REFERENCE_FIELDS, _id_to_mongo

log = logging.getLogger(__package__)

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


def _snapshot_delete_rules(document: Any) -> None:
    """Remember the documents MongoEngine's delete rules change when ``document`` goes.

    Deleting a document applies the ``reverse_delete_rule`` of every reference to
    it with queryset writes that no save signal reports: ``NULLIFY`` unsets the
    references, ``PULL`` pulls them from lists, and ``CASCADE`` deletes the
    referring documents (and applies their own rules in turn).  Every document
    these rules will touch is remembered as stored before the delete, so a
    rollback puts it back: a later failure, or a ``DENY`` met deep in a cascade
    after other rules have already run.
    """
    if _undo_log.get() is None:
        return
    seen = {(type(document)._get_collection_name(), document.pk)}
    pending = [(type(document), [document])]
    while pending:
        document_cls, deleted = pending.pop()
        for (referrer, field_name), rule in (document_cls._meta.get("delete_rules") or {}).items():
            if rule not in _UNDONE_RULES or referrer._meta.get("abstract"):
                continue
            # the query MongoEngine runs for the rule
            queryset = referrer.objects(**{f"{field_name}__in": deleted})
            stored = list(queryset.as_pymongo())
            if not stored:
                continue
            _remember_stored(referrer._get_collection(), stored)
            if rule == mongoengine.CASCADE:
                name = referrer._get_collection_name()
                cascaded = []
                for son in stored:
                    if (name, son["_id"]) not in seen:
                        seen.add((name, son["_id"]))
                        cascaded.append(referrer._from_son(son))
                if cascaded:
                    pending.append((referrer, cascaded))


_UNDONE_RULES = (mongoengine.NULLIFY, mongoengine.PULL, mongoengine.CASCADE)


def _pull_from_lists(document: Any) -> None:
    """Pull ``document`` from every list of references to it (a many-to-many link).

    A ``ListField(ReferenceField(...))`` without a ``reverse_delete_rule`` would
    keep naming the deleted document; it is pulled as ``PULL`` would, from every
    document class that has such a list, and the documents changed are put back
    on rollback.  Lists with a delete rule are left to MongoEngine.
    """
    document_cls = type(document)
    for referrer, list_field in _lists_of_references(document_cls):
        path = list_field.db_field
        value = list_field.field.to_mongo(document)
        collection = referrer._get_collection()
        query = {path: value}
        stored = list(collection.find(query))
        if stored:
            _remember_stored(collection, stored)
            collection.update_many(query, {"$pull": {path: value}})


def _lists_of_references(document_cls: Any) -> list[tuple[Any, Any]]:
    """``(document class, ListField)`` of every list of references to ``document_cls``
    that has no delete rule, one per collection and field."""
    found: list[tuple[Any, Any]] = []
    seen: set[tuple[str, str]] = set()
    pending = list(mongoengine.Document.__subclasses__())
    while pending:
        referrer = pending.pop()
        pending.extend(referrer.__subclasses__())
        if referrer._meta.get("abstract"):
            continue
        for list_field in referrer._fields.values():
            inner = getattr(list_field, "field", None)
            if not (
                isinstance(list_field, me_fields.ListField)
                and isinstance(inner, _REFERENCE_FIELDS)
                and issubclass(document_cls, inner.document_type)
                and inner.reverse_delete_rule == mongoengine.DO_NOTHING
            ):
                continue
            key = (referrer._get_collection_name(), list_field.db_field)
            if key not in seen:
                seen.add(key)
                found.append((referrer, list_field))
    return found


def _remember_stored(collection: Any, stored: list[dict[str, Any]]) -> None:
    """Put ``stored`` documents back as they are now on rollback."""

    def restore() -> None:
        for son in stored:
            collection.replace_one({"_id": son["_id"]}, son, upsert=True)

    _remember(restore)


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


class UndoMixin:
    """The manager's transactions: begin a journal, drop it on commit, replay it on rollback."""

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
