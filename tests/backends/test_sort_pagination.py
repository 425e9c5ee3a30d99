"""Sorting and pagination, on every backend."""

from __future__ import annotations

import json

from .library import seed, titles


def test_sort_ascending_and_descending(client, store):
    seed(client)
    response = client.get("/book", query_string={"sort": json.dumps({"title": False})})
    assert titles(response) == sorted(titles(response))
    assert titles(response)[0] == "100% Pure_Science"
    response = client.get("/book", query_string={"sort": json.dumps({"title": True})})
    assert titles(response) == [
        "The Malay Archipelago",
        "Origin of Species",
        "Island Life",
        "Descent of Man",
        "100% Pure_Science",
    ]


def test_sort_on_several_fields_in_order(client, store):
    seed(client)
    query = {"sort": json.dumps({"available": True, "rating": False})}
    assert titles(client.get("/book", query_string=query)) == [
        "Island Life",
        "The Malay Archipelago",
        "Origin of Species",
        "100% Pure_Science",
        "Descent of Man",
    ]


def test_nulls_sort_first_ascending_and_last_descending(client, store):
    seed(client)
    ascending = titles(client.get("/book", query_string={"sort": json.dumps({"year": False})}))
    assert ascending[0] == "100% Pure_Science"
    assert ascending[1:] == [
        "Origin of Species",
        "The Malay Archipelago",
        "Descent of Man",
        "Island Life",
    ]
    descending = titles(client.get("/book", query_string={"sort": json.dumps({"year": True})}))
    assert descending == list(reversed(ascending))


def test_sort_by_reference(client, store):
    seed(client)
    query = {
        "sort": json.dumps({"author": True, "year": False}),
        "where": json.dumps({"year": {"$ne": None}}),
    }
    result = titles(client.get("/book", query_string=query))
    assert result[:2] == ["The Malay Archipelago", "Island Life"]


def test_unknown_sort_field_is_400(client, store):
    response = client.get("/book", query_string={"sort": json.dumps({"nope": True})})
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        {"path": ["sort"], "validationOf": {"additionalProperties": False}}
    ]


def _links(response):
    links = {}
    for part in response.headers["Link"].split(","):
        url, rel = part.split(";")
        links[rel.strip()[5:-1]] = url.strip()[1:-1]
    return links


def test_pages_and_headers(client, store):
    seed(client)
    response = client.get(
        "/book", query_string={"per_page": 2, "page": 2, "sort": json.dumps({"title": False})}
    )
    assert response.status_code == 200
    assert titles(response) == ["Island Life", "Origin of Species"]
    assert response.headers["X-Total-Count"] == "5"
    links = _links(response)
    assert set(links) == {"self", "first", "prev", "next", "last"}
    assert links["next"].startswith("/book?page=3&per_page=2")
    assert "sort=" in links["next"]
    assert links["last"].startswith("/book?page=3&per_page=2")
    following = client.get(links["next"])
    assert titles(following) == ["The Malay Archipelago"]
    assert "next" not in _links(following)


def test_page_past_the_end_is_404(client, store):
    seed(client)
    assert client.get("/book?per_page=2&page=4").status_code == 404
    assert client.get("/book?per_page=2&page=3").status_code == 200


def test_empty_list_has_page_one(client, store):
    response = client.get("/book")
    assert response.status_code == 200
    assert response.get_json() == []
    assert response.headers["X-Total-Count"] == "0"
    assert set(_links(response)) == {"self", "last"}


def test_bad_page_arguments(client, store):
    for query, path in (
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("per_page=0", "per_page"),
    ):
        response = client.get(f"/book?{query}")
        assert response.status_code == 400, query
        assert response.get_json()["errors"][0]["path"] == [path]


def test_per_page_is_clamped_to_the_maximum(client, store):
    seed(client)
    store.app.config["POTION_MAX_PER_PAGE"] = 3
    response = client.get("/book?per_page=1000")
    assert response.status_code == 200
    assert len(response.get_json()) == 3
    assert "per_page=3" in response.headers["Link"]
