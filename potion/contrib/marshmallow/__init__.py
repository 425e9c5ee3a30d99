"""marshmallow schemas as Potion schemas: bring a flask-smorest or marshmallow API over.

``import potion.contrib.marshmallow`` registers the adapter (see
:mod:`potion.adapters`, the core's extension point) that reads
``Meta.marshmallow_schema`` on a Resource or ModelResource and converts marshmallow
schemas given to routes (``schema=``, ``response_schema=``, return annotations).
Nothing else in Potion imports marshmallow.

How it stays fast
    The conversion happens once, when the class is declared: every marshmallow
    field becomes a Potion field with the JSON Schema of its values (the mapping is
    in :mod:`.convert`), validators with a JSON Schema form become keywords of
    it, and the schema's Python steps are found (:mod:`.schemas`).  A request is
    then validated by the compiled JSON Schema and a response formatted by the
    compiled formatter, as for a resource declared with Potion fields.

What runs in Python, and when
    Only what the schema declares and JSON Schema cannot express, in the write
    that converts the request body, after the compiled validation: ``pre_load``
    hooks, field conversions that parse (dates in custom formats, decimals, UUIDs,
    enums), validators without a JSON Schema form and field-level ``pre_load`` /
    ``post_load`` functions, ``@validates`` and ``@validates_schema`` methods,
    ``post_load`` hooks.  A ``ValidationError`` becomes Potion's 400 body, with the
    field paths.  ``pre_dump`` and ``post_dump`` hooks wrap the formatter only
    when the schema declares them.

Custom field types
    A field class Potion does not know is refused when the resource is declared;
    :func:`register` declares its mapping.
"""

from __future__ import annotations

from ...adapters import register_adapter
from .adapter import MarshmallowAdapter as MarshmallowAdapter
from .adapter import to_fieldset as to_fieldset
from .convert import Conversion as Conversion
from .convert import register as register
from .errors import DeclarationError as DeclarationError
from .errors import UnmappedField as UnmappedField
from .schemas import MarshmallowFieldSet as MarshmallowFieldSet

__all__ = [
    "register",
    "to_fieldset",
    "MarshmallowAdapter",
    "MarshmallowFieldSet",
    "Conversion",
    "DeclarationError",
    "UnmappedField",
]

register_adapter(MarshmallowAdapter())
