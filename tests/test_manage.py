"""``manage.py`` of a generated project: every command's ``--help``, and bad input.

Each bad input must end the command with exit status 1 (2 for a malformed command
line), exactly one line on stderr, and the database unchanged.
"""

from __future__ import annotations

import json
import sqlite3
import sys

import pytest

from .project_env import PROJECT_NAME, add_app, copy_project, environment, manage, run

COMMANDS = [
    "changepassword",
    "check",
    "clearsessions",
    "clientstubs",
    "createsuperuser",
    "createtoken",
    "dumpdata",
    "loaddata",
    "makemigrations",
    "migrate",
    "routes",
    "runserver",
    "shell",
    "showmigrations",
    "startapp",
]

HELP_SCRIPT = """
import json
import click
from click.testing import CliRunner
from potion.cli.manage import make_cli
from potion.project import Project

cli = make_cli(Project.from_environment())
names = cli.list_commands(click.Context(cli))
runner = CliRunner()
results = {}
for name in [None, *names]:
    args = ["--help"] if name is None else [name, "--help"]
    result = runner.invoke(cli, args, prog_name="manage.py")
    results[name or ""] = [result.exit_code, result.output]
print(json.dumps(results))
"""

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

    class Schema:
        price = fields.Integer(minimum=0)
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project with a ``shop`` app, migrated, with a superuser and one product."""
    root = copy_project(tmp_path_factory, tmp_path_factory.mktemp("manage") / PROJECT_NAME)
    add_app(root, "shop", MODELS, RESOURCES)
    manage(root, "makemigrations", "-m", "products")
    manage(root, "migrate")
    manage(root, "createsuperuser", "--username", "admin", "--noinput")
    fixture = root / "products.json"
    fixture.write_text(json.dumps([{"resource": "product", "fields": {"name": "Tea", "price": 3}}]))
    manage(root, "loaddata", str(fixture))
    (root / PROJECT_NAME / "settings_typo.py").write_text(
        "from .settings import *  # noqa\nPOTION_APPS = [*POTION_APPS, 'shopp']\n"
    )
    return root


def snapshot(root):
    """Every table's definition and rows, and the recorded revision."""
    connection = sqlite3.connect(root / "db.sqlite3")
    try:
        tables = connection.execute(
            "select name, sql from sqlite_master where type in ('table', 'index') order by name"
        ).fetchall()
        rows = {
            name: sorted(map(repr, connection.execute(f'select * from "{name}"').fetchall()))
            for name, sql in tables
            if sql and sql.startswith("CREATE TABLE")
        }
    finally:
        connection.close()
    return tables, rows


def test_manage_help(project):
    result = manage(project, "--help")
    assert result.stdout.startswith("Usage: manage.py [OPTIONS] COMMAND [ARGS]...")
    for name in COMMANDS:
        assert f"  {name} " in result.stdout


def test_every_commands_help(project):
    result = run(
        [sys.executable, "-c", HELP_SCRIPT],
        project,
        environment(POTION_SETTINGS=f"{PROJECT_NAME}.settings"),
    )
    helps = json.loads(result.stdout)
    assert sorted(name for name in helps if name) == COMMANDS
    for name, (status, output) in helps.items():
        assert status == 0, (name, output)
        assert output.startswith(f"Usage: manage.py {name}".rstrip()), (name, output)
    assert "[--reload/--no-reload]" not in helps["runserver"][1]  # options are listed below
    for option in ("--host", "--port", "--reload / --no-reload", "--debug"):
        assert option in helps["runserver"][1]
    assert "[REVISION]" in helps["migrate"][1]
    assert "-m, --message" in helps["makemigrations"][1]
    assert "--deploy" in helps["check"][1]
    assert "--noinput" in helps["createsuperuser"][1]


BAD_INPUT = [
    (["migrate", "nope"], "Unknown revision 'nope'"),
    (["migrate", "-9"], "Cannot go -9 revisions down"),
    (["loaddata", "missing.json"], "No fixture file at missing.json"),
    (["loaddata", "broken.json"], "broken.json is not JSON"),
    (["loaddata", "invalid.json"], "item 2 (product) is invalid: 'price' must be at least 0"),
    (["loaddata", "unknown.json"], "item 1 names the unknown resource 'gadget'"),
    (["loaddata", "duplicate.json"], "item 1 (product) is invalid"),
    (["loaddata", "shape.json"], "must hold a JSON list of items"),
    (["dumpdata", "gadget"], "Unknown resource 'gadget'"),
    (["startapp", "2shop"], "'2shop' is not a valid app name"),
    (["startapp", "shop"], "'shop' is the name of an importable module"),
    (["changepassword", "nobody"], "No user named 'nobody'"),
    (["createsuperuser", "--noinput"], "--username is required with --noinput"),
    (
        ["createsuperuser", "--username", "admin", "--noinput"],
        "A user named 'admin' already exists",
    ),
    (["runserver", "--port", "0"], "Invalid value for '--port'"),
    (["makemigrations", "--merge"], "Nothing to merge"),
    (["frobnicate"], "No such command 'frobnicate'"),
]


