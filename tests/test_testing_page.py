"""docs/testing.md's example test suite, written out as printed, passes under pytest.

The page shows whole files (``library.py``, ``conftest.py``, ``test_books.py``,
``test_notes.py``); these tests write them into an empty folder and run pytest
there, in a subprocess, so the fixtures, the app factory with its module-level Api
and the reset of the memory store are exercised as a reader would run them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .project_env import run
from .test_docs import DOCS, files_shown

PAGE = DOCS / "testing.md"


def _run_example(folder: Path, names: list[str]) -> str:
    files = files_shown(PAGE.read_text())
    for name in names:
        assert name in files, f"docs/testing.md no longer shows {name}"
        (folder / name).write_text(files[name])
    result = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        folder,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_page_shows_these_files():
    assert sorted(files_shown(PAGE.read_text())) == [
        "conftest.py",
        "library.py",
        "test_books.py",
        "test_notes.py",
    ]


def test_the_app_factory_example_passes(tmp_path):
    output = _run_example(tmp_path, ["library.py", "conftest.py", "test_books.py"])
    assert "3 passed" in output, output


def test_the_memory_reset_example_passes(tmp_path):
    output = _run_example(tmp_path, ["test_notes.py"])
    assert "2 passed" in output, output
