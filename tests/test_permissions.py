"""The permission layer's own API: identities, rules checked at start-up, can/actions.

The behaviour on every backend is in tests/backends/test_permissions.py; this
file covers what does not depend on the store (on the memory backend).
"""

from __future__ import annotations

import pytest
from flask import Flask, g, request

from potion import Api, ModelResource, fields, permissions
from potion.backends.memory import MemoryManager
from potion.exceptions import Forbidden
from potion.permissions import (
    SUPERUSER_NEED,
    AnonymousIdentity,
    Identity,
    ItemNeed,
    RoleNeed,
    UserNeed,
    acting_as,
    current_identity,
    unchecked,
)
from potion.routes import ItemAttributeRoute, ItemRoute, Route


def _identity():
    user = request.headers.get("X-User")
    if not user:
        return None
    roles = request.headers.get("X-Roles", "")
    return Identity(int(user), {UserNeed(int(user))} | {RoleNeed(r) for r in roles.split(",") if r})


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def resources(app):
    calls = []

    def source():
        calls.append(1)
        return _identity()

    class UserResource(ModelResource):
        class Meta:
            name = "user"
            manager = MemoryManager
            permissions = {"read": "yes", "create": "yes", "update": "user:$id"}

        class Schema:
            name = fields.String()

    class NoteResource(ModelResource):
        rating = ItemAttributeRoute(fields.Integer(nullable=True))

        class Meta:
            name = "note"
            manager = MemoryManager
            permissions = {
                "read": ["user:owner", "moderator"],
                "create": "user:owner",
                "update": "user:owner",
                "delete": ["update", "moderator", "delete"],
                "pin": "moderator",
                "export": "moderator",
            }

        class Schema:
            text = fields.String()
            owner = fields.ToOne("user")
            rating = fields.Integer(nullable=True)

        @ItemRoute.POST(action="pin")
        def pin(self, note) -> fields.Boolean():
            return True

        @Route.GET(action="export")
        def export(self) -> fields.Integer():
            return len(self.manager.items)

    api = Api(app, identity_source=source)
    api.add_resource(UserResource)
    api.add_resource(NoteResource)
    client = app.test_client()
    with acting_as(Identity(99, {SUPERUSER_NEED})):
        for name in ("ann", "bob"):
            UserResource.manager.create({"name": name})
        users = list(UserResource.manager.items.values())
        NoteResource.manager.create({"text": "ann's", "owner": users[0], "rating": None})
        NoteResource.manager.create({"text": "bob's", "owner": users[1], "rating": None})
    return {"user": UserResource, "note": NoteResource, "client": client, "calls": calls}


def test_the_identity_source_is_asked_once_per_request(resources):
    client = resources["client"]
    resources["calls"].clear()
    response = client.get("/note", headers={"X-User": "1"})
    assert [n["text"] for n in response.get_json()] == ["ann's"]
    assert len(resources["calls"]) == 1


def test_custom_routes_check_their_action(resources):
    client = resources["client"]
    assert client.post("/note/1/pin", headers={"X-User": "1"}).status_code == 403
    assert client.post("/note/2/pin", headers={"X-User": "1"}).status_code == 404
    assert client.post("/note/2/pin", headers={"X-User": "1", "X-Roles": "moderator"}).json is True
    assert client.get("/note/export", headers={"X-User": "1"}).status_code == 403
    assert client.get("/note/export", headers={"X-User": "1", "X-Roles": "moderator"}).json == 2


def test_item_attribute_routes_read_narrowed_and_update_checked(resources):
    client = resources["client"]
    assert client.get("/note/2/rating", headers={"X-User": "1"}).status_code == 404
    assert client.post("/note/1/rating", json=4, headers={"X-User": "1"}).json == 4
    moderator = {"X-User": "2", "X-Roles": "moderator"}
    assert client.get("/note/1/rating", headers=moderator).json == 4
    assert client.post("/note/1/rating", json=5, headers=moderator).status_code == 403
    assert resources["note"].manager.items[1]["rating"] == 4


def test_can_and_actions_for_the_current_identity(app, resources):
    note, user = resources["note"], resources["user"]
    ann, bob = user.manager.items[1], user.manager.items[2]
    with app.test_request_context(headers={"X-User": "1"}):
        own = note.manager.read(1)
        assert permissions.actions(note, own) == {
            "read": True,
            "create": True,
            "update": True,
            "delete": True,
            "pin": False,
            "export": False,
        }
        assert permissions.can(note, "update", own, changes={"text": "x"})
        assert not permissions.can(note, "update", own, changes={"owner": bob})
        assert permissions.can(note, "create", changes={"owner": ann, "text": "t"})
        assert not permissions.can(note, "create", changes={"owner": bob, "text": "t"})
        assert permissions.can(note, "create")  # possible on some item: show the button
        assert not permissions.can(note, "pin")
        with pytest.raises(Forbidden):
            permissions.require(note, "delete", note.manager.read_unchecked(2))
        assert note.manager.permissions is permissions.permissions_for(note)
    with app.test_request_context():  # anonymous
        assert isinstance(current_identity(note.api), AnonymousIdentity)
        assert permissions.actions(note)["read"] is False
        assert not permissions.can(note, "create")


def test_acting_as_and_unchecked_outside_requests(app, resources):
    note = resources["note"]
    with app.app_context():
        # no request, no identity: the application itself, nothing narrowed
        assert current_identity(note.api) is None
        assert len(note.manager.instances()) == 2
        with acting_as(Identity(2, {UserNeed(2)})):
            assert [n["text"] for n in note.manager.instances()] == ["bob's"]
            with unchecked():
                assert len(note.manager.instances()) == 2
        with acting_as(None):
            assert note.manager.instances() == []


