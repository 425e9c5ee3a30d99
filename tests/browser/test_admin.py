"""The admin walked through in headless Chromium, on the example's lending library,
from contrib.auth's login page on.

Each test starts from a fresh browser context and checks what it did in the
database (the server's SQLite file) as well as on the page.  The tests share the
module's server, so each works on items of its own and compares with the
database as it is at that moment.
"""

from __future__ import annotations

import json
import math
import re

from .helpers import choose, expect, login, path_of, screenshot, table

NEXT = re.compile(r"^Next\b")
PREVIOUS = re.compile(r"^Previous\b")


def book_id(server, title):
    return server.value("select id from book where title = ?", title)


def flash(page):
    return page.get_by_role("status")


def field(page, name):
    """A form's input for field ``name`` (``id="field-NAME"``), checked to have a label."""
    locator = page.locator(f"#field-{name}")
    expect(locator).to_have_count(1)
    labels = locator.evaluate("e => [...e.labels].map(l => l.innerText.trim())")
    assert labels and labels[0], f"field {name} has no label"
    return locator


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


def test_dashboard_lists_every_resource_with_its_count(page, server):
    page.goto(f"{server.url}/admin/")
    assert path_of(page) == "/login?next=%2Fadmin%2F"  # anonymous: to the login page
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(server.passwords["admin"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    assert path_of(page) == "/admin/"
    expect(page.locator("main#content")).to_have_count(1)

    nav = page.get_by_role("navigation", name="Resources")
    for name in ("author", "book", "member", "loan"):
        card = page.locator(f'article.resource-card[data-resource="{name}"]')
        expect(card).to_have_count(1)
        count = server.value(f"select count(*) from {name}")
        expect(card.locator(".count")).to_have_text(str(count))
        link = card.get_by_role("link")
        title = link.inner_text().strip()
        assert title, f"the {name} card has no title"
        assert link.get_attribute("href").endswith(f"/admin/{name}/")
        expect(nav.get_by_role("link", name=title, exact=True)).to_have_count(1)
    assert server.value("select count(*) from book") >= 60
    # a description (the resource's docstring in the example) under the title
    book = page.locator('article.resource-card[data-resource="book"]')
    expect(book).to_contain_text("The library's books, each with its number of copies.")
    screenshot(page, "dashboard", docs=True)

    page.locator('article.resource-card[data-resource="book"]').get_by_role("link").click()
    assert path_of(page) == "/admin/book/"

    page.get_by_role("button", name="Log out").click()
    page.goto(f"{server.url}/admin/book/")
    assert path_of(page).startswith("/login?next=")


def test_a_librarian_sees_the_library_a_member_is_sent_to_log_in(page, server):
    login(page, server, "lena")
    assert path_of(page) == "/admin/"  # the login page's default for a staff user
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    for name in ("author", "book", "member", "loan"):
        expect(page.locator(f'.resource-card[data-resource="{name}"]')).to_have_count(1)

    page.context.clear_cookies()
    login(page, server, "ann", next_path="/admin/book/")  # not staff
    assert path_of(page).startswith("/login?next="), page.url
    expect(page.locator("body")).to_contain_text("That page needs another account")
    expect(page.get_by_role("navigation", name="Resources")).to_have_count(0)
    page.goto(f"{server.url}/admin/book/new")
    assert path_of(page) == "/login?next=%2Fadmin%2Fbook%2Fnew"


def test_create_a_book_with_a_validation_error_then_fix_it(page, server):
    login(page, server)
    page.goto(f"{server.url}/admin/book/")
    page.get_by_role("link", name=re.compile(r"^New ")).click()
    assert path_of(page) == "/admin/book/new"
    expect(page.locator("main form[method=post]")).to_have_count(1)
    title = "The Word for World Is Forest"
    before = server.value("select count(*) from book")

    field(page, "isbn").fill("978-0-06-051275-0")  # The Dispossessed has it
    choose(field(page, "author"), r"^Ursula K\. Le Guin$", "Le Guin")
    field(page, "year").fill("1972")
    field(page, "copies").fill("2")
    # first with the title empty: the browser (required) or the API refuses it
    page.get_by_role("button", name="Save").click()
    title_input = field(page, "title")
    expect(title_input).to_have_attribute("required", "")  # a required mark for the browser
    if not title_input.evaluate("e => e.form.noValidate"):
        assert title_input.evaluate("e => e.validity.valueMissing")
        expect(page.locator(".field-error")).to_have_count(0)  # nothing was sent
    else:  # the form leaves the checks to the API, which says the same next to the field
        expect(page.locator("#error-title")).to_be_visible()
        expect(title_input).to_have_attribute("aria-invalid", "true")
        expect(field(page, "isbn")).to_have_value("978-0-06-051275-0")
    assert server.value("select count(*) from book") == before

    # then with the title: the ISBN is taken, which only the database can tell
    title_input.fill(title)
    page.get_by_role("button", name="Save").click()
    error = page.locator("#error-isbn")
    expect(error).to_be_visible()
    expect(error).to_contain_text(re.compile(r"already (exists|used)"))
    isbn = field(page, "isbn")
    expect(isbn).to_have_attribute("aria-invalid", "true")
    assert "error-isbn" in (isbn.get_attribute("aria-describedby") or "").split()
    expect(page.get_by_role("alert")).to_be_visible()
    # the error stands next to its field, and the user's input is kept
    field_box, error_box = isbn.bounding_box(), error.bounding_box()
    assert abs(error_box["y"] - (field_box["y"] + field_box["height"])) < 60
    expect(isbn).to_have_value("978-0-06-051275-0")
    expect(field(page, "title")).to_have_value(title)
    expect(field(page, "year")).to_have_value("1972")
    expect(field(page, "copies")).to_have_value("2")
    selected = field(page, "author").evaluate("e => e.selectedOptions[0].label")
    assert "Le Guin" in selected
    assert server.value("select count(*) from book") == before
    screenshot(page, "form-errors", docs=True)

    field(page, "isbn").fill("978-0-06-091301-1")
    page.get_by_role("button", name="Save").click()
    expect(flash(page)).to_contain_text("Saved")
    new_id = book_id(server, title)
    assert path_of(page) == f"/admin/book/{new_id}"
    assert server.rows(
        "select b.isbn, b.year, b.copies, a.name from book b join author a on a.id = b.author_id"
        " where b.id = ?",
        new_id,
    ) == [("978-0-06-091301-1", 1972, 2, "Ursula K. Le Guin")]
    assert server.value("select count(*) from book") == before + 1


def test_edit_a_book(page, server):
    login(page, server)
    item = book_id(server, "Invisible Cities")
    page.goto(f"{server.url}/admin/book/{item}")
    expect(field(page, "title")).to_have_value("Invisible Cities")
    expect(field(page, "copies")).to_have_value("1")
    field(page, "title").fill("Le città invisibili")
    field(page, "copies").fill("4")
    page.get_by_role("button", name="Save").click()
    expect(flash(page)).to_contain_text("Saved")
    assert path_of(page) == f"/admin/book/{item}"
    expect(field(page, "title")).to_have_value("Le città invisibili")
    assert server.rows("select title, copies, year from book where id = ?", item) == [
        ("Le città invisibili", 4, 1972)
    ]
    assert server.api(f"/book/{item}")["title"] == "Le città invisibili"


def test_filter_the_list(page, server):
    login(page, server)
    page.goto(f"{server.url}/admin/book/")
    filters = page.get_by_role("search", name="Filters")
    choose(filters.get_by_label("Filter field").first, r"^year$")
    choose(filters.get_by_label("Operator").first, r"greater than$|^\$?gt$|^>$")
    filters.get_by_label("Value").first.fill("1945")
    filters.get_by_role("button", name="Apply").click()
    expected = server.value("select count(*) from book where year > 1945")
    expect(page.locator("main")).to_contain_text(f"{expected} items")
    years = [int(row["year"]) for row in table(page)]
    assert years and all(year > 1945 for year in years), years
    assert "1945" in page.url
    # the form shows the filter that is on, with a way to take it off
    active = filters.get_by_role("list", name="Active filters")
    expect(active).to_contain_text("1945")
    screenshot(page, "list-filtered", docs=True)
    active.get_by_role("link", name=re.compile(r"^Remove filter")).click()
    total = server.value("select count(*) from book")
    expect(page.locator("main")).to_contain_text(f"{total} items")


def test_sort_by_a_column(page, server):
    login(page, server)
    page.goto(f"{server.url}/admin/book/")
    header = page.get_by_role("link", name=re.compile(r"^\s*year\s*$", re.I))
    header.click()
    th = page.locator("th[aria-sort]")
    expect(th).to_have_attribute("aria-sort", "ascending")
    expect(th).to_contain_text(re.compile("year", re.I))
    years = [int(row["year"]) for row in table(page)]
    assert years == sorted(years)
    assert years[0] == server.value("select min(year) from book")

    page.get_by_role("link", name=re.compile(r"^\s*year\s*$", re.I)).click()
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "descending")
    years = [int(row["year"]) for row in table(page)]
    assert years == sorted(years, reverse=True)
    assert years[0] == server.value("select max(year) from book")


def test_paginate(page, server):
    login(page, server)
    page.goto(f"{server.url}/admin/book/")
    pagination = page.get_by_role("navigation", name="Pagination")
    total = server.value("select count(*) from book")
    expect(pagination).to_contain_text(f"{total} items")
    first = table(page)
    per_page = len(first)
    pages = math.ceil(total / per_page)
    assert pages >= 2, f"{total} books fit on one page of {per_page}"
    expect(pagination).to_contain_text(f"Page 1 of {pages}")
    expect(pagination.get_by_role("link", name=PREVIOUS)).to_have_count(0)
    screenshot(page, "list")

    pagination.get_by_role("link", name=NEXT).click()
    expect(pagination).to_contain_text(f"Page 2 of {pages}")
    second = table(page)
    assert second and not {r["title"] for r in first} & {r["title"] for r in second}
    if pages == 2:
        expect(pagination.get_by_role("link", name=NEXT)).to_have_count(0)
    pagination.get_by_role("link", name=PREVIOUS).click()
    expect(pagination).to_contain_text(f"Page 1 of {pages}")
    assert table(page) == first


def test_search(page, server):
    login(page, server)
    page.goto(f"{server.url}/admin/book/")
    search = page.get_by_role("search", name="Filters").get_by_label("Search")
    search.fill("filler 4")
    search.press("Enter")
    expected = server.rows(
        "select title from book where title like '%filler 4%' or isbn like '%filler 4%'"
        " order by title"
    )
    expect(page.locator("main")).to_contain_text(f"{len(expected)} items")
    assert sorted(row["title"] for row in table(page)) == [title for (title,) in expected]
    assert len(expected) == 10
    expect(page.get_by_role("search", name="Filters").get_by_label("Search")).to_have_value(
        "filler 4"
    )


def test_add_a_book_on_the_author_page(page, server):
    login(page, server)
    achebe = server.value("select id from author where name = 'Chinua Achebe'")
    kindred = book_id(server, "Kindred")
    page.goto(f"{server.url}/admin/author/{achebe}")
    section = page.locator('section.relation[data-relation="books"]')
    expect(section.get_by_role("heading", level=2)).to_have_count(1)
    expect(section.get_by_role("link", name="Things Fall Apart")).to_have_count(1)
    expect(section.get_by_role("link", name="Kindred")).to_have_count(0)

    choose(section.get_by_label("Add Book"), r"^Kindred$", "Kindred")
    section.get_by_role("button", name="Add", exact=True).click()
    expect(section.get_by_role("link", name="Kindred")).to_have_count(1)
    assert server.value("select author_id from book where id = ?", kindred) == achebe

    # a book cannot be without its author (book.author is not nullable): no Remove
    expect(section.get_by_role("button", name="Remove")).to_have_count(0)
    assert server.value("select author_id from book where id = ?", kindred) == achebe


def genres_of(server, book):
    return server.rows(
        "select genre.name from book_genre join genre on genre.id = book_genre.genre_id "
        "where book_genre.book_id = ? order by genre.name",
        book,
    )


def test_add_and_remove_a_genre_on_the_book_page(page, server):
    login(page, server)
    book = book_id(server, "Things Fall Apart")
    before = genres_of(server, book)
    assert before == [("Historical fiction",), ("Literary fiction",)]
    page.goto(f"{server.url}/admin/book/{book}")
    section = page.locator('section.relation[data-relation="genres"]')
    expect(section.get_by_role("heading", level=2)).to_have_text("Genres")
    expect(section.get_by_role("link", name="Literary fiction")).to_have_count(1)
    expect(section.get_by_role("button", name="Remove")).to_have_count(2)

    # add: the select offers only the genres the book has not got
    add = section.get_by_label("Add Genre")
    expect(add.locator("option", has_text="Literary fiction")).to_have_count(0)
    choose(add, r"^Fantasy$")
    section.get_by_role("button", name="Add", exact=True).click()
    expect(flash(page)).to_contain_text("Added")
    expect(section.get_by_role("link", name="Fantasy")).to_have_count(1)
    assert genres_of(server, book) == [
        ("Fantasy",),
        ("Historical fiction",),
        ("Literary fiction",),
    ]
    screenshot(page, "item-relations", docs=True, full_page=True)

    # remove: the book leaves the genre, the genre stays
    row = section.locator("li", has=page.get_by_role("link", name="Fantasy"))
    row.get_by_role("button", name="Remove").click()
    expect(flash(page)).to_contain_text("Removed")
    expect(section.get_by_role("link", name="Fantasy")).to_have_count(0)
    assert genres_of(server, book) == before
    assert server.value("select count(*) from genre where name = 'Fantasy'") == 1
    # the API agrees
    assert len(server.api(f"/book/{book}/genres")) == 2


def test_delete_through_the_confirmation_page(page, server):
    login(page, server)
    item = book_id(server, "Shelf filler 54")
    page.goto(f"{server.url}/admin/book/{item}")
    page.get_by_role("link", name="Delete", exact=True).click()
    assert path_of(page) == f"/admin/book/{item}/delete"
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete Shelf filler 54?")
    expect(page.locator("main")).to_contain_text("Nothing else refers to it")
    page.get_by_role("link", name="Cancel").click()
    assert server.value("select count(*) from book where id = ?", item) == 1
    assert not path_of(page).endswith("/delete")

    # a book on loan: the page names the loans that refer to it
    lent = book_id(server, "The Dispossessed")
    (loan,) = server.rows("select id from loan where book_id = ?", lent)
    page.goto(f"{server.url}/admin/book/{lent}/delete")
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete The Dispossessed?")
    expect(page.locator(f'main a[href$="/admin/loan/{loan[0]}"]')).to_have_count(1)
    screenshot(page, "delete-confirm", docs=True)
    # the loan needs its book: the database refuses, the page says so, nothing goes
    page.get_by_role("button", name="Yes, delete").click()
    expect(page.get_by_role("alert")).to_contain_text("still referenced from loan")
    assert path_of(page) == f"/admin/book/{lent}/delete"
    assert server.rows("select book_id from loan where id = ?", loan[0]) == [(lent,)]
    assert server.value("select count(*) from book where id = ?", lent) == 1

    page.goto(f"{server.url}/admin/book/{item}/delete")
    page.get_by_role("button", name="Yes, delete").click()
    expect(flash(page)).to_contain_text("Deleted")
    assert path_of(page).startswith("/admin/book/")
    assert server.value("select count(*) from book where id = ?", item) == 0


def test_delete_selected_rows(page, server):
    login(page, server)
    page.goto(f"{server.url}/admin/book/?q=filler+5")
    rows = page.locator("main table tbody tr")
    ids, labels = [], []
    for index in range(2):
        row = rows.nth(index)
        href = row.get_by_role("link").first.get_attribute("href")
        ids.append(int(href.rstrip("/").rsplit("/", 1)[1]))
        checkbox = row.get_by_role("checkbox", name=re.compile(r"^Select "))
        labels.append(checkbox.get_attribute("aria-label").removeprefix("Select "))
        checkbox.check()
    page.get_by_role("button", name="Delete selected").click()
    expect(page.get_by_role("button", name="Yes, delete")).to_be_visible()
    for label in labels:
        expect(page.locator("main")).to_contain_text(label)
    for item in ids:
        assert server.value("select count(*) from book where id = ?", item) == 1
    page.get_by_role("button", name="Yes, delete").click()
    expect(flash(page)).to_contain_text("Deleted")
    assert path_of(page).startswith("/admin/book/")
    for item in ids:
        assert server.value("select count(*) from book where id = ?", item) == 0
