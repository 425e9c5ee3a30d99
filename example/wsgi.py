"""The lending library for a WSGI server: ``gunicorn example.wsgi:app`` (after migrating)."""

import os

os.environ.setdefault("POTION_SETTINGS", "example.settings")

from potion.project import Project  # noqa: E402

app = application = Project.from_environment().wsgi()
