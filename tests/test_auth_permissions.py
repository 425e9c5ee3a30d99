"""The permission layer fed by contrib.auth: one end-to-end case per need kind, with the
identity coming from a login session (cookie + CSRF token) and from an API token."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import potion.permissions
from potion import ModelResource, fields

from . import auth_env
from .auth_env import AuthEnv, bearer

database = auth_env.database

pytestmark = pytest.mark.skipif(
    not hasattr(potion.permissions, "can"),
    reason="the permission layer's enforcement (issue 8) is not on this branch yet",
)


class Actor:
    """Requests as one user, authenticated by a session or by a token."""

    def __init__(self, env: AuthEnv, username: str | None, how: str) -> None:
        self.client = env.new_client()
        self.headers: dict[str, str] = {}
        if username is None:
            return
        if how == "session":
            self.headers["X-CSRFToken"] = env.login(username, client=self.client)
        else:
            self.headers.update(bearer(env.token(username)))

    def __getattr__(self, method: str):
        def send(url, **kwargs):
            return getattr(self.client, method)(url, headers=self.headers, **kwargs)

        return send


@pytest.fixture
def library(database, tmp_path):
    env = AuthEnv(database, auth_env.sqlalchemy_url(database, tmp_path))
    db, auth, api = env.db, env.auth, env.api

    class Book(db.Model):
        __tablename__ = "perm_book"
        id = sa.Column(sa.Integer, primary_key=True)
        title = sa.Column(sa.String(100), nullable=False)
        owner_id = sa.Column(sa.ForeignKey("auth_user.id"), nullable=False)
        owner = sa.orm.relationship(auth.User)

    class Chapter(db.Model):
        __tablename__ = "perm_chapter"
        id = sa.Column(sa.Integer, primary_key=True)
        title = sa.Column(sa.String(100), nullable=False)
        book_id = sa.Column(sa.ForeignKey("perm_book.id"), nullable=False)
        book = sa.orm.relationship(Book)

    class Notice(db.Model):
        __tablename__ = "perm_notice"
        id = sa.Column(sa.Integer, primary_key=True)
        text = sa.Column(sa.String(100), nullable=False)

    class BookResource(ModelResource):
        class Meta:
            model = Book
            name = "book"
            permissions = {
                "read": ["user:owner", "librarian"],
                "create": ["user:owner", "librarian"],
                "update": ["user:owner", "librarian"],
                "delete": "user:owner",
            }

        class Schema:
            owner = fields.ToOne("user")

    class ChapterResource(ModelResource):
        class Meta:
            model = Chapter
            name = "chapter"
            permissions = {"read": "read:book", "create": "update:book", "update": "update:book"}

        class Schema:
            book = fields.ToOne("book")

    class NoticeResource(ModelResource):
        class Meta:
            model = Notice
            name = "notice"
            permissions = {"read": "anyone", "create": "nobody", "update": "nobody"}

    class MemberResource(ModelResource):
        """The users again, as a resource guarded by ``user:$id``."""

        class Meta:
            model = auth.User
            name = "member"
            include_fields = ("username", "email")
            permissions = {"read": "user:$id", "update": "user:$id", "create": "nobody"}

    for resource in (BookResource, ChapterResource, NoticeResource, MemberResource):
        api.add_resource(resource)
    env.create_all()
    ids = {
        "alice": env.user("alice"),
        "bob": env.user("bob"),
        "carol": env.user("carol"),
        "root": env.user("root", is_superuser=True),
    }
    env.role("librarian", "carol")
    with env.app.app_context():
        books = [
            Book(title="Alice's", owner_id=ids["alice"]),
            Book(title="Bob's", owner_id=ids["bob"]),
        ]
        db.session.add_all(books)
        db.session.add(Notice(text="open on sunday"))
        db.session.commit()
        ids["alice_book"], ids["bob_book"] = books[0].id, books[1].id
        db.session.add(Chapter(title="One", book_id=ids["bob_book"]))
        db.session.commit()
    try:
        yield env, ids
    finally:
        env.close()


HOW = pytest.mark.parametrize("how", ["session", "token"])


def titles(response):
    assert response.status_code == 200, response.json
    return sorted(item["title"] for item in response.json)


@HOW
def test_user_need_from_the_logged_in_user(library, how):
    env, ids = library
    alice = Actor(env, "alice", how)
    assert titles(alice.get("/api/book")) == ["Alice's"]
    assert alice.get(f"/api/book/{ids['bob_book']}").status_code == 404
    assert alice.patch(f"/api/book/{ids['bob_book']}", json={"title": "mine"}).status_code == 404
    mine = alice.patch(f"/api/book/{ids['alice_book']}", json={"title": "Still mine"})
    assert mine.status_code == 200
    created = alice.post(
        "/api/book", json={"title": "New", "owner": {"$ref": f"/api/user/{ids['alice']}"}}
    )
    assert created.status_code == 200, created.json
    given = alice.post(
        "/api/book", json={"title": "Gift", "owner": {"$ref": f"/api/user/{ids['bob']}"}}
    )
    assert given.status_code == 403
    handed = alice.patch(
        f"/api/book/{ids['alice_book']}", json={"owner": {"$ref": f"/api/user/{ids['bob']}"}}
    )
    assert handed.status_code == 403
    assert env.count("perm_book", "where owner_id = :u", u=ids["bob"]) == 1


@HOW
def test_role_need_from_the_users_roles(library, how):
    env, ids = library
    carol = Actor(env, "carol", how)
    assert titles(carol.get("/api/book")) == ["Alice's", "Bob's"]
    assert carol.patch(f"/api/book/{ids['bob_book']}", json={"title": "Shelved"}).status_code == 200
    # delete is the owner's only: the librarian role does not grant it
    assert carol.delete(f"/api/book/{ids['bob_book']}").status_code == 403
    bob = Actor(env, "bob", how)
    assert titles(bob.get("/api/book")) == ["Shelved"]


@HOW
def test_superuser_need_passes_every_check(library, how):
    env, ids = library
    root = Actor(env, "root", how)
    assert titles(root.get("/api/book")) == ["Alice's", "Bob's"]
    assert root.post("/api/notice", json={"text": "closed"}).status_code == 200
    assert root.get(f"/api/member/{ids['alice']}").status_code == 200
    assert root.delete(f"/api/book/{ids['alice_book']}").status_code == 204


@HOW
def test_need_inherited_through_a_reference(library, how):
    env, ids = library
    alice, bob = Actor(env, "alice", how), Actor(env, "bob", how)
    assert titles(alice.get("/api/chapter")) == []
    assert titles(bob.get("/api/chapter")) == ["One"]
    ok = alice.post(
        "/api/chapter", json={"title": "Two", "book": {"$ref": f"/api/book/{ids['alice_book']}"}}
    )
    assert ok.status_code == 200, ok.json
    hidden = alice.post(
        "/api/chapter", json={"title": "X", "book": {"$ref": f"/api/book/{ids['bob_book']}"}}
    )
    assert hidden.status_code == 400  # as for a book that does not exist
    assert env.count("perm_chapter") == 2


@HOW
def test_user_need_on_the_user_itself(library, how):
    env, ids = library
    alice = Actor(env, "alice", how)
    assert alice.get(f"/api/member/{ids['alice']}").json["username"] == "alice"
    assert alice.get(f"/api/member/{ids['bob']}").status_code == 404
    assert [m["username"] for m in alice.get("/api/member").json] == ["alice"]


@HOW
def test_anyone_and_nobody(library, how):
    env, ids = library
    alice = Actor(env, "alice", how)
    assert alice.get("/api/notice").json[0]["text"] == "open on sunday"
    assert alice.post("/api/notice", json={"text": "x"}).status_code == 403
    assert env.count("perm_notice") == 1


def test_anonymous_identity_is_empty(library):
    env, ids = library
    anonymous = Actor(env, None, "none")
    assert anonymous.get("/api/book").json == []
    assert anonymous.get(f"/api/book/{ids['alice_book']}").status_code == 404
    assert anonymous.get("/api/notice").status_code == 200
    refused = anonymous.post(
        "/api/book", json={"title": "x", "owner": {"$ref": f"/api/user/{ids['alice']}"}}
    )
    assert refused.status_code == 403
    assert env.count("perm_book") == 2
