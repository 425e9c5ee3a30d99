"""Migrations: alembic, driven by the project, over every app's and contrib's models.

A project keeps its migrations in ``migrations/`` (``POTION_MIGRATIONS``):
``env.py`` hands over to :func:`run_environment`, ``versions/`` holds one file per
revision.  Each revision runs in a transaction of its own, so a failing revision
leaves the database at the one before it, and the error names the revision:

PostgreSQL
    DDL is transactional: the failed revision's changes are rolled back.
SQLite
    Python's sqlite3 driver commits before every DDL statement unless told
    otherwise; the migration engine turns that off and emits ``BEGIN`` itself, so
    DDL really runs inside the transaction and rolls back with it.  ``ALTER`` goes
    through alembic's batch mode (copy, alter, rename).
MariaDB / MySQL
    DDL commits implicitly and cannot be rolled back: each revision is still its
    own transaction (the recorded revision moves only when the revision
    completes), and a failure says which revisions were applied and that the
    failed one may have left schema changes behind.
"""

from __future__ import annotations

import argparse
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.pool import NullPool, StaticPool

if TYPE_CHECKING:
    from ..project import Project

__all__ = [
    "MigrationError",
    "MigrationState",
    "alembic_config",
    "migration_engine",
    "run_environment",
    "migration_state",
    "ensure_migrated",
    "migrate",
    "make_migrations",
    "MIGRATE_COMMAND",
]

#: What the messages tell users to run.
MIGRATE_COMMAND = "python manage.py migrate"

_PROJECT = "potion_project"
_REPORT = "potion_report"


class MigrationError(RuntimeError):
    """A migration command cannot do what was asked; ``str()`` is one line.

    :param hint: what to do about it.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


@dataclass
class _Report:
    """What happened during one alembic command (filled in by the environment)."""

    applied: list[tuple[str, bool, str]] = field(default_factory=list)
    no_changes: bool = False
    echo: Callable[[str], None] | None = None


# -- configuration ---------------------------------------------------------------


def alembic_config(project: Project) -> Config:
    """An alembic :class:`~alembic.config.Config` for the project's migrations folder."""
    config = Config(cmd_opts=argparse.Namespace(quiet=True))
    config.set_main_option("script_location", str(project.migrations_dir).replace("%", "%%"))
    config.attributes[_PROJECT] = project
    return config


def script_directory(project: Project) -> ScriptDirectory:
    """The project's migrations (refusing a missing folder with the command that makes it)."""
    folder = project.migrations_dir
    if not (folder / "env.py").is_file():
        raise MigrationError(
            f"The project has no migrations folder at {folder} (env.py is missing)",
            "copy migrations/ from a new project (potion startproject) or set POTION_MIGRATIONS",
        )
    return ScriptDirectory.from_config(alembic_config(project))


def database_url(project: Project) -> sa.engine.URL:
    """The URL of the project's main database, as its engine has it."""
    app = project.app
    with app.app_context():
        return project.db.engine.url


def migration_engine(project: Project) -> sa.Engine:
    """A short-lived engine on the project's database for migrations (no pool).

    On SQLite it runs DDL inside real transactions (see the module documentation).
    """
    url = database_url(project)
    options = project.app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
    kwargs: dict[str, Any] = {"poolclass": NullPool}
    if "connect_args" in options:
        kwargs["connect_args"] = options["connect_args"]
    return _transactional(sa.create_engine(url, **kwargs))


def scratch_engine() -> sa.Engine:
    """An empty in-memory SQLite database (one connection, shared), for comparisons."""
    return _transactional(sa.create_engine("sqlite://", poolclass=StaticPool))


