"""marshmallow fields as Potion fields: the mapping of every field type, and its registry.

:func:`register` maps a field class to a *converter*, ``converter(field, convert)``,
which returns the Potion field for one (bound) marshmallow field; ``convert`` is
the :class:`Conversion` at work, to convert inner fields (``convert(field.inner)``)
and nested schemas (``convert.schema(schema)``).  A class without a converter of
its own uses its nearest registered base class, unless it overrides ``_serialize``
or ``_deserialize`` (its wire format may then differ): such a class is refused
with :class:`~.errors.UnmappedField` when the resource is declared.

Whatever the converter returns, :class:`Conversion` then applies the options every
field has: ``dump_only``/``load_only`` (``io``), ``allow_none`` (``nullable``),
``load_default``/``dump_default``, ``metadata`` (title, description and JSON
Schema keywords, as apispec reads them) and ``validate``: a validator with a JSON
Schema form (Length, Range, OneOf, NoneOf, Regexp, Equal, ContainsOnly,
ContainsNoneOf; Email and URL also publish a ``format``) becomes JSON Schema
keywords; any other runs in Python after the field's conversion (its
:class:`~.fields.Steps`), and the field's description says so.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import marshmallow as ma
from marshmallow import fields as ma_fields
from marshmallow import validate

from ... import fields
from .errors import DeclarationError, UnmappedField
from .fields import (
    ComputedValue,
    ConstantValue,
    DateTimeValue,
    DateValue,
    DictValue,
    IntegerValue,
    ListValue,
    MarshmallowValue,
    NestedValue,
    NumberValue,
    PluckValue,
    Steps,
    StringValue,
    TupleValue,
)
from .schemas import Hooks, MarshmallowFieldSet

__all__ = ["register", "converter_for", "Conversion", "Converter"]

Converter = Callable[[ma_fields.Field, "Conversion"], fields.Raw]

_REGISTRY: dict[type, Converter] = {}
#: Converters of classes from libraries imported only when used, by qualified name.
_BY_NAME: dict[str, Converter] = {}

_ISO = ("iso", "iso8601")
_DATETIME_PATTERN = (
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}(?::\d{2}(?::\d{2}(?:[.,]\d+)?)?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?)?)?$"
)
_TIME_PATTERN = r"^\d{2}(?::\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$"
_DECIMAL_PATTERN = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"

#: JSON Schema keywords taken from a field's ``metadata`` (apispec's convention).
_METADATA_KEYWORDS = frozenset(
    "type format enum pattern minimum maximum exclusiveMinimum exclusiveMaximum multipleOf "
    "minLength maxLength minItems maxItems uniqueItems minProperties maxProperties items "
    "properties additionalProperties readOnly example examples".split()
)


def register(field_class: type[ma_fields.Field], converter: Converter | dict[str, Any]) -> None:
    """Declare how Potion serves a marshmallow field type.

    ``converter`` is either ``converter(field, convert) -> potion field``, or the
    JSON Schema (a dict) of the field's values: the field's own ``_serialize`` and
    ``_deserialize`` then format and convert them.  Register before the resources
    using the field are declared; registering a class again replaces its converter.
    """
    if not (isinstance(field_class, type) and issubclass(field_class, ma_fields.Field)):
        raise TypeError(f"register() takes a marshmallow field class, not {field_class!r}")
    if isinstance(converter, dict):
        schema = dict(converter)

        def from_schema(field: ma_fields.Field, convert: Conversion) -> fields.Raw:
            return MarshmallowValue(field, schema)

        _REGISTRY[field_class] = from_schema
    elif callable(converter):
        _REGISTRY[field_class] = converter
    else:
        raise TypeError(
            "A converter is a function (field, convert) -> Potion field, or a JSON Schema dict"
        )


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _own(cls: type) -> Converter | None:
    return _REGISTRY.get(cls) or _BY_NAME.get(_qualified(cls))


def converter_for(field_class: type) -> tuple[Converter | None, type | None]:
    """``(converter, base)``: the converter of ``field_class`` and the class it was
    registered for; ``(None, base)`` when the class overrides the formatting or
    parsing of its registered ``base`` (or ``(None, None)`` without any)."""
    converter = _own(field_class)
    if converter is not None:
        return converter, field_class
    for base in field_class.__mro__[1:]:
        converter = _own(base)
        if converter is None:
            continue
        for method in ("_serialize", "_deserialize"):
            if getattr(field_class, method, None) is not getattr(base, method, None):
                return None, base
        return converter, base
    return None, None


# -- the conversion of one declaration ----------------------------------------------


class Conversion:
    """Converts the fields of marshmallow schemas for one declaration (at start-up).

    :param where: names the declaration in error messages.
    """

    def __init__(self, where: str) -> None:
        self.where = where
        self._schemas: list[type] = []

    def schema(self, schema: ma.Schema, partial: bool = False) -> MarshmallowFieldSet:
        """The Potion FieldSet of a (marshmallow) schema instance."""
        schema_class = type(schema)
        if schema_class in self._schemas:
            chain = " -> ".join(cls.__name__ for cls in [*self._schemas, schema_class])
            raise DeclarationError(
                f"{self.where}: the schemas nest each other ({chain}); Potion publishes every "
                "nested schema inline, so it cannot serve a recursive one: nest a schema "
                "with only= the fields you need, or use a reference"
            )
        self._schemas.append(schema_class)
        try:
            converted: dict[str, fields.Raw] = {}
            required: set[str] = set()
            for name, field in schema.fields.items():
                key = field.data_key or name
                potion = self.field(field, f"{schema_class.__name__}.{name}")
                attribute = field.attribute or name
                if attribute != key:
                    potion.attribute = attribute
                converted[key] = potion
                if field.required and not field.dump_only and not partial:
                    required.add(key)
            hooks = Hooks(schema, self.where)
            return MarshmallowFieldSet(converted, required, hooks)
        finally:
            self._schemas.pop()

    def __call__(self, field: ma_fields.Field) -> fields.Raw:
        """The Potion field of an inner field (a list's items, a dict's values...)."""
        return self.field(field, f"{type(field).__name__} inside {field.name or 'a field'}")

    def field(self, field: ma_fields.Field, label: str, keys: bool = False) -> fields.Raw:
        """The Potion field of ``field``, with its options; ``label`` names it in errors.

        With ``keys``, the field checks an object's keys: its validators all run in
        Python (JSON Schema draft 4 cannot constrain property names).
        """
        converter, base = converter_for(type(field))
        if converter is None:
            raise UnmappedField(_unmapped_message(self.where, label, type(field), base))
        potion = converter(field, self)
        if not isinstance(potion, fields.Raw):
            raise TypeError(
                f"{self.where}: the converter of {type(field).__name__} returned "
                f"{potion!r}, not a Potion field"
            )
        self._options(field, potion, keys)
        return potion

    def _options(self, field: ma_fields.Field, potion: fields.Raw, keys: bool) -> None:
        read_only = field.dump_only or potion.io == "r"
        potion.io = fields.normalize_io("r" if read_only else "w" if field.load_only else "rw")
        potion.nullable = bool(field.allow_none)
        potion.optional = True  # marshmallow's ``required`` decides (FieldSet.required)
        potion.default = None if field.load_default is ma.missing else field.load_default
        potion.publishes_callable_default = False  # a callable load_default is not shown
        if field.dump_default is not ma.missing:
            potion.output_default = field.dump_default
        metadata = dict(field.metadata or {})
        if metadata.get("title") is not None:
            potion.title = metadata["title"]
        keywords = dict(potion.keywords or {})
        keywords.update({k: v for k, v in metadata.items() if k in _METADATA_KEYWORDS})
        keywords.update({k: v for k, v in metadata.items() if k.startswith("x-")})
        checks: list[tuple[str, Any]] = []
        for validator in _flatten(field.validators):
            found = None if keys else _validator_keywords(validator, potion)
            if found is not None:
                target, extra, also_python = found
                goal = keywords if target is potion else dict(target.keywords or {})
                if not goal.keys() & extra.keys():
                    goal.update(extra)
                    if target is not potion:
                        target.keywords = goal
                    if not also_python:
                        continue
            checks.append((_name(validator), validator))
        potion.keywords = keywords or None
        notes = [note for note in [getattr(potion, "note", None)] if note]
        notes += [name for name, _ in checks]
        description = metadata.get("description")
        if notes:
            also = f"The server also checks: {', '.join(notes)}."
            description = f"{description} {also}" if description else also
        if description is not None:
            potion.description = description
        pre_load = list(getattr(field, "pre_load", None) or ())
        post_load = list(getattr(field, "post_load", None) or ())
        if checks or pre_load or post_load:
            potion.marshmallow_steps = Steps(  # type: ignore[attr-defined]
                pre_load,
                checks,
                post_load,
                str(field.error_messages.get("validator_failed", "Invalid value.")),
            )


def _unmapped_message(where: str, label: str, field_class: type, base: type | None) -> str:
    name = field_class.__name__
    reason = (
        f"it changes how {base.__name__} writes or reads values (_serialize/_deserialize)"
        if base is not None
        else "no mapping is registered for it"
    )
    return (
        f"{where}: {label} is a {name}, a marshmallow field type Potion cannot publish: "
        f"{reason}. Declare its JSON Schema before the resource, e.g. "
        f'potion.contrib.marshmallow.register({name}, {{"type": "string"}}) (its own '
        f"_serialize/_deserialize then run), or register({name}, converter) with "
        "converter(field, convert) returning a Potion field"
    )


def _flatten(validators: Any) -> list[Any]:
    result = []
    for validator in validators or ():
        if isinstance(validator, validate.And):
            result += _flatten(validator.validators)
        else:
            result.append(validator)
    return result


def _name(validator: Any) -> str:
    if isinstance(validator, validate.Validator):
        return type(validator).__name__
    return getattr(validator, "__name__", None) or type(validator).__name__


# -- validators as JSON Schema --------------------------------------------------------

#: Potion fields whose Python value is the JSON value itself.
_PLAIN = (
    fields.String,
    fields.Email,
    fields.Uri,
    fields.Integer,
    fields.PositiveInteger,
    fields.Number,
    fields.Boolean,
)


def _plain(potion: fields.Raw) -> bool:
    return type(potion) in _PLAIN


def _json_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_LENGTH_KEYWORDS = {
    "string": ("minLength", "maxLength"),
    "array": ("minItems", "maxItems"),
    "object": ("minProperties", "maxProperties"),
}


def _validator_keywords(
    validator: Any, potion: fields.Raw
) -> tuple[fields.Raw, dict[str, Any], bool] | None:
    """``(field, keywords, also_python)``: the JSON Schema form of ``validator`` on
    ``potion`` (or on its items), or None when it has none and must run in Python."""
    kind = potion.json_type
    plain = _plain(potion)
    items = potion.container if isinstance(potion, fields.Array) else None
    if isinstance(validator, validate.Length):
        if kind == "string" and not plain:
            return None
        if kind not in _LENGTH_KEYWORDS or (kind == "object" and not isinstance(potion, DictValue)):
            return None
        low, high = _LENGTH_KEYWORDS[kind]
        least = validator.equal if validator.equal is not None else validator.min
        most = validator.equal if validator.equal is not None else validator.max
        extra = {k: v for k, v in ((low, least), (high, most)) if v is not None}
        return potion, extra, False
    if isinstance(validator, validate.Range):
        if not plain or kind not in ("integer", "number"):
            return None
        if not all(v is None or _number(v) for v in (validator.min, validator.max)):
            return None
        extra = {}
        if validator.min is not None:
            extra["minimum"] = validator.min
            if not validator.min_inclusive:
                extra["exclusiveMinimum"] = True
        if validator.max is not None:
            extra["maximum"] = validator.max
            if not validator.max_inclusive:
                extra["exclusiveMaximum"] = True
        return potion, extra, False
    if isinstance(validator, (validate.ContainsOnly, validate.ContainsNoneOf)):
        if items is None or not _plain(items):
            return None
        values = list(
            validator.choices if isinstance(validator, validate.OneOf) else validator.iterable
        )
        if not all(_json_scalar(v) for v in values):
            return None
        enum_ = {"enum": values}
        return items, enum_ if isinstance(validator, validate.OneOf) else {"not": enum_}, False
    if isinstance(validator, (validate.OneOf, validate.NoneOf, validate.Equal)):
        if not plain:
            return None
        if isinstance(validator, validate.Equal):
            values = [validator.comparable]
        elif isinstance(validator, validate.OneOf):
            values = list(validator.choices)
        else:
            values = list(validator.iterable)
        if not all(_json_scalar(v) for v in values):
            return None
        if isinstance(validator, validate.NoneOf):
            return potion, {"not": {"enum": values}}, False
        return potion, {"enum": values}, False
    if isinstance(validator, validate.Regexp):
        regex = validator.regex
        if not plain or kind != "string" or not isinstance(regex.pattern, str):
            return None
        if regex.flags & ~re.UNICODE:
            return None  # flags have no JSON Schema form
        pattern = regex.pattern
        # marshmallow matches at the start of the value; JSON Schema searches anywhere
        return potion, {"pattern": pattern if pattern.startswith("^") else f"^(?:{pattern})"}, False
    if isinstance(validator, validate.Email):
        if kind != "string":
            return None
        return potion, {"format": "email"}, True  # JSON Schema's format is looser
    if isinstance(validator, validate.URL):
        if kind != "string" or validator.relative or not validator.absolute:
            return None
        return potion, {"format": "uri"}, True
    return None


# -- the mapping of marshmallow's field types ---------------------------------------------


def _string(field: Any, convert: Conversion) -> fields.Raw:
    return fields.String()


def _integer(field: Any, convert: Conversion) -> fields.Raw:
    return fields.Integer()


def _float(field: Any, convert: Conversion) -> fields.Raw:
    return fields.Number()


def _boolean(field: Any, convert: Conversion) -> fields.Raw:
    return fields.Boolean()


def _any(field: Any, convert: Conversion) -> fields.Raw:
    return fields.Any()


def _noted(potion: Any, note: str | None) -> Any:
    potion.note = note
    return potion


def _decimal(field: Any, convert: Conversion) -> fields.Raw:
    if field.as_string:
        schema = {"type": "string", "pattern": _DECIMAL_PATTERN}
        return _noted(StringValue(field, schema), "a decimal number")
    return NumberValue(field, {"type": "number"})


def _uuid(field: Any, convert: Conversion) -> fields.Raw:
    return _noted(StringValue(field, {"type": "string", "format": "uuid"}), "a UUID")


def _date(field: Any, convert: Conversion) -> fields.Raw:
    if field.format in _ISO:
        return fields.DateString()
    schema = {"type": "string"}
    return _noted(DateValue(field, schema), f"a date in the format {field.format!r}")


def _datetime(field: Any, convert: Conversion) -> fields.Raw:
    data_format = field.format
    if data_format in ("timestamp", "timestamp_ms"):
        unit = "seconds" if data_format == "timestamp" else "milliseconds"
        schema: dict[str, Any] = {"type": "number", "description": f"{unit} since the epoch"}
        return NumberValue(field, schema)
    if data_format in _ISO:
        aware_only = isinstance(field, ma_fields.AwareDateTime) and not field.default_timezone
        if aware_only:
            return DateTimeValue(field, {"type": "string", "format": "date-time"})
        schema = {"type": "string", "pattern": _DATETIME_PATTERN}
        return _noted(DateTimeValue(field, schema), "an ISO 8601 date and time")
    if data_format in ("rfc", "rfc822"):
        return _noted(DateTimeValue(field, {"type": "string"}), "an RFC 822 date and time")
    note = f"a date and time in the format {data_format!r}"
    return _noted(DateTimeValue(field, {"type": "string"}), note)


def _time(field: Any, convert: Conversion) -> fields.Raw:
    if field.format in _ISO:
        schema = {"type": "string", "pattern": _TIME_PATTERN}
        return _noted(StringValue(field, schema), "an ISO 8601 time of day")
    note = f"a time of day in the format {field.format!r}"
    return _noted(StringValue(field, {"type": "string"}), note)


def _timedelta(field: Any, convert: Conversion) -> fields.Raw:
    return NumberValue(field, {"type": "number", "description": f"in {field.precision}"})


def _ip(field: Any, convert: Conversion) -> fields.Raw:
    if isinstance(field, ma_fields.IPv4):
        return StringValue(field, {"type": "string", "format": "ipv4"})
    if isinstance(field, ma_fields.IPv6):
        return StringValue(field, {"type": "string", "format": "ipv6"})
    return _noted(StringValue(field, {"type": "string"}), "an IP address")


def _ip_interface(field: Any, convert: Conversion) -> fields.Raw:
    return _noted(StringValue(field, {"type": "string"}), "an IP interface (address/prefix)")


def _enum(field: Any, convert: Conversion) -> fields.Raw:
    if not field.by_value:
        names = list(field.enum.__members__)
        return StringValue(field, {"type": "string", "enum": names})
    values = [field.field._serialize(member.value, None, None) for member in field.enum]
    if all(isinstance(v, str) for v in values):
        return StringValue(field, {"type": "string", "enum": values})
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return IntegerValue(field, {"type": "integer", "enum": values})
    if all(_number(v) for v in values):
        return NumberValue(field, {"type": "number", "enum": values})
    if all(_json_scalar(v) for v in values):
        return MarshmallowValue(field, {"enum": values})
    raise DeclarationError(
        f"{convert.where}: the values of {field.enum.__name__} are not JSON values; "
        "serve the enum by name (by_value=False) or by_value=a field that formats them"
    )


def _list(field: Any, convert: Conversion) -> fields.Raw:
    return ListValue(convert(field.inner), default=None)


def _tuple(field: Any, convert: Conversion) -> fields.Raw:
    return TupleValue([convert(inner) for inner in field.tuple_fields])


def _dict(field: Any, convert: Conversion) -> fields.Raw:
    keys = values = None
    if field.key_field is not None:
        label = f"the keys of {field.name or 'a dict'}"
        keys = convert.field(field.key_field, label, keys=True)
        if _plain(keys) and getattr(keys, "marshmallow_steps", None) is None:
            keys = None  # strings as they are
    if field.value_field is not None:
        values = convert(field.value_field)
    return DictValue(keys, values)


def _nested(field: Any, convert: Conversion) -> fields.Raw:
    schema = field.schema
    value = NestedValue(convert.schema(schema))
    if field.many or schema.many:
        return ListValue(value, default=None)
    return value


def _pluck(field: Any, convert: Conversion) -> fields.Raw:
    schema = field.schema
    name = field.field_name
    inner = schema.fields.get(name)
    if inner is None:
        raise DeclarationError(f"{convert.where}: Pluck of {name!r}, not a field of the schema")
    return PluckValue(convert(inner), inner.attribute or name, many=bool(field.many))


def _constant(field: Any, convert: Conversion) -> fields.Raw:
    constant = field.constant
    schema = {"enum": [constant]} if _json_scalar(constant) else {}
    return ConstantValue(constant, schema)


def _computed(field: Any, convert: Conversion) -> fields.Raw:
    return ComputedValue(field, {})


def _related(field: Any, convert: Conversion) -> fields.Raw:
    return fields.ToOne(field.related_model)


def _related_list(field: Any, convert: Conversion) -> fields.Raw:
    return fields.ToMany(field.inner.related_model)


for _class, _converter in (
    (ma_fields.Raw, _any),
    (ma_fields.Field, _any),
    (ma_fields.String, _string),
    (ma_fields.Email, _string),
    (ma_fields.Url, _string),
    (ma_fields.Integer, _integer),
    (ma_fields.Number, _float),
    (ma_fields.Float, _float),
    (ma_fields.Decimal, _decimal),
    (ma_fields.Boolean, _boolean),
    (ma_fields.UUID, _uuid),
    (ma_fields.Date, _date),
    (ma_fields.DateTime, _datetime),
    (ma_fields.NaiveDateTime, _datetime),
    (ma_fields.AwareDateTime, _datetime),
    (ma_fields.Time, _time),
    (ma_fields.TimeDelta, _timedelta),
    (ma_fields.IP, _ip),
    (ma_fields.IPv4, _ip),
    (ma_fields.IPv6, _ip),
    (ma_fields.IPInterface, _ip_interface),
    (ma_fields.IPv4Interface, _ip_interface),
    (ma_fields.IPv6Interface, _ip_interface),
    (ma_fields.Enum, _enum),
    (ma_fields.List, _list),
    (ma_fields.Tuple, _tuple),
    (ma_fields.Mapping, _dict),
    (ma_fields.Dict, _dict),
    (ma_fields.Nested, _nested),
    (ma_fields.Pluck, _pluck),
    (ma_fields.Constant, _constant),
    (ma_fields.Method, _computed),
    (ma_fields.Function, _computed),
):
    _REGISTRY[_class] = _converter

# marshmallow-sqlalchemy's relationship fields, without importing it (or SQLAlchemy)
_BY_NAME["marshmallow_sqlalchemy.fields.Related"] = _related
_BY_NAME["marshmallow_sqlalchemy.fields.RelatedList"] = _related_list
