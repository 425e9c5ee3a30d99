"""Filters written as SQLAlchemy expressions.

Subclass :class:`SQLAlchemyBaseFilter` and implement ``expression(value)`` with
``self.column`` (the model's column attribute) to add an operator that the core
does not have::

    class SoundsLikeFilter(SQLAlchemyBaseFilter):
        name = "soundslike"

        def value_schema(self):
            return {"type": "string"}

        def expression(self, value):
            return sa.func.soundex(self.column) == sa.func.soundex(value)

and enable it with ``Meta.filters = {"name": {"soundslike": SoundsLikeFilter}}``.
"""

from __future__ import annotations

from typing import Any

from ...filters import *  # noqa: F403 - the core filter classes, under this path too
from ...filters import BaseFilter
from ...filters import __all__ as _core_names

__all__ = ["SQLAlchemyBaseFilter", *_core_names]


class SQLAlchemyBaseFilter(BaseFilter):
    """A filter whose condition is an SQLAlchemy expression over ``self.column``."""

    column: Any = None

    def expression(self, value: Any) -> Any:
        raise NotImplementedError

    def sql_expression(self, model: Any, value: Any) -> Any:
        if self.column is None:
            self.column = getattr(model, self.attribute or "")
        return self.expression(value)

    def op(self, a: Any, b: Any) -> bool:
        raise NotImplementedError(f"{type(self).__name__} only works in SQL")
