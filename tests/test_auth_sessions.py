"""contrib.auth sessions: login and logout (JSON and the HTML page), server-side storage,
rotation, replayed cookies, cookie flags and CSRF."""

from __future__ import annotations

import re

import pytest

from . import auth_env
from .auth_env import PASSWORD, AuthEnv, session_cookie

database = auth_env.database
authenv = auth_env.authenv
sqlite_env = auth_env.sqlite_env
redis_prefix = auth_env.redis_prefix


def replay(env: AuthEnv, cookie: str) -> int:
    """GET /api/user/me from a fresh client that only has ``cookie``."""
    client = env.new_client()
    client.set_cookie("potion_session", cookie)
    return int(client.get("/api/user/me").status_code)


def form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


# -- JSON login and logout ----------------------------------------------------------------


def test_json_login_sets_a_session_kept_on_the_server(authenv):
    user_id = authenv.user("alice", email="alice@example.org")
    response = authenv.client.post(
        "/api/auth/login", json={"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json["id"] == user_id
    assert response.json["username"] == "alice"
    assert response.json["csrf_token"]
    cookie = session_cookie(authenv.client)
    assert cookie
    # the cookie holds an id only; the server keeps one row for it, owned by alice
    assert authenv.count("auth_session", "where user_id = :u", u=user_id) == 1
    assert authenv.count("auth_session") == 1
    me = authenv.client.get("/api/user/me")
    assert me.status_code == 200
    assert me.json["username"] == "alice"
    assert "password" not in me.json and "password_hash" not in me.json
    assert authenv.scalar("select last_login from auth_user where id = :u", u=user_id) is not None


def test_username_is_case_insensitive_at_login(authenv):
    authenv.user("Alice")
    response = authenv.client.post(
        "/api/auth/login", json={"username": "aLICE", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json["username"] == "Alice"


def test_wrong_password_and_unknown_user_get_the_same_answer(authenv):
    authenv.user("alice")
    wrong = authenv.client.post("/api/auth/login", json={"username": "alice", "password": "nope"})
    unknown = authenv.client.post("/api/auth/login", json={"username": "bob", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json == {"message": "Invalid username or password", "status": 401}
    assert wrong.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]
    assert session_cookie(authenv.client) is None
    assert authenv.count("auth_session") == 0


def test_unknown_user_costs_one_hash_verification(sqlite_env, monkeypatch):
    """The same time: a missing user still verifies the password against a hash."""
    from argon2 import PasswordHasher as Argon2

    sqlite_env.user("alice")
    calls = []
    real = Argon2.verify

    def counting(self, stored, password):
        calls.append(stored)
        return real(self, stored, password)

    monkeypatch.setattr(Argon2, "verify", counting)
    sqlite_env.client.post("/api/auth/login", json={"username": "alice", "password": "x"})
    sqlite_env.client.post("/api/auth/login", json={"username": "nobody", "password": "x"})
    assert len(calls) == 2
    assert all(stored.startswith("$argon2id$") for stored in calls)
    assert calls[0] != calls[1]  # alice's hash, then the stand-in


def test_inactive_user_cannot_log_in(authenv):
    authenv.user("alice", is_active=False)
    response = authenv.client.post(
        "/api/auth/login", json={"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 401
    assert response.json["message"] == "Invalid username or password"
    assert authenv.count("auth_session") == 0


def test_deactivated_user_session_ends(authenv):
    user_id = authenv.user("alice")
    authenv.login("alice")
    with authenv.engine.begin() as connection:
        from sqlalchemy import text

        connection.execute(
            text("update auth_user set is_active = :f where id = :u"), {"f": False, "u": user_id}
        )
    assert authenv.client.get("/api/user/me").status_code == 401


def test_logout_ends_the_session_on_the_server(authenv):
    authenv.user("alice")
    csrf = authenv.login("alice")
    cookie = session_cookie(authenv.client)
    assert replay(authenv, cookie) == 200
    response = authenv.client.post("/api/auth/logout", headers={"X-CSRFToken": csrf})
    assert response.status_code == 204
    assert session_cookie(authenv.client) is None
    assert authenv.count("auth_session") == 0
    # the cookie copied before the logout is refused afterwards
    assert replay(authenv, cookie) == 401
    assert authenv.client.get("/api/user/me").status_code == 401


def test_session_id_is_rotated_at_login(authenv):
    authenv.user("alice")
    page = authenv.client.get("/login")  # an anonymous session (for the form's CSRF token)
    before = session_cookie(authenv.client)
    assert before and page.status_code == 200
    authenv.login("alice")
    after = session_cookie(authenv.client)
    assert after and after != before
    # the planted id is gone from the server: it cannot ride along the login
    assert replay(authenv, before) == 401
    assert replay(authenv, after) == 200
    assert authenv.count("auth_session") == 1


def test_login_as_another_user_drops_the_first_users_data(sqlite_env):
    sqlite_env.user("alice")
    sqlite_env.user("bob")
    sqlite_env.login("alice")
    sqlite_env.login("bob")
    assert sqlite_env.client.get("/api/user/me").json["username"] == "bob"


def test_replayed_cookie_refused_after_password_change(authenv):
    authenv.user("alice")
    other = authenv.new_client()
    authenv.login("alice", client=other)
    other_cookie = session_cookie(other)
    csrf = authenv.login("alice")
    own_cookie = session_cookie(authenv.client)
    response = authenv.client.post(
        "/api/user/me/password",
        json={"old_password": PASSWORD, "new_password": "a new and long passphrase"},
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 204, response.json
    # every other session ended; the current one lives on under a new id
    assert replay(authenv, other_cookie) == 401
    assert other.get("/api/user/me").status_code == 401
    assert replay(authenv, own_cookie) == 401
    assert authenv.client.get("/api/user/me").status_code == 200
    assert session_cookie(authenv.client) != own_cookie
    assert authenv.count("auth_session") == 1


def test_session_cookie_flags(sqlite_env):
    sqlite_env.user("alice")
    sqlite_env.login("alice")
    header = [
        h for h in sqlite_env.client.get("/api/user/me").headers.getlist("Set-Cookie")
    ] or None
    assert header is None  # reads do not rewrite the cookie
    response = sqlite_env.new_client().post(
        "/api/auth/login", json={"username": "alice", "password": PASSWORD}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    secure = sqlite_env.app.test_client().post(
        "/api/auth/login",
        json={"username": "alice", "password": PASSWORD},
        base_url="https://localhost",
    )
    assert "Secure" in secure.headers["Set-Cookie"]
    assert "HttpOnly" in secure.headers["Set-Cookie"]


def test_session_cookie_secure_can_be_forced(tmp_path):
    env = AuthEnv("sqlite", f"sqlite:///{tmp_path}/x.db", POTION_AUTH_SESSION_COOKIE_SECURE=True)
    env.create_all()
    try:
        env.user("alice")
        response = env.client.post(
            "/api/auth/login", json={"username": "alice", "password": PASSWORD}
        )
        assert "Secure" in response.headers["Set-Cookie"]
    finally:
        env.close()


def test_expired_session_is_refused(sqlite_env):
    sqlite_env.user("alice")
    sqlite_env.login("alice")
    with sqlite_env.engine.begin() as connection:
        from sqlalchemy import text

        connection.execute(text("update auth_session set expires_at = '2000-01-01 00:00:00'"))
    assert sqlite_env.client.get("/api/user/me").status_code == 401
    with sqlite_env.app.app_context():
        assert sqlite_env.auth.purge()["sessions"] == 1
    assert sqlite_env.count("auth_session") == 0


def test_malformed_session_cookie_is_anonymous(sqlite_env):
    client = sqlite_env.new_client()
    for value in ("x", "a" * 43, "../../etc", "a" * 500):
        client.set_cookie("potion_session", value)
        response = client.get("/api/auth/session")
        assert response.status_code == 200
        assert response.json == {"authenticated": False, "user": None}


def test_session_route_tells_who_is_logged_in(sqlite_env):
    user_id = sqlite_env.user("alice")
    assert sqlite_env.client.get("/api/auth/session").json["authenticated"] is False
    sqlite_env.login("alice")
    body = sqlite_env.client.get("/api/auth/session").json
    assert body["authenticated"] is True
    assert body["auth_type"] == "session"
    assert body["user"]["id"] == user_id
    assert body["csrf_token"]


# -- the HTML login page --------------------------------------------------------------------


def test_html_login_page_logs_in_and_redirects_to_next(authenv):
    authenv.user("alice")
    page = authenv.client.get("/login?next=/admin/books")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.get_data(as_text=True)
    assert 'name="next" value="/admin/books"' in html
    assert 'autocomplete="current-password"' in html
    before = session_cookie(authenv.client)
    response = authenv.client.post(
        "/login",
        data={
            "username": "alice",
            "password": PASSWORD,
            "csrf_token": form_token(html),
            "next": "/admin/books",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/books"
    assert session_cookie(authenv.client) != before
    assert authenv.client.get("/api/user/me").json["username"] == "alice"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "http://evil.example",
        "javascript:alert(1)",
        "/\\evil.example",
        "\\\\evil.example",
        "https://localhost.evil.example/",
    ],
)
def test_html_login_redirects_only_to_the_same_host(sqlite_env, target):
    sqlite_env.user("alice")
    html = sqlite_env.client.get("/login").get_data(as_text=True)
    response = sqlite_env.client.post(
        "/login",
        data={
            "username": "alice",
            "password": PASSWORD,
            "csrf_token": form_token(html),
            "next": target,
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_html_login_accepts_a_full_url_of_the_same_host(sqlite_env):
    sqlite_env.user("alice")
    html = sqlite_env.client.get("/login").get_data(as_text=True)
    response = sqlite_env.client.post(
        "/login",
        data={
            "username": "alice",
            "password": PASSWORD,
            "csrf_token": form_token(html),
            "next": "http://localhost/admin/",
        },
    )
    assert response.headers["Location"] == "http://localhost/admin/"


def test_html_login_wrong_password_shows_the_form_again(sqlite_env):
    sqlite_env.user("alice")
    html = sqlite_env.client.get("/login").get_data(as_text=True)
    response = sqlite_env.client.post(
        "/login",
        data={"username": "alice", "password": "wrong", "csrf_token": form_token(html)},
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "Invalid username or password" in page
    assert 'value="alice"' in page
    assert sqlite_env.client.get("/api/user/me").status_code == 401


def test_html_login_escapes_what_it_shows_again(sqlite_env):
    html = sqlite_env.client.get("/login").get_data(as_text=True)
    response = sqlite_env.client.post(
        "/login",
        data={"username": '<script>x</script>"', "password": "x", "csrf_token": form_token(html)},
        headers={"Accept": "text/html"},
    )
    page = response.get_data(as_text=True)
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;" in page


def test_html_login_without_csrf_token_is_refused(sqlite_env):
    sqlite_env.user("alice")
    sqlite_env.client.get("/login")
    response = sqlite_env.client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert response.json["reason"] == "csrf"
    assert "CSRF" in response.json["message"]
    forged = sqlite_env.client.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": "AAAA"}
    )
    assert forged.status_code == 403
    assert sqlite_env.client.get("/api/user/me").status_code == 401


def test_html_logout_needs_the_csrf_token(sqlite_env):
    sqlite_env.user("alice")
    csrf = sqlite_env.login("alice")
    refused = sqlite_env.client.post("/logout")
    assert refused.status_code == 403
    assert refused.json["reason"] == "csrf"
    assert sqlite_env.client.get("/api/user/me").status_code == 200
    response = sqlite_env.client.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert sqlite_env.client.get("/api/user/me").status_code == 401


def test_login_page_tells_a_logged_in_user_who_they_are(sqlite_env):
    sqlite_env.user("alice")
    sqlite_env.login("alice")
    html = sqlite_env.client.get("/login?next=/admin/").get_data(as_text=True)
    assert "You are logged in as <strong>alice</strong>" in html
    assert "log in as a user who may see it" in html


# -- CSRF -------------------------------------------------------------------------------------


def test_csrf_required_for_unsafe_api_requests_by_cookie(authenv):
    authenv.user("alice")
    csrf = authenv.login("alice")
    before = authenv.snapshot()
    refused = authenv.client.patch("/api/user/me", json={"email": "x@example.org"})
    assert refused.status_code in (403, 405)
    user_url = authenv.client.get("/api/user/me").json["$uri"]
    refused = authenv.client.patch(user_url, json={"email": "x@example.org"})
    assert refused.status_code == 403
    assert refused.json == {
        "message": "CSRF token missing or invalid",
        "reason": "csrf",
        "status": 403,
    }
    wrong = authenv.client.patch(
        user_url, json={"email": "x@example.org"}, headers={"X-CSRFToken": csrf[:-4] + "AAAA"}
    )
    assert wrong.status_code == 403
    assert authenv.snapshot() == before
    accepted = authenv.client.patch(
        user_url, json={"email": "x@example.org"}, headers={"X-CSRFToken": csrf}
    )
    assert accepted.status_code == 200
    assert accepted.json["email"] == "x@example.org"


def test_csrf_token_of_one_session_is_refused_in_another(sqlite_env):
    sqlite_env.user("alice")
    sqlite_env.user("bob")
    alice_token = sqlite_env.login("alice")
    other = sqlite_env.new_client()
    sqlite_env.login("bob", client=other)
    url = other.get("/api/user/me").json["$uri"]
    response = other.patch(
        url, json={"email": "b@example.org"}, headers={"X-CSRFToken": alice_token}
    )
    assert response.status_code == 403


def test_csrf_token_from_before_login_no_longer_works(sqlite_env):
    sqlite_env.user("alice")
    html = sqlite_env.client.get("/login").get_data(as_text=True)
    old = form_token(html)
    new = sqlite_env.login("alice")
    url = sqlite_env.client.get("/api/user/me").json["$uri"]
    assert (
        sqlite_env.client.patch(
            url, json={"email": "a@b.org"}, headers={"X-CSRFToken": old}
        ).status_code
        == 403
    )
    assert (
        sqlite_env.client.patch(
            url, json={"email": "a@b.org"}, headers={"X-CSRFToken": new}
        ).status_code
        == 200
    )


def test_csrf_on_a_form_of_the_application(sqlite_env):
    """Any view of the app: an unsafe form post by a logged-in session needs the token."""
    from flask import render_template_string

    app = sqlite_env.app

    @app.route("/notes", methods=["GET", "POST"])
    def notes():
        return render_template_string(
            '<form method="post"><input name="csrf_token" value="{{ csrf_token() }}"></form>'
        )

    sqlite_env.user("alice")
    sqlite_env.login("alice")
    html = sqlite_env.client.get("/notes").get_data(as_text=True)
    refused = sqlite_env.client.post("/notes", data={"text": "hi"})
    assert refused.status_code == 403
    assert refused.json["reason"] == "csrf"
    accepted = sqlite_env.client.post("/notes", data={"text": "hi", "csrf_token": form_token(html)})
    assert accepted.status_code == 200


def test_anonymous_unsafe_requests_need_no_csrf_token(sqlite_env):
    response = sqlite_env.client.post(
        "/api/auth/login", json={"username": "nobody", "password": "x"}
    )
    assert response.status_code == 401  # not 403: there is no session to ride


# -- Redis sessions -----------------------------------------------------------------------------


def test_sessions_in_redis(tmp_path, redis_prefix):
    import redis

    env = AuthEnv(
        "sqlite",
        f"sqlite:///{tmp_path}/x.db",
        POTION_AUTH_REDIS_URL=auth_env.REDIS_URL,
        POTION_AUTH_REDIS_PREFIX=redis_prefix,
    )
    env.create_all()
    client = redis.Redis.from_url(auth_env.REDIS_URL)
    try:
        env.user("alice")
        csrf = env.login("alice")
        cookie = session_cookie(env.client)
        keys = list(client.scan_iter(match=redis_prefix + "session:*"))
        assert len(keys) == 1
        assert 0 < client.ttl(keys[0]) <= 14 * 24 * 3600
        assert env.count("auth_session") == 0  # nothing in the database
        assert replay(env, cookie) == 200
        # a password change ends the other sessions kept in Redis
        other = env.new_client()
        env.login("alice", client=other)
        other_cookie = session_cookie(other)
        response = env.client.post(
            "/api/user/me/password",
            json={"old_password": PASSWORD, "new_password": "a new and long passphrase"},
            headers={"X-CSRFToken": csrf},
        )
        assert response.status_code == 204
        assert replay(env, other_cookie) == 401
        assert replay(env, cookie) == 401
        assert env.client.get("/api/user/me").status_code == 200
        new_csrf = env.client.get("/api/auth/session").json["csrf_token"]
        assert (
            env.client.post("/api/auth/logout", headers={"X-CSRFToken": new_csrf}).status_code
            == 204
        )
        assert list(client.scan_iter(match=redis_prefix + "session:*")) == []
    finally:
        client.close()
        env.close()
