"""Built-in reads run on the DBAPI cursor, when nothing could tell them from SQLAlchemy's.

Running a cached ``SELECT`` through a SQLAlchemy ``Connection`` sets up an
execution context, a cursor result and its rows, and dispatches the engine's
events; for a read of one row by its key that costs several times what the
database does.  The statements of the built-in reads (an item, a page and its
count, a relation) are built once and reused, so their compiled SQL, the
processors of their parameters and the types of their columns can be worked
out once as well.  :class:`Reader` then runs them on a DBAPI connection of the
engine's pool: the same SQL, the same parameters as SQLAlchemy would send them,
the values of each column through the same result processors (dates from
SQLite's strings, ``Numeric`` as ``Decimal``, a ``TypeDecorator``'s
``process_result_value``), rows with the same keys.

It does so only when no one could see the difference (:func:`quiet`): the
engine has no listener of its connection events (``before_cursor_execute``, a
statement logger, an APM's hooks), does not log its statements (``echo``),
has no execution options (``schema_translate_map``...), and its dialect is one
whose execution Potion's tests compare with SQLAlchemy's (SQLite with the
standard ``sqlite3``, PostgreSQL with psycopg, MySQL and MariaDB with PyMySQL
or mysqlclient) and has no listener of its own.  A statement is run directly
only once SQLAlchemy has run it once on this dialect (which gives the keys of
its rows), and only if it needs no rendering per execution (``IN`` lists,
literal parameters).  Pool events still fire: the connection is checked out
and returned through the pool.

If anything fails on the direct path, the connection is dropped when the
error says it is dead, and the statement is run again through SQLAlchemy, so
its errors reach the caller classified as they always were.
"""

from __future__ import annotations

import keyword
import weakref
from typing import Any

import sqlalchemy as sa

__all__ = ["Reader", "quiet", "reusable"]

#: (dialect name, driver) whose execution of a SELECT is SQLAlchemy's default one
_DRIVERS = frozenset(
    {
        ("sqlite", "pysqlite"),
        ("postgresql", "psycopg"),
        ("postgresql", "psycopg2"),
        ("mysql", "pymysql"),
        ("mariadb", "pymysql"),
        ("mysql", "mysqldb"),
        ("mariadb", "mysqldb"),
    }
)

#: statement -> dialect -> its :class:`_Prepared`, or ``None`` when it cannot run directly
_prepared: weakref.WeakKeyDictionary[Any, dict[Any, Any]] = weakref.WeakKeyDictionary()


def reusable(statement: Any) -> Any:
    """Mark ``statement`` (built once, run many times) as one a :class:`Reader` may run
    directly; returns it."""
    try:
        _prepared.setdefault(statement, {})
    except TypeError:  # not weakly referable: always through SQLAlchemy
        pass
    return statement


def quiet(engine: Any) -> bool:
    """Whether a read on ``engine`` outside SQLAlchemy's execution goes unseen."""
    try:
        dialect = engine.dialect
        dispatch = dialect.dispatch
        return (
            (dialect.name, dialect.driver) in _DRIVERS
            and not engine._has_events
            and not sa.engine.Connection._has_events
            and not engine._execution_options
            and not engine._should_log_info()
            and not engine._should_log_debug()
            and not dispatch.do_execute
            and not dispatch.do_execute_no_params
            and not dispatch.do_setinputsizes
            and type(dialect).do_execute is sa.engine.default.DefaultDialect.do_execute
        )
    except AttributeError:  # another SQLAlchemy than the one this was written for
        return False


class _Rows:
    """The rows of a direct read, answering as a SQLAlchemy result does."""

    __slots__ = ("rows",)

    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows

    def first(self) -> Any:
        return self.rows[0] if self.rows else None

    def all(self) -> list[Any]:
        return self.rows

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None

    def scalar_one(self) -> Any:
        if len(self.rows) != 1:
            raise sa.exc.NoResultFound() if not self.rows else sa.exc.MultipleResultsFound()
        return self.rows[0][0]


