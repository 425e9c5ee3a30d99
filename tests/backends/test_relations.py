"""Relation routes (list, add, remove) over a many-to-many relation, on every backend."""

from __future__ import annotations

import pytest
from blinker import ANY

from potion import signals

from .library import seed


def _shelf(client, name="Evolution"):
    response = client.post("/shelf", json={"name": name})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["$uri"].rsplit("/", 1)[1]


def test_add_list_remove(client, store):
    ids = seed(client)
    shelf = _shelf(client)
    books = ids["books"]
    for title in ("Origin of Species", "Island Life", "Descent of Man"):
        response = client.post(f"/shelf/{shelf}/books", json={"$ref": f"/book/{books[title]}"})
        assert response.status_code == 200
        assert response.get_json() == {"$ref": f"/book/{books[title]}"}

    response = client.get(f"/shelf/{shelf}/books?per_page=2")
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "3"
    assert len(response.get_json()) == 2
    assert 'rel="next"' in response.headers["Link"]
    everything = client.get(f"/shelf/{shelf}/books").get_json()
    assert sorted(r["$ref"] for r in everything) == sorted(
        f"/book/{books[t]}" for t in ("Origin of Species", "Island Life", "Descent of Man")
    )

    response = client.delete(f"/shelf/{shelf}/books/{books['Island Life']}")
    assert response.status_code == 204
    remaining = {r["$ref"] for r in client.get(f"/shelf/{shelf}/books").get_json()}
    assert remaining == {f"/book/{books['Origin of Species']}", f"/book/{books['Descent of Man']}"}
    stored = store.rows("shelf")[0]["book_ids"]
    assert len(stored) == 2


def test_add_by_id_and_natural_reference_errors(client, store):
    ids = seed(client)
    shelf = _shelf(client)
    origin = ids["books"]["Origin of Species"]
    response = client.post(
        f"/shelf/{shelf}/books", json=int(origin) if origin.isdigit() else origin
    )
    assert response.status_code == 200
    response = client.post(f"/shelf/{shelf}/books", json={"$ref": "/book/999999"})
    assert response.status_code == 400
    assert store.rows("shelf")[0]["book_ids"] and len(store.rows("shelf")[0]["book_ids"]) == 1


def test_remove_missing_target_is_404(client, store):
    seed(client)
    shelf = _shelf(client)
    response = client.delete(f"/shelf/{shelf}/books/999999")
    assert response.status_code == 404
    assert response.is_json


def test_relation_of_missing_item_is_404(client, store):
    response = client.get("/shelf/999999/books")
    assert response.status_code == 404


def test_relation_signals(client, store):
    ids = seed(client)
    shelf = _shelf(client)
    origin = ids["books"]["Origin of Species"]
    seen = []

    def record(name):
        def receiver(sender, item, attribute, child):
            seen.append(
                (
                    name,
                    sender.meta.name,
                    attribute,
                    str(store.resources["book"].manager.get_id(child)),
                )
            )

        return receiver

    receivers = {
        "before_add": record("before_add"),
        "after_add": record("after_add"),
        "before_remove": record("before_remove"),
        "after_remove": record("after_remove"),
    }
    with (
        signals.before_add_to_relation.connected_to(receivers["before_add"], sender=ANY),
        signals.after_add_to_relation.connected_to(receivers["after_add"], sender=ANY),
        signals.before_remove_from_relation.connected_to(receivers["before_remove"], sender=ANY),
        signals.after_remove_from_relation.connected_to(receivers["after_remove"], sender=ANY),
    ):
        client.post(f"/shelf/{shelf}/books", json={"$ref": f"/book/{origin}"})
        client.delete(f"/shelf/{shelf}/books/{origin}")
    assert [s[0] for s in seen] == ["before_add", "after_add", "before_remove", "after_remove"]
    assert all(s[1] == "shelf" and s[2] == "books" and s[3] == origin for s in seen)


