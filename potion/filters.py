"""The ``where`` and ``sort`` query language, parsed into backend-neutral objects.

A filter is one operator applied to one field (``year $gt 2000``).  Parsing a
request's ``where`` yields :class:`Condition` objects, ``sort`` yields
:class:`Sort` tuples; each backend translates them into its own query language
(SQL, a MongoDB query, Python predicates for the memory backend).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, NamedTuple

from . import error_detail, fields
from .encoding import loads
from .exceptions import InvalidJSON, ValidationError
from .validation import Validator

if TYPE_CHECKING:
    from .fields import Raw

__all__ = [
    "BaseFilter",
    "EqualFilter",
    "NotEqualFilter",
    "LessThanFilter",
    "LessThanEqualFilter",
    "GreaterThanFilter",
    "GreaterThanEqualFilter",
    "NumberLessThanFilter",
    "NumberLessThanEqualFilter",
    "NumberGreaterThanFilter",
    "NumberGreaterThanEqualFilter",
    "InFilter",
    "ContainsFilter",
    "StringContainsFilter",
    "StringIContainsFilter",
    "StartsWithFilter",
    "IStartsWithFilter",
    "EndsWithFilter",
    "IEndsWithFilter",
    "DateBetweenFilter",
    "Condition",
    "Sort",
    "NumberBaseFilter",
    "StringBaseFilter",
    "EQUALITY_FILTER_NAME",
    "FILTER_NAMES",
    "FILTERS_BY_TYPE",
    "filters_for_field",
    "filters_for_field_class",
    "filters_for_fields",
    "convert_filters",
    "parse_where",
    "parse_sort",
    "where_schema",
    "sort_schema",
    "SORTABLE_FIELD_TYPES",
    "NO_MATCH",
]


class _NoMatch:
    """The value of a condition on a reference to an item that does not exist."""

    _instance: _NoMatch | None = None

    def __new__(cls) -> _NoMatch:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_MATCH"

    def __bool__(self) -> bool:
        return False


#: A reference in ``where`` to a missing item: equality matches nothing.
NO_MATCH = _NoMatch()


class BaseFilter:
    """One operator on one field.

    ``name`` is the operator without its ``$`` (``"gt"``), ``value_schema`` the JSON
    Schema of the operand, ``convert`` turns the operand into a Python value and
    ``op`` evaluates the condition on a Python value (used by the memory backend).
    """

    name: str = ""

    def __init__(
        self, name: str | None = None, field: Raw | None = None, attribute: str | None = None
    ):
        if name is not None:
            self.name = name
        self.field = field
        self.attribute = attribute
        self._validator: Validator | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, attribute={self.attribute!r})"

    # -- schema ------------------------------------------------------------------

    def value_schema(self) -> dict[str, Any]:
        assert self.field is not None
        return _without_read_only(self.field.request)

    @property
    def request(self) -> dict[str, Any]:
        """The schema of the condition as written in ``where``: ``{"$op": value}``."""
        return {
            "type": "object",
            "properties": {"$" + self.name: self.value_schema()},
            "required": ["$" + self.name],
            "additionalProperties": False,
        }

    def schemas(self) -> list[dict[str, Any]]:
        """Every accepted form of the condition (equality also takes a bare value)."""
        return [self.request]

    def validate(self, value: Any) -> bool:
        if self._validator is None:
            self._validator = Validator(self.value_schema())
        return self._validator.is_valid(value)

    # -- values ------------------------------------------------------------------

    def convert(self, value: Any) -> Any:
        """The Python operand; references are resolved to the target's id."""
        field = self.field
        if isinstance(field, fields.ToOne):
            return field.convert_to_id(value)
        assert field is not None
        return field.convert(value, validate=False)

    def op(self, a: Any, b: Any) -> bool:
        raise NotImplementedError


def _without_read_only(schema: dict[str, Any]) -> dict[str, Any]:
    if isinstance(schema, dict) and "readOnly" in schema:
        schema = {k: v for k, v in schema.items() if k != "readOnly"}
    return schema


class EqualFilter(BaseFilter):
    name = "eq"

    def schemas(self) -> list[dict[str, Any]]:
        return [self.value_schema(), self.request]

    def op(self, a: Any, b: Any) -> bool:
        return bool(a == b)


class NotEqualFilter(BaseFilter):
    name = "ne"

    def op(self, a: Any, b: Any) -> bool:
        return bool(a != b)


def _compare(a: Any, b: Any, test: Any) -> bool:
    if a is None or b is None:
        return False
    try:
        return bool(test(a, b))
    except TypeError:
        return False


