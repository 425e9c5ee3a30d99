"""Pagination of lists: page and per_page, their limits and errors, the Link and
X-Total-Count headers."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from flask import Flask

from potion import Api, ModelResource, fields
from potion.backends.memory import MemoryManager
from potion.pagination import Pagination, link_header


def make_app(count=45, prefix=None, **config):
    app = Flask(__name__)
    app.config["TESTING"] = True
    app.config.update(config)
    api = Api(app, prefix=prefix, default_manager=MemoryManager)

    class Item(ModelResource):
        class Schema:
            n = fields.Integer()

    api.add_resource(Item)
    client = app.test_client()
    for n in range(1, count + 1):
        client.post(f"{prefix or ''}/item", json={"n": n})
    return app, client


@pytest.fixture
def client():
    return make_app()[1]


def numbers(response):
    assert response.status_code == 200, response.json
    return [item["n"] for item in response.json]


def test_default_page(client):
    response = client.get("/item")
    assert numbers(response) == list(range(1, 21))
    assert response.headers["X-Total-Count"] == "45"
    assert response.headers["Link"] == (
        '</item?page=1&per_page=20>; rel="self",'
        '</item?page=2&per_page=20>; rel="next",'
        '</item?page=3&per_page=20>; rel="last"'
    )


def test_middle_and_last_page(client):
    response = client.get("/item?page=2&per_page=10")
    assert numbers(response) == list(range(11, 21))
    assert response.headers["Link"] == (
        '</item?page=2&per_page=10>; rel="self",'
        '</item?page=1&per_page=10>; rel="first",'
        '</item?page=1&per_page=10>; rel="prev",'
        '</item?page=3&per_page=10>; rel="next",'
        '</item?page=5&per_page=10>; rel="last"'
    )
    response = client.get("/item?page=5&per_page=10")
    assert numbers(response) == list(range(41, 46))
    assert response.headers["X-Total-Count"] == "45"
    assert response.headers["Link"] == (
        '</item?page=5&per_page=10>; rel="self",'
        '</item?page=1&per_page=10>; rel="first",'
        '</item?page=4&per_page=10>; rel="prev",'
        '</item?page=5&per_page=10>; rel="last"'
    )


def test_empty_list_has_one_page():
    app, client = make_app(count=0)
    response = client.get("/item")
    assert numbers(response) == []
    assert response.headers["X-Total-Count"] == "0"
    assert response.headers["Link"] == (
        '</item?page=1&per_page=20>; rel="self",</item?page=1&per_page=20>; rel="last"'
    )


def test_page_past_the_end_is_404(client):
    response = client.get("/item?page=4")
    assert response.status_code == 404
    assert response.json == {"message": "Not Found", "status": 404}
    assert client.get("/item?page=3").status_code == 200


@pytest.mark.parametrize(
    "query, path, keyword",
    [
        ("page=0", "page", {"minimum": 1}),
        ("page=-1", "page", {"minimum": 1}),
        ("page=abc", "page", {"type": "integer"}),
        ("page=1.5", "page", {"type": "integer"}),
        ("per_page=0", "per_page", {"minimum": 1}),
        ("per_page=-5", "per_page", {"minimum": 1}),
        ("per_page=ten", "per_page", {"type": "integer"}),
    ],
)
def test_invalid_page_arguments_are_400_naming_the_parameter(client, query, path, keyword):
    response = client.get(f"/item?{query}")
    assert response.status_code == 400
    value = query.split("=", 1)[1]
    assert response.json == {
        "errors": [{"path": [path], "validationOf": keyword}],
        "message": f"The '{path}' parameter must be a positive integer, not \"{value}\"",
        "status": 400,
    }


def test_per_page_above_the_maximum_is_clamped(client):
    app, client = make_app(count=120)
    response = client.get("/item?per_page=1000")
    assert len(numbers(response)) == 100
    assert response.headers["Link"].startswith('</item?page=1&per_page=100>; rel="self"')


def test_default_and_maximum_are_configurable():
    app, client = make_app(count=12, POTION_DEFAULT_PER_PAGE=5, POTION_MAX_PER_PAGE=8)
    response = client.get("/item")
    assert numbers(response) == [1, 2, 3, 4, 5]
    assert response.headers["Link"].endswith('</item?page=3&per_page=5>; rel="last"')
    assert len(numbers(client.get("/item?per_page=50"))) == 8
    # the limits are published in the instances link
    with app.app_context():
        resource = app.extensions["potion"][0].resources["item"]
        link = next(x for x in resource.schema_document()["links"] if x["rel"] == "instances")
    assert link["schema"]["properties"]["page"] == {"type": "integer", "minimum": 1, "default": 1}
    assert link["schema"]["properties"]["per_page"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 8,
        "default": 5,
    }


def test_links_keep_where_sort_and_other_parameters(client):
    where = json.dumps({"n": {"$gt": 10}})
    sort = json.dumps({"n": True})
    response = client.get(
        "/item", query_string={"where": where, "sort": sort, "per_page": 10, "page": 2, "x": "y"}
    )
    assert numbers(response) == list(range(35, 25, -1))
    assert response.headers["X-Total-Count"] == "35"
    tail = "&" + urlencode({"where": where, "sort": sort, "x": "y"})
    assert response.headers["Link"] == (
        f'</item?page=2&per_page=10{tail}>; rel="self",'
        f'</item?page=1&per_page=10{tail}>; rel="first",'
        f'</item?page=1&per_page=10{tail}>; rel="prev",'
        f'</item?page=3&per_page=10{tail}>; rel="next",'
        f'</item?page=4&per_page=10{tail}>; rel="last"'
    )
    # following "next" gives the next page of the same query
    next_url = response.headers["Link"].split(",")[3].split(">")[0][1:]
    assert numbers(client.get(next_url)) == list(range(25, 15, -1))


def test_links_carry_the_api_prefix():
    app, client = make_app(count=3, prefix="/api")
    response = client.get("/api/item?per_page=2")
    assert response.headers["Link"] == (
        '</api/item?page=1&per_page=2>; rel="self",'
        '</api/item?page=2&per_page=2>; rel="next",'
        '</api/item?page=2&per_page=2>; rel="last"'
    )


def test_pagination_object():
    page = Pagination.from_list(list(range(7)), 2, 3)
    assert (page.items, page.page, page.per_page, page.total, page.pages) == ([3, 4, 5], 2, 3, 7, 3)
    assert page.has_prev and page.has_next
    assert list(page) == [3, 4, 5]
    empty = Pagination([], 1, 20, 0)
    assert (empty.pages, empty.has_prev, empty.has_next) == (1, False, False)
    assert (
        link_header("/x", empty)
        == '</x?page=1&per_page=20>; rel="self",</x?page=1&per_page=20>; rel="last"'
    )
