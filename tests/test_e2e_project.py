"""End to end, as a user: from ``potion startproject`` to a served, changed and
migrated-back project, in a fresh virtualenv that holds only the built wheel.

How the virtualenv is made without the network (tests never download):

1. the wheel of this checkout is built from a copy of its sources with
   ``pip wheel --no-deps --no-build-isolation --no-index`` (setuptools of the running
   interpreter; the ``test`` extra requires it);
2. ``python -m venv --without-pip`` makes the virtualenv;
3. the running interpreter's pip installs the wheel into it
   (``pip --python <venv>/bin/python install --no-deps --no-index <wheel>``), which
   also writes the ``potion`` console script into ``<venv>/bin``;
4. a ``.pth`` file in the virtualenv's site-packages names the running interpreter's
   site-packages, so the shared dependencies (Flask, SQLAlchemy, alembic, ...) are
   importable without being installed again.  Paths of a ``.pth`` come after the
   virtualenv's own site-packages, and ``.pth`` files of the shared folder are not
   run, so ``potion`` is the wheel's (the test checks ``potion.__file__``).

The same flow runs on SQLite and on PostgreSQL (when ``POTION_TEST_POSTGRES_URL``
names a server; CI sets it).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .project_env import PASSWORD, REPO, free_port, scratch_database, wait_for_line

SOURCES = ["potion", "flask_potion", "project_template", "setup.py", "setup.cfg"]
SOURCES += ["pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"]


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A virtualenv holding only the wheel of this checkout (see the module docstring)."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    source.mkdir()
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run(
        [
            *pip,
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(root / "dist"),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (root / "dist").glob("potion-*.whl")
    env = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    subprocess.run(
        [*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        env=clean,
    ).stdout.strip()
    shared = sysconfig.get_paths()["purelib"]
    (Path(site) / "shared-dependencies.pth").write_text(shared + "\n")
    where = subprocess.run(
        [str(python), "-c", "import potion; print(potion.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=root,
        env=clean,
    ).stdout.strip()
    assert where.startswith(str(env)), where
    return env


class Run:
    """Commands of the virtualenv, in one folder, with one database."""

    def __init__(self, venv: Path, cwd: Path, database_url: str | None) -> None:
        self.venv = venv
        self.cwd = cwd
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("PYTHONPATH", "POTION_SETTINGS", "DATABASE_URL", "VIRTUAL_ENV")
        }
        self.env["PATH"] = f"{venv / 'bin'}{os.pathsep}{self.env.get('PATH', '')}"
        self.env["POTION_SUPERUSER_PASSWORD"] = PASSWORD
        if database_url:
            self.env["DATABASE_URL"] = database_url

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            list(args), cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=180
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"{' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self(str(self.venv / "bin" / "python"), "manage.py", *args, check=check)


class Client:
    """A cookie-keeping JSON client on urllib (the virtualenv's server is real)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.csrf: str | None = None

    def request(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.csrf:
            request.add_header("X-CSRFToken", self.csrf)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


MODELS = """
class Product(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(100), nullable=False, unique=True)
    price = db.Column(db.Integer, nullable=False)
"""

RESOURCES = """
from .models import Product


class ProductResource(ModelResource):
    class Meta:
        model = Product
        natural_key = "name"
        permissions = {"read": "yes", "create": "editor", "update": "editor", "delete": "editor"}

    class Schema:
        price = fields.Integer(minimum=0)
"""


def database(kind: str, tmp_path: Path) -> str | None:
    return None if kind == "sqlite" else scratch_database(kind)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_from_startproject_to_a_served_and_migrated_project(venv, tmp_path, kind):
    run = Run(venv, tmp_path, database(kind, tmp_path))
    created = run(str(venv / "bin" / "potion"), "startproject", "mysite")
    assert created.stdout.startswith(f"Created the project mysite in {tmp_path / 'mysite'}")
    run.cwd = tmp_path / "mysite"

    result = run.manage("startapp", "shop")
    assert "It is in POTION_APPS" in result.stdout
    with open(run.cwd / "shop" / "models.py", "a") as f:
        f.write(MODELS)
    with open(run.cwd / "shop" / "resources.py", "a") as f:
        f.write(RESOURCES)
    made = run.manage("makemigrations", "-m", "products")
    assert made.stdout.startswith("Wrote migrations/versions/")
    migrated = run.manage("migrate")
    assert migrated.stdout.strip().endswith(
        "Applied 2 migrations; the database is at "
        + made.stdout.split("revision ")[1].split(")")[0]
        + "."
    )
    run.manage(
        "createsuperuser", "--username", "admin", "--email", "admin@example.org", "--noinput"
    )

    port = free_port()
    server = subprocess.Popen(
        [
            str(venv / "bin" / "python"),
            "manage.py",
            "runserver",
            "--port",
            str(port),
            "--no-reload",
        ],
        cwd=run.cwd,
        env=run.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_line(server.stderr, f"Running on http://127.0.0.1:{port}")
        client = Client(f"http://127.0.0.1:{port}")
        status, body = client.request(
            "POST", "/api/auth/login", {"username": "admin", "password": PASSWORD}
        )
        assert status == 200, body
        client.csrf = body["csrf_token"]
        status, body = client.request("POST", "/api/product", {"name": "Tea", "price": 3})
        assert (status, body) == (200, {"$uri": "/api/product/1", "name": "Tea", "price": 3})
        status, body = client.request("GET", "/api/product")
        assert (status, body) == (200, [{"$uri": "/api/product/1", "name": "Tea", "price": 3}])
        # the admin, with the templates and assets the wheel ships
        with client.opener.open(client.base + "/admin/product/", timeout=30) as response:
            page = response.read().decode()
        assert "Tea" in page and "1 item" in page and "data-resource" not in page
        with client.opener.open(client.base + "/admin/static/admin.css", timeout=30) as response:
            assert b"--accent" in response.read()
        status, body = Client(f"http://127.0.0.1:{port}").request(
            "POST", "/api/product", {"name": "Mate", "price": 2}
        )
        assert status == 403, body  # anonymous: not an editor
    finally:
        os.kill(server.pid, 15)
        server.communicate(timeout=60)
    assert server.returncode is not None

    # change the model, make and apply a second migration, then go back down
    text = (run.cwd / "shop" / "models.py").read_text()
    (run.cwd / "shop" / "models.py").write_text(
        text.replace(
            "price = db.Column(db.Integer, nullable=False)\n",
            "price = db.Column(db.Integer, nullable=False)\n"
            "    stock = db.Column(db.Integer, nullable=False, server_default='0')\n",
        )
    )
    second = run.manage("makemigrations", "-m", "stock")
    revision = second.stdout.split("revision ")[1].split(")")[0]
    assert "add_column" in (run.cwd / second.stdout.split()[1]).read_text()
    run.manage("migrate")
    columns = "print(sorted(c.name for c in Product.__table__.columns)); print(db.session.execute(db.text('select name, stock from product')).all())"
    assert run.manage("shell", "-c", columns).stdout.splitlines() == [
        "['id', 'name', 'price', 'stock']",
        "[('Tea', 0)]",
    ]
    shown = run.manage("showmigrations").stdout.splitlines()
    assert shown[-1] == f"[X] {revision}  stock (head)"
    down = run.manage("migrate", "-1")
    assert down.stdout.splitlines()[0] == f"  Unapplied {revision}  stock"
    shown = run.manage("showmigrations").stdout.splitlines()
    assert shown[-1] == f"[ ] {revision}  stock (head)"
    check = "print(db.session.execute(db.text('select * from product')).all())"
    assert run.manage("shell", "-c", check).stdout.strip() == "[(1, 'Tea', 3)]"
