"""Unsafe input on every auth route: wrong types, missing and unknown fields, bodies that
are not JSON or too large, unknown users.  Each answers a JSON 4xx and changes nothing."""

from __future__ import annotations

import pytest

from . import auth_env
from .auth_env import PASSWORD, bearer

database = auth_env.database
authenv = auth_env.authenv
sqlite_env = auth_env.sqlite_env

HUGE = "x" * (1024 * 1024 + 10)

#: (method, url, who sends it) of every auth route taking a body
ROUTES = [
    ("post", "/api/auth/login", None),
    ("post", "/api/auth/token", None),
    ("post", "/api/user/me/password", "alice"),
    ("post", "/api/user", "root"),
    ("patch", "/api/user/{alice}", "root"),
    ("patch", "/api/user/{alice}", "alice"),
    ("post", "/api/role", "root"),
]

BAD_BODIES = [
    pytest.param({"username": 12, "password": PASSWORD}, id="number-username"),
    pytest.param({"username": "alice", "password": ["x"]}, id="list-password"),
    pytest.param({"username": None, "password": None}, id="nulls"),
    pytest.param({"username": "alice"}, id="missing-password"),
    pytest.param({}, id="empty-object"),
    pytest.param([], id="a-list"),
    pytest.param("alice", id="a-string"),
    pytest.param(
        {"username": "alice", "password": PASSWORD, "is_superuser": True, "x": 1}, id="extra-fields"
    ),
    pytest.param({"username": "alice", "password": "x" * 5000}, id="long-password"),
    pytest.param({"username": "a" * 151, "password": PASSWORD}, id="long-username"),
    pytest.param({"username": "al ice\n", "password": PASSWORD}, id="bad-username"),
    pytest.param({"old_password": 1, "new_password": {}}, id="password-types"),
    pytest.param({"name": ["x"]}, id="role-name-type"),
    pytest.param({"email": 5, "is_staff": "yes"}, id="profile-types"),
    pytest.param({"roles": [{"$ref": "/api/role/999"}]}, id="missing-role"),
]


@pytest.fixture
def people(sqlite_env):
    ids = {
        "alice": sqlite_env.user("alice"),
        "root": sqlite_env.user("root", is_superuser=True, is_staff=True),
    }
    headers = {name: bearer(sqlite_env.token(name)) for name in ids}
    return sqlite_env, ids, headers


def send(env, method, url, who, headers, ids, **kwargs):
    url = url.format(**ids)
    return getattr(env.new_client(), method)(
        url, headers=headers.get(who) if who else None, **kwargs
    )


def assert_json_4xx(response):
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:200]
    assert response.headers["Content-Type"] == "application/json"
    body = response.json
    assert body["status"] == response.status_code
    assert body["message"]
    return body


@pytest.mark.parametrize("method, url, who", ROUTES)
@pytest.mark.parametrize("body", BAD_BODIES)
def test_bad_json_bodies(people, method, url, who, body):
    env, ids, headers = people
    before = env.snapshot()
    response = send(env, method, url, who, headers, ids, json=body)
    if method == "patch" and body in ({}, {"username": "alice"}):
        assert response.status_code == 200  # a valid update that changes nothing
    else:
        assert_json_4xx(response)
    assert env.snapshot() == before


@pytest.mark.parametrize("method, url, who", ROUTES)
def test_bodies_that_are_not_json(people, method, url, who):
    env, ids, headers = people
    before = env.snapshot()
    for kwargs in (
        {"data": "username=alice&password=x", "content_type": "application/x-www-form-urlencoded"},
        {"data": "{not json", "content_type": "application/json"},
        {"data": b"\xff\xfe\x00", "content_type": "application/json"},
        {"data": "", "content_type": "application/json"},
        {"data": "null", "content_type": "application/json"},
    ):
        assert_json_4xx(send(env, method, url, who, headers, ids, **kwargs))
    assert env.snapshot() == before


@pytest.mark.parametrize("method, url, who", ROUTES)
def test_huge_bodies(people, method, url, who):
    env, ids, headers = people
    before = env.snapshot()
    response = send(env, method, url, who, headers, ids, json={"username": HUGE, "password": HUGE})
    assert response.status_code == 413
    assert_json_4xx(response)
    assert env.snapshot() == before


def test_unknown_users(people):
    env, ids, headers = people
    before = env.snapshot()
    for url in ("/api/auth/login", "/api/auth/token"):
        response = env.new_client().post(url, json={"username": "nobody", "password": PASSWORD})
        assert response.status_code == 401
        assert_json_4xx(response)
    for method in ("get", "patch", "delete"):
        response = send(
            env, method, "/api/user/999", "root", headers, ids, json={"email": "x@y.org"}
        )
        assert response.status_code == 404
        assert_json_4xx(response)
    response = send(env, "delete", "/api/auth/token/999", "root", headers, ids)
    assert response.status_code == 404
    assert_json_4xx(response)
    assert_json_4xx(send(env, "delete", "/api/auth/token/abc", "root", headers, ids))
    assert env.snapshot() == before


def test_logout_without_a_session_changes_nothing(people):
    env, ids, headers = people
    before = env.snapshot()
    response = env.new_client().post("/api/auth/logout")
    assert response.status_code == 204
    assert env.snapshot() == before


@pytest.mark.parametrize(
    "data",
    [
        {"username": "", "password": ""},
        {"username": "alice"},
        {"username": "a" * 151, "password": "x"},
        {"username": "alice", "password": "p" * 5000},
        {"username": "nobody", "password": "x"},
    ],
)
def test_html_login_refuses_bad_forms_in_json(people, data):
    env, ids, headers = people
    client = env.new_client()
    html = client.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    before = env.snapshot()
    response = client.post("/login", data={**data, "csrf_token": token})
    body = assert_json_4xx(response)
    assert body["status"] in (400, 401)
    assert env.snapshot() == before


def test_html_login_refuses_huge_forms(people):
    env, ids, headers = people
    client = env.new_client()
    client.get("/login")
    before = env.snapshot()
    response = client.post("/login", data={"username": "alice", "password": "x" * 20000})
    assert response.status_code == 413
    assert_json_4xx(response)
    assert env.snapshot() == before
