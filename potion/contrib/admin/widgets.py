"""Form inputs drawn from a resource's fields and their JSON Schema.

Each field of a form becomes a :class:`Widget`: which input it is (by the
field's class for references and dates, else by its JSON Schema: type, format,
enum, maxLength), whether it is required, editable, nullable.  A widget turns a
value of the API (JSON) into the text of its input, and the text the browser
sends back into the JSON value for the API, or :data:`OMIT` when the field is
left out of the request.  Values the widget cannot read (``abc`` in a number
input) are sent as they are, so that the API's validation names the problem.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from ... import fields
from .registry import humanize

__all__ = ["Widget", "OMIT", "LocalError", "widget_for", "KINDS"]

#: The value of a field left out of the request body.
OMIT: Any = type("Omit", (), {"__repr__": lambda self: "OMIT"})()

KINDS = frozenset(
    {
        "text",
        "textarea",
        "integer",
        "number",
        "checkbox",
        "tristate",
        "enum",
        "email",
        "url",
        "password",
        "date",
        "datetime",
        "date-string",
        "datetime-string",
        "toone",
        "tomany",
        "json",
    }
)
#: Strings longer than this (or of no maximum length) get a textarea.
LONG_TEXT = 255
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_BOOLEAN = {"true": True, "yes": True, "1": True, "on": True}
_BOOLEAN.update({"false": False, "no": False, "0": False, "off": False})


class LocalError(ValueError):
    """Input the admin itself cannot turn into JSON (malformed JSON text)."""


def _types(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type")
    if isinstance(kind, list):
        return {str(k) for k in kind}
    if isinstance(kind, str):
        return {kind}
    found: set[str] = set()
    for option in schema.get("anyOf") or schema.get("oneOf") or ():
        if isinstance(option, Mapping):
            found |= _types(option)
    return found


@dataclass
class Widget:
    """One input of a create or edit form."""

    key: str
    field: Any
    kind: str
    label: str
    required: bool
    editable: bool
    nullable: bool
    description: str | None = None
    schema: dict[str, Any] = field(default_factory=dict)
    choices: list[tuple[str, str]] = field(default_factory=list)
    target: Any = None

    @property
    def input_id(self) -> str:
        return f"field-{self.key}"

    @property
    def error_id(self) -> str:
        return f"error-{self.key}"

    @property
    def multiple(self) -> bool:
        return self.kind == "tomany"

    @property
    def html_type(self) -> str:
        """The ``type`` of an ``<input>`` widget."""
        return {
            "integer": "number",
            "number": "number",
            "email": "email",
            "url": "url",
            "password": "password",
            "date": "date",
            "date-string": "date",
            "datetime": "datetime-local",
            "datetime-string": "datetime-local",
        }.get(self.kind, "text")

    @property
    def element(self) -> str:
        """``input``, ``textarea``, ``select`` or ``checkbox``."""
        if self.kind in ("textarea", "json"):
            return "textarea"
        if self.kind in ("enum", "toone", "tomany", "tristate"):
            return "select"
        if self.kind == "checkbox":
            return "checkbox"
        return "input"

    @property
    def attributes(self) -> dict[str, Any]:
        """Constraints of the schema as HTML attributes (the API checks them anyway)."""
        schema = self.schema
        attributes: dict[str, Any] = {}
        if self.kind in ("text", "textarea", "email", "url", "password"):
            if "maxLength" in schema:
                attributes["maxlength"] = schema["maxLength"]
            if "minLength" in schema:
                attributes["minlength"] = schema["minLength"]
        if self.kind in ("integer", "number"):
            for key in ("minimum", "maximum"):
                if key in schema:
                    attributes[key[:3]] = schema[key]
            attributes["step"] = "1" if self.kind == "integer" else "any"
        if self.kind in ("datetime", "datetime-string"):
            attributes["step"] = "1"
        return attributes

    @property
    def suggestions(self) -> list[str]:
        """Values worth offering when this field is filtered (yes/no, an enum's values)."""
        if self.kind in ("checkbox", "tristate"):
            return ["true", "false"]
        return [value for value, _ in self.choices]

    # -- JSON → input ---------------------------------------------------------------

    def to_input(self, value: Any) -> Any:
        """The input's value for a JSON value of the API: a string (a list of strings
        for a multiple select, a bool for a checkbox)."""
        kind = self.kind
        if kind == "checkbox":
            return bool(value)
        if kind == "tomany":
            return [reference_of(v) for v in value or ()]
        if value is None:
            return ""
        if kind == "tristate":
            return "true" if value else "false"
        if kind == "toone":
            return reference_of(value)
        if kind == "date" and isinstance(value, Mapping):
            return _from_milliseconds(value.get("$date")).date().isoformat()
        if kind == "datetime" and isinstance(value, Mapping):
            return _from_milliseconds(value.get("$date")).strftime("%Y-%m-%dT%H:%M:%S")
        if kind == "datetime-string" and isinstance(value, str):
            try:
                moment = datetime.datetime.fromisoformat(value)
            except ValueError:
                return value
            if moment.tzinfo is not None:
                moment = moment.astimezone(datetime.UTC)
            return moment.strftime("%Y-%m-%dT%H:%M:%S")
        if kind == "json":
            return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            return json.dumps(value, ensure_ascii=False)
        return str(value)

    # -- input → JSON -----------------------------------------------------------------

    def from_form(self, form: Any, creating: bool) -> Any:
        """The JSON value for the API from the submitted ``form``, or :data:`OMIT`."""
        kind = self.kind
        if kind == "checkbox":
            return self.key in form
        if kind == "tomany":
            return [_reference_value(raw) for raw in form.getlist(self.key) if raw]
        raw = form.get(self.key, "")
        if kind in ("text", "textarea", "email", "url"):
            if raw == "":
                # a new item takes the default; a cleared value is null where allowed
                if creating:
                    return "" if self.required else OMIT
                return None if self.nullable else ""
            return raw.replace("\r\n", "\n")
        if raw.strip() == "":
            if kind == "password" or creating:
                return OMIT
            return None  # cleared: the API refuses null where it is not allowed
        return self.convert_text(raw.strip())

    def convert_text(self, raw: str) -> Any:
        """The JSON value of a non-blank text typed for this field (form or filter)."""
        kind = self.kind
        if kind in ("text", "textarea", "email", "url", "password", "enum", "date-string"):
            return raw
        if kind in ("checkbox", "tristate"):
            return _BOOLEAN.get(raw.lower(), raw)
        if kind == "integer":
            try:
                return int(raw)
            except ValueError:
                return _number_or_text(raw)
        if kind == "number":
            return _number_or_text(raw)
        if kind == "toone":
            return _reference_value(raw)
        if kind == "date":
            return _date_value(raw)
        if kind == "datetime":
            return _datetime_value(raw)
        if kind == "datetime-string":
            return _datetime_string(raw)
        if kind == "json":
            try:
                return json.loads(raw)
            except ValueError as exc:
                raise LocalError(f"Enter valid JSON ({exc.args[0]})") from None
        return raw

    def display(self, value: Any) -> str:
        """The value as text, for read-only fields and table cells (references aside)."""
        if value is None:
            return ""
        if self.kind in ("checkbox", "tristate"):
            return "Yes" if value else "No"
        if self.kind == "password":
            return ""
        if self.kind == "date" and isinstance(value, Mapping):
            return self.to_input(value)
        if self.kind == "datetime" and isinstance(value, Mapping):
            return self.to_input(value).replace("T", " ") + " UTC"
        if self.kind == "datetime-string":
            return self.to_input(value).replace("T", " ") + " UTC"
        if isinstance(value, (dict, list)):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        if isinstance(value, bool):
            return "Yes" if value else "No"
        return str(value)


def reference_of(value: Any) -> str:
    """The text form of a reference of the API: the ``$ref`` URI, else the id."""
    if isinstance(value, Mapping):
        return str(value.get("$ref", ""))
    return "" if value is None else str(value)


def _reference_value(raw: str) -> Any:
    return {"$ref": raw} if raw.startswith("/") else raw


def _number_or_text(raw: str) -> Any:
    try:
        number = float(raw)
    except ValueError:
        return raw
    if number != number or number in (float("inf"), float("-inf")):
        return raw
    return int(number) if number.is_integer() and "." not in raw and "e" not in raw else number


def _from_milliseconds(milliseconds: Any) -> datetime.datetime:
    try:
        return _EPOCH + datetime.timedelta(milliseconds=int(milliseconds))
    except (TypeError, ValueError, OverflowError):
        return _EPOCH


def _milliseconds(moment: datetime.datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _date_value(raw: str) -> Any:
    try:
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        return raw
    return {"$date": (day.toordinal() - 719163) * 86400000}


def _parse_moment(raw: str) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.fromisoformat(raw)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def _datetime_value(raw: str) -> Any:
    moment = _parse_moment(raw)
    return raw if moment is None else {"$date": _milliseconds(moment)}


def _datetime_string(raw: str) -> Any:
    moment = _parse_moment(raw)
    return raw if moment is None else moment.isoformat().replace("+00:00", "Z")


# -- choosing the widget ------------------------------------------------------------


def _kind(field_: Any, schema: Mapping[str, Any]) -> str:
    if isinstance(field_, fields.ToOne):
        return "toone"
    if isinstance(field_, fields.Array) and isinstance(field_.container, fields.ToOne):
        return "tomany"
    if isinstance(field_, fields.DateTime):
        return "datetime"
    if isinstance(field_, fields.Date):
        return "date"
    if isinstance(field_, fields.DateTimeString):
        return "datetime-string"
    if isinstance(field_, fields.DateString):
        return "date-string"
    types = _types(schema) - {"null"}
    if types == {"boolean"}:
        return "checkbox"
    if types == {"integer"}:
        return "integer"
    if types <= {"integer", "number"} and types:
        return "number"
    if types == {"string"}:
        if "r" not in field_.io:
            return "password"
        if schema.get("enum"):
            return "enum"
        fmt = schema.get("format")
        if fmt == "email":
            return "email"
        if fmt in ("uri", "url"):
            return "url"
        if fmt == "date":
            return "date-string"
        if fmt == "date-time":
            return "datetime-string"
        length = schema.get("maxLength")
        if length is None:
            return "text" if "pattern" in schema else "textarea"
        return "textarea" if length > LONG_TEXT else "text"
    return "json"


def widget_for(
    key: str,
    field_: Any,
    creating: bool,
    required: bool,
    override: str | None = None,
) -> Widget:
    """The widget of the field ``key`` in a create (``creating``) or edit form."""
    schema = dict(field_.request) if isinstance(field_.request, Mapping) else {}
    kind = override or _kind(field_, schema)
    if kind not in KINDS:
        raise ValueError(f"Unknown admin widget {kind!r} for {key!r} (known: {sorted(KINDS)})")
    nullable = bool(field_.nullable) or "null" in _types(schema)
    if kind == "checkbox" and nullable:
        kind = "tristate"
    editable = ("c" if creating else "u") in field_.io
    target = None
    if kind == "toone":
        target = field_.target
    elif kind == "tomany":
        target = field_.container.target
    choices: list[tuple[str, str]] = []
    if kind == "enum":
        choices = [(str(v), str(v)) for v in schema.get("enum") or () if v is not None]
    return Widget(
        key=key,
        field=field_,
        kind=kind,
        label=field_.title or humanize(key),
        required=required,
        editable=editable,
        nullable=nullable,
        description=field_.description,
        schema=schema,
        choices=choices,
        target=target,
    )
