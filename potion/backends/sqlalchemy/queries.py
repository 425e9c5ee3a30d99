"""``where`` and ``sort`` as SQL expressions, ids as the id column stores them,
and the list statements kept per shape of query: nothing is filtered in Python."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from ... import fields
from ...conditions import AllOf, AnyOf, Related
from ...exceptions import PageNotFound
from ...filters import NO_MATCH, Condition, Sort
from ...pagination import Pagination
from ..sqltext import like_escape, register_casefold
from .base import SQLAlchemyBase


def _sort_attribute(value: Any) -> tuple[str, bool]:
    """``Meta.sort_attribute`` as ``(attribute, reverse)``."""
    if isinstance(value, (tuple, list)):
        return value[0], bool(value[1]) if len(value) > 1 else False
    return value, False


#: Query shapes whose statements a manager keeps (see ``_page_statements``).
_STATEMENT_CACHE_SIZE = 256
#: Operators whose condition on a column is the value as one bound operand.
_BINDABLE_OPERATORS = frozenset({"eq", "ne", "lt", "lte", "gt", "gte"})
_BINDABLE_VALUES = (str, int, float, decimal.Decimal, datetime.date, datetime.time, uuid.UUID)


def _parse_datetime(value: Any) -> datetime.datetime:
    return datetime.datetime.fromisoformat(str(value))


def _parse_date(value: Any) -> datetime.date:
    return datetime.date.fromisoformat(str(value))


def _parse_time(value: Any) -> datetime.time:
    return datetime.time.fromisoformat(str(value))


def _parse_decimal(value: Any) -> decimal.Decimal:
    number = decimal.Decimal(str(value))
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return number


#: How a client's id becomes a value of the id column's Python type.
_ID_PARSERS: dict[type, Any] = {
    datetime.datetime: _parse_datetime,
    datetime.date: _parse_date,
    datetime.time: _parse_time,
    decimal.Decimal: _parse_decimal,
    float: float,
}
#: Id types whose ``coerce_id`` leaves no value the database could refuse.
_CHECKED_ID_TYPES = frozenset({int, str, uuid.UUID, *_ID_PARSERS})


def _page_shape(where: tuple[Condition, ...], sort: tuple[Sort, ...], scalars: bool) -> Any:
    """What a list statement depends on besides its values; None if values shape it."""
    conditions = []
    for condition in where:
        if not isinstance(condition, Condition):  # permission nodes: built per request
            return None
        filter_ = condition.filter
        value = condition.value
        field = filter_.field
        if isinstance(field, fields.ToOne) and field.id_attribute and filter_.name == "eq":
            # equality on a foreign key (the permission of an owner): a bound id
            value = _bindable_id(field, value)
        elif isinstance(field, (fields.ToOne, fields.ToMany, fields.ItemUri)):
            return None
        if (
            filter_.name not in _BINDABLE_OPERATORS
            or getattr(filter_, "sql_expression", None) is not None
            or isinstance(value, bool)
            or not isinstance(value, _BINDABLE_VALUES)
        ):
            return None
        conditions.append((condition.key, filter_))
    return scalars, tuple(conditions), sort


def _bindable_id(field: Any, value: Any) -> Any:
    """The id a ToOne condition compares its foreign key with, or None."""
    target = getattr(field.target, "manager", None)
    if not isinstance(target, QueryMixin) or value is None:
        return None
    value = target._id_for_query(value)
    return None if value is NO_MATCH else value


def _bound_value(condition: Condition) -> Any:
    field = condition.filter.field
    if isinstance(field, fields.ToOne):
        return _bindable_id(field, condition.value)
    return condition.value


def _limited(select: Any) -> Any:
    return select.limit(sa.bindparam("potion_limit")).offset(sa.bindparam("potion_offset"))


def _map_ids(manager: Any, value: Any) -> Any:
    """Ids in a condition as ``manager``'s id column stores them; ``NO_MATCH`` for bad ones."""
    if not isinstance(manager, QueryMixin) or isinstance(value, sa.BindParameter):
        return value
    if isinstance(value, list):
        mapped = (manager._id_for_query(v) for v in value)
        return [v for v in mapped if v is not NO_MATCH]
    return manager._id_for_query(value)


