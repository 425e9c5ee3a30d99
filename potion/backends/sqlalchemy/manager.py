"""The SQLAlchemy backend (Flask-SQLAlchemy 3 / SQLAlchemy 2).

Fields are inferred from the model's columns; filters, sorting, counting and
paging are SQL.  Lists and single items served by the built-in routes select
only the columns the schema needs and format the rows directly (no ORM objects
are built, references are formatted from foreign keys); writes and custom routes
work on ORM objects.  Every write is one transaction with its signals inside.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import exc as sa_exc
from sqlalchemy import orm

from ... import fields, filters, signals
from ...exceptions import (
    BackendConflict,
    DuplicateKey,
    IntegrityViolation,
    ItemNotFound,
    PageNotFound,
    PotionException,
)
from ...filters import NO_MATCH, Condition, Sort, like_escape
from ...natural_keys import IDKey, RefKey
from ...pagination import Pagination
from .. import RelationalManager
from ..sqlerrors import (
    classify_integrity_error,
    failing_table,
    statement_target,
    statement_values,
)

__all__ = ["SQLAlchemyManager", "EnumField", "field_for_column"]


class EnumField(fields.String):
    """An ``Enum`` column: one of a fixed set of strings.

    With a Python ``enum.Enum`` class the members travel by name and are
    converted to members on input.  Only ``eq``, ``ne`` and ``in`` filter it (a
    native enum type has no ``LIKE``).
    """

    def __init__(
        self, values: Any, enum_class: type[enum.Enum] | None = None, **kwargs: Any
    ) -> None:
        self.enum_class = enum_class
        super().__init__(enum=list(values), **kwargs)

    def format(self, value: Any) -> Any:
        return value.name if isinstance(value, enum.Enum) else value

    def convert(self, instance: Any, validate: bool = True) -> Any:
        value = super().convert(instance, validate)
        if value is None or self.enum_class is None:
            return value
        return self.enum_class[value]


def field_for_column(column: sa.Column[Any], **kwargs: Any) -> fields.Raw | None:
    """The Potion field for a column, by its SQL type; None for a type with no JSON form.

    Columns of such types (binary data, intervals, times of day...) are not inferred;
    declare a field for them in the resource's ``Schema``.
    """
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator) and _python_type(kind) in (
        None,
        object,  # what SQLAlchemy 2.1 answers when the decorator does not say
        _python_type(kind.impl_instance),
    ):
        kind = kind.impl_instance  # a decorator that keeps its implementation's values
    if isinstance(kind, sa.Enum):
        if kind.enum_class is not None:
            names = [member.name for member in kind.enum_class]
            return EnumField(names, kind.enum_class, **kwargs)
        return EnumField(kind.enums, **kwargs)
    if isinstance(kind, sa.Uuid):
        return fields.UUID(as_uuid=bool(kind.as_uuid), **kwargs)
    if isinstance(kind, sa.ARRAY):
        item = field_for_column(sa.Column(kind.item_type))
        return fields.Array(item, **kwargs) if item is not None else None
    if isinstance(kind, sa.JSON):
        return fields.Any(**kwargs)
    if isinstance(kind, sa.Boolean):
        return fields.Boolean(**kwargs)
    if isinstance(kind, sa.DateTime):
        return fields.DateTime(naive=not kind.timezone, **kwargs)
    if isinstance(kind, sa.Date):
        return fields.Date(**kwargs)
    if isinstance(kind, sa.Integer):
        return fields.Integer(**kwargs)
    if isinstance(kind, (sa.Numeric, sa.Float)):
        return fields.Number(**kwargs)
    if isinstance(kind, sa.String):
        if getattr(kind, "length", None):
            return fields.String(max_length=kind.length, **kwargs)
        return fields.String(**kwargs)
    python_type = _python_type(kind)
    if python_type is dict:
        return fields.Object(additional_properties=True, **kwargs)
    if python_type is list:
        return fields.Array(fields.Any(), **kwargs)
    return None


def _python_type(kind: Any) -> Any:
    try:
        return kind.python_type
    except NotImplementedError:
        return None


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


def _page_shape(where: tuple[Condition, ...], sort: tuple[Sort, ...], scalars: bool) -> Any:
    """What a list statement depends on besides its values; None if values shape it."""
    conditions = []
    for condition in where:
        filter_ = condition.filter
        value = condition.value
        if (
            filter_.name not in _BINDABLE_OPERATORS
            or getattr(filter_, "sql_expression", None) is not None
            or isinstance(filter_.field, (fields.ToOne, fields.ToMany, fields.ItemUri))
            or isinstance(value, bool)
            or not isinstance(value, _BINDABLE_VALUES)
        ):
            return None
        conditions.append((condition.key, filter_))
    return scalars, tuple(conditions), sort


def _limited(select: Any) -> Any:
    return select.limit(sa.bindparam("potion_limit")).offset(sa.bindparam("potion_offset"))


def _map_ids(manager: Any, value: Any) -> Any:
    """Ids in a condition as ``manager``'s id column stores them; ``NO_MATCH`` for bad ones."""
    if not isinstance(manager, SQLAlchemyManager):
        return value
    if isinstance(value, list):
        mapped = (manager._id_for_query(v) for v in value)
        return [v for v in mapped if v is not NO_MATCH]
    return manager._id_for_query(value)


