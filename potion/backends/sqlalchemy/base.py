"""What every part of the SQLAlchemy manager relies on: the model, its session, and the
connection a built-in read runs on."""

from __future__ import annotations

import weakref
from typing import Any

import flask_sqlalchemy.session
import sqlalchemy as sa
from flask import current_app
from sqlalchemy import orm

from .direct import Reader, quiet, reusable

#: scoped session -> a session of its factory that never executes anything: it
#: tells which engine a fresh session would choose and which events it would run
_probes: weakref.WeakKeyDictionary[Any, orm.Session] = weakref.WeakKeyDictionary()


#: ``Session.get_bind`` implementations whose answer for a mapper depends only on the
#: app (Flask-SQLAlchemy's picks the engine by the model's bind key)
_STABLE_GET_BINDS = frozenset({orm.Session.get_bind, flask_sqlalchemy.session.Session.get_bind})


class SQLAlchemyBase:
    """The attributes the manager's parts share (set up by :class:`SQLAlchemyManager`)."""

    model: Any
    mapper: orm.Mapper[Any]
    resource: Any
    id_attribute: str
    id_column: Any
    #: the id column as a model attribute (``Model.id``), for queries
    _id_instrumented: Any
    _id_type: type | None
    #: foreign key attribute -> schema key of the ToOne over it
    _fk_fields: dict[str, str]
    #: loader options of the relationships the schema reads
    _eager: list[Any]
    #: ``Meta.query_options``: criteria (every statement) and loader options (entities)
    _criteria: list[Any]
    _loader_options: list[Any]
    #: shape of a list query -> its (count, page) statements
    _page_statements_by_shape: dict[Any, tuple[Any, Any]]
    #: app -> the engine its built-in reads use, when the session's choice is stable
    _read_binds: weakref.WeakKeyDictionary[Any, Any] | None = None

    @property
    def session(self) -> orm.scoped_session[Any]:
        return current_app.extensions["sqlalchemy"].session

    def _dialect(self) -> str:
        return self.session.get_bind(self.mapper).dialect.name

    def _ensure_plan(self) -> None:
        """Work out how the built-in reads run (done by :class:`SQLAlchemyManager`)."""
        raise NotImplementedError

    def _reusable(self, statement: Any, criteria: Any = None) -> Any:
        """``statement``, marked as one a direct read may run (:mod:`.direct`) unless
        loader criteria (``Meta.query_options``; ``criteria`` when given, else this
        manager's) compile into it: a criterion may take its values when the
        statement runs."""
        return (
            statement if (self._criteria if criteria is None else criteria) else reusable(statement)
        )

    def _reader(self, statement: Any) -> tuple[Any, bool]:
        """What a built-in read of rows executes ``statement`` on, and whether to close it.

        When the request has no session yet, or its session is between
        transactions (after a commit), a connection of the engine the session
        would choose, returned to the pool after the read: the statements
        select columns of ORM entities, so the ORM still compiles them (the
        discriminator of single-table inheritance, loader criteria given as
        options), but no session is set up, flushed and closed around them.
        When the request's session is in a transaction, the read joins it and
        sees its unflushed changes.  When the session runs ``do_orm_execute``
        hooks (soft deletion, for example), the read goes through the session,
        so they apply.
        """
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        scoped = app.extensions["sqlalchemy"].session
        registry = scoped.registry
        if registry.has():
            session = registry()
            if (
                session.in_transaction()
                or session.dispatch.do_orm_execute
                or (session.autoflush and (session.new or session.dirty or session.deleted))
            ):
                return self._session_reader(session, statement), False
            # between transactions (after a commit): nothing but committed rows to see
        probe = _probes.get(scoped)
        if probe is None:
            probe = _probes[scoped] = scoped.session_factory()
        if not probe.dispatch.do_orm_execute:
            bind = self._read_binds.get(app) if self._read_binds is not None else None
            if bind is None:
                bind = probe.get_bind(mapper=self.mapper, clause=statement)
                if type(probe).get_bind in _STABLE_GET_BINDS:
                    # the engine depends on the app and the model alone: keep it
                    if self._read_binds is None:
                        self._read_binds = weakref.WeakKeyDictionary()
                    self._read_binds[app] = bind
            if isinstance(bind, sa.Engine):
                return (Reader(bind) if quiet(bind) else bind.connect()), True
        return self._session_reader(scoped(), statement), False

    def _session_reader(self, session: orm.Session, statement: Any) -> Any:
        """The session, or its connection when no ORM hook needs to see the read."""
        if session.dispatch.do_orm_execute:
            return session
        if session.autoflush and (session.new or session.dirty or session.deleted):
            session.flush()
        return session.connection(bind_arguments={"mapper": self.mapper, "clause": statement})
