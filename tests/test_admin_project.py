"""The project wrapper mounts the admin at ``POTION_ADMIN_URL`` (the example project's
admin is tested in tests/test_example.py, where the project is built once)."""

from __future__ import annotations

import re

from potion.contrib.admin import Admin, get_admin
from potion.project import Project

from .admin_env import PASSWORD, Session, main_text

SETTINGS = {
    "SECRET_KEY": "a test key that is long enough for the checks",
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
    "POTION_AUTH_ARGON2_TIME_COST": 1,
    "POTION_AUTH_ARGON2_MEMORY_COST": 8,
    "POTION_AUTH_ARGON2_PARALLELISM": 1,
    "POTION_CHECK_MIGRATIONS": False,
}


def test_the_project_mounts_the_admin_at_its_url():
    project = Project({**SETTINGS, "POTION_ADMIN_URL": "/backoffice"})
    app = project.create_app()
    assert isinstance(project.admin, Admin) and get_admin(app) is project.admin
    assert project.admin.url_prefix == "/backoffice"
    assert app.config["POTION_AUTH_LOGIN_REDIRECT"] == "/backoffice/"
    with app.app_context():
        project.db.create_all()
        project.auth.create_user("root", PASSWORD, validate=False, is_superuser=True)
    client = Session(app, "root")
    assert client.get("/admin/").status_code == 404
    page = client.page("/backoffice/")
    assert re.findall(r'data-resource="(\w+)"', page) == ["role", "user"]
    assert "/backoffice/user/" in page
    assert "root" in main_text(client.page("/backoffice/user/"))