def test_item_needs_from_flask_principal_style_tuples(app, resources):
    note = resources["note"]
    identity = Identity(5, {ItemNeed("delete", 1, "note"), UserNeed(5)})
    with acting_as(identity):
        assert note.manager.instances() == []  # reading needs the owner or a moderator
        assert note.manager.permissions.can("delete", note.manager.read_unchecked(1))
        assert not note.manager.permissions.can("delete", note.manager.read_unchecked(2))


def test_flask_principal_identity_in_g_is_used(app, resources):
    note = resources["note"]
    note.api.identity_source = None
    with app.test_request_context():
        g.identity = Identity(2, {UserNeed(2)})
        assert [n["text"] for n in note.manager.instances()] == ["bob's"]


def test_an_unguarded_resource_checks_nothing(app):
    class FreeResource(ModelResource):
        class Meta:
            name = "free"
            manager = MemoryManager

        class Schema:
            text = fields.String()

    Api(app).add_resource(FreeResource)
    client = app.test_client()
    assert client.post("/free", json={"text": "x"}).status_code == 200
    assert not FreeResource.manager.permissions.guarded
    with app.test_request_context():
        assert permissions.actions(FreeResource) == {
            "read": True,
            "create": True,
            "update": True,
            "delete": True,
        }


def test_a_resource_readable_by_roles_alone_is_403_and_its_references_are_missing(app):
    class VaultResource(ModelResource):
        class Meta:
            name = "vault"
            manager = MemoryManager
            permissions = {"read": "keeper", "create": "yes"}

        class Schema:
            label = fields.String()

    class TagResource(ModelResource):
        class Meta:
            name = "tag"
            manager = MemoryManager
            permissions = {"read": "yes", "create": "yes"}

        class Schema:
            vault = fields.ToOne("vault", nullable=True)
            vault_body = fields.Inline("vault", attribute="vault", io="r")

    api = Api(app, identity_source=_identity)
    api.add_resource(VaultResource)
    api.add_resource(TagResource)
    client = app.test_client()
    keeper = {"X-User": "1", "X-Roles": "keeper"}
    assert client.post("/vault", json={"label": "v"}, headers=keeper).status_code == 200
    assert client.get("/vault", headers={"X-User": "2"}).status_code == 403
    assert client.get("/vault/1", headers={"X-User": "2"}).status_code == 403
    assert client.get("/vault/1", headers=keeper).status_code == 200
    # a reference to it answers like one to a missing vault, never 403
    hidden = client.post("/tag", json={"vault": 1}, headers={"X-User": "2"})
    missing = client.post("/tag", json={"vault": 7}, headers={"X-User": "2"})
    assert hidden.status_code == missing.status_code == 400
    assert client.post("/tag", json={"vault": None}, headers={"X-User": "2"}).status_code == 200
    assert client.get('/tag?where={"vault": 1}', headers={"X-User": "2"}).json == []
    # an Inline of a hidden item shows nothing of it; the keeper sees it
    assert client.post("/tag", json={"vault": 1}, headers=keeper).status_code == 200
    tag_id = max(TagResource.manager.items)
    assert client.get(f"/tag/{tag_id}", headers={"X-User": "2"}).json["vault_body"] is None
    assert client.get(f"/tag/{tag_id}", headers=keeper).json["vault_body"]["label"] == "v"


# -- rules are checked at start-up ----------------------------------------------------------


def _resource(name, permissions_, schema=None, **members):
    schema = schema or {"owner": fields.ToOne("self", nullable=True)}
    meta = type("Meta", (), {"name": name, "manager": MemoryManager, "permissions": permissions_})
    return type(
        name.title(),
        (ModelResource,),
        {"Meta": meta, "Schema": type("Schema", (), schema), **members},
    )


def test_actions_referring_to_each_other_in_a_cycle_are_refused():
    with pytest.raises(RuntimeError, match="cycle: update -> delete -> update"):
        _resource("loop", {"update": "delete", "delete": "update"})


def test_an_unknown_field_is_refused():
    with pytest.raises(RuntimeError, match="no field 'author'"):
        _resource("nofield", {"read": "user:author"})


def test_inheriting_from_a_field_that_is_no_reference_is_refused():
    with pytest.raises(RuntimeError, match="ToOne"):
        _resource("plain", {"read": "read:text"}, {"text": fields.String()})


def test_inheritance_cycles_across_resources_are_refused_when_the_cycle_closes(app):
    a = _resource("alpha", {"read": "read:other"}, {"other": fields.ToOne("beta")})
    b = _resource("beta", {"read": "read:other"}, {"other": fields.ToOne("alpha")})
    api = Api(app)
    api.add_resource(a)
    with pytest.raises(RuntimeError, match="cycle: .*alpha.read -> beta.read"):
        api.add_resource(b)


def test_inheriting_an_action_the_target_lacks_is_refused(app):
    target = _resource("target", {"read": "yes"}, {"text": fields.String()})
    source = _resource("source", {"read": "publish:target"}, {"target": fields.ToOne("target")})
    api = Api(app)
    api.add_resource(target)
    with pytest.raises(RuntimeError, match="'publish'"):
        api.add_resource(source)


def test_a_route_action_without_a_rule_is_refused(app):
    @ItemRoute.POST(action="archive")
    def archive(self, item) -> fields.Boolean():
        return True

    resource = _resource("box", {"read": "yes"}, {"text": fields.String()}, archive=archive)
    with pytest.raises(RuntimeError, match="no permission rule for action 'archive'"):
        Api(app).add_resource(resource)
