"""Fields: one class per JSON type, each with its JSON Schema, output and input.

A field reads a value from an item (``output``), turns a Python value into JSON
(``format``) and a validated JSON value into Python (``convert``).  Its ``io``
tells in which operations it takes part: ``r`` read, ``c`` create, ``u`` update
(``w`` is ``cu``).
"""

from __future__ import annotations

from ..schema import FieldSet as FieldSet
from .base import Any as Any
from .base import Custom as Custom
from .base import Raw as Raw
from .base import get_value as get_value
from .base import normalize_io as normalize_io
from .containers import Array as Array
from .containers import AttributeMapped as AttributeMapped
from .containers import List as List
from .containers import Object as Object
from .dates import Date as Date
from .dates import DateString as DateString
from .dates import DateTime as DateTime
from .dates import DateTimeString as DateTimeString
from .references import Inline as Inline
from .references import ItemType as ItemType
from .references import ItemUri as ItemUri
from .references import ResourceReference as ResourceReference
from .references import ToMany as ToMany
from .references import ToOne as ToOne
from .references import _ResourceReference as _ResourceReference
from .references import resource_for_model as resource_for_model
from .scalars import UUID as UUID
from .scalars import Boolean as Boolean
from .scalars import Email as Email
from .scalars import Integer as Integer
from .scalars import Number as Number
from .scalars import PositiveInteger as PositiveInteger
from .scalars import String as String
from .scalars import Uri as Uri

__all__ = [
    "Raw",
    "Any",
    "Custom",
    "Array",
    "List",
    "Object",
    "AttributeMapped",
    "String",
    "UUID",
    "Uri",
    "Email",
    "Date",
    "DateTime",
    "DateString",
    "DateTimeString",
    "Boolean",
    "Integer",
    "PositiveInteger",
    "Number",
    "ToOne",
    "ToMany",
    "Inline",
    "ItemType",
    "ItemUri",
    "FieldSet",
]
