"""Store errors as API errors, classified once for the peewee backend.

- the database cannot serve (a lost, refused or timed-out connection, a deadlock,
  a full connection pool, any other operational error):
  :class:`~potion.exceptions.StoreUnavailable` (503);
- an integrity violation: 409 or 400 naming the field, on every database;
- a value the database cannot store: 400.
"""

from __future__ import annotations

import contextvars
import re
from typing import Any

import peewee

from ...exceptions import IntegrityViolation, PotionException, StoreUnavailable
from ..sqlerrors import (
    classify_integrity_error,
    error_for_fields,
    error_for_other_table,
    error_for_referenced_item,
    failing_table,
    is_disconnect,
    is_unavailable,
)
from .base import PeeweeBase

#: ``(model, operation, item)`` of the last write statement (names fields in errors).
_writing: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "potion_peewee_writing", default=None
)


def unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (a peewee error) means the database cannot serve now."""
    if isinstance(exc, (peewee.OperationalError, peewee.InterfaceError)):
        return is_unavailable(exc)
    if isinstance(exc, peewee.DatabaseError):
        return is_unavailable(exc) and not isinstance(
            exc, (peewee.IntegrityError, peewee.DataError, peewee.ProgrammingError)
        )
    # playhouse.pool: every connection of the pool is in use
    return type(exc).__name__ == "MaxConnectionsExceeded"


class ErrorsMixin(PeeweeBase):
    """Reads the database's error and names the field (and the table) that refused."""

    unavailable = staticmethod(unavailable)

    def recover(self, exc: BaseException) -> None:
        database = self.database
        if is_disconnect(exc) and not database.in_transaction() and not database.is_closed():
            try:
                database.close()  # forgets the dead connection even when closing it fails
            except Exception:
                pass

    def prepare_retry(self, exc: BaseException) -> bool:
        database = self.database
        if not unavailable(exc) or not is_disconnect(exc) or database.in_transaction():
            return False
        self.recover(exc)
        try:
            database.connect(reuse_if_open=True)
        except peewee.PeeweeException:
            return False  # still down: the first error is the answer
        return True

    def translate_error(self, exc: BaseException) -> PotionException | None:
        if isinstance(exc, PotionException):
            return None
        if self.unavailable(exc):
            return StoreUnavailable()
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
            return error_for_referenced_item(self.resource.meta.name, referencing, debug)
        if table_name is not None:
            model = self._model_for_table(table_name) or model
        kind, columns = classify_integrity_error(orig, dialect, _constraints(model))
        if model is not self.model:
            # a write to another table (a link table, a child's foreign key)
            serving = self._resource_of_model(model)
            if serving is not None:
                keys = [serving.manager._field_key(model, c) for c in columns]
                return error_for_other_table(
                    model._meta.table_name, kind, columns, debug, name=serving.meta.name, keys=keys
                )
            return error_for_other_table(model._meta.table_name, kind, columns, debug)
        if kind == "foreign_key" and not columns and item is not None:
            columns = _dangling_columns(model, item)
        return error_for_fields(kind, [self._field_key(model, c) for c in columns], debug)

    def _resource_of_model(self, model: Any) -> Any:
        """The resource of this resource's Api serving ``model``."""
        api = getattr(self.resource, "api", None)
        for resource in getattr(api, "resources", {}).values():
            if isinstance(resource.manager, ErrorsMixin) and resource.manager.model is model:
                return resource
        return None

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
