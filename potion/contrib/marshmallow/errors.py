"""marshmallow's error messages as Potion's 400 body, and the start-up errors."""

from __future__ import annotations

from typing import Any

from ...exceptions import ValidationError

__all__ = ["UnmappedField", "DeclarationError", "potion_errors", "validation_error"]

_SCHEMA = "_schema"


class DeclarationError(TypeError):
    """A marshmallow schema that Potion cannot serve as declared (raised at start-up)."""


class UnmappedField(DeclarationError):
    """A custom marshmallow field type with no Potion mapping (raised at start-up)."""


def potion_errors(messages: Any, path: list[Any], rule: dict[str, Any]) -> list[dict[str, Any]]:
    """marshmallow ``messages`` (a string, a list, or a dict keyed by field name or
    index) as Potion error entries: one ``{"path", "message", "validationOf"}`` per
    message, the path leading to the value it is about."""
    if isinstance(messages, dict):
        errors = []
        for key, value in messages.items():
            errors += potion_errors(value, path if key == _SCHEMA else [*path, key], rule)
        return errors
    if isinstance(messages, (list, tuple)):
        return [error for message in messages for error in potion_errors(message, path, rule)]
    return [{"path": list(path), "message": str(messages), "validationOf": dict(rule)}]


def validation_error(messages: Any, path: list[Any], rule: dict[str, Any]) -> ValidationError:
    """A Potion :class:`~potion.exceptions.ValidationError` (400) for marshmallow ``messages``."""
    return ValidationError(potion_errors(messages, path, rule))
