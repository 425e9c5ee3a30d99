"""``startproject`` and ``startapp``: new projects and apps from ``project_template/``.

``project_template/`` is a folder at the top of Potion's repository, shipped in
the wheel as ``potion/project_template``.  Its files end in ``-tpl`` (so no tool
imports or lints them) and hold ``{{ project_name }}``, ``{{ app_name }}``,
``{{ secret_key }}`` and ``{{ potion_version }}`` placeholders:

==============================  =========================================================
``manage.py-tpl`` ...           the project's root: manage.py, wsgi.py, README.md,
                                ``gitignore-tpl`` (``.gitignore``)
``project_name/``               the project package (its settings), named after the project
``migrations/``                 alembic's environment and revision template
``app_template/``               an app: ``__init__.py``, ``models.py``, ``resources.py``;
                                the project package is its first app
==============================  =========================================================
"""

from __future__ import annotations

import importlib.util
import keyword
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .. import __version__
from .checks import INSECURE_KEY_PREFIX

__all__ = ["ScaffoldError", "template_dir", "name_problem", "start_project", "start_app"]

SUFFIX = "-tpl"
_PLACEHOLDER = re.compile(r"\{\{ (\w+) \}\}")


class ScaffoldError(RuntimeError):
    """A project or app cannot be created here; nothing was written."""


def template_dir() -> Path:
    """The ``project_template`` folder: in the installed package, or the repository's."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "project_template", package.parent / "project_template"):
        if (candidate / "manage.py-tpl").is_file():
            return candidate
    raise ScaffoldError("Potion's project_template folder is missing from this installation")


def name_problem(name: str, kind: str = "project") -> str | None:
    """Why ``name`` cannot name a project (or app), or None when it can."""
    if not name.isidentifier() or not name.isascii():
        return (
            f"{name!r} is not a valid {kind} name: use letters, digits and underscores, "
            "starting with a letter"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"{name!r} is a Python keyword: pick another {kind} name"
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        return (
            f"{name!r} is the name of an importable module ({spec.origin or 'a package'}): "
            f"pick another {kind} name"
        )
    return None


def _check_target(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ScaffoldError(f"{target} already exists and is not an empty folder")


def _render(text: str, context: dict[str, str], source: Path) -> str:
    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in context:
            raise ScaffoldError(f"{source} uses the unknown placeholder {{{{ {key} }}}}")
        return context[key]

    return _PLACEHOLDER.sub(replace, text)


def _copy(source: Path, target: Path, context: dict[str, str], skip: set[str]) -> None:
    """Copy a template folder, renaming ``project_name`` and stripping ``-tpl``."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(source.iterdir()):
        if entry.name in skip or entry.name == "__pycache__":
            continue
        name = entry.name
        if entry.is_dir():
            name = context["project_name"] if name == "project_name" else name
            _copy(entry, target / name, context, set())
            continue
        if not name.endswith(SUFFIX):
            continue
        name = name[: -len(SUFFIX)]
        if name == "gitignore":
            name = ".gitignore"
        destination = target / name
        if destination.exists():
            continue  # the project package's own file wins over the app template's
        destination.write_text(_render(entry.read_text(), context, entry))
        if name == "manage.py":
            destination.chmod(0o755)


def _context(project_name: str, app_name: str | None = None) -> dict[str, str]:
    return {
        "project_name": project_name,
        "app_name": app_name or project_name,
        "secret_key": INSECURE_KEY_PREFIX + secrets.token_urlsafe(48),
        "potion_version": __version__,
    }


def start_project(name: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """Create the project ``name`` in ``directory`` (``./name`` by default).

    Copies the template, makes a fresh secret key and the first migration (the
    tables of contrib.auth).  Raises :class:`ScaffoldError`, with nothing written,
    when the name or the folder will not do.
    """
    problem = name_problem(name)
    if problem:
        raise ScaffoldError(problem)
    target = Path(directory) if directory is not None else Path.cwd() / name
    target = target.absolute()
    _check_target(target)
    if not target.parent.is_dir():
        raise ScaffoldError(f"{target.parent} is not a folder")
    templates = template_dir()
    context = _context(name)
    scratch = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        _copy(templates, scratch, context, skip={"app_template"})
        _copy(templates / "app_template", scratch / name, context, set())
        (scratch / "migrations" / "versions").mkdir(exist_ok=True)
        _initial_migration(scratch, name)
        if target.exists():
            for child in scratch.iterdir():
                child.rename(target / child.name)
            scratch.rmdir()
        else:
            scratch.rename(target)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return target


def _initial_migration(root: Path, name: str) -> None:
    """Autogenerate the first revision (contrib.auth's tables) in a fresh process."""
    environment = dict(os.environ)
    environment["POTION_SETTINGS"] = f"{name}.settings"
    environment["DATABASE_URL"] = "sqlite://"  # compare the models with an empty database
    package_parent = str(Path(__file__).resolve().parent.parent.parent)
    paths = [package_parent, *filter(None, environment.get("PYTHONPATH", "").split(os.pathsep))]
    environment["PYTHONPATH"] = os.pathsep.join(paths)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "-m", "initial"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise ScaffoldError(
            "The first migration could not be made: " + (detail[-1] if detail else "no output")
        )


_APPS_BLOCK = re.compile(r"^POTION_APPS\s*=\s*\[(?P<body>[^\]]*)\]", re.M)


def start_app(
    name: str,
    root: Path,
    settings_file: Path | None = None,
    directory: str | os.PathLike[str] | None = None,
) -> tuple[Path, bool]:
    """Create the app ``name`` (``root/name`` unless ``directory`` says otherwise).

    Adds it to ``POTION_APPS`` in ``settings_file`` when that holds a plain list.
    Returns the app's folder and whether the settings were changed.
    """
    problem = name_problem(name, "app")
    if problem:
        raise ScaffoldError(problem)
    target = (Path(directory) if directory is not None else root / name).absolute()
    _check_target(target)
    scratch = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        _copy(template_dir() / "app_template", scratch, _context(name, name), set())
        if target.exists():
            for child in scratch.iterdir():
                child.rename(target / child.name)
            scratch.rmdir()
        else:
            scratch.rename(target)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return target, _register_app(name, settings_file)


def _register_app(name: str, settings_file: Path | None) -> bool:
    if settings_file is None or not settings_file.is_file():
        return False
    text = settings_file.read_text()
    match = _APPS_BLOCK.search(text)
    if match is None:
        return False
    body = match.group("body")
    if re.search(rf"[\"']{re.escape(name)}[\"']", body):
        return True
    stripped = body.rstrip()
    if not stripped.strip():
        new_body = f'\n    "{name}",\n'
    else:
        separator = "" if stripped.endswith(",") else ","
        new_body = f'{stripped}{separator}\n    "{name}",\n'
    text = text[: match.start("body")] + new_body + text[match.end("body") :]
    settings_file.write_text(text)
    return True