def _transactional(engine: sa.Engine) -> sa.Engine:
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _no_implicit_commits(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.isolation_level = None  # the driver no longer commits by itself

        @sa.event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN")

    return engine


# -- the environment (migrations/env.py) -------------------------------------------


def run_environment() -> None:
    """Run alembic's environment for a project: what ``migrations/env.py`` calls.

    Under ``manage.py`` the project comes from the alembic config; run by the bare
    ``alembic`` command, it is built from ``$POTION_SETTINGS``.
    """
    from alembic import context

    config = context.config
    project = config.attributes.get(_PROJECT)
    if project is None:
        from ..project import Project

        project = Project.from_environment()
        config.attributes[_PROJECT] = project
    report: _Report = config.attributes.setdefault(_REPORT, _Report())
    metadata = project.db.metadata
    if context.is_offline_mode():
        url = database_url(project)
        context.configure(
            url=url.render_as_string(hide_password=False),
            target_metadata=metadata,
            literal_binds=True,
            render_as_batch=url.get_backend_name() == "sqlite",
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return

    def no_empty_revisions(ctx: Any, revision: Any, directives: list[Any]) -> None:
        if config.attributes.get("autogenerate"):
            script = directives[0]
            if all(ops.is_empty() for ops in script.upgrade_ops_list):
                directives[:] = []
                report.no_changes = True

    def applied(ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
        revision = step.up_revision
        doc = (revision.doc if revision is not None else "") or ""
        report.applied.append((step.up_revision_id, step.is_upgrade, doc))
        if report.echo is not None:
            verb = "Applied" if step.is_upgrade else "Unapplied"
            report.echo(f"  {verb} {step.up_revision_id}  {doc}")

    given = config.attributes.get("potion_engine")
    engine = given if given is not None else migration_engine(project)
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=sqlite,
                transaction_per_migration=True,
                transactional_ddl=True if sqlite else None,
                compare_type=True,
                process_revision_directives=no_empty_revisions,
                on_version_apply=applied,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        if given is None:
            engine.dispose()


# -- state -----------------------------------------------------------------------


@dataclass
class MigrationState:
    """Where the database is against the project's migrations."""

    current: tuple[str, ...]
    heads: tuple[str, ...]
    applied: set[str]
    revisions: list[Any]

    @property
    def up_to_date(self) -> bool:
        return set(self.current) == set(self.heads)

    @property
    def unknown(self) -> list[str]:
        """Revisions recorded in the database that the migrations folder lacks."""
        known = {script.revision for script in self.revisions}
        return [rev for rev in self.current if rev not in known]


@contextlib.contextmanager
def _connection(project: Project) -> Iterator[sa.Connection]:
    engine = migration_engine(project)
    try:
        try:
            connection = engine.connect()
        except sa.exc.DBAPIError as exc:
            raise MigrationError(
                f"The database cannot be reached: {_first_line(exc)}",
                "check the database URL (DATABASE_URL) and that the server runs",
            ) from None
        with connection:
            yield connection
    finally:
        engine.dispose()


def migration_state(project: Project) -> MigrationState:
    """The database's revisions, the migrations' heads, and every revision in order."""
    script = script_directory(project)
    with _connection(project) as connection:
        current = tuple(MigrationContext.configure(connection).get_current_heads())
    revisions = list(reversed(list(script.walk_revisions())))
    known = {s.revision for s in revisions}
    applied: set[str] = set()
    for head in current:
        if head in known:
            applied.update(s.revision for s in script.iterate_revisions(head, "base"))
    return MigrationState(current, tuple(script.get_heads()), applied, revisions)


def _label(revisions: tuple[str, ...] | list[str]) -> str:
    if not revisions:
        return "no migration applied"
    return ", ".join(revisions)


def ensure_migrated(project: Project) -> None:
    """Raise :class:`MigrationError` unless the database is at the migrations' heads."""
    state = migration_state(project)
    if not state.heads:
        raise MigrationError(
            "The project has no migrations yet",
            "python manage.py makemigrations -m initial, then " + MIGRATE_COMMAND,
        )
    if state.unknown:
        raise MigrationError(
            f"The database is at revision {', '.join(state.unknown)}, which the migrations "
            f"in {project.migrations_dir} do not have",
            "run the code that migrated it, or restore the missing migration files",
        )
    if not state.up_to_date:
        behind = [s.revision for s in state.revisions if s.revision not in state.applied]
        raise MigrationError(
            f"The database is behind the migrations (at {_label(state.current)}; "
            f"{len(behind)} to apply): run {MIGRATE_COMMAND}",
            f"run {MIGRATE_COMMAND}",
        )


# -- commands ----------------------------------------------------------------------


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None)
    if original is not None:
        text = f"({type(original).__module__.partition('.')[0]}.{type(original).__name__}) "
        text += str(original).strip().split("\n")[0]
        return text
    lines = str(exc).strip().split("\n")
    message = lines[0] if lines and lines[0] else type(exc).__name__
    if isinstance(exc, (CommandError, MigrationError)):
        return message
    return f"{type(exc).__name__}: {message}"


def _resolve(script: ScriptDirectory, target: str) -> Any:
    try:
        found = script.get_revisions(target)
    except CommandError as exc:
        what = "Ambiguous" if "multiple" in str(exc).lower() else "Unknown"
        raise MigrationError(
            f"{what} revision {target!r}: python manage.py showmigrations lists them",
            "python manage.py showmigrations lists the revisions",
        ) from None
    if not found or found[0] is None:
        raise MigrationError(
            f"Unknown revision {target!r}: python manage.py showmigrations lists them",
            "python manage.py showmigrations lists the revisions",
        )
    return found[0]


def migrate(
    project: Project, target: str | None = None, echo: Callable[[str], None] = print
) -> str:
    """Bring the database to ``target``: up (``head``, the default) or down to a revision.

    ``target`` is a revision id (or a unique prefix), ``head``/``heads``, ``zero``
    (or ``base``, before the first migration), or a relative step (``-1``, ``+2``).
    Returns a one-line summary; raises :class:`MigrationError` naming the failed
    revision when one fails.
    """
    script = script_directory(project)
    state = migration_state(project)
    if state.unknown:
        raise MigrationError(
            f"The database is at revision {', '.join(state.unknown)}, which the migrations do "
            "not have: nothing was changed",
            "restore the missing migration files, or run the code that migrated it",
        )
    target = (target or "heads").strip()
    if target in ("head", "heads"):
        upgrade, alembic_target = True, "heads"
    elif target in ("zero", "base"):
        upgrade, alembic_target = False, "base"
    elif target[:1] in "+-" and target[1:].isdigit():
        upgrade, alembic_target = target[0] == "+", target
        if not upgrade and int(target[1:]) > len(state.applied):
            raise MigrationError(
                f"Cannot go {target} revisions down: {len(state.applied)} are applied",
                "python manage.py showmigrations lists them",
            )
        if upgrade and int(target[1:]) > len(state.revisions) - len(state.applied):
            raise MigrationError(
                f"Cannot go {target} revisions up: "
                f"{len(state.revisions) - len(state.applied)} are left to apply",
                "python manage.py showmigrations lists them",
            )
    else:
        revision = _resolve(script, target)
        alembic_target = revision.revision
        upgrade = revision.revision not in state.applied
        if not upgrade and revision.revision in state.current:
            return f"Nothing to do: the database is at {revision.revision}."
    if upgrade and state.up_to_date and alembic_target == "heads":
        return f"Nothing to do: the database is at {_label(state.heads)} (head)."
    if not upgrade and alembic_target == "base" and not state.current:
        return "Nothing to do: no migration is applied."

    config = alembic_config(project)
    report = config.attributes[_REPORT] = _Report(echo=echo)
    try:
        if upgrade:
            command.upgrade(config, alembic_target)
        else:
            command.downgrade(config, alembic_target)
    except Exception as exc:  # a revision failed: say which, and where the database is
        raise _failure(project, script, state, alembic_target, upgrade, report, exc) from exc
    after = migration_state(project)
    done = len(report.applied)
    return (
        f"{'Applied' if upgrade else 'Unapplied'} {done} migration{'s' if done != 1 else ''}; "
        f"the database is at {_label(after.current)}."
    )


def _failure(
    project: Project,
    script: ScriptDirectory,
    before: MigrationState,
    target: str,
    upgrade: bool,
    report: _Report,
    exc: BaseException,
) -> MigrationError:
    try:
        after = migration_state(project)
        current = after.current
    except MigrationError:
        current = before.current
    failed = "?"
    if upgrade:
        pending = [s for s in before.revisions if s.revision not in before.applied]
        done = {rev for rev, _, _ in report.applied}
        remaining = [s for s in pending if s.revision not in done]
        if remaining:
            failed = remaining[0].revision
    elif current:
        failed = current[0]
    with contextlib.suppress(Exception):
        doc = script.get_revision(failed).doc
        if doc:
            failed = f"{failed} ({doc})"
    applied = [rev for rev, _, _ in report.applied]
    message = (
        f"Migration {failed} failed: {_first_line(exc)}; the database stays at {_label(current)}"
    )
    if applied:
        message += f" (applied before it: {', '.join(applied)})"
    if project.database_url and project.database_url.split(":")[0].split("+")[0] in (
        "mysql",
        "mariadb",
    ):
        message += (
            "; MariaDB/MySQL cannot roll back schema changes, so whatever the failed "
            "migration changed before the error is still in the database"
        )
    return MigrationError(message, "fix the migration, then run " + MIGRATE_COMMAND)


def make_migrations(project: Project, message: str | None = None, merge: bool = False) -> Any:
    """Autogenerate a revision from the models; None when nothing changed.

    The models are compared with the database when it is at the migrations' heads;
    when it is behind, with a scratch SQLite database the migrations are played on.
    With ``merge``, join the heads of diverged branches into one revision.
    """
    script = script_directory(project)
    heads = script.get_heads()
    config = alembic_config(project)
    report = config.attributes[_REPORT] = _Report()
    if merge:
        if len(heads) < 2:
            raise MigrationError(
                "Nothing to merge: the migrations have one head",
                "makemigrations --merge joins diverged branches",
            )
        return command.merge(config, "heads", message=message or "merge")
    if len(heads) > 1:
        raise MigrationError(
            f"The migrations have {len(heads)} heads ({', '.join(heads)})",
            "join them first: python manage.py makemigrations --merge",
        )
    state = migration_state(project)
    if state.unknown:
        raise MigrationError(
            f"The database is at revision {', '.join(state.unknown)}, which the migrations "
            "do not have",
            "restore the missing migration files, or run the code that migrated it",
        )
    scratch = None
    if not state.up_to_date:
        # compare the models with the migrations, played on a scratch database
        scratch = config.attributes["potion_engine"] = scratch_engine()
        try:
            command.upgrade(config, "heads")
        except Exception as exc:
            scratch.dispose()
            raise MigrationError(
                "The database is behind the migrations, and they do not run on a scratch "
                f"SQLite database to compare the models with ({_first_line(exc)}): run "
                f"{MIGRATE_COMMAND} first",
                f"run {MIGRATE_COMMAND}",
            ) from None
    config.attributes["autogenerate"] = True
    try:
        result = command.revision(config, message=message or "auto", autogenerate=True)
    finally:
        if scratch is not None:
            scratch.dispose()
    if report.no_changes or not result:
        return None
    return result


def revision_path(script: Any) -> Path:
    """The file of a revision."""
    return Path(script.path)
