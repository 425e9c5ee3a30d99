"""Code written for Flask-Potion's principals contrib runs on Potion unchanged.

Flask-Principal sets ``g.identity`` (its own ``Identity`` with its own needs),
resources use ``Meta.manager = principals(SQLAlchemyManager)`` and the need
strings of spec §12.  Two behaviours differ on purpose: Relation add/remove need
the parent's ``update`` (§14.8), and an update is checked before and after the
change (§14.13).
"""

from __future__ import annotations

import pytest
from flask import Flask, request
from flask_principal import (
    Identity,
    ItemNeed,
    Permission,
    Principal,
    RoleNeed,
    UserNeed,
    identity_loaded,
)
from flask_sqlalchemy import SQLAlchemy

from flask_potion import Api, ModelResource, fields
from flask_potion.contrib.alchemy import SQLAlchemyManager
from flask_potion.contrib.memory import MemoryManager
from flask_potion.contrib.principals import PrincipalMixin, principals
from flask_potion.contrib.principals.needs import (
    HybridItemNeed,
    HybridNeed,
    HybridRelationshipNeed,
    HybridUserNeed,
)
from flask_potion.contrib.principals.permission import HybridPermission
from flask_potion.routes import ItemRoute, Relation

PrincipalManager = principals(SQLAlchemyManager)

# user id -> roles (and item needs) handed out by the identity_loaded receiver
USERS = {1: ["admin"], 2: [], 3: [], 4: ["editor"]}


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config["TESTING"] = True
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    principal = Principal(app, use_sessions=False)

    @principal.identity_loader
    def from_header():
        user = request.headers.get("X-User")
        return Identity(int(user)) if user else None

    @identity_loaded.connect_via(app)
    def add_needs(sender, identity):
        if identity.id is None:
            return
        identity.provides.add(UserNeed(identity.id))
        for role in USERS.get(identity.id, []):
            identity.provides.add(RoleNeed(role))
        for need in filter(None, request.headers.get("X-Items", "").split(",")):
            action, kind, item_id = need.split(":")
            identity.provides.add(ItemNeed(action, int(item_id), kind))

    return app


