"""Object permissions on every backend: the guarded contract resources.

``writer`` (authors), ``gbook`` (books) and ``gshelf`` (shelves) declare
``Meta.permissions`` (see ``stores/__init__.py``); the identity comes from
request headers.  Every need kind (``yes``/``no``, roles, ``user:<field>``,
``user:$id``, item needs, ``<action>:<field>``, another action's name) is
exercised on read, list, create, update, delete, relation add/remove and the
custom ``publish`` action, for the owner, another user, an anonymous client, a
role holder and a superuser, asserting status, body and the stored data.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

SUPER = {"X-Superuser": "1"}
ANONYMOUS: dict[str, str] = {}


def who(user: str | None = None, roles: str = "", items: str = "") -> dict[str, str]:
    headers = {"X-Roles": roles, "X-Items": items}
    if user is not None:
        headers["X-User"] = user
    return headers


def _id(response: Any) -> str:
    assert response.status_code == 200, response.get_json()
    return response.get_json()["$uri"].rsplit("/", 1)[1]


def _ref(kind: str, item_id: str) -> dict[str, str]:
    return {"$ref": f"/{kind}/{item_id}"}


def _missing(store: Any) -> str:
    return "5f0000000000000000000000" if store.name == "mongoengine" else "999999"


@pytest.fixture
def lib(client: Any, store: Any) -> SimpleNamespace:
    """Two writers, Ann (three books) and Bob (two), and a shelf, made by a superuser."""
    ann = _id(client.post("/writer", json={"first_name": "Ann", "last_name": "A"}, headers=SUPER))
    bob = _id(client.post("/writer", json={"first_name": "Bob", "last_name": "B"}, headers=SUPER))
    books = {}
    for title, owner in (
        ("Ann One", ann),
        ("Ann Two", ann),
        ("Ann Three", ann),
        ("Bob One", bob),
        ("Bob Two", bob),
    ):
        body = {"title": title, "author": _ref("writer", owner), "available": False}
        books[title] = _id(client.post("/gbook", json=body, headers=SUPER))
    shelf = _id(client.post("/gshelf", json={"name": "Main"}, headers=SUPER))
    return SimpleNamespace(ann=ann, bob=bob, books=books, shelf=shelf)


def titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return sorted(item["title"] for item in response.get_json())


def same_as_missing(hidden: Any, missing: Any, hidden_id: str, missing_id: str) -> None:
    """A hidden item's answer is the missing item's, with the id swapped."""
    assert hidden.status_code == missing.status_code == 404
    text = json.dumps(missing.get_json(), sort_keys=True)
    expected = json.loads(text.replace(missing_id, hidden_id))
    assert hidden.get_json() == expected


# -- list and count ---------------------------------------------------------------------


def test_lists_hold_only_readable_items_and_count_only_them(client, lib):
    ann, bob = lib.ann, lib.bob
    response = client.get("/gbook", headers=who(ann))
    assert titles(response) == ["Ann One", "Ann Three", "Ann Two"]
    assert response.headers["X-Total-Count"] == "3"
    assert titles(client.get("/gbook", headers=who(bob))) == ["Bob One", "Bob Two"]
    response = client.get("/gbook", headers=ANONYMOUS)
    assert response.get_json() == [] and response.headers["X-Total-Count"] == "0"
    everything = ["Ann One", "Ann Three", "Ann Two", "Bob One", "Bob Two"]
    assert titles(client.get("/gbook", headers=who("12345", roles="librarian"))) == everything
    assert titles(client.get("/gbook", headers=SUPER)) == everything
    # an item need opens one more book to Ann
    items = f"read:gbook:{lib.books['Bob Two']}"
    response = client.get("/gbook", headers=who(ann, items=items))
    assert titles(response) == ["Ann One", "Ann Three", "Ann Two", "Bob Two"]
    assert response.headers["X-Total-Count"] == "4"


def test_no_hidden_row_moves_a_page_boundary_or_the_count(client, lib):
    headers = who(lib.bob)
    first = client.get('/gbook?per_page=1&sort={"title": false}', headers=headers)
    second = client.get('/gbook?per_page=1&page=2&sort={"title": false}', headers=headers)
    assert titles(first) == ["Bob One"] and titles(second) == ["Bob Two"]
    assert first.headers["X-Total-Count"] == second.headers["X-Total-Count"] == "2"
    assert first.headers["Link"].endswith('>; rel="last"')
    assert first.headers["Link"].rsplit("<", 1)[1].startswith("/gbook?page=2&")
    assert client.get("/gbook?per_page=1&page=3", headers=headers).status_code == 404
    # sorting by a field cannot bring another's row in
    response = client.get('/gbook?sort={"title": true}', headers=headers)
    assert [b["title"] for b in response.get_json()] == ["Bob Two", "Bob One"]


# -- single items -----------------------------------------------------------------------


def test_reading_another_users_item_is_the_404_of_a_missing_one(client, store, lib):
    hidden = lib.books["Bob One"]
    missing = _missing(store)
    assert client.get(f"/gbook/{hidden}", headers=who(lib.bob)).status_code == 200
    for headers in (who(lib.ann), ANONYMOUS):
        same_as_missing(
            client.get(f"/gbook/{hidden}", headers=headers),
            client.get(f"/gbook/{missing}", headers=headers),
            hidden,
            missing,
        )
    assert client.get(f"/gbook/{hidden}", headers=who("1", roles="librarian")).status_code == 200
    assert client.get(f"/gbook/{hidden}", headers=SUPER).status_code == 200
    item_need = who(lib.ann, items=f"read:gbook:{hidden}")
    assert client.get(f"/gbook/{hidden}", headers=item_need).get_json()["title"] == "Bob One"


def test_user_id_need_and_natural_keys(client, lib):
    # writers read only themselves (user:$id), by id and by natural key
    assert client.get(f"/writer/{lib.ann}", headers=who(lib.ann)).status_code == 200
    assert client.get(f"/writer/{lib.bob}", headers=who(lib.ann)).status_code == 404
    by_name = client.get('/writer?where={"first_name": "Bob"}', headers=who(lib.ann))
    assert by_name.get_json() == []
    # a natural key of a hidden writer in where answers like one of nobody
    hidden = client.get('/gbook?where={"author": ["Bob", "B"]}', headers=who(lib.ann, roles=""))
    nobody = client.get('/gbook?where={"author": ["No", "Body"]}', headers=who(lib.ann))
    assert hidden.status_code == nobody.status_code == 200
    assert hidden.get_json() == nobody.get_json() == []


def test_where_on_references_to_hidden_items_matches_nothing(client, lib):
    # Ann may read Bob's first book (item need) but not Bob himself
    headers = who(lib.ann, items=f"read:gbook:{lib.books['Bob One']}")
    assert "Bob One" in titles(client.get("/gbook", headers=headers))
    for where in (
        {"author": _ref("writer", lib.bob)},
        {"author": {"$in": [_ref("writer", lib.bob)]}},
        {"author": int(lib.bob) if lib.bob.isdigit() else lib.bob},
    ):
        response = client.get("/gbook", query_string={"where": json.dumps(where)}, headers=headers)
        assert response.get_json() == [], where
    both = {"author": {"$in": [_ref("writer", lib.ann), _ref("writer", lib.bob)]}}
    response = client.get("/gbook", query_string={"where": json.dumps(both)}, headers=headers)
    assert titles(response) == ["Ann One", "Ann Three", "Ann Two"]
    # with read access to Bob (an item need on the writer), the same filter finds his book
    headers = who(lib.ann, items=f"read:gbook:{lib.books['Bob One']},read:writer:{lib.bob}")
    response = client.get(
        "/gbook",
        query_string={"where": json.dumps({"author": _ref("writer", lib.bob)})},
        headers=headers,
    )
    assert titles(response) == ["Bob One"]


# -- create -----------------------------------------------------------------------------


def test_create_is_checked_on_the_new_properties(client, store, lib):
    before = store.count("gbook")
    body = {"title": "Ann Four", "author": _ref("writer", lib.ann)}
    # Ann is hidden from anonymous clients and from Bob: her reference is as missing
    assert client.post("/gbook", json=body, headers=ANONYMOUS).status_code == 400
    assert client.post("/gbook", json=body, headers=who(lib.bob)).status_code == 400
    assert store.count("gbook") == before
    response = client.post("/gbook", json=body, headers=who(lib.ann))
    assert response.status_code == 200
    assert response.get_json()["author"] == _ref("writer", lib.ann)
    assert store.count("gbook") == before + 1
    # a librarian creates for anyone, a superuser too
    body = {"title": "Bob Three", "author": _ref("writer", lib.bob)}
    assert client.post("/gbook", json=body, headers=who("77", roles="librarian")).status_code == 200
    body = {"title": "Bob Four", "author": _ref("writer", lib.bob)}
    assert client.post("/gbook", json=body, headers=SUPER).status_code == 200
    assert store.count("gbook") == before + 3


def test_create_for_someone_else_is_403_and_stores_nothing(client, store, lib):
    # Ann can see Bob (item need on the writer) but may not create his books
    headers = who(lib.ann, items=f"read:writer:{lib.bob}")
    body = {"title": "Forged", "author": _ref("writer", lib.bob)}
    response = client.post("/gbook", json=body, headers=headers)
    assert response.status_code == 403
    assert response.get_json()["status"] == 403
    assert "Forged" not in [row["title"] for row in store.rows("gbook")]


def test_a_reference_to_a_hidden_item_in_a_body_answers_like_a_missing_one(client, store, lib):
    missing = _missing(store)
    hidden = client.post(
        "/gbook", json={"title": "X", "author": _ref("writer", lib.bob)}, headers=who(lib.ann)
    )
    absent = client.post(
        "/gbook", json={"title": "X", "author": _ref("writer", missing)}, headers=who(lib.ann)
    )
    assert hidden.status_code == absent.status_code == 400
    text = json.dumps(absent.get_json(), sort_keys=True).replace(missing, lib.bob)
    assert hidden.get_json() == json.loads(text)
    # and by natural key
    hidden = client.post(
        "/gbook", json={"title": "X", "author": ["Bob", "B"]}, headers=who(lib.ann)
    )
    absent = client.post(
        "/gbook", json={"title": "X", "author": ["No", "Body"]}, headers=who(lib.ann)
    )
    assert hidden.status_code == absent.status_code == 400
    assert "X" not in [row["title"] for row in store.rows("gbook")]


# -- update -----------------------------------------------------------------------------


def test_update_inherits_the_writers_update_through_the_reference(client, store, lib):
    book = lib.books["Ann One"]
    response = client.patch(f"/gbook/{book}", json={"year": 2001}, headers=who(lib.ann))
    assert response.status_code == 200 and response.get_json()["year"] == 2001
    # Bob cannot see it: 404; a librarian can; an item need "update" can, when it may read
    assert client.patch(f"/gbook/{book}", json={"year": 1}, headers=who(lib.bob)).status_code == 404
    assert client.patch(f"/gbook/{book}", json={"year": 1}, headers=ANONYMOUS).status_code == 404
    librarian = who("5", roles="librarian")
    assert client.patch(f"/gbook/{book}", json={"year": 2002}, headers=librarian).status_code == 200
    reader_only = who(lib.bob, items=f"read:gbook:{book}")
    assert client.patch(f"/gbook/{book}", json={"year": 3}, headers=reader_only).status_code == 403
    updater = who(lib.bob, items=f"read:gbook:{book},update:gbook:{book}")
    assert client.patch(f"/gbook/{book}", json={"year": 2003}, headers=updater).status_code == 200
    assert client.patch(f"/gbook/{book}", json={"year": 2004}, headers=SUPER).status_code == 200
    row = next(r for r in store.rows("gbook") if str(r["id"]) == book)
    assert row["year"] == 2004


def test_an_update_that_hands_the_item_to_another_owner_is_refused(client, store, lib):
    book = lib.books["Ann One"]
    headers = who(lib.ann, items=f"read:writer:{lib.bob}")  # Ann may refer to Bob
    response = client.patch(
        f"/gbook/{book}", json={"author": _ref("writer", lib.bob), "year": 1999}, headers=headers
    )
    assert response.status_code == 403
    row = next(r for r in store.rows("gbook") if str(r["id"]) == book)
    assert str(row["author_id"]) == lib.ann and row.get("year") is None
    # the owner can still change everything else
    response = client.patch(f"/gbook/{book}", json={"year": 1999}, headers=headers)
    assert response.status_code == 200


# -- delete -----------------------------------------------------------------------------


def test_delete_needs_the_owner_or_an_item_need(client, store, lib):
    ann_book, bob_book = lib.books["Ann Two"], lib.books["Bob Two"]
    assert client.delete(f"/gbook/{ann_book}", headers=who(lib.bob)).status_code == 404
    assert client.delete(f"/gbook/{ann_book}", headers=ANONYMOUS).status_code == 404
    # a librarian reads everything but may not delete
    response = client.delete(f"/gbook/{ann_book}", headers=who("9", roles="librarian"))
    assert response.status_code == 403
    assert client.delete(f"/gbook/{ann_book}", headers=who(lib.ann)).status_code == 204
    deleter = who(lib.ann, items=f"read:gbook:{bob_book},delete:gbook:{bob_book}")
    assert client.delete(f"/gbook/{bob_book}", headers=deleter).status_code == 204
    assert client.delete(f"/gbook/{lib.books['Bob One']}", headers=SUPER).status_code == 204
    titles_left = sorted(row["title"] for row in store.rows("gbook"))
    assert titles_left == ["Ann One", "Ann Three"]
    # writers may never be deleted ("nobody"), not even by themselves
    assert client.delete(f"/writer/{lib.ann}", headers=who(lib.ann)).status_code == 403


# -- relations --------------------------------------------------------------------------


def test_relation_add_and_remove_need_the_parents_update_and_the_childs_read(client, store, lib):
    shelf, ann_book, bob_book = lib.shelf, lib.books["Ann One"], lib.books["Bob One"]
    url = f"/gshelf/{shelf}/books"
    # Ann may read the shelf (item need) and her book, but not update the shelf
    reader = who(lib.ann, items=f"read:gshelf:{shelf}")
    assert client.post(url, json=_ref("gbook", ann_book), headers=reader).status_code == 403
    assert store.rows("gshelf")[0]["book_ids"] == []
    # an editor may update the shelf; Bob's book is hidden from Ann: as if missing
    editor = who(lib.ann, roles="editor")
    missing = _missing(store)
    hidden = client.post(url, json=_ref("gbook", bob_book), headers=editor)
    absent = client.post(url, json=_ref("gbook", missing), headers=editor)
    assert hidden.status_code == absent.status_code == 400
    assert client.post(url, json=_ref("gbook", ann_book), headers=editor).status_code == 200
    assert client.post(url, json=_ref("gbook", bob_book), headers=SUPER).status_code == 200
    assert len(store.rows("gshelf")[0]["book_ids"]) == 2
    # the list shows Ann only her book, and counts only it
    response = client.get(url, headers=editor)
    assert response.get_json() == [_ref("gbook", ann_book)]
    assert response.headers["X-Total-Count"] == "1"
    assert client.get(url, headers=who("3", roles="librarian")).headers["X-Total-Count"] == "2"
    # the shelf's ToMany field leaves out the hidden book as well
    shelf_body = client.get(f"/gshelf/{shelf}", headers=editor).get_json()
    assert shelf_body["books"] == [_ref("gbook", ann_book)]
    assert len(client.get(f"/gshelf/{shelf}", headers=SUPER).get_json()["books"]) == 2
    listed = client.get("/gshelf", headers=editor).get_json()
    assert listed[0]["books"] == [_ref("gbook", ann_book)]
    # removing: a hidden child is missing (404), no update right is 403
    assert client.delete(f"{url}/{bob_book}", headers=editor).status_code == 404
    assert client.delete(f"{url}/{ann_book}", headers=reader).status_code == 403
    assert len(store.rows("gshelf")[0]["book_ids"]) == 2
    assert client.delete(f"{url}/{ann_book}", headers=editor).status_code == 204
    assert len(store.rows("gshelf")[0]["book_ids"]) == 1


def test_a_to_many_field_with_a_hidden_item_answers_like_a_missing_one(client, store, lib):
    editor = who(lib.ann, roles="editor")
    url = f"/gshelf/{lib.shelf}"
    mine = _ref("gbook", lib.books["Ann One"])
    hidden = client.patch(
        url, json={"books": [mine, _ref("gbook", lib.books["Bob One"])]}, headers=editor
    )
    absent = client.patch(
        url, json={"books": [mine, _ref("gbook", _missing(store))]}, headers=editor
    )
    assert hidden.status_code == absent.status_code == 400
    assert store.rows("gshelf")[0]["book_ids"] == []
    response = client.patch(url, json={"books": [mine]}, headers=editor)
    assert response.status_code == 200
    assert len(store.rows("gshelf")[0]["book_ids"]) == 1


def test_a_relation_of_a_hidden_parent_is_404(client, store, lib):
    url = f"/gshelf/{lib.shelf}/books"
    assert client.get(url, headers=who(lib.ann)).status_code == 404
    assert client.get(url, headers=ANONYMOUS).status_code == 404
    assert (
        client.post(url, json=_ref("gbook", lib.books["Ann One"]), headers=who(lib.ann)).status_code
        == 404
    )
    assert client.get(url, headers=who(lib.ann, roles="editor")).status_code == 200
    assert client.get(f"/gshelf/{lib.shelf}", headers=who(lib.ann)).status_code == 404


# -- a custom action ----------------------------------------------------------------------


def test_custom_item_route_checks_its_action(client, store, lib):
    book = lib.books["Ann Three"]
    url = f"/gbook/{book}/publish"

    def available() -> bool:
        return bool(next(r for r in store.rows("gbook") if str(r["id"]) == book)["available"])

    assert client.post(url, headers=who(lib.bob)).status_code == 404  # cannot read it
    assert client.post(url, headers=ANONYMOUS).status_code == 404
    # a librarian reads it, but publishing is for the owner or a publisher
    assert client.post(url, headers=who("4", roles="librarian")).status_code == 403
    assert not available()
    publisher = who(lib.bob, roles="publisher", items=f"read:gbook:{book}")
    response = client.post(url, headers=publisher)
    assert response.status_code == 200 and response.get_json() is True
    assert available()
    assert client.post(url, headers=who(lib.ann)).status_code == 200
    assert client.post(url, headers=SUPER).status_code == 200