class LessThanFilter(BaseFilter):
    name = "lt"

    def op(self, a: Any, b: Any) -> bool:
        return _compare(a, b, lambda x, y: x < y)


class LessThanEqualFilter(BaseFilter):
    name = "lte"

    def op(self, a: Any, b: Any) -> bool:
        return _compare(a, b, lambda x, y: x <= y)


class GreaterThanFilter(BaseFilter):
    name = "gt"

    def op(self, a: Any, b: Any) -> bool:
        return _compare(a, b, lambda x, y: x > y)


class GreaterThanEqualFilter(BaseFilter):
    name = "gte"

    def op(self, a: Any, b: Any) -> bool:
        return _compare(a, b, lambda x, y: x >= y)


class NumberBaseFilter(BaseFilter):
    """A filter whose operand is any JSON number (``$gt: 2.5`` on an integer field)."""

    def value_schema(self) -> dict[str, Any]:
        return {"type": "number"}

    def convert(self, value: Any) -> Any:
        return value


class NumberLessThanFilter(NumberBaseFilter, LessThanFilter):
    pass


class NumberLessThanEqualFilter(NumberBaseFilter, LessThanEqualFilter):
    pass


class NumberGreaterThanFilter(NumberBaseFilter, GreaterThanFilter):
    pass


class NumberGreaterThanEqualFilter(NumberBaseFilter, GreaterThanEqualFilter):
    pass


class InFilter(BaseFilter):
    name = "in"

    def value_schema(self) -> dict[str, Any]:
        return {
            "type": "array",
            "items": super().value_schema(),
            "minItems": 0,
            "uniqueItems": True,
        }

    def convert(self, value: Any) -> Any:
        field = self.field
        if isinstance(field, fields.ToOne):
            return resolve_reference_ids(field, value)
        assert field is not None
        converted = (field.convert(v, validate=False) for v in value)
        return [v for v in converted if v is not NO_MATCH]

    def op(self, a: Any, b: Any) -> bool:
        return a in b


def resolve_reference_ids(field: Any, values: list[Any]) -> list[Any]:
    """Ids of the referenced items; references to missing items are left out.

    Values are grouped by key converter, so references by one natural key are
    looked up in a single query.
    """
    groups: dict[int, tuple[Any, list[Any]]] = {}
    for value in values:
        converter = field.converter_for(value)
        groups.setdefault(id(converter), (converter, []))[1].append(value)
    ids: list[Any] = []
    for converter, group in groups.values():
        ids.extend(converter.convert_many_to_ids(group))
    return ids


class ContainsFilter(BaseFilter):
    """An array (or ToMany) that contains an element."""

    name = "contains"

    def value_schema(self) -> dict[str, Any]:
        container = getattr(self.field, "container", None)
        assert container is not None
        return _without_read_only(container.request)

    def convert(self, value: Any) -> Any:
        container = getattr(self.field, "container", None)
        if isinstance(container, fields.ToOne):
            return container.convert_to_id(value)
        assert container is not None
        return container.convert(value, validate=False)

    def op(self, a: Any, b: Any) -> bool:
        return a is not None and b in a


class StringBaseFilter(BaseFilter):
    """A filter whose operand is a non-empty string (``$startswith``, ...)."""

    def value_schema(self) -> dict[str, Any]:
        return {"type": "string", "minLength": 1}

    def convert(self, value: Any) -> Any:
        return value


class StringContainsFilter(StringBaseFilter):
    name = "contains"

    def op(self, a: Any, b: Any) -> bool:
        return a is not None and b in a


class StringIContainsFilter(StringBaseFilter):
    name = "icontains"

    def op(self, a: Any, b: Any) -> bool:
        return a is not None and b.casefold() in a.casefold()


class StartsWithFilter(StringBaseFilter):
    name = "startswith"

    def op(self, a: Any, b: Any) -> bool:
        return a is not None and a.startswith(b)


class IStartsWithFilter(StringBaseFilter):
    name = "istartswith"

    def op(self, a: Any, b: Any) -> bool:
        return a is not None and a.casefold().startswith(b.casefold())


class EndsWithFilter(StringBaseFilter):
    name = "endswith"

    def op(self, a: Any, b: Any) -> bool:
        return a is not None and a.endswith(b)


class IEndsWithFilter(StringBaseFilter):
    name = "iendswith"

    def op(self, a: Any, b: Any) -> bool:
        return a is not None and a.casefold().endswith(b.casefold())


