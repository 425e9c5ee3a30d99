"""The admin on each backend: SQLAlchemy, peewee, MongoEngine (mongomock) and memory.

The same two resources on every backend: makers and tools (a tool has a ToOne
maker).  The admin knows nothing of the backend: each test walks the same pages
and checks what the store holds afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from potion import ModelResource, fields

from .admin_env import PASSWORD, Session, make_app

EDITORS = {"create": "editor", "update": "editor", "delete": "editor"}


class Backend:
    """An app whose maker and tool resources live on one backend."""

    def __init__(self, tmp_path: Any, kind: str, manager: Any, models: Any) -> None:
        from potion.contrib.admin import Admin

        app, db, api, auth = make_app(tmp_path)
        self.app, self.db, self.auth = app, db, auth
        # SQLAlchemy models are declared on the app's db: ``models(db)``
        maker_model, tool_model = models(db) if callable(models) else models
        maker_meta: dict[str, Any] = {"name": "maker", "permissions": {"read": "yes", **EDITORS}}
        tool_meta: dict[str, Any] = {"name": "tool", "permissions": {"read": "yes", **EDITORS}}
        if manager is not None:
            maker_meta["manager"] = tool_meta["manager"] = manager
        if maker_model is not None:
            maker_meta["model"], tool_meta["model"] = maker_model, tool_model

        class MakerResource(ModelResource):
            Meta = type("Meta", (), maker_meta)

            class Schema:
                name = fields.String(min_length=1, max_length=60)

        class ToolResource(ModelResource):
            Meta = type("Meta", (), tool_meta)

            class Schema:
                name = fields.String(min_length=1, max_length=60)
                maker = fields.ToOne("maker")
                weight = fields.Number(minimum=0, nullable=True)
                sharp = fields.Boolean(default=False)

        api.add_resource(MakerResource)
        api.add_resource(ToolResource)
        self.makers, self.tools = MakerResource, ToolResource
        Admin(app, api=api, auth=auth)
        with app.app_context():
            db.create_all()
            auth.create_user("ed", PASSWORD, validate=False, is_staff=True)
            role = auth.Role(name="editor")
            role.users.append(auth.find_user("ed"))
            db.session.add(role)
            db.session.commit()
            db.session.remove()
        self.kind = kind
        self.stored: Callable[[], list[tuple[str, str, Any, bool]]] = lambda: []

    def create(self, resource: Any, properties: dict[str, Any]) -> Any:
        """Store an item through the resource's manager, as the application would."""
        with self.app.test_request_context():
            from potion.permissions import unchecked

            with unchecked():
                item = resource.manager.create(properties)
                return resource.manager.get_id(item)

    def read(self, resource: Any, item_id: Any) -> Any:
        with self.app.test_request_context():
            from potion.permissions import unchecked

            with unchecked():
                return resource.manager.read(item_id)


def _memory(tmp_path: Any) -> Iterator[Backend]:
    from potion.backends.memory import MemoryManager

    backend = Backend(tmp_path, "memory", MemoryManager, (None, None))
    manager = backend.tools.manager
    makers = backend.makers.manager

    def stored() -> list[tuple[str, str, Any, bool]]:
        rows = []
        for item in manager.items.values():
            maker = item["maker"]
            maker_name = maker["name"] if isinstance(maker, dict) else makers.items[maker]["name"]
            rows.append((item["name"], maker_name, item.get("weight"), item.get("sharp", False)))
        return sorted(rows)

    backend.stored = stored
    yield backend


def _sqlalchemy(tmp_path: Any) -> Iterator[Backend]:
    holder: dict[str, Any] = {}

    def models(db: Any) -> tuple[Any, Any]:
        class Maker(db.Model):  # type: ignore[name-defined]
            id = db.Column(db.Integer, primary_key=True)
            name = db.Column(db.String(60), nullable=False)

        class Tool(db.Model):  # type: ignore[name-defined]
            id = db.Column(db.Integer, primary_key=True)
            name = db.Column(db.String(60), nullable=False)
            maker_id = db.Column(db.Integer, db.ForeignKey(Maker.id), nullable=False)
            maker = db.relationship(Maker)
            weight = db.Column(db.Float)
            sharp = db.Column(db.Boolean, nullable=False, default=False)

        holder["tool"] = Tool
        return Maker, Tool

    backend = Backend(tmp_path, "sqlalchemy", None, models)

    def stored() -> list[tuple[str, str, Any, bool]]:
        with backend.app.app_context():
            rows = [
                (t.name, t.maker.name, t.weight, bool(t.sharp))
                for t in backend.db.session.query(holder["tool"])
            ]
            backend.db.session.remove()
        return sorted(rows)

    backend.stored = stored
    yield backend


