"""contrib.auth API tokens: issue, use, expiry, revocation, revocation on password change."""

from __future__ import annotations

import datetime
import hashlib

from sqlalchemy import text

from . import auth_env
from .auth_env import PASSWORD, bearer

database = auth_env.database
authenv = auth_env.authenv
sqlite_env = auth_env.sqlite_env


def test_token_is_issued_once_and_stored_as_a_hash(authenv):
    user_id = authenv.user("alice")
    response = authenv.client.post(
        "/api/auth/token", json={"username": "alice", "password": PASSWORD, "name": "laptop"}
    )
    assert response.status_code == 201
    body = response.json
    assert set(body) == {"token", "id", "name", "created", "expires"}
    token = body["token"]
    assert token.startswith("potion_") and len(token) > 40
    assert body["name"] == "laptop"
    stored = authenv.scalar("select key_hash from auth_token where id = :i", i=body["id"])
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(authenv.snapshot())
    assert authenv.scalar("select user_id from auth_token where id = :i", i=body["id"]) == user_id
    # issuing a token starts no session
    assert authenv.count("auth_session") == 0
    expires = datetime.datetime.fromisoformat(body["expires"].rstrip("Z"))
    created = datetime.datetime.fromisoformat(body["created"].rstrip("Z"))
    assert datetime.timedelta(days=29) < expires - created <= datetime.timedelta(days=30, seconds=5)
    # the list shows it, without the secret
    listed = authenv.client.get("/api/auth/token", headers=bearer(token)).json
    assert listed == [{k: v for k, v in body.items() if k != "token"}]