class DateBetweenFilter(BaseFilter):
    name = "between"

    def value_schema(self) -> dict[str, Any]:
        item = super().value_schema()
        return {"type": "array", "items": [item, item], "minItems": 2, "maxItems": 2}

    def convert(self, value: Any) -> Any:
        assert self.field is not None
        return [self.field.convert(v, validate=False) for v in value]

    def op(self, a: Any, b: Any) -> bool:
        return _compare(a, b[0], lambda x, y: x >= y) and _compare(a, b[1], lambda x, y: x <= y)


#: The name of the equality operator (``{"$eq": value}``, or the bare value).
EQUALITY_FILTER_NAME = "eq"

#: ``(filter class, operator name)`` pairs; equality is named both ``None`` (the bare
#: value) and ``"eq"``.
FILTER_NAMES: tuple[tuple[type[BaseFilter], str | None], ...] = (
    (EqualFilter, None),
    (EqualFilter, "eq"),
    (NotEqualFilter, "ne"),
    (LessThanFilter, "lt"),
    (LessThanEqualFilter, "lte"),
    (GreaterThanFilter, "gt"),
    (GreaterThanEqualFilter, "gte"),
    (NumberLessThanFilter, "lt"),
    (NumberLessThanEqualFilter, "lte"),
    (NumberGreaterThanFilter, "gt"),
    (NumberGreaterThanEqualFilter, "gte"),
    (InFilter, "in"),
    (ContainsFilter, "contains"),
    (StringContainsFilter, "contains"),
    (StringIContainsFilter, "icontains"),
    (StartsWithFilter, "startswith"),
    (IStartsWithFilter, "istartswith"),
    (EndsWithFilter, "endswith"),
    (IEndsWithFilter, "iendswith"),
    (DateBetweenFilter, "between"),
)

_COMPARE = (
    EqualFilter,
    NotEqualFilter,
    LessThanFilter,
    LessThanEqualFilter,
    GreaterThanFilter,
    GreaterThanEqualFilter,
)

#: Operators per field type; a field gets the set of the nearest class in its MRO.
FILTERS_BY_TYPE: dict[type, tuple[type[BaseFilter], ...]] = {
    fields.Boolean: (EqualFilter, NotEqualFilter, InFilter),
    fields.Integer: (
        EqualFilter,
        NotEqualFilter,
        NumberLessThanFilter,
        NumberLessThanEqualFilter,
        NumberGreaterThanFilter,
        NumberGreaterThanEqualFilter,
        InFilter,
    ),
    fields.Number: (
        EqualFilter,
        NotEqualFilter,
        NumberLessThanFilter,
        NumberLessThanEqualFilter,
        NumberGreaterThanFilter,
        NumberGreaterThanEqualFilter,
        InFilter,
    ),
    fields.String: (
        EqualFilter,
        NotEqualFilter,
        StringContainsFilter,
        StringIContainsFilter,
        StartsWithFilter,
        IStartsWithFilter,
        EndsWithFilter,
        IEndsWithFilter,
        InFilter,
    ),
    fields.Date: _COMPARE + (DateBetweenFilter, InFilter),
    fields.DateString: _COMPARE + (DateBetweenFilter, InFilter),
    fields.DateTime: _COMPARE + (DateBetweenFilter,),
    fields.DateTimeString: _COMPARE + (DateBetweenFilter,),
    fields.Array: (ContainsFilter,),
    fields.ToOne: (EqualFilter, NotEqualFilter, InFilter),
    fields.ItemUri: (EqualFilter, NotEqualFilter, InFilter),
}

#: Field types that ``sort`` accepts.
SORTABLE_FIELD_TYPES: tuple[type, ...] = (
    fields.String,
    fields.Boolean,
    fields.Number,
    fields.Integer,
    fields.Date,
    fields.DateString,
    fields.DateTimeString,
    fields.ItemUri,
    fields.ToOne,
)


def filters_for_field(
    key: str,
    field: Raw,
    allowed: Any = True,
    by_type: dict[type, tuple[type[BaseFilter], ...]] | None = None,
) -> dict[str, BaseFilter]:
    """The filters of one field: ``{op name: filter}``.

    ``allowed`` is ``True`` (every operator of the type), a list of operator names,
    or a dict ``{op name: filter class}``.
    """
    by_type = FILTERS_BY_TYPE if by_type is None else by_type
    if allowed is False or allowed is None:
        return {}
    classes: tuple[type[BaseFilter], ...] = ()
    for cls in type(field).__mro__:
        if cls in by_type:
            classes = by_type[cls]
            break
    attribute = field.attribute or key
    result: dict[str, BaseFilter] = {}
    if isinstance(allowed, dict):
        for name, filter_class in allowed.items():
            name = "eq" if name is None else name
            result[name] = filter_class(name=name, field=field, attribute=attribute)
        return result
    names = None if allowed is True else {"eq" if n is None else n for n in allowed}
    for filter_class in classes:
        if names is None or filter_class.name in names:
            result[filter_class.name] = filter_class(field=field, attribute=attribute)
    return result


