"""The example's own command, ``python manage.py demo``: the README's first command."""

import secrets
from pathlib import Path

import click

from potion.cli.fixtures import load_items, read_fixture
from potion.cli.manage import current_project, runserver
from potion.cli.migrate import migrate

from .models import Author, Member

DEMO_DATA = Path(__file__).resolve().parent / "fixtures" / "demo.json"

#: The demo users: username, what they are, and what they may do.
DEMO_USERS = [
    ("admin", "superuser", "everything"),
    ("lena", "librarian", "every member and loan"),
    ("ann", "member C-0001", "her own card and loans"),
]


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to serve on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="The port."
)
@click.option("--serve/--no-serve", default=True, help="Start the server at the end (the default).")
@click.pass_context
def demo(ctx: click.Context, host: str, port: int, serve: bool) -> None:
    """Migrate, load the demo library, create demo users (new passwords, printed) and serve."""
    project = current_project()
    click.echo(migrate(project, echo=click.echo))
    with project.app.app_context():
        if project.db.session.query(Author).count() == 0:
            counts = load_items(project, read_fixture(DEMO_DATA), source=DEMO_DATA.name)
            click.echo(f"Loaded the demo library: {sum(counts.values())} items.")
        passwords = _demo_users(project)
    base = f"http://{host}:{port}"
    click.echo("\nDemo users (new passwords every time demo runs):")
    for username, role, rights in DEMO_USERS:
        click.echo(f"  {username:<6} {passwords[username]:<18} {role}: {rights}")
    click.echo(
        f"\nLog in at {base}/login, or through the API:\n"
        f"  curl -c cookies.txt -H 'Content-Type: application/json' "
        f"""-d '{{"username": "ann", "password": "{passwords['ann']}"}}' {base}/api/auth/login\n"""
        f"  curl -b cookies.txt {base}/api/loan\n"
    )
    if serve:
        ctx.invoke(runserver, host=host, port=port, reload=False, debug=False)


def _demo_users(project) -> dict[str, str]:
    auth = project.auth
    db = project.db
    role = db.session.query(auth.Role).filter_by(name="librarian").one_or_none()
    if role is None:
        role = auth.Role(name="librarian", description="Sees and manages every member and loan")
        db.session.add(role)
    passwords = {}
    for username, _, _ in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        user = auth.find_user(username)
        if user is None:
            user = auth.create_user(
                username, password, f"{username}@library.example", commit=False
            )
        else:
            auth.set_password(user, password)
        passwords[username] = password
        if username == "admin":
            user.is_staff = user.is_superuser = True
        elif username == "lena":
            user.is_staff = True
            if role not in user.roles:
                user.roles.append(role)
    db.session.flush()
    card = db.session.query(Member).filter_by(card="C-0001").one_or_none()
    if card is not None:
        card.user = auth.find_user("ann")
    db.session.commit()
    return passwords


commands = [demo]
