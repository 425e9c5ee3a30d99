"""Typed stubs: written from a served API, they type-check a script with mypy (and
catch its type errors), and the script runs against the same API."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from potion.client.stubs import app_stubs, client_stubs, render_stubs

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
from __future__ import annotations

import datetime
import sys
from typing import TYPE_CHECKING, Any, assert_type

from library_api import AsyncClient, Client

if TYPE_CHECKING:
    from library_api import Author, Book

client = Client(sys.argv[1])
book = client.Book.fetch(1)
assert_type(book, "Book")
title: str = book.title
book.rating = 3
book.save()
assert_type(book.update_rating(4), int)
assert_type(book.read_shout(), str)
assert_type(book.author, "Author")
assert_type(client.Book.first(where={"title": title}), "Book")
names = [b.author.last_name for b in client.Book.instances(sort={"title": False})]
store = client.BookStore(name="Corner", favourites=[book])
store.save()
assert_type(store.add_books(book), "Book")
assert_type([b.title for b in store.books(per_page=5)], list[str])
assert_type(client.Status.create_echo(value=2), "dict[str, Any]")
new = client.Book(title="Typed", author=client.Author(1), added_at=datetime.datetime.now())
print(new.save().title.upper(), names, len(client.Book.instances()))


async def asynchronous(url: str) -> str:
    async with AsyncClient(url) as aclient:
        abook = await aclient.Book.fetch(1)
        return await abook.read_shout()
"""

BAD = """
from library_api import AsyncClient, Client

client = Client("http://localhost/api")
book = client.Book.fetch(1)
book.title = 5
book.read_shout() + 1
client.Author.fetch(1).full_name = "Someone"
client.Book(title=3)
book.update_rating("five")
client.Status.create_echo(note="no value")


async def asynchronous(aclient: AsyncClient) -> None:
    abook = await aclient.Book.fetch(1)
    abook.read_shout().upper()
"""

EXPECTED_ERRORS = {
    6: "Incompatible types in assignment",
    7: "Unsupported operand types",
    8: "read-only",
    9: 'Argument "title" to "Book" has incompatible type "int"',
    10: 'Argument 1 to "update_rating" of "Book" has incompatible type "str"',
    11: 'Missing named argument "value"',
    16: '"Coroutine[Any, Any, str]" has no attribute "upper"',
}


@pytest.fixture
def stub_dir(library, tmp_path):
    (tmp_path / "library_api.pyi").write_text(client_stubs(library.url))
    (tmp_path / "library_api.py").write_text(
        "from potion.client import AsyncClient, Client  # noqa: F401\n"
    )
    (tmp_path / "good.py").write_text(
        GOOD.replace("dict[str, Any] if False else ", "").replace(
            "from typing import TYPE_CHECKING, Any, assert_type",
            "from typing import TYPE_CHECKING, Any, assert_type",
        )
    )
    (tmp_path / "bad.py").write_text(BAD)
    (tmp_path / "mypy.ini").write_text(
        textwrap.dedent(
            f"""\
            [mypy]
            mypy_path = {ROOT}
            python_version = 3.11
            ignore_missing_imports = True
            # potion's server side is not the subject: only potion.client and the stubs are
            [mypy-potion]
            follow_imports = skip
            """
        )
    )
    return tmp_path


def run_mypy(directory, *files):
    from mypy import api

    stdout, stderr, status = api.run(
        [
            "--config-file",
            str(directory / "mypy.ini"),
            "--cache-dir",
            str(directory / ".cache"),
            "--no-error-summary",
            *(str(directory / f) for f in files),
        ]
    )
    lines = stdout.replace(f"{directory}/", "").splitlines()
    return [line for line in lines if ": note:" not in line], status


def test_the_stubs_type_check_a_script_and_catch_its_errors(stub_dir):
    lines, status = run_mypy(stub_dir, "good.py", "bad.py", "library_api.pyi")
    stdout = "\n".join(lines)
    assert not [line for line in lines if not line.startswith("bad.py:")], stdout
    found = {}
    for line in lines:
        number = int(line.split(":")[1])
        found.setdefault(number, []).append(line)
    assert set(found) == set(EXPECTED_ERRORS), stdout
    for number, text in EXPECTED_ERRORS.items():
        assert any(text in line for line in found[number]), (number, found[number])
    assert status == 1


def test_the_typed_script_runs_against_the_api(stub_dir, library):
    result = subprocess.run(
        [sys.executable, str(stub_dir / "good.py"), library.url],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": f"{stub_dir}:{ROOT}", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("TYPED ['Darwin'] 2")


def test_the_command_line(library, tmp_path):
    command = [sys.executable, "-m", "potion.client", "stubs", library.url]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == client_stubs(library.url)
    out = tmp_path / "api.pyi"
    result = subprocess.run(
        [*command, "-o", str(out)], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0 and result.stdout == ""
    assert out.read_text() == client_stubs(library.url)


def test_the_command_line_answers_a_bad_url_with_one_line(library):
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    for url in (library.url + "/nowhere", "http://127.0.0.1:9/api", "not-a-url"):
        result = subprocess.run(
            [sys.executable, "-m", "potion.client", "stubs", url],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert result.returncode == 1
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith(f"error: cannot read the schema of {url}")


def test_stubs_of_an_app_in_process(library):
    served = client_stubs(library.url).replace(library.url, "/api")
    assert app_stubs(library.app, "/api") == served


def test_stub_text():
    schema = {
        "links": [
            {"rel": "self", "href": "/thing/{id}", "method": "GET", "targetSchema": {"$ref": "#"}},
            {
                "rel": "readIt",
                "href": "/thing/{id}/it",
                "method": "GET",
                "targetSchema": {"type": "number"},
            },
        ],
        "properties": {
            "$uri": {"type": "string", "readOnly": True},
            "when": {"type": "object", "properties": {"$date": {"type": "integer"}}},
            "tags": {"type": "array", "items": {"type": "string"}},
            "keys": {"type": "string"},  # taken by the mapping: reachable as item["keys"] only
        },
    }
    text = render_stubs({"thing": schema})
    assert "class Thing(_Resource):" in text and "class AsyncThing(_AsyncResource):" in text
    assert "    when: datetime.datetime\n" in text
    assert "    tags: list[str]\n" in text
    assert "keys:" not in text
    assert "    def read_it(self) -> float: ..." in text
    assert "    async def read_it(self) -> float: ..." in text
    assert "    Thing: type[AsyncThing]" in text
