"""Passwords: Argon2id hashes, upgrades of old hashes at login, and the validators."""

from __future__ import annotations

import pytest

from potion.contrib.auth.passwords import (
    PasswordHasher,
    common_passwords,
    make_pbkdf2,
    validate_password,
)
from potion.exceptions import ValidationError

from . import auth_env
from .auth_env import PASSWORD, bearer

database = auth_env.database
authenv = auth_env.authenv
sqlite_env = auth_env.sqlite_env

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def messages(password, user=None, config=None, field="password"):
    try:
        validate_password(password, user, config, field)
    except ValidationError as error:
        assert all(e["path"] == [field] for e in error.errors)
        assert error.status_code == 400
        return [e["message"] for e in error.errors]
    return []


# -- hashing ----------------------------------------------------------------------------------


def test_hashes_are_salted_argon2id():
    first, second = CHEAP.hash("same password"), CHEAP.hash("same password")
    assert first.startswith("$argon2id$") and second.startswith("$argon2id$")
    assert first != second
    assert CHEAP.verify(first, "same password")
    assert not CHEAP.verify(first, "Same password")
    assert not CHEAP.verify(None, "x")
    assert not CHEAP.verify("garbage", "x")


def test_needs_rehash_when_costs_change():
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    old = CHEAP.hash("pw")
    assert not CHEAP.needs_rehash(old)
    assert stronger.needs_rehash(old)
    assert stronger.verify(old, "pw")  # still accepted until it is replaced
    assert CHEAP.needs_rehash(make_pbkdf2("pw", "salt", 1000))


def test_old_pbkdf2_hashes_are_checked():
    stored = make_pbkdf2("secret words", "saltsalt", 1000)
    assert CHEAP.verify(stored, "secret words")
    assert not CHEAP.verify(stored, "secret word")
    assert not CHEAP.verify("pbkdf2_sha256$x$y", "secret words")


def test_hash_is_upgraded_at_the_next_login(authenv):
    authenv.user("alice")
    old = authenv.password_hash("alice")
    assert "t=1," in old
    stronger = authenv.twin(POTION_AUTH_ARGON2_TIME_COST=2)
    try:
        stronger.login("alice")
        new = authenv.password_hash("alice")
        assert new != old and new.startswith("$argon2id$") and "t=2," in new
        # and a failed login changes nothing
        stronger.new_client().post("/api/auth/login", json={"username": "alice", "password": "x"})
        assert authenv.password_hash("alice") == new
    finally:
        stronger.close(drop=False)


def test_pbkdf2_hash_is_upgraded_at_login(authenv):
    user_id = authenv.user("alice")
    legacy = make_pbkdf2(PASSWORD, "oldsalt", 1000)
    with authenv.engine.begin() as connection:
        from sqlalchemy import text

        connection.execute(
            text("update auth_user set password_hash = :h where id = :u"),
            {"h": legacy, "u": user_id},
        )
    token = authenv.token("alice")  # the token route upgrades too
    assert token
    assert authenv.password_hash("alice").startswith("$argon2id$")
    authenv.login("alice")


def test_hash_is_never_readable(sqlite_env):
    user_id = sqlite_env.user("root", is_superuser=True)
    token = sqlite_env.token("root")
    client = sqlite_env.new_client()
    for url in ("/api/user", f"/api/user/{user_id}", "/api/user/me"):
        body = client.get(url, headers=bearer(token)).get_data(as_text=True)
        assert "argon2" not in body and "password" not in body
    schema = client.get("/api/user/schema").json
    assert "password_hash" not in schema["properties"]
    assert "password" not in schema["properties"]  # write-only: not in the read schema
    where = client.get(
        '/api/user?where={"password_hash": {"$startswith": "$argon2"}}', headers=bearer(token)
    )
    assert where.status_code == 400


# -- validators -------------------------------------------------------------------------------


def test_minimum_length():
    assert messages("short1!") == ["The password must have at least 10 characters"]
    assert messages("x" * 9 + "y", config={"POTION_AUTH_PASSWORD_MIN_LENGTH": 12}) == [
        "The password must have at least 12 characters"
    ]
    assert messages("a reasonably long one") == []


def test_not_entirely_numeric():
    assert "The password must not be entirely numeric" in messages("73920184657")


def test_not_similar_to_the_user():
    user = {"username": "margaret", "email": "maggie.smith@example.org"}
    assert messages("margaret1234", user) == ["The password is too similar to the username"]
    assert messages("Margaret-2024", user) == ["The password is too similar to the username"]
    assert messages("maggie.smith@example", user) == ["The password is too similar to the email"]
    assert messages("unrelated long phrase", user) == []
    assert messages("margaret1234") == []  # no user to compare with


def test_not_common():
    common = common_passwords()
    assert len(common) > 50_000
    for password in ("password123", "Qwerty123456", "iloveyou2024", "P@ssw0rd1", "letmein!!"):
        assert password.lower() in common
        assert "The password is too common" in messages(
            password, config={"POTION_AUTH_PASSWORD_MIN_LENGTH": 4}
        )
    assert "correct horse battery staple" not in common


def test_every_failure_is_listed():
    found = messages("123456")
    assert "The password must have at least 10 characters" in found
    assert "The password must not be entirely numeric" in found
    assert "The password is too common" in found


def test_too_long_and_not_a_string():
    assert messages("x" * 2000) == ["The password must have at most 1024 characters"]
    assert messages(12345) == ["The password must be a string"]


def test_validators_are_configurable():
    def no_spaces(password, user, config):
        return "No spaces" if " " in password else None

    config = {"POTION_AUTH_PASSWORD_VALIDATORS": ["minimum_length", no_spaces]}
    assert messages("has a space in it", config=config) == ["No spaces"]
    assert messages("12345678901", config=config) == []
    with pytest.raises(ValueError, match="Unknown password validator 'nope'"):
        validate_password("x", None, {"POTION_AUTH_PASSWORD_VALIDATORS": ["nope"]})


def test_validators_run_on_the_api_and_name_the_field(sqlite_env):
    sqlite_env.user("root", is_superuser=True, is_staff=True)
    token = sqlite_env.token("root")
    before = sqlite_env.snapshot()
    response = sqlite_env.new_client().post(
        "/api/user",
        json={"username": "bob", "password": "bob12345678"},
        headers=bearer(token),
    )
    assert response.status_code == 400
    assert response.json["errors"] == [
        {"path": ["password"], "message": "The password is too similar to the username"}
    ]
    change = sqlite_env.new_client().post(
        "/api/user/me/password",
        json={"old_password": PASSWORD, "new_password": "1234567890"},
        headers=bearer(token),
    )
    assert change.status_code == 400
    assert {e["path"][0] for e in change.json["errors"]} == {"new_password"}
    assert sqlite_env.snapshot() == before
