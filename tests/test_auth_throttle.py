"""Throttling of login and token attempts, counted in the database (or Redis), so two
workers (two app instances on one database) share the count."""

from __future__ import annotations

import pytest

from . import auth_env
from .auth_env import PASSWORD, AuthEnv

database = auth_env.database
authenv = auth_env.authenv
redis_prefix = auth_env.redis_prefix

LIMITS = {
    "POTION_AUTH_THROTTLE_USERNAME_LIMIT": 3,
    "POTION_AUTH_THROTTLE_ADDRESS_LIMIT": 5,
    "POTION_AUTH_THROTTLE_WINDOW": 600,
}


@pytest.fixture
def workers(database, tmp_path):
    """Two apps (two gunicorn workers, say) on one database, with small limits."""
    first = AuthEnv(database, auth_env.sqlalchemy_url(database, tmp_path), **LIMITS)
    first.create_all()
    second = first.twin()
    try:
        yield first, second
    finally:
        second.close(drop=False)
        first.close()


def attempt(env, username, password="wrong", route="/api/auth/login", address="10.0.0.1"):
    return env.new_client().post(
        route,
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_failures_are_counted_across_workers(workers):
    first, second = workers
    first.user("alice")
    assert attempt(first, "alice").status_code == 401
    assert attempt(second, "alice").status_code == 401
    assert attempt(first, "alice").status_code == 401
    # the third failure was on the first worker; the second worker refuses the fourth
    refused = attempt(second, "alice", PASSWORD)
    assert refused.status_code == 429
    retry_after = int(refused.headers["Retry-After"])
    assert 0 < retry_after <= 600
    assert refused.json["retry_after"] == retry_after
    assert refused.json["status"] == 429
    # the right password does not get through while the username is locked
    assert attempt(first, "alice", PASSWORD).status_code == 429
    assert first.count("auth_session") == 0
    # nor through the token route
    token = attempt(first, "alice", PASSWORD, route="/api/auth/token")
    assert token.status_code == 429
    assert first.count("auth_token") == 0


def test_username_counter_ignores_case(workers):
    first, second = workers
    for name in ("alice", "ALICE", "Alice"):
        assert attempt(first, name).status_code == 401
    assert attempt(second, "aLiCe", PASSWORD).status_code == 429


def test_unknown_usernames_are_counted_too(workers):
    first, second = workers
    for _ in range(3):
        assert attempt(first, "ghost").status_code == 401
    assert attempt(second, "ghost").status_code == 429


def test_address_limit_across_usernames(workers):
    first, second = workers
    first.user("alice")
    for index in range(5):
        env = first if index % 2 else second
        assert attempt(env, f"user{index}", address="10.9.9.9").status_code == 401
    assert attempt(first, "alice", PASSWORD, address="10.9.9.9").status_code == 429
    # another address is not affected
    assert attempt(second, "alice", PASSWORD, address="10.1.1.1").status_code == 200


def test_successful_login_clears_the_usernames_counter(workers):
    first, second = workers
    first.user("alice")
    assert attempt(first, "alice").status_code == 401
    assert attempt(second, "alice").status_code == 401
    assert attempt(first, "alice", PASSWORD).status_code == 200
    assert attempt(second, "alice").status_code == 401
    assert attempt(first, "alice").status_code == 401
    assert attempt(second, "alice", PASSWORD).status_code == 200


def test_failures_leave_the_window(workers):
    first, second = workers
    first.user("alice")
    for _ in range(3):
        attempt(first, "alice")
    assert attempt(second, "alice", PASSWORD).status_code == 429
    with first.engine.begin() as connection:
        from sqlalchemy import text

        connection.execute(text("update auth_attempt set at = at - 601000"))
    assert attempt(second, "alice", PASSWORD).status_code == 200
    with first.app.app_context():
        assert first.auth.purge()["attempts"] >= 1


def test_no_username_or_address_is_stored_in_clear(workers):
    first, _ = workers
    attempt(first, "alice@example.org", address="192.0.2.7")
    rows = first.scalar_rows("select key_hash from auth_attempt")
    assert len(rows) == 2
    assert not any("alice" in row[0] or "192.0.2" in row[0] for row in rows)


def test_wrong_old_password_is_throttled(workers):
    first, _ = workers
    first.user("alice")
    token = first.token("alice")
    client = first.new_client()
    for _ in range(3):
        response = client.post(
            "/api/user/me/password",
            json={"old_password": "wrong", "new_password": "a new and long passphrase"},
            headers=auth_env.bearer(token),
        )
        assert response.status_code == 400
        assert response.json["errors"][0]["path"] == ["old_password"]
    response = client.post(
        "/api/user/me/password",
        json={"old_password": PASSWORD, "new_password": "a new and long passphrase"},
        headers=auth_env.bearer(token),
    )
    assert response.status_code == 429


def test_throttling_in_redis_across_workers(tmp_path, redis_prefix):
    import redis

    config = dict(
        LIMITS, POTION_AUTH_REDIS_URL=auth_env.REDIS_URL, POTION_AUTH_REDIS_PREFIX=redis_prefix
    )
    first = AuthEnv("sqlite", f"sqlite:///{tmp_path}/x.db", **config)
    first.create_all()
    second = first.twin()
    client = redis.Redis.from_url(auth_env.REDIS_URL)
    try:
        first.user("alice")
        assert attempt(first, "alice").status_code == 401
        assert attempt(second, "alice").status_code == 401
        assert attempt(first, "alice", PASSWORD).status_code == 200  # clears alice's count
        for env in (second, first, second):
            assert attempt(env, "alice").status_code == 401
        refused = attempt(first, "alice", PASSWORD)
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 600
        assert first.count("auth_attempt") == 0  # all of it in Redis
        keys = list(client.scan_iter(match=redis_prefix + "attempts:*"))
        assert len(keys) == 2  # alice's username and the address
        assert all(0 < client.pttl(key) <= 600_000 for key in keys)
    finally:
        client.close()
        second.close(drop=False)
        first.close()
