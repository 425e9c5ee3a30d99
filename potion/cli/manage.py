"""``manage.py``: the command line of a project, a click group built from it.

A project's ``manage.py`` sets ``POTION_SETTINGS`` and calls :func:`main`.  The
built-in commands are below; contrib.auth adds ``createsuperuser``,
``changepassword``, ``createtoken`` and ``clearsessions``; an app adds its own
with a ``commands.py`` holding ``commands`` (a list of click commands).  A command
that needs the app runs inside its app context.  Every command answers bad input
with one line on stderr and exit status 1, and then has changed nothing.
"""

from __future__ import annotations

import code as interactive
import importlib.util
import json
import sys
import warnings
from pathlib import Path
from typing import Any, Callable

import click
from flask.cli import ScriptInfo, with_appcontext

from .. import __version__
from ..checks import CheckWarning, ConfigurationError, run_checks
from ..project import ImproperlyConfigured, Project
from . import checks as project_checks
from . import configuration_errors, run_command
from .fixtures import FixtureError, dump_items, load_items, read_fixture
from .migrate import MigrationError, ensure_migrated, make_migrations, migrate, migration_state
from .scaffold import ScaffoldError, start_app

__all__ = ["main", "ManageGroup", "make_cli", "current_project"]

#: Errors every command turns into one line and exit status 1.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (
    ImproperlyConfigured,
    MigrationError,
    FixtureError,
    ScaffoldError,
)


class _ProjectInfo(ScriptInfo):
    """Flask's ScriptInfo (for ``with_appcontext``) that also holds the project."""

    def __init__(self, factory: Callable[[], Project]) -> None:
        self._factory = factory
        self._project: Project | None = None
        super().__init__(create_app=lambda: self.project.app, set_debug_flag=False)

    @property
    def project(self) -> Project:
        if self._project is None:
            self._project = self._factory()
        return self._project


def current_project() -> Project:
    """The project of the running ``manage.py`` command."""
    info = click.get_current_context().find_object(_ProjectInfo)
    if info is None:
        raise RuntimeError("current_project() is for commands run by manage.py")
    return info.project


