"""``flask_potion.filters`` helpers: filters_for_fields, filters_for_field_class and
convert_filters behave as spec §6 describes."""

from __future__ import annotations

import pytest

from flask_potion import fields
from flask_potion.exceptions import ValidationError
from flask_potion.filters import (
    FILTER_NAMES,
    FILTERS_BY_TYPE,
    DateBetweenFilter,
    EqualFilter,
    InFilter,
    NotEqualFilter,
    NumberBaseFilter,
    NumberGreaterThanFilter,
    StartsWithFilter,
    StringBaseFilter,
    StringContainsFilter,
    convert_filters,
    filters_for_field_class,
    filters_for_fields,
)


def test_field_class_filters_from_class_and_direct_bases():
    assert filters_for_field_class(fields.Boolean) == (EqualFilter, NotEqualFilter, InFilter)
    # PositiveInteger has no entry: Integer's, through its direct base
    assert filters_for_field_class(fields.PositiveInteger) == FILTERS_BY_TYPE[fields.Integer]
    assert filters_for_field_class(fields.Email) == FILTERS_BY_TYPE[fields.String]
    assert DateBetweenFilter in filters_for_field_class(fields.Date)
    # a FILTERS_BY_TYPE written as (type, filters) pairs, as Flask-Potion wrote it
    pairs = ((fields.String, (EqualFilter,)), (fields.Integer, (InFilter,)))
    assert filters_for_field_class(fields.UUID, pairs) == (EqualFilter,)


def test_filters_for_fields_all():
    schema = {"name": fields.String(), "flag": fields.Boolean(), "n": fields.PositiveInteger()}
    result = filters_for_fields(schema, True)
    assert set(result) == {"name", "flag", "n"}
    assert result["flag"] == {
        None: EqualFilter,
        "eq": EqualFilter,
        "ne": NotEqualFilter,
        "in": InFilter,
    }
    assert result["name"]["startswith"] is StartsWithFilter
    assert result["name"]["contains"] is StringContainsFilter
    assert result["n"]["gt"] is NumberGreaterThanFilter
    assert issubclass(result["n"]["gt"], NumberBaseFilter)
    assert issubclass(StartsWithFilter, StringBaseFilter)


def test_filters_for_fields_expression():
    schema = {"name": fields.String(), "flag": fields.Boolean(), "n": fields.Integer()}

    class SoundsLike(StringBaseFilter):
        pass

    expression = {"name": ["eq", "startswith"], "flag": {"is": SoundsLike}, "*": ["in"]}
    result = filters_for_fields(schema, expression, FILTER_NAMES, FILTERS_BY_TYPE)
    assert result == {
        "name": {None: EqualFilter, "eq": EqualFilter, "startswith": StartsWithFilter},
        "flag": {"is": SoundsLike},
        "n": {"in": InFilter},
    }
    assert filters_for_fields(schema, {"name": True}) == {
        "name": filters_for_fields(schema, True)["name"]
    }
    assert filters_for_fields(schema, False) == {}
    assert filters_for_fields(schema, {"name": False}) == {}


def test_convert_filters():
    field = fields.Integer()
    field_filters = {
        name: cls(name=name or "eq", field=field, attribute="year")
        for name, cls in filters_for_fields({"year": field}, True)["year"].items()
    }
    condition = convert_filters({"$gt": 1900}, field_filters)
    assert (condition.key, condition.filter.name, condition.value) == ("year", "gt", 1900)
    condition = convert_filters(1859, field_filters)
    assert (condition.filter.name, condition.value) == ("eq", 1859)
    condition = convert_filters({"$in": [1, 2]}, field_filters, key="year")
    assert condition.value == [1, 2]
    with pytest.raises(ValidationError) as info:
        convert_filters({"$gt": "x"}, field_filters, key="year")
    assert info.value.errors[0]["path"] == ["where", "year"]
