"""The MongoEngine backend: ModelResources over MongoEngine ``Document`` classes.

Plain MongoEngine (``mongoengine.connect()`` and ``Document``) is all it needs.
Fields are inferred from the document's fields, ``where`` and ``sort`` become a
MongoDB query and sort specification, and a page costs at most one ``find`` and
one count.

MongoEngine is imported by this package only, never by ``import potion``.

Ids are the documents' primary keys; an ``ObjectId`` travels as its 24-digit hex
string.  A malformed id is never an error of the store: in a URL it is a 404, in a
``where`` condition it matches nothing.

Transactions
    MongoDB has no multi-document transactions on a standalone server (nor does
    mongomock), so this backend makes rollback honest by *undoing*: while a Potion
    write is open, every document saved through MongoEngine (by the manager or by
    a signal receiver, ``Document.save()`` or ``QuerySet.insert()``), every
    document the manager deletes or changes a relation of, and every document the
    delete rules of a deleted one change (NULLIFY, PULL, CASCADE) is remembered,
    and if the write fails (a receiver of ``after_create`` raises, say) the
    remembered documents are put back as they were: created ones are deleted,
    changed ones restored, deleted ones re-inserted.  The undo is not isolated
    (another client may read the write before it is undone), and writes made
    around MongoEngine's document API (``QuerySet.update()``,
    ``QuerySet.delete()``, pymongo, a receiver's ``Document.delete()``) are not
    undone.

References to deleted documents
    MongoDB has no foreign keys, so a reference may name a document that is gone.
    Responses never fail on one: the routes format documents through
    :meth:`MongoEngineManager.for_output`, which reads such a reference as stored
    (``{"$ref"}`` of the deleted id), or as None where the document itself is
    needed (an ``Inline``, a ``ToOne`` to a resource with other ids).
"""

from __future__ import annotations

from .base import OBJECT_ID_PATTERN as OBJECT_ID_PATTERN
from .inference import ObjectIdString as ObjectIdString
from .inference import infer_field as infer_field
from .manager import IDOrPropertyKey as IDOrPropertyKey
from .manager import MongoEngineManager as MongoEngineManager

__all__ = ["MongoEngineManager", "ObjectIdString"]
