"""The SQLAlchemy manager: set-up, transactions, reads and writes."""

from __future__ import annotations

import contextvars
import threading
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import exc as sa_exc
from sqlalchemy import orm
from sqlalchemy.orm.util import LoaderCriteriaOption

from ... import fields, filters
from ...exceptions import ItemNotFound, PageNotFound
from ...natural_keys import IDKey, RefKey
from ...pagination import Pagination
from .. import RelationalManager, StoredAttribute
from ..sqlerrors import statement_target
from .collections import (
    QueryToMany,
    add_child,
    association_links,
    is_query_only,
    replace_children,
)
from .errors import ErrorsMixin
from .inference import EnumField, _column_default, field_for_column
from .queries import QueryMixin, _limited
from .rows import RowWriter

__all__ = ["SQLAlchemyManager", "FILLED_BY_MODEL"]

#: While a manager deletes an item: its tables and the row counts of their DELETEs.
_deleted_rows: contextvars.ContextVar[tuple[set[str], list[int]] | None] = contextvars.ContextVar(
    "potion_sqlalchemy_deleted_rows", default=None
)
_counting_lock = threading.Lock()
#: What the ORM raises when an item's row is not there any more.
_GONE = (orm.exc.StaleDataError, orm.exc.ObjectDeletedError)


def _count_deletes(engine: Any) -> None:
    """Have ``engine`` report the row counts of DELETE statements (once per engine)."""
    if sa.event.contains(engine, "after_cursor_execute", _record_deleted_rows):
        return
    with _counting_lock:
        if not sa.event.contains(engine, "after_cursor_execute", _record_deleted_rows):
            sa.event.listen(engine, "after_cursor_execute", _record_deleted_rows)


