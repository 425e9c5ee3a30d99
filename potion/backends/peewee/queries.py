"""``where`` and ``sort`` as peewee expressions: nothing is filtered in Python."""

from __future__ import annotations

import functools
import operator
import uuid
from typing import Any

import peewee

from ... import fields
from ...conditions import AllOf, AnyOf, Related
from ...filters import NO_MATCH, Condition
from ..sqltext import like_escape, register_casefold
from .base import PeeweeBase

#: Ids outside the 64-bit range are no id of any row.
_INTEGER_LIMIT = 2**63


class QueryMixin(PeeweeBase):
    """Conditions, sorting and ids of the peewee manager."""

    def _query(self) -> Any:
        return self.model.select()

    def _collection(self, attribute: str) -> tuple[str, Any] | None:
        """``("m2m", accessor)`` or ``("backref", foreign key)`` for a to-many attribute."""
        meta = self.model._meta
        if attribute in meta.manytomany:
            for klass in self.model.__mro__:
                accessor = vars(klass).get(attribute)
                if isinstance(accessor, peewee.ManyToManyFieldAccessor):
                    return "m2m", accessor
        for foreign_key in meta.backrefs:
            if foreign_key.backref == attribute:
                return "backref", foreign_key
        return None

    def _column(self, attribute: str) -> Any:
        column = self.model._meta.fields.get(attribute)
        if column is None:
            raise RuntimeError(f"{self.model.__name__} has no field {attribute!r}")
        return column

    def _coerce_id(self, value: Any) -> Any:
        column = self.id_column
        if isinstance(column, peewee.ForeignKeyField):
            column = column.rel_field
        if isinstance(column, peewee.IntegerField):
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            value = int(value)
            limit = _INTEGER_LIMIT
            if self._dialect() == "postgresql" and not isinstance(
                column, (peewee.BigIntegerField, peewee.BigAutoField)
            ):
                limit = 2**31  # INTEGER: a larger value would be an error, not a miss
            if not -limit <= value < limit:
                raise ValueError(value)
        elif isinstance(column, (peewee.UUIDField, peewee.BinaryUUIDField)):
            if not isinstance(value, uuid.UUID):
                value = uuid.UUID(str(value))
        elif isinstance(value, str) and "\x00" in value:
            raise ValueError("an id holds no NUL character")
        return value

    def _reference(self, field: Any, attribute: str, value: Any) -> tuple[Any, Any]:
        """The foreign-key column of a ToOne condition and its operand."""
        column = self._column(attribute)
        target = field.target.manager
        if not isinstance(column, peewee.ForeignKeyField):
            return column, value
        target_id = getattr(target, "id_column", None)
        if target_id is None or target_id is column.rel_field:
            return column, value
        # The key holds another column of the target than its id: look it up.
        rel = column.rel_field
        values = value if isinstance(value, list) else [value]
        subquery = rel.model.select(rel).where(target_id.in_(values))
        if isinstance(value, list):
            return column, subquery
        return column, _Subquery(subquery)

    def _node_expression(self, node: Any) -> Any:
        """``AnyOf``, ``AllOf`` and ``Related`` (see :mod:`potion.conditions`) in SQL."""
        if isinstance(node, (AnyOf, AllOf)):
            parts = [self._expression(child) for child in node.nodes]
            if not parts:
                return _FALSE if isinstance(node, AnyOf) else _TRUE
            combine = operator.or_ if isinstance(node, AnyOf) else operator.and_
            return functools.reduce(combine, parts)
        if isinstance(node, Related):
            target = node.field.target.manager
            column = self._column(node.attribute)
            if not isinstance(target, QueryMixin) or not isinstance(column, peewee.ForeignKeyField):
                raise RuntimeError(
                    f"{self.resource.__name__}.{node.key}: conditions on the referenced "
                    f"{node.field.target.__name__} need a peewee ForeignKeyField to a "
                    "peewee resource"
                )
            rel = column.rel_field
            subquery = rel.model.select(rel).where(target._expression(node.node))
            return column.in_(subquery)
        raise TypeError(f"Not a condition: {node!r}")

    def _expression(self, condition: Condition) -> Any:
        if not isinstance(condition, Condition):
            return self._node_expression(condition)
        field = condition.filter.field
        name = condition.filter.name
        value = condition.value
        custom = getattr(condition.filter, "peewee_expression", None)
        if custom is not None:
            return custom(self.model, value)
        if isinstance(field, fields.ItemUri) or condition.key == "$id":
            value = _valid_ids(self, value)
        elif isinstance(field, (fields.ToOne, fields.ToMany)):
            value = _valid_ids(getattr(field.target, "manager", None), value)
        if value is NO_MATCH:
            return _TRUE if name == "ne" else _FALSE
        if isinstance(field, fields.ToMany) or (
            isinstance(field, fields.Array) and self._collection(condition.attribute)
        ):
            return self._contains_expression(condition.attribute, value)
        if isinstance(field, fields.ItemUri) or condition.key == "$id":
            column = self.id_column
        elif isinstance(field, fields.ToOne):
            column, value = self._reference(field, condition.attribute, value)
        else:
            column = self._column(condition.attribute)
        if isinstance(value, _Subquery):
            if name == "eq":
                return column.in_(value.query)
            return column.not_in(value.query) | column.is_null()
        if name == "eq":
            return column.is_null() if value is None else column == value
        if name == "ne":
            if value is None:
                return column.is_null(False)
            return (column != value) | column.is_null()
        if name in ("lt", "lte", "gt", "gte"):
            operand = _operand(column, value)
            return {
                "lt": column < operand,
                "lte": column <= operand,
                "gt": column > operand,
                "gte": column >= operand,
            }[name]
        if name == "in":
            if not isinstance(value, list) and not isinstance(value, peewee.Node):
                value = list(value)
            if isinstance(value, list):
                present = [v for v in value if v is not None]
                expression = column.in_(present) if present else _FALSE
                if len(present) < len(value):
                    expression = expression | column.is_null()
                return expression
            return column.in_(value)
        if name == "between":
            return column.between(value[0], value[1])
        if name == "contains" and isinstance(field, fields.Array):
            return column.contains(value)
        return self._string_expression(column, name, value)

    def _contains_expression(self, attribute: str, value: Any) -> Any:
        collection = self._collection(attribute)
        if collection is None:
            raise RuntimeError(f"{self.model.__name__}.{attribute} is not a to-many relation")
        kind, relation = collection
        if kind == "backref":
            child = relation.model
            child_id = _id_column_of(child)
            subquery = child.select(relation).where(child_id == value)
            return relation.rel_field.in_(subquery)
        through = relation.through_model
        subquery = through.select(relation.src_fk).where(relation.dest_fk == value)
        return relation.src_fk.rel_field.in_(subquery)

    def _string_expression(self, column: Any, name: str, value: str) -> Any:
        dialect = self._dialect()
        if dialect == "postgresql" and not isinstance(column, (peewee.CharField, peewee.TextField)):
            column = peewee.Cast(column, "text")
        if name.startswith("i"):
            if dialect == "postgresql":
                return _like(column, "ILIKE", _pattern(name[1:], like_escape(value)))
            if dialect == "sqlite" and self._sqlite_casefold():
                # SQLite's lower() and LIKE fold ASCII only: fold in Python.
                pattern = _pattern(name[1:], like_escape(value.casefold()))
                return _like(peewee.fn.potion_casefold(column), "LIKE", pattern)
            return _like(
                peewee.fn.LOWER(column), "LIKE", _pattern(name[1:], like_escape(value.lower()))
            )
        if dialect == "sqlite":
            # SQLite's LIKE ignores case: compare substrings instead.
            length = len(value)
            literal = peewee.Value(value, converter=False)
            if name == "contains":
                return peewee.fn.INSTR(column, literal) > 0
            if name == "startswith":
                return peewee.fn.SUBSTR(column, 1, length) == literal
            return peewee.fn.SUBSTR(column, -length) == literal
        pattern = _pattern(name, like_escape(value))
        if dialect == "mysql":
            return _like(column, "LIKE BINARY", pattern)
        return _like(column, "LIKE", pattern)

    def _sqlite_casefold(self) -> bool:
        """Make ``potion_casefold()`` available on this thread's SQLite connection."""
        return register_casefold(self.database.connection())

    def _filtered(self, query: Any, where: Any) -> Any:
        expressions = [self._expression(condition) for condition in where or ()]
        if expressions:
            query = query.where(*expressions)
        return query

    def _ordered(self, query: Any, sort: Any) -> Any:
        clauses: list[Any] = []
        sort = tuple(sort or ())
        if not sort:
            default = self.resource.meta.get("sort_attribute")
            if default:
                attribute, reverse = (
                    default if isinstance(default, (tuple, list)) else (default, False)
                )
                clauses.append(_ordering(self._column(attribute), reverse))
        for order in sort:
            field, attribute, reverse = order[0], order[1], order[2]
            if isinstance(field, fields.ItemUri):
                column = self.id_column
            elif isinstance(field, fields.ToOne):
                query, column = self._reference_sort_column(query, field, attribute)
            else:
                column = self._column(attribute)
            clauses.append(_ordering(column, reverse))
        clauses.append(self.id_column.asc())
        return query.order_by(*clauses)

    def _reference_sort_column(self, query: Any, field: Any, attribute: str) -> tuple[Any, Any]:
        column = self._column(attribute)
        target = field.target
        sort_attribute = target.meta.get("sort_attribute")
        if (
            not sort_attribute
            or not isinstance(target.manager, QueryMixin)
            or not isinstance(column, peewee.ForeignKeyField)
        ):
            return query, column
        if isinstance(sort_attribute, (tuple, list)):
            sort_attribute = sort_attribute[0]
        alias = target.manager.model.alias()
        on = column == getattr(alias, column.rel_field.name)
        query = query.join_from(self.model, alias, peewee.JOIN.LEFT_OUTER, on=on)
        return query, getattr(alias, sort_attribute)


