"""Bad input gets a clear JSON error and changes nothing, on every backend."""

from __future__ import annotations

from .conftest import requires
from .library import seed


def test_validation_error_lists_every_problem(client, store):
    seed(client)
    response = client.post("/book", json={"title": 5, "year": "x", "extra": 1})
    assert response.status_code == 400
    body = response.get_json()
    assert body["status"] == 400
    paths = sorted((tuple(e["path"]), next(iter(e["validationOf"]))) for e in body["errors"])
    assert (("title",), "type") in paths
    assert (("year",), "type") in paths
    assert ((), "additionalProperties") in paths
    assert ((), "required") in paths
    assert store.count("book") == 5


def test_unique_violation_is_409_naming_the_field(client, store):
    requires(store, "unique")
    ids = seed(client)
    before = store.rows("book")
    response = client.post(
        "/book", json={"title": "Island Life", "author": {"$ref": f"/author/{ids['authors'][0]}"}}
    )
    assert response.status_code == 409, response.get_json()
    body = response.get_json()
    assert body["status"] == 409
    assert {"path": ["title"], "validationOf": {"unique": True}} in body["errors"]
    assert store.rows("book") == before


def test_unique_violation_on_update_changes_nothing(client, store):
    requires(store, "unique")
    ids = seed(client)
    before = store.rows("book")
    book_id = ids["books"]["Descent of Man"]
    response = client.patch(f"/book/{book_id}", json={"title": "Island Life", "year": 1})
    assert response.status_code == 409
    assert store.rows("book") == before


def test_reference_to_missing_item_is_400_naming_the_field(client, store):
    seed(client)
    before = store.rows("book")
    for reference in ({"$ref": "/author/999999"}, ["No", "Body"]):
        response = client.post("/book", json={"title": "Ghost", "author": reference})
        assert response.status_code == 400, response.get_json()
        body = response.get_json()
        assert body["errors"][0]["path"] == ["author"]
    assert store.rows("book") == before


def test_null_for_required_value_is_400(client, store):
    ids = seed(client)
    book_id = ids["books"]["Descent of Man"]
    response = client.patch(f"/book/{book_id}", json={"title": None})
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        {"path": ["title"], "validationOf": {"type": "string"}}
    ]


def test_malformed_json_and_wrong_content_type(client, store):
    seed(client)
    response = client.post("/book", data="{nope", content_type="application/json")
    assert response.status_code == 400
    assert "not valid JSON" in response.get_json()["message"]
    response = client.post(
        "/book", data="title=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in (400, 415)
    assert response.is_json
    assert store.count("book") == 5


def test_malformed_reference_ids_are_404_not_500(client, store):
    seed(client)
    response = client.get('/book?where={"author": {"$ref": "/author/not-an-id"}}')
    assert response.status_code == 200
    assert response.get_json() == []
    response = client.post("/shelf/abc/books", json={"$ref": "/book/1"})
    assert response.status_code == 404
    assert response.is_json


def test_deleting_a_referenced_item_is_409_and_changes_nothing(client, store):
    # SQLite included: its foreign keys are enforced (docs/backends/sqlalchemy.md)
    requires(store, "foreign_keys")
    ids = seed(client)
    before = (store.rows("author"), store.rows("book"))
    darwin = ids["authors"][0]
    response = client.delete(f"/author/{darwin}")
    assert response.status_code == 409, response.get_json()
    body = response.get_json()
    assert body["errors"] == [{"path": [], "validationOf": {"referencedBy": "contract_book"}}]
    assert body["message"] == "This author is still referenced from contract_book"
    assert (store.rows("author"), store.rows("book")) == before
    assert client.get(f"/author/{darwin}").status_code == 200
