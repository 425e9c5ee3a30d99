"""Strings, numbers and booleans."""

from __future__ import annotations

import typing as t
import uuid as uuid_module
from typing import Iterable

from ..exceptions import ValidationError
from .base import Raw, _options

#: What a string must match to be stored: no NUL character.
NO_NUL_PATTERN = "^[^\\u0000]*$"

__all__ = ["String", "UUID", "Uri", "Email", "Boolean", "Integer", "PositiveInteger", "Number"]


class String(Raw):
    """A JSON string."""

    url_rule_converter = "string"
    json_type = "string"

    def __init__(
        self,
        min_length: int | None = None,
        max_length: int | None = None,
        pattern: str | None = None,
        enum: Iterable[str] | None = None,
        format: str | None = None,
        **kwargs: t.Any,
    ) -> None:
        schema: dict[str, t.Any] = {"type": "string"}
        schema.update(
            _options(minLength=min_length, maxLength=max_length, pattern=pattern, format=format)
        )
        if enum is not None:
            schema["enum"] = list(enum)
        super().__init__(schema, **kwargs)

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        if isinstance(instance, str) and "\x00" in instance:
            # PostgreSQL cannot store it and other stores would keep it silently:
            # refused everywhere, so an application behaves the same on every backend
            raise ValidationError(
                [
                    {
                        "path": [],
                        "validationOf": {"pattern": NO_NUL_PATTERN},
                        "message": "A string cannot contain the NUL character (\\u0000)",
                    }
                ],
                message="A string cannot contain the NUL character (\\u0000)",
            )
        return instance


class UUID(String):
    """A UUID in its canonical 36-character string form.

    With ``as_uuid=True`` input is converted to :class:`uuid.UUID` objects.
    """

    _PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

    def __init__(self, as_uuid: bool = False, **kwargs: t.Any) -> None:
        self.as_uuid = as_uuid
        super().__init__(min_length=36, max_length=36, pattern=self._PATTERN, **kwargs)

    def format(self, value: t.Any) -> t.Any:
        return None if value is None else str(value)

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        instance = super().convert(instance, validate)
        if self.as_uuid and instance is not None:
            return uuid_module.UUID(instance)
        return instance


class Uri(String):
    """A string holding a URI."""

    def __init__(self, **kwargs: t.Any) -> None:
        super().__init__(format="uri", **kwargs)


class Email(String):
    """A string holding an e-mail address."""

    def __init__(self, **kwargs: t.Any) -> None:
        super().__init__(format="email", **kwargs)


class Boolean(Raw):
    """A JSON boolean; ``None`` stays ``null``."""

    json_type = "boolean"

    def __init__(self, **kwargs: t.Any) -> None:
        super().__init__({"type": "boolean"}, **kwargs)

    def format(self, value: t.Any) -> t.Any:
        return None if value is None else bool(value)


class Integer(Raw):
    """A JSON integer."""

    url_rule_converter = "int"
    json_type = "integer"

    def __init__(
        self, minimum: int | None = None, maximum: int | None = None, **kwargs: t.Any
    ) -> None:
        super().__init__(
            {"type": "integer", **_options(minimum=minimum, maximum=maximum)}, **kwargs
        )

    def format(self, value: t.Any) -> t.Any:
        return None if value is None else int(value)


class PositiveInteger(Integer):
    """An integer of at least 1."""

    def __init__(self, maximum: int | None = None, **kwargs: t.Any) -> None:
        super().__init__(minimum=1, maximum=maximum, **kwargs)


class Number(Raw):
    """A JSON number, output as a float."""

    json_type = "number"

    def __init__(
        self,
        minimum: float | None = None,
        maximum: float | None = None,
        exclusive_minimum: bool = False,
        exclusive_maximum: bool = False,
        **kwargs: t.Any,
    ) -> None:
        schema: dict[str, t.Any] = {"type": "number", **_options(minimum=minimum, maximum=maximum)}
        if exclusive_minimum:
            schema["exclusiveMinimum"] = True
        if exclusive_maximum:
            schema["exclusiveMaximum"] = True
        super().__init__(schema, **kwargs)

    def format(self, value: t.Any) -> t.Any:
        return None if value is None else float(value)
