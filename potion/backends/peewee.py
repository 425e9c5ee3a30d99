"""The peewee backend (peewee 3.17+ and 4.x).

Fields are inferred from the model's fields, a ``ForeignKeyField`` becoming a
:class:`~potion.fields.ToOne` that formats its reference from the foreign-key
value (no join, no extra query).  Filters, sorting, counting and paging are SQL;
back-references and ``ManyToManyField`` are usable as ``Relation`` routes and as
``ToMany`` fields.  Every write runs in ``database.atomic()`` with its signals
inside, and integrity errors become 409/400 answers naming the field.
"""

from __future__ import annotations

import contextvars
import re
import uuid
import weakref
from typing import Any

import peewee

from .. import fields, filters, signals
from ..exceptions import (
    BackendConflict,
    DuplicateKey,
    IntegrityViolation,
    ItemNotFound,
    PageNotFound,
    PotionException,
)
from ..filters import NO_MATCH, Condition, like_escape
from ..pagination import Pagination
from . import RelationalManager
from .sqlerrors import classify_integrity_error, failing_table

__all__ = ["PeeweeManager", "field_for_peewee_field"]

#: Open ``atomic()`` blocks per database, innermost last (per thread / task).
_open_blocks: contextvars.ContextVar[dict[int, list[Any]] | None] = contextvars.ContextVar(
    "potion_peewee_blocks", default=None
)
#: The model of the last statement a manager ran for a write (names fields in errors).
_writing: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "potion_peewee_writing", default=None
)

#: Resources by peewee model, in creation order (weakly held).
_resources_by_model: dict[Any, list[weakref.ref[Any]]] = {}

_INTEGER_LIMIT = 2**63


# -- fields ----------------------------------------------------------------------


def _class_names(field: Any) -> set[str]:
    return {cls.__name__ for cls in type(field).__mro__}


def _choice_values(choices: Any) -> list[Any]:
    return [c[0] if isinstance(c, (tuple, list)) else c for c in choices]


def field_for_peewee_field(field: Any, **kwargs: Any) -> fields.Raw | None:
    """The Potion field for a (non-relational) peewee field, or None if unsupported."""
    names = _class_names(field)
    choices = _choice_values(field.choices) if getattr(field, "choices", None) else None
    result: fields.Raw
    if "JSONField" in names or "BinaryJSONField" in names:
        result = fields.Any(**kwargs)
    elif isinstance(field, (peewee.UUIDField, peewee.BinaryUUIDField)):
        result = fields.UUID(as_uuid=True, **kwargs)
    elif isinstance(field, peewee.BooleanField):
        result = fields.Boolean(**kwargs)
    elif "DateTimeTZField" in names:
        result = fields.DateTime(**kwargs)
    elif isinstance(field, (peewee.DateTimeField, peewee.TimestampField)):
        result = fields.DateTime(naive=True, **kwargs)
    elif isinstance(field, peewee.DateField):
        result = fields.Date(**kwargs)
    elif isinstance(field, peewee.IPField):
        result = fields.String(**kwargs)
    elif isinstance(field, peewee.IntegerField):
        result = fields.Integer(**kwargs)
    elif isinstance(field, (peewee.FloatField, peewee.DecimalField)):
        result = fields.Number(**kwargs)
    elif isinstance(field, peewee.CharField):
        result = fields.String(max_length=field.max_length, enum=choices, **kwargs)
        return result
    elif isinstance(field, peewee.TextField):
        result = fields.String(enum=choices, **kwargs)
        return result
    else:
        return None
    if choices is not None and isinstance(result._schema, dict):
        result._schema = dict(result._schema, enum=choices)
    return result


class _ModelToOne(fields.ToOne):
    """A ToOne for a foreign key: its target is the resource whose model the key refers to."""

    def __init__(self, foreign_key: Any, **kwargs: Any) -> None:
        self.foreign_key = foreign_key
        super().__init__(foreign_key.rel_model, **kwargs)
        self.id_attribute = foreign_key.object_id_name

    @property
    def target(self) -> Any:
        if self._target is None:
            self._target = resource_for_model(self.foreign_key.rel_model, self.resource)
        return self._target