def test_failing_relation_signal_rolls_back(client, store):
    ids = seed(client)
    shelf = _shelf(client)
    origin = ids["books"]["Origin of Species"]

    def fail(sender, **kwargs):
        raise RuntimeError("no")

    with signals.after_add_to_relation.connected_to(fail, sender=ANY):
        response = client.post(f"/shelf/{shelf}/books", json={"$ref": f"/book/{origin}"})
    assert response.status_code == 500
    assert response.is_json
    assert store.rows("shelf")[0]["book_ids"] == []


def test_adding_a_child_twice_changes_nothing_and_signals_once(client, store):
    ids = seed(client)
    shelf = _shelf(client)
    origin = ids["books"]["Origin of Species"]
    added = []

    def record(sender, item, attribute, child):
        added.append(attribute)

    with signals.after_add_to_relation.connected_to(record, sender=ANY):
        for _ in range(2):
            response = client.post(f"/shelf/{shelf}/books", json={"$ref": f"/book/{origin}"})
            assert response.status_code == 200
    assert added == ["books"]
    assert len(store.rows("shelf")[0]["book_ids"]) == 1
    assert client.get(f"/shelf/{shelf}/books").headers["X-Total-Count"] == "1"


def _linked_shelves(client, books):
    """Two shelves holding ``books`` (ids), through the ToMany field."""
    shelves = []
    for name in ("Evolution", "Voyages"):
        refs = [{"$ref": f"/book/{book}"} for book in books]
        response = client.post("/shelf", json={"name": name, "books": refs})
        assert response.status_code == 200, response.get_json()
        shelves.append(response.get_json()["$uri"])
    return shelves


def _ids(values):
    return sorted(str(value) for value in values)


def test_deleting_a_linked_item_removes_it_and_its_links(client, store):
    ids = seed(client)
    origin, island = ids["books"]["Origin of Species"], ids["books"]["Island Life"]
    shelves = _linked_shelves(client, [origin, island])
    response = client.delete(f"/book/{origin}")
    assert response.status_code == 204, response.get_json()
    assert client.get(f"/book/{origin}").status_code == 404
    for shelf in shelves:
        # the other side shows it nowhere: not in the field, not in the Relation
        assert client.get(shelf).get_json()["books"] == [{"$ref": f"/book/{island}"}]
        response = client.get(f"{shelf}/books")
        assert response.get_json() == [{"$ref": f"/book/{island}"}]
        assert response.headers["X-Total-Count"] == "1"
    # and no link is left in the store
    assert [_ids(row["book_ids"]) for row in store.rows("shelf")] == [[island], [island]]
    assert str(origin) not in _ids(row["id"] for row in store.rows("book"))


def test_deleting_the_owning_side_removes_its_links_only(client, store):
    ids = seed(client)
    origin = ids["books"]["Origin of Species"]
    shelves = _linked_shelves(client, [origin])
    assert client.delete(shelves[0]).status_code == 204
    assert [_ids(row["book_ids"]) for row in store.rows("shelf")] == [[origin]]
    assert client.get(f"/book/{origin}").status_code == 200
    assert store.count("book") == 5


@pytest.mark.parametrize("signal", ["before_delete", "after_delete"])
def test_a_failing_delete_of_a_linked_item_keeps_it_and_its_links(client, store, signal):
    ids = seed(client)
    origin, island = ids["books"]["Origin of Species"], ids["books"]["Island Life"]
    shelves = _linked_shelves(client, [origin, island])
    before = (store.rows("book"), store.rows("shelf"))

    def fail(sender, **kwargs):
        raise RuntimeError("no")

    with getattr(signals, signal).connected_to(fail, sender=ANY):
        response = client.delete(f"/book/{origin}")
    assert response.status_code == 500
    assert (store.rows("book"), store.rows("shelf")) == before
    expected = sorted([f"/book/{origin}", f"/book/{island}"])
    for shelf in shelves:
        assert sorted(ref["$ref"] for ref in client.get(shelf).get_json()["books"]) == expected