@pytest.mark.parametrize(
    "args, problem", BAD_INPUT, ids=lambda v: " ".join(v) if isinstance(v, list) else None
)
def test_bad_input_is_one_line_and_changes_nothing(project, args, problem):
    (project / "broken.json").write_text('[{"resource": "product",')
    (project / "invalid.json").write_text(
        json.dumps(
            [
                {"resource": "product", "fields": {"name": "Coffee", "price": 4}},
                {"resource": "product", "fields": {"name": "Cocoa", "price": -1}},
            ]
        )
    )
    (project / "unknown.json").write_text(json.dumps([{"resource": "gadget", "fields": {}}]))
    (project / "duplicate.json").write_text(
        json.dumps([{"resource": "product", "fields": {"name": "Tea", "price": 2}}])
    )
    (project / "shape.json").write_text(json.dumps({"product": []}))
    before = snapshot(project)
    files = sorted(p.name for p in project.iterdir())
    result = manage(project, *args, check=False)
    assert result.returncode in (1, 2), result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ") and problem in lines[0], lines[0]
    assert snapshot(project) == before
    assert sorted(p.name for p in project.iterdir()) == files


def test_an_unknown_app_is_refused(project):
    before = snapshot(project)
    for args in (["migrate"], ["runserver"], ["dumpdata"]):
        result = manage(
            project, *args, check=False, POTION_SETTINGS=f"{PROJECT_NAME}.settings_typo"
        )
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(
            "Error: project.E002: POTION_APPS names 'shopp', which is not an importable module"
        )
        assert "python manage.py startapp shopp" in lines[0]
    assert snapshot(project) == before


BROKEN_MODELS = """
class Customer(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(100), nullable=False)


class Order(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    customer_id = db.Column(db.Integer, db.ForeignKey(Customer.id), nullable=False)
    customer = db.relationship(Customer)
    total = db.Column(db.Integer)
    noon = db.Column(db.Time)
"""

BROKEN_RESOURCES = """
from .models import Customer, Order


class CustomerResource(ModelResource):
    class Meta:
        model = Customer


class OrderResource(ModelResource):
    class Meta:
        model = Order
        filters = {"total": ["equals"]}
"""


def test_check_lists_the_resource_checks_and_the_app_refuses_to_start(tmp_path_factory):
    root = copy_project(tmp_path_factory, tmp_path_factory.mktemp("broken") / PROJECT_NAME)
    add_app(root, "sales", BROKEN_MODELS, BROKEN_RESOURCES)
    result = manage(root, "check", check=False)
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert errors[:-1] == [
        "potion.E102: OrderResource: Order.customer_id (Integer) must have a value on create, "
        "but no field writes it, so every create fails (fix: add customer = "
        'fields.ToOne("customer") to OrderResource.Schema; if a before_create receiver fills '
        "it, add 'potion.E102' to OrderResource.Meta.silenced_checks)",
        "potion.E103: OrderResource.Meta.filters['total']: 'equals' is not an operator of "
        "Integer fields (fix: write 'eq' (accepted: eq, ne, lt, lte, gt, gte, in))",
    ]
    assert errors[-1].startswith("Error: The checks found 2 errors, ")
    served = manage(root, "runserver", "--port", "1", check=False)
    assert served.returncode == 1
    assert served.stderr.strip().splitlines()[-2:] == ["Error: " + errors[0], errors[1]]

    (root / "sales" / "resources.py").write_text(
        "from potion import ModelResource\n"
        + BROKEN_RESOURCES.replace('["equals"]', '["eq"]').replace(
            "filters = ", 'silenced_checks = ["potion.E102"]\n        filters = '
        )
    )
    result = manage(root, "check", check=False)
    assert result.returncode == 0, result.stderr
    assert (
        "potion.W101: OrderResource: Order.noon (Time) is not in the API: no field is "
        "inferred for its type (fix: declare it in OrderResource.Schema (e.g. noon = "
        "fields.String() with a conversion), or leave it out with Meta.exclude_fields = "
        "['noon'])"
    ) in result.stdout.splitlines()


def test_a_duplicate_in_a_fixture_rolls_the_whole_file_back(project):
    fixture = project / "two.json"
    fixture.write_text(
        json.dumps(
            [
                {"resource": "product", "fields": {"name": "Mate", "price": 5}},
                {"resource": "product", "fields": {"name": "Tea", "price": 1}},
            ]
        )
    )
    before = snapshot(project)
    result = manage(project, "loaddata", str(fixture), check=False)
    assert result.returncode == 1
    assert "item 2 (product) is invalid" in result.stderr
    assert snapshot(project) == before