def _record_deleted_rows(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    watched = _deleted_rows.get()
    if watched is None:
        return
    verb, table = statement_target(statement)
    if verb == "delete" and table in watched[0]:
        watched[1].append(cursor.rowcount)


class _Stored:
    """An item as a response formats it after a write: the columns the schema reads,
    as stored; any other attribute (a route's own field) is the item's."""

    def __init__(self, row: Any, item: Any) -> None:
        self.__dict__.update(row._mapping)
        self.__dict__["_potion_item"] = item

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_potion_item"], name)


def _labelled(attribute: Any, key: str) -> Any:
    """``attribute`` as a selected column whose row key is ``key``."""
    column = attribute.property.columns[0]
    return attribute if getattr(column, "name", None) == key else attribute.label(key)


#: ``Column(..., info={FILLED_BY_MODEL: True})``: the model fills the column itself
#: (a ``@validates`` hook, a ``before_insert`` event), so no field needs to write it.
FILLED_BY_MODEL = "potion_filled_by_model"


class SQLAlchemyManager(QueryMixin, ErrorsMixin, RelationalManager):
    """Manager for Flask-SQLAlchemy models."""

    FILTERS_BY_TYPE = {
        **RelationalManager.FILTERS_BY_TYPE,
        EnumField: (filters.EqualFilter, filters.NotEqualFilter, filters.InFilter),
    }

    def _init_model(self, resource: Any, model: Any, meta: Any) -> None:
        self.model = model
        self.mapper: orm.Mapper[Any] = sa.inspect(model)
        name = self.name_for_model(model)
        if not resource._names_itself and name:
            meta.name = name

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
        #: ``SELECT model WHERE id = :potion_id``, built on first use (see ``_get``)
        self._get_statement: Any = None
        #: single-row writes without the unit of work, when nothing can tell
        self._rows = RowWriter(self.mapper)
        try:
            self._id_type: type | None = self.id_column.type.python_type
        except NotImplementedError:
            self._id_type = None

        self._import_columns(resource, meta)
        self._add_identity_fields(resource, meta)
        self._find_foreign_keys(resource)
        self._wrap_query_only_collections(resource)
        self._planned = False

    # -- set-up ------------------------------------------------------------------

    @classmethod
    def name_for_model(cls, model: Any) -> str | None:
        return getattr(model, "__tablename__", None) or None

    def stored_attributes(self) -> list[StoredAttribute]:
        """Every column of the model: required when NOT NULL and nothing fills it."""
        found: list[StoredAttribute] = []
        mapper = self.mapper
        through: dict[Any, list[str]] = {}  # column -> many-to-one relationships setting it
        for relationship in mapper.relationships:
            if relationship.direction is orm.interfaces.MANYTOONE:
                for local, _remote in relationship.local_remote_pairs or ():
                    through.setdefault(local, []).append(relationship.key)
        autoincrement = getattr(mapper.local_table, "autoincrement_column", None)
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            if not isinstance(column, sa.Column) or prop.key.startswith("_"):
                continue
            fills_itself = (
                column.default is not None
                or column.server_default is not None
                or column.computed is not None
                or column.identity is not None
                or column is autoincrement
                or column is mapper.polymorphic_on
                or (column.primary_key and bool(column.foreign_keys))  # inherited key
                or bool(column.info.get(FILLED_BY_MODEL))
            )
            required = not column.nullable and not fills_itself
            relationships = tuple(through.get(column, ()))
            foreign = next(iter(column.foreign_keys), None)
            target = None
            if foreign is not None:
                target = self._model_of_table(foreign.column.table)
            found.append(
                StoredAttribute(
                    name=prop.key,
                    kind=type(column.type).__name__,
                    required=required,
                    fills_itself=fills_itself,
                    inferred=bool(column.foreign_keys)
                    or column.primary_key
                    or field_for_column(column) is not None,
                    writers=relationships,
                    reference=relationships[0] if relationships else None,
                    target=target,
                )
            )
        return found

    def _model_of_table(self, table: Any) -> Any:
        for mapper in self.mapper.registry.mappers:
            if mapper.local_table is table:
                return mapper.class_
        return table.name

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
            if column.primary_key:
                continue  # the item's $uri / $id; declare a field to let clients set it
            default, fills_itself = _column_default(column)
            io = "r" if key in read_only else "w" if key in write_only else "rw"
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
        #: relationship attribute of a ToOne -> (its foreign key, the target's key
        #: attribute, the name of the reverse collection or None)
        self._many_to_one: dict[str, tuple[str, str, str | None]] = {}
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
            reverse = prop.back_populates or prop.backref
            if isinstance(reverse, tuple):
                reverse = reverse[0]
            remote_key = prop.mapper.get_property_by_column(remote).key
            self._many_to_one[attribute] = (fk_key, remote_key, reverse or None)

    def _wrap_query_only_collections(self, resource: Any) -> None:
        """ToMany fields over dynamic or write-only relationships read through a query."""
        for key, field in list(resource.schema.fields.items()):
            if isinstance(field, fields.ToMany) and is_query_only(
                self.mapper, field.attribute or key
            ):
                resource.schema.set(key, QueryToMany.wrap(field, self))

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
            if attribute in self.mapper.relationships and not is_query_only(self.mapper, attribute):
                eager.append(orm.selectinload(getattr(self.model, attribute)))
        self._eager = eager
        options = list(resource.meta.get("query_options") or ())
        # Criteria (with_loader_criteria) narrow every statement, counts and rows
        # included; loader options shape the ORM objects of entity queries.
        self._criteria = [o for o in options if isinstance(o, LoaderCriteriaOption)]
        self._loader_options = [o for o in options if not isinstance(o, LoaderCriteriaOption)]
        # Each column labelled by its attribute: a row of a statement run on a
        # connection is keyed by column names, which an attribute may not share.
        self._row_columns = (
            [_labelled(getattr(self.model, key), key) for key in needed] if row_mode else None
        )
        self._row_keys = frozenset(needed)
        self._item_statement: Any = (
            self._reusable(
                sa.select(*self._row_columns)
                .where(self._id_instrumented == sa.bindparam("potion_id"))
                .options(*self._criteria)
            )
            if self._row_columns is not None
            else None
        )
        self._page_statements_by_shape: dict[Any, tuple[Any, Any]] = {}
        self._relation_statements: dict[tuple[str, Any], Any] = {}
        self._association_links: dict[Any, Any] = {}

    # -- sessions and transactions ----------------------------------------------

    def _transaction_key(self) -> int:
        return id(current_app.extensions["sqlalchemy"])

    def _flush(self) -> None:
        self.session.flush()

    def _commit(self) -> None:
        self.session.commit()

    def _rollback(self) -> None:
        self.session.rollback()

    # -- reads -------------------------------------------------------------------

    def instances(self, where: Any = None, sort: Any = None) -> list[Any]:
        where = self.narrow(where)
        self._ensure_plan()
        return list(self.session.execute(self._select([self.model], where, sort)).scalars())

    def paginated_instances(
        self, page: int, per_page: int, where: Any = None, sort: Any = None
    ) -> Pagination:
        where = self.narrow(where)
        return self._page([self.model], page, per_page, where, sort, scalars=True)

    def first(self, where: Any = None, sort: Any = None) -> Any:
        narrowed = self.narrow(where)
        self._ensure_plan()
        query = self._select([self.model], narrowed, sort).limit(1)
        item = self.session.execute(query).scalars().first()
        if item is None:
            raise ItemNotFound(self.resource, where=where)
        return item

    def read(self, id: Any) -> Any:
        narrowing = self.narrow()
        self._ensure_plan()  # items read here are formatted too: ToOne from the foreign key
        key = self._key(id)
        options = (*self._criteria, *self._loader_options)
        if (
            narrowing
            or options
            or not (self.id_column.primary_key and len(self.mapper.primary_key) == 1)
        ):
            query = sa.select(self.model).where(
                self._id_instrumented == key, *self._where(narrowing or ())
            )
            query = query.options(*options)
            item = self._by_client_id(lambda: self.session.execute(query).scalars().first())
        else:
            item = self._by_client_id(lambda: self._get(key))
        if item is None:
            raise ItemNotFound(self.resource, id=id)
        return item

    def _get(self, key: Any) -> Any:
        """``session.get(model, key)``, with a statement built once.

        An item already in the session's identity map is ``session.get``'s to
        answer (no SQL, or a refresh of an expired item).  Otherwise
        ``session.get`` would build a new ``SELECT`` by the primary key and
        derive its cache key, which costs more than running it; the prebuilt
        statement is the same query, run the same way (autoflush, the ORM's
        loading into the session).
        """
        session = self.session
        if self.mapper.identity_key_from_primary_key((key,)) in session.identity_map:
            return session.get(self.model, key)
        statement = self._get_statement
        if statement is None:
            statement = self._get_statement = sa.select(self.model).where(
                self._id_instrumented == sa.bindparam("potion_id")
            )
        return session.execute(statement, {"potion_id": key}).scalars().first()

    def item_for_output(self, id: Any) -> Any:
        narrowing = self.narrow()
        self._ensure_plan()
        if self._row_columns is None:
            return self.read(id)
        key = self._key(id)
        if narrowing:
            statement = sa.select(*self._row_columns).where(
                self._id_instrumented == key, *self._where(narrowing)
            )
            params: dict[str, Any] = {}
        else:
            statement, params = self._item_statement, {"potion_id": key}
        if not self._id_checked:  # the database may refuse the value: guarded, in the session
            row = self._by_client_id(lambda: self.session.execute(statement, params).first())
        else:
            reader, owned = self._reader(statement)
            try:
                row = reader.execute(statement, params).first()
            finally:
                if owned:
                    reader.close()
        if row is None:
            raise ItemNotFound(self.resource, id=id)
        return row

    def get_id(self, item: Any) -> Any:
        """The item's id; from its identity when the id is the primary key, so that an
        item a commit expired is not loaded again just for its id."""
        if self.id_column.primary_key and len(self.mapper.primary_key) == 1:
            state = sa.inspect(item, raiseerr=False)
            identity = getattr(state, "identity", None)
            if identity is not None:
                return identity[0]
        return super().get_id(item)

    def for_output(self, item: Any) -> Any:
        """``item``, or a row of the columns the schema reads when the item would be
        loaded again to format it (a commit expired it): one statement either way,
        without building ORM state.  ``None`` when the item no longer exists."""
        self._ensure_plan()
        statement = self._item_statement
        if statement is None or not (
            self.id_column.primary_key and len(self.mapper.primary_key) == 1
        ):
            return item
        state = sa.inspect(item, raiseerr=False)
        if (
            state is None
            or not state.persistent
            or state.identity is None
            or not self._row_keys & state.unloaded
        ):
            return item
        reader, owned = self._reader(statement)
        try:
            row = reader.execute(statement, {"potion_id": state.identity[0]}).first()
        finally:
            if owned:
                reader.close()
        return None if row is None else _Stored(row, item)

    def _key(self, id: Any) -> Any:
        """A client's id as the id column stores it; ``ItemNotFound`` when it cannot be one."""
        try:
            return self.coerce_id(id)
        except (TypeError, ValueError):
            raise ItemNotFound(self.resource, id=id) from None

    def _by_client_id(self, lookup: Any) -> Any:
        """Run a lookup by a client's id: None when the database refuses the value as one.

        Only ids of types ``coerce_id`` cannot check reach the database unchecked;
        on PostgreSQL their lookup runs in a savepoint, so a refused value leaves
        the request's transaction usable.  Every other error (a lost connection)
        is raised as it is.
        """
        if self._id_checked:
            return lookup()
        session = self.session
        try:
            if self._dialect() == "postgresql":
                with session.begin_nested():
                    return lookup()
            return lookup()
        except sa_exc.DataError:
            return None
        except sa_exc.StatementError as exc:
            if isinstance(exc, sa_exc.DBAPIError):
                raise
            return None  # the column type could not bind the value: no row has it

    def _identity(self, state: Any) -> Any:
        value = state.dict.get(self.id_attribute)
        if value is None and state.identity and len(state.identity) == 1:
            value = state.identity[0]
        return value

    def page_for_output(
        self, page: int, per_page: int, where: Any = None, sort: Any = None
    ) -> Pagination:
        where = self.narrow(where)
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
        target._ensure_plan()
        relationship = getattr(self.model, attribute)
        criteria = [orm.with_parent(item, relationship)]
        readable = target.narrow(deny=False)  # only the children the identity may read
        if readable:
            target._ensure_plan()
            criteria.extend(target._where(readable))
        order, _joins = target._order_by(())  # the target's sort_attribute, then its id
        query = sa.select(target.model).where(*criteria).order_by(*order)
        query = query.options(*target._criteria, *target._loader_options)
        if page is None:
            return list(self.session.execute(query).scalars())
        per_page = per_page or 20
        count = sa.select(sa.func.count()).select_from(target.model).where(*criteria)
        count = count.options(*target._criteria)
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
        the parent and the related objects are loaded.  Permissions that narrow
        the parent are conditions of both statements (a parent the identity may
        not read has no row: 404), those that narrow the children conditions of
        the join (only the children the identity may read are counted and listed).
        """
        self._ensure_plan()
        parent_where = self.narrow()
        children_where = target_resource.manager.narrow(deny=False)
        if parent_where or children_where:
            # built per request: the conditions depend on the identity
            statements = self._relation_page_statements(
                attribute, target_resource, parent_where, children_where
            )
        else:
            statements = self._relation_statements.get((attribute, target_resource), False)
            if statements is False:
                statements = self._relation_statements[(attribute, target_resource)] = (
                    self._relation_page_statements(attribute, target_resource)
                )
        if statements is None:
            return super().relation_page_for_output(id, attribute, target_resource, page, per_page)
        count, select = statements
        params = {"potion_id": self._key(id)}
        if not self._id_checked:  # the database may refuse the value: guarded, in the session
            session = self.session
            total = self._by_client_id(lambda: session.execute(count, params).scalar())
            reader, owned = session, False
        else:
            reader, owned = self._reader(count)
            total = None
        try:
            if self._id_checked:
                total = reader.execute(count, params).scalar()
            if total is None:
                raise ItemNotFound(self.resource, id=id)
            if page > 1 and (page - 1) * per_page >= total:
                raise PageNotFound()
            params["potion_limit"] = per_page
            params["potion_offset"] = (page - 1) * per_page
            rows = reader.execute(select, params).all()
        finally:
            if owned:
                reader.close()
        return Pagination(rows, page, per_page, int(total))

    def _relation_page_statements(
        self,
        attribute: str,
        target_resource: Any,
        parent_where: Any = (),
        children_where: Any = (),
    ) -> Any:
        """``(count, page)`` statements of a relation by the parent's id, or None.

        ``parent_where`` and ``children_where`` are conditions (the permission
        narrowing) on the parent and on the related items.
        """
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
        target._ensure_plan()
        relationship = getattr(self.model, attribute)
        children = target._where(children_where)
        if children:  # a condition of the join: a parent without such children has a row
            relationship = relationship.and_(*children)
        parent = [self._id_instrumented == sa.bindparam("potion_id"), *self._where(parent_where)]
        criteria = [*self._criteria, *target._criteria]
        # No row when the parent does not exist; otherwise its number of targets.
        count = (
            sa.select(sa.func.count(target._id_instrumented))
            .select_from(self.model)
            .outerjoin(relationship)
            .where(*parent)
            .group_by(self._id_instrumented)
            .options(*criteria)
        )
        order, _joins = target._order_by(())  # the target's sort_attribute, then its id
        select = (
            sa.select(target._id_instrumented)
            .select_from(self.model)
            .join(relationship)
            .where(*parent)
            .order_by(*order)
            .options(*criteria)
        )
        return self._reusable(count, criteria), self._reusable(_limited(select), criteria)

    # -- writes ------------------------------------------------------------------

    def _prepare_write(self) -> None:
        self._ensure_plan()

    def collection_items(self, item: Any, attribute: str, target_resource: Any = None) -> list[Any]:
        """The items of a to-many relationship, read with a query (dynamic, write-only)."""
        target = getattr(target_resource, "manager", None)
        if isinstance(target, SQLAlchemyManager):
            return list(self.relation_instances(item, attribute, target_resource))
        relationship = getattr(self.model, attribute)
        entity = self.mapper.relationships[attribute].mapper.class_
        query = sa.select(entity).where(orm.with_parent(item, relationship))
        return list(self.session.execute(query).scalars())

    def _split(self, properties: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(plain, query-only collections)`` of a write's properties."""
        plain: dict[str, Any] = {}
        collections: dict[str, Any] = {}
        for key, value in properties.items():
            (collections if is_query_only(self.mapper, key) else plain)[key] = value
        return plain, collections

    def _build(self, properties: dict[str, Any]) -> Any:
        """A new item; a reference to a stored item is set as its foreign key.

        The referenced object is still the item's attribute (as loaded, so
        ``before_create`` receivers see it), but the unit of work has no
        relationship to synchronise: the insert carries the key.  When the
        target's reverse collection is loaded in the session, the reference is
        set as a relationship, so that the collection gains the new item.
        """
        plain, collections = self._split(properties)
        item = self.model()
        many_to_one = self._many_to_one
        for key, value in plain.items():
            link = many_to_one.get(key) if value is not None else None
            if link is None or not self._set_reference(item, key, value, *link):
                setattr(item, key, value)
        for key, children in collections.items():  # dynamic and write-only relationships
            replace_children(self, item, key, children, is_new=True)
        return item

    def _set_reference(
        self, item: Any, key: str, value: Any, fk_key: str, remote_key: str, reverse: Any
    ) -> bool:
        state = sa.inspect(value, raiseerr=False)
        if state is None or state.key is None or state.session is None:
            return False  # not a stored object of this session
        loaded = state.dict
        target_id = loaded.get(remote_key)
        if target_id is None or (reverse is not None and reverse in loaded):
            return False
        setattr(item, fk_key, target_id)
        orm.attributes.set_committed_value(item, key, value)
        return True

    def changed(self, item: Any, changes: dict[str, Any]) -> dict[str, Any]:
        """The changes that differ; query-only collections compared by their items."""
        plain, collections = self._split(changes)
        actual = super().changed(item, plain)
        for key, children in collections.items():
            current = {id(child) for child in self.collection_items(item, key)}
            if current != {id(child) for child in children or ()}:
                actual[key] = children
        return {key: actual[key] for key in changes if key in actual}

    def _insert(self, item: Any, properties: dict[str, Any]) -> None:
        session = self.session
        if self._rows.insert(session(), item):
            return
        session.add(item)
        session.flush()

    def _apply(self, item: Any, changes: dict[str, Any], actual: dict[str, Any]) -> None:
        state = sa.inspect(item)
        plain, collections = self._split(changes)
        for key, value in plain.items():
            setattr(item, key, value)
        for key, children in collections.items():
            replace_children(self, item, key, children)
        session = self.session
        try:
            if not self._rows.update(session(), item):
                session.flush()
        except _GONE:  # the UPDATE matched no row: deleted meanwhile
            raise ItemNotFound(self.resource, id=self._identity(state)) from None

    def _remove(self, item: Any) -> None:
        """Delete the item's row; one that another request deleted first is an ``ItemNotFound``.

        The DELETE's row count tells: of concurrent deletes of one item, exactly
        one removes the row.
        """
        session = self.session
        state = sa.inspect(item)
        _count_deletes(session.get_bind(self.mapper))
        counted: list[int] = []
        token = _deleted_rows.set(({table.name for table in self.mapper.tables}, counted))
        try:
            self._unlink(state)
            session.delete(item)
            session.flush()
        except _GONE:
            raise ItemNotFound(self.resource, id=self._identity(state)) from None
        finally:
            _deleted_rows.reset(token)
        if counted and not any(count > 0 for count in counted):
            raise ItemNotFound(self.resource, id=self._identity(state))

    def _unlink(self, state: Any) -> None:
        """Delete the association rows linking the item to others (many-to-many).

        In the delete's transaction, before the item's row: the other side's
        collections no longer list it, and no foreign key refuses the delete.
        """
        mapper = state.mapper
        links = self._association_links.get(mapper)
        if links is None:
            links = self._association_links[mapper] = association_links(mapper)
        for table, pairs in links:
            values = [
                state.attrs[mapper.get_property_by_column(column).key].value for column, _ in pairs
            ]
            criteria = [link == value for (_, link), value in zip(pairs, values, strict=True)]
            self.session.execute(sa.delete(table).where(*criteria))

    def _add_to_relation(
        self, item: Any, attribute: str, target_resource: Any, target_item: Any
    ) -> bool:
        if self._in_collection(item, attribute, target_item):
            return False
        add_child(getattr(item, attribute), target_item)
        self._flush_relation(attribute, target_resource)
        return True

    def _remove_from_relation(
        self, item: Any, attribute: str, target_resource: Any, target_item: Any
    ) -> bool:
        if not self._in_collection(item, attribute, target_item):
            return False
        getattr(item, attribute).remove(target_item)
        self._flush_relation(attribute, target_resource)
        return True

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
