"""Error messages in plain words, for the ``POTION_ERROR_DETAIL`` setting.

Flask-Potion's error bodies list each problem as ``{"path": [...],
"validationOf": {<JSON Schema keyword>: <its value>}}``, which a program reads
well and a person less so.  With ``POTION_ERROR_DETAIL`` on, every entry of
``errors`` also gets a ``message`` naming the property and what is wrong with it
(``"'extra' is not a property of book"``, ``"'author' is required"``); the
entries are otherwise unchanged.  Off (the default), bodies are exactly
Flask-Potion's.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from flask import current_app, has_app_context

from .encoding import shown
from .settings import setting

__all__ = ["enabled", "message_for", "add_messages", "condition_message", "sort_message"]

_UNKNOWN: Any = object()

_TYPES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "an array",
    "null": "null",
}

_FORMATS = {
    "date": "a date such as 2024-05-15",
    "date-time": "a date and time such as 2024-05-15T09:30:00Z",
    "email": "an email address",
    "uri": "an absolute URI",
    "uuid": "a UUID",
    "ipv4": "an IPv4 address",
    "ipv6": "an IPv6 address",
}


def enabled() -> bool:
    """Whether the current app adds plain-word messages to errors."""
    return has_app_context() and bool(setting(current_app, "POTION_ERROR_DETAIL"))


def render_path(path: Iterable[Any]) -> str:
    """``["venue", "city"]`` → ``venue.city``; ``["tags", 1]`` → ``tags[1]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    return type(value).__name__


def _types(kind: Any) -> str:
    kinds = kind if isinstance(kind, list) else [kind]
    return " or ".join(_TYPES.get(k, str(k)) for k in kinds)


def _listed(names: list[Any]) -> str:
    return ", ".join(repr(n) for n in names)


def _form(schema: Any) -> str:
    """One accepted form of an ``anyOf``, in a few words."""
    if not isinstance(schema, dict):
        return "a value"
    properties = schema.get("properties")
    if schema.get("type") == "object" and properties:
        return "an object with " + " and ".join(repr(k) for k in properties)
    if "enum" in schema:
        return "one of " + ", ".join(shown(v) for v in schema["enum"])
    if "type" in schema:
        return _types(schema["type"])
    if "anyOf" in schema:
        return " or ".join(_form(s) for s in schema["anyOf"])
    return "a value"