class _Row:
    """A row of a direct read: its columns as attributes (``row.title``), by position
    (``row[1]``), as a mapping (``row._mapping``); not a tuple, like SQLAlchemy's."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def _tuple(self) -> tuple[Any, ...]:
        return tuple(getattr(self, key) for key in self._fields)

    @property
    def _mapping(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self._fields}

    def _asdict(self) -> dict[str, Any]:
        return self._mapping

    def __getitem__(self, index: Any) -> Any:
        return self._tuple()[index]

    def __iter__(self) -> Any:
        return iter(self._tuple())

    def __len__(self) -> int:
        return len(self._fields)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Row):
            return self._tuple() == other._tuple()
        return self._tuple() == other

    def __hash__(self) -> int:
        return hash(self._tuple())

    def __repr__(self) -> str:
        return repr(self._tuple())


def _row_class(keys: tuple[str, ...]) -> Any:
    """A :class:`_Row` class with a slot per key, built by ``row(value, ...)``."""
    arguments = ", ".join(f"_{i}" for i in range(len(keys)))
    assignments = "".join(f"    self.{key} = _{i}\n" for i, key in enumerate(keys)) or "    pass\n"
    namespace: dict[str, Any] = {}
    exec(f"def __init__(self, {arguments}):\n{assignments}", namespace)  # noqa: S102
    return type(
        "Row", (_Row,), {"__slots__": keys, "_fields": keys, "__init__": namespace["__init__"]}
    )


class _Prepared:
    """A statement compiled for one dialect, with what running it needs."""

    def __init__(self, statement: Any, compiled: Any, dialect: Any, keys: tuple[str, ...]) -> None:
        self.compiled = compiled
        self.sql = compiled.string
        self.positional = compiled.positional
        self.order = tuple(compiled.positiontup or ())
        self.sequence = dialect.execute_sequence_format
        self.dialect = dialect
        self.binds = {}
        for bind, name in compiled.bind_names.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self.binds[name] = process
        self.types = [column.type for column in statement.selected_columns]
        self.row = _row_class(keys)
        #: type codes of the cursor's columns -> the result processors for them
        self.processors: dict[tuple[Any, ...], list[Any]] = {}

    @classmethod
    def build(cls, statement: Any, dialect: Any, keys: tuple[str, ...]) -> _Prepared | None:
        """The prepared statement, or ``None`` when it must go through SQLAlchemy."""
        try:
            compiled = statement.compile(dialect=dialect)
        except Exception:
            return None
        if (
            compiled.isinsert
            or compiled.isupdate
            or compiled.isdelete
            or compiled.literal_execute_params
            or compiled.post_compile_params
            or compiled.escaped_bind_names
            or compiled.schema_translate_map
            or len(set(keys)) != len(keys)
            or not all(k.isidentifier() and not keyword.iskeyword(k) for k in keys)
            or any(k.startswith("_") for k in keys)
            or len(keys) != len(statement.selected_columns)
        ):
            return None
        return cls(statement, compiled, dialect, keys)

    def _processors(self, description: Any) -> list[Any]:
        codes = tuple(column[1] for column in description)
        processors = self.processors.get(codes)
        if processors is None:
            dialect = self.dialect
            processors = [
                type_.dialect_impl(dialect).result_processor(dialect, code)
                for type_, code in zip(self.types, codes, strict=True)
            ]
            self.processors[codes] = processors
        return processors

    def run(self, dbapi_connection: Any, params: dict[str, Any]) -> _Rows:
        values = self.compiled.construct_params(params)
        binds = self.binds
        if binds:
            for name, process in binds.items():
                values[name] = process(values[name])
        arguments = (
            self.sequence([values[name] for name in self.order]) if self.positional else values
        )
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(self.sql, arguments)
            processors = self._processors(cursor.description)
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        row = self.row
        if any(processors):
            return _Rows(
                [
                    row(
                        *[
                            p(v) if p is not None else v
                            for p, v in zip(processors, raw, strict=True)
                        ]
                    )
                    for raw in fetched
                ]
            )
        return _Rows([row(*raw) for raw in fetched])


class Reader:
    """What a built-in read outside a transaction runs its statements on: a DBAPI
    connection of ``engine``'s pool for the statements that can run directly, a
    SQLAlchemy ``Connection`` for the others (and for the first run of each)."""

    __slots__ = ("engine", "raw", "connection")

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.raw: Any = None
        self.connection: Any = None

    def execute(self, statement: Any, params: dict[str, Any]) -> Any:
        by_dialect = _prepared.get(statement)
        if by_dialect is not None:
            dialect = self.engine.dialect
            prepared = by_dialect.get(dialect, False)
            if prepared and self.connection is None:
                raw = self.raw
                if raw is None:
                    raw = self.raw = self.engine.raw_connection()
                try:
                    return prepared.run(raw.dbapi_connection, params)
                except Exception as exc:
                    self._drop(exc)
            elif prepared is False:  # first run on this dialect: SQLAlchemy's, for the keys
                result = self._connection().execute(statement, params)
                by_dialect[dialect] = _Prepared.build(statement, dialect, tuple(result.keys()))
                return result
        return self._connection().execute(statement, params)

    def _connection(self) -> Any:
        if self.connection is None:
            if self.raw is not None:
                self.raw.close()
                self.raw = None
            self.connection = self.engine.connect()
        return self.connection

    def _drop(self, exc: BaseException) -> None:
        """Give the DBAPI connection back after a failure (invalidated when it is dead)."""
        raw, self.raw = self.raw, None
        if raw is None:
            return
        try:
            dbapi = self.engine.dialect.loaded_dbapi
            if isinstance(exc, dbapi.Error) and self.engine.dialect.is_disconnect(
                exc, raw.dbapi_connection, None
            ):
                raw.invalidate(exc)
            raw.close()
        except Exception:
            raw.invalidate()

    def close(self) -> None:
        if self.raw is not None:
            raw, self.raw = self.raw, None
            raw.close()
        if self.connection is not None:
            connection, self.connection = self.connection, None
            connection.close()
