"""The operators of the MongoEngine backend: the core's, named and grouped by field type.

Each operator becomes a MongoDB query operator (``$gt``, ``$in``, a regular
expression for the string matches).  A custom filter class used through
``Meta.filters`` gives its own translation with a ``mongo_query(path, value)``
method.
"""

from __future__ import annotations

from ...filters import *  # noqa: F403 - the core filter classes, under this path too
from ...filters import FILTER_NAMES as FILTER_NAMES
from ...filters import FILTERS_BY_TYPE as _CORE_FILTERS_BY_TYPE
from ...filters import __all__ as _core_names

__all__ = [*_core_names]

#: Operators per field type (the core's: MongoDB has every one of them).
FILTERS_BY_TYPE = dict(_CORE_FILTERS_BY_TYPE)
