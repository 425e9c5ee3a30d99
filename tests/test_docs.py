"""The examples of the documentation run.

Every fenced ``python`` block of README.md and of every page under docs/ runs here
(``python test`` is read the same way).  The blocks of one page run in order, in one
fresh namespace and in an empty working directory, so a page may build its example
step by step.  A block that cannot run in the suite (a file of a project laid out on
disk, a program that needs a server, an outline with ``...``) says why on the line
before its fence::

    <!-- not-run: a file of the project the tutorial builds -->
    ```python
    from .models import Book
    ```

An unmarked block that fails fails the suite, naming the page and the line; a marker
without a reason, or one that stands before no ``python`` block, fails it too.  New
pages take part without being listed.
"""

from __future__ import annotations

import gc
import re
import textwrap
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"

#: pages that must show at least one example that runs
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
    r"^(?P<indent>[ \t]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S
)
# a marker is a line of its own (in running text it is only mentioned)
_MARKER = re.compile(r"^[ \t]*<!--[ \t]*not-run:(?P<reason>[^\n]*?)-->[ \t]*$", re.M)
_MARKER_BEFORE = re.compile(r"^[ \t]*<!--[ \t]*not-run:(?P<reason>[^\n]*?)-->\s*\Z", re.M)


@dataclass
class Block:
    """One fenced ``python`` block of a page."""

    line: int  # the line of its first line of code, counted from 1
    code: str  # dedented
    reason: str | None  # why it does not run, from its ``<!-- not-run: ... -->`` marker
    marker: int | None = None  # where that marker starts in the page

    @property
    def runs(self) -> bool:
        return self.reason is None


def python_blocks(text: str) -> list[Block]:
    """Every ``python`` block of a page, in order, with its marker's reason if any."""
    blocks = []
    previous_end = 0
    for match in _FENCE.finditer(text):
        info = match.group("info").split()
        if info and info[0] == "python":
            before = _MARKER_BEFORE.search(text, previous_end, match.start())
            reason = before.group("reason").strip() if before else None
            line = text.count("\n", 0, match.start("body")) + 1
            code = textwrap.dedent(match.group("body"))
            blocks.append(Block(line, code, reason, before.start() if before else None))
        previous_end = match.end()
    return blocks


def runnable_blocks(text: str) -> list[tuple[int, str]]:
    """``(line number, code)`` of every block of a page that runs."""
    return [(block.line, block.code) for block in python_blocks(text) if block.runs]


def files_shown(text: str) -> dict[str, str]:
    """The blocks of a page that are whole files, by the path their first line names.

    A page that builds a project or a test suite shows its files as blocks starting
    with a ``# path/of/file.py`` comment; tests write them out and run them.
    """
    files = {}
    for block in python_blocks(text):
        first, _, _ = block.code.partition("\n")
        if re.fullmatch(r"# [\w./-]+\.py", first):
            files[first[2:]] = block.code
    return files


def marker_problems(text: str) -> list[str]:
    """Markers without a reason, or standing before no ``python`` block."""
    problems = []
    used = {block.marker for block in python_blocks(text)}
    for match in _MARKER.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if not match.group("reason").strip():
            problems.append(f"line {line}: a not-run marker without a reason")
        elif match.start() not in used:
            problems.append(f"line {line}: a not-run marker before no ```python block")
    return problems


def pages() -> list[Path]:
    """README.md and every page of docs/."""
    return [README, *sorted(DOCS.rglob("*.md"))]


def _id(page: Path) -> str:
    return str(page.relative_to(ROOT)) if page.is_relative_to(ROOT) else page.name


def pages_with_python() -> list[Path]:
    return [page for page in pages() if python_blocks(page.read_text())]


def run_page(page: Path) -> dict[str, object]:
    """Run the runnable blocks of ``page`` in order in one namespace; that namespace."""
    namespace: dict[str, object] = {
        "__name__": f"docs_{page.stem.replace('-', '_')}",
        "__file__": str(Path.cwd() / f"{page.stem}.py"),  # a module in the working directory
    }
    for block in python_blocks(page.read_text()):
        if not block.runs:
            continue
        # pad with blank lines so tracebacks point at the line in the .md file
        source = "\n" * (block.line - 1) + block.code
        try:
            exec(compile(source, str(page), "exec"), namespace)  # noqa: S102
        except Exception:
            pytest.fail(
                f"{_id(page)}:{block.line}: this block fails; fix it (or the page), or mark "
                "it <!-- not-run: reason --> if it cannot run in the suite\n"
                + traceback.format_exc(),
                pytrace=False,
            )
    return namespace


# -- the runner's own rules ------------------------------------------------------------


