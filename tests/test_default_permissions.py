"""``POTION_DEFAULT_PERMISSIONS``: the rules of a project's resources that declare none.

Each test writes an app package of its own (a resource belongs to one Api) with a
database object of its own, and builds the project in this process.  A new
project's settings (rendered from ``project_template``) let anyone read and staff
users write; without the setting, resources without ``Meta.permissions`` stay open,
as on a plain Api.
"""

from __future__ import annotations

import itertools
import runpy
import sys
import textwrap
from typing import Any

import pytest

from potion.project import Project

from .auth_env import FAST_HASHING, PASSWORD, bearer
from .project_env import template_project

_names = itertools.count()

MODELS = """
from . import db


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(100), nullable=False)


class Memo(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(100), nullable=False)


class Pin(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(100), nullable=False)
"""

RESOURCES = '''
from potion import ModelResource
from potion.backends.sqlalchemy import SQLAlchemyManager

from .models import Memo, Note, Pin


class NoteResource(ModelResource):
    """No Meta.permissions, no manager yet (the Api's default one is made when added)."""

    class Meta:
        model = Note


class PinResource(ModelResource):
    """No Meta.permissions, its manager made with the class."""

    class Meta:
        model = Pin
        manager = SQLAlchemyManager


class MemoResource(ModelResource):
    """Its own rules: anyone may write memos."""

    class Meta:
        model = Memo
        permissions = {"read": "yes", "create": "yes", "update": "yes", "delete": "yes"}
'''


class Site:
    """A project serving a fresh app package, its tables created, and its users."""

    def __init__(self, tmp_path: Any, monkeypatch: Any, **settings: Any) -> None:
        name = f"default_permissions_app_{next(_names)}"
        package = tmp_path / name
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(
            "from flask_sqlalchemy import SQLAlchemy\n\ndb = SQLAlchemy()\n"
        )
        (package / "models.py").write_text(textwrap.dedent(MODELS))
        (package / "resources.py").write_text(textwrap.dedent(RESOURCES))
        monkeypatch.syspath_prepend(str(tmp_path))
        __import__(name)
        self.db = sys.modules[name].db
        self.project = Project(
            {
                "SECRET_KEY": "a test key that is long enough for the checks",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'site.db'}",
                "POTION_APPS": [name],
                "POTION_CHECK_MIGRATIONS": False,
                "POTION_ADMIN": False,
                **FAST_HASHING,
                **settings,
            },
            database=self.db,
        )
        self.app = self.project.create_app()
        self.client = self.app.test_client()
        with self.app.app_context():
            self.db.create_all()

    def close(self) -> None:
        with self.app.app_context():
            self.db.session.remove()
            self.db.drop_all()
            self.db.engine.dispose()

    def token(self, username: str, **attributes: Any) -> dict[str, str]:
        """The Authorization header of a new user's API token."""
        with self.app.app_context():
            self.project.auth.create_user(username, PASSWORD, validate=False, **attributes)
            self.db.session.remove()
        response = self.client.post(
            "/api/auth/token", json={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 201, response.get_json()
        return bearer(response.get_json()["token"])

    def rows(self, table: str) -> list[tuple[Any, ...]]:
        with self.app.app_context():
            return [
                tuple(r) for r in self.db.session.execute(self.db.text(f"select * from {table}"))
            ]


@pytest.fixture
def site_factory(tmp_path, monkeypatch):
    sites: list[Site] = []

    def make(**settings: Any) -> Site:
        site = Site(tmp_path / f"site{len(sites)}", monkeypatch, **settings)
        sites.append(site)
        return site

    yield make
    for site in sites:
        site.close()


@pytest.fixture(scope="module")
def new_project_settings(tmp_path_factory) -> dict[str, Any]:
    """The settings module of a project made by ``potion startproject``."""
    project = template_project(tmp_path_factory)
    settings = runpy.run_path(str(next(project.glob("*/settings.py"))))
    return {"POTION_DEFAULT_PERMISSIONS": settings["POTION_DEFAULT_PERMISSIONS"]}


def test_new_projects_let_anyone_read_and_staff_write(site_factory, new_project_settings):
    assert new_project_settings["POTION_DEFAULT_PERMISSIONS"] == {
        "read": "everyone",
        "create": "staff",
        "update": "staff",
        "delete": "staff",
    }
    site = site_factory(**new_project_settings)
    client = site.client
    user, staff = site.token("ursula"), site.token("stella", is_staff=True)
    root = site.token("root", is_superuser=True)
    for resource in ("note", "pin"):
        url = f"/api/{resource}"
        # anonymous and plain users: read, never write
        assert client.get(url).status_code == 200
        assert client.post(url, json={"text": "anonymous"}).status_code == 403
        assert client.post(url, json={"text": "user"}, headers=user).status_code == 403
        assert site.rows(resource) == []
        # staff (and superusers) write
        response = client.post(url, json={"text": "staff"}, headers=staff)
        assert response.status_code == 200, response.get_json()
        item = response.get_json()["$uri"]
        assert client.post(url, json={"text": "root"}, headers=root).status_code == 200
        assert client.get(item).get_json()["text"] == "staff"  # anonymous read
        assert client.patch(item, json={"text": "x"}).status_code == 403
        assert client.patch(item, json={"text": "x"}, headers=user).status_code == 403
        assert client.delete(item, headers=user).status_code == 403
        assert client.patch(item, json={"text": "edited"}, headers=staff).status_code == 200
        assert client.delete(item, headers=staff).status_code == 204
        assert [row[1] for row in site.rows(resource)] == ["root"]
    # a resource's own rules win
    assert client.post("/api/memo", json={"text": "anonymous"}).status_code == 200


def test_without_the_setting_resources_without_rules_stay_open(site_factory):
    site = site_factory()
    for resource in ("note", "pin"):
        response = site.client.post(f"/api/{resource}", json={"text": "anonymous"})
        assert response.status_code == 200, response.get_json()
        assert site.client.delete(response.get_json()["$uri"]).status_code == 204


def test_partial_rules_complete_as_meta_permissions_do(site_factory):
    # {"create": "authenticated"}: update follows create, delete follows update
    site = site_factory(POTION_DEFAULT_PERMISSIONS={"create": "authenticated"})
    user = site.token("ursula")
    assert site.client.post("/api/note", json={"text": "x"}).status_code == 403
    response = site.client.post("/api/note", json={"text": "x"}, headers=user)
    assert response.status_code == 200
    assert site.client.delete(response.get_json()["$uri"]).status_code == 403
    assert site.client.delete(response.get_json()["$uri"], headers=user).status_code == 204


@pytest.mark.parametrize(
    "value, problem",
    [
        ("staff", "is a str, not a dict of action to need strings"),
        ({"create": 1}, "gives 'create' 1: a need string or a list of them is expected"),
        ({"create": ["staff", None]}, "gives 'create' ['staff', None]: a need string"),
    ],
)
def test_a_malformed_setting_refuses_to_start(value, problem):
    from potion.project import ImproperlyConfigured

    project = Project(
        {
            "SECRET_KEY": "a test key that is long enough for the checks",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "POTION_DEFAULT_PERMISSIONS": value,
        }
    )
    with pytest.raises(ImproperlyConfigured) as caught:
        project.create_app()
    (message,) = caught.value.messages
    assert message.id == "project.E006"
    assert f"POTION_DEFAULT_PERMISSIONS {problem}" in str(message)
