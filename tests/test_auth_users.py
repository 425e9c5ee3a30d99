"""The User resource: what anonymous requests, a user, staff and superusers may do."""

from __future__ import annotations

import pytest

from . import auth_env
from .auth_env import PASSWORD, bearer

database = auth_env.database
authenv = auth_env.authenv
sqlite_env = auth_env.sqlite_env

NEW = "a brand new passphrase"


@pytest.fixture
def people(authenv):
    """alice and bob (users), sam (staff), root (superuser); a bearer header for each."""
    ids = {
        "alice": authenv.user("alice", email="alice@example.org"),
        "bob": authenv.user("bob"),
        "sam": authenv.user("sam", is_staff=True),
        "root": authenv.user("root", is_staff=True, is_superuser=True),
    }
    authenv.role("editor", "alice")
    headers = {name: bearer(authenv.token(name)) for name in ids}
    return authenv, ids, headers


def call(env, method, url, who=None, headers=None, **kwargs):
    return getattr(env.new_client(), method)(
        url, headers=headers.get(who) if who else None, **kwargs
    )


# -- anonymous ----------------------------------------------------------------------------------


def test_anonymous_gets_401_everywhere(people):
    env, ids, headers = people
    before = env.snapshot()
    requests = [
        ("get", "/api/user", None),
        ("get", f"/api/user/{ids['alice']}", None),
        ("get", "/api/user/me", None),
        ("post", "/api/user", {"username": "eve", "password": NEW}),
        ("patch", f"/api/user/{ids['alice']}", {"email": "eve@example.org"}),
        ("delete", f"/api/user/{ids['alice']}", None),
        ("post", "/api/user/me/password", {"old_password": PASSWORD, "new_password": NEW}),
        ("get", "/api/role", None),
        ("post", "/api/role", {"name": "admin"}),
        ("get", "/api/auth/token", None),
    ]
    for method, url, body in requests:
        response = call(env, method, url, json=body) if body else call(env, method, url)
        assert response.status_code == 401, (method, url, response.json)
        assert response.json["message"] == "Authentication is required"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert env.snapshot() == before


# -- a user and itself ----------------------------------------------------------------------------


def test_user_reads_itself_and_nobody_else(people):
    env, ids, headers = people
    me = call(env, "get", "/api/user/me", "alice", headers)
    assert me.status_code == 200
    assert me.json["$uri"] == f"/api/user/{ids['alice']}"
    assert me.json["roles"] == [{"$ref": "/api/role/1"}]
    listed = call(env, "get", "/api/user", "alice", headers)
    assert [u["username"] for u in listed.json] == ["alice"]
    assert listed.headers["X-Total-Count"] == "1"
    other = call(env, "get", f"/api/user/{ids['bob']}", "alice", headers)
    assert other.status_code == 404
    filtered = call(env, "get", '/api/user?where={"username": "bob"}', "alice", headers)
    assert filtered.json == []
    assert call(env, "get", f"/api/user/{ids['alice']}", "alice", headers).json == me.json


def test_user_updates_its_own_profile(people):
    env, ids, headers = people
    url = f"/api/user/{ids['alice']}"
    response = call(env, "patch", url, "alice", headers, json={"email": "new@example.org"})
    assert response.status_code == 200
    assert response.json["email"] == "new@example.org"
    renamed = call(env, "patch", url, "alice", headers, json={"username": "Alicia"})
    assert renamed.status_code == 200
    assert (
        env.scalar("select username_key from auth_user where id = :i", i=ids["alice"]) == "alicia"
    )


@pytest.mark.parametrize(
    "change",
    [
        {"is_staff": True},
        {"is_superuser": True},
        {"is_active": False},
        {"roles": []},
        {"password": NEW},
        {"email": "x@example.org", "is_staff": True},
    ],
)
def test_user_cannot_raise_itself(people, change):
    env, ids, headers = people
    before = env.snapshot()
    response = call(env, "patch", f"/api/user/{ids['alice']}", "alice", headers, json=change)
    assert response.status_code == 403, response.json
    assert env.snapshot() == before


