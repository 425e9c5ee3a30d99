"""Fixtures of the browser tests: headless Chromium driven by Playwright, a live server.

- ``browser`` (one per test module): Debian's ``chromium`` launched through
  Playwright's ``executable_path`` (Playwright's own browser downloads are never
  used).  The tests skip, saying why, when the ``playwright`` package or the
  ``chromium`` program is missing; under CI (``CI=true``) they fail instead, so a
  broken install does not pass as green.  ``POTION_CHROMIUM`` names another
  executable.
- ``server`` (one per test module): the example project (the lending library) in
  a process of its own on a SQLite file in the module's temporary folder, served on
  127.0.0.1 at a port the system picks (see :mod:`tests.browser.live_server`),
  seeded with the demo data, 60 books and the demo users.
- ``page``: a fresh browser context (no cookies) at 1280x800 per test.

Every fixture belongs to one test process, so ``pytest -n 2`` runs modules side by
side; a module whose tests are spread over both workers gets a server and a
browser in each.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from .helpers import DESKTOP, REPO, TIMEOUT, LiveServer

LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str | None:
    """The Chromium to drive: ``$POTION_CHROMIUM``, else Debian's ``chromium``."""
    configured = os.environ.get("POTION_CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def browser_executable() -> str:
    """Chromium's path; skips (fails under CI) without it or without playwright."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("the browser tests need the playwright package (pip install -e '.[test]')")
    executable = chromium_path()
    if executable is None:
        _missing("the browser tests need Debian's chromium (apt-get install chromium)")
    return executable


def _missing(reason: str) -> NoReturn:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI runs the browser tests: .ci/run installs both)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def _server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    """The live server's process, started (the browser starts while it gets ready)."""
    browser_executable()  # skip before starting anything
    database = tmp_path_factory.mktemp("browser") / "library.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in ("POTION_SETTINGS", "DATABASE_URL")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    with open(database.with_suffix(".log"), "w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.browser.live_server", str(database)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            yield process, database
        finally:
            stop(process)
            if process.stdout is not None:
                process.stdout.close()


@pytest.fixture(scope="module")
def server(_server_process: tuple[Any, Path]) -> LiveServer:
    """The example project on a loopback port, freshly seeded for this module."""
    process, database = _server_process
    line = process.stdout.readline()  # written once the socket listens
    if not line:
        process.wait(15)
        log = database.with_suffix(".log").read_text()
        pytest.fail(f"the live server did not start (exit {process.returncode}):\n{log}")
    ready = json.loads(line)
    return LiveServer(ready["port"], database, ready["users"])


@pytest.fixture(scope="module")
def browser(_server_process: tuple[Any, Path]) -> Iterator[Any]:
    """A headless Chromium, one per test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=browser_executable(), headless=True, args=LAUNCH_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def stop(process: subprocess.Popen[str]) -> None:
    """End the server process this module started (by its pid, through Popen)."""
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(15)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a fresh context (no cookies) on a desktop-sized viewport."""
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