def test_token_authenticates_without_cookie_or_csrf(authenv):
    authenv.user("alice")
    token = authenv.token("alice")
    client = authenv.new_client()
    me = client.get("/api/user/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json["username"] == "alice"
    assert client.get_cookie("potion_session") is None
    # an unsafe request needs no CSRF token with a bearer token
    patched = client.patch(me.json["$uri"], json={"email": "a@example.org"}, headers=bearer(token))
    assert patched.status_code == 200
    assert patched.json["email"] == "a@example.org"
    session = client.get("/api/auth/session", headers=bearer(token)).json
    assert session["auth_type"] == "token"
    assert "csrf_token" not in session


def test_token_takes_precedence_over_a_cookie(sqlite_env):
    sqlite_env.user("alice")
    sqlite_env.user("bob")
    sqlite_env.login("alice")
    token = sqlite_env.token("bob")
    assert sqlite_env.client.get("/api/user/me", headers=bearer(token)).json["username"] == "bob"
    assert sqlite_env.client.get("/api/user/me").json["username"] == "alice"


def test_bad_tokens_are_401_with_www_authenticate(sqlite_env):
    sqlite_env.user("alice")
    token = sqlite_env.token("alice")
    for bad in (
        "nonsense",
        "potion_" + "x" * 43,
        token + "x",
        token[:-1],
        "potion_" + "a" * 500,
        "",
    ):
        response = sqlite_env.new_client().get("/api/user/me", headers=bearer(bad))
        assert response.status_code == 401, bad
        assert response.json["message"] == "The token is invalid, expired or revoked"
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    # also on routes anyone may read: a bad token is never taken for anonymous
    assert sqlite_env.new_client().get("/api/schema", headers=bearer("nonsense")).status_code == 401


def test_expired_token_is_401(authenv):
    authenv.user("alice")
    token = authenv.token("alice")
    with authenv.engine.begin() as connection:
        connection.execute(
            text("update auth_token set expires_at = :t"),
            {"t": datetime.datetime(2000, 1, 1)},
        )
    response = authenv.new_client().get("/api/user/me", headers=bearer(token))
    assert response.status_code == 401
    assert "invalid_token" in response.headers["WWW-Authenticate"]
    with authenv.app.app_context():
        assert authenv.auth.purge()["tokens"] == 1
    assert authenv.count("auth_token") == 0


def test_token_expiry_can_be_chosen_within_the_maximum(sqlite_env):
    sqlite_env.user("alice")
    response = sqlite_env.client.post(
        "/api/auth/token",
        json={"username": "alice", "password": PASSWORD, "expires_in_days": 1},
    )
    assert response.status_code == 201
    body = response.json
    expires = datetime.datetime.fromisoformat(body["expires"].rstrip("Z"))
    created = datetime.datetime.fromisoformat(body["created"].rstrip("Z"))
    assert datetime.timedelta(hours=23) < expires - created <= datetime.timedelta(days=1, seconds=5)
    too_long = sqlite_env.client.post(
        "/api/auth/token",
        json={"username": "alice", "password": PASSWORD, "expires_in_days": 10000},
    )
    assert too_long.status_code == 400
    assert too_long.json["errors"][0]["path"] == ["expires"]
    assert sqlite_env.count("auth_token") == 1


def test_token_of_a_deactivated_user_is_401(sqlite_env):
    user_id = sqlite_env.user("alice")
    token = sqlite_env.token("alice")
    with sqlite_env.engine.begin() as connection:
        connection.execute(
            text("update auth_user set is_active = false where id = :u"), {"u": user_id}
        )
    assert sqlite_env.new_client().get("/api/user/me", headers=bearer(token)).status_code == 401


def test_revoke_a_token(authenv):
    authenv.user("alice")
    token = authenv.token("alice")
    keep = authenv.token("alice")
    token_id = authenv.new_client().get("/api/auth/token", headers=bearer(token)).json[0]["id"]
    response = authenv.new_client().delete(f"/api/auth/token/{token_id}", headers=bearer(keep))
    assert response.status_code == 204
    assert authenv.new_client().get("/api/user/me", headers=bearer(token)).status_code == 401
    assert authenv.new_client().get("/api/user/me", headers=bearer(keep)).status_code == 200
    again = authenv.new_client().delete(f"/api/auth/token/{token_id}", headers=bearer(keep))
    assert again.status_code == 404
    assert authenv.count("auth_token") == 1


def test_a_token_revokes_itself(sqlite_env):
    sqlite_env.user("alice")
    token = sqlite_env.token("alice")
    token_id = sqlite_env.new_client().get("/api/auth/token", headers=bearer(token)).json[0]["id"]
    assert (
        sqlite_env.new_client()
        .delete(f"/api/auth/token/{token_id}", headers=bearer(token))
        .status_code
        == 204
    )
    assert sqlite_env.new_client().get("/api/user/me", headers=bearer(token)).status_code == 401


def test_only_the_owner_or_a_superuser_revokes_a_token(authenv):
    authenv.user("alice")
    authenv.user("bob")
    authenv.user("root", is_superuser=True)
    alice = authenv.token("alice")
    alice_id = authenv.new_client().get("/api/auth/token", headers=bearer(alice)).json[0]["id"]
    bob = authenv.token("bob")
    response = authenv.new_client().delete(f"/api/auth/token/{alice_id}", headers=bearer(bob))
    assert response.status_code == 404  # another user's token does not exist for bob
    assert authenv.new_client().get("/api/user/me", headers=bearer(alice)).status_code == 200
    anonymous = authenv.new_client().delete(f"/api/auth/token/{alice_id}")
    assert anonymous.status_code == 401
    root = authenv.token("root")
    assert (
        authenv.new_client().delete(f"/api/auth/token/{alice_id}", headers=bearer(root)).status_code
        == 204
    )
    assert authenv.new_client().get("/api/user/me", headers=bearer(alice)).status_code == 401


def test_revoking_by_session_needs_csrf(sqlite_env):
    sqlite_env.user("alice")
    token = sqlite_env.token("alice")
    token_id = sqlite_env.new_client().get("/api/auth/token", headers=bearer(token)).json[0]["id"]
    csrf = sqlite_env.login("alice")
    assert sqlite_env.client.delete(f"/api/auth/token/{token_id}").status_code == 403
    assert sqlite_env.count("auth_token") == 1
    response = sqlite_env.client.delete(
        f"/api/auth/token/{token_id}", headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 204
    assert sqlite_env.count("auth_token") == 0


def test_password_change_revokes_every_token(authenv):
    authenv.user("alice")
    first = authenv.token("alice")
    second = authenv.token("alice")
    response = authenv.new_client().post(
        "/api/user/me/password",
        json={"old_password": PASSWORD, "new_password": "a new and long passphrase"},
        headers=bearer(first),
    )
    assert response.status_code == 204, response.json
    for token in (first, second):
        assert authenv.new_client().get("/api/user/me", headers=bearer(token)).status_code == 401
    assert authenv.count("auth_token") == 0
    # the new password works, the old one does not
    assert (
        authenv.client.post(
            "/api/auth/token", json={"username": "alice", "password": PASSWORD}
        ).status_code
        == 401
    )
    authenv.token("alice", "a new and long passphrase")


def test_password_set_by_staff_revokes_the_users_tokens(sqlite_env):
    alice_id = sqlite_env.user("alice")
    sqlite_env.user("staff", is_staff=True)
    token = sqlite_env.token("alice")
    staff = sqlite_env.token("staff")
    response = sqlite_env.new_client().patch(
        f"/api/user/{alice_id}", json={"password": "a fresh long passphrase"}, headers=bearer(staff)
    )
    assert response.status_code == 200, response.json
    assert sqlite_env.new_client().get("/api/user/me", headers=bearer(token)).status_code == 401
    assert sqlite_env.new_client().get("/api/user/me", headers=bearer(staff)).status_code == 200
