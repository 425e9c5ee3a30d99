"""The tutorial's files, as printed in docs/tutorial.md, make a working project.

docs/tutorial.md shows whole files of the bookshop project (``catalog/models.py``,
``catalog/resources.py``, ``tests/test_catalog.py``), which tests/test_docs.py cannot
run in a namespace.  This test follows the tutorial instead: ``startproject
bookshop``, ``startapp catalog``, each file written as printed, the migrations made
and applied, the tutorial's own test run with pytest in the project, then step 8's
column added, migrated and migrated back.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .project_env import manage, run
from .test_docs import DOCS, python_blocks

TUTORIAL = DOCS / "tutorial.md"


def _file(first_line: str) -> str:
    """The tutorial's block that starts with ``first_line`` (a ``# path`` comment)."""
    found = [b.code for b in python_blocks(TUTORIAL.read_text()) if b.code.startswith(first_line)]
    assert len(found) == 1, f"docs/tutorial.md shows no single block starting {first_line!r}"
    return found[0]


def test_the_tutorial_files_make_a_working_project(tmp_path):
    run([sys.executable, "-m", "potion.cli", "startproject", "bookshop"], tmp_path)
    project = tmp_path / "bookshop"
    manage(project, "startapp", "catalog")
    (project / "catalog" / "models.py").write_text(_file("# catalog/models.py\n"))
    (project / "catalog" / "resources.py").write_text(_file("# catalog/resources.py\n"))
    (project / "tests").mkdir()
    (project / "tests" / "test_catalog.py").write_text(_file("# tests/test_catalog.py\n"))

    manage(project, "makemigrations", "-m", "authors and books")
    manage(project, "migrate")
    routes = manage(project, "routes").stdout
    assert "book_readSummary" in routes and "author_books" in routes, routes

    tested = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_catalog.py"],
        project,
        check=False,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "1 passed" in tested.stdout

    # step 8: the column, as printed, added to Book; migrated, shown, migrated back
    line = next(b.code for b in python_blocks(TUTORIAL.read_text()) if "stock = " in b.code)
    line = "    " + line.strip() + "\n"  # a line of the class body, printed indented
    models = project / "catalog" / "models.py"
    text = models.read_text()
    price = "    price = db.Column(db.Numeric(8, 2), nullable=False)\n"
    assert price in text
    models.write_text(text.replace(price, price + line))
    manage(project, "makemigrations", "-m", "book stock")
    manage(project, "migrate")
    shown = manage(project, "showmigrations").stdout
    assert "book stock" in shown and "authors and books" in shown, shown
    manage(project, "migrate", "-1")


@pytest.mark.parametrize("first_line", ["# catalog/models.py\n", "# catalog/resources.py\n"])
def test_the_files_are_whole_modules(first_line):
    compile(_file(first_line), str(Path(first_line[2:].strip())), "exec")
