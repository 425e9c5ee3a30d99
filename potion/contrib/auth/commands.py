"""Click commands of contrib.auth: ``createsuperuser``, ``changepassword``, ``createtoken``,
``clearsessions``.

:class:`~potion.contrib.auth.Auth` adds them to the app's ``flask`` CLI; a
``manage.py`` registers :data:`commands` (or the :data:`cli` group) itself.  Each
runs in the app context and answers bad input with one line and exit status 1.
"""

from __future__ import annotations

import os
from typing import Any

import click
from flask.cli import with_appcontext

from ...exceptions import PotionException, ValidationError
from .extension import get_auth
from .models import username_problem

__all__ = ["commands", "cli", "createsuperuser", "changepassword", "createtoken"]
__all__ += ["clearsessions"]

#: The environment variable ``createsuperuser --noinput`` reads the password from.
PASSWORD_VARIABLE = "POTION_SUPERUSER_PASSWORD"


def _problem(error: PotionException) -> str:
    if isinstance(error, ValidationError) and error.errors:
        return "; ".join(str(e.get("message") or error.message) for e in error.errors)
    return str(error.as_dict()["message"])


def _prompt_password(auth: Any, user: Any, attempts: int = 3) -> str:
    for _ in range(attempts):
        password = click.prompt("Password", hide_input=True, err=True)
        again = click.prompt("Password (again)", hide_input=True, err=True)
        if password != again:
            click.echo("The passwords do not match.", err=True)
            continue
        try:
            auth.validate_password(password, user)
        except ValidationError as error:
            click.echo(_problem(error), err=True)
            continue
        return str(password)
    raise click.ClickException("No acceptable password given")


@click.command("createsuperuser")
@click.option("--username", help="The superuser's username.")
@click.option("--email", default=None, help="The superuser's email address.")
@click.option(
    "--noinput",
    "--no-input",
    "noinput",
    is_flag=True,
    help=f"Ask nothing: the password comes from ${PASSWORD_VARIABLE}.",
)
@with_appcontext
def createsuperuser(username: str | None, email: str | None, noinput: bool) -> None:
    """Create a superuser (staff too), asking for what the options do not give."""
    auth = get_auth()
    if noinput:
        if not username:
            raise click.ClickException("--username is required with --noinput")
        password = os.environ.get(PASSWORD_VARIABLE)
        if not password:
            raise click.ClickException(f"Set {PASSWORD_VARIABLE} to the password with --noinput")
    else:
        if not username:
            username = click.prompt("Username", err=True)
        if email is None:
            email = click.prompt("Email address", default="", show_default=False, err=True)
    problem = username_problem(username)
    if problem:
        raise click.ClickException(problem)
    if email and ("@" not in email or len(email) > 254 or any(c.isspace() for c in email)):
        raise click.ClickException(f"{email!r} is not an email address")
    if auth.find_user(username) is not None:  # type: ignore[arg-type]
        raise click.ClickException(f"A user named {username!r} already exists")
    candidate = {"username": username, "email": email or ""}
    if noinput:
        try:
            auth.validate_password(password, candidate)
        except ValidationError as error:
            raise click.ClickException(_problem(error)) from None
    else:
        password = _prompt_password(auth, candidate)
    try:
        auth.create_user(
            username,  # type: ignore[arg-type]
            password,
            email or "",
            validate=False,
            is_staff=True,
            is_superuser=True,
        )
    except PotionException as error:
        raise click.ClickException(_problem(error)) from None
    click.echo(f"Superuser {username} created.", err=True)


@click.command("changepassword")
@click.argument("username")
@with_appcontext
def changepassword(username: str) -> None:
    """Set USERNAME's password (asked twice); their sessions and tokens end."""
    auth = get_auth()
    user = auth.find_user(username)
    if user is None:
        raise click.ClickException(f"No user named {username!r}")
    password = _prompt_password(auth, user)
    auth.set_password(user, password, validate=False)
    auth.db.session.commit()
    click.echo(f"Password of {user.username} changed; their sessions and tokens ended.", err=True)


@click.command("createtoken")
@click.argument("username")
@click.option(
    "--expires",
    type=float,
    default=None,
    metavar="DAYS",
    help="Days until the token expires (POTION_AUTH_TOKEN_DAYS by default).",
)
@click.option("--name", default="", help="A name to recognise the token by.")
@with_appcontext
def createtoken(username: str, expires: float | None, name: str) -> None:
    """Create an API token for USERNAME and print it (it is shown only this once)."""
    auth = get_auth()
    user = auth.find_user(username)
    if user is None:
        raise click.ClickException(f"No user named {username!r}")
    if not user.is_active:
        raise click.ClickException(f"{user.username} is inactive")
    if len(name) > 100:
        raise click.ClickException("A token name has at most 100 characters")
    try:
        raw, token = auth.create_token(user, days=expires, name=name)
    except ValidationError as error:
        raise click.ClickException(_problem(error)) from None
    click.echo(raw)
    click.echo(
        f"Token {token.id} for {user.username}, expires {token.expires_at:%Y-%m-%d %H:%M} UTC.",
        err=True,
    )


@click.command("clearsessions")
@with_appcontext
def clearsessions() -> None:
    """Delete expired sessions and tokens and forgotten failed attempts."""
    counts = get_auth().purge()
    click.echo(", ".join(f"{count} {kind}" for kind, count in counts.items()) + " deleted.")


#: The commands, for a ``manage.py`` to register.
commands: list[click.Command] = [createsuperuser, changepassword, createtoken, clearsessions]

#: The same commands as one group (``flask auth createtoken ...`` style).
cli = click.Group(
    "auth", commands={c.name: c for c in commands if c.name}, help="Users and tokens."
)