class QueryMixin(SQLAlchemyBase):
    """Ids, conditions, sorting and the list statements of the SQLAlchemy manager."""

    def coerce_id(self, value: Any) -> Any:
        """An id as the id column stores it (``"5"`` → ``5``, a string → ``UUID``).

        Raises ``ValueError`` for a value that cannot be an id of this resource.
        """
        id_type = self._id_type
        if value is None or id_type is None:
            return value
        if id_type is int and not isinstance(value, bool):
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(f"{value!r} is not an integer id")
            value = int(value)
            if not -(2**63) <= value < 2**63:
                raise ValueError(f"{value!r} is out of the range of SQL integers")
            return value
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("an id holds no NUL character")
        if isinstance(value, id_type):
            return value
        if id_type is uuid.UUID:
            return uuid.UUID(str(value))
        if id_type is str:
            return str(value)
        parse = _ID_PARSERS.get(id_type)
        if parse is not None and isinstance(value, (str, int, float)):
            try:
                return parse(value)
            except (ArithmeticError, OverflowError) as exc:  # Decimal("x"), float("1e999")
                raise ValueError(str(exc)) from None
        return value

    @property
    def _id_checked(self) -> bool:
        """Whether ``coerce_id`` gives only values the database accepts as this id.

        Otherwise (an enum, a type of the application's own) a lookup by a
        client's id runs in a savepoint on PostgreSQL, where a refused value
        would abort the request's transaction.
        """
        return self._id_type in _CHECKED_ID_TYPES and not isinstance(self.id_column.type, sa.Enum)

    def _id_for_query(self, value: Any) -> Any:
        """``coerce_id``, with ``NO_MATCH`` for a value no item can have."""
        if value is NO_MATCH:
            return value
        try:
            return self.coerce_id(value)
        except (TypeError, ValueError):
            return NO_MATCH

    def _column(self, attribute: str) -> Any:
        return getattr(self.model, attribute)

    def _node_expression(self, node: Any) -> Any:
        """``AnyOf``, ``AllOf`` and ``Related`` (see :mod:`potion.conditions`) in SQL."""
        if isinstance(node, AnyOf):
            parts = [self._expression(child) for child in node.nodes]
            return sa.or_(*parts) if parts else sa.false()
        if isinstance(node, AllOf):
            parts = [self._expression(child) for child in node.nodes]
            return sa.and_(*parts) if parts else sa.true()
        if isinstance(node, Related):
            target = node.field.target.manager
            if not isinstance(target, QueryMixin):
                raise RuntimeError(
                    f"{self.resource.__name__}.{node.key}: conditions on the referenced "
                    f"{node.field.target.__name__} need it to be an SQLAlchemy resource"
                )
            target._ensure_plan()
            return getattr(self.model, node.attribute).has(target._expression(node.node))
        raise TypeError(f"Not a condition: {node!r}")

    def _expression(self, condition: Condition) -> Any:
        if not isinstance(condition, Condition):
            return self._node_expression(condition)
        field = condition.filter.field
        name = condition.filter.name
        value = condition.value
        custom = getattr(condition.filter, "sql_expression", None)
        if custom is not None:
            return custom(self.model, value)
        if isinstance(field, fields.ToOne):
            target = field.target.manager
            value = _map_ids(target, value)
            if not field.id_attribute:
                return self._reference_expression(field, condition.attribute, name, value)
            column = self._column(field.id_attribute)
        elif isinstance(field, fields.ToMany):
            relationship = self._column(condition.attribute)
            target = field.target.manager
            value = _map_ids(target, value)
            if value is NO_MATCH:
                return sa.false()
            return relationship.any(target._id_instrumented == value)
        elif isinstance(field, fields.ItemUri):
            column = self._id_instrumented
            value = _map_ids(self, value)
        else:
            column = self._column(condition.attribute)
        if value is NO_MATCH:
            return sa.true() if name == "ne" else sa.false()
        if name == "eq":
            return column.is_(None) if value is None else column == value
        if name == "ne":
            return (
                column.is_not(None) if value is None else sa.or_(column != value, column.is_(None))
            )
        if name == "lt":
            return column < value
        if name == "lte":
            return column <= value
        if name == "gt":
            return column > value
        if name == "gte":
            return column >= value
        if name == "in":
            return column.in_(value) if value else sa.false()
        if name == "between":
            return column.between(value[0], value[1])
        if name == "contains" and isinstance(field, fields.Array):
            return column.contains([value])
        return self._string_expression(column, name, value)

    def _reference_expression(
        self, field: fields.ToOne, attribute: str, name: str, value: Any
    ) -> Any:
        """A condition on a reference whose id is not the foreign key (an EXISTS)."""
        relationship = getattr(self.model, attribute)
        target_id = field.target.manager._id_instrumented
        if name == "in":
            return relationship.has(target_id.in_(value)) if value else sa.false()
        if value is NO_MATCH:
            return sa.true() if name == "ne" else sa.false()
        if value is None:
            return relationship.is_(None) if name == "eq" else relationship.is_not(None)
        matches = relationship.has(target_id == value)
        return ~matches if name == "ne" else matches

    def _string_expression(self, column: Any, name: str, value: str) -> Any:
        dialect = self._dialect()
        if name.startswith("i"):
            pattern = like_escape(value.lower())
            pattern = {
                "icontains": f"%{pattern}%",
                "istartswith": f"{pattern}%",
                "iendswith": f"%{pattern}",
            }[name]
            if dialect == "postgresql":
                return column.ilike(pattern, escape="\\")
            if dialect == "sqlite" and self._sqlite_casefold():
                # SQLite's lower() folds ASCII only: fold in Python.
                folded = like_escape(value.casefold())
                folded = {"icontains": f"%{folded}%", "istartswith": f"{folded}%"}.get(
                    name, f"%{folded}"
                )
                return sa.func.potion_casefold(column).like(folded, escape="\\")
            return sa.func.lower(column).like(pattern, escape="\\")
        if dialect == "sqlite":
            # SQLite's LIKE ignores case; compare substrings instead.
            length = len(value)
            if name == "contains":
                return sa.func.instr(column, value) > 0
            if name == "startswith":
                return sa.func.substr(column, 1, length) == value
            return sa.func.substr(column, -length) == value
        pattern = like_escape(value)
        pattern = {
            "contains": f"%{pattern}%",
            "startswith": f"{pattern}%",
            "endswith": f"%{pattern}",
        }[name]
        if dialect in ("mysql", "mariadb"):
            return column.op("LIKE BINARY")(pattern)
        return column.like(pattern, escape="\\")

    def _sqlite_casefold(self) -> bool:
        """Make ``potion_casefold()`` available on the session's SQLite connection."""
        return register_casefold(self.session.connection().connection.dbapi_connection)

    def _reference_column(self, field: fields.ToOne, attribute: str) -> Any:
        """The foreign-key column of a ToOne (the target's id, or what it points at)."""
        if field.id_attribute:
            return self._column(field.id_attribute)
        prop = self.mapper.relationships[attribute]
        local = list(prop.local_columns)
        return local[0]

    def _direction(self, column: Any, reverse: bool) -> Any:
        """Descending or ascending, nulls first when ascending on every database."""
        clause = column.desc() if reverse else column.asc()
        if self._dialect() == "postgresql":  # PostgreSQL alone puts nulls last ascending
            clause = clause.nulls_last() if reverse else clause.nulls_first()
        return clause

    def _order_by(self, sort: tuple[Sort, ...]) -> tuple[list[Any], list[Any]]:
        clauses: list[Any] = []
        joins: list[Any] = []
        if not sort:
            default = self.resource.meta.get("sort_attribute")
            if default:
                attribute, reverse = _sort_attribute(default)
                column = self._column(attribute)
                clauses.append(self._direction(column, reverse))
        for order in sort:
            field, attribute, reverse = order[0], order[1], order[2]
            if isinstance(field, fields.ToOne):
                column, reverse = self._reference_sort_column(field, attribute, reverse, joins)
            elif isinstance(field, fields.ItemUri):
                column = self._id_instrumented
            else:
                column = self._column(attribute)
            clauses.append(self._direction(column, reverse))
        clauses.append(self._id_instrumented.asc())
        return clauses, joins

    def _reference_sort_column(
        self, field: fields.ToOne, attribute: str, reverse: bool, joins: list[Any]
    ) -> tuple[Any, bool]:
        """Order by the target's own order: its ``sort_attribute``, else its id.

        Ascending follows the target's order (a target sorted by ``('name', True)``
        puts the reference to "zed" first), descending reverses it.
        """
        target = field.target
        sort_attribute = target.meta.get("sort_attribute")
        if not isinstance(target.manager, QueryMixin):
            return self._reference_column(field, attribute), reverse
        if not sort_attribute:
            if field.id_attribute:  # the foreign key holds the target's id
                return self._column(field.id_attribute), reverse
            sort_attribute = target.manager.id_attribute
        target_attribute, target_reverse = _sort_attribute(sort_attribute)
        alias = orm.aliased(target.manager.model)
        joins.append((alias, getattr(self.model, attribute).of_type(alias)))
        return getattr(alias, target_attribute), reverse != target_reverse

    def _where(self, where: Any) -> list[Any]:
        return [self._expression(condition) for condition in where or ()]

    def _select(self, entities: Any, where: Any, sort: Any, options: bool = True) -> Any:
        return self._select_where(entities, self._where(where), sort, options)

    def _select_where(self, entities: Any, criteria: Any, sort: Any, options: bool = True) -> Any:
        self._ensure_plan()
        entities = list(entities)
        query = sa.select(*entities).where(*criteria)
        clauses, joins = self._order_by(tuple(sort or ()))
        for alias, onclause in joins:
            query = query.outerjoin(alias, onclause)
        query = query.order_by(*clauses)
        if self._criteria:
            query = query.options(*self._criteria)
        if options and len(entities) == 1 and entities[0] is self.model:
            # loader options shape ORM objects: not for selects of plain columns
            loader_options = self._loader_options + self._eager
            if loader_options:
                query = query.options(*loader_options)
        return query

    def _count(self, where: Any) -> int:
        self._ensure_plan()
        query = sa.select(sa.func.count()).select_from(self.model).where(*self._where(where))
        return int(self.session.execute(query.options(*self._criteria)).scalar_one())

    def _page(
        self, entities: Any, page: int, per_page: int, where: Any, sort: Any, scalars: bool
    ) -> Pagination:
        where, sort = tuple(where or ()), tuple(sort or ())
        count, select, params = self._page_statements(entities, where, sort, scalars)
        # ORM objects belong to the session; rows of columns may be read without it
        reader, owned = (self.session, False) if scalars else self._reader(count)
        try:
            total = int(reader.execute(count, params).scalar_one())
            if page > 1 and (page - 1) * per_page >= total:
                raise PageNotFound()
            params["potion_limit"] = per_page
            params["potion_offset"] = (page - 1) * per_page
            result = reader.execute(select, params)
            items = result.scalars().all() if scalars else result.all()
        finally:
            if owned:
                reader.close()
        return Pagination(items, page, per_page, total)

    def _page_statements(
        self, entities: Any, where: tuple[Condition, ...], sort: tuple[Sort, ...], scalars: bool
    ) -> tuple[Any, Any, dict[str, Any]]:
        """The count and the page statements of a list, with their parameters.

        Statements are built once per shape of the query (which fields are compared
        with which operators, and the order) with the compared values as bound
        parameters, and then reused: building a statement and its cache key costs
        more than running it from SQLAlchemy's compiled cache.  A condition whose
        value shapes the SQL (null, a list, a reference, a string match, a custom
        filter) makes the statements be built for the request alone.
        """
        self._ensure_plan()
        shape = _page_shape(where, sort, scalars)
        if shape is None:
            criteria = self._where(where)
            return (
                self._count_statement(criteria),
                _limited(self._select_where(entities, criteria, sort)),
                {},
            )
        statements = self._page_statements_by_shape.get(shape)
        if statements is None:
            criteria = self._where(
                [
                    Condition(c.key, c.filter, sa.bindparam(f"potion_w{i}"))
                    for i, c in enumerate(where)
                ]
            )
            select = _limited(self._select_where(entities, criteria, sort))
            statements = (
                self._reusable(self._count_statement(criteria)),
                # rows of columns may be read on the DBAPI cursor, ORM entities not
                select if scalars else self._reusable(select),
            )
            if len(self._page_statements_by_shape) >= _STATEMENT_CACHE_SIZE:
                self._page_statements_by_shape.clear()
            self._page_statements_by_shape[shape] = statements
        params = {f"potion_w{i}": _bound_value(condition) for i, condition in enumerate(where)}
        return statements[0], statements[1], params

    def _count_statement(self, criteria: Any) -> Any:
        statement = sa.select(sa.func.count()).select_from(self.model).where(*criteria)
        return statement.options(*self._criteria) if self._criteria else statement
