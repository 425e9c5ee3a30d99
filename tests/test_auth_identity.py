"""contrib.auth as the identity source, on any Flask-SQLAlchemy db, with a swapped-in user
model; the current-user helpers and the HTML view decorators."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from potion import Api
from potion.contrib.auth import (
    AUTHENTICATED_NEED,
    STAFF_NEED,
    Auth,
    UserMixin,
    get_auth,
    get_current_user,
    login_required,
    staff_required,
)
from potion.permissions import SUPERUSER_NEED, RoleNeed, UserNeed

from . import auth_env
from .auth_env import FAST_HASHING, PASSWORD, bearer

sqlite_env = auth_env.sqlite_env


def identity_of(env, headers=None, client=None):
    """The identity the Api's source gives for a request with these headers/cookies."""
    headers = dict(headers or {})
    if client is not None:
        headers["Cookie"] = f"potion_session={auth_env.session_cookie(client)}"
    with env.app.test_request_context("/api/user/me", headers=headers):
        env.app.preprocess_request()
        return env.api.identity_source()


def test_the_api_reads_identities_from_auth(sqlite_env):
    assert sqlite_env.api.identity_source == sqlite_env.auth.identity


def test_identity_needs_from_a_session(sqlite_env):
    user_id = sqlite_env.user("alice")
    sqlite_env.role("editor", "alice")
    sqlite_env.role("author", "alice")
    sqlite_env.role("other")
    sqlite_env.login("alice")
    identity = identity_of(sqlite_env, client=sqlite_env.client)
    assert identity.id == user_id
    assert identity.auth_type == "session"
    assert identity.provides == {
        UserNeed(user_id),
        AUTHENTICATED_NEED,
        RoleNeed("editor"),
        RoleNeed("author"),
    }
    assert not identity.is_superuser


def test_staff_provide_the_staff_need(sqlite_env):
    staff_id = sqlite_env.user("stella", is_staff=True)
    token = sqlite_env.token("stella")
    identity = identity_of(sqlite_env, headers=bearer(token))
    assert identity.provides == {UserNeed(staff_id), AUTHENTICATED_NEED, STAFF_NEED}
    assert STAFF_NEED == RoleNeed("staff") and AUTHENTICATED_NEED == RoleNeed("authenticated")


def test_identity_needs_from_a_token_and_for_superusers(sqlite_env):
    root_id = sqlite_env.user("root", is_superuser=True, is_staff=True)
    token = sqlite_env.token("root")
    identity = identity_of(sqlite_env, headers=bearer(token))
    assert identity.auth_type == "token"
    assert identity.provides == {UserNeed(root_id), AUTHENTICATED_NEED, STAFF_NEED, SUPERUSER_NEED}
    assert identity.is_superuser


def test_anonymous_has_no_identity(sqlite_env):
    assert identity_of(sqlite_env) is None


def test_an_api_with_its_own_identity_source_keeps_it(tmp_path):
    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db")
    db = SQLAlchemy(app)

    def source():
        return None

    api = Api(app, identity_source=source)
    Auth(app, db=db, api=api)
    assert api.identity_source is source


# -- any db, any user model --------------------------------------------------------------------


def test_plain_flask_app_with_a_typed_declarative_base(tmp_path):
    class Base(DeclarativeBase):
        pass

    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db", **FAST_HASHING)
    db = SQLAlchemy(app, model_class=Base)
    api = Api(app, prefix="/api")
    auth = Auth(db=db, api=api)
    auth.init_app(app)

    class Note(db.Model):  # the app's own model, next to auth's
        id = sa.Column(sa.Integer, primary_key=True)
        owner_id = sa.Column(sa.ForeignKey("auth_user.id"))
        owner = sa.orm.relationship(auth.User)

    with app.app_context():
        db.create_all()
        alice = auth.create_user("alice", PASSWORD, validate=False)
        db.session.add(Note(owner=alice))
        db.session.commit()
        assert db.session.execute(sa.select(Note)).scalar_one().owner.username == "alice"
    client = app.test_client()
    assert (
        client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD}).status_code
        == 200
    )
    assert client.get("/api/user/me").json["username"] == "alice"


def test_a_project_swaps_in_its_own_user_model(tmp_path):
    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db",
        POTION_AUTH_USER_MODEL="tests.test_auth_identity:_MEMBER",
        **FAST_HASHING,
    )
    db = SQLAlchemy(app)

    class Member(UserMixin, db.Model):
        __tablename__ = "member"
        phone = sa.Column(sa.String(30), nullable=False, default="")

    global _MEMBER
    _MEMBER = Member
    api = Api(app, prefix="/api")
    auth = Auth(app, db=db, api=api)
    assert auth.User is Member
    assert "auth_user" not in db.metadata.tables
    with app.app_context():
        db.create_all()
        auth.create_user("maria", PASSWORD, validate=False, phone="555", is_staff=True)
        db.session.add(auth.Role(name="librarian", users=[auth.find_user("maria")]))
        db.session.commit()
    token_response = app.test_client().post(
        "/api/auth/token", json={"username": "MARIA", "password": PASSWORD}
    )
    token = token_response.json["token"]
    me = app.test_client().get("/api/user/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json["phone"] == "555"
    identity = None
    with app.test_request_context(headers=bearer(token)):
        app.preprocess_request()
        identity = auth.identity()
        assert get_current_user().phone == "555"
    assert RoleNeed("librarian") in identity.provides


_MEMBER = None


def test_a_user_model_without_the_needed_fields_is_refused(tmp_path):
    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db")
    db = SQLAlchemy(app)

    class Person(db.Model):
        id = sa.Column(sa.Integer, primary_key=True)
        username = sa.Column(sa.String(50))

    with pytest.raises(TypeError, match="Person lacks username_key, email, password_hash"):
        Auth(app, db=db, user_model=Person)


def test_an_unimportable_user_model_setting_is_refused(tmp_path):
    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db",
        POTION_AUTH_USER_MODEL="nowhere.models:User",
    )
    with pytest.raises(
        RuntimeError, match="POTION_AUTH_USER_MODEL 'nowhere.models:User' cannot be imported"
    ):
        Auth(app, db=SQLAlchemy(app))


def test_auth_needs_a_db():
    with pytest.raises(TypeError, match="Auth needs the app's Flask-SQLAlchemy object"):
        Auth(Flask(__name__))


def test_get_auth_without_auth_says_so():
    app = Flask(__name__)
    with app.app_context(), pytest.raises(RuntimeError, match="contrib.auth is not installed"):
        get_auth()


# -- HTML views ------------------------------------------------------------------------------------


def test_login_required_and_staff_required(sqlite_env):
    app = sqlite_env.app

    @app.get("/dashboard")
    @login_required
    def dashboard():
        return f"hello {get_current_user().username}"

    @app.get("/backoffice")
    @staff_required
    def backoffice():
        return "staff only"

    sqlite_env.user("alice")
    sqlite_env.user("sam", is_staff=True)
    anonymous = sqlite_env.new_client().get("/dashboard?tab=1")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"] == "/login?next=%2Fdashboard%3Ftab%3D1"
    assert (
        sqlite_env.new_client().get("/backoffice").headers["Location"]
        == "/login?next=%2Fbackoffice"
    )
    sqlite_env.login("alice")
    assert sqlite_env.client.get("/dashboard").get_data(as_text=True) == "hello alice"
    refused = sqlite_env.client.get("/backoffice")
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/login?next=")
    staff = sqlite_env.new_client()
    sqlite_env.login("sam", client=staff)
    assert staff.get("/backoffice").get_data(as_text=True) == "staff only"
