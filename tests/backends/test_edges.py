"""Edges an off-by-one would cross, on every backend: the body size limit and a
total that is an exact multiple of the page size."""

from __future__ import annotations

import json
import re
import threading

import pytest

from .library import seed


def _links(response) -> dict[str, int]:
    """``rel`` → page number of the Link header."""
    links = {}
    for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("Link", "")):
        links[rel] = int(re.search(r"[?&]page=(\d+)", url).group(1))
    return links


def test_a_body_of_exactly_the_size_limit_is_accepted_one_byte_more_is_413(client, store):
    ids = seed(client)
    author = {"$ref": f"/author/{ids['authors'][0]}"}
    body = json.dumps({"title": "Exactly", "author": author}).encode()
    store.app.config["POTION_MAX_CONTENT_LENGTH"] = len(body)
    response = client.post("/book", data=body, content_type="application/json")
    assert response.status_code == 200, response.get_json()
    longer = json.dumps({"title": "Exactly!", "author": author}).encode()
    assert len(longer) == len(body) + 1
    before = store.rows("book")
    response = client.post("/book", data=longer, content_type="application/json")
    assert response.status_code == 413
    assert response.is_json
    assert store.rows("book") == before


def test_a_total_that_is_a_multiple_of_per_page_ends_on_a_full_page(client, store):
    ids = seed(client)  # five books
    author = {"$ref": f"/author/{ids['authors'][1]}"}
    for number in range(15):
        response = client.post("/book", json={"title": f"Volume {number:02}", "author": author})
        assert response.status_code == 200, response.get_json()
    first = client.get("/book", query_string={"per_page": 10})
    assert first.status_code == 200
    assert first.headers["X-Total-Count"] == "20"
    assert len(first.get_json()) == 10
    assert _links(first)["last"] == 2
    assert _links(first)["next"] == 2
    second = client.get("/book", query_string={"per_page": 10, "page": 2})
    assert second.status_code == 200
    assert len(second.get_json()) == 10
    assert "next" not in _links(second)
    assert _links(second)["last"] == 2
    third = client.get("/book", query_string={"per_page": 10, "page": 3})
    assert third.status_code == 404
    assert third.is_json


def test_writes_to_an_item_deleted_meanwhile_are_404_without_after_signals(client, store):
    from potion import signals
    from potion.exceptions import ItemNotFound

    ids = seed(client)
    book_id = ids["books"]["Descent of Man"]
    manager = store.resources["book"].manager
    stale = manager.read(manager.id_field.convert_url_value(book_id))  # held by one request ...

    def other_request() -> None:  # ... deleted by another, with a session of its own
        with store.app.app_context():
            statuses.append(store.app.test_client().delete(f"/book/{book_id}").status_code)

    statuses: list[int] = []
    thread = threading.Thread(target=other_request)
    thread.start()
    thread.join(30)
    assert statuses == [204]
    sent: list[str] = []

    def after(sender, **kwargs):
        sent.append("after")

    signals.after_update.connect(after)
    signals.after_delete.connect(after)
    try:
        with pytest.raises(ItemNotFound):
            manager.update(stale, {"year": 1900})
        with pytest.raises(ItemNotFound):
            manager.delete(stale)
    finally:
        signals.after_update.disconnect(after)
        signals.after_delete.disconnect(after)
    assert sent == []
    assert book_id not in [str(row["id"]) for row in store.rows("book")]
    assert client.delete(f"/book/{book_id}").status_code == 404
