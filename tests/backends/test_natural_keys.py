"""Natural keys: references by unique properties, on every backend."""

from __future__ import annotations

from .library import seed


def test_reference_by_composite_natural_key(client, store):
    ids = seed(client)
    response = client.post(
        "/book", json={"title": "Tropical Nature", "author": ["Alfred", "Wallace"]}
    )
    assert response.status_code == 200
    assert response.get_json()["author"] == {"$ref": f"/author/{ids['authors'][1]}"}


def test_natural_key_in_schema(client, store):
    seed(client)
    schema = client.get("/book/schema").get_json()
    create = next(link for link in schema["links"] if link["rel"] == "create")
    assert create["schema"] == {"$ref": "#"}
    author_schema = client.get("/author/schema").get_json()
    assert author_schema["properties"]["first_name"]["type"] == "string"
    request = schema["properties"]["author"]
    assert request["properties"]["$ref"]["pattern"] == "^/author\\/[^/]+$"


def test_natural_key_not_found_is_400_on_write(client, store):
    seed(client)
    response = client.post("/book", json={"title": "Nobody's", "author": ["No", "Body"]})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["path"] == ["author"]


def test_natural_key_with_wrong_arity_is_400(client, store):
    seed(client)
    response = client.post("/book", json={"title": "Half", "author": ["Charles"]})
    assert response.status_code == 400