def resource_for_model(model: Any, referrer: Any = None) -> Any:
    """The resource serving ``model``: on the referrer's Api first, then any created."""
    if referrer is not None and referrer.meta.get("model") is model:
        return referrer
    api = getattr(referrer, "api", None)
    if api is not None:
        for resource in api.resources.values():
            if resource.meta.get("model") is model:
                return resource
    candidates = [r for r in (ref() for ref in _resources_by_model.get(model, ())) if r]
    same_api = [r for r in candidates if r.api is api]
    chosen = same_api or candidates
    if not chosen:
        raise RuntimeError(
            f"No resource has Meta.model = {model.__name__}: add one, or exclude the "
            "foreign key from the referring resource (Meta.exclude_fields)"
        )
    return chosen[-1]


# -- the manager -----------------------------------------------------------------


class PeeweeManager(RelationalManager):
    """Manager for peewee models.

    Meta options: ``model``, ``id_attribute`` (default: the primary key),
    ``include_fields``, ``exclude_fields``, ``natural_key``, ``sort_attribute``,
    ``read_only_fields``, ``write_only_fields``, ``required_fields``, ``name``
    (default: the model's table name).
    """

    #: UUIDs are stored as hex on SQLite and MariaDB: only (in)equality makes sense.
    FILTERS_BY_TYPE = {
        **filters.FILTERS_BY_TYPE,
        fields.UUID: (filters.EqualFilter, filters.NotEqualFilter, filters.InFilter),
    }

    # -- set-up ------------------------------------------------------------------

    def _init_model(self, resource: Any, model: Any, meta: Any) -> None:
        if not (isinstance(model, type) and issubclass(model, peewee.Model)):
            raise TypeError(f"PeeweeManager needs a peewee Model, not {model!r}")
        self.model = model
        model_meta = model._meta
        if not getattr(resource, "_names_itself", False):
            meta.name = model_meta.table_name
            resource.route_prefix = "/" + meta.name

        id_attribute = meta.get("id_attribute")
        if id_attribute:
            id_column = model_meta.fields.get(id_attribute)
            if id_column is None:
                raise RuntimeError(
                    f"{model.__name__} has no field {id_attribute!r} (Meta.id_attribute)"
                )
        else:
            id_column = model_meta.primary_key
            if not isinstance(id_column, peewee.Field) or isinstance(
                id_column, peewee.CompositeKey
            ):
                raise RuntimeError(
                    f"{model.__name__} has no single-field primary key; set Meta.id_attribute"
                )
            id_attribute = id_column.name
        self.id_attribute = id_attribute
        self.id_column = id_column
        self.id_field = self._id_field_for(id_column, meta)

        self._foreign_keys: dict[str, Any] = {}  # schema key → ForeignKeyField
        self._checked_references = False
        self._import_fields(resource, meta)
        self._add_identity_fields(resource, meta)
        self._link_foreign_keys(resource)
        _resources_by_model.setdefault(model, []).append(weakref.ref(resource))

    def _id_field_for(self, column: Any, meta: Any) -> fields.Raw:
        declared = meta.get("id_field_class")
        if isinstance(column, peewee.ForeignKeyField):
            column = column.rel_field
        inferred = field_for_peewee_field(column, io="r", attribute=self.id_attribute)
        if isinstance(inferred, fields.Integer) or declared not in (None, fields.Integer):
            if isinstance(inferred, fields.Integer):
                return inferred
            return declared(io="r", attribute=self.id_attribute)
        if inferred is None:
            return fields.String(io="r", attribute=self.id_attribute)
        return inferred

    def _import_fields(self, resource: Any, meta: Any) -> None:
        schema = resource.schema
        include = meta.get("include_fields")
        exclude = set(meta.get("exclude_fields") or ())
        read_only = set(meta.get("read_only_fields") or ())
        write_only = set(meta.get("write_only_fields") or ())
        declared_attributes = {f.attribute or k for k, f in schema.fields.items()}
        for column in self.model._meta.sorted_fields:
            key = column.name
            if key.startswith("_") or key in exclude:
                continue
            if include is not None and key not in include:
                continue
            if key in schema.fields or key in declared_attributes:
                continue
            io = "rw"
            if column.primary_key:
                if isinstance(column, peewee.AutoField) or column.default is not None:
                    continue  # the store fills it: only $uri / $id show it
                io = "rc"  # given by the client once, never changed
            io = "r" if key in read_only else "w" if key in write_only else io
            kwargs: dict[str, Any] = {"io": io, "nullable": bool(column.null)}
            default = column.default
            optional = False
            if callable(default):
                optional = True
            elif default is not None:
                kwargs["default"] = default
            if isinstance(column, peewee.AutoField):
                optional = True
            field: fields.Raw | None
            if isinstance(column, peewee.ForeignKeyField):
                field = _ModelToOne(column, **kwargs)
            else:
                field = field_for_peewee_field(column, **kwargs)
            if field is None:
                continue
            if optional:
                field.optional = True
            schema.set(key, field)

    def _link_foreign_keys(self, resource: Any) -> None:
        """Let ToOne fields over foreign keys format their reference from the key value."""
        model_fields = self.model._meta.fields
        for key, field in resource.schema.fields.items():
            if not isinstance(field, fields.ToOne):
                continue
            column = model_fields.get(field.attribute or key)
            if isinstance(column, peewee.ForeignKeyField):
                self._foreign_keys[key] = column
                field.id_attribute = column.object_id_name

    def _check_references(self) -> None:
        """Once targets resolve: keep ``id_attribute`` only where the key holds the target id."""
        if self._checked_references:
            return
        for key, foreign_key in self._foreign_keys.items():
            field = self.resource.schema.fields.get(key)
            if field is None:
                continue
            try:
                target = field.target
            except RuntimeError:
                return  # not registered yet; try again on the next call
            manager = getattr(target, "manager", None)
            if getattr(manager, "id_attribute", None) != foreign_key.rel_field.name:
                field.id_attribute = None
        self._checked_references = True

    def _init_filters(self, resource: Any, meta: Any) -> None:
        super()._init_filters(resource, meta)
        for key in list(self.filters):
            field = resource.schema.fields[key]
            if not self._filterable(key, field):
                del self.filters[key]
        self.sortable = {
            key: field
            for key, field in self.sortable.items()
            if key in self.filters and not isinstance(field, fields.Array)
        }

    def _filterable(self, key: str, field: Any) -> bool:
        if isinstance(field, fields.ItemUri) or key == "$id":
            return True
        attribute = field.attribute or key
        if attribute in self.model._meta.fields:
            return True
        if isinstance(field, fields.ToMany):
            return self._collection(attribute) is not None
        return False

    # -- the database ------------------------------------------------------------

    @property
    def database(self) -> Any:
        database = self.model._meta.database
        while isinstance(database, peewee.Proxy):
            database = database.obj
        return database

    def _dialect(self) -> str:
        database = self.database
        if isinstance(database, peewee.PostgresqlDatabase):
            return "postgresql"
        if isinstance(database, peewee.MySQLDatabase):
            return "mysql"
        return "sqlite"

    # -- transactions ------------------------------------------------------------

    def _transaction_key(self) -> int:
        return id(self.database)

    def _blocks(self) -> list[Any]:
        blocks = _open_blocks.get()
        if blocks is None:
            blocks = {}
            _open_blocks.set(blocks)
        return blocks.setdefault(id(self.database), [])

    def _begin(self) -> None:
        database = self.database
        nested = database.in_transaction()
        block = database.atomic()
        block.__enter__()
        self._blocks().append((block, nested))

    def _commit(self) -> None:
        blocks = self._blocks()
        if blocks:
            block, _nested = blocks.pop()
            block.__exit__(None, None, None)

    def _flush(self) -> None:
        # The statements have run.  Inside a caller's transaction the savepoint is
        # released (the caller commits); otherwise the transaction stays open until
        # ``commit()`` (or is rolled back by ``transaction()``/a failed write).
        blocks = self._blocks()
        if blocks and blocks[-1][1]:
            self._commit()

    def _rollback(self) -> None:
        blocks = self._blocks()
        if blocks:
            block, _nested = blocks.pop()
            error = RuntimeError("rollback")
            block.__exit__(RuntimeError, error, None)

    # -- errors ------------------------------------------------------------------

    def translate_error(self, exc: BaseException) -> PotionException | None:
        if isinstance(exc, PotionException):
            return None
        if isinstance(exc, peewee.IntegrityError):
            return self._integrity_error(exc)
        if isinstance(exc, peewee.DataError):
            return IntegrityViolation(
                [{"path": [], "validationOf": {"type": "storable"}}],
                message=f"The database refused a value: {getattr(exc, 'orig', exc)}",
            )
        return None

    def _integrity_error(self, exc: Any) -> PotionException:
        orig = getattr(exc, "orig", None) or exc
        dialect = self._dialect()
        model, operation, item = _writing.get() or (self.model, "save", None)
        table_name = failing_table(orig, dialect)
        debug = {"exception_message": str(orig)}
        if operation == "delete":
            # Deleting a row that others still refer to.
            referencing = table_name or _referencing_table(str(orig)) or self._referencing_guess()
            return BackendConflict(
                f"This {self.resource.meta.name} is still referenced from {referencing}",
                errors=[{"path": [], "validationOf": {"referencedBy": referencing}}],
                debug_info=debug,
            )
        if table_name is not None:
            model = self._model_for_table(table_name) or model
        kind, columns = classify_integrity_error(orig, dialect, _constraints(model))
        if model is not self.model:
            # a write to another table (a link table, a child's foreign key)
            table = model._meta.table_name
            what = f"{table}.{', '.join(columns)}" if columns else table
            if kind == "unique":
                return DuplicateKey(
                    f"A row of {table} with this {what} already exists",
                    errors=[{"path": [], "validationOf": {"unique": columns}}],
                    debug_info=debug,
                )
            return IntegrityViolation(
                [{"path": [], "validationOf": {kind: columns}}],
                message=f"The database refused the write to {what}",
            )
        if kind == "foreign_key" and not columns and item is not None:
            columns = _dangling_columns(model, item)
        keys = [self._field_key(model, c) for c in columns]
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

    def _referencing_guess(self) -> str:
        tables = sorted({m._meta.table_name for m in self.model._meta.backrefs.values()})
        return tables[0] if len(tables) == 1 else "another table"

    def _model_for_table(self, table_name: str) -> Any:
        for model in self._related_models():
            if model._meta.table_name == table_name:
                return model
        return None

    def _related_models(self) -> list[Any]:
        meta = self.model._meta
        models = [self.model]
        models += list(meta.refs.values())
        models += list(meta.backrefs.values())
        for m2m in meta.manytomany.values():
            models += [m2m.rel_model, m2m.through_model]
        return models

    def _field_key(self, model: Any, column_name: str) -> str:
        column = model._meta.columns.get(column_name) or model._meta.fields.get(column_name)
        if column is None:
            return column_name
        name = column.name
        if model is not self.model:
            return name
        for key, foreign_key in self._foreign_keys.items():
            if foreign_key is column:
                return key
        for key, field in self.resource.schema.fields.items():
            if (field.attribute or key) == name:
                return key
        return name

    def _run(self, model: Any, statement: Any, operation: str = "save", item: Any = None) -> Any:
        """Run a write statement, remembering what it writes for error messages."""
        _writing.set((model, operation, item))
        return statement()

    # -- queries -----------------------------------------------------------------

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

    def _expression(self, condition: Condition) -> Any:
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
        try:
            connection = self.database.connection()
            connection.create_function("potion_casefold", 1, _casefold, deterministic=True)
        except Exception:  # not the sqlite3 driver: fall back to lower()
            return False
        return True

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
            or not isinstance(target.manager, PeeweeManager)
            or not isinstance(column, peewee.ForeignKeyField)
        ):
            return query, column
        if isinstance(sort_attribute, (tuple, list)):
            sort_attribute = sort_attribute[0]
        alias = target.manager.model.alias()
        on = column == getattr(alias, column.rel_field.name)
        query = query.join_from(self.model, alias, peewee.JOIN.LEFT_OUTER, on=on)
        return query, getattr(alias, sort_attribute)

    # -- reads -------------------------------------------------------------------

    def _coerce_id(self, value: Any) -> Any:
        column = self.id_column
        if isinstance(column, peewee.ForeignKeyField):
            column = column.rel_field
        if isinstance(column, peewee.IntegerField):
            if isinstance(value, bool):
                raise ValueError(value)
            value = int(value)
            if not -_INTEGER_LIMIT <= value < _INTEGER_LIMIT:
                raise ValueError(value)
        elif isinstance(column, (peewee.UUIDField, peewee.BinaryUUIDField)):
            if not isinstance(value, uuid.UUID):
                value = uuid.UUID(str(value))
        return value

    def _fetch(self, query: Any) -> list[Any]:
        try:
            return list(query)
        except (peewee.DataError, OverflowError):
            return []

    def instances(self, where: Any = None, sort: Any = None) -> Any:
        self._check_references()
        return self._ordered(self._filtered(self._query(), where), sort)

    def paginated_instances(
        self, page: int, per_page: int, where: Any = None, sort: Any = None
    ) -> Pagination:
        self._check_references()
        query = self._filtered(self._query(), where)
        total = query.count()
        if page > 1 and (page - 1) * per_page >= total:
            raise PageNotFound()
        items = list(self._ordered(query, sort).paginate(page, per_page)) if total else []
        return Pagination(items, page, per_page, total)

    def first(self, where: Any = None, sort: Any = None) -> Any:
        self._check_references()
        query = self._ordered(self._filtered(self._query(), where), sort).limit(1)
        for item in self._fetch(query):
            return item
        raise ItemNotFound(self.resource, where=where)

    def read(self, id: Any) -> Any:
        self._check_references()
        try:
            value = self._coerce_id(id)
        except (TypeError, ValueError):
            shown = id if not isinstance(id, int) or abs(id) < _INTEGER_LIMIT else str(id)
            raise ItemNotFound(self.resource, id=shown) from None
        for item in self._fetch(self._query().where(self.id_column == value).limit(1)):
            return item
        raise ItemNotFound(self.resource, id=id)

    def relation_instances(
        self,
        item: Any,
        attribute: str,
        target_resource: Any,
        page: int | None = None,
        per_page: int | None = None,
    ) -> Any:
        query = self._relation_query(item, attribute, target_resource)
        if page is None:
            return list(query)
        per_page = per_page or 20
        total = query.order_by().count()
        if page > 1 and (page - 1) * per_page >= total:
            raise PageNotFound()
        items = list(query.paginate(page, per_page)) if total else []
        return Pagination(items, page, per_page, total)

    def _relation(self, attribute: str) -> tuple[str, Any]:
        collection = self._collection(attribute)
        if collection is None:
            raise RuntimeError(
                f"{self.model.__name__}.{attribute} is neither a back-reference nor a "
                "ManyToManyField"
            )
        return collection

    def _relation_query(self, item: Any, attribute: str, target_resource: Any) -> Any:
        kind, relation = self._relation(attribute)
        if kind == "backref":
            child = relation.model
            parent_value = getattr(item, relation.rel_field.name)
            query = child.select().where(relation == parent_value)
        else:
            child = relation.rel_model
            through = relation.through_model
            parent_value = getattr(item, relation.src_fk.rel_field.name)
            query = (
                child.select()
                .join(through, on=(relation.dest_fk == relation.dest_fk.rel_field))
                .where(relation.src_fk == parent_value)
            )
        target = getattr(target_resource, "manager", None)
        if isinstance(target, PeeweeManager) and target.model is child:
            return target._ordered(query, ())  # its sort_attribute, then its id
        return query.order_by(_id_column_of(child).asc())

    # -- writes ------------------------------------------------------------------

    def _split(self, properties: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        plain: dict[str, Any] = {}
        collections: dict[str, Any] = {}
        for key, value in properties.items():
            if key not in self.model._meta.fields and self._collection(key) is not None:
                collections[key] = value
            else:
                plain[key] = value
        return plain, collections

    def create(self, properties: dict[str, Any], commit: bool = True) -> Any:
        self._check_references()
        with self.transaction(commit):
            plain, collections = self._split(properties)
            item = self.model()
            for key, value in plain.items():
                setattr(item, key, value)
            self._send(signals.before_create, item=item)
            self._run(self.model, lambda: item.save(force_insert=True), "save", item)
            for key, value in collections.items():
                self._set_collection(item, key, value)
            self._send(signals.after_create, item=item)
        return item

    def changed(self, item: Any, changes: dict[str, Any]) -> dict[str, Any]:  # type: ignore[override]
        """The subset of ``changes`` that differ, comparing foreign keys by id."""
        actual: dict[str, Any] = {}
        rest: dict[str, Any] = {}
        model_fields = self.model._meta.fields
        for key, value in changes.items():
            column = model_fields.get(key)
            if isinstance(column, peewee.ForeignKeyField):
                current = item.__data__.get(column.name)
                new = (
                    getattr(value, column.rel_field.name)
                    if isinstance(value, peewee.Model)
                    else value
                )
                if current != new or (current is None) != (new is None):
                    actual[key] = value
            elif key not in model_fields and self._collection(key) is not None:
                current_ids = {self._child_id(c) for c in self._relation_query(item, key, None)}
                new_ids = {self._child_id(c) for c in value or ()}
                if current_ids != new_ids:
                    actual[key] = value
            else:
                rest[key] = value
        actual.update(super().changed(item, rest))
        return {key: actual[key] for key in changes if key in actual}

    @staticmethod
    def _child_id(child: Any) -> Any:
        return child.get_id() if isinstance(child, peewee.Model) else child

    def update(self, item: Any, changes: dict[str, Any], commit: bool = True) -> Any:
        self._check_references()
        with self.transaction(commit):
            actual = self.changed(item, changes)
            self._send(signals.before_update, item=item, changes=actual)
            plain, collections = self._split(actual)
            for key, value in plain.items():
                setattr(item, key, value)
            dirty = item.dirty_fields
            if dirty:
                self._run(self.model, lambda: item.save(only=dirty), "save", item)
            for key, value in collections.items():
                self._set_collection(item, key, value)
            self._send(signals.after_update, item=item, changes=actual)
        return item

    def delete(self, item: Any) -> None:
        self._check_references()
        with self.transaction():
            self._send(signals.before_delete, item=item)
            for name in list(self.model._meta.manytomany):
                kind, accessor = self._relation(name)
                through = accessor.through_model
                value = getattr(item, accessor.src_fk.rel_field.name)
                statement = through.delete().where(accessor.src_fk == value)
                self._run(through, statement.execute)
            self._run(self.model, item.delete_instance, "delete")
            self._send(signals.after_delete, item=item)

    def _set_collection(self, item: Any, attribute: str, children: Any) -> None:
        kind, relation = self._relation(attribute)
        children = list(children or ())
        if kind == "m2m":
            through = relation.through_model
            src, dest = relation.src_fk, relation.dest_fk
            parent_value = getattr(item, src.rel_field.name)
            self._run(through, through.delete().where(src == parent_value).execute)
            rows = [{src: parent_value, dest: getattr(c, dest.rel_field.name)} for c in children]
            if rows:
                self._run(through, through.insert_many(rows).execute)
            return
        child_model = relation.model
        child_id = _id_column_of(child_model)
        parent_value = getattr(item, relation.rel_field.name)
        ids = [getattr(c, child_id.name) for c in children]
        detach = child_model.update({relation: None}).where(relation == parent_value)
        if ids:
            detach = detach.where(child_id.not_in(ids))
        self._run(child_model, detach.execute)
        if ids:
            attach = child_model.update({relation: parent_value}).where(child_id.in_(ids))
            self._run(child_model, attach.execute)
            for child in children:
                child.__data__[relation.name] = parent_value
                child.__rel__.pop(relation.name, None)

    def relation_add(
        self, item: Any, attribute: str, target_resource: Any, target_item: Any
    ) -> None:
        kind, relation = self._relation(attribute)
        with self.transaction():
            self._send(
                signals.before_add_to_relation, item=item, attribute=attribute, child=target_item
            )
            if kind == "backref":
                setattr(target_item, relation.name, item)
                child_model = type(target_item)
                self._run(child_model, lambda: target_item.save(only=[relation]))
            else:
                through = relation.through_model
                src, dest = relation.src_fk, relation.dest_fk
                row = {
                    src: getattr(item, src.rel_field.name),
                    dest: getattr(target_item, dest.rel_field.name),
                }
                exists = through.select().where(src == row[src], dest == row[dest]).exists()
                if not exists:
                    self._run(through, through.insert(row).execute)
            self._send(
                signals.after_add_to_relation, item=item, attribute=attribute, child=target_item
            )

    def relation_remove(
        self, item: Any, attribute: str, target_resource: Any, target_item: Any
    ) -> None:
        kind, relation = self._relation(attribute)
        with self.transaction():
            self._send(
                signals.before_remove_from_relation,
                item=item,
                attribute=attribute,
                child=target_item,
            )
            if kind == "backref":
                parent_value = getattr(item, relation.rel_field.name)
                removed = target_item.__data__.get(relation.name) == parent_value
                if removed and not relation.null:
                    key = _schema_key(target_resource, relation)
                    raise IntegrityViolation(
                        [{"path": [], "validationOf": {"required": [key]}}],
                        message=(
                            f"A {target_resource.meta.name} cannot be without its {key}: "
                            f"it cannot be removed from {attribute}"
                        ),
                    )
                if removed:
                    setattr(target_item, relation.name, None)
                    child_model = type(target_item)
                    self._run(child_model, lambda: target_item.save(only=[relation]))
            else:
                through = relation.through_model
                src, dest = relation.src_fk, relation.dest_fk
                statement = through.delete().where(
                    src == getattr(item, src.rel_field.name),
                    dest == getattr(target_item, dest.rel_field.name),
                )
                removed = bool(self._run(through, statement.execute))
            if removed:
                self._send(
                    signals.after_remove_from_relation,
                    item=item,
                    attribute=attribute,
                    child=target_item,
                )


# -- helpers ---------------------------------------------------------------------


class _Subquery:
    """An operand that is a subquery selecting the matching key values."""

    def __init__(self, query: Any) -> None:
        self.query = query


def _dangling_columns(model: Any, item: Any) -> list[str]:
    """The foreign keys of ``item`` that point nowhere (SQLite does not say which)."""
    candidates = [
        column
        for column in model._meta.sorted_fields
        if isinstance(column, peewee.ForeignKeyField) and item.__data__.get(column.name) is not None
    ]
    if len(candidates) <= 1:
        return [column.column_name for column in candidates]
    dangling = []
    for column in candidates:
        target = column.rel_field
        value = item.__data__.get(column.name)
        if not target.model.select().where(target == value).exists():
            dangling.append(column.column_name)
    return dangling or [column.column_name for column in candidates]


def _referencing_table(message: str) -> str | None:
    match = re.search(r'referenced from table "?([^"]+)"?', message)
    return match.group(1) if match else None


_TRUE = peewee.SQL("1 = 1")
_FALSE = peewee.SQL("1 = 0")


def _schema_key(resource: Any, column: Any) -> str:
    """The key of the field of ``resource`` that writes ``column``."""
    for key, field in resource.schema.fields.items():
        if (field.attribute or key) == column.name:
            return key
    return column.name


def _id_column_of(model: Any) -> Any:
    return model._meta.primary_key


def _valid_ids(manager: Any, value: Any) -> Any:
    """The operand with ids no item can have (``"abc"``, 2**70) made ``NO_MATCH``.

    In a list they are left out.
    """
    if not isinstance(manager, PeeweeManager):
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


def _casefold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


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


def _constraints(model: Any) -> list[tuple[str | None, list[str], str]]:
    """Unique indexes and foreign keys of a model, as :mod:`.sqlerrors` reads them."""
    result: list[tuple[str | None, list[str], str]] = []
    meta = model._meta
    primary_key = meta.primary_key
    if primary_key is not None and not isinstance(primary_key, peewee.CompositeKey):
        result.append(("PRIMARY", [primary_key.column_name], "unique"))
    for index in meta.fields_to_index():
        if not getattr(index, "_unique", False):
            continue
        columns = [
            e.column_name for e in getattr(index, "_expressions", ()) if isinstance(e, peewee.Field)
        ]
        result.append((getattr(index, "_name", None), columns, "unique"))
    for column in meta.sorted_fields:
        if isinstance(column, peewee.ForeignKeyField):
            result.append((column.constraint_name, [column.column_name], "foreign_key"))
    return result
