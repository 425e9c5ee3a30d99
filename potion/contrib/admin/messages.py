"""The API's errors in words, placed next to the fields they are about.

A validation error of the API names the failed JSON Schema keyword
(``{"path": ["year"], "validationOf": {"maximum": 2100}}``); the admin says it in
a sentence for the field at the head of the path.  Errors that name no field of
the form go to the summary at the top of the form.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from werkzeug.http import HTTP_STATUS_CODES

from .dispatch import Answer
from .registry import humanize

__all__ = ["field_errors", "describe"]

_TYPES = {
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "boolean": "yes or no",
    "object": "a valid value",
    "array": "a list",
}
#: The messages of errors that say nothing more than their status.
_GENERIC = frozenset(HTTP_STATUS_CODES.values())
_FORMATS = {
    "email": "a valid email address",
    "uri": "a valid URL",
    "date": "a valid date",
    "date-time": "a valid date and time",
}


def describe(error: dict[str, Any], sent: Any = None) -> str:
    """One error of the API as a sentence."""
    message = error.get("message")
    validation = error.get("validationOf")
    if not isinstance(validation, dict) or not validation:
        return str(message or "This value is not valid")
    keyword, value = next(iter(validation.items()))
    if keyword == "required":
        return "This field is required"
    if keyword == "type":
        if sent is None:
            return "This field is required"
        kinds = value if isinstance(value, list) else [value]
        words = [_TYPES.get(str(k), str(k)) for k in kinds if k != "null"]
        return f"Enter {' or '.join(words) or 'a valid value'}"
    if keyword == "minLength":
        if value == 1:
            return "This field cannot be empty"
        return f"Enter at least {value} characters"
    if keyword == "maxLength":
        return f"Enter at most {value} characters"
    if keyword == "minimum":
        return f"Enter a value of at least {value}"
    if keyword == "maximum":
        return f"Enter a value of at most {value}"
    if keyword == "pattern":
        return f"Enter a value in the expected format (the pattern {value})"
    if keyword == "format":
        return f"Enter {_FORMATS.get(str(value), 'a value in the format ' + str(value))}"
    if keyword == "enum":
        return "Choose one of: " + ", ".join(str(v) for v in value or () if v is not None)
    if keyword in ("anyOf", "oneOf", "$ref"):
        return str(message or "Choose an existing item")
    if keyword == "unique":
        return "This value is already used by another item"
    if keyword in ("minItems", "maxItems"):
        word = "at least" if keyword == "minItems" else "at most"
        return f"Choose {word} {value}"
    if keyword == "referencedBy":
        return f"Items of {value} still refer to it"
    if keyword == "additionalProperties":
        return "This field cannot be set here"
    return str(message or f"This value is not valid ({keyword})")


def field_errors(
    answer: Answer,
    keys: Iterable[str],
    body: dict[str, Any],
    labels: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], list[str]]:
    """``({field: message}, [summary messages])`` of an API error answer.

    ``keys`` are the fields of the form, ``body`` what was sent (a missing
    required field is reported by the API without a path).  The summary names
    fields by their ``labels`` (else their names in words).
    """
    keys = list(keys)
    labels = labels or {}

    def label(key: Any) -> str:
        return labels.get(str(key)) or humanize(str(key))

    by_field: dict[str, str] = {}
    summary: list[str] = []
    for error in answer.errors:
        path = list(error.get("path") or ())
        validation = error.get("validationOf") or {}
        if not path and isinstance(validation, dict) and "required" in validation:
            missing = [k for k in validation["required"] or () if k not in body]
            for key in missing:
                if key in keys:
                    by_field.setdefault(key, "This field is required")
                else:
                    summary.append(f"{label(key)} is required")
            continue
        head = path[0] if path else None
        if head is None and answer.message and answer.message not in _GENERIC:
            continue  # the answer's message says it (a delete others refer to)
        if head in keys:
            by_field.setdefault(str(head), describe(error, body.get(str(head), "")))
        else:
            where = " › ".join([label(path[0])] + [str(p) for p in path[1:]]) if path else ""
            text = describe(error)
            summary.append(f"{where}: {text}" if where else text)
    message = answer.message
    if message and (not by_field or summary):
        summary.insert(0, message)
    if not by_field and not summary:
        summary.append(message or f"The request failed ({answer.status})")
    return by_field, summary
