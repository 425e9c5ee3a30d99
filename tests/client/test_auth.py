"""Auth: a bearer token given to the client, or got by login() from the token route
(``POST {api}/auth/token`` with ``{"username", "password"}``, the contract of
potion.contrib.auth), against an API whose every route needs the token."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from potion.client import AsyncClient, Client, HTTPBearerAuth, Unauthorized

from .conftest import Served, _served


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from _served(tmp_path_factory, protected=True)


@pytest.fixture
def guarded(protected: Served) -> Served:
    protected.reset()
    return protected


def token_for(served: Served) -> str:
    client = Client(served.url, fetch_schema=False)
    return client.login("ann", "secret")


def test_without_a_token_the_api_answers_401(guarded):
    with pytest.raises(Unauthorized) as excinfo:
        Client(guarded.url)
    assert excinfo.value.status == 401
    assert "Authorization" not in guarded.wire.requests[-1].headers


def test_login_then_use_the_api(guarded):
    client = Client(guarded.url, fetch_schema=False)
    token = client.login("ann", "secret")
    assert isinstance(token, str) and token
    login = guarded.wire.requests[-1]
    assert (login.method, login.path) == ("POST", "/api/auth/token")
    assert login.body == {"username": "ann", "password": "secret"}
    assert client.Book.fetch(1).title == "On the Origin of Species"  # the schema, then the item
    assert all(
        hit.headers["Authorization"] == f"Bearer {token}" for hit in guarded.wire.requests[1:]
    )


def test_a_refused_login(guarded):
    client = Client(guarded.url, fetch_schema=False)
    with pytest.raises(Unauthorized) as excinfo:
        client.login("ann", "wrong")
    assert excinfo.value.message == "Invalid username or password"
    assert client.session.auth is None


def test_a_token_given_to_the_client(guarded):
    token = token_for(guarded)
    client = Client(guarded.url, token=token)
    book = client.Book(title="Descent", author=client.Author(1)).save()
    assert book.id == 2
    assert guarded.wire.requests[-1].headers["Authorization"] == f"Bearer {token}"
    with pytest.raises(Unauthorized):
        Client(guarded.url, token="not-a-token")


def test_potion_client_style_auth_session_option(guarded):
    client = Client(guarded.url, auth=HTTPBearerAuth(token_for(guarded)))
    assert client.Book.fetch(1).rating == 5


def test_async_login_and_token(guarded):
    token = token_for(guarded)

    async def main():
        async with AsyncClient(guarded.url, token=token) as client:
            assert (await client.Book.fetch(1)).rating == 5
        client = AsyncClient(guarded.url)
        with pytest.raises(Unauthorized):
            await client.login("ann", "nope")
        assert isinstance(await client.login("ann", "secret"), str)
        await client.fetch_schema()
        assert (await client.Author.fetch(1)).last_name == "Darwin"
        await client.aclose()

    asyncio.run(main())
    assert guarded.wire.requests[-1].headers["Authorization"].startswith("Bearer ")