def _referencing_table(table: Any) -> str | None:
    """The one table with a foreign key to ``table``, if there is exactly one."""
    names = {
        other.name
        for other in table.metadata.tables.values()
        if other is not table and any(fk.column.table is table for fk in other.foreign_keys)
    }
    return names.pop() if len(names) == 1 else None


def _column_default(column: sa.Column[Any]) -> tuple[Any, bool]:
    """``(scalar default or None, whether the column fills itself)``."""
    default = column.default
    if default is not None and getattr(default, "is_scalar", False):
        return getattr(default, "arg", None), True
    has_own = default is not None or column.server_default is not None
    return None, has_own or column.autoincrement is True


class SQLAlchemyManager(RelationalManager):
    """Manager for Flask-SQLAlchemy models."""

    FILTERS_BY_TYPE = {
        **RelationalManager.FILTERS_BY_TYPE,
        EnumField: (filters.EqualFilter, filters.NotEqualFilter, filters.InFilter),
    }

    def _init_model(self, resource: Any, model: Any, meta: Any) -> None:
        self.model = model
        self.mapper: orm.Mapper[Any] = sa.inspect(model)
        if not resource._names_itself and getattr(model, "__tablename__", None):
            meta.name = model.__tablename__
            resource.route_prefix = "/" + meta.name

        primary_key = self.mapper.primary_key
        id_attribute = meta.get("id_attribute")
        if id_attribute:
            self.id_column = self.mapper.get_property(id_attribute).columns[0]
        else:
            if len(primary_key) != 1:
                raise RuntimeError(
                    f"{model.__name__} has a composite primary key; set Meta.id_attribute"
                )
            self.id_column = primary_key[0]
            id_attribute = self.mapper.get_property_by_column(self.id_column).key
        self.id_attribute = id_attribute
        self.id_field = field_for_column(
            self.id_column, io="r", attribute=id_attribute
        ) or fields.String(io="r", attribute=id_attribute)
        self._id_instrumented = getattr(model, id_attribute)
        try:
            self._id_type: type | None = self.id_column.type.python_type
        except NotImplementedError:
            self._id_type = None

        self._import_columns(resource, meta)
        self._add_identity_fields(resource, meta)
        self._find_foreign_keys(resource)
        self._planned = False

    # -- set-up ------------------------------------------------------------------

    def _import_columns(self, resource: Any, meta: Any) -> None:
        schema = resource.schema
        include = meta.get("include_fields")
        exclude = set(meta.get("exclude_fields") or ())
        read_only = set(meta.get("read_only_fields") or ())
        write_only = set(meta.get("write_only_fields") or ())
        declared_attributes = {f.attribute or k for k, f in schema.fields.items()}
        foreign = {c for fk in self.mapper.local_table.foreign_keys for c in [fk.parent]}
        for prop in self.mapper.column_attrs:
            key = prop.key
            column = prop.columns[0]
            if key in schema.fields or key in declared_attributes or key in exclude:
                continue
            if include is not None and key not in include:
                continue
            if column in foreign or key.startswith("_"):
                continue
            if not isinstance(column, sa.Column):
                continue  # a column_property over an expression
            default, fills_itself = _column_default(column)
            if column.primary_key:
                table: Any = self.mapper.local_table
                if fills_itself or column is table.autoincrement_column:
                    continue  # the store numbers it: only $uri / $id show it
                io = "rc"  # given by the client once, never changed
            else:
                io = "rw"
            io = "r" if key in read_only else "w" if key in write_only else io
            field = field_for_column(column, io=io, nullable=bool(column.nullable), default=default)
            if field is None:
                continue  # no JSON form: the resource may declare a field for it
            if fills_itself and default is None:
                field.optional = True
            schema.set(key, field)

    def _find_foreign_keys(self, resource: Any) -> None:
        """The foreign-key column of each ToOne over a simple many-to-one relationship."""
        self._fk_fields: dict[str, str] = {}  # foreign key attribute -> field key
        self._fk_candidates: list[tuple[fields.ToOne, str, Any]] = []
        for key, field in resource.schema.fields.items():
            if not isinstance(field, fields.ToOne):
                continue
            attribute = field.attribute or key
            prop = self.mapper.relationships.get(attribute)
            if prop is None or prop.direction is not orm.interfaces.MANYTOONE:
                continue
            pairs = list(prop.local_remote_pairs)
            if len(pairs) != 1:
                continue
            local, remote = pairs[0]
            fk_key = self.mapper.get_property_by_column(local).key
            self._fk_fields[fk_key] = key
            self._fk_candidates.append((field, fk_key, remote))

    def _ensure_plan(self) -> None:
        """Work out, once all resources are known, how the built-in reads run."""
        if not self._planned:
            self._link_foreign_keys()
            self._plan_reads(self.resource)
            self._planned = True

    def _link_foreign_keys(self) -> None:
        """Let a ToOne read the target's id from the foreign key, when it holds it.

        The foreign key must point at the column the target resource uses as its
        id (its primary key, unless ``Meta.id_attribute`` says otherwise).
        """
        for field, fk_key, remote in self._fk_candidates:
            try:
                target_manager = field.target.manager
            except RuntimeError:  # target not registered (yet)
                continue
            converters = field.target.meta.get("key_converters") or ()
            if (
                isinstance(target_manager, SQLAlchemyManager)
                and target_manager.id_column is remote
                and converters
                and isinstance(converters[0], (RefKey, IDKey))  # written from the id alone
            ):
                field.id_attribute = fk_key
            else:
                field.id_attribute = None

    def _plan_reads(self, resource: Any) -> None:
        """Decide whether built-in reads can select plain rows of needed columns."""
        column_keys = {prop.key for prop in self.mapper.column_attrs}
        needed: list[str] = [self.id_attribute]
        eager: list[Any] = []
        row_mode = True
        for key, field in resource.schema.readable_fields.items():
            if isinstance(field, (fields.ItemType,)):
                continue
            if isinstance(field, fields.ItemUri) or key == "$id":
                continue
            if isinstance(field, fields.ToOne) and field.id_attribute:
                attribute = field.id_attribute
            else:
                attribute = field.attribute or key
            if attribute in column_keys:
                if attribute not in needed:
                    needed.append(attribute)
                continue
            row_mode = False
            if attribute in self.mapper.relationships:
                eager.append(orm.selectinload(getattr(self.model, attribute)))
        self._eager = eager
        self._row_columns = [getattr(self.model, key) for key in needed] if row_mode else None
        self._item_statement: Any = (
            sa.select(*self._row_columns).where(self._id_instrumented == sa.bindparam("potion_id"))
            if self._row_columns is not None
            else None
        )
        self._page_statements_by_shape: dict[Any, tuple[Any, Any]] = {}
        self._relation_statements: dict[tuple[str, Any], Any] = {}

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
        if isinstance(value, id_type):
            return value
        if id_type is uuid.UUID:
            return uuid.UUID(str(value))
        if id_type is str:
            return str(value)
        return value

    def _id_for_query(self, value: Any) -> Any:
        """``coerce_id``, with ``NO_MATCH`` for a value no item can have."""
        if value is NO_MATCH:
            return value
        try:
            return self.coerce_id(value)
        except (TypeError, ValueError):
            return NO_MATCH

    # -- sessions and transactions ----------------------------------------------

    @property
    def session(self) -> orm.scoped_session[Any]:
        return current_app.extensions["sqlalchemy"].session

    def _transaction_key(self) -> int:
        return id(current_app.extensions["sqlalchemy"])

    def _dialect(self) -> str:
        return self.session.get_bind(self.mapper).dialect.name

    def _flush(self) -> None:
        self.session.flush()

    def _commit(self) -> None:
        self.session.commit()

    def _rollback(self) -> None:
        self.session.rollback()

    def translate_error(self, exc: BaseException) -> PotionException | None:
        if isinstance(exc, PotionException):
            return None
        if isinstance(exc, sa_exc.IntegrityError):
            return self._integrity_error(exc)
        if isinstance(exc, sa_exc.DataError):
            return IntegrityViolation(
                [{"path": [], "validationOf": {"type": "storable"}}],
                message="The database cannot store a value of this item (too long or out of range)",
            )
        return None

    def _integrity_error(self, exc: sa_exc.IntegrityError) -> PotionException:
        """A 409 or 400 for an integrity error, naming the fields when it can.

        The table written by the failing statement tells whose constraint failed:
        this resource's own (a duplicate, a missing value, a dangling reference:
        the fields are named) or another table's whose rows still point at the
        item being deleted (409, ``referencedBy``).
        """
        dialect = self._dialect()
        table: Any = self.mapper.local_table
        verb, written_name = statement_target(exc.statement)
        if written_name is None or written_name == table.name:
            written = table
        else:
            written = table.metadata.tables.get(written_name)
        kind, columns = classify_integrity_error(
            exc, dialect, written if written is not None else table
        )
        debug = {"exception_message": str(exc.orig), "statement": exc.statement}
        reported = failing_table(exc, dialect)  # the table the error itself names
        name = self.resource.meta.name

        def referenced_from(other: str | None) -> PotionException:
            other = other or "another table"
            return BackendConflict(
                f"This {name} is still referenced from {other}",
                errors=[{"path": [], "validationOf": {"referencedBy": other}}],
                debug_info=debug,
            )

        if written is not table:
            # a write to another table: rows there that pointed at this item
            if kind == "not_null" and verb == "update" and written is not None:
                pointing = {
                    fk.parent.name for fk in written.foreign_keys if fk.column.table is table
                }
                if set(columns) & pointing:
                    return referenced_from(written.name)
            what = f"{written_name}.{', '.join(columns)}" if columns else written_name
            if kind == "unique":
                return DuplicateKey(
                    f"A row of {written_name} with this {what} already exists",
                    errors=[{"path": [], "validationOf": {"unique": columns}}],
                    debug_info=debug,
                )
            return IntegrityViolation(
                [{"path": [], "validationOf": {kind: columns}}],
                message=f"The database refused the write to {what}",
            )

        if kind == "foreign_key" and (
            verb == "delete" or (reported is not None and reported != table.name)
        ):
            if reported is None or reported == table.name:
                reported = _referencing_table(table)
            return referenced_from(reported)
        if kind == "foreign_key" and not columns:
            columns = self._dangling_columns(exc)

        keys = [self._field_key(c) for c in columns]
        if kind == "unique":
            errors = [{"path": [k], "validationOf": {"unique": True}} for k in keys]
            names = ", ".join(keys) or "a unique value"
            return DuplicateKey(
                f"An item with this {names} already exists", errors=errors, debug_info=debug
            )
        if kind == "not_null":
            errors = [{"path": [k], "validationOf": {"required": [k]}} for k in keys]
            return IntegrityViolation(errors, message=f"A value is required: {', '.join(keys)}")
        if kind == "foreign_key":
            errors = [{"path": [k], "validationOf": {"$ref": k}} for k in keys]
            return IntegrityViolation(
                errors, message="A reference points to an item that does not exist"
            )
        return BackendConflict(debug_info=debug)

    def _dangling_columns(self, exc: sa_exc.IntegrityError) -> list[str]:
        """The foreign keys of a failed write that point nowhere (SQLite does not say)."""
        params = statement_values(exc.statement, exc.params)
        candidates = [
            fk
            for fk in self.mapper.local_table.foreign_keys
            if params.get(fk.parent.name) is not None
        ]
        if len(candidates) <= 1:
            return [fk.parent.name for fk in candidates]
        dangling = []
        with self.session.get_bind(self.mapper).engine.connect() as connection:
            for fk in candidates:
                query = sa.select(sa.literal(1)).where(fk.column == params[fk.parent.name])
                if connection.execute(query.limit(1)).first() is None:
                    dangling.append(fk.parent.name)
        return dangling or [fk.parent.name for fk in candidates]

    def _field_key(self, column_name: str) -> str:
        try:
            prop = self.mapper.get_property_by_column(self.mapper.local_table.c[column_name])
        except (KeyError, orm.exc.UnmappedColumnError):
            return column_name
        key = prop.key
        if key in self._fk_fields:
            return self._fk_fields[key]
        for field_key, field in self.resource.schema.fields.items():
            if (field.attribute or field_key) == key:
                return field_key
        return key

    # -- queries -----------------------------------------------------------------

    def _column(self, attribute: str) -> Any:
        return getattr(self.model, attribute)

    def _expression(self, condition: Condition) -> Any:
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
        if not isinstance(target.manager, SQLAlchemyManager):
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
        query = sa.select(*entities).where(*criteria)
        clauses, joins = self._order_by(tuple(sort or ()))
        for alias, onclause in joins:
            query = query.outerjoin(alias, onclause)
        query = query.order_by(*clauses)
        if options:
            query_options = list(self.resource.meta.get("query_options") or ()) + self._eager
            if query_options:
                query = query.options(*query_options)
        return query

    def _count(self, where: Any) -> int:
        self._ensure_plan()
        query = sa.select(sa.func.count()).select_from(self.model).where(*self._where(where))
        return int(self.session.execute(query).scalar_one())

    def _page(
        self, entities: Any, page: int, per_page: int, where: Any, sort: Any, scalars: bool
    ) -> Pagination:
        where, sort = tuple(where or ()), tuple(sort or ())
        count, select, params = self._page_statements(entities, where, sort, scalars)
        session = self.session
        total = int(session.execute(count, params).scalar_one())
        if page > 1 and (page - 1) * per_page >= total:
            raise PageNotFound()
        params["potion_limit"] = per_page
        params["potion_offset"] = (page - 1) * per_page
        result = session.execute(select, params)
        items = result.scalars().all() if scalars else result.all()
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
            statements = (
                self._count_statement(criteria),
                _limited(self._select_where(entities, criteria, sort)),
            )
            if len(self._page_statements_by_shape) >= _STATEMENT_CACHE_SIZE:
                self._page_statements_by_shape.clear()
            self._page_statements_by_shape[shape] = statements
        params = {f"potion_w{i}": condition.value for i, condition in enumerate(where)}
        return statements[0], statements[1], params

    def _count_statement(self, criteria: Any) -> Any:
        return sa.select(sa.func.count()).select_from(self.model).where(*criteria)

    # -- reads -------------------------------------------------------------------

    def instances(self, where: Any = None, sort: Any = None) -> list[Any]:
        self._ensure_plan()
        return list(self.session.execute(self._select([self.model], where, sort)).scalars())

    def paginated_instances(
        self, page: int, per_page: int, where: Any = None, sort: Any = None
    ) -> Pagination:
        return self._page([self.model], page, per_page, where, sort, scalars=True)

    def first(self, where: Any = None, sort: Any = None) -> Any:
        self._ensure_plan()
        query = self._select([self.model], where, sort).limit(1)
        item = self.session.execute(query).scalars().first()
        if item is None:
            raise ItemNotFound(self.resource, where=where)
        return item

    def read(self, id: Any) -> Any:
        self._ensure_plan()  # items read here are formatted too: ToOne from the foreign key
        try:
            key = self.coerce_id(id)
        except (TypeError, ValueError):
            raise ItemNotFound(self.resource, id=id) from None
        if self.id_column.primary_key and len(self.mapper.primary_key) == 1:
            try:
                item = self.session.get(self.model, key)
            except sa_exc.DBAPIError:  # the database refused the value as an id
                self.session.rollback()
                item = None
        else:
            query = sa.select(self.model).where(self._id_instrumented == key)
            item = self.session.execute(query).scalars().first()
        if item is None:
            raise ItemNotFound(self.resource, id=id)
        return item

    def item_for_output(self, id: Any) -> Any:
        self._ensure_plan()
        if self._row_columns is None:
            return self.read(id)
        try:
            key = self.coerce_id(id)
        except (TypeError, ValueError):
            raise ItemNotFound(self.resource, id=id) from None
        row = self.session.execute(self._item_statement, {"potion_id": key}).first()
        if row is None:
            raise ItemNotFound(self.resource, id=id)
        return row

    def page_for_output(
        self, page: int, per_page: int, where: Any = None, sort: Any = None
    ) -> Pagination:
        self._ensure_plan()
        if self._row_columns is None:
            return self.paginated_instances(page, per_page, where, sort)
        return self._page(self._row_columns, page, per_page, where, sort, scalars=False)

    def relation_instances(
        self,
        item: Any,
        attribute: str,
        target_resource: Any,
        page: int | None = None,
        per_page: int | None = None,
    ) -> Any:
        target = target_resource.manager
        relationship = getattr(self.model, attribute)
        condition = orm.with_parent(item, relationship)
        order, _joins = target._order_by(())  # the target's sort_attribute, then its id
        query = sa.select(target.model).where(condition).order_by(*order)
        if page is None:
            return list(self.session.execute(query).scalars())
        per_page = per_page or 20
        count = sa.select(sa.func.count()).select_from(target.model).where(condition)
        total = int(self.session.execute(count).scalar_one())
        if page > 1 and (page - 1) * per_page >= total:
            raise PageNotFound()
        query = query.limit(per_page).offset((page - 1) * per_page)
        return Pagination(list(self.session.execute(query).scalars()), page, per_page, total)

    def relation_page_for_output(
        self, id: Any, attribute: str, target_resource: Any, page: int, per_page: int
    ) -> Any:
        """Two statements: the parent's existence with the count, then the targets' ids.

        Used when the target's reference is written from its id alone (``RefKey``
        or ``IDKey`` first) and the relation joins two different tables; otherwise
        the parent and the related objects are loaded.
        """
        self._ensure_plan()
        statements = self._relation_statements.get((attribute, target_resource), False)
        if statements is False:
            statements = self._relation_statements[(attribute, target_resource)] = (
                self._relation_page_statements(attribute, target_resource)
            )
        if statements is None:
            return super().relation_page_for_output(id, attribute, target_resource, page, per_page)
        count, select = statements
        try:
            params = {"potion_id": self.coerce_id(id)}
        except (TypeError, ValueError):
            raise ItemNotFound(self.resource, id=id) from None
        session = self.session
        try:
            total = session.execute(count, params).scalar()
        except (sa_exc.StatementError, ValueError, TypeError):  # an id the column cannot hold
            session.rollback()
            total = None
        if total is None:
            raise ItemNotFound(self.resource, id=id)
        if page > 1 and (page - 1) * per_page >= total:
            raise PageNotFound()
        params["potion_limit"] = per_page
        params["potion_offset"] = (page - 1) * per_page
        return Pagination(session.execute(select, params).all(), page, per_page, int(total))

    def _relation_page_statements(self, attribute: str, target_resource: Any) -> Any:
        """``(count, page)`` statements of a relation by the parent's id, or None."""
        target = target_resource.manager
        prop = self.mapper.relationships.get(attribute)
        converters = target_resource.meta.get("key_converters") or ()
        if (
            prop is None
            or not isinstance(target, SQLAlchemyManager)
            or target.model is self.model
            or not converters
            or not isinstance(converters[0], (RefKey, IDKey))
        ):
            return None
        relationship = getattr(self.model, attribute)
        parent = self._id_instrumented == sa.bindparam("potion_id")
        # No row when the parent does not exist; otherwise its number of targets.
        count = (
            sa.select(sa.func.count(target._id_instrumented))
            .select_from(self.model)
            .outerjoin(relationship)
            .where(parent)
            .group_by(self._id_instrumented)
        )
        order, _joins = target._order_by(())  # the target's sort_attribute, then its id
        select = (
            sa.select(target._id_instrumented)
            .select_from(self.model)
            .join(relationship)
            .where(parent)
            .order_by(*order)
        )
        return count, _limited(select)

    # -- writes ------------------------------------------------------------------

    def create(self, properties: dict[str, Any], commit: bool = True) -> Any:
        self._ensure_plan()
        with self.transaction(commit):
            item = self.model()
            for key, value in properties.items():
                setattr(item, key, value)
            self._send(signals.before_create, item=item)
            session = self.session
            session.add(item)
            session.flush()
            self._send(signals.after_create, item=item)
        return item

    def update(self, item: Any, changes: dict[str, Any], commit: bool = True) -> Any:
        self._ensure_plan()
        with self.transaction(commit):
            actual = self.changed(item, changes)
            self._send(signals.before_update, item=item, changes=actual)
            for key, value in changes.items():
                setattr(item, key, value)
            self.session.flush()
            self._send(signals.after_update, item=item, changes=actual)
        return item

    def delete(self, item: Any) -> None:
        with self.transaction():
            self._send(signals.before_delete, item=item)
            session = self.session
            session.delete(item)
            session.flush()
            self._send(signals.after_delete, item=item)

    def relation_add(
        self, item: Any, attribute: str, target_resource: Any, target_item: Any
    ) -> None:
        """Add ``target_item`` to the collection; a child already in it changes nothing."""
        with self.transaction():
            self._send(
                signals.before_add_to_relation, item=item, attribute=attribute, child=target_item
            )
            if self._in_collection(item, attribute, target_item):
                return
            getattr(item, attribute).append(target_item)
            self._flush_relation(attribute, target_resource)
            self._send(
                signals.after_add_to_relation, item=item, attribute=attribute, child=target_item
            )

    def relation_remove(
        self, item: Any, attribute: str, target_resource: Any, target_item: Any
    ) -> None:
        """Remove ``target_item`` from the collection; a child not in it changes nothing."""
        with self.transaction():
            self._send(
                signals.before_remove_from_relation,
                item=item,
                attribute=attribute,
                child=target_item,
            )
            if not self._in_collection(item, attribute, target_item):
                return
            getattr(item, attribute).remove(target_item)
            self._flush_relation(attribute, target_resource)
            self._send(
                signals.after_remove_from_relation,
                item=item,
                attribute=attribute,
                child=target_item,
            )

    def _in_collection(self, item: Any, attribute: str, target_item: Any) -> bool:
        """Whether ``target_item`` is in the collection, without loading all of it."""
        loaded = sa.inspect(item).dict.get(attribute)
        if isinstance(loaded, (list, set)):
            return target_item in loaded
        target_mapper = sa.inspect(type(target_item))
        key = target_mapper.primary_key_from_instance(target_item)
        if any(part is None for part in key):
            return False
        query = (
            sa.select(sa.literal(1))
            .select_from(target_mapper)
            .where(orm.with_parent(item, getattr(self.model, attribute)))
            .where(
                *[
                    column == value
                    for column, value in zip(target_mapper.primary_key, key, strict=True)
                ]
            )
            .limit(1)
        )
        return self.session.execute(query).first() is not None

    def _flush_relation(self, attribute: str, target_resource: Any) -> None:
        """Flush a change of a collection; a child that cannot leave it is a 400."""
        try:
            self.session.flush()
        except sa_exc.IntegrityError as exc:
            target = target_resource.manager
            if isinstance(target, SQLAlchemyManager):
                kind, columns = classify_integrity_error(
                    exc, self._dialect(), target.mapper.local_table
                )
                if kind == "not_null" and all(c in target.mapper.local_table.c for c in columns):
                    keys = [target._field_key(c) for c in columns] or [attribute]
                    name = target.resource.meta.name
                    raise IntegrityViolation(
                        [{"path": [], "validationOf": {"required": keys}}],
                        message=(
                            f"A {name} cannot be without its {', '.join(keys)}: "
                            f"it cannot be removed from {attribute}"
                        ),
                    ) from exc
            raise
