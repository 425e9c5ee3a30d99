"""A potion-client 2.5 script runs against a Potion server with only its imports changed."""

from __future__ import annotations

import difflib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("potion_client_script.py")


def moved(text: str) -> str:
    """The script as a user moves it: ``potion_client`` → ``potion.client`` in its imports."""
    return re.sub(r"^(from|import) potion_client\b", r"\1 potion.client", text, flags=re.M)


def test_only_the_imports_change():
    original = SCRIPT.read_text()
    changed = [
        line
        for line in difflib.unified_diff(
            original.splitlines(), moved(original).splitlines(), lineterm="", n=0
        )
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed and all(re.match(r"^[+-]from potion[._]client", line) for line in changed), (
        changed
    )


def test_a_potion_client_script_runs_unchanged(library, tmp_path):
    script = tmp_path / "script.py"
    script.write_text(moved(SCRIPT.read_text()))
    result = subprocess.run(
        [sys.executable, str(script), library.url],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Charles wrote On the Origin of Species",
        "Zoonomia is not in the library",
        "rejected: {'minimum': 1400}",
        "ok",
    ]
    assert library.count("Book") == 6
    # the token of potion-client's auth travelled with every request
    assert {hit.headers.get("Authorization") for hit in library.wire.requests} == {
        "Bearer 79054025255fb1a26e4bc422aef54eb4"
    }