def _peewee(tmp_path: Any) -> Iterator[Backend]:
    peewee = pytest.importorskip("peewee")
    database = peewee.SqliteDatabase(str(tmp_path / "tools.db"), pragmas={"foreign_keys": 1})

    class Maker(peewee.Model):
        name = peewee.CharField(max_length=60)

        class Meta:
            database = None

    class Tool(peewee.Model):
        name = peewee.CharField(max_length=60)
        maker = peewee.ForeignKeyField(Maker)
        weight = peewee.FloatField(null=True)
        sharp = peewee.BooleanField(default=False)

    Maker._meta.database = Tool._meta.database = database
    database.create_tables([Maker, Tool])
    backend = Backend(tmp_path, "peewee", None, (Maker, Tool))

    def stored() -> list[tuple[str, str, Any, bool]]:
        return sorted((t.name, t.maker.name, t.weight, t.sharp) for t in Tool.select())

    backend.stored = stored
    try:
        yield backend
    finally:
        database.drop_tables([Tool, Maker])
        database.close()


def _mongoengine(tmp_path: Any) -> Iterator[Backend]:
    me = pytest.importorskip("mongoengine")
    from .mongo_env import fresh_database

    class AdminMaker(me.Document):
        meta = {"collection": "admin_maker"}
        name = me.StringField(required=True, max_length=60)

    class AdminTool(me.Document):
        meta = {"collection": "admin_tool"}
        name = me.StringField(required=True, max_length=60)
        maker = me.ReferenceField(AdminMaker, required=True)
        weight = me.FloatField(null=True)
        sharp = me.BooleanField(default=False)

    with fresh_database():
        backend = Backend(tmp_path, "mongoengine", None, (AdminMaker, AdminTool))

        def stored() -> list[tuple[str, str, Any, bool]]:
            return sorted(
                (t.name, t.maker.name, t.weight, bool(t.sharp)) for t in AdminTool.objects
            )

        backend.stored = stored
        yield backend


BACKENDS = {
    "sqlalchemy": _sqlalchemy,
    "peewee": _peewee,
    "mongoengine": _mongoengine,
    "memory": _memory,
}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Backend]:
    yield from BACKENDS[request.param](tmp_path)


def test_the_admin_on_each_backend(backend: Backend) -> None:
    acme = backend.create(backend.makers, {"name": "Acme"})
    backend.create(backend.makers, {"name": "Bolt & Co"})
    backend.create(
        backend.tools,
        {"name": "Hammer", "maker": backend.read(backend.makers, acme), "weight": 1.5},
    )
    client = Session(backend.app, "ed")

    dashboard = client.page("/admin/")
    counts = dict(
        re.findall(r'data-resource="(\w+)">.*?<span class="count">(\d+)</span>', dashboard, re.S)
    )
    assert counts["maker"] == "2" and counts["tool"] == "1"

    listing = client.page("/admin/tool/")
    assert "Hammer" in listing and ">Acme</a>" in listing and "1 item" in listing

    form = client.page("/admin/tool/new")
    choices = dict(
        (label, value)
        for value, label in re.findall(r'<option value="([^"]+)">([^<]+)</option>', form)
    )
    assert {"Acme", "Bolt &amp; Co"} <= set(choices)

    # a validation error, then the fixed form
    data = {"name": "Saw", "maker": choices["Bolt &amp; Co"], "weight": "-2", "sharp": "true"}
    response = client.post("/admin/tool/new", data)
    assert response.status_code == 400
    assert 'id="error-weight"' in response.get_data(as_text=True)
    assert backend.stored() == [("Hammer", "Acme", 1.5, False)]
    data["weight"] = "0.75"
    response = client.post("/admin/tool/new", data)
    assert response.status_code == 302
    page = client.follow(response)
    assert "Saved" in page and "<h1>Saw</h1>" in page
    assert backend.stored() == [("Hammer", "Acme", 1.5, False), ("Saw", "Bolt & Co", 0.75, True)]

    # edit: the item page's form
    saw = response.location
    data = {"name": "Fine saw", "maker": choices["Acme"], "weight": ""}
    response = client.post(saw, data)
    assert response.status_code == 302 and response.location == saw
    assert backend.stored() == [("Fine saw", "Acme", None, False), ("Hammer", "Acme", 1.5, False)]

    # filter, sort, search
    page = client.page("/admin/tool/?sort=-name&f=maker&op=eq&v=acme")
    assert re.findall(r'<td><a href="/admin/tool/[^"]+">([^<]+)</a></td>', page) == [
        "Hammer",
        "Fine saw",
    ]
    page = client.page("/admin/tool/?q=saw")
    assert re.findall(r'<td><a href="/admin/tool/[^"]+">([^<]+)</a></td>', page) == ["Fine saw"]

    # delete with its confirmation
    page = client.page(saw + "/delete")
    assert "<h1>Delete Fine saw?</h1>" in page
    response = client.post(saw + "/delete")
    assert response.status_code == 302
    assert "Deleted" in client.follow(response)
    assert backend.stored() == [("Hammer", "Acme", 1.5, False)]
