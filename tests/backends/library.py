"""Seeding the contract library through the API."""

from __future__ import annotations

from typing import Any

BOOKS = [
    # title, year, rating, available, published (ms), author index
    ("Origin of Species", 1859, 4.5, True, -3476649600000, 0),
    ("Descent of Man", 1871, 3.5, False, None, 0),
    ("The Malay Archipelago", 1869, 4.0, True, None, 1),
    ("Island Life", 1880, 2.5, True, -2840140800000, 1),
    ("100% Pure_Science", None, 3.0, False, None, 0),
]


def seed(client: Any) -> dict[str, Any]:
    """Two authors, five books; returns their ids by name."""
    authors = []
    for first, last in (("Charles", "Darwin"), ("Alfred", "Wallace")):
        response = client.post("/author", json={"first_name": first, "last_name": last})
        assert response.status_code == 200, response.get_json()
        authors.append(response.get_json()["$uri"].rsplit("/", 1)[1])
    books = {}
    for title, year, rating, available, published, author in BOOKS:
        body: dict[str, Any] = {
            "title": title,
            "year": year,
            "rating": rating,
            "available": available,
            "author": {"$ref": f"/author/{authors[author]}"},
        }
        if published is not None:
            body["published"] = {"$date": published}
        response = client.post("/book", json=body)
        assert response.status_code == 200, response.get_json()
        books[title] = response.get_json()["$uri"].rsplit("/", 1)[1]
    return {"authors": authors, "books": books}


def titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["title"] for item in response.get_json()]
