"""potion.contrib.admin through the test client: every page, permissions, CSRF, escaping.

The admin reads and writes only through the API, so each test checks the
database (or the API) after a write, and that refused writes changed nothing.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .admin_env import Library, element, main_text, text


@pytest.fixture
def lib(tmp_path: Any) -> Library:
    library = Library(tmp_path)
    le_guin = library.add("author", name="Ursula K. Le Guin", born=1929)
    butler = library.add("author", name="Octavia E. Butler", born=1947)
    library.add(
        "book", title="The Dispossessed", isbn="978-0-06-051275-0", author_id=le_guin, year=1974
    )
    library.add(
        "book", title="A Wizard of Earthsea", isbn="978-0-547-72202-3", author_id=le_guin, year=1968
    )
    library.add("book", title="Kindred", isbn="978-0-8070-8369-7", author_id=butler, year=1979)
    return library


# -- who may enter ---------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(lib: Library) -> None:
    client = lib.session(None)
    for url in ("/admin/", "/admin/book/", "/admin/book/1", "/admin/book/new"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.location.startswith("/login?next=")
        assert "next=" + url.replace("/", "%2F") in response.location
    response = client.post("/admin/book/new", {"title": "x"}, token=False)
    assert response.status_code == 302 and response.location.startswith("/login")
    assert lib.rows("select count(*) from book") == [(3,)]


def test_users_who_are_not_staff_are_sent_to_the_login_page(lib: Library) -> None:
    client = lib.session("plain")
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.location == "/login?next=%2Fadmin%2F"
    # the login page says that another account is needed
    assert "That page needs another account" in client.follow(response)


def test_security_headers_on_every_page(lib: Library) -> None:
    client = lib.session("boss")
    for url in ("/admin/", "/admin/book/", "/admin/book/1", "/admin/nothing/"):
        response = client.get(url)
        assert response.headers["X-Frame-Options"] == "DENY"
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["Cache-Control"] == "no-store"
    # no inline script or style on a page
    page = client.page("/admin/book/1")
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "<style" not in page and " style=" not in page and " onclick" not in page.lower()


def test_the_assets_are_served_from_the_package(lib: Library) -> None:
    client = lib.session("boss")
    css = client.get("/admin/static/admin.css")
    assert css.status_code == 200 and b"--accent" in css.data
    js = client.get("/admin/static/admin.js")
    assert js.status_code == 200 and b"filter-field" in js.data


# -- the dashboard -----------------------------------------------------------------------


def test_dashboard_lists_readable_resources_with_counts(lib: Library) -> None:
    page = lib.session("boss").page("/admin/")
    assert "<h1>Dashboard</h1>" in page
    cards = dict(
        re.findall(
            r'<article class="resource-card" data-resource="(\w+)">.*?<span class="count">(\d+)</span>',
            page,
            re.S,
        )
    )
    assert cards["author"] == "2" and cards["book"] == "3" and cards["note"] == "0"
    assert cards["user"] == "4" and cards["secret"] == "0"
    assert "People who write books." in page
    nav = re.search(r'<nav aria-label="Resources".*?</nav>', page, re.S).group(0)
    # plural titles; the application's resources in their order, contrib.auth's last
    links = re.findall(r">([^<>]+)</a></li>", nav)
    assert links == ["Authors", "Books", "Tags", "Notes", "Secrets", "Roles", "Users"]
    titles = re.findall(r'<h2><a href="[^"]+">([^<]+)</a></h2>', page)
    assert titles == ["Authors", "Books", "Tags", "Notes", "Secrets", "Roles", "Users"]
    assert "<title>Dashboard · Administration</title>" in page
    assert '<a class="brand" href="/admin/">Administration</a>' in page
    assert 'role="status"' in page
    assert re.search(r'<button type="submit"[^>]*>Log out</button>', page)


def test_a_resource_the_user_may_not_read_is_absent_and_404(lib: Library) -> None:
    client = lib.session("viewer")
    page = client.page("/admin/")
    assert 'data-resource="secret"' not in page and ">Secret</a>" not in page
    assert 'data-resource="book"' in page
    secret = lib.add("secret", name="launch codes")
    for url in ("/admin/secret/", f"/admin/secret/{secret}", "/admin/secret/new"):
        response = client.get(url)
        assert response.status_code == 404
        assert "launch codes" not in response.get_data(as_text=True)
    response = client.post("/admin/secret/new", {"name": "more"})
    assert response.status_code == 404
    assert lib.rows("select name from secret") == [("launch codes",)]


def test_hidden_items_are_404(lib: Library) -> None:
    mine = lib.add("note", text="mine", owner_id=lib.users["viewer"])
    theirs = lib.add("note", text="theirs", owner_id=lib.users["ed"])
    client = lib.session("viewer")
    listing = main_text(client.page("/admin/note/"))
    assert "mine" in listing and "theirs" not in listing and "1 item" in listing
    assert client.get(f"/admin/note/{mine}").status_code == 200
    response = client.get(f"/admin/note/{theirs}")
    assert response.status_code == 404 and "theirs" not in response.get_data(as_text=True)
    assert client.get(f"/admin/note/{theirs}/delete").status_code == 404
    assert client.get("/admin/note/999").status_code == 404


# -- the list --------------------------------------------------------------------------


def test_list_columns_links_and_buttons(lib: Library) -> None:
    page = lib.session("ed").page("/admin/book/")
    assert "<h1>Books</h1>" in page
    headers = re.findall(r'<th scope="col"[^>]*>\s*(?:<a [^>]*>)?([^<]*)', page)
    assert headers[1:] == ["Title", "ISBN", "Author", "Year", "Copies", "In print", "Published"]
    assert '<a class="button primary" href="/admin/book/new">New Book</a>' in page
    assert 'aria-label="Select Kindred"' in page
    assert re.search(r'<td><a href="/admin/book/3">Kindred</a></td>', page)
    # the author column names the author and links to its page
    assert '<a href="/admin/author/2">Octavia E. Butler</a>' in page
    assert "Delete selected" in page
    nav = text(re.search(r"<nav aria-label=\"Pagination\".*?</nav>", page, re.S).group(0))
    assert nav == "Page 1 of 1 3 items"


def test_list_without_write_permissions_has_no_write_buttons(lib: Library) -> None:
    page = lib.session("viewer").page("/admin/book/")
    assert "New Book" not in page and "Delete selected" not in page
    assert "/admin/book/new" not in page
    assert 'type="checkbox"' not in page


def test_sort_by_a_column(lib: Library) -> None:
    client = lib.session("boss")
    page = client.page("/admin/book/?sort=year")
    titles = re.findall(r'<td><a href="/admin/book/\d+">([^<]+)</a></td>', page)
    assert titles == ["A Wizard of Earthsea", "The Dispossessed", "Kindred"]
    header = element(page, r'th scope="col" aria-sort="ascending"')
    assert header is not None
    assert '<a href="/admin/book/?sort=-year">Year</a>' in page
    page = client.page("/admin/book/?sort=-year")
    titles = re.findall(r'<td><a href="/admin/book/\d+">([^<]+)</a></td>', page)
    assert titles == ["Kindred", "The Dispossessed", "A Wizard of Earthsea"]
    assert element(page, r'th scope="col" aria-sort="descending"') is not None


def test_filters_and_search(lib: Library) -> None:
    client = lib.session("boss")

    def titles(url: str) -> list[str]:
        return re.findall(r'<td><a href="/admin/book/\d+">([^<]+)</a></td>', client.page(url))

    assert titles("/admin/book/?f=year&op=gt&v=1970") == ["The Dispossessed", "Kindred"]
    assert titles("/admin/book/?f=year&op=lte&v=1974&f=title&op=icontains&v=dis") == [
        "The Dispossessed"
    ]
    assert titles("/admin/book/?f=year&op=in&v=1968,1979") == ["A Wizard of Earthsea", "Kindred"]
    assert titles("/admin/book/?f=in_print&op=eq&v=no") == []
    assert len(titles("/admin/book/?f=in_print&op=eq&v=yes")) == 3
    page = client.page("/admin/book/")
    assert 'value="in_print" data-ops="eq ne in" data-type="text" data-suggest="[&#34;true' in page
    # a reference is filtered by the name of the referenced item
    assert titles("/admin/book/?f=author&op=eq&v=butler") == ["Kindred"]
    # the search looks in the first search field, or the one chosen
    assert titles("/admin/book/?q=earth") == ["A Wizard of Earthsea"]
    assert titles("/admin/book/?q=8369") == []
    assert titles("/admin/book/?q=8369&in=isbn") == ["Kindred"]
    assert '<option value="isbn" selected>in ISBN</option>' in client.page(
        "/admin/book/?q=1&in=isbn"
    )
    page = client.page("/admin/book/?q=earth&f=year&op=gt&v=1900")
    assert 'value="earth"' in page and "Year greater than 1900" in text(page)
    form = re.search(r'<form role="search" aria-label="Filters" method="get".*?</form>', page, re.S)
    assert form is not None
    for label in ("Search", "Filter field", "Operator", "Value"):
        assert f">{label}</label>" in form.group(0)
    assert '<button type="submit" class="button">Apply</button>' in form.group(0)


def test_a_filter_the_api_refuses_is_shown(lib: Library) -> None:
    client = lib.session("boss")
    page = client.page("/admin/book/?f=year&op=gt&v=soon")
    assert 'role="alert"' in page and "No items" in page
    page = client.page("/admin/book/?f=year&op=icontains&v=19")
    assert "this operator does not apply here" in page


def test_pagination(lib: Library) -> None:
    author = lib.add("author", name="Many")
    for number in range(20):
        lib.add("book", title=f"Volume {number:02}", isbn="978-0-00-000000-0", author_id=author)
    client = lib.session("boss")
    page = client.page("/admin/book/")
    nav = re.search(r'<nav aria-label="Pagination".*?</nav>', page, re.S).group(0)
    assert "23 items" in nav and "Page 1 of 2" in nav
    assert ">Next</a>" in nav and ">Previous</a>" not in nav
    next_url = re.search(r'<a href="([^"]+)" rel="next">', nav).group(1)
    page = client.page(next_url.replace("&amp;", "&"))
    nav = re.search(r'<nav aria-label="Pagination".*?</nav>', page, re.S).group(0)
    assert "Page 2 of 2" in nav and ">Previous</a>" in nav and ">Next</a>" not in nav
    assert len(re.findall(r'aria-label="Select ', page)) == 3
    # a page past the end goes back to the first
    response = client.get("/admin/book/?page=9")
    assert response.status_code == 302 and response.location == "/admin/book/"


# -- create and edit -------------------------------------------------------------------


def test_create_form_is_drawn_from_the_schema(lib: Library) -> None:
    page = lib.session("ed").page("/admin/book/new")
    assert "<h1>New Book</h1>" in page
    form = re.search(r'<form method="post" class="item-form".*?</form>', page, re.S).group(0)
    assert 'name="csrf_token"' in form
    assert '<label for="field-title">Title' in form and 'id="field-title" name="title"' in form
    assert '<label for="field-isbn">ISBN' in form
    assert re.search(r'<select id="field-author" name="author"', form)
    assert '<option value="/api/author/1">Ursula K. Le Guin</option>' in form
    assert element(form, r'input type="number" id="field-year" name="year"') is not None
    assert 'min="1400"' in element(form, r'input type="number" id="field-year"')
    assert element(form, r'input type="checkbox" id="field-in_print" name="in_print"[^>]* checked')
    assert element(form, r'input type="date" id="field-published" name="published"')
    assert re.search(r'<textarea id="field-summary" name="summary"', form)
    assert 'value="1"' in element(form, r'input type="number" id="field-copies"')
    # required fields are marked
    title_label = re.search(r'<label for="field-title">.*?</label>', form, re.S).group(0)
    assert "(required)" in title_label
    year_label = re.search(r'<label for="field-year">.*?</label>', form, re.S).group(0)
    assert "required" not in year_label
    assert ">Save</button>" in form


def test_create_with_validation_errors_then_fixed(lib: Library) -> None:
    client = lib.session("ed")
    data = {"title": "The Lathe of Heaven", "isbn": "not an isbn", "author": "/api/author/1"}
    data.update(year="3000", copies="2", in_print="true", published="1971-10-01")
    response = client.post("/admin/book/new", data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'<p class="field-error" id="error-isbn">[^<]+</p>', page)
    assert re.search(
        r'<p class="field-error" id="error-year">Enter a value of at most 2100</p>', page
    )
    year = element(page, r'input type="number" id="field-year"')
    assert 'aria-invalid="true"' in year and 'aria-describedby="error-year"' in year
    assert 'value="3000"' in year  # the user's input is kept
    assert 'value="The Lathe of Heaven"' in page
    assert '<option value="/api/author/1" selected>' in page
    assert 'role="alert"' in page
    assert "error-title" not in page
    assert lib.rows("select count(*) from book") == [(3,)]

    data.update(isbn="978-0-06-051275-1", year="1971")
    response = client.post("/admin/book/new", data)
    assert response.status_code == 302
    new_id = lib.rows("select id from book where title = 'The Lathe of Heaven'")[0][0]
    assert response.location == f"/admin/book/{new_id}"
    page = client.follow(response)
    assert '<p class="message message-success">Saved</p>' in page
    assert lib.rows(
        "select isbn, author_id, year, copies, in_print, published from book where id = :i",
        i=new_id,
    ) == [("978-0-06-051275-1", 1, 1971, 2, 1, "1971-10-01")]


def test_a_required_field_left_empty(lib: Library) -> None:
    response = lib.session("ed").post("/admin/book/new", {"title": "", "isbn": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<p class="field-error" id="error-author">This field is required</p>' in page
    assert '<p class="field-error" id="error-title">This field cannot be empty</p>' in page
    assert lib.rows("select count(*) from book") == [(3,)]


def test_edit_an_item(lib: Library) -> None:
    client = lib.session("ed")
    page = client.page("/admin/book/1")
    assert "<h1>The Dispossessed</h1>" in page
    assert 'value="The Dispossessed"' in page and '<option value="/api/author/1" selected>' in page
    assert '<a class="button danger" href="/admin/book/1/delete">Delete</a>' in page
    response = client.post(
        "/admin/book/1",
        {
            "title": "The Dispossessed",
            "isbn": "978-0-06-051275-0",
            "author": "/api/author/2",
            "year": "",
            "copies": "5",
            "published": "",
            "summary": "An ambiguous utopia",
        },
    )
    assert response.status_code == 302 and response.location == "/admin/book/1"
    assert "Saved" in client.follow(response)
    assert lib.rows("select author_id, year, copies, in_print, summary from book where id = 1") == [
        (2, None, 5, 0, "An ambiguous utopia")
    ]


def test_edit_errors_keep_the_input(lib: Library) -> None:
    client = lib.session("ed")
    response = client.post(
        "/admin/book/1",
        {"title": "", "isbn": "978-0-06-051275-0", "author": "/api/author/1", "copies": "-1"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="error-title"' in page and 'id="error-copies"' in page
    assert 'value="-1"' in element(page, r'input type="number" id="field-copies"')
    assert lib.rows("select title, copies from book where id = 1") == [("The Dispossessed", 1)]


def test_read_only_users_see_the_item_without_a_form(lib: Library) -> None:
    client = lib.session("viewer")
    page = client.page("/admin/book/1")
    assert "<h1>The Dispossessed</h1>" in page
    assert '<form method="post" class="item-form"' not in page and ">Save</button>" not in page
    assert element(
        page,
        r'input type="text" id="field-author" name="author" value="Ursula K. Le Guin" readonly',
    )
    assert "/admin/book/1/delete" not in page
    # forced, the writes are refused by the API
    response = client.post("/admin/book/1", {"title": "Changed"})
    assert response.status_code == 403
    response = client.post(
        "/admin/book/new", {"title": "New", "isbn": "978-0-00-000000-0", "author": "/api/author/1"}
    )
    assert response.status_code == 403
    assert client.get("/admin/book/new").status_code == 403
    assert client.get("/admin/book/1/delete").status_code == 403
    assert client.post("/admin/book/1/delete").status_code == 403
    assert client.post("/admin/book/delete", {"id": "1"}).status_code == 403
    assert lib.rows("select count(*), min(title) from book") == [(3, "A Wizard of Earthsea")]


def test_csrf_is_required_on_every_form(lib: Library) -> None:
    client = lib.session("ed")
    for url in (
        "/admin/book/new",
        "/admin/book/1",
        "/admin/book/1/delete",
        "/admin/book/delete",
        "/admin/author/1/books/remove",
    ):
        response = client.post(url, {"title": "x", "id": "1", "target": "/api/book/1"}, token=False)
        assert response.status_code == 403, url
        assert "reload the page" in response.get_data(as_text=True)
    response = client.client.post("/admin/book/1/delete", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert lib.rows("select count(*) from book") == [(3,)]
    assert lib.rows("select title from book where id = 1") == [("The Dispossessed",)]


def test_values_are_escaped(lib: Library) -> None:
    client = lib.session("ed")
    evil = '<script>alert("x")</script>'
    response = client.post("/admin/author/new", {"name": evil})
    assert response.status_code == 302
    for url in ("/admin/author/", response.location, "/admin/book/new", "/admin/book/?q=" + evil):
        page = client.page(url)
        assert evil not in page
        assert "&lt;script&gt;" in page
    page = client.page("/admin/book/?f=title&op=eq&v=" + evil)
    assert evil not in page


# -- relations -----------------------------------------------------------------------


def test_relation_add_and_remove(lib: Library) -> None:
    client = lib.session("ed")
    page = client.page("/admin/author/2")
    section = re.search(r'<section class="relation" data-relation="books".*?</section>', page, re.S)
    assert section is not None
    section_text = section.group(0)
    assert "<h2" in section_text and ">Books</h2>" in section_text
    assert '<a href="/admin/book/3"' in section_text
    assert '<label for="add-books">Add Book</label>' in section_text
    assert '<option value="/api/book/1">The Dispossessed</option>' in section_text
    # a book cannot be without its author (book.author is not nullable): no Remove
    assert ">Remove</button>" not in section_text
    response = client.post("/admin/author/2/books/add", {"target": "/api/book/1"})
    assert response.status_code == 302 and response.location == "/admin/author/2"
    assert "Added" in client.follow(response)
    assert lib.rows("select author_id from book where id = 1") == [(2,)]
    # forced, the API refuses
    response = client.post("/admin/author/2/books/remove", {"target": "/api/book/1"})
    page = client.follow(response)
    assert 'class="message message-error"' in page
    assert lib.rows("select author_id from book where id = 1") == [(2,)]


def test_many_to_many_relation_add_and_remove(lib: Library) -> None:
    fiction = lib.add("tag", name="fiction")
    lib.add("tag", name="classic")
    client = lib.session("ed")
    page = client.page("/admin/book/1")
    section = re.search(r'<section class="relation" data-relation="tags".*?</section>', page, re.S)
    assert section is not None
    assert ">Tags</h2>" in section.group(0) and "None yet." in section.group(0)
    assert '<label for="add-tags">Add Tag</label>' in section.group(0)
    response = client.post("/admin/book/1/tags/add", {"target": f"/api/tag/{fiction}"})
    assert response.status_code == 302 and response.location == "/admin/book/1"
    page = client.follow(response)
    assert lib.rows("select book_id, tag_id from book_tag") == [(1, fiction)]
    section = re.search(r'<section class="relation" data-relation="tags".*?</section>', page, re.S)
    assert f'<a href="/admin/tag/{fiction}" id="relation-tags-1">fiction</a>' in section.group(0)
    # nothing on a tag must point at the book: it can leave the relation
    assert ">Remove</button>" in section.group(0)
    assert f'<input type="hidden" name="target" value="/api/tag/{fiction}">' in section.group(0)
    # the tag offered for adding is only the one not yet there
    assert re.findall(r'<option value="/api/tag/\d+">(\w+)</option>', section.group(0)) == [
        "classic"
    ]
    response = client.post("/admin/book/1/tags/remove", {"target": f"/api/tag/{fiction}"})
    assert response.status_code == 302
    assert "Removed" in client.follow(response)
    assert lib.rows("select count(*) from book_tag") == [(0,)]
    assert lib.rows("select count(*) from tag") == [(2,)]  # the tag itself stays
    # a reader sees the relation without the buttons, and a forced add is refused
    viewer = lib.session("viewer")
    section = re.search(
        r'<section class="relation" data-relation="tags".*?</section>',
        viewer.page("/admin/book/1"),
        re.S,
    ).group(0)
    assert ">Remove</button>" not in section and "Add Tag" not in section
    response = viewer.post("/admin/book/1/tags/add", {"target": f"/api/tag/{fiction}"})
    assert response.status_code == 403
    assert lib.rows("select count(*) from book_tag") == [(0,)]


def test_relation_without_update_permission(lib: Library) -> None:
    client = lib.session("viewer")
    page = client.page("/admin/author/1")
    section = re.search(r'<section class="relation" data-relation="books".*?</section>', page, re.S)
    assert section is not None and "The Dispossessed" in section.group(0)
    assert ">Remove</button>" not in section.group(0) and "Add Book" not in section.group(0)
    response = client.post("/admin/author/2/books/add", {"target": "/api/book/1"})
    assert response.status_code == 403
    assert lib.rows("select author_id from book where id = 1") == [(1,)]


# -- delete --------------------------------------------------------------------------


def test_delete_with_confirmation_lists_what_refers_to_it(lib: Library) -> None:
    client = lib.session("ed")
    page = client.page("/admin/author/1/delete")
    assert "<h1>Delete Ursula K. Le Guin?</h1>" in page
    cascade = re.search(r'<div class="cascade">.*?</div>', page, re.S).group(0)
    assert "The Dispossessed" in cascade and "A Wizard of Earthsea" in cascade
    assert "Kindred" not in cascade
    assert ">Yes, delete</button>" in page and ">Cancel</a>" in page
    # a book has nothing referring to it
    page = client.page("/admin/book/3/delete")
    assert "<h1>Delete Kindred?</h1>" in page and "Nothing else refers to it" in page
    response = client.post("/admin/book/3/delete")
    assert response.status_code == 302 and response.location == "/admin/book/"
    assert '<p class="message message-success">Deleted</p>' in client.follow(response)
    assert lib.rows("select count(*) from book where id = 3") == [(0,)]


def test_a_delete_the_store_refuses_is_explained(lib: Library) -> None:
    client = lib.session("ed")
    response = client.post("/admin/author/1/delete")
    assert response.status_code == 409  # its books refer to it
    page = response.get_data(as_text=True)
    alert = re.search(r'<div class="alert" role="alert">.*?</div>', page, re.S).group(0)
    assert text(alert) == "This author is still referenced from book"
    assert "<h1>Delete Ursula K. Le Guin?</h1>" in page and "The Dispossessed" in page
    assert lib.rows("select count(*) from author where id = 1") == [(1,)]
    assert lib.rows("select count(*) from book where author_id = 1") == [(2,)]


def test_bulk_delete(lib: Library) -> None:
    client = lib.session("ed")
    page = client.page("/admin/book/delete?id=1&id=3")
    assert "<h1>Delete 2 Books?</h1>" in page
    doomed = re.search(r'<ul class="doomed">.*?</ul>', page, re.S).group(0)
    assert re.findall(r"<li>([^<]+)</li>", doomed) == ["The Dispossessed", "Kindred"]
    assert ">Yes, delete</button>" in page
    assert page.count('type="hidden" name="id"') == 2
    response = client.post("/admin/book/delete", {"id": ["1", "3"]})
    assert response.status_code == 302 and response.location == "/admin/book/"
    assert "Deleted 2 Books: The Dispossessed, Kindred" in main_text(client.follow(response))
    assert lib.rows("select id from book") == [(2,)]
    response = client.get("/admin/book/delete")
    assert response.status_code == 302
    assert "Select the items to delete first" in client.follow(response)


# -- set-up and options ------------------------------------------------------------


def test_admin_on_a_plain_app_with_init_app(tmp_path: Any) -> None:
    from potion import ModelResource, fields
    from potion.backends.memory import MemoryManager
    from potion.contrib.admin import Admin, get_admin

    from .admin_env import PASSWORD, Session, make_app

    app, db, api, auth = make_app(tmp_path, POTION_ADMIN_URL="/ignored")

    class Widget(ModelResource):
        class Meta:
            manager = MemoryManager
            admin = {"columns": ["name"], "per_page": 1}

        class Schema:
            name = fields.String(max_length=20)

    class Hidden(ModelResource):
        class Meta:
            manager = MemoryManager
            admin = False

        class Schema:
            name = fields.String(max_length=20)

    admin = Admin(api=api, url_prefix="/staff/", options={"user": {"columns": ["username"]}})
    admin.init_app(app)
    api.add_resource(Widget)  # resources added after the admin are shown too
    api.add_resource(Hidden)
    assert get_admin(app) is admin and admin.auth is auth and admin.url_prefix == "/staff"
    with app.app_context():
        db.create_all()
        auth.create_user("root", PASSWORD, validate=False, is_superuser=True)
    client = Session(app, "root")
    assert client.get("/ignored/").status_code == 404
    page = client.page("/staff/")
    assert re.findall(r'data-resource="(\w+)"', page) == ["widget", "role", "user"]
    assert client.get("/staff/hidden/").status_code == 404
    users = client.page("/staff/user/")
    assert re.findall(r'<th scope="col"[^>]*>\s*(?:<a [^>]*>)?([^<]*)', users)[1:] == ["Username"]
    for name in ("one", "two"):
        assert client.post("/staff/widget/new", {"name": name}).status_code == 302
    page = client.page("/staff/widget/")
    assert "Page 1 of 2" in page and "2 items" in page


def test_admin_needs_an_api_and_auth(tmp_path: Any) -> None:
    from flask import Flask

    from potion import Api
    from potion.contrib.admin import Admin

    app = Flask(__name__)
    with pytest.raises(TypeError, match="needs the Api"):
        Admin(app)
    with pytest.raises(RuntimeError, match="needs potion.contrib.auth"):
        Admin(app, api=Api(app))


def test_to_many_as_a_multiple_select(lib: Library) -> None:
    with lib.app.app_context():
        role = lib.auth.Role(name="keeper")
        lib.db.session.add(role)
        lib.db.session.commit()
        lib.db.session.remove()
    client = lib.session("boss")
    viewer = lib.users["viewer"]
    page = client.page(f"/admin/user/{viewer}")
    select = re.search(r'<select id="field-roles" name="roles" multiple.*?</select>', page, re.S)
    assert select is not None and ">keeper</option>" in select.group(0)
    # a password is not required on an edit (left empty, it is kept)
    assert "(required)" not in re.search(r'<label for="field-password">.*?</label>', page).group(0)
    response = client.post(
        f"/admin/user/{viewer}",
        {
            "username": "viewer",
            "email": "",
            "password": "",
            "roles": ["/api/role/1", "/api/role/2"],
            "is_active": "true",
            "is_staff": "true",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert lib.rows(
        "select r.name from auth_user_roles ur join auth_role r on r.id = ur.role_id "
        "where ur.user_id = :u order by r.name",
        u=viewer,
    ) == [("editor",), ("keeper",)]
    # now the viewer is a keeper: the secrets are theirs to see
    page = lib.session("viewer").page("/admin/")
    assert 'data-resource="secret"' in page


def test_wrong_admin_options_stop_the_start(tmp_path: Any) -> None:
    from potion import ModelResource, fields
    from potion.backends.memory import MemoryManager
    from potion.contrib.admin import Admin

    from .admin_env import make_app

    app, db, api, auth = make_app(tmp_path)

    class Thing(ModelResource):
        class Meta:
            manager = MemoryManager
            admin = {"colums": ["name"]}

        class Schema:
            name = fields.String(max_length=20)

    api.add_resource(Thing)
    with pytest.raises(ValueError, match=r"Thing: unknown admin option\(s\) colums"):
        Admin(app, api=api)


def test_the_error_summary_names_fields_by_their_labels(lib: Library) -> None:
    client = lib.session("ed")
    data = {"title": "X", "isbn": "nope", "author": "/api/author/1", "in_print": "true"}
    response = client.post("/admin/book/new", dict(data, year="3000"))
    assert response.status_code == 400
    summary = re.search(
        r'<div class="alert" role="alert" id="form-errors">.*?</div>', response.text, re.S
    )
    items = re.findall(r'<li><a href="#field-(\w+)">([^<]+)</a>', summary.group(0))
    assert items == [("isbn", "ISBN"), ("year", "Year")]
    # the form's label and the column header say ISBN too, from the field's title
    assert '<label for="field-isbn">ISBN' in response.text
    assert lib.rows("select count(*) from book") == [(3,)]


def test_the_filter_panel_is_open_only_when_a_filter_is_on(lib: Library) -> None:
    client = lib.session("ed")
    panel = element(client.page("/admin/book/"), r'details class="filter-panel"')
    assert panel == '<details class="filter-panel">'
    for query in ("?q=Kin", "?f=year&op=gt&v=1970"):
        page = client.page("/admin/book/" + query)
        assert (
            element(page, r'details class="filter-panel"') == '<details class="filter-panel" open>'
        )
        assert 'Search and filters <span class="on">(1 on)</span></summary>' in page
    # the table scrolls in its own region
    assert element(page, r'div class="table-wrap"') is not None


def test_bulk_delete_says_what_was_deleted_and_what_was_not(lib: Library) -> None:
    calvino = lib.add("author", name="Italo Calvino", born=1923)
    client = lib.session("ed")
    page = client.page(f"/admin/author/delete?id=1&id={calvino}")
    assert "<h1>Delete 2 Authors?</h1>" in page
    doomed = re.search(r'<ul class="doomed">.*?</ul>', page, re.S).group(0)
    assert re.findall(r"<li>([^<]+)</li>", doomed) == ["Ursula K. Le Guin", "Italo Calvino"]
    response = client.post("/admin/author/delete", {"id": ["1", str(calvino)]})
    page = client.follow(response)
    assert '<p class="message message-success">Deleted 1 Author: Italo Calvino</p>' in page
    failed = re.search(r'<p class="message message-error">([^<]+)</p>', page).group(1)
    assert failed.startswith("Not deleted: 1 Author: Ursula K. Le Guin (")
    assert lib.rows("select id from author order by id") == [(1,), (2,)]


def test_the_brand_is_the_api_title(lib: Library) -> None:
    lib.api.title = "Lending library"
    page = lib.session("ed").page("/admin/")
    assert '<a class="brand" href="/admin/">Lending library</a>' in page
    assert "<title>Dashboard · Lending library</title>" in page
    lib.admin.title = "Back office"  # Admin(title=...) wins
    assert '<a class="brand" href="/admin/">Back office</a>' in lib.session("ed").page("/admin/")


def test_resource_titles_from_admin_options(tmp_path: Any) -> None:
    library = Library(tmp_path, admin_options={"title": "Volume", "title_plural": "Volumes"})
    library.add("author", name="Ursula K. Le Guin")
    client = library.session("ed")
    page = client.page("/admin/book/")
    assert "<h1>Volumes</h1>" in page and ">New Volume</a>" in page
    assert '<label for="add-books">Add Volume</label>' in client.page("/admin/author/1")
    assert "<h1>New Volume</h1>" in client.page("/admin/book/new")
