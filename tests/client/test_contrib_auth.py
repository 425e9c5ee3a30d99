"""The client against potion.contrib.auth's own token route (``POST /api/auth/token``)."""

from __future__ import annotations

import asyncio

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from potion import Api
from potion.client import AsyncClient, Client, TooManyRequests, Unauthorized
from potion.contrib.auth import Auth

from .server import Wire, serve

PASSWORD = "a long and private phrase"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app = Flask(__name__)
    path = tmp_path_factory.mktemp("auth") / "site.sqlite3"
    app.config.update(TESTING=True, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    db = SQLAlchemy(app)
    api = Api(app, prefix="/api")
    auth = Auth(app, db=db, api=api)
    with app.app_context():
        db.create_all()
        auth.create_user("ann", PASSWORD, "ann@example.org")
    wire = Wire(app)
    with serve(wire) as base:
        yield base + "/api", wire
    with app.app_context():
        db.engine.dispose()


def test_login_through_contrib_auth(site):
    url, wire = site
    client = Client(url, backoff=0)
    with pytest.raises(Unauthorized):
        client.User.me()
    token = client.login("ann", PASSWORD)
    assert token.startswith("potion_")
    assert (wire.requests[-1].method, wire.requests[-1].path) == ("POST", "/api/auth/token")
    me = client.User.me()
    assert me.username == "ann" and me is client.User(me.id)
    assert wire.requests[-1].headers["Authorization"] == f"Bearer {token}"
    # the token works for a new client too, and the auth resource is a class like any other
    assert Client(url, token=token).User.me().username == "ann"
    tokens = client.Auth.tokens()
    assert len(tokens) == 1 and {"id", "name", "created", "expires"} <= set(tokens[0])


def test_a_refused_login_through_contrib_auth(site):
    url, _ = site
    client = Client(url)
    with pytest.raises(Unauthorized) as excinfo:
        client.login("ann", "not the password")
    assert excinfo.value.status == 401
    assert client.session.auth is None
    with pytest.raises(Unauthorized):
        Client(url, token="potion_not-a-real-token").User.me()


def test_async_login_through_contrib_auth(site):
    url, _ = site

    async def main():
        async with AsyncClient(url) as client:
            await client.login("ann", PASSWORD)
            return (await client.User.me()).username

    assert asyncio.run(main()) == "ann"


def test_throttled_logins_raise_too_many_requests(site):
    url, _ = site
    client = Client(url)
    with pytest.raises(TooManyRequests) as excinfo:
        for _ in range(10):
            try:
                client.login("bob", "guessing")
            except Unauthorized:
                continue
    assert excinfo.value.status == 429
    assert excinfo.value.retry_after and excinfo.value.retry_after > 0
