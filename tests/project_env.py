"""Helpers for the tests of the project wrapper: generated projects run in subprocesses.

A project made by ``potion startproject`` declares its models on the process-wide
``potion.project.db``, so every test that runs one runs its ``manage.py`` in a
subprocess of its own (only the example project is built inside the test process,
see ``tests/example_env.py``).  ``startproject`` runs once per test process
(:func:`template_project`); each test works on a copy of it.

:func:`scratch_database` gives a test a PostgreSQL or MariaDB database of its own
(created now, dropped when the process exits); it skips when the server is absent.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from . import databases

REPO = Path(__file__).resolve().parent.parent
PROJECT_NAME = "testsite"
PASSWORD = "a long and private phrase"

_counter = itertools.count()


def environment(**extra: str) -> dict[str, str]:
    """The environment of a project's subprocess: the checkout importable, no stray settings."""
    env = {k: v for k, v in os.environ.items() if k not in ("POTION_SETTINGS", "DATABASE_URL")}
    paths = [str(REPO), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["POTION_SUPERUSER_PASSWORD"] = PASSWORD
    env.update(extra)
    return env


def run(
    args: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    check: bool = True,
    timeout: float = 180,
) -> subprocess.CompletedProcess[str]:
    """Run a command; with ``check``, fail the test showing its output when it fails."""
    result = subprocess.run(
        args,
        cwd=cwd,
        env=env if env is not None else environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"{' '.join(args)} exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def manage(
    project: Path, *args: str, check: bool = True, **env: str
) -> subprocess.CompletedProcess[str]:
    """``python manage.py ARGS`` in ``project``."""
    return run([sys.executable, "manage.py", *args], project, environment(**env), check=check)


_TEMPLATE: dict[str, Path] = {}


def template_project(tmp_path_factory: Any) -> Path:
    """A project made by ``potion startproject`` (once per test process)."""
    if PROJECT_NAME not in _TEMPLATE:
        root = tmp_path_factory.mktemp("template")
        run([sys.executable, "-m", "potion.cli", "startproject", PROJECT_NAME], root)
        _TEMPLATE[PROJECT_NAME] = root / PROJECT_NAME
    return _TEMPLATE[PROJECT_NAME]


def copy_project(tmp_path_factory: Any, target: Path) -> Path:
    """A fresh copy of the template project at ``target``."""
    shutil.copytree(template_project(tmp_path_factory), target)
    return target


def add_app(project: Path, name: str, models: str, resources: str) -> None:
    """``manage.py startapp NAME`` and append code to its models.py and resources.py."""
    manage(project, "startapp", name)
    with open(project / name / "models.py", "a") as f:
        f.write("\n\n" + models)
    with open(project / name / "resources.py", "a") as f:
        f.write("\n\n" + resources)


def scratch_database(kind: str) -> str:
    """The SQLAlchemy URL of a new, empty database of ``kind`` (dropped at exit)."""
    if kind == "sqlite":
        raise ValueError("use a file in tmp_path for SQLite")
    base = databases.sqlalchemy_url(kind)  # skips when the server is absent
    name = f"potion_scratch_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}_{next(_counter)}"
    admin = databases._admin_connection(kind, base)  # reads host, port, user, password
    with admin.cursor() as cur:
        if kind == "postgres":
            cur.execute(f'drop database if exists "{name}" with (force)')
            cur.execute(f'create database "{name}"')
        else:
            cur.execute(f"drop database if exists `{name}`")
            cur.execute(f"create database `{name}`")
    admin.close()
    atexit.register(databases._drop_database, kind, base, name)
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_line(stream: Any, marker: str, limit: int = 200) -> list[str]:
    """Read lines from a process's pipe until one holds ``marker`` (blocking, no sleeps).

    Returns the lines read; fails the test when the pipe closes first.
    """
    lines: list[str] = []
    for _ in range(limit):
        line = stream.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return lines
    pytest.fail(f"never saw {marker!r}; the process wrote:\n{''.join(lines)}")
