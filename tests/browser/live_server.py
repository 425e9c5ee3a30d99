"""The example project served on a loopback port, in a process of its own.

``python -m tests.browser.live_server DATABASE`` migrates a new SQLite file,
loads the demo library plus enough books to fill several pages, creates the
demo users with known passwords, binds werkzeug's server to 127.0.0.1 on a port
the system chooses, and then writes one JSON line to stdout::

    {"port": 40123, "users": {"admin": "...", "lena": "...", "ann": "..."}}

The line is written after the socket listens, so the reader knows the server is
ready without polling.  The server runs until the process is terminated.

It is a process, not a thread of the test process, because the example project
can be built only once per process (its resources belong to one Api, see
``test_a_second_project_of_the_same_settings_is_refused``), and the other tests
of a pytest-xdist worker may build it too.
"""

from __future__ import annotations

import json
import sys

from werkzeug.serving import make_server

#: Argon2 as cheap as it goes: logins in the browser tests are many.
FAST_HASHING = {
    "POTION_AUTH_ARGON2_TIME_COST": 1,
    "POTION_AUTH_ARGON2_MEMORY_COST": 8,
    "POTION_AUTH_ARGON2_PARALLELISM": 1,
}

#: Books added to the demo's six so that the admin's list has several pages.
EXTRA_BOOKS = 54

#: The known passwords of the demo users (the demo command draws new ones).
PASSWORDS = {
    "admin": "admin browser phrase",
    "lena": "lena browser phrase",
    "ann": "ann browser phrase",
}


def extra_books() -> list[dict]:
    """``Shelf filler 01`` ... by Italo Calvino, with distinct ISBNs and years."""
    return [
        {
            "resource": "book",
            "fields": {
                "isbn": f"978-1-00000-{n:03d}-0",
                "title": f"Shelf filler {n:02d}",
                "author": "Italo Calvino",
                "year": 1900 + n,
                "copies": 1 + n % 3,
            },
        }
        for n in range(1, EXTRA_BOOKS + 1)
    ]


def build(database: str):
    """The example project on ``database``, migrated and seeded."""
    from example.commands import DEMO_DATA, _demo_users
    from potion.cli.fixtures import load_items, read_fixture
    from potion.cli.migrate import migrate
    from potion.project import Project

    project = Project(
        "example.settings",
        overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", **FAST_HASHING},
    )
    migrate(project, echo=lambda *a, **k: None)
    load_items(project, read_fixture(DEMO_DATA) + extra_books(), source="browser seed")
    with project.app.app_context():
        _demo_users(project)
        auth = project.auth
        for username, password in PASSWORDS.items():
            auth.set_password(auth.find_user(username), password, validate=False)
        project.db.session.commit()
    return project


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        sys.exit("usage: python -m tests.browser.live_server DATABASE")
    project = build(argv[0])
    server = make_server("127.0.0.1", 0, project.app, threaded=True)
    print(json.dumps({"port": server.server_port, "users": PASSWORDS}), flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main(sys.argv[1:])
