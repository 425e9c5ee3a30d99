"""``potion startproject``: the files of a new project, and the names it refuses."""

from __future__ import annotations

import ast
import os
import sys

import pytest
from click.testing import CliRunner

from potion.cli import main
from potion.cli.checks import INSECURE_KEY_PREFIX
from potion.cli.scaffold import _context, name_problem, template_dir

from .project_env import PROJECT_NAME, run, template_project


def invoke(*args: str, cwd=None):
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(main, list(args), prog_name="potion")
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, list(args), prog_name="potion")
    finally:
        os.chdir(old)


def test_help():
    result = invoke("--help")
    assert result.exit_code == 0
    assert "startproject" in result.output
    result = invoke("startproject", "--help")
    assert result.exit_code == 0
    assert "Usage: potion startproject [OPTIONS] NAME [DIRECTORY]" in result.output
    assert invoke("--version").output.startswith("Potion, version ")


def test_the_console_script_runs(tmp_path):
    result = run([sys.executable, "-m", "potion.cli", "--help"], tmp_path)
    assert "startproject" in result.stdout


def test_a_new_project(tmp_path_factory):
    project = template_project(tmp_path_factory)
    files = sorted(
        str(p.relative_to(project))
        for p in project.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    initial = [f for f in files if f.startswith("migrations/versions/")]
    assert len(initial) == 1 and initial[0].endswith("_initial.py")
    assert [f for f in files if f not in initial] == [
        ".gitignore",
        "README.md",
        "manage.py",
        "migrations/env.py",
        "migrations/script.py.mako",
        f"{PROJECT_NAME}/__init__.py",
        f"{PROJECT_NAME}/models.py",
        f"{PROJECT_NAME}/resources.py",
        f"{PROJECT_NAME}/settings.py",
        "wsgi.py",
    ]
    assert os.access(project / "manage.py", os.X_OK)
    for name in files:
        text = (project / name).read_text()
        assert "{{" not in text, f"{name} kept a placeholder"
        if name.endswith(".py"):
            ast.parse(text, name)  # every Python file is valid Python
    settings = (project / PROJECT_NAME / "settings.py").read_text()
    assert f'SECRET_KEY = env.str("SECRET_KEY", "{INSECURE_KEY_PREFIX}' in settings
    assert 'POTION_APPS = [\n    "testsite",\n]' in settings
    assert 'DEBUG = env.bool("DEBUG", False)' in settings
    # the first migration creates contrib.auth's tables
    migration = (project / initial[0]).read_text()
    for table in ("auth_user", "auth_role", "auth_session", "auth_token", "auth_attempt"):
        assert f"op.create_table('{table}'" in migration
    assert "testsite.settings" in (project / "manage.py").read_text()


def test_every_project_gets_its_own_secret_key():
    keys = {_context("a")["secret_key"] for _ in range(5)}
    assert len(keys) == 5
    assert all(k.startswith(INSECURE_KEY_PREFIX) and len(k) > 60 for k in keys)


def test_the_template_ships_in_the_package():
    folder = template_dir()
    assert (folder / "manage.py-tpl").is_file()
    assert not list(folder.rglob("*.py")), "template files end in -tpl"


@pytest.mark.parametrize(
    "name, problem",
    [
        ("my-site", "is not a valid project name"),
        ("1site", "is not a valid project name"),
        ("café", "is not a valid project name"),
        ("class", "is a Python keyword"),
        ("match", "is a Python keyword"),
        ("json", "is the name of an importable module"),
        ("flask", "is the name of an importable module"),
        ("potion", "is the name of an importable module"),
    ],
)
def test_invalid_names_are_refused_and_nothing_is_written(tmp_path, name, problem):
    result = invoke("startproject", name, cwd=tmp_path)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and problem in lines[0]
    assert list(tmp_path.iterdir()) == []
    assert name_problem(name) is not None


def test_a_folder_that_is_not_empty_is_refused(tmp_path):
    target = tmp_path / "here"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    result = invoke("startproject", "newsite", str(target), cwd=tmp_path)
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {target} already exists and is not an empty folder"
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here"]
    # a file in the way, too
    (tmp_path / "newsite").write_text("a file")
    result = invoke("startproject", "newsite", cwd=tmp_path)
    assert result.exit_code == 1 and "already exists" in result.output
