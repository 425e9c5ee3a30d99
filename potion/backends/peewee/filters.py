"""The operators of the peewee backend: the core's, named and grouped by field type.

The peewee manager reads :data:`FILTERS_BY_TYPE`; a resource may give a field other
operators through ``Meta.filters``.  Every operator is translated to SQL.
"""

from __future__ import annotations

from ... import fields
from ...filters import *  # noqa: F403 - the core filter classes, under this path too
from ...filters import FILTER_NAMES as FILTER_NAMES
from ...filters import FILTERS_BY_TYPE as _CORE_FILTERS_BY_TYPE
from ...filters import EqualFilter, InFilter, NotEqualFilter
from ...filters import __all__ as _core_names

__all__ = [*_core_names]

#: Operators per field type.  UUIDs are stored as hex on SQLite and MariaDB, so
#: only (in)equality is meaningful for them.
FILTERS_BY_TYPE = {
    **_CORE_FILTERS_BY_TYPE,
    fields.UUID: (EqualFilter, NotEqualFilter, InFilter),
}
