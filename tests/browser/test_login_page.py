"""contrib.auth's login page in a real browser: the way into the admin."""

from __future__ import annotations

import json

from .helpers import expect, login, path_of


def test_a_wrong_password_is_refused_with_the_username_kept(page, server):
    page.goto(f"{server.url}/login")
    page.get_by_label("Username").fill("lena")
    page.get_by_label("Password").fill("not her password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Invalid")
    assert path_of(page).startswith("/login")
    expect(page.get_by_label("Username")).to_have_value("lena")
    expect(page.get_by_label("Password")).to_have_value("")
    assert not [c for c in page.context.cookies() if c["name"] == "session" and c["value"]]


def test_a_login_goes_where_next_says(page, server):
    login(page, server, "lena", next_path="/api/book/1")
    assert path_of(page) == "/api/book/1"
    assert json.loads(page.locator("body").inner_text())["title"] == "The Dispossessed"
    # the session cookie works for the API too: lena sees every member (librarian)
    members = page.evaluate("fetch('/api/member').then(r => r.json())")
    assert len(members) == server.value("select count(*) from member") > 0
