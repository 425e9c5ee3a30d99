"""The ``potion`` command line: ``potion startproject NAME [DIR]``.

The project wrapper's commands live here: :mod:`potion.cli.manage` (``manage.py``),
:mod:`potion.cli.migrate` (alembic), :mod:`potion.cli.fixtures` (``dumpdata``,
``loaddata``), :mod:`potion.cli.scaffold` (``startproject``, ``startapp``) and
:mod:`potion.cli.checks` (the project's checks).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from .. import __version__
from ..checks import ConfigurationError
from .scaffold import ScaffoldError, start_project

__all__ = ["main", "console", "startproject", "run_command", "configuration_errors"]


def configuration_errors() -> tuple[type[BaseException], ...]:
    """The core's start-up check error (:class:`potion.checks.ConfigurationError`)."""
    return (ConfigurationError,)


def run_command(
    command: click.Command,
    args: list[str] | None = None,
    prog_name: str = "potion",
    errors: tuple[type[BaseException], ...] = (),
) -> None:
    """Run a click command as a console script: every error is one line on stderr
    (``Error: ...``) and exit status 1 (2 for a mistake in the command line)."""
    try:
        result: Any = command.main(args=args, prog_name=prog_name, standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.UsageError as error:
        where = error.ctx.command_path if error.ctx is not None else prog_name
        click.echo(f"Error: {error.format_message()} (see {where} --help)", err=True)
        sys.exit(error.exit_code)
    except click.ClickException as error:
        click.echo(f"Error: {error.format_message()}", err=True)
        sys.exit(error.exit_code)
    except errors + configuration_errors() as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)


@click.group(help="Potion, a batteries-included web framework on Flask.")
@click.version_option(__version__, prog_name="Potion")
def main() -> None:
    """The ``potion`` command group."""


def console() -> None:
    """The ``potion`` console script."""
    run_command(main, prog_name="potion")


@main.command("startproject")
@click.argument("name")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
def startproject(name: str, directory: str | None) -> None:
    """Create the project NAME in DIRECTORY (./NAME by default).

    NAME becomes the project's package: letters, digits and underscores, not a
    Python keyword nor the name of a module Python can already import.  DIRECTORY
    must not exist or be empty.
    """
    try:
        target = start_project(name, directory)
    except ScaffoldError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created the project {name} in {target}")
    click.echo("Next:")
    click.echo(f"  cd {target}")
    click.echo("  python manage.py migrate            # create the tables")
    click.echo("  python manage.py createsuperuser    # a user who may do everything")
    click.echo("  python manage.py runserver          # http://127.0.0.1:8000/api/schema")
