"""A primary key the client chooses on create (``genre.code``), on every backend."""

from __future__ import annotations

from potion import signals


def test_create_with_a_client_key_answers_the_item(client, store):
    response = client.post("/genre", json={"code": "bio", "name": "Biology"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"$uri": "/genre/bio", "code": "bio", "name": "Biology"}
    assert response.headers["Location"] == "/genre/bio"
    assert store.rows("genre") == [{"code": "bio", "name": "Biology"}]


def test_read_update_list_delete_by_the_client_key(client, store):
    for code, name in (("geo", "Geology"), ("bio", "Biology")):
        assert client.post("/genre", json={"code": code, "name": name}).status_code == 200
    response = client.get("/genre/bio")
    assert response.status_code == 200
    assert response.get_json() == {"$uri": "/genre/bio", "code": "bio", "name": "Biology"}
    response = client.patch("/genre/bio", json={"name": "Life sciences"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["name"] == "Life sciences"
    response = client.get('/genre?where={"name": {"$startswith": "Life"}}')
    assert response.status_code == 200
    assert [g["code"] for g in response.get_json()] == ["bio"]
    assert client.delete("/genre/geo").status_code == 204
    assert client.get("/genre/geo").status_code == 404
    assert store.rows("genre") == [{"code": "bio", "name": "Life sciences"}]


def test_the_client_key_is_not_updatable(client, store):
    client.post("/genre", json={"code": "bio", "name": "Biology"})
    response = client.patch("/genre/bio", json={"code": "eco"})
    assert response.status_code == 400
    assert store.rows("genre") == [{"code": "bio", "name": "Biology"}]


def test_a_taken_client_key_is_409_and_keeps_the_stored_item(client, store):
    client.post("/genre", json={"code": "bio", "name": "Biology"})
    response = client.post("/genre", json={"code": "bio", "name": "Botany"})
    assert response.status_code == 409, response.get_json()
    body = response.get_json()
    assert body["errors"] == [{"path": ["code"], "validationOf": {"unique": True}}]
    assert store.rows("genre") == [{"code": "bio", "name": "Biology"}]
    assert client.get("/genre/bio").get_json()["name"] == "Biology"


def test_a_failing_create_with_a_client_key_stores_nothing(client, store):
    def fail(sender, **kwargs):
        raise RuntimeError("receiver failed")

    genre = store.resources["genre"]
    signals.after_create.connect(fail, sender=genre)
    try:
        response = client.post("/genre", json={"code": "bio", "name": "Biology"})
    finally:
        signals.after_create.disconnect(fail, sender=genre)
    assert response.status_code == 500
    assert store.rows("genre") == []
    response = client.post("/genre", json={"code": "bio", "name": "Biology"})
    assert response.status_code == 200, response.get_json()