def test_fence_parser():
    text = (
        "intro\n```python test\nx = 1\n```\n\n"
        "<!-- not-run: an outline -->\n```python\nnot run\n```\n"
        "- a list item:\n\n  ```python\n  y = 2\n  ```\n"
        "```bash\nls\n```\n"
    )
    blocks = python_blocks(text)
    assert [(b.line, b.code, b.reason) for b in blocks] == [
        (3, "x = 1\n", None),
        (8, "not run\n", "an outline"),
        (13, "y = 2\n", None),
    ]
    assert runnable_blocks(text) == [(3, "x = 1\n"), (13, "y = 2\n")]


def test_a_marker_belongs_to_the_next_block_only():
    text = "<!-- not-run: x -->\n```bash\nls\n```\n```python\nz = 3\n```\n"
    assert [b.reason for b in python_blocks(text)] == [None]
    assert marker_problems(text) == ["line 1: a not-run marker before no ```python block"]
    mentioned = "Mark it `<!-- not-run: why -->`:\n```python\nz = 3\n```\n"
    assert [b.reason for b in python_blocks(mentioned)] == [None]
    assert marker_problems(mentioned) == []
    assert marker_problems("<!-- not-run: -->\n```python\npass\n```\n") == [
        "line 1: a not-run marker without a reason"
    ]


def test_a_failing_block_names_its_page_and_line(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# t\n\n```python\nx = 1\n```\n\n```python\nassert x == 2\n```\n")
    with pytest.raises(pytest.fail.Exception, match=r"^page\.md:8: this block fails"):
        run_page(page)
    page.write_text(
        "# t\n\n```python\nx = 1\n```\n\n<!-- not-run: wrong -->\n```python\nassert x == 2\n```\n"
    )
    assert run_page(page)["x"] == 1


# -- the pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLE_PAGES)
def test_page_has_a_runnable_example(name):
    assert runnable_blocks((DOCS / name).read_text()), f"docs/{name} has no block that runs"


@pytest.mark.parametrize("page", pages(), ids=_id)
def test_markers_give_a_reason(page):
    assert marker_problems(page.read_text()) == []


@pytest.mark.parametrize("page", pages_with_python(), ids=_id)
def test_examples_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # files a page writes (SQLite databases) go away with it
    try:
        run_page(page)
    finally:
        gc.collect()  # drop the page's signal receivers (blinker holds them weakly)


def test_readme_model_snippet_runs_as_printed(tmp_path, monkeypatch):
    """README's first model snippet, exactly as printed, serves what the sentence after it says."""
    monkeypatch.chdir(tmp_path)
    first = python_blocks(README.read_text())[0]
    assert first.runs, "README's first snippet must run as printed"
    namespace: dict[str, object] = {"__name__": "readme"}
    exec(compile("\n" * (first.line - 1) + first.code, str(README), "exec"), namespace)  # noqa: S102
    client = namespace["app"].test_client()  # type: ignore[attr-defined]

    created = client.post("/user", json={"name": "Ann"})
    assert created.status_code == 200, created.get_json()
    assert created.get_json() == {"$uri": "/user/1", "name": "Ann"}
    client.post("/user", json={"name": "Bob"})
    client.post("/user", json={"name": "Alice"})
    assert client.get("/user/1").get_json() == {"$uri": "/user/1", "name": "Ann"}
    found = client.get('/user?where={"name": {"$startswith": "A"}}&sort={"name": false}')
    assert [user["name"] for user in found.get_json()] == ["Alice", "Ann"]
    assert client.get("/user/1/greeting").get_json() == "Hello, Ann!"
    assert client.get("/user/schema").status_code == 200


# -- links between the pages ----------------------------------------------------------

_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


def _anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = _FENCE.sub("", page.read_text())
    return {_anchor(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text, re.M)}


def broken_links(page: Path) -> list[str]:
    """Links of ``page`` to a file that does not exist, or to a heading it lacks."""
    broken = []
    for match in _LINK.finditer(_FENCE.sub("", page.read_text())):
        target = match.group("target")
        if re.match(r"^[a-z]+:", target) or target.startswith("<"):
            continue  # another site, or an e-mail
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(f"{target}: no such heading")
    return broken


def test_the_link_checker(tmp_path):
    assert _anchor("9. Test it") == "9-test-it"
    assert _anchor("What `where` and `sort` arrive as") == "what-where-and-sort-arrive-as"
    (tmp_path / "a.md").write_text("# A page\n\n## Its part\n")
    page = tmp_path / "b.md"
    page.write_text(
        "[ok](a.md) [ok](a.md#its-part) [ok](#b) [web](https://example.org/x.md)\n"
        "[gone](c.md) [no part](a.md#nothing)\n\n## B\n"
    )
    assert broken_links(page) == ["c.md: no such file", "a.md#nothing: no such heading"]


@pytest.mark.parametrize("page", pages(), ids=_id)
def test_links_to_pages_resolve(page):
    assert broken_links(page) == []


def test_every_page_is_linked_from_the_readme():
    readme = README.read_text()
    unlinked = [_id(page) for page in DOCS.rglob("*.md") if f"({_id(page)})" not in readme]
    assert unlinked == []
