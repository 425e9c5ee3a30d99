"""Store errors as API errors, classified once for the SQLAlchemy backend.

- the database cannot serve (a lost, refused or timed-out connection, a deadlock,
  any other operational error): :class:`~potion.exceptions.StoreUnavailable` (503);
- the row is gone (updated or deleted by someone else meanwhile):
  :class:`~potion.exceptions.ItemNotFound` (404);
- an integrity violation: 409 or 400 naming the field (and the table) that refused;
- a value the database cannot store: 400.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import exc as sa_exc
from sqlalchemy import orm

from ...exceptions import IntegrityViolation, PotionException, StoreUnavailable
from ..sqlerrors import (
    classify_integrity_error,
    error_for_fields,
    error_for_other_table,
    error_for_referenced_item,
    error_for_unremovable_child,
    failing_table,
    is_unavailable,
    statement_target,
    statement_values,
)
from .base import SQLAlchemyBase

log = logging.getLogger(__package__)


def unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (an SQLAlchemy error) means the database cannot serve now."""
    if isinstance(exc, sa_exc.DBAPIError):
        return bool(exc.connection_invalidated) or is_unavailable(exc.orig)
    # the pool's own failures: no connection free in time, a connection it found dead
    return isinstance(exc, (sa_exc.TimeoutError, sa_exc.DisconnectionError))


class ErrorsMixin(SQLAlchemyBase):
    """Reads the database's error and names the field (and the table) that refused."""

    unavailable = staticmethod(unavailable)

    def release(self) -> None:
        """Close the request's session; on a dead connection drop it without a rollback.

        Runs before Flask-SQLAlchemy's teardown (which would raise from the failed
        rollback and turn a computed response into an error page); that teardown
        then finds the session closed.
        """
        extension = current_app.extensions.get("sqlalchemy")
        scoped = getattr(extension, "session", None)
        if scoped is None or not scoped.registry.has():
            return
        session = scoped()
        try:
            session.close()
        except sa_exc.SQLAlchemyError as exc:
            log.warning("Closing the request's database session failed: %s", exc)
            session.invalidate()  # the connections are dropped, not rolled back

    def prepare_retry(self, exc: BaseException) -> bool:
        if not (isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated):
            return False
        # SQLAlchemy has dropped the dead connection (and the pool's older ones)
        try:
            self.session.rollback()
        except sa_exc.SQLAlchemyError:
            return False
        return True

    def translate_error(self, exc: BaseException) -> PotionException | None:
        if isinstance(exc, PotionException):
            return None
        if self.unavailable(exc):
            return StoreUnavailable()
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

        if written_name is not None and written is not table:
            # a write to another table: rows there that pointed at this item
            if kind == "not_null" and verb == "update" and written is not None:
                pointing = {
                    fk.parent.name for fk in written.foreign_keys if fk.column.table is table
                }
                if set(columns) & pointing:
                    return error_for_referenced_item(name, written.name, debug)
            serving = self._resource_of_table(written_name)
            if serving is not None:
                keys = [serving.manager._field_key(c) for c in columns]
                return error_for_other_table(
                    written_name, kind, columns, debug, name=serving.meta.name, keys=keys
                )
            return error_for_other_table(written_name, kind, columns, debug)

        if kind == "foreign_key" and (
            verb == "delete" or (reported is not None and reported != table.name)
        ):
            if reported is None or reported == table.name:
                reported = _referencing_table(table)
            return error_for_referenced_item(name, reported, debug)
        if kind == "foreign_key" and not columns:
            columns = self._dangling_columns(exc)
        return error_for_fields(kind, [self._field_key(c) for c in columns], debug)

    def _resource_of_table(self, table_name: str) -> Any:
        """The resource of this resource's Api whose model is stored in ``table_name``."""
        api = getattr(self.resource, "api", None)
        for resource in getattr(api, "resources", {}).values():
            manager = resource.manager
            if isinstance(manager, ErrorsMixin):
                table: Any = manager.mapper.local_table
                if table.name == table_name:
                    return resource
        return None

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

    def _flush_relation(self, attribute: str, target_resource: Any) -> None:
        """Flush a change of a collection; a child that cannot leave it is a 400."""
        try:
            self.session.flush()
        except sa_exc.IntegrityError as exc:
            target = target_resource.manager
            if isinstance(target, ErrorsMixin):
                kind, columns = classify_integrity_error(
                    exc, self._dialect(), target.mapper.local_table
                )
                if kind == "not_null" and all(c in target.mapper.local_table.c for c in columns):
                    keys = [target._field_key(c) for c in columns] or [attribute]
                    name = target.resource.meta.name
                    raise error_for_unremovable_child(name, keys, attribute) from exc
            raise


def _referencing_table(table: Any) -> str | None:
    """The one table with a foreign key to ``table`` that can refuse a delete, if there
    is exactly one (keys ``ON DELETE CASCADE`` or ``SET NULL`` never refuse it)."""
    names = {
        other.name
        for other in table.metadata.tables.values()
        if other is not table
        and any(
            fk.column.table is table
            and (fk.ondelete or "").upper() not in ("CASCADE", "SET NULL", "SET DEFAULT")
            for fk in other.foreign_keys
        )
    }
    return names.pop() if len(names) == 1 else None
