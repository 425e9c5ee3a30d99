"""What the browser tests share besides fixtures: the live server, logging in, tables,
screenshots (see ``conftest.py`` for the fixtures that use them)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DOCS_IMAGES = REPO / "docs" / "img" / "admin"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
#: How long one wait on the page may take (ms): generous for a loaded CI machine.
TIMEOUT = 15_000


class LiveServer:
    """The example project served by a child process (see :mod:`tests.browser.live_server`)."""

    def __init__(self, port: int, database: Path, users: dict):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.database = database
        self.passwords: dict[str, str] = users
        self._api: urllib.request.OpenerDirector | None = None

    def rows(self, sql: str, *params: Any) -> list[tuple]:
        """Rows straight from the database file (a fresh read-only connection)."""
        connection = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()

    def value(self, sql: str, *params: Any) -> Any:
        """The one value of a one-row, one-column query."""
        (row,) = self.rows(sql, *params)
        return row[0]

    def api(self, path: str) -> Any:
        """``GET /api{path}`` as the superuser, decoded."""
        if self._api is None:
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
            body = json.dumps({"username": "admin", "password": self.passwords["admin"]})
            request = urllib.request.Request(
                self.url + "/api/auth/login",
                data=body.encode(),
                headers={"Content-Type": "application/json"},
            )
            with opener.open(request, timeout=30) as response:
                assert response.status == 200
            self._api = opener
        with self._api.open(self.url + "/api" + path, timeout=30) as response:
            return json.loads(response.read())


def login(page: Any, server: LiveServer, username: str = "admin", next_path: str = "") -> None:
    """Log ``username`` in through contrib.auth's ``/login`` page.

    Without ``next_path`` the page sends a user to the admin's dashboard.
    """
    query = "?" + urlencode({"next": next_path}) if next_path else ""
    page.goto(f"{server.url}/login{query}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(server.passwords[username])
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def path_of(page: Any) -> str:
    """The path and query of the page's URL (without the server's origin)."""
    return re.sub(r"^https?://[^/]+", "", page.url)


def table(page: Any) -> list[dict[str, str]]:
    """The rows of the page's table as ``{column label in lower case: cell text}``.

    A sortable header's label is its link's text (without the sort mark).
    """
    return page.evaluate(
        """() => {
        const table = document.querySelector('main table');
        const heads = [...table.querySelectorAll('thead th')].map(
            th => (th.querySelector('a') ?? th).innerText.trim().toLowerCase());
        return [...table.querySelectorAll('tbody tr')].map(tr => {
            const row = {};
            [...tr.children].forEach((cell, i) => { row[heads[i] ?? i] = cell.innerText.trim(); });
            return row;
        });
    }"""
    )


def choose(select: Any, *patterns: str) -> str:
    """Select the first option of ``select`` whose label or value matches a pattern.

    The patterns are tried in order (case-insensitive regular expressions); returns
    the chosen value, or fails listing the options.
    """
    options = select.locator("option").evaluate_all(
        "options => options.map(o => ({value: o.value, label: o.label || o.textContent}))"
    )
    for pattern in patterns:
        for option in options:
            if re.search(pattern, option["label"].strip(), re.I) or re.search(
                pattern, option["value"], re.I
            ):
                select.select_option(value=option["value"])
                return option["value"]
    raise AssertionError(f"no option matches {patterns}: {options}")


def screenshot(page: Any, name: str, docs: bool = False, full_page: bool = False) -> Path:
    """Save the page as ``artifacts/NAME.png``.

    With ``docs`` and ``POTION_DOCS_SCREENSHOTS=1`` in the environment, the picture
    is also copied to ``docs/img/admin/`` (how docs/admin.md's pictures are made).
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    if docs and os.environ.get("POTION_DOCS_SCREENSHOTS") == "1":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMAGES / path.name)
    return path


def expect(target: Any) -> Any:
    """Playwright's waiting assertions (imported late: the fixtures skip without it)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)
