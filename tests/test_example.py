"""The example project (a lending library in example/, run by the root manage.py).

It is built once per test process, inside it, on a SQLite file of its own; its
``demo`` command (the README's first command, without the server) migrates, loads
the demo data and creates the demo users.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from potion.cli.manage import make_cli
from potion.project import ImproperlyConfigured, Project

from .project_env import REPO, environment

FAST_HASHING = {
    "POTION_AUTH_ARGON2_TIME_COST": 1,
    "POTION_AUTH_ARGON2_MEMORY_COST": 8,
    "POTION_AUTH_ARGON2_PARALLELISM": 1,
}


@pytest.fixture(scope="session")
def library(tmp_path_factory):
    """The example project, migrated and loaded by ``manage.py demo --no-serve``."""
    path = tmp_path_factory.mktemp("library") / "library.sqlite3"
    project = Project(
        "example.settings",
        overrides={"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True, **FAST_HASHING},
    )
    result = CliRunner().invoke(make_cli(project), ["demo", "--no-serve"], prog_name="manage.py")
    assert result.exit_code == 0, result.output
    passwords = demo_passwords(result.output)
    assert sorted(passwords) == ["admin", "ann", "lena"]
    project.passwords = passwords
    project.demo_output = result.output
    return project


def demo_passwords(output):
    return dict(re.findall(r"^  (admin|lena|ann) +(\S+) ", output, re.M))


def manage(project, *args):
    return CliRunner().invoke(make_cli(project), list(args), prog_name="manage.py")


def login(project, username):
    client = project.app.test_client()
    response = client.post(
        "/api/auth/login", json={"username": username, "password": project.passwords[username]}
    )
    assert response.status_code == 200, response.json
    client.environ_base["HTTP_X_CSRFTOKEN"] = response.json["csrf_token"]
    return client


def test_the_demo_command(library):
    output = library.demo_output
    assert "Applied 2 migrations" in output
    assert "Loaded the demo library: 21 items." in output
    assert "admin " in output and "superuser: everything" in output
    assert "member C-0001: her own card and loans" in output
    # a second run keeps the data and gives new passwords
    again = manage(library, "demo", "--no-serve")
    assert again.exit_code == 0, again.output
    assert "Loaded the demo library" not in again.output
    assert "Nothing to do: the database is at" in again.output
    library.passwords = demo_passwords(again.output)
    client = library.app.test_client()
    assert client.get("/api/book").json[0]["title"] == "The Dispossessed"


def test_anyone_reads_the_catalogue_but_not_the_loans(library):
    client = library.app.test_client()
    books = client.get("/api/book?per_page=50").json
    assert len(books) == 6
    assert (
        client.get("/api/book/978-0-06-051275-0").status_code == 404
    )  # natural keys are for references
    assert client.get("/api/book?where=" + json.dumps({"author": "Octavia E. Butler"})).json[1][
        "title"
    ] == ("Parable of the Sower")
    assert client.get("/api/book/3/available").json == 2
    assert client.get("/api/loan").json == []
    assert client.get("/api/loan/1").status_code == 404
    assert client.get("/api/member").json == []
    refused = client.post("/api/author", json={"name": "Anonymous"})
    assert refused.status_code in (401, 403)


def test_a_member_sees_and_returns_only_her_own_loans(library):
    ann = login(library, "ann")
    loans = ann.get("/api/loan").json
    assert [loan["$uri"] for loan in loans] == ["/api/loan/1", "/api/loan/2"]
    assert {loan["member"]["$ref"] for loan in loans} == {"/api/member/1"}
    assert [m["card"] for m in ann.get("/api/member").json] == ["C-0001"]
    # Bob's loan does not exist for her
    assert ann.get("/api/loan/3").status_code == 404
    assert ann.post("/api/loan/3/return").status_code == 404
    # she returns her own
    returned = ann.post("/api/loan/2/return")
    assert returned.status_code == 200, returned.json
    assert returned.json["returned_on"] is not None
    again = ann.post("/api/loan/2/return")
    assert again.status_code == 409
    assert again.json["message"].startswith("This loan was returned on ")
    # but only librarians change loans, or lend books
    later = {"due_on": returned.json["due_on"]}
    assert ann.patch("/api/loan/1", json=later).status_code == 403
    assert (
        ann.post("/api/loan", json={"book": "978-0-8070-8369-7", "member": "C-0001"}).status_code
        == 403
    )
    assert ann.delete("/api/loan/1").status_code == 403


def test_a_librarian_sees_and_manages_every_loan(library):
    lena = login(library, "lena")
    assert len(lena.get("/api/loan").json) >= 4
    assert len(lena.get("/api/member").json) == 3
    lent = lena.post("/api/loan", json={"book": "978-0-8070-8369-7", "member": "C-0002"})
    assert lent.status_code == 200, lent.json
    assert lent.json["member"] == {"$ref": "/api/member/2"}
    assert lent.json["due_on"] is not None
    # A Wizard of Earthsea has one copy, and Bob has it
    none_left = lena.post("/api/loan", json={"book": "978-0-547-72202-3", "member": "C-0003"})
    assert none_left.status_code == 409
    assert none_left.json["message"] == "No copy of 'A Wizard of Earthsea' is on the shelf"
    assert lena.post("/api/loan/3/return").status_code == 200
    assert (
        lena.post("/api/loan", json={"book": "978-0-547-72202-3", "member": "C-0003"}).status_code
        == 200
    )
    assert lena.post("/api/author", json={"name": "N. K. Jemisin", "born": 1972}).status_code == 200


def test_dumpdata_and_loaddata_round_trip(library, tmp_path):
    dumped = manage(library, "dumpdata", "-o", str(tmp_path / "all.json"))
    assert dumped.exit_code == 0, dumped.output
    entries = json.loads((tmp_path / "all.json").read_text())
    assert [e["resource"] for e in entries][:1] == ["author"]
    assert {e["resource"] for e in entries} == {"author", "book", "genre", "member", "loan"}
    loaded = manage(library, "loaddata", str(tmp_path / "all.json"))
    assert loaded.exit_code == 0, loaded.output
    assert loaded.output.startswith(f"Loaded {len(entries)} items")
    again = manage(library, "dumpdata")
    assert json.loads(again.output) == entries
    only = json.loads(manage(library, "dumpdata", "book", "author").output)
    # Other tests of this module add rows to the shared library, on whichever worker runs them.
    counts = {name: sum(e["resource"] == name for e in entries) for name in ("author", "book")}
    assert counts["author"] >= 4 and counts["book"] >= 6
    assert [e["resource"] for e in only] == ["author"] * counts["author"] + ["book"] * counts[
        "book"
    ]


def test_check_and_routes(library):
    checked = manage(library, "check")
    assert checked.exit_code == 0, checked.output
    routes = manage(library, "routes")
    assert "/api/loan/<int:id>/return" in routes.output
    assert re.search(r"/api/loan/<int:id>/return +POST +loan_return", routes.output)


def test_a_second_project_of_the_same_settings_is_refused(library):
    other = Project("example.settings", overrides={"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with pytest.raises(
        ImproperlyConfigured, match="is already served by another Api in this process"
    ):
        other.create_app()


def test_the_repository_manage_py(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "demo", "--help"],
        cwd=REPO,
        env=environment(DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}"),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: manage.py demo [OPTIONS]")
    assert "--serve / --no-serve" in result.stdout
    assert not (tmp_path / "unused.sqlite3").exists()


def test_clientstubs(library, tmp_path):
    result = manage(library, "clientstubs", "-o", str(tmp_path / "library.pyi"))
    assert result.exit_code == 0, result.output
    stubs = (tmp_path / "library.pyi").read_text()
    assert re.search(r"^class Loan\b", stubs, re.M), stubs[:500]


def test_the_admin_of_the_example_project(library):
    lena = library.app.test_client()
    response = lena.post(
        "/api/auth/login", json={"username": "lena", "password": library.passwords["lena"]}
    )
    assert response.status_code == 200
    page = lena.get("/admin/").get_data(as_text=True)
    cards = re.findall(r'data-resource="(\w+)"', page)
    assert {"author", "book", "member", "loan"} <= set(cards)
    assert "The writers of the library&#39;s books." in page  # the resource's docstring
    books = lena.get("/admin/book/").get_data(as_text=True)
    assert "The Dispossessed" in books and "6 items" in books
    # a member who is not staff is sent to the login page
    ann = library.app.test_client()
    ann.post("/api/auth/login", json={"username": "ann", "password": library.passwords["ann"]})
    response = ann.get("/admin/")
    assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_genres_are_added_to_and_removed_from_a_book_in_the_admin(library):
    lena = login(library, "lena")
    token = lena.environ_base["HTTP_X_CSRFTOKEN"]

    def genres():
        return [g["$ref"] for g in lena.get("/api/book/3/genres").json]

    fantasy = lena.get("/api/genre", query_string={"where": '{"name": "Fantasy"}'}).json[0]
    assert len(genres()) == 2  # Kindred: science fiction, historical fiction
    page = lena.get("/admin/book/3").get_data(as_text=True)
    section = re.search(
        r'<section class="relation" data-relation="genres".*?</section>', page, re.S
    )
    assert section is not None and page.count(">Remove</button>") == 2
    assert '<label for="add-genres">Add Genre</label>' in section.group(0)
    added = lena.post(
        "/admin/book/3/genres/add", data={"target": fantasy["$uri"], "csrf_token": token}
    )
    assert added.status_code == 302
    assert fantasy["$uri"] in genres() and len(genres()) == 3
    removed = lena.post(
        "/admin/book/3/genres/remove", data={"target": fantasy["$uri"], "csrf_token": token}
    )
    assert removed.status_code == 302
    assert fantasy["$uri"] not in genres() and len(genres()) == 2
    # the genre stays, with its own books
    assert lena.get(fantasy["$uri"]).json["name"] == "Fantasy"
    # anyone reads genres; only librarians change them
    anyone = library.app.test_client()
    assert anyone.get("/api/book/3/genres").status_code == 200
    assert anyone.post("/api/book/3/genres", json={"$ref": fantasy["$uri"]}).status_code in (
        401,
        403,
    )
    assert len(genres()) == 2