def message_for(
    validator: str,
    value: Any,
    path: list[Any],
    instance: Any = _UNKNOWN,
    schema: Any = None,
    subject: str | None = None,
) -> str:
    """The plain-word message of one failed JSON Schema keyword.

    :param validator: the keyword (``"required"``, ``"type"``...) and ``value`` its value.
    :param path: where in the body; ``instance`` the value found there (when known)
        and ``schema`` the schema it failed.
    :param subject: what the body is (``"book"``), named when the problem is at the top.
    """
    where = render_path(path)
    name = repr(where) if where else (subject or "the body")
    owner = repr(where) if where else (subject or "the body")
    known = instance is not _UNKNOWN
    if validator == "additionalProperties":
        if known and isinstance(instance, dict) and isinstance(schema, dict):
            allowed = set(schema.get("properties") or ())
            patterns = list(schema.get("patternProperties") or ())
            extra = sorted(
                k
                for k in instance
                if k not in allowed and not any(re.search(p, k) for p in patterns)
            )
            if extra:
                verb = "is not a property" if len(extra) == 1 else "are not properties"
                return f"{_listed(extra)} {verb} of {owner}"
        return f"{owner} has a property it does not accept"
    if validator in ("required", "not_null"):
        names = list(value) if isinstance(value, (list, tuple)) else [value]
        if known and isinstance(instance, dict):
            names = [n for n in names if n not in instance] or names
        if path and names == [path[-1]]:
            path = path[:-1]  # the data store names the property in its path too
        full = [render_path([*path, n]) for n in names]
        return f"{_listed(full)} {'is' if len(full) == 1 else 'are'} required"
    if validator == "type" and value == "storable":
        return f"{name} holds a value the database cannot store"
    if validator == "type":
        found = f", not {_json_type(instance)}" if known else ""
        return f"{name} must be {_types(value)}{found}"
    if validator == "format":
        if isinstance(value, str) and value.startswith(("a ", "an ")):
            return f"{name} must be {value}"  # a format described in words
        return f"{name} must be {_FORMATS.get(value, f'a valid {value}')}"
    if validator in ("minimum", "maximum"):
        exclusive = isinstance(schema, dict) and schema.get(
            "exclusiveMinimum" if validator == "minimum" else "exclusiveMaximum"
        )
        if validator == "minimum":
            bound = "greater than" if exclusive else "at least"
        else:
            bound = "less than" if exclusive else "at most"
        return f"{name} must be {bound} {shown(value)}"
    if validator in ("minLength", "maxLength"):
        bound = "at least" if validator == "minLength" else "at most"
        unit = "character" if value == 1 else "characters"
        return f"{name} must be {bound} {value} {unit} long"
    if validator in ("minItems", "maxItems"):
        bound = "at least" if validator == "minItems" else "at most"
        return f"{name} must have {bound} {value} item{'' if value == 1 else 's'}"
    if validator in ("minProperties", "maxProperties"):
        bound = "at least" if validator == "minProperties" else "at most"
        return f"{name} must have {bound} {value} propert{'y' if value == 1 else 'ies'}"
    if validator == "uniqueItems":
        return f"{name} must not repeat an item"
    if validator == "enum":
        return f"{name} must be one of: {', '.join(shown(v) for v in value)}"
    if validator == "pattern":
        return f"{name} must match the pattern {value}"
    if validator == "multipleOf":
        return f"{name} must be a multiple of {shown(value)}"
    if validator in ("anyOf", "oneOf") and isinstance(value, list):
        return f"{name} must be " + " or ".join(_form(s) for s in value)
    if validator == "not":
        return f"{name} has a value that is not accepted"
    if validator == "$ref":
        return f"{name} refers to an item that does not exist"
    if validator == "foreign_key":
        names = list(value) if isinstance(value, (list, tuple)) else [value]
        return f"{_listed(names)} of {owner} refer{'s' if len(names) == 1 else ''} to an item that does not exist"
    if validator == "unique":
        if isinstance(value, (list, tuple)) and value:
            return f"another {subject or 'item'} has the same {', '.join(map(str, value))}"
        return f"{name} must be unique: another item has this value"
    if validator == "referencedBy":
        return f"other items still refer to it (from {value})"
    return f"{name} is not valid ({validator})"


def add_messages(entries: list[dict[str, Any]], subject: str | None = None) -> list[dict[str, Any]]:
    """``entries`` with a ``message`` added to each that has none (from its
    ``path`` and ``validationOf``)."""
    result = []
    for entry in entries:
        if "message" not in entry and isinstance(entry.get("validationOf"), dict):
            rule = entry["validationOf"]
            if rule:
                ((validator, value),) = list(rule.items())[:1]
                entry = dict(
                    entry,
                    message=message_for(
                        validator,
                        value,
                        list(entry.get("path") or ()),
                        subject=entry.get("resource") or subject,
                    ),
                )
        result.append(entry)
    return result


def condition_message(key: str, value: Any, field_filters: dict[str, Any]) -> str:
    """Why ``where``'s condition on ``key`` is refused."""
    accepted = ", ".join("$" + name for name in field_filters)
    if isinstance(value, dict) and value and all(str(k).startswith("$") for k in value):
        if len(value) > 1:
            return f"one operator per condition: {key!r} has {' and '.join(value)}"
        ((operator, operand),) = value.items()
        filter_ = field_filters.get(operator[1:])
        if filter_ is None:
            return f"unknown operator {operator!r} for {key!r}; accepted: {accepted}"
        return _operand_message(key, operator, operand, filter_)
    equal = field_filters.get("eq")
    if equal is None:
        return f"{key!r} takes an operator: one of {accepted}"
    return _operand_message(key, None, value, equal)


def _operand_message(key: str, operator: str | None, operand: Any, filter_: Any) -> str:
    from .validation import Validator

    validator = getattr(filter_, "_validator", None) or Validator(filter_.value_schema())
    errors = validator.errors(operand, subject="the value")
    text = errors[0].get("message", "") if errors else ""
    label = f"{operator} on {key!r}" if operator else repr(key)
    return f"{label}: {text or 'the value is not accepted'}"


def sort_message(key: str, sortable: Iterable[str]) -> str:
    """Why ``sort`` cannot order by ``key``."""
    names = ", ".join(sorted(sortable))
    return f"cannot sort by {key!r}; sortable: {names}" if names else f"cannot sort by {key!r}"