@pytest.fixture
def db(app):
    db = SQLAlchemy(app)
    yield db
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def models(app, db):
    class User(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(60), nullable=False)

    class Article(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(60), nullable=False)
        author_id = db.Column(db.Integer, db.ForeignKey(User.id), nullable=False)
        author = db.relationship(User, backref=db.backref("articles", lazy="dynamic"))

    class Comment(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        message = db.Column(db.String(60), nullable=False)
        article_id = db.Column(db.Integer, db.ForeignKey(Article.id), nullable=False)
        article = db.relationship(Article, backref=db.backref("comments", lazy="dynamic"))
        author_id = db.Column(db.Integer, db.ForeignKey(User.id), nullable=False)
        author = db.relationship(User)

    with app.app_context():
        db.create_all()
        db.session.add_all([User(id=i, name=f"user {i}") for i in USERS])
        db.session.commit()
    return {"user": User, "article": Article, "comment": Comment}


@pytest.fixture
def api(app, models):
    class UserResource(ModelResource):
        articles = Relation("article")

        class Meta:
            model = models["user"]
            manager = PrincipalManager
            permissions = {"read": "anyone", "create": "admin", "update": ["user:$id", "admin"]}

    class ArticleResource(ModelResource):
        comments = Relation("comment")

        class Meta:
            model = models["article"]
            manager = PrincipalManager
            permissions = {
                "read": ["yes"],
                "create": "user:author",
                "update": ["user:author", "admin"],
                "delete": "update",
                "archive": "archive",
            }

        class Schema:
            author = fields.ToOne("user")

        @ItemRoute.POST(action="archive")
        def archive(self, article) -> fields.Boolean():
            return True

    class CommentResource(ModelResource):
        class Meta:
            model = models["comment"]
            manager = PrincipalManager
            permissions = {
                "read": "read:article",
                "create": "update:article",
                "update": "user:author",
                "delete": ["update:article", "admin"],
            }

        class Schema:
            article = fields.ToOne("article")
            author = fields.ToOne("user")

    api = Api(app)
    api.add_resource(CommentResource)
    api.add_resource(ArticleResource)
    api.add_resource(UserResource)
    return api


@pytest.fixture
def client(app, api):
    return app.test_client()


def as_user(user_id, items=""):
    return {"X-User": str(user_id), "X-Items": items}


def _article(client, title, author, headers=None):
    body = {"title": title, "author": {"$ref": f"/user/{author}"}}
    return client.post(
        "/article", json=body, headers=as_user(author) if headers is None else headers
    )


def test_principals_accepts_only_relational_managers():
    assert issubclass(PrincipalManager, PrincipalMixin)
    assert issubclass(PrincipalManager, SQLAlchemyManager)
    with pytest.raises(RuntimeError, match="RelationalManager"):
        principals(MemoryManager)


def test_the_defaults_apply_to_a_principals_resource_without_rules(app, models):
    class PlainUserResource(ModelResource):
        class Meta:
            name = "plain"
            model = models["user"]
            manager = PrincipalManager

    api = Api(app)
    api.add_resource(PlainUserResource)
    client = app.test_client()
    assert client.get("/plain", headers=as_user(2)).status_code == 200  # read: anyone
    response = client.post("/plain", json={"name": "x"}, headers=as_user(1))
    assert response.status_code == 403  # create: nobody
    assert response.get_json()["status"] == 403
    assert client.patch("/plain/2", json={"name": "x"}, headers=as_user(2)).status_code == 403


def test_user_field_create_and_update(client, models, app):
    assert _article(client, "Mine", 2).status_code == 200
    assert _article(client, "Forged", 3, headers=as_user(2)).status_code == 403
    assert _article(client, "Anon", 2, headers={}).status_code == 403
    assert (
        client.patch("/article/1", json={"title": "Edited"}, headers=as_user(2)).status_code == 200
    )
    assert client.patch("/article/1", json={"title": "No"}, headers=as_user(3)).status_code == 403
    assert (
        client.patch("/article/1", json={"title": "Admin"}, headers=as_user(1)).status_code == 200
    )
    # delete reuses update's needs ("delete": "update")
    assert client.delete("/article/1", headers=as_user(3)).status_code == 403
    assert client.delete("/article/1", headers=as_user(2)).status_code == 204
    with app.app_context():
        assert models["article"].query.count() == 0


def test_user_id_need(client):
    assert client.patch("/user/2", json={"name": "Me"}, headers=as_user(2)).status_code == 200
    assert client.patch("/user/3", json={"name": "Not me"}, headers=as_user(2)).status_code == 403
    assert client.post("/user", json={"name": "New"}, headers=as_user(2)).status_code == 403
    assert client.post("/user", json={"name": "New"}, headers=as_user(1)).status_code == 200


def test_inherited_needs_through_a_reference(client, app, models):
    _article(client, "Two's", 2)
    _article(client, "Three's", 3)

    def comment(article, author, headers):
        body = {
            "message": "hi",
            "article": {"$ref": f"/article/{article}"},
            "author": {"$ref": f"/user/{author}"},
        }
        return client.post("/comment", json=body, headers=headers)

    # create: update:article -> the article's update: its author or an admin
    assert comment(1, 2, as_user(2)).status_code == 200
    assert comment(1, 3, as_user(3)).status_code == 403
    assert comment(2, 1, as_user(1)).status_code == 200
    # read: read:article -> every article is readable
    assert len(client.get("/comment", headers=as_user(3)).get_json()) == 2
    # delete: update:article or admin
    assert client.delete("/comment/1", headers=as_user(3)).status_code == 403
    assert client.delete("/comment/2", headers=as_user(3)).status_code == 204
    with app.app_context():
        assert models["comment"].query.count() == 1


def test_item_needs_and_custom_actions(client):
    _article(client, "Two's", 2)
    assert client.post("/article/1/archive", headers=as_user(2)).status_code == 403
    response = client.post("/article/1/archive", headers=as_user(2, items="archive:article:1"))
    assert response.status_code == 200 and response.get_json() is True
    assert (
        client.post("/article/1/archive", headers=as_user(3, items="archive:article:2")).status_code
        == 403
    )


def test_a_read_rule_of_roles_alone_is_403_for_others(app, models):
    class SecretResource(ModelResource):
        class Meta:
            name = "secret"
            model = models["user"]
            manager = PrincipalManager
            permissions = {"read": "editor"}

    api = Api(app)
    api.add_resource(SecretResource)
    client = app.test_client()
    assert client.get("/secret", headers=as_user(2)).status_code == 403
    assert client.get("/secret/2", headers=as_user(2)).status_code == 403
    assert client.get("/secret", headers={}).status_code == 403
    assert len(client.get("/secret", headers=as_user(4)).get_json()) == len(USERS)


def test_a_read_rule_with_item_needs_hides_items(app, models, api, client):
    class OwnArticleResource(ModelResource):
        class Meta:
            name = "own"
            model = models["article"]
            manager = PrincipalManager
            permissions = {"read": ["user:author", "read"]}

        class Schema:
            author = fields.ToOne("user")

    api.add_resource(OwnArticleResource)
    _article(client, "Two's", 2)
    _article(client, "Three's", 3)
    assert [a["title"] for a in client.get("/own", headers=as_user(2)).get_json()] == ["Two's"]
    assert client.get("/own", headers={}).get_json() == []
    response = client.get("/own/2", headers=as_user(2))
    assert response.status_code == 404
    assert response.get_json()["item"] == {"$id": 2, "$type": "own"}
    assert client.get("/own/2", headers=as_user(2, items="read:own:2")).status_code == 200


def test_yes_and_no_aliases(app, models):
    class OpenResource(ModelResource):
        class Meta:
            name = "open"
            model = models["user"]
            manager = PrincipalManager
            permissions = {"read": "everybody", "create": "anybody", "update": "noone"}

    Api(app).add_resource(OpenResource)
    client = app.test_client()
    assert client.post("/open", json={"name": "x"}).status_code == 200
    assert client.patch("/open/1", json={"name": "y"}, headers=as_user(1)).status_code == 403


def test_cycles_are_refused_at_start_up(models):
    with pytest.raises(RuntimeError, match="cycle"):

        class LoopResource(ModelResource):
            class Meta:
                name = "loop"
                model = models["user"]
                manager = PrincipalManager
                permissions = {"update": "delete", "delete": "update"}


def test_relation_add_needs_the_parents_update(client, app, db, models):
    """§14.8: Flask-Potion let anybody add to another's relation; Potion does not."""
    _article(client, "Three's", 3)
    response = client.post("/user/2/articles", json={"$ref": "/article/1"}, headers=as_user(3))
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(models["article"], 1).author_id == 3


def test_an_update_is_checked_after_the_change_too(client, app, db, models):
    """§14.13: handing an article to someone else is refused."""
    _article(client, "Two's", 2)
    response = client.patch("/article/1", json={"author": {"$ref": "/user/3"}}, headers=as_user(2))
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(models["article"], 1).author_id == 2


def test_manager_helpers(client, app, api):
    _article(client, "Two's", 2)
    article = api.resources["article"]
    with app.test_request_context(headers=as_user(3)):
        app.preprocess_request()  # Flask-Principal loads the identity
        item = article.manager.read(1)
        assert article.manager.get_permissions_for_item(item) == {
            "read": True,
            "create": False,
            "update": False,
            "delete": False,
            "archive": False,
        }
        assert article.manager.can_update_item(item) is False
        assert article.manager.can_delete_item(item) is False
    with app.test_request_context(headers=as_user(2)):
        app.preprocess_request()
        item = article.manager.read(1)
        assert article.manager.can_update_item(item, {"title": "x"}) is True
        assert article.manager.can_create_item({"author": item.author}) is True


def test_hybrid_needs_and_permission(app, api, models):
    article = models["article"](id=5, title="t", author=models["user"](id=2, name="u"))
    item_need = HybridItemNeed("update", api.resources["article"])
    assert isinstance(item_need, HybridNeed)
    assert item_need(article) == ItemNeed("update", 5, "article")
    author_field = fields.ToOne("user", attribute="author").bind(api.resources["article"])
    assert HybridUserNeed(author_field)(article) == UserNeed(2)
    assert HybridRelationshipNeed("read", author_field)(article) == ItemNeed("read", 2, "user")
    permission = HybridPermission(RoleNeed("admin"), HybridUserNeed(author_field))
    assert permission.needs == {RoleNeed("admin")}
    assert len(permission.hybrid_needs) == 1
    owner = Identity(2)
    owner.provides.add(UserNeed(2))
    admin = Identity(1)
    admin.provides.add(RoleNeed("admin"))
    assert permission.allows(owner, article) and not permission.allows(owner)
    assert permission.allows(admin) and not permission.allows(Identity(3), article)
    # Flask-Principal's own Permission still works beside Potion's checks
    assert Permission(RoleNeed("admin")).allows(admin)


def test_the_principals_paths_serve_potions_objects():
    from potion.permissions import principals as module

    assert principals is module.principals and PrincipalMixin is module.PrincipalMixin
    assert HybridPermission is module.HybridPermission
    assert HybridUserNeed is module.HybridUserNeed and HybridItemNeed is module.HybridItemNeed