def _by_type(filters_by_type: Any) -> dict[type, tuple[type[BaseFilter], ...]]:
    """``FILTERS_BY_TYPE`` as a dict (Flask-Potion wrote it as ``(type, filters)`` pairs)."""
    return filters_by_type if isinstance(filters_by_type, dict) else dict(filters_by_type)


def filters_for_field_class(
    field_class: type, filters_by_type: Any = None
) -> tuple[type[BaseFilter], ...]:
    """The filter classes of a field class: those of the class and of its direct bases.

    A class whose own type and direct bases have none takes those of the nearest
    class further up its MRO, so a subclass of a subclass still filters.
    """
    by_type = _by_type(FILTERS_BY_TYPE if filters_by_type is None else filters_by_type)
    found: list[type[BaseFilter]] = []
    for cls in (field_class, *field_class.__bases__):
        for filter_class in by_type.get(cls, ()):
            if filter_class not in found:
                found.append(filter_class)
    if not found:
        for cls in field_class.__mro__:
            if cls in by_type:
                return tuple(by_type[cls])
    return tuple(found)


def _names_of(filter_class: type[BaseFilter], filter_names: Any) -> list[str | None]:
    return [name for cls, name in filter_names if cls is filter_class]


def filters_for_fields(
    fields: dict[str, Raw],
    filters_expression: Any,
    filter_names: Any = None,
    filters_by_type: Any = None,
) -> dict[str, dict[str | None, type[BaseFilter]]]:
    """The filter classes of each field: ``{field name: {operator name: filter class}}``.

    ``filters_expression`` is ``Meta.filters``: ``True`` (every operator of every
    field), or a dict ``{field name or "*": True | [operator names] | {name:
    filter class}}`` where ``"*"`` stands for the fields not named.  A field's
    operators come from its class and its direct bases (:func:`filters_for_field_class`),
    named by ``filter_names`` (:data:`FILTER_NAMES`).
    """
    filter_names = FILTER_NAMES if filter_names is None else filter_names
    result: dict[str, dict[str | None, type[BaseFilter]]] = {}
    for key, field in fields.items():
        available: dict[str | None, type[BaseFilter]] = {}
        for filter_class in filters_for_field_class(type(field), filters_by_type):
            for name in _names_of(filter_class, filter_names):
                available[name] = filter_class
        if isinstance(filters_expression, dict):
            if key in filters_expression:
                expression = filters_expression[key]
            elif "*" in filters_expression:
                expression = filters_expression["*"]
            else:
                continue
            if isinstance(expression, dict):
                available = dict(expression)
            elif isinstance(expression, (list, tuple, set)):
                wanted = set(expression)
                if EQUALITY_FILTER_NAME in wanted or None in wanted:
                    wanted |= {None, EQUALITY_FILTER_NAME}
                available = {n: f for n, f in available.items() if n in wanted}
            elif expression is not True:
                continue
        elif filters_expression is not True:
            continue
        if available:
            result[key] = available
    return result


def convert_filters(
    value: Any, field_filters: dict[Any, BaseFilter], key: str | None = None
) -> Condition:
    """One field's ``where`` value as a :class:`Condition`.

    ``field_filters`` maps operator names to filter instances (as a manager's
    ``filters[key]`` does); ``{"$op": operand}`` picks the operator, any other value
    is an equality.  A value no operator accepts is a 400 naming the field.
    """
    named = {EQUALITY_FILTER_NAME if n is None else n: f for n, f in field_filters.items()}
    if key is None:
        first = next(iter(named.values()), None)
        key = (first.attribute if first is not None else None) or ""
    return _parse_condition(key, value, named)


class Condition(NamedTuple):
    """``key`` (field name) compared by ``filter`` to the converted ``value``."""

    key: str
    filter: BaseFilter
    value: Any

    @property
    def attribute(self) -> str:
        return self.filter.attribute or self.key

    def __call__(self, item: Any) -> bool:
        """Evaluate on a Python item (the memory backend's way)."""
        from .fields import get_value

        return self.filter.op(get_value(self.attribute, item, None), self.value)


class Sort(NamedTuple):
    """Order by ``attribute`` of ``field``, descending when ``reverse``."""

    field: Raw
    attribute: str
    reverse: bool
    key: str = ""


# -- parsing --------------------------------------------------------------------


