"""The ``potion`` command line: ``potion startproject NAME [DIR]``.

The project wrapper's commands live here: :mod:`potion.cli.manage` (``manage.py``),
:mod:`potion.cli.migrate` (alembic), :mod:`potion.cli.fixtures` (``dumpdata``,
``loaddata``), :mod:`potion.cli.scaffold` (``startproject``, ``startapp``) and
:mod:`potion.cli.checks` (the project's checks).
"""

from __future__ import annotations

import click

from .. import __version__
from .scaffold import ScaffoldError, start_project

__all__ = ["main", "startproject"]


@click.group(help="Potion, a batteries-included web framework on Flask.")
@click.version_option(__version__, prog_name="Potion")
def main() -> None:
    """The ``potion`` console script."""


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
