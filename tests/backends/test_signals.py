"""Signals fire inside the write's transaction; a failing receiver rolls it back."""

from __future__ import annotations

import pytest
from blinker import ANY

from potion import signals

from .conftest import requires
from .library import seed


def test_signal_order_and_arguments(client, store):
    ids = seed(client)
    book_resource = store.resources["book"]
    seen = []

    def record(name):
        def receiver(sender, **kwargs):
            item = kwargs["item"]
            seen.append((name, sender, book_resource.manager.get_id(item), kwargs.get("changes")))

        return receiver

    names = [
        "before_create",
        "after_create",
        "before_update",
        "after_update",
        "before_delete",
        "after_delete",
    ]
    receivers = {name: record(name) for name in names}
    for name in names:
        getattr(signals, name).connect(receivers[name], sender=book_resource)
    try:
        response = client.post(
            "/book", json={"title": "Tropical Nature", "author": ["Alfred", "Wallace"]}
        )
        book_id = response.get_json()["$uri"].rsplit("/", 1)[1]
        client.patch(f"/book/{book_id}", json={"year": 1878, "title": "Tropical Nature"})
        client.patch(f"/book/{book_id}", json={"year": 1878})
        client.delete(f"/book/{book_id}")
    finally:
        for name in names:
            getattr(signals, name).disconnect(receivers[name], sender=book_resource)
    assert [s[0] for s in seen] == [
        "before_create",
        "after_create",
        "before_update",
        "after_update",
        "before_update",
        "after_update",
        "before_delete",
        "after_delete",
    ]
    assert all(s[1] is book_resource for s in seen)
    assert seen[0][2] is None or store.name.startswith("mongo") or store.name == "memory"
    assert str(seen[1][2]) == book_id
    assert seen[2][3] == {"year": 1878}
    assert seen[4][3] == {}
    assert ids


def _fail(sender, **kwargs):
    raise RuntimeError("receiver failed")


@pytest.mark.parametrize("signal", ["before_create", "after_create"])
def test_failing_create_receiver_rolls_back(client, store, signal):
    requires(store, "transactions")
    seed(client)
    before = store.rows("book")
    with getattr(signals, signal).connected_to(_fail, sender=ANY):
        response = client.post("/book", json={"title": "Lost", "author": ["Charles", "Darwin"]})
    assert response.status_code == 500
    assert response.get_json() == {
        "message": "The server could not complete the request because of an internal error.",
        "status": 500,
    }
    assert store.rows("book") == before


@pytest.mark.parametrize("signal", ["before_update", "after_update"])
def test_failing_update_receiver_rolls_back(client, store, signal):
    requires(store, "transactions")
    ids = seed(client)
    before = store.rows("book")
    book_id = ids["books"]["Island Life"]
    with getattr(signals, signal).connected_to(_fail, sender=ANY):
        response = client.patch(f"/book/{book_id}", json={"year": 2000, "rating": 1.0})
    assert response.status_code == 500
    assert store.rows("book") == before


@pytest.mark.parametrize("signal", ["before_delete", "after_delete"])
def test_failing_delete_receiver_rolls_back(client, store, signal):
    requires(store, "transactions")
    ids = seed(client)
    before = store.rows("book")
    with getattr(signals, signal).connected_to(_fail, sender=ANY):
        response = client.delete(f"/book/{ids['books']['Island Life']}")
    assert response.status_code == 500
    assert store.rows("book") == before
    assert client.get(f"/book/{ids['books']['Island Life']}").status_code == 200