def test_unchanged_flags_in_a_full_form_are_accepted(people):
    env, ids, headers = people
    response = call(
        env,
        "patch",
        f"/api/user/{ids['alice']}",
        "alice",
        headers,
        json={
            "email": "a2@example.org",
            "is_staff": False,
            "is_active": True,
            "roles": [{"$ref": "/api/role/1"}],
        },
    )
    assert response.status_code == 200, response.json


def test_user_cannot_touch_another_user(people):
    env, ids, headers = people
    before = env.snapshot()
    url = f"/api/user/{ids['bob']}"
    assert (
        call(env, "patch", url, "alice", headers, json={"email": "x@example.org"}).status_code
        == 404
    )
    assert call(env, "delete", url, "alice", headers).status_code == 404
    created = call(
        env, "post", "/api/user", "alice", headers, json={"username": "eve", "password": NEW}
    )
    assert created.status_code == 403
    assert env.snapshot() == before


def test_password_change_needs_the_old_password(people):
    env, ids, headers = people
    before = env.snapshot()
    wrong = call(
        env,
        "post",
        "/api/user/me/password",
        "alice",
        headers,
        json={"old_password": "not it", "new_password": NEW},
    )
    assert wrong.status_code == 400
    assert wrong.json["errors"] == [
        {"path": ["old_password"], "message": "The old password is wrong"}
    ]
    assert env.snapshot() == before
    right = call(
        env,
        "post",
        "/api/user/me/password",
        "alice",
        headers,
        json={"old_password": PASSWORD, "new_password": NEW},
    )
    assert right.status_code == 204
    env.login("alice", NEW)


def test_a_user_cannot_delete_itself(people):
    env, ids, headers = people
    assert call(env, "delete", f"/api/user/{ids['alice']}", "alice", headers).status_code == 403
    assert call(env, "delete", f"/api/user/{ids['root']}", "root", headers).status_code == 403
    assert env.count("auth_user") == 4


# -- staff -----------------------------------------------------------------------------------------


def test_staff_lists_and_reads_everyone(people):
    env, ids, headers = people
    listed = call(env, "get", "/api/user", "sam", headers)
    assert sorted(u["username"] for u in listed.json) == ["alice", "bob", "root", "sam"]
    assert call(env, "get", f"/api/user/{ids['root']}", "sam", headers).status_code == 200


def test_staff_manages_ordinary_users(people):
    env, ids, headers = people
    created = call(
        env,
        "post",
        "/api/user",
        "sam",
        headers,
        json={"username": "carol", "email": "carol@example.org", "password": NEW},
    )
    assert created.status_code == 200, created.json
    url = created.json["$uri"]
    assert "password" not in created.json
    assert env.password_hash("carol").startswith("$argon2id$")
    env.login("carol", NEW)
    deactivated = call(env, "patch", url, "sam", headers, json={"is_active": False})
    assert deactivated.status_code == 200
    assert deactivated.json["is_active"] is False
    assert call(env, "delete", url, "sam", headers).status_code == 204
    assert env.count("auth_user", "where username = 'carol'") == 0


@pytest.mark.parametrize(
    "body",
    [
        {"username": "x1", "password": NEW, "is_staff": True},
        {"username": "x1", "password": NEW, "is_superuser": True},
        {"username": "x1", "password": NEW, "roles": [{"$ref": "/api/role/1"}]},
    ],
)
def test_staff_cannot_create_privileged_users(people, body):
    env, ids, headers = people
    before = env.snapshot()
    assert call(env, "post", "/api/user", "sam", headers, json=body).status_code == 403
    assert env.snapshot() == before


