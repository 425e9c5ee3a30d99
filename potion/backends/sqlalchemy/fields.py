"""Fields that only make sense with SQLAlchemy models."""

from __future__ import annotations

from typing import Any

from ...fields import Object, Raw

__all__ = ["InlineModel"]


class InlineModel(Object):
    """A nested object stored as an instance of ``model``.

    Input ``{"city": "Oslo"}`` becomes ``model(city="Oslo")`` (typically assigned to
    a relationship); output reads the same properties back from the instance.
    """

    def __init__(self, properties: dict[str, Raw], model: Any, **kwargs: Any) -> None:
        super().__init__(properties, **kwargs)
        self.model = model

    def convert(self, instance: Any, validate: bool = True) -> Any:
        values = super().convert(instance, validate)
        if values is None:
            return None
        return self.model(**values)
