"""A project served by gunicorn with two workers against PostgreSQL, settings from the
environment: logins and writes go through both workers, and a session made by one
worker is good on the other.

The project records which worker process served each login (flask-login's
``user_logged_in`` signal) and each write (``before_create``), so the test can tell
that both workers did both.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
import sqlalchemy as sa

from .project_env import (
    PROJECT_NAME,
    add_app,
    copy_project,
    environment,
    free_port,
    manage,
    scratch_database,
    wait_for_line,
)
from .test_e2e_project import Client

MODELS = """
class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(100), nullable=False, unique=True)
    worker = db.Column(db.Integer, nullable=False, default=0)


class Login(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(150), nullable=False)
    worker = db.Column(db.Integer, nullable=False)
"""

RESOURCES = """
import os

from flask_login import user_logged_in

from potion import signals
from potion.project import db

from .models import Login, Note


class NoteResource(ModelResource):
    class Meta:
        model = Note
        read_only_fields = ("worker",)
        # any logged-in user writes (the project's default is staff only)
        permissions = {"read": "yes", "create": "authenticated"}


@signals.before_create.connect_via(NoteResource)
def _served_by(sender, item, **kwargs):
    item.worker = os.getpid()


@user_logged_in.connect
def _logged_in(sender, user, **kwargs):
    db.session.add(Login(username=user.username, worker=os.getpid()))
"""

USERS = [f"reader{n}" for n in range(6)]
PASSWORD = "a long and private phrase"


@pytest.mark.postgres
def test_two_gunicorn_workers_on_postgresql(tmp_path_factory, tmp_path):
    url = scratch_database("postgres")
    project = copy_project(tmp_path_factory, tmp_path / PROJECT_NAME)
    add_app(project, "notes", MODELS, RESOURCES)
    manage(project, "makemigrations", "-m", "notes", DATABASE_URL=url)
    manage(project, "migrate", DATABASE_URL=url)
    create = "; ".join(f"auth.create_user({name!r}, {PASSWORD!r})" for name in USERS)
    manage(project, "shell", "-c", create, DATABASE_URL=url)

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        cwd=project,
        env=environment(DATABASE_URL=url, ALLOWED_HOSTS="127.0.0.1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = wait_for_line(server.stderr, "Booting worker with pid")
        lines += wait_for_line(server.stderr, "Booting worker with pid")
        workers = {int(line.rsplit(":", 1)[1]) for line in lines if "Booting worker" in line}
        assert len(workers) == 2
        base = f"http://127.0.0.1:{port}"

        failures: list[object] = []

        def session(username: str, round_: int) -> None:
            client = Client(base)
            status, body = client.request(
                "POST", "/api/auth/login", {"username": username, "password": PASSWORD}
            )
            if status != 200:
                failures.append((username, status, body))
                return
            client.csrf = body["csrf_token"]
            for n in range(3):
                status, body = client.request(
                    "POST", "/api/note", {"text": f"{username} {round_} {n}"}
                )
                if status != 200:
                    failures.append((username, status, body))
            status, body = client.request("GET", "/api/auth/session")
            if status != 200 or body["user"]["username"] != username:
                failures.append((username, status, body))

        engine = sa.create_engine(url)
        try:
            for round_ in range(5):
                threads = [threading.Thread(target=session, args=(name, round_)) for name in USERS]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(timeout=120)
                assert not failures, failures
                with engine.connect() as connection:
                    login_workers = set(
                        connection.execute(sa.text("select worker from login")).scalars()
                    )
                    note_workers = set(
                        connection.execute(sa.text("select worker from note")).scalars()
                    )
                    notes = connection.execute(sa.text("select count(*) from note")).scalar()
                assert notes == 3 * len(USERS) * (round_ + 1)
                if login_workers == workers and note_workers == workers:
                    break
            assert login_workers == workers, "both workers log users in"
            assert note_workers == workers, "both workers write"
        finally:
            engine.dispose()
        # a host the settings do not allow is refused
        status, _ = Client(f"http://localhost:{port}").request("GET", "/api/note")
        assert status == 400
    finally:
        os.kill(server.pid, 15)
        server.communicate(timeout=60)
