"""A Flask app with a Flask-SQLAlchemy db, a Potion Api and contrib.auth, for the auth tests.

The ``authenv`` fixture is parametrised over SQLite, PostgreSQL and MariaDB (see
:mod:`tests.databases`); test modules bind it with ``database = auth_env.database``
and ``authenv = auth_env.authenv``.  ``AuthEnv.twin()`` builds a second app on the
same database: two workers of one deployment.  Passwords are hashed with tiny
Argon2 costs so the suite stays quick.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from potion import Api
from potion.contrib.auth import Auth

from .databases import database_params, sqlalchemy_url

PASSWORD = "correct horse battery staple"
REDIS_URL = os.environ.get("POTION_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

FAST_HASHING = {
    "POTION_AUTH_ARGON2_TIME_COST": 1,
    "POTION_AUTH_ARGON2_MEMORY_COST": 8,
    "POTION_AUTH_ARGON2_PARALLELISM": 1,
}


class AuthEnv:
    """One app on one database, with helpers to make users and log in."""

    def __init__(self, kind: str, url: str, **config: Any) -> None:
        self.kind = kind
        self.url = url
        self.config = config
        self.app = Flask(__name__)
        self.app.config.update(
            TESTING=True, SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="test", **FAST_HASHING
        )
        self.app.config.update(config)
        self.db = SQLAlchemy(self.app)
        self.api = Api(self.app, prefix="/api")
        self.auth = Auth(self.app, db=self.db, api=self.api)
        self.client = self.app.test_client()
        with self.app.app_context():
            self.engine = self.db.engine

    def twin(self, **config: Any) -> AuthEnv:
        """Another app (another worker) on the same database."""
        return AuthEnv(self.kind, self.url, **{**self.config, **config})

    def create_all(self) -> None:
        with self.app.app_context():
            self.db.drop_all()
            self.db.create_all()

    def close(self, drop: bool = True) -> None:
        try:
            if drop:
                with self.app.app_context():
                    self.db.session.remove()
                    self.db.drop_all()
        finally:
            self.engine.dispose()

    # -- data ------------------------------------------------------------------------

    def user(self, username: str, password: str | None = PASSWORD, **attributes: Any) -> int:
        """Create a user (validators skipped); returns its id."""
        with self.app.app_context():
            user = self.auth.create_user(username, password, validate=False, **attributes)
            user_id = int(user.id)
            self.db.session.remove()
        return user_id

    def role(self, name: str, *usernames: str) -> int:
        with self.app.app_context():
            role = self.auth.Role(name=name)
            for username in usernames:
                role.users.append(self.auth.find_user(username))
            self.db.session.add(role)
            self.db.session.commit()
            role_id = int(role.id)
            self.db.session.remove()
        return role_id

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(sa.text(sql), params).scalar()

    def count(self, table: str, where: str = "", **params: Any) -> int:
        return int(self.scalar(f"select count(*) from {table} {where}", **params))

    def password_hash(self, username: str) -> str:
        return str(
            self.scalar(
                "select password_hash from auth_user where username_key = :k", k=username.lower()
            )
        )

    def snapshot(self) -> dict[str, Any]:
        """What a refused request must leave as it was."""
        return {
            "users": self.scalar_rows(
                "select id, username, email, password_hash, is_active, is_staff, is_superuser "
                "from auth_user order by id"
            ),
            "roles": self.scalar_rows("select user_id, role_id from auth_user_roles order by 1, 2"),
            "sessions": self.scalar_rows("select key_hash, user_id from auth_session order by 1"),
            "tokens": self.scalar_rows("select id, user_id, key_hash from auth_token order by 1"),
        }

    def scalar_rows(self, sql: str) -> list[tuple[Any, ...]]:
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql))]

    # -- requests -----------------------------------------------------------------------

    def new_client(self) -> Any:
        return self.app.test_client()

    def login(self, username: str, password: str = PASSWORD, client: Any = None) -> str:
        """Log in through the JSON route; returns the CSRF token."""
        client = client or self.client
        response = client.post("/api/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.json
        return str(response.json["csrf_token"])

    def token(self, username: str, password: str = PASSWORD, **body: Any) -> str:
        response = self.client.post(
            "/api/auth/token", json={"username": username, "password": password, **body}
        )
        assert response.status_code == 201, response.json
        return str(response.json["token"])


def session_cookie(client: Any, name: str = "potion_session") -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie is not None else None


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(params=database_params())
def database(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def authenv(database: str, tmp_path: Any) -> Iterator[AuthEnv]:
    env = AuthEnv(database, sqlalchemy_url(database, tmp_path))
    env.create_all()
    try:
        yield env
    finally:
        env.close()


@pytest.fixture
def sqlite_env(tmp_path: Any) -> Iterator[AuthEnv]:
    """The app on SQLite only, for tests whose subject is not the database."""
    env = AuthEnv("sqlite", sqlalchemy_url("sqlite", tmp_path))
    env.create_all()
    try:
        yield env
    finally:
        env.close()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own on the test Redis; skips when Redis is absent."""
    try:
        import redis
    except ImportError:
        pytest.skip("the redis package is not installed")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as exc:  # no server
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    prefix = f"potion-test:{os.getpid()}:{uuid.uuid4().hex}:"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
        client.close()
