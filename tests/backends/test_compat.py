"""Flask-Potion behaviours that applications rely on, on every backend (issue #12, item 6)."""

from __future__ import annotations

from .library import seed


def test_patch_with_an_empty_object_is_a_no_op(client, store):
    ids = seed(client)
    book_id = ids["books"]["Island Life"]
    before = client.get(f"/book/{book_id}").get_json()
    rows_before = store.rows("book")
    response = client.patch(f"/book/{book_id}", json={})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == before
    assert store.rows("book") == rows_before


def test_a_nul_character_is_refused_naming_the_field(client, store):
    ids = seed(client)
    count = store.count("book")
    response = client.post(
        "/book", json={"title": "Nul\u0000Book", "author": {"$ref": f"/author/{ids['authors'][0]}"}}
    )
    assert response.status_code == 400
    body = response.get_json()
    assert [error["path"] for error in body["errors"]] == [["title"]]
    assert store.count("book") == count
    book_id = ids["books"]["Island Life"]
    response = client.patch(f"/book/{book_id}", json={"title": "\u0000"})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["path"] == ["title"]
    row = next(r for r in store.rows("book") if str(r["id"]) == book_id)
    assert row["title"] == "Island Life"
