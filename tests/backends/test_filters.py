"""Every ``where`` operator, on every backend."""

from __future__ import annotations

import json

import pytest

from .conftest import requires
from .library import seed, titles

ALL = {
    "Origin of Species",
    "Descent of Man",
    "The Malay Archipelago",
    "Island Life",
    "100% Pure_Science",
}


def where(client, condition, **params):
    query = {"where": json.dumps(condition), "per_page": 100, **params}
    return client.get("/book", query_string=query)


CASES = [
    # strings
    ({"title": "Island Life"}, {"Island Life"}),
    ({"title": {"$eq": "Island Life"}}, {"Island Life"}),
    ({"title": {"$ne": "Island Life"}}, ALL - {"Island Life"}),
    (
        {"title": {"$in": ["Island Life", "Descent of Man", "Nope"]}},
        {"Island Life", "Descent of Man"},
    ),
    ({"title": {"$in": []}}, set()),
    ({"title": {"$contains": "of"}}, {"Origin of Species", "Descent of Man"}),
    ({"title": {"$contains": "OF"}}, set()),
    ({"title": {"$icontains": "OF"}}, {"Origin of Species", "Descent of Man"}),
    ({"title": {"$contains": "% P"}}, {"100% Pure_Science"}),
    ({"title": {"$contains": "_"}}, {"100% Pure_Science"}),
    ({"title": {"$contains": "%"}}, {"100% Pure_Science"}),
    ({"title": {"$startswith": "The"}}, {"The Malay Archipelago"}),
    ({"title": {"$startswith": "the"}}, set()),
    ({"title": {"$istartswith": "the"}}, {"The Malay Archipelago"}),
    ({"title": {"$endswith": "Man"}}, {"Descent of Man"}),
    ({"title": {"$endswith": "man"}}, set()),
    ({"title": {"$iendswith": "MAN"}}, {"Descent of Man"}),
    # integers (with a null value among them)
    ({"year": 1859}, {"Origin of Species"}),
    ({"year": None}, {"100% Pure_Science"}),
    ({"year": {"$ne": 1859}}, ALL - {"Origin of Species"}),
    ({"year": {"$lt": 1869}}, {"Origin of Species"}),
    ({"year": {"$lte": 1869}}, {"Origin of Species", "The Malay Archipelago"}),
    ({"year": {"$gt": 1869}}, {"Descent of Man", "Island Life"}),
    ({"year": {"$gte": 1871}}, {"Descent of Man", "Island Life"}),
    ({"year": {"$in": [1859, 1880]}}, {"Origin of Species", "Island Life"}),
    # numbers
    ({"rating": {"$gte": 4.0}}, {"Origin of Species", "The Malay Archipelago"}),
    ({"rating": {"$lt": 3}}, {"Island Life"}),
    ({"rating": 3.5}, {"Descent of Man"}),
    # booleans
    ({"available": False}, {"Descent of Man", "100% Pure_Science"}),
    ({"available": {"$ne": False}}, {"Origin of Species", "The Malay Archipelago", "Island Life"}),
    ({"available": {"$in": [True]}}, {"Origin of Species", "The Malay Archipelago", "Island Life"}),
    # dates
    ({"published": {"$date": -2840140800000}}, {"Island Life"}),
    ({"published": {"$lt": {"$date": -3000000000000}}}, {"Origin of Species"}),
    ({"published": {"$gte": {"$date": -3000000000000}}}, {"Island Life"}),
    (
        {"published": {"$between": [{"$date": -3500000000000}, {"$date": -2840140800000}]}},
        {"Origin of Species", "Island Life"},
    ),
    # several conditions are ANDed
    ({"available": True, "year": {"$gt": 1860}}, {"The Malay Archipelago", "Island Life"}),
]


@pytest.mark.parametrize("condition, expected", CASES, ids=[json.dumps(c[0]) for c in CASES])
def test_operator(client, store, condition, expected):
    if any(isinstance(v, dict) and "$between" in v for v in condition.values()):
        requires(store, "between")
    seed(client)
    response = where(client, condition)
    assert set(titles(response)) == expected
    assert response.headers["X-Total-Count"] == str(len(expected))


def test_reference_filters(client, store):
    ids = seed(client)
    darwin, wallace = ids["authors"]
    by_darwin = {"Origin of Species", "Descent of Man", "100% Pure_Science"}
    by_ref = where(client, {"author": {"$ref": f"/author/{darwin}"}})
    assert set(titles(by_ref)) == by_darwin
    by_id = where(client, {"author": int(darwin) if darwin.isdigit() else darwin})
    assert set(titles(by_id)) == by_darwin
    by_key = where(client, {"author": ["Charles", "Darwin"]})
    assert set(titles(by_key)) == by_darwin
    not_darwin = where(client, {"author": {"$ne": {"$ref": f"/author/{darwin}"}}})
    assert set(titles(not_darwin)) == ALL - by_darwin
    both = where(
        client, {"author": {"$in": [{"$ref": f"/author/{darwin}"}, ["Alfred", "Wallace"]]}}
    )
    assert set(titles(both)) == ALL
    assert wallace


def test_reference_to_missing_item_matches_nothing(client, store):
    seed(client)
    for condition in ({"author": {"$ref": "/author/999999"}}, {"author": ["No", "Body"]}):
        response = where(client, condition)
        assert response.status_code == 200
        assert response.get_json() == []
        assert response.headers["X-Total-Count"] == "0"


def test_to_many_contains(client, store):
    ids = seed(client)
    origin = ids["books"]["Origin of Species"]
    island = ids["books"]["Island Life"]
    client.post("/shelf", json={"name": "A", "books": [{"$ref": f"/book/{origin}"}]})
    client.post("/shelf", json={"name": "B", "books": [{"$ref": f"/book/{island}"}]})
    response = client.get(
        "/shelf",
        query_string={"where": json.dumps({"books": {"$contains": {"$ref": f"/book/{origin}"}}})},
    )
    assert response.status_code == 200
    assert [s["name"] for s in response.get_json()] == ["A"]


def test_uri_filter(client, store):
    ids = seed(client)
    origin = ids["books"]["Origin of Species"]
    response = where(client, {"$uri": f"/book/{origin}"})
    assert titles(response) == ["Origin of Species"]


@pytest.mark.parametrize(
    "condition, path",
    [
        ({"title": {"$gt": 1}}, ["where", "title"]),
        ({"title": {"$foo": "x"}}, ["where", "title"]),
        ({"year": "nineteen"}, ["where", "year"]),
        ({"nope": 1}, ["where"]),
    ],
)
def test_invalid_conditions_are_400(client, store, condition, path):
    seed(client)
    response = where(client, condition)
    assert response.status_code == 400
    body = response.get_json()
    assert body["errors"][0]["path"] == path


def test_invalid_json_in_where_names_the_parameter(client, store):
    response = client.get("/book?where={oops")
    assert response.status_code == 400
    body = response.get_json()
    assert body["parameter"] == "where"
    assert "where" in body["message"]
