"""The peewee backend (peewee 3.17+ and 4.x).

Fields are inferred from the model's fields; a ``ForeignKeyField`` is a field
when the resource declares a :class:`~potion.fields.ToOne` over it, which formats
its reference from the foreign-key value (no join, no extra query).  Filters, sorting, counting and paging are SQL;
back-references and ``ManyToManyField`` are usable as ``Relation`` routes and as
``ToMany`` fields (loaded with one query per relation for a whole page).  Every
write runs in ``database.atomic()`` with its signals inside, and integrity errors
become 409/400 answers naming the field.

peewee is imported by this package only, never by ``import potion``.
"""

from __future__ import annotations

from ...fields import resource_for_model as resource_for_model
from .inference import field_for_peewee_field as field_for_peewee_field
from .manager import PeeweeManager as PeeweeManager

__all__ = ["PeeweeManager", "field_for_peewee_field", "resource_for_model"]