class ManageGroup(click.Group):
    """The ``manage.py`` group: built-in commands, then contrib's, then the apps'."""

    def __init__(self, factory: Callable[[], Project], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._factory = factory
        self._info: _ProjectInfo | None = None
        self._extra: dict[str, click.Command] | None = None

    def info(self) -> _ProjectInfo:
        if self._info is None:
            self._info = _ProjectInfo(self._factory)
        return self._info

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> click.Context:
        extra.setdefault("obj", self.info())
        return super().make_context(info_name, args, parent=parent, **extra)

    def _extra_commands(self) -> dict[str, click.Command]:
        if self._extra is None:
            project = self.info().project
            found: dict[str, click.Command] = {}
            if project.setting("POTION_AUTH"):
                from ..contrib.auth import commands as auth_commands

                found.update({c.name: c for c in auth_commands if c.name})
            if importlib.util.find_spec("potion.client") is not None:
                found["clientstubs"] = clientstubs
            for app in project.apps:
                module = project.app_module(app, "commands")
                for command in getattr(module, "commands", None) or ():
                    if command.name:
                        found[command.name] = command
            self._extra = found
        return self._extra

    def _safe_extra(self) -> dict[str, click.Command]:
        try:
            return self._extra_commands()
        except EXPECTED_ERRORS:
            return {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._safe_extra()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self._safe_extra().get(cmd_name)
        return command if command is not None else super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EXPECTED_ERRORS + configuration_errors() as error:
            raise click.ClickException(str(error)) from None


def _project() -> Project:
    return current_project()


# -- serving -----------------------------------------------------------------------


@click.command("runserver")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="The port."
)
@click.option(
    "--reload/--no-reload",
    default=None,
    help="Restart when a source file changes (on with --debug or DEBUG by default).",
)
@click.option(
    "--debug", is_flag=True, help="Debug mode: tracebacks and the debugger in the browser."
)
def runserver(host: str, port: int, reload: bool | None, debug: bool) -> None:
    """Serve the project with the development server (not for production: see wsgi.py)."""
    from werkzeug.serving import run_simple

    project = _project()
    app = project.app
    if project.setting("POTION_CHECK_MIGRATIONS"):
        ensure_migrated(project)
    debug = debug or bool(app.debug)
    app.debug = debug
    if reload is None:
        reload = debug
    prefix = project.setting("POTION_API_PREFIX") or ""
    base = f"http://{_host(host)}:{port}"
    settings = project.settings_module.__name__ if project.settings_module else "settings"
    click.echo(
        f"Potion {__version__}: {project.name} ({settings}), debug {'on' if debug else 'off'}",
        err=True,
    )
    click.echo(f"The API's schema: {base}{prefix}/schema", err=True)
    if project.admin is not None:
        click.echo(f"The admin: {base}{project.setting('POTION_ADMIN_URL')}/", err=True)
    run_simple(host, port, app, use_reloader=reload, use_debugger=debug, threaded=True)


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


# -- migrations -------------------------------------------------------------------


@click.command("migrate", context_settings={"ignore_unknown_options": True})
@click.argument("revision", required=False)
def migrate_command(revision: str | None) -> None:
    """Bring the database up to the latest migration, or to REVISION.

    REVISION is a revision id (or a unique start of one), "head", "zero" (no
    migration applied), or a step such as -1 or +1.  A revision older than the
    database's means going down.
    """
    project = _project()
    summary = migrate(project, revision, echo=click.echo)
    click.echo(summary)


@click.command("makemigrations")
@click.option("-m", "--message", default=None, help="What the migration does (its file name).")
@click.option("--merge", is_flag=True, help="Join the heads of diverged migration branches.")
def makemigrations(message: str | None, merge: bool) -> None:
    """Write a migration from the changes to the models (alembic autogenerate)."""
    project = _project()
    script = make_migrations(project, message, merge=merge)
    if script is None:
        click.echo("No changes: the models match the migrations.")
        return
    path = Path(script.path)
    try:
        shown = path.relative_to(project.root)
    except ValueError:
        shown = path
    click.echo(
        f"Wrote {shown} (revision {script.revision}); apply it with: python manage.py migrate"
    )


@click.command("showmigrations")
def showmigrations() -> None:
    """List the migrations, oldest first, with [X] for those applied to the database."""
    project = _project()
    state = migration_state(project)
    if not state.revisions:
        click.echo("No migrations yet: python manage.py makemigrations -m initial")
        return
    heads = set(state.heads)
    for script in state.revisions:
        mark = "X" if script.revision in state.applied else " "
        tags = " (head)" if script.revision in heads else ""
        click.echo(f"[{mark}] {script.revision}  {script.doc or ''}{tags}")
    for revision in state.unknown:
        click.echo(f"[?] {revision}  recorded in the database, missing from the migrations")


# -- inspecting --------------------------------------------------------------------


@click.command("shell")
@click.option("-c", "--command", "source", default=None, help="Run this code instead of a prompt.")
@with_appcontext
def shell(source: str | None) -> None:
    """A Python prompt in the app context, with the db, the api and every model loaded."""
    project = _project()
    namespace: dict[str, Any] = {
        "app": project.app,
        "db": project.db,
        "api": project.api,
        "project": project,
        "auth": project.auth,
    }
    namespace.update(project.models())
    assert project.api is not None
    namespace.update({r.__name__: r for r in project.api.resources.values()})
    if source is not None:
        exec(compile(source, "<shell -c>", "exec"), namespace)  # noqa: S102
        return
    names = ", ".join(sorted(k for k in namespace if k[:1].isupper()))
    banner = (
        f"Python {sys.version.split()[0]}, Potion {__version__}, project {project.name}\n"
        f"Loaded: app, db, api, project, auth, {names}"
    )
    interactive.interact(banner=banner, local=namespace, exitmsg="")


@click.command("routes")
@with_appcontext
def routes() -> None:
    """List every URL rule with its methods and endpoint."""
    app = _project().app
    rows = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        methods = ", ".join(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
        rows.append((rule.rule, methods, rule.endpoint))
    widths = [max(len(row[i]) for row in rows + [("Route", "Methods", "Endpoint")]) for i in (0, 1)]
    click.echo(f"{'Route':<{widths[0]}}  {'Methods':<{widths[1]}}  Endpoint")
    for rule_text, methods, endpoint in rows:
        click.echo(f"{rule_text:<{widths[0]}}  {methods:<{widths[1]}}  {endpoint}")


@click.command("check")
@click.option("--deploy", is_flag=True, help="Also check what production needs.")
def check(deploy: bool) -> None:
    """Run the start-up checks (settings and resources) and report what they find."""
    project = _project()
    found: list[Any] = project_checks.settings_messages(project, warnings=True)
    if not any(m.is_error for m in found):
        try:
            with warnings.catch_warnings():  # listed below, once
                warnings.simplefilter("ignore", CheckWarning)
                project.create_app()  # the Api runs the resource checks as it is built
        except ConfigurationError as error:
            found.extend(error.messages)
        else:
            found.extend(run_checks(project.api))
            if deploy:
                found.extend(project_checks.deploy_messages(project))
    for message in found:
        click.echo(str(message), err=bool(message.is_error))
    errors = sum(1 for m in found if m.is_error)
    warned = len(found) - errors
    if not found:
        click.echo("No issues found.")
        return
    summary = (
        f"{errors} error{'s' if errors != 1 else ''}, {warned} warning{'s' if warned != 1 else ''}."
    )
    if errors:
        raise click.ClickException(f"The checks found {summary}")
    click.echo(f"The checks found {summary}")


# -- apps ---------------------------------------------------------------------------


@click.command("startapp")
@click.argument("name")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def startapp(name: str, directory: str | None) -> None:
    """Create the app NAME (models.py, resources.py) next to manage.py, or in DIRECTORY,
    and add it to POTION_APPS."""
    project = _project()
    settings = project.settings_module
    settings_file = Path(settings.__file__) if settings and settings.__file__ else None
    folder, registered = start_app(name, project.root, settings_file, directory)
    click.echo(f"Created the app {name} in {folder}")
    if registered:
        click.echo(f"It is in POTION_APPS of {settings_file}.")
    else:
        click.echo(f"Add {name!r} to POTION_APPS in the settings to load it.")


# -- data -------------------------------------------------------------------------------


@click.command("dumpdata")
@click.argument("resources", nargs=-1)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file.")
@click.option("--indent", default=2, show_default=True, type=click.IntRange(0, 8))
def dumpdata(resources: tuple[str, ...], output: str | None, indent: int) -> None:
    """Write the items of RESOURCES (all of the project's apps by default) as a JSON fixture."""
    project = _project()
    entries = dump_items(project, resources)
    text = json.dumps(entries, indent=indent or None, ensure_ascii=False, default=str) + "\n"
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"Wrote {len(entries)} items to {output}.", err=True)
    else:
        click.echo(text, nl=False)


@click.command("loaddata")
@click.argument("files", nargs=-1, required=True)
def loaddata(files: tuple[str, ...]) -> None:
    """Load JSON fixtures through the resources (validated, with signals), in one transaction."""
    project = _project()
    entries: list[dict[str, Any]] = []
    for name in files:
        entries.extend(read_fixture(name))
    counts = load_items(project, entries, source=", ".join(files))
    total = sum(counts.values())
    detail = ", ".join(f"{name} {count}" for name, count in counts.items())
    click.echo(
        f"Loaded {total} item{'s' if total != 1 else ''}" + (f" ({detail})." if detail else ".")
    )


@click.command("clientstubs")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file.")
def clientstubs(output: str | None) -> None:
    """Write typed stubs (.pyi) of this project's API for potion.client."""
    from ..client.stubs import app_stubs  # type: ignore[import-not-found,unused-ignore]

    project = _project()
    text = app_stubs(project.app, project.setting("POTION_API_PREFIX") or "")
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"Wrote the stubs to {output}.", err=True)
    else:
        click.echo(text, nl=False)


BUILTIN_COMMANDS: list[click.Command] = [
    runserver,
    migrate_command,
    makemigrations,
    showmigrations,
    shell,
    routes,
    check,
    startapp,
    dumpdata,
    loaddata,
]


def make_cli(project: Project | Callable[[], Project] | None = None) -> ManageGroup:
    """The ``manage.py`` group of ``project`` (a Project, a factory of one, or None for
    the project of ``$POTION_SETTINGS``)."""
    if project is None:
        factory: Callable[[], Project] = Project.from_environment
    elif isinstance(project, Project):
        factory = lambda: project  # noqa: E731
    else:
        factory = project
    group = ManageGroup(
        factory,
        name="manage.py",
        help="The commands of this Potion project. python manage.py COMMAND --help says more.",
        commands=BUILTIN_COMMANDS,
    )
    group = click.version_option(__version__, prog_name="Potion")(group)
    return group


def main(args: list[str] | None = None) -> None:
    """Run ``manage.py`` for the project of ``$POTION_SETTINGS``.

    Any error ends the command with one line on stderr (``Error: ...``) and exit
    status 1 (2 for a mistake in the command line itself).
    """
    run_command(make_cli(), args, prog_name="manage.py", errors=EXPECTED_ERRORS)
