"""Create, read, update and delete, on every backend."""

from __future__ import annotations

from .library import seed


def test_create_answers_the_item_with_location(client, store):
    ids = seed(client)
    response = client.post(
        "/book",
        json={"title": "Voyage of the Beagle", "year": 1839, "author": ["Charles", "Darwin"]},
    )
    assert response.status_code == 200
    body = response.get_json()
    book_id = body["$uri"].rsplit("/", 1)[1]
    assert response.headers["Location"] == f"/book/{book_id}"
    assert body == {
        "$uri": f"/book/{book_id}",
        "title": "Voyage of the Beagle",
        "year": 1839,
        "rating": 5.0,
        "available": True,
        "published": None,
        "author": {"$ref": f"/author/{ids['authors'][0]}"},
    }
    stored = [row for row in store.rows("book") if row["title"] == "Voyage of the Beagle"]
    assert len(stored) == 1
    assert stored[0]["year"] == 1839
    assert str(stored[0]["author_id"]) == ids["authors"][0]


def test_read_one_item(client, store):
    ids = seed(client)
    book_id = ids["books"]["Island Life"]
    response = client.get(f"/book/{book_id}")
    assert response.status_code == 200
    assert response.get_json() == {
        "$uri": f"/book/{book_id}",
        "title": "Island Life",
        "year": 1880,
        "rating": 2.5,
        "available": True,
        "published": {"$date": -2840140800000},
        "author": {"$ref": f"/author/{ids['authors'][1]}"},
    }


def test_update_changes_only_given_fields(client, store):
    ids = seed(client)
    book_id = ids["books"]["Descent of Man"]
    response = client.patch(f"/book/{book_id}", json={"rating": 5.0, "year": None})
    assert response.status_code == 200
    body = response.get_json()
    assert body["rating"] == 5.0 and body["year"] is None and body["title"] == "Descent of Man"
    row = next(r for r in store.rows("book") if str(r["id"]) == book_id)
    assert row["rating"] == 5.0 and row["year"] is None


def test_update_reference(client, store):
    ids = seed(client)
    book_id = ids["books"]["Descent of Man"]
    wallace = ids["authors"][1]
    response = client.patch(
        f"/book/{book_id}", json={"author": int(wallace) if wallace.isdigit() else wallace}
    )
    assert response.status_code == 200
    assert response.get_json()["author"] == {"$ref": f"/author/{wallace}"}
    row = next(r for r in store.rows("book") if str(r["id"]) == book_id)
    assert str(row["author_id"]) == wallace


def test_delete(client, store):
    ids = seed(client)
    book_id = ids["books"]["Island Life"]
    response = client.delete(f"/book/{book_id}")
    assert response.status_code == 204
    assert response.data == b""
    assert client.get(f"/book/{book_id}").status_code == 404
    assert client.delete(f"/book/{book_id}").status_code == 404
    assert store.count("book") == 4


def test_missing_item_is_404_with_item(client, store):
    seed(client)
    response = client.get("/book/999999")
    assert response.status_code == 404
    body = response.get_json()
    assert body["status"] == 404
    assert body["item"]["$type"] == "book"


def test_list_default_order_and_total(client, store):
    seed(client)
    response = client.get("/book")
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "5"
    assert [b["title"] for b in response.get_json()] == [
        "Origin of Species",
        "Descent of Man",
        "The Malay Archipelago",
        "Island Life",
        "100% Pure_Science",
    ]


def test_many_to_many_field_on_create_and_update(client, store):
    ids = seed(client)
    origin, island = ids["books"]["Origin of Species"], ids["books"]["Island Life"]
    response = client.post(
        "/shelf", json={"name": "Evolution", "books": [{"$ref": f"/book/{origin}"}]}
    )
    assert response.status_code == 200, response.get_json()
    shelf = response.get_json()
    assert shelf["books"] == [{"$ref": f"/book/{origin}"}]
    shelf_id = shelf["$uri"].rsplit("/", 1)[1]
    response = client.patch(
        f"/shelf/{shelf_id}",
        json={"books": [{"$ref": f"/book/{origin}"}, {"$ref": f"/book/{island}"}]},
    )
    assert response.status_code == 200
    assert sorted(b["$ref"] for b in response.get_json()["books"]) == sorted(
        [f"/book/{origin}", f"/book/{island}"]
    )
    assert [str(i) for i in store.rows("shelf")[0]["book_ids"]] == sorted(
        [origin, island], key=lambda x: int(x) if x.isdigit() else x
    )
