"""JSON Schema validation, compiled once per schema.

A request is checked by a validator compiled to Python code by ``fastjsonschema``
(built the first time the schema is used, never per request).  Only when that
check fails is the schema walked again by ``jsonschema`` to collect *every* error
for the response body.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import fastjsonschema
import jsonschema
from fastjsonschema.draft04 import CodeGeneratorDraft04
from flask import current_app, has_app_context

from . import error_detail
from .exceptions import ValidationError

DRAFT4 = "http://json-schema.org/draft-04/schema#"

__all__ = ["Validator", "compile_validator"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _is_date(value: Any) -> bool:
    """A full date (``2020-01-31``) that exists in the calendar."""
    if not isinstance(value, str):
        return True
    if not _DATE.match(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


#: Formats checked beyond fastjsonschema's draft-4 set.
FORMATS: dict[str, Any] = {"date": _is_date}


def _format_checker() -> jsonschema.FormatChecker:
    """The formats of the fast validator, for the error collector: both agree."""
    checker = jsonschema.FormatChecker(list(jsonschema.Draft4Validator.FORMAT_CHECKER.checkers))
    checks: dict[str, Any] = dict(FORMATS)
    for name, pattern in CodeGeneratorDraft04.FORMAT_REGEXS.items():
        regex = re.compile(pattern)
        checks.setdefault(
            name, lambda value, regex=regex: not isinstance(value, str) or bool(regex.match(value))
        )
    for name, check in checks.items():
        checker.checks(name)(check)
    return checker


_FORMAT_CHECKER = _format_checker()


class Validator:
    """Validates instances against one JSON Schema (draft 4) with formats."""

    __slots__ = ("schema", "subject", "_check", "_collector")

    def __init__(self, schema: Any, subject: str | None = None) -> None:
        self.schema = schema
        #: What an instance is (``"book"``), for plain-word messages.
        self.subject = subject
        definition = dict(schema) if isinstance(schema, dict) else schema
        if isinstance(definition, dict):
            definition.setdefault("$schema", DRAFT4)
        # use_default=False: validating must not write schema defaults into the
        # instance (a PATCH would reset every omitted field to its default).
        self._check = fastjsonschema.compile(definition, formats=FORMATS, use_default=False)
        self._collector: jsonschema.Draft4Validator | None = None

    def is_valid(self, instance: Any) -> bool:
        try:
            self._check(instance)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    def validate(self, instance: Any) -> None:
        """Raise :class:`~potion.exceptions.ValidationError` listing every error."""
        try:
            self._check(instance)
        except fastjsonschema.JsonSchemaException as exc:
            raise ValidationError(self.errors(instance, exc)) from None

    def errors(
        self, instance: Any, fast_error: Any = None, subject: str | None = None
    ) -> list[dict[str, Any]]:
        """All errors of ``instance`` in Potion's wire format.

        Each entry has a ``message`` when ``POTION_ERROR_DETAIL`` is on (in plain
        words, naming ``subject`` or the validator's own for a problem at the top),
        else in debug mode (the JSON Schema library's words).
        """
        if self._collector is None:
            self._collector = jsonschema.Draft4Validator(
                self.schema, format_checker=_FORMAT_CHECKER
            )
        detail = error_detail.enabled()
        subject = subject or self.subject
        debug = has_app_context() and current_app.debug
        seen: set[tuple[Any, ...]] = set()
        errors: list[dict[str, Any]] = []
        for error in self._collector.iter_errors(instance):
            path = list(error.absolute_path)
            key = (tuple(path), error.validator)
            if key in seen:
                continue
            seen.add(key)
            entry: dict[str, Any] = {
                "path": path,
                "validationOf": {error.validator: error.validator_value},
            }
            if detail:
                entry["message"] = error_detail.message_for(
                    error.validator,
                    error.validator_value,
                    path,
                    error.instance,
                    error.schema,
                    subject,
                )
            elif debug:
                entry["message"] = error.message
            errors.append(entry)
        if not errors and fast_error is not None:
            # fastjsonschema checks some formats more strictly than jsonschema.
            path = [p for p in (fast_error.path or [])[1:]]
            entry = {"path": path, "validationOf": {fast_error.rule: fast_error.rule_definition}}
            if detail:
                entry["message"] = error_detail.message_for(
                    fast_error.rule, fast_error.rule_definition, path, subject=subject
                )
            elif debug:
                entry["message"] = fast_error.message
            errors.append(entry)
        return errors


def compile_validator(schema: Any) -> Validator:
    """A :class:`Validator` for ``schema``."""
    return Validator(schema)
