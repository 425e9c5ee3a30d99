"""The peewee manager: set-up, transactions, reads and writes."""

from __future__ import annotations

import contextvars
from typing import Any

import peewee

from ... import fields
from ...exceptions import ItemNotFound, PageNotFound
from ...pagination import Pagination
from .. import RelationalManager, StoredAttribute
from ..sqlerrors import error_for_unremovable_child
from . import filters as peewee_filters
from .errors import ErrorsMixin
from .inference import _OrderedToMany, field_for_peewee_field
from .prefetch import PrefetchMixin
from .queries import _INTEGER_LIMIT, QueryMixin, _id_column_of, in_target_order

__all__ = ["PeeweeManager"]

#: Open ``atomic()`` blocks per database, innermost last (per thread / task).
_open_blocks: contextvars.ContextVar[dict[int, list[Any]] | None] = contextvars.ContextVar(
    "potion_peewee_blocks", default=None
)


class PeeweeManager(PrefetchMixin, QueryMixin, ErrorsMixin, RelationalManager):
    """Manager for peewee models.

    Meta options: ``model``, ``id_attribute`` (default: the primary key),
    ``include_fields``, ``exclude_fields``, ``natural_key``, ``sort_attribute``,
    ``read_only_fields``, ``write_only_fields``, ``required_fields``, ``name``
    (default: the model's table name).
    """

    #: UUIDs are stored as hex on SQLite and MariaDB: only (in)equality makes sense.
    FILTERS_BY_TYPE = peewee_filters.FILTERS_BY_TYPE

    # -- set-up ------------------------------------------------------------------

    def _init_model(self, resource: Any, model: Any, meta: Any) -> None:
        if not (isinstance(model, type) and issubclass(model, peewee.Model)):
            raise TypeError(f"PeeweeManager needs a peewee Model, not {model!r}")
        self.model = model
        model_meta = model._meta
        if not getattr(resource, "_names_itself", False):
            meta.name = self.name_for_model(model)

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

    @classmethod
    def name_for_model(cls, model: Any) -> str | None:
        return getattr(getattr(model, "_meta", None), "table_name", None)

    def stored_attributes(self) -> list[StoredAttribute]:
        """Every field of the model: required when NOT NULL without a default."""
        found: list[StoredAttribute] = []
        for column in self.model._meta.sorted_fields:
            if column.name.startswith("_"):
                continue
            foreign = isinstance(column, peewee.ForeignKeyField)
            fills_itself = (
                column.default is not None
                or isinstance(column, peewee.AutoField)
                or bool(getattr(column, "constraints", None))  # e.g. a DEFAULT constraint
                or (column.primary_key and getattr(column, "sequence", None) is not None)
            )
            found.append(
                StoredAttribute(
                    name=column.name,
                    kind=type(column).__name__,
                    required=not column.null and not fills_itself,
                    fills_itself=fills_itself,
                    inferred=foreign
                    or column.primary_key
                    or field_for_peewee_field(column) is not None,
                    writers=(column.object_id_name,) if foreign else (),
                    reference=column.name if foreign else None,
                    target=column.rel_model if foreign else None,
                )
            )
        return found

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
            if column.primary_key or isinstance(column, peewee.ForeignKeyField):
                # The primary key is the item's $uri / $id; a foreign key is a
                # reference only when the resource declares it (``fields.ToOne``).
                continue
            io = "r" if key in read_only else "w" if key in write_only else "rw"
            kwargs: dict[str, Any] = {"io": io, "nullable": bool(column.null)}
            default = column.default
            optional = False
            if callable(default):
                optional = True
            elif default is not None:
                kwargs["default"] = default
            if isinstance(column, peewee.AutoField):
                optional = True
            field = field_for_peewee_field(column, **kwargs)
            if field is None:
                continue
            if optional:
                field.optional = True
            schema.set(key, field)

    def _link_foreign_keys(self, resource: Any) -> None:
        """Let ToOne fields over foreign keys format their reference from the key value.

        ToMany fields over back-references and many-to-many fields are output in order.
        """
        model_fields = self.model._meta.fields
        for key, field in list(resource.schema.fields.items()):
            attribute = field.attribute or key
            if isinstance(field, fields.ToMany) and attribute not in model_fields:
                if self._collection(attribute) is not None:
                    resource.schema.set(key, _OrderedToMany.wrap(field))
                continue
            if not isinstance(field, fields.ToOne):
                continue
            column = model_fields.get(attribute)
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

    # -- reads -------------------------------------------------------------------

    def _fetch(self, query: Any) -> list[Any]:
        """The rows of a lookup by a client's value: none when the database refuses the value.

        Inside a transaction on PostgreSQL the lookup runs in a savepoint, so a
        refused value leaves the transaction usable.  Every other error (a lost
        connection) is raised as it is.
        """
        database = self.database
        try:
            if self._dialect() == "postgresql" and database.in_transaction():
                with database.savepoint():
                    return list(query)
            return list(query)
        except (peewee.DataError, OverflowError):
            return []

    def instances(self, where: Any = None, sort: Any = None) -> Any:
        where = self.narrow(where)
        self._check_references()
        return self._ordered(self._filtered(self._query(), where), sort)

    def paginated_instances(
        self, page: int, per_page: int, where: Any = None, sort: Any = None
    ) -> Pagination:
        where = self.narrow(where)
        self._check_references()
        query = self._filtered(self._query(), where)
        total = query.count()
        if page > 1 and (page - 1) * per_page >= total:
            raise PageNotFound()
        items = list(self._ordered(query, sort).paginate(page, per_page)) if total else []
        return Pagination(items, page, per_page, total)

    def first(self, where: Any = None, sort: Any = None) -> Any:
        narrowed = self.narrow(where)
        self._check_references()
        query = self._ordered(self._filtered(self._query(), narrowed), sort).limit(1)
        for item in self._fetch(query):
            return item
        raise ItemNotFound(self.resource, where=where)

    def read(self, id: Any) -> Any:
        narrowing = self.narrow()
        self._check_references()
        try:
            value = self._coerce_id(id)
        except (TypeError, ValueError):
            shown = id if not isinstance(id, int) or abs(id) < _INTEGER_LIMIT else str(id)
            raise ItemNotFound(self.resource, id=shown) from None
        query = self._filtered(self._query().where(self.id_column == value), narrowing)
        for item in self._fetch(query.limit(1)):
            return item
        raise ItemNotFound(self.resource, id=id)

    def item_for_output(self, id: Any) -> Any:
        item = self.read(id)
        self._prefetch([item])
        return item

    def page_for_output(
        self, page: int, per_page: int, where: Any = None, sort: Any = None
    ) -> Pagination:
        pagination = self.paginated_instances(page, per_page, where, sort)
        self._prefetch(pagination.items)  # one query per ToMany field, not one per item
        return pagination

    def relation_instances(
        self,
        item: Any,
        attribute: str,
        target_resource: Any,
        page: int | None = None,
        per_page: int | None = None,
    ) -> Any:
        query = self._relation_query(item, attribute, target_resource)
        target = target_resource.manager
        readable = target.narrow(deny=False)  # only the children the identity may read
        if readable:
            query = target._filtered(query, readable)
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
        return in_target_order(query, child, target_resource)  # sort_attribute, then id

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

    def _prepare_write(self) -> None:
        self._check_references()

    def _build(self, properties: dict[str, Any]) -> Any:
        plain, _collections = self._split(properties)
        return super()._build(plain)

    def _insert(self, item: Any, properties: dict[str, Any]) -> None:
        self._run(self.model, lambda: item.save(force_insert=True), "save", item)
        for key, value in self._split(properties)[1].items():
            self._set_collection(item, key, value)

    def changed(self, item: Any, changes: dict[str, Any]) -> dict[str, Any]:
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

    def _apply(self, item: Any, changes: dict[str, Any], actual: dict[str, Any]) -> None:
        plain, collections = self._split(actual)
        for key, value in plain.items():
            setattr(item, key, value)
        dirty = item.dirty_fields
        if dirty:
            saved = self._run(self.model, lambda: item.save(only=dirty), "save", item)
            if not saved and not self._exists(item):  # the UPDATE matched no row
                raise ItemNotFound(self.resource, id=self.get_id(item))
        for key, value in collections.items():
            self._set_collection(item, key, value)

    def _remove(self, item: Any) -> None:
        # the links to other items first, in the delete's transaction: the other
        # side's collections no longer list it, no foreign key refuses the delete
        for foreign_key in _association_keys(self.model):
            through = foreign_key.model
            value = getattr(item, foreign_key.rel_field.name)
            self._run(through, through.delete().where(foreign_key == value).execute)
        if not self._run(self.model, item.delete_instance, "delete"):
            # deleted by another request first: of concurrent deletes, one removes the row
            raise ItemNotFound(self.resource, id=self.get_id(item))

    def _exists(self, item: Any) -> bool:
        """Whether ``item``'s row is stored (MySQL counts an UPDATE that changed nothing as 0)."""
        primary_key = self.model._meta.primary_key
        return bool(self.model.select().where(primary_key == item._pk).exists())

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

    def _add_to_relation(
        self, item: Any, attribute: str, target_resource: Any, target_item: Any
    ) -> bool:
        kind, relation = self._relation(attribute)
        if kind == "backref":
            if target_item.__data__.get(relation.name) == getattr(item, relation.rel_field.name):
                return False
            setattr(target_item, relation.name, item)
            child_model = type(target_item)
            self._run(child_model, lambda: target_item.save(only=[relation]))
            return True
        through = relation.through_model
        src, dest = relation.src_fk, relation.dest_fk
        row = {
            src: getattr(item, src.rel_field.name),
            dest: getattr(target_item, dest.rel_field.name),
        }
        if through.select().where(src == row[src], dest == row[dest]).exists():
            return False
        self._run(through, through.insert(row).execute)
        return True

    def _remove_from_relation(
        self, item: Any, attribute: str, target_resource: Any, target_item: Any
    ) -> bool:
        kind, relation = self._relation(attribute)
        if kind == "backref":
            parent_value = getattr(item, relation.rel_field.name)
            if target_item.__data__.get(relation.name) != parent_value:
                return False
            if not relation.null:
                key = _schema_key(target_resource, relation)
                raise error_for_unremovable_child(target_resource.meta.name, [key], attribute)
            setattr(target_item, relation.name, None)
            child_model = type(target_item)
            self._run(child_model, lambda: target_item.save(only=[relation]))
            return True
        through = relation.through_model
        src, dest = relation.src_fk, relation.dest_fk
        statement = through.delete().where(
            src == getattr(item, src.rel_field.name),
            dest == getattr(target_item, dest.rel_field.name),
        )
        return bool(self._run(through, statement.execute))


def _schema_key(resource: Any, column: Any) -> str:
    """The key of the field of ``resource`` that writes ``column``."""
    for key, field in resource.schema.fields.items():
        if (field.attribute or key) == column.name:
            return key
    return column.name


def _association_keys(model: Any) -> list[Any]:
    """The foreign keys to ``model`` of the through tables of its many-to-many links.

    Every ``ManyToManyField`` that links ``model`` counts, declared on either
    side, with or without a back-reference (``backref="+"``).
    """
    keys = []
    for foreign_key, referrer in model._meta.backrefs.items():
        linked = referrer._meta.refs.values()
        if any(
            m2m.through_model is referrer
            for other in linked
            for m2m in other._meta.manytomany.values()
        ):
            keys.append(foreign_key)
    return keys
