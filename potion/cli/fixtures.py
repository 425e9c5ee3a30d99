"""Fixtures: items as JSON, dumped from and loaded through the resources.

A fixture file is a JSON list of items::

    [
      {"resource": "author", "id": 1, "fields": {"first_name": "Ursula", "last_name": "Le Guin"}},
      {"resource": "book", "id": 1, "fields": {"title": "The Dispossessed",
                                               "author": {"$ref": "/api/author/1"}}}
    ]

``fields`` is the item as the API writes it (references as the API formats them,
or any key the target resource accepts, such as a natural key).  Loading goes
through each resource's schema and manager, so validation, references and
signals apply as for a ``POST``; an item whose id exists is updated instead.
The whole file is one transaction: one bad item and nothing is written.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import sqlalchemy as sa

from .. import fields as potion_fields
from ..exceptions import ItemNotFound, PotionException, ValidationError
from ..resource import ModelResource

if TYPE_CHECKING:
    from ..project import Project

__all__ = ["FixtureError", "dump_items", "load_items", "read_fixture", "fixture_resources"]


class FixtureError(RuntimeError):
    """A fixture cannot be dumped or loaded; ``str()`` is one line.  Nothing was written."""


def _model_resources(project: Project) -> dict[str, Any]:
    project.create_app()
    api = project.api
    assert api is not None
    return {
        name: resource
        for name, resource in api.resources.items()
        if issubclass(resource, ModelResource) and resource.manager is not None
    }


def _contrib_names(project: Project) -> set[str]:
    auth = project.auth
    return {r.meta.name for r in (auth.resources.values() if auth is not None else ())}


def _targets(resource: Any) -> set[str]:
    names = set()
    for field in resource.schema.fields.values():
        if isinstance(field, (potion_fields.ToOne, potion_fields.ToMany)):
            try:
                names.add(field.target.meta.name)
            except Exception:  # an unresolvable reference: the start-up checks say so
                continue
    return names


def fixture_resources(project: Project, names: Iterable[str] = ()) -> list[Any]:
    """The resources to dump, referenced ones first: ``names``, or every resource of
    the project's apps (contrib.auth's users and roles only when named)."""
    available = _model_resources(project)
    names = list(names)
    unknown = [name for name in names if name not in available]
    if unknown:
        raise FixtureError(
            f"Unknown resource {unknown[0]!r}: the resources are {', '.join(sorted(available))}"
        )
    if not names:
        contrib = _contrib_names(project)
        names = [name for name in available if name not in contrib]
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered or name in visiting:
            return
        visiting.add(name)
        for target in sorted(_targets(available[name])):
            if target in names and target != name:
                visit(target)
        visiting.discard(name)
        ordered.append(name)

    for name in names:
        visit(name)
    return [available[name] for name in ordered]


def _dumpable(resource: Any) -> list[str]:
    schema = resource.schema
    return [
        key
        for key, field in schema.fields.items()
        if not key.startswith("$") and "r" in field.io and "c" in field.io
    ]


def dump_items(project: Project, names: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Every item of the resources (see :func:`fixture_resources`) as fixture entries."""
    entries: list[dict[str, Any]] = []
    app = project.app
    with app.app_context():
        for resource in fixture_resources(project, names):
            manager = resource.manager
            keys = _dumpable(resource)
            formatter = resource.schema.formatter()
            for item in manager.instances():
                body = formatter(manager.for_output(item))
                entries.append(
                    {
                        "resource": resource.meta.name,
                        "id": manager.get_id(item),
                        "fields": {key: body[key] for key in keys if key in body},
                    }
                )
    return entries


def read_fixture(path: str | Path) -> list[dict[str, Any]]:
    """The entries of a fixture file; :class:`FixtureError` when it is missing or malformed."""
    path = Path(path)
    if not path.is_file():
        raise FixtureError(f"No fixture file at {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise FixtureError(f"{path} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise FixtureError(f"{path} is not JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(data, list):
        raise FixtureError(f"{path} must hold a JSON list of items")
    for number, entry in enumerate(data, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), str):
            raise FixtureError(f"{path}: item {number} is not an object with a 'resource'")
        if not isinstance(entry.get("fields", {}), dict):
            raise FixtureError(f"{path}: item {number}'s 'fields' is not an object")
        unknown = set(entry) - {"resource", "id", "fields"}
        if unknown:
            raise FixtureError(
                f"{path}: item {number} has unknown keys: {', '.join(sorted(unknown))}"
            )
    return data


def _problem(error: PotionException) -> str:
    if isinstance(error, ValidationError) and error.errors:
        parts = []
        for entry in error.errors:
            where = "/".join(str(p) for p in entry.get("path", ())) or "the item"
            what = entry.get("message") or ", ".join(
                f"{k} {json.dumps(v)}" for k, v in (entry.get("validationOf") or {}).items()
            )
            # a plain-word message (POTION_ERROR_DETAIL) names the property itself
            parts.append(what if f"'{where}'" in what else f"{where}: {what}")
        return "; ".join(parts)
    return str(error.as_dict().get("message") or type(error).__name__)


def load_items(
    project: Project, entries: list[dict[str, Any]], source: str = "fixture"
) -> Counter[str]:
    """Create (or update, by id) every entry through its resource, in one transaction.

    Returns the number of items per resource.  Raises :class:`FixtureError` naming
    the first bad item; then nothing is written.
    """
    resources = _model_resources(project)
    counts: Counter[str] = Counter()
    app = project.app
    with app.app_context():
        session = project.db.session
        try:
            for number, entry in enumerate(entries, 1):
                name = entry["resource"]
                resource = resources.get(name)
                if resource is None:
                    raise FixtureError(
                        f"{source}: item {number} names the unknown resource {name!r}"
                    )
                try:
                    _load_one(resource, entry)
                except PotionException as error:
                    raise FixtureError(
                        f"{source}: item {number} ({name}"
                        + (f" {entry['id']}" if "id" in entry else "")
                        + f") is invalid: {_problem(error)}"
                    ) from None
                counts[name] += 1
            _reset_sequences(session, [resources[name] for name in counts])
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return counts


def _load_one(resource: Any, entry: dict[str, Any]) -> None:
    manager = resource.manager
    body = dict(entry.get("fields") or {})
    item_id = entry.get("id")
    existing = None
    if item_id is not None:
        try:
            existing = manager.read(item_id)
        except ItemNotFound:
            existing = None
    if existing is not None:
        changes = resource.schema.convert(body, update=True)
        manager.update(existing, changes, commit=False)
        return
    properties = resource.schema.convert(body)
    if item_id is not None:
        properties[manager.id_attribute] = item_id
    manager.create(properties, commit=False)


def _reset_sequences(session: Any, resources: list[Any]) -> None:
    """After explicit ids, PostgreSQL's sequences must move past them."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for resource in resources:
        table = getattr(resource.manager.model, "__table__", None)
        if table is None:
            continue
        for column in table.primary_key.columns:
            if not isinstance(column.type, sa.Integer):
                continue
            session.execute(
                sa.text(
                    "select setval(pg_get_serial_sequence(:table, :column), "
                    f'coalesce((select max("{column.name}") from "{table.name}"), 0) + 1, false)'
                ),
                {"table": table.name, "column": column.name},
            )