class _Subquery:
    """An operand that is a subquery selecting the matching key values."""

    def __init__(self, query: Any) -> None:
        self.query = query


_TRUE = peewee.SQL("1 = 1")


_FALSE = peewee.SQL("1 = 0")


def _id_column_of(model: Any) -> Any:
    return model._meta.primary_key


def in_target_order(query: Any, model: Any, target_resource: Any) -> Any:
    """``query``, which selects ``model``, ordered as ``target_resource`` lists it.

    By the target's ``sort_attribute``, then its id, when it is a peewee resource of
    ``model``; else by ``model``'s primary key.
    """
    target = getattr(target_resource, "manager", None)
    if isinstance(target, QueryMixin) and target.model is model:
        return target._ordered(query, ())
    return query.order_by(_id_column_of(model).asc())


def _valid_ids(manager: Any, value: Any) -> Any:
    """The operand with ids no item can have (``"abc"``, 2**70) made ``NO_MATCH``.

    In a list they are left out.
    """
    if not isinstance(manager, QueryMixin):
        return value

    def coerce(one: Any) -> Any:
        if one is None or one is NO_MATCH:
            return one
        try:
            return manager._coerce_id(one)
        except (TypeError, ValueError):
            return NO_MATCH

    if isinstance(value, list):
        return [c for c in map(coerce, value) if c is not NO_MATCH]
    return coerce(value)


def _operand(column: Any, value: Any) -> Any:
    """Numbers are compared as given (``year < 2.5`` must not become ``year < 2``)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return peewee.Value(value, converter=False)
    return value


def _pattern(name: str, escaped: str) -> str:
    return {
        "contains": f"%{escaped}%",
        "startswith": f"{escaped}%",
        "endswith": f"%{escaped}",
    }[name]


def _like(lhs: Any, operator: str, pattern: str) -> Any:
    """``lhs LIKE pattern ESCAPE '\\'``, written out so peewee maps no operator."""
    return peewee.NodeList(
        (
            lhs,
            peewee.SQL(operator),
            peewee.Value(pattern, converter=False),
            peewee.SQL("ESCAPE"),
            peewee.Value("\\", converter=False),
        ),
        parens=True,
    )


def _ordering(column: Any, reverse: bool) -> Any:
    """Nulls sort first ascending and last descending on every database."""
    nullable = bool(getattr(column, "null", False))
    if reverse:
        return column.desc(nulls="LAST") if nullable else column.desc()
    return column.asc(nulls="FIRST") if nullable else column.asc()