def _load_parameter(raw: Any, name: str) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        return loads(raw)
    except ValueError as exc:
        raise InvalidJSON(
            f"The {name!r} parameter is not valid JSON: {exc}", parameter=name
        ) from None


def parse_where(raw: Any, filters: dict[str, dict[str, BaseFilter]]) -> tuple[Condition, ...]:
    """Parse a ``where`` parameter (JSON text or object) into conditions."""
    if raw is None or raw == "":
        return ()
    where = _load_parameter(raw, "where")
    if not isinstance(where, dict):
        raise ValidationError([_entry(["where"], {"type": "object"}, "where must be an object")])
    unknown = [key for key in where if key not in filters]
    if unknown:
        names = ", ".join(repr(k) for k in sorted(unknown))
        filterable = ", ".join(sorted(filters))
        raise ValidationError(
            [
                _entry(
                    ["where"],
                    {"additionalProperties": False},
                    f"cannot filter on {names}; filterable: {filterable or 'none'}",
                )
            ],
            message=f"Cannot filter on {', '.join(sorted(unknown))}",
        )
    conditions = []
    for key, value in where.items():
        conditions.append(_parse_condition(key, value, filters[key]))
    return tuple(conditions)


def _parse_condition(key: str, value: Any, field_filters: dict[str, BaseFilter]) -> Condition:
    if isinstance(value, dict) and len(value) == 1:
        ((op_key, operand),) = value.items()
        if op_key.startswith("$") and op_key[1:] in field_filters:
            filter_ = field_filters[op_key[1:]]
            if filter_.validate(operand):
                return Condition(key, filter_, filter_.convert(operand))
            _invalid_condition(key, value, field_filters)
    equal = field_filters.get("eq")
    if equal is not None and equal.validate(value):
        return Condition(key, equal, equal.convert(value))
    _invalid_condition(key, value, field_filters)
    raise AssertionError("unreachable")


def _invalid_condition(key: str, value: Any, field_filters: dict[str, BaseFilter]) -> None:
    entry = {"path": ["where", key], "validationOf": {"anyOf": _condition_schemas(field_filters)}}
    if error_detail.enabled():
        entry["message"] = error_detail.condition_message(key, value, field_filters)
    raise ValidationError([entry], message=f"Invalid condition on {key!r}")


def _entry(path: list[Any], rule: dict[str, Any], message: str) -> dict[str, Any]:
    """An error entry; with its plain-word ``message`` when ``POTION_ERROR_DETAIL`` is on."""
    entry: dict[str, Any] = {"path": path, "validationOf": rule}
    if error_detail.enabled():
        entry["message"] = message
    return entry


def _condition_schemas(field_filters: dict[str, BaseFilter]) -> list[dict[str, Any]]:
    schemas: list[dict[str, Any]] = []
    for filter_ in field_filters.values():
        schemas.extend(filter_.schemas())
    return schemas


def parse_sort(raw: Any, sortable: dict[str, Raw]) -> tuple[Sort, ...]:
    """Parse a ``sort`` parameter (``{"field": reverse}``, key order is priority)."""
    if raw is None or raw == "":
        return ()
    sort = _load_parameter(raw, "sort")
    if not isinstance(sort, dict):
        raise ValidationError(
            [_entry(["sort"], {"type": "object"}, 'sort must be an object: {"field": false}')]
        )
    result = []
    for key, reverse in sort.items():
        if key not in sortable:
            raise ValidationError(
                [
                    _entry(
                        ["sort"],
                        {"additionalProperties": False},
                        error_detail.sort_message(key, sortable),
                    )
                ],
                message=f"Cannot sort by {key!r}",
            )
        if not isinstance(reverse, bool):
            raise ValidationError(
                [
                    _entry(
                        ["sort", key],
                        {"type": "boolean"},
                        f"sort by {key!r} takes true (descending) or false (ascending)",
                    )
                ]
            )
        field = sortable[key]
        result.append(Sort(field, field.attribute or key, reverse, key))
    return tuple(result)


def where_schema(filters: dict[str, dict[str, BaseFilter]]) -> dict[str, Any]:
    """The JSON Schema of the ``where`` parameter, as published in the ``instances`` link."""
    properties = {}
    for key, field_filters in filters.items():
        schemas = _condition_schemas(field_filters)
        if not schemas:
            continue
        properties[key] = schemas[0] if len(schemas) == 1 else {"anyOf": schemas}
    return {"type": "object", "properties": properties, "additionalProperties": False}


def sort_schema(sortable: Iterable[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {key: {"type": "boolean"} for key in sortable},
        "additionalProperties": False,
    }
