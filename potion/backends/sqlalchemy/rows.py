"""Writes of one item's row by SQLAlchemy Core, when the unit of work would do just that.

A create or an update through ``session.flush()`` sets up the ORM's unit of
work: it sorts the session's changes, collects each item's values, runs one
``INSERT`` or ``UPDATE``, puts the generated values back on the item and marks
it clean.  For one plain item whose write is that single statement, the
setting-up costs several times the statement.  :class:`RowWriter` runs the
same statement on the session's connection (the same transaction) and leaves
the item as the flush would: persistent in the session, its id and the values
the statement generated (``default=``, ``onupdate=``) set, what the database
computed expired, its history committed.

It does so only when nothing can tell the difference; otherwise the caller
flushes as before.  It takes over when:

- the model maps one table, without inheritance, polymorphism, a version
  counter, or values the database computes (server-side defaults beside the
  primary key's, SQL expressions as ``default=`` or ``onupdate=``), which a
  flush could fetch with ``RETURNING``;
- no listener of the events only a flush sends is registered: the session's
  ``before_flush``, ``after_flush`` and ``after_flush_postexec``, the mapper's
  ``before_/after_insert`` (``_update``), the instance's ``refresh_flush`` and
  ``expire``;
- the session has nothing else to flush, and is not sharded;
- the item changed no relationship (a reference stored by its foreign key is
  a column), and no value is a SQL expression.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

__all__ = ["RowWriter"]

#: Session events of a flush itself: a listener to any of them sees the unit of
#: work, so the write goes through it.  (``session.add`` and the registration
#: of the written item send their own events, the same way on both paths.)
_SESSION_EVENTS = ("before_flush", "after_flush", "after_flush_postexec")


def _computed_by_the_database(column: Any) -> bool:
    """Whether the database computes a value of ``column`` that a flush would fetch
    (``RETURNING``, with the mapper's ``eager_defaults``) or expire: a server-side
    default or ``onupdate``, or a SQL expression as ``default=``/``onupdate=``.  The
    primary key's own server default (autoincrement, identity) comes back as the
    inserted primary key either way."""
    if column.server_onupdate is not None:
        return True
    if column.server_default is not None and not column.primary_key:
        return True
    return any(
        default is not None and default.is_clause_element
        for default in (column.default, column.onupdate)
    )


class RowWriter:
    """``INSERT`` and ``UPDATE`` of one item of ``mapper`` without the unit of work."""

    def __init__(self, mapper: orm.Mapper[Any]) -> None:
        self.mapper = mapper
        self.table: Any = None
        #: attribute -> column, for the columns of the table
        self.columns: dict[str, Any] = {}
        self.relationships = frozenset(mapper.relationships.keys())
        self.usable = self._plan(mapper)

    def _plan(self, mapper: orm.Mapper[Any]) -> bool:
        table = mapper.local_table
        if (
            mapper.inherits is not None
            or mapper.polymorphic_on is not None
            or mapper.version_id_col is not None
            or not isinstance(table, sa.Table)
            or len(mapper.tables) != 1
            or mapper.with_polymorphic
            or mapper.polymorphic_map
        ):
            return False
        for prop in mapper.column_attrs:
            columns = [c for c in prop.columns if isinstance(c, sa.Column) and c.table is table]
            if not columns:
                continue  # a column_property over an expression: not written
            if len(prop.columns) != 1:
                return False
            self.columns[prop.key] = columns[0]
        by_column = {column: key for key, column in self.columns.items()}
        for column in table.columns:
            if column not in by_column:
                return False  # a column the mapper does not map (or maps twice)
            if _computed_by_the_database(column):
                return False
        self.table = table
        self._key_of = by_column
        self._primary_key = [(by_column[c], c) for c in mapper.primary_key]
        # columns the flush sends as NULL when the item has no value for them
        self._as_none = [
            key
            for key, column in self.columns.items()
            if not column.primary_key
            and column.server_default is None
            and column.default is None
            and not column.type.should_evaluate_none
        ]
        self._insert = table.insert()
        self._update = table.update().where(
            *[
                column == sa.bindparam(f"potion_pk_{i}")
                for i, column in enumerate(mapper.primary_key)
            ]
        )
        return True

    # -- when -------------------------------------------------------------------

    def _quiet(self, session: orm.Session, mapper_events: tuple[str, str]) -> bool:
        """No listener would see the unit of work, and the session holds nothing else
        to flush."""
        dispatch = session.dispatch
        if any(getattr(dispatch, name) for name in _SESSION_EVENTS):
            return False
        mapper_dispatch = self.mapper.dispatch
        if any(getattr(mapper_dispatch, name) for name in mapper_events):
            return False
        instance_dispatch = self.mapper.class_manager.dispatch
        if instance_dispatch.refresh_flush or instance_dispatch.expire:
            return False
        return getattr(session, "connection_callable", None) is None

    def _plain_values(self, state: Any) -> bool:
        """The item changed no relationship and holds no SQL expression."""
        if not self.relationships.isdisjoint(state.committed_state):
            return False
        values = state.dict
        for key in self.columns:
            value = values.get(key)
            if isinstance(value, sa.ClauseElement) or hasattr(value, "__clause_element__"):
                return False
        return True

    def _connection(self, session: orm.Session) -> Any:
        return session.connection(bind_arguments={"mapper": self.mapper.base_mapper})

    # -- writes -----------------------------------------------------------------

    def insert(self, session: orm.Session, item: Any) -> bool:
        """Insert ``item`` (transient) and make it persistent in ``session``, as a flush
        would; False, having done nothing, when only a flush may."""
        if not self.usable:
            return False
        state = sa.inspect(item)
        if (
            state.key is not None
            or state.session_id is not None
            or session.new
            or session.deleted
            or session.dirty
            or not self._quiet(session, ("before_insert", "after_insert"))
            or not self._plain_values(state)
        ):
            return False
        values = state.dict
        columns = self.columns
        params: dict[str, Any] = {}
        for key, column in columns.items():
            if key in values:
                value = values[key]
                if value is not None or column.type.should_evaluate_none:
                    params[column.key] = value
        for key in self._as_none:
            column = columns[key]
            if column.key not in params:
                params[column.key] = None
        session.add(item)  # pending, as before a flush: its events, its cascade
        result = self._connection(session).execute(self._insert, params)
        for (key, _column), value in zip(
            self._primary_key, result.inserted_primary_key, strict=True
        ):
            if value is not None and values.get(key) is None:
                values[key] = value
        self._prefetched(result, values, inserted=True)
        for key in self._as_none:
            values.setdefault(key, None)
        self._flushed(session, state, result)
        return True

    def update(self, session: orm.Session, item: Any) -> bool:
        """Write ``item``'s changed columns, as a flush would (no statement when no value
        really changed); False, having done nothing, when only a flush may.

        Raises :class:`sqlalchemy.orm.exc.StaleDataError` when the row is gone.
        """
        if not self.usable:
            return False
        state = sa.inspect(item)
        if (
            state.key is None
            or state.session is not session
            or state.deleted
            or session.new
            or session.deleted
            or any(other is not item for other in session.dirty)
            or not self._quiet(session, ("before_update", "after_update"))
            or not self._plain_values(state)
        ):
            return False
        if not state.modified:
            return True  # nothing to write: a flush would not see the item either
        columns = self.columns
        values = state.dict
        params: dict[str, Any] = {}
        attrs = state.attrs
        for key in state.committed_state:
            column = columns.get(key)
            if column is None:
                return False  # not a column of the table
            if attrs[key].history.added:
                params[column.key] = values[key]
        for i, (_key, column) in enumerate(self._primary_key):
            if column.key in params:
                return False  # the primary key changes: the flush knows how
            params[f"potion_pk_{i}"] = state.identity[i]
        if len(params) > len(self._primary_key):
            connection = self._connection(session)
            result = connection.execute(self._update, params)
            if connection.dialect.supports_sane_rowcount and result.rowcount != 1:
                raise orm.exc.StaleDataError(
                    f"UPDATE of {self.table.name} matched {result.rowcount} rows, expected 1"
                )
            self._prefetched(result, values, inserted=False)
        else:
            result = None
        self._flushed(session, state, result)
        return True

    @staticmethod
    def _flushed(session: orm.Session, state: Any, result: Any) -> None:
        """End as a flush ends: the item persistent in the identity map, its history
        committed, and known to the session's transaction as written in it, so that a
        rollback (of a savepoint too) expunges a new item and expires a changed one.
        What the database computed is expired (nothing, for the models written here:
        kept so that a dialect fetching a value afterwards stays right)."""
        session._register_persistent({state})
        if result is not None:
            mapper = state.mapper
            expired = [mapper.get_property_by_column(c).key for c in result.postfetch_cols()]
            if expired:
                session.expire(state.obj(), expired)

    def _prefetched(self, result: Any, values: dict[str, Any], inserted: bool) -> None:
        """Put the values the statement computed in Python (``default=``, ``onupdate=``)
        on the item."""
        prefetch = result.prefetch_cols()
        if prefetch:
            sent = result.last_inserted_params() if inserted else result.last_updated_params()
            for column in prefetch:
                key = self._key_of.get(column)
                if key is not None and column.key in sent:
                    values[key] = sent[column.key]
