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

import pytest

from .project_env import manage, run
from .test_docs import DOCS, files_shown, python_blocks

TUTORIAL = DOCS / "tutorial.md"


def _file(path: str) -> str:
    """The tutorial's block that is the file ``path`` (its first line: ``# path``)."""
    files = files_shown(TUTORIAL.read_text())
    assert path in files, f"docs/tutorial.md no longer shows {path}"
    return files[path]


def test_the_tutorial_files_make_a_working_project(tmp_path):
    run([sys.executable, "-m", "potion.cli", "startproject", "bookshop"], tmp_path)
    project = tmp_path / "bookshop"
    manage(project, "startapp", "catalog")
    (project / "catalog" / "models.py").write_text(_file("catalog/models.py"))
    (project / "catalog" / "resources.py").write_text(_file("catalog/resources.py"))
    (project / "tests").mkdir()
    (project / "tests" / "test_catalog.py").write_text(_file("tests/test_catalog.py"))

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


@pytest.mark.parametrize("path", ["catalog/models.py", "catalog/resources.py"])
def test_the_files_are_whole_modules(path):
    compile(_file(path), path, "exec")
