"""``potion.project.Project`` built from settings: the checks that refuse bad settings,
reading settings from the environment, hosts, proxies, and the settings reference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from potion.contrib.auth.settings import DEFAULTS as AUTH_DEFAULTS
from potion.project import DEFAULTS, Environment, ImproperlyConfigured, Project
from potion.settings import DEFAULTS as CORE_DEFAULTS

SETTINGS = {
    "SECRET_KEY": "a test key that is long enough for the checks",
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
    "POTION_AUTH_ARGON2_TIME_COST": 1,
    "POTION_AUTH_ARGON2_MEMORY_COST": 8,
    "POTION_AUTH_ARGON2_PARALLELISM": 1,
    "POTION_CHECK_MIGRATIONS": False,
}


def errors(**settings):
    with pytest.raises(ImproperlyConfigured) as caught:
        Project({**SETTINGS, **settings}).create_app()
    return [(m.id, m.text) for m in caught.value.messages], str(caught.value)


def test_a_project_without_apps_serves_auth():
    project = Project(SETTINGS)
    app = project.create_app()
    assert project.create_app() is app  # one app per project
    assert project.api.prefix == "/api"
    assert project.api.title == "project"
    assert {"auth", "user", "role"} <= set(project.api.resources)
    assert app.config["POTION_AUTH_LOGIN_REDIRECT"] == "/admin/"  # the admin is mounted
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    assert app.test_client().get("/api/schema").status_code == 200


def test_settings_win_over_defaults():
    project = Project(
        {**SETTINGS, "POTION_API_PREFIX": "/v2", "POTION_AUTH": False, "POTION_ADMIN": False}
    )
    app = project.create_app()
    assert project.api.prefix == "/v2"
    assert project.auth is None and project.admin is None
    assert app.config["POTION_AUTH_LOGIN_REDIRECT"] == "/v2/schema"
    assert "auth" not in project.api.resources


@pytest.mark.parametrize(
    "settings, expected",
    [
        (
            {"SECRET_KEY": ""},
            ("project.E001", "SECRET_KEY is not set: sessions and CSRF tokens need it"),
        ),
        (
            {"POTION_APPS": ["nosuchapp"]},
            ("project.E002", "POTION_APPS names 'nosuchapp', which is not an importable module"),
        ),
        (
            {"SQLALCHEMY_DATABASE_URI": None},
            ("project.E003", "No database: SQLALCHEMY_DATABASE_URI is not set"),
        ),
        (
            {"SQLALCHEMY_DATABASE_URI": "not a url"},
            ("project.E003", "The database URL cannot be read as a URL"),
        ),
        (
            {"SQLALCHEMY_DATABASE_URI": "nosuchdb://x/y"},
            ("project.E003", "The database URL names 'nosuchdb', which SQLAlchemy does not know"),
        ),
        (
            {"SQLALCHEMY_DATABASE_URI": "mysql+mysqldb://x/y"},
            ("project.E003", "The database driver of 'mysql+mysqldb' is not installed (MySQLdb)"),
        ),
        (
            {"POTION_API_PREFIX": "api"},
            ("project.E004", "POTION_API_PREFIX is 'api': a URL path starts with '/'"),
        ),
        (
            {"POTION_AUTH": False},
            (
                "project.E005",
                "POTION_ADMIN is on but POTION_AUTH is off: the admin lets in the staff of "
                "contrib.auth, and there is none",
            ),
        ),
    ],
)
def test_wrong_settings_refuse_to_start(settings, expected):
    found, text = errors(**settings)
    assert found == [expected]
    assert text.startswith(f"{expected[0]}: {expected[1]} (fix: ")
    assert "\n" not in text


def test_every_error_is_reported_at_once():
    found, text = errors(SECRET_KEY=None, POTION_APPS=["a1", "a2"])
    assert [id for id, _ in found] == ["project.E001", "project.E002", "project.E002"]
    assert len(text.splitlines()) == 3


def test_settings_from_a_module_and_its_root():
    project = Project("example.settings", overrides={"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    repository = Path(__file__).resolve().parent.parent
    assert project.name == "example"
    assert project.package == "example"
    assert project.root == repository
    assert project.migrations_dir == repository / "example" / "migrations"
    assert project.apps == ["example"]
    assert project.settings["SQLALCHEMY_DATABASE_URI"] == "sqlite://"
    assert project.settings["POTION_API_TITLE"] == "Lending library"


def test_a_missing_settings_module_is_one_clear_error(monkeypatch):
    with pytest.raises(
        ImproperlyConfigured, match=r"^The settings module 'nosuch.settings' cannot be imported"
    ):
        Project("nosuch.settings")
    monkeypatch.delenv("POTION_SETTINGS", raising=False)
    with pytest.raises(ImproperlyConfigured, match="^Set POTION_SETTINGS to the dotted name"):
        Project.from_environment()


def test_environment_reads():
    env = Environment(
        {
            "FLAG": "Off",
            "PORT": " 8080 ",
            "HOSTS": "a.example, ,b.example",
            "OPTIONS": '{"pool_size": 5}',
            "BAD_JSON": "{",
            "DATABASE_URL": "postgres://u@h/db",
        }
    )
    assert env.bool("FLAG") is False
    assert env.int("PORT") == 8080
    assert env.list("HOSTS") == ["a.example", "b.example"]
    assert env.json("OPTIONS") == {"pool_size": 5}
    assert env.database_url() == "postgresql://u@h/db"
    assert env.str("MISSING", "fallback") == "fallback"
    with pytest.raises(ImproperlyConfigured, match="^Set the environment variable MISSING$"):
        env.str("MISSING")
    with pytest.raises(ImproperlyConfigured, match="must be true or false: ' 8080 '"):
        env.bool("PORT")
    with pytest.raises(
        ImproperlyConfigured, match="^The environment variable BAD_JSON must be JSON"
    ):
        env.json("BAD_JSON")


def test_allowed_hosts():
    app = Project({**SETTINGS, "TRUSTED_HOSTS": ["books.example"]}).create_app()
    client = app.test_client()
    assert client.get("/api/schema", headers={"Host": "books.example"}).status_code == 200
    assert client.get("/api/schema", headers={"Host": "books.example:8443"}).status_code == 200
    assert client.get("/api/schema", headers={"Host": "evil.example"}).status_code == 400


def test_proxies_are_trusted_only_when_counted():
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    for proxies, address, scheme in ((0, "127.0.0.1", "http"), (1, "203.0.113.9", "https")):
        app = Project({**SETTINGS, "POTION_PROXIES": proxies}).create_app()
        seen = {}

        @app.get("/whoami")
        def whoami():
            from flask import request

            seen.update(address=request.remote_addr, scheme=request.scheme)
            return "ok"

        assert app.test_client().get("/whoami", headers=headers).status_code == 200
        assert seen == {"address": address, "scheme": scheme}


def test_the_settings_reference_names_every_setting():
    text = (Path(__file__).resolve().parent.parent / "docs" / "settings.md").read_text()
    documented = set(re.findall(r"`(POTION_[A-Z0-9_]+)`", text))
    for key in [*DEFAULTS, *CORE_DEFAULTS, *AUTH_DEFAULTS]:
        assert key in documented, f"docs/settings.md does not describe {key}"


@pytest.mark.parametrize("url", ["sqlite:///{tmp}/project.db", "sqlite://"])
def test_sqlite_enforces_foreign_keys(tmp_path, url):
    project = Project({**SETTINGS, "SQLALCHEMY_DATABASE_URI": url.format(tmp=tmp_path)})
    app = project.create_app()
    with app.app_context():
        session = project.db.session
        project.db.create_all()
        try:
            assert session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
            # a link to a user and a role that do not exist is refused
            with pytest.raises(sa.exc.IntegrityError):
                session.execute(
                    sa.text("insert into auth_user_roles (user_id, role_id) values (7, 7)")
                )
                session.flush()
            session.rollback()
            # other connections of the pool too
            with project.db.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        finally:
            session.rollback()
            project.db.drop_all()
            session.remove()