def test_staff_cannot_raise_or_touch_privileged_users(people):
    env, ids, headers = people
    before = env.snapshot()
    bob = f"/api/user/{ids['bob']}"
    for change in (
        {"is_staff": True},
        {"is_superuser": True},
        {"roles": [{"$ref": "/api/role/1"}]},
    ):
        assert call(env, "patch", bob, "sam", headers, json=change).status_code == 403
    root = f"/api/user/{ids['root']}"
    assert call(env, "patch", root, "sam", headers, json={"email": "r@x.org"}).status_code == 403
    assert call(env, "patch", root, "sam", headers, json={"password": NEW}).status_code == 403
    assert call(env, "delete", root, "sam", headers).status_code == 403
    assert env.snapshot() == before


def test_duplicate_username_is_409_naming_the_field(people):
    env, ids, headers = people
    before = env.snapshot()
    for name in ("alice", "ALICE"):
        response = call(
            env, "post", "/api/user", "sam", headers, json={"username": name, "password": NEW}
        )
        assert response.status_code == 409
        assert response.json["errors"] == [{"path": ["username"], "validationOf": {"unique": True}}]
    renamed = call(
        env, "patch", f"/api/user/{ids['bob']}", "sam", headers, json={"username": "Alice"}
    )
    assert renamed.status_code == 409
    assert env.snapshot() == before


# -- superuser ---------------------------------------------------------------------------------------


def test_superuser_manages_everyone(people):
    env, ids, headers = people
    sam = f"/api/user/{ids['sam']}"
    response = call(
        env,
        "patch",
        sam,
        "root",
        headers,
        json={"is_superuser": True, "roles": [{"$ref": "/api/role/1"}]},
    )
    assert response.status_code == 200, response.json
    assert response.json["is_superuser"] is True
    assert response.json["roles"] == [{"$ref": "/api/role/1"}]
    bob = f"/api/user/{ids['bob']}"
    assert (
        call(env, "patch", bob, "root", headers, json={"is_staff": True}).json["is_staff"] is True
    )
    created = call(
        env,
        "post",
        "/api/user",
        "root",
        headers,
        json={"username": "dave", "password": NEW, "is_staff": True},
    )
    assert created.status_code == 200
    assert created.json["is_staff"] is True
    assert call(env, "delete", sam, "root", headers).status_code == 204


def test_superuser_cannot_demote_itself(people):
    env, ids, headers = people
    root = f"/api/user/{ids['root']}"
    assert (
        call(env, "patch", root, "root", headers, json={"is_superuser": False}).status_code == 403
    )


def test_roles_are_read_by_users_and_managed_by_superusers(people):
    env, ids, headers = people
    assert call(env, "get", "/api/role", "alice", headers).json == [
        {"$uri": "/api/role/1", "description": "", "name": "editor"}
    ]
    assert call(env, "post", "/api/role", "sam", headers, json={"name": "x"}).status_code == 403
    assert (
        call(env, "patch", "/api/role/1", "alice", headers, json={"name": "x"}).status_code == 403
    )
    created = call(env, "post", "/api/role", "root", headers, json={"name": "librarian"})
    assert created.status_code == 200
    # a role by its natural key
    bob = f"/api/user/{ids['bob']}"
    response = call(env, "patch", bob, "root", headers, json={"roles": ["librarian"]})
    assert response.status_code == 200, response.json
    assert response.json["roles"] == [{"$ref": created.json["$uri"]}]


def test_user_schema_describes_the_fields(sqlite_env):
    schema = sqlite_env.client.get("/api/user/schema").json
    assert set(schema["properties"]) == {
        "$uri",
        "username",
        "email",
        "is_active",
        "is_staff",
        "is_superuser",
        "date_joined",
        "last_login",
        "roles",
    }
    update = next(link for link in schema["links"] if link["rel"] == "update")
    assert update["schema"]["properties"]["password"]["type"] == "string"
    assert "password_hash" not in update["schema"]["properties"]
    assert {link["rel"] for link in schema["links"]} >= {"me", "changePassword"}
