"""The examples of the documentation run.

Convention: a fenced block whose info string is ``python test`` is runnable::

    ```python test
    assert 1 + 1 == 2
    ```

The runnable blocks of one page run in order, in one fresh namespace (a page may
build its example step by step); other ``python`` blocks are only shown. Every
page of docs/ takes part; the pages listed in ``EXAMPLE_PAGES`` must have at
least one runnable block.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"

EXAMPLE_PAGES = [
    "quickstart.md",
    "resources.md",
    "fields.md",
    "routes.md",
    "filtering.md",
    "schema.md",
    "signals.md",
    "errors.md",
    "permissions.md",
    "marshmallow.md",
    "client.md",
    "authentication.md",
]

_FENCE = re.compile(
    r"^(?P<indent> *)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)


def runnable_blocks(text: str) -> list[tuple[int, str]]:
    """``(line number, code)`` of every ``python test`` block of a page."""
    blocks = []
    for match in _FENCE.finditer(text):
        if match.group("info").split() != ["python", "test"]:
            continue
        line = text.count("\n", 0, match.start("body")) + 1
        blocks.append((line, match.group("body")))
    return blocks


def pages_with_examples() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if runnable_blocks(p.read_text()))


def test_fence_parser():
    text = (
        "intro\n```python test\nx = 1\n```\n\n```python\nnot run\n```\n```python test\ny = 2\n```\n"
    )
    assert runnable_blocks(text) == [(3, "x = 1\n"), (10, "y = 2\n")]


@pytest.mark.parametrize("name", EXAMPLE_PAGES)
def test_page_has_a_runnable_example(name):
    assert runnable_blocks((DOCS / name).read_text()), f"docs/{name} has no ```python test block"


@pytest.mark.parametrize("page", pages_with_examples(), ids=lambda p: str(p.relative_to(DOCS)))
def test_examples_run(page):
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for line, code in runnable_blocks(page.read_text()):
        # pad with blank lines so tracebacks point at the line in the .md file
        source = "\n" * (line - 1) + code
        exec(compile(source, str(page), "exec"), namespace)  # noqa: S102
