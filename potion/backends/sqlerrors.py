"""Reading SQL errors: is the database unavailable, which constraint failed, on which columns.

Shared by the SQL backends.  Works from the DB-API error of SQLite, PostgreSQL
(psycopg2 and psycopg 3) and MariaDB/MySQL (PyMySQL, mysqlclient), so the API can
answer 503 for an outage (:func:`is_unavailable`) and 409 or 400 naming the field
for a refused write instead of a bare 500.  The ``error_for_*`` functions build
those answers once the backend knows the kind and the names.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

from ..exceptions import BackendConflict, DuplicateKey, IntegrityViolation, PotionException

__all__ = [
    "is_unavailable",
    "is_disconnect",
    "classify_integrity_error",
    "constraints_of_table",
    "error_for_fields",
    "error_for_other_table",
    "error_for_referenced_item",
    "error_for_unremovable_child",
    "failing_table",
    "statement_target",
    "statement_values",
]

#: (constraint or index name or None, column names, kind) of one table.
Constraint = tuple[str | None, Sequence[str], str]


def constraints_of_table(table: Any) -> list[Constraint]:
    """The unique (primary key included) and foreign-key constraints of an SQLAlchemy ``Table``."""
    import sqlalchemy as sa

    result: list[Constraint] = []
    for constraint in table.constraints:
        columns = [c.name for c in constraint.columns]
        if isinstance(constraint, sa.UniqueConstraint):
            result.append((_name(constraint.name), columns, "unique"))
        elif isinstance(constraint, sa.ForeignKeyConstraint):
            result.append((_name(constraint.name), columns, "foreign_key"))
    for index in table.indexes:
        if index.unique:
            result.append((_name(index.name), [c.name for c in index.columns], "unique"))
    for column in table.columns:
        if column.unique and not any(list(cols) == [column.name] for _, cols, _k in result):
            result.append((None, [column.name], "unique"))
    primary_key = [c.name for c in table.primary_key.columns]
    if primary_key:  # a key the client chose may be taken; MySQL names it PRIMARY
        result.append(("PRIMARY", primary_key, "unique"))
    return result


def _name(name: Any) -> str | None:
    return str(name) if isinstance(name, str) else None


def _error_code(orig: Any) -> tuple[Any, str]:
    """``(code, message)`` of a DB-API error."""
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):
        # MySQL drivers: (errno, message).  SQLAlchemy 2.1 also sets ``sqlstate``
        # on them, but that is only the class ("23000"), so the errno comes first.
        return args[0], str(args[1]) if len(args) > 1 else ""
    code = getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)
    return code, str(orig)


def _columns_by_name(name: str | None, constraints: Iterable[Constraint], kind: str) -> list[str]:
    if not name:
        return []
    name = name.split(".")[-1].strip("`\"'")
    for constraint_name, columns, constraint_kind in constraints:
        if constraint_kind == kind and constraint_name == name:
            return list(columns)
    for _constraint_name, columns, constraint_kind in constraints:
        # MySQL names an unnamed unique index after its first column
        if constraint_kind == kind and columns and columns[0] == name:
            return list(columns)
    return [name]


_STATEMENT = re.compile(
    r"^\s*(INSERT\s+(?:IGNORE\s+)?INTO|UPDATE|DELETE\s+FROM)\s+((?:[`\"]?\w+[`\"]?\.)?[`\"]?\w+[`\"]?)",
    re.IGNORECASE,
)


def statement_target(statement: str | None) -> tuple[str | None, str | None]:
    """``(verb, table)`` written by an INSERT, UPDATE or DELETE statement.

    ``verb`` is ``insert``, ``update`` or ``delete``; both are None for anything else.
    """
    match = _STATEMENT.match(statement or "")
    if match is None:
        return None, None
    verb = match.group(1).split()[0].lower()
    table = match.group(2).split(".")[-1].strip('`"')
    return verb, table


def statement_values(statement: str | None, params: Any) -> dict[str, Any]:
    """The column values an INSERT or UPDATE wrote, by column name.

    Named parameters (``%(name)s``) are read by name; positional ones (``?``,
    ``%s``) are matched to the statement's column list or ``SET`` clause.
    """
    if isinstance(params, (list, tuple)) and params and isinstance(params[0], (dict, list, tuple)):
        params = params[0]  # executemany: the first row
    if isinstance(params, dict):
        return dict(params)
    if not isinstance(params, (list, tuple)) or not statement:
        return {}
    insert = re.match(r"^\s*INSERT\s+INTO\s+\S+\s*\(([^)]*)\)", statement, re.IGNORECASE)
    if insert:
        names = [name.strip().strip('`"') for name in insert.group(1).split(",")]
        return dict(zip(names, params, strict=False))
    update = re.match(
        r"^\s*UPDATE\s+\S+\s+SET\s+(.*?)\s+WHERE\s", statement, re.IGNORECASE | re.DOTALL
    )
    if update:
        names = [part.split("=")[0].strip().strip('`"') for part in update.group(1).split(",")]
        return dict(zip(names, params, strict=False))
    return {}


#: PostgreSQL SQLSTATE classes of a store that cannot serve now: connection
#: exceptions, insufficient resources, operator intervention (shutdown, statement
#: timeout), system errors, and transaction rollbacks (deadlock, serialization).
_PG_UNAVAILABLE_CLASSES = frozenset({"08", "53", "57", "58", "40"})
#: PostgreSQL codes of the same kind outside those classes: lock not available.
_PG_UNAVAILABLE_CODES = frozenset({"55P03"})
#: MariaDB/MySQL server errors of the same kind: too many connections, access
#: denied, server shutdown, lock wait timeout, query interrupted, deadlock,
#: connection killed, statement timeouts, client idle timeout.
_MYSQL_UNAVAILABLE_CODES = frozenset(
    {1040, 1044, 1045, 1053, 1077, 1152, 1153, 1158, 1159, 1160, 1161, 1184, 1205, 1213}
    | {1317, 1927, 1969, 3024, 4031}
)
#: SQLite result codes of the same kind: busy, locked, read-only, interrupted,
#: I/O error, corrupt file, disk full, cannot open.
_SQLITE_UNAVAILABLE_CODES = frozenset({5, 6, 8, 9, 10, 11, 13, 14})
#: SQLite messages of an operational error that is about the file, not the query.
_SQLITE_UNAVAILABLE = re.compile(
    r"database is locked|database table is locked|disk I/O error|unable to open database"
    r"|database disk image is malformed|disk is full|readonly database|interrupted",
    re.IGNORECASE,
)


def is_unavailable(orig: Any) -> bool:
    """Whether a DB-API error means the database cannot serve the request now.

    True for a lost, refused or timed-out connection, a server shutting down, a
    lock timeout or a deadlock, and any other operational error of a server, by
    its SQLSTATE or error number; False for errors about the query or the data
    (a missing table, a syntax error, a refused value), which are bugs or 4xx.
    An SQLAlchemy or peewee wrapper is unwrapped.
    """
    orig = getattr(orig, "orig", None) or orig
    code, message = _error_code(orig)
    names = {cls.__name__ for cls in type(orig).__mro__}
    operational = bool(names & {"OperationalError", "InterfaceError"})
    if isinstance(code, int):  # MariaDB/MySQL; PyMySQL's closed connection is (0, "")
        return (
            2000 <= code < 3000 or code in _MYSQL_UNAVAILABLE_CODES or (code == 0 and operational)
        )
    if isinstance(code, str) and len(code) == 5:  # PostgreSQL
        return code[:2] in _PG_UNAVAILABLE_CLASSES or code in _PG_UNAVAILABLE_CODES
    if type(orig).__module__.partition(".")[0] == "sqlite3":
        primary = getattr(orig, "sqlite_errorcode", None)
        if isinstance(primary, int):
            return primary & 0xFF in _SQLITE_UNAVAILABLE_CODES
        return bool(_SQLITE_UNAVAILABLE.search(message))
    # no code: the driver's own failure (connection refused, closed, timed out)
    return operational


#: MariaDB/MySQL errors of a connection that is gone: server gone away, lost
#: connection (client side), connection killed, idle timeout.
_MYSQL_DISCONNECT_CODES = frozenset({2006, 2013, 2055, 1927, 4031})


def is_disconnect(orig: Any) -> bool:
    """Whether a DB-API error means the connection itself is gone (not a timeout or a lock).

    A read that failed so may run once more on a fresh connection.
    """
    orig = getattr(orig, "orig", None) or orig
    code, _message = _error_code(orig)
    if isinstance(code, int):
        return code in _MYSQL_DISCONNECT_CODES or (
            code == 0 and "InterfaceError" in {cls.__name__ for cls in type(orig).__mro__}
        )
    if isinstance(code, str) and len(code) == 5:
        return code[:2] == "08" or code in ("57P01", "57P02", "57P03")
    if type(orig).__module__.partition(".")[0] == "sqlite3":
        return False
    names = {cls.__name__ for cls in type(orig).__mro__}
    return bool(names & {"OperationalError", "InterfaceError"})


def failing_table(orig: Any, dialect: str) -> str | None:
    """The name of the table whose constraint failed, when the error tells."""
    orig = getattr(orig, "orig", None) or orig
    code, message = _error_code(orig)
    if dialect == "sqlite":
        match = re.search(r"constraint failed: (\w+)\.", message)
        return match.group(1) if match else None
    if dialect == "postgresql":
        return getattr(getattr(orig, "diag", None), "table_name", None)
    match = re.search(r"fails \(`[^`]+`\.`([^`]+)`", message)
    return match.group(1) if match else None


def classify_integrity_error(
    orig: Any, dialect: str, constraints: Iterable[Constraint] | Any = ()
) -> tuple[str, list[str]]:
    """``(kind, columns)``; kind is ``unique``, ``not_null``, ``foreign_key`` or ``other``.

    ``orig`` is the DB-API exception (an SQLAlchemy ``IntegrityError`` is unwrapped),
    ``constraints`` the table's constraints (a ``Table`` is accepted too).
    """
    orig = getattr(orig, "orig", None) or orig
    if hasattr(constraints, "constraints") and hasattr(constraints, "columns"):
        constraints = constraints_of_table(constraints)
    constraints = list(constraints)
    code, message = _error_code(orig)
    if dialect == "sqlite":
        match = re.match(r"(UNIQUE|NOT NULL) constraint failed: (.+)", message)
        if match:
            columns = [part.strip().split(".")[-1] for part in match.group(2).split(",")]
            return ("unique" if match.group(1) == "UNIQUE" else "not_null"), columns
        if "FOREIGN KEY constraint failed" in message:
            return "foreign_key", []
        return "other", []
    if dialect == "postgresql":
        diag = getattr(orig, "diag", None)
        detail = getattr(diag, "message_detail", None) or message
        key = re.search(r"Key \((.+?)\)=", detail or "")
        columns = [c.strip().strip('"') for c in key.group(1).split(",")] if key else []
        if code == "23505":
            if not columns:
                columns = _columns_by_name(
                    getattr(diag, "constraint_name", None), constraints, "unique"
                )
            return "unique", columns
        if code == "23502":
            column = getattr(diag, "column_name", None)
            if column is None:
                found = re.search(r'column "(.+?)"', message)
                column = found.group(1) if found else None
            return "not_null", [column] if column else []
        if code == "23503":
            if not columns:
                columns = _columns_by_name(
                    getattr(diag, "constraint_name", None), constraints, "foreign_key"
                )
            return "foreign_key", columns
        return "other", []
    if dialect in ("mysql", "mariadb"):
        if code == 1062:
            found = re.search(r"for key '(.+?)'", message)
            return "unique", _columns_by_name(
                found.group(1) if found else None, constraints, "unique"
            )
        if code in (1048, 1364):
            found = re.search(r"(?:Column|Field) '(.+?)'", message)
            return "not_null", [found.group(1)] if found else []
        if code in (1451, 1452):
            found = re.search(r"FOREIGN KEY \(`(.+?)`\)", message)
            columns = [c.strip("` ") for c in found.group(1).split(",")] if found else []
            return "foreign_key", columns
        return "other", []
    return "other", []


# -- the answers ---------------------------------------------------------------


def error_for_fields(kind: str, keys: list[str], debug: dict[str, Any]) -> PotionException:
    """The answer to ``kind`` of integrity error on the resource's own fields ``keys``.

    A duplicate is a 409 (:class:`DuplicateKey`), a missing value or a dangling
    reference a 400 (:class:`IntegrityViolation`), anything else a 409.
    """
    if kind == "unique":
        errors = [{"path": [k], "validationOf": {"unique": True}} for k in keys]
        names = f"this {', '.join(keys)}" if keys else "one of its unique values"
        return DuplicateKey(f"An item with {names} already exists", errors=errors, debug_info=debug)
    if kind == "not_null":
        errors = [{"path": [k], "validationOf": {"required": [k]}} for k in keys]
        return IntegrityViolation(errors, message=f"A value is required: {', '.join(keys)}")
    if kind == "foreign_key":
        errors = [{"path": [k], "validationOf": {"$ref": k}} for k in keys]
        return IntegrityViolation(
            errors, message="A reference points to an item that does not exist"
        )
    return BackendConflict(debug_info=debug)


def error_for_other_table(
    table: str,
    kind: str,
    columns: list[str],
    debug: dict[str, Any],
    *,
    name: str | None = None,
    keys: list[str] | None = None,
) -> PotionException:
    """The answer when a write to another table (a link table, another resource's) fails.

    A duplicate there is a 409, anything else a 400.  When a resource serves that
    table the answer names it and its fields as clients write them (``name``,
    ``keys``: "A book with this title already exists"); a table no resource
    serves is named with its columns.
    """
    if name is not None and keys is not None:
        fields = ", ".join(keys) or "value"
        if kind == "unique":
            return DuplicateKey(
                f"A {name} with this {fields} already exists",
                errors=[{"path": [], "validationOf": {"unique": keys}, "resource": name}],
                debug_info=debug,
            )
        return IntegrityViolation(
            [{"path": [], "validationOf": {kind: keys}, "resource": name}],
            message=f"The database refused the write of a {name}: {fields}",
        )
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


def error_for_referenced_item(
    name: str, referencing: str | None, debug: dict[str, Any]
) -> BackendConflict:
    """409: an item of resource ``name`` is still referenced from rows of ``referencing``."""
    referencing = referencing or "another table"
    return BackendConflict(
        f"This {name} is still referenced from {referencing}",
        errors=[{"path": [], "validationOf": {"referencedBy": referencing}}],
        debug_info=debug,
    )


def error_for_unremovable_child(name: str, keys: list[str], relation: str) -> IntegrityViolation:
    """400: an item of resource ``name`` cannot leave ``relation``, it needs its ``keys``."""
    return IntegrityViolation(
        [{"path": [], "validationOf": {"required": keys}}],
        message=(
            f"A {name} cannot be without its {', '.join(keys)}: "
            f"it cannot be removed from {relation}"
        ),
    )
