"""Start-up checks of an Api's resources, each with a stable id.

A mistake in a resource declaration should stop the app when it starts, with a
message naming the resource, the field and the fix, rather than make every
request answer 500.  The Api runs the checks of a resource when it is added to an
Api bound to an app (or, for resources added earlier, when the Api is bound):
an error raises :class:`ConfigurationError`, a warning is sent through
:mod:`warnings` (category :class:`CheckWarning`).  References by name may point
at resources added later, so a name that no resource class in the process could
carry is refused at once, and the others are checked again before the first
request (and by :func:`run_checks`, which a project runs once its resources are
all added, and which ``manage.py check`` lists).

==================  ========================================================================
``potion.E101``     a reference (``fields.ToOne``, ``fields.ToMany``, ``fields.Inline``,
                    ``Relation``) names no resource of the Api
``potion.E102``     a column the database requires (NOT NULL, no default) is written by no
                    field, so every create fails; for a foreign key the message gives the
                    ``fields.ToOne(...)`` line to add
``potion.E103``     ``Meta.filters`` names an operator the field does not have
``potion.E104``     ``Meta.filters`` names a field the resource does not have
``potion.E105``     a permission rule is missing or names what does not exist
``potion.E106``     permission rules inherit from each other in a cycle
``potion.W101``     a column's type has no field, so it is not in the API
``potion.W102``     a read-only field's ``default`` would never show: the model stores the
                    attribute, and the default is never written
``potion.W103``     the Api was bound before ``SQLAlchemy(app)``, so the end of a request
                    closes the session in the wrong order
==================  ========================================================================

A check is silenced for the whole app with the ``POTION_SILENCED_CHECKS`` setting,
or for one resource with ``Meta.silenced_checks`` (a list of ids), e.g. when a
``before_create`` receiver fills a column that no field writes.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from . import fields
from .backends import StoredAttribute, manager_for_model
from .filters import FILTERS_BY_TYPE
from .permissions.rules import InheritanceCycle
from .settings import setting

__all__ = [
    "ERROR",
    "WARNING",
    "Message",
    "ConfigurationError",
    "CheckWarning",
    "run_checks",
    "resource_messages",
    "raise_or_warn",
    "unsilenced",
]

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Message:
    """One finding of a check: its stable id, level, what is wrong and how to fix it."""

    id: str
    level: str
    text: str
    hint: str

    @property
    def is_error(self) -> bool:
        return self.level == ERROR

    def __str__(self) -> str:
        return f"{self.id}: {self.text} (fix: {self.hint})"


def _error(id: str, text: str, hint: str) -> Message:
    return Message(id, ERROR, text, hint)


def _warning(id: str, text: str, hint: str) -> Message:
    return Message(id, WARNING, text, hint)


class ConfigurationError(RuntimeError):
    """The resources of an Api are declared wrongly: the app refuses to start.

    ``messages`` holds the failed checks; ``str()`` is one line per check, with its fix.
    """

    def __init__(self, messages: Iterable[Message]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(str(m) for m in self.messages))


class CheckWarning(UserWarning):
    """A warning of a start-up check (``potion.W...``)."""


def raise_or_warn(messages: Iterable[Message]) -> None:
    """Raise :class:`ConfigurationError` for the errors, else warn of the warnings."""
    found = list(messages)
    errors = [m for m in found if m.is_error]
    if errors:
        raise ConfigurationError(errors)
    for message in found:
        warnings.warn(str(message), CheckWarning, stacklevel=4)


def run_checks(api: Any) -> list[Message]:
    """Every finding of the checks on ``api`` and its resources, silenced ones left out.

    References must resolve now: call it once every resource is added (a project
    does when it builds its app; ``manage.py check`` lists the result).
    """
    found: list[Message] = []
    for resource in list(api.resources.values()):
        found.extend(resource_messages(resource, strict=True))
    found.extend(_api_messages(api))
    return unsilenced(found, api.app)


def resource_messages(resource: Any, strict: bool = True) -> list[Message]:
    """The findings on one resource (not silenced by its ``Meta.silenced_checks``).

    With ``strict=False`` a reference by name that may still be added to the Api
    (a resource class of that name exists) is not reported.
    """
    found = list(_reference_messages(resource, strict))
    if resource.manager is not None and resource.schema is not None:
        found.extend(_stored_messages(resource))
        found.extend(_filter_messages(resource))
    silenced = set(resource.meta.get("silenced_checks") or ())
    return [m for m in found if m.id not in silenced]


def unsilenced(found: list[Message], app: Any) -> list[Message]:
    """``found`` without the checks ``POTION_SILENCED_CHECKS`` of ``app`` silences."""
    silenced = set(setting(app, "POTION_SILENCED_CHECKS") or ())
    return [m for m in found if m.id not in silenced]


def permission_message(resource: Any, error: RuntimeError) -> Message:
    """The check finding for an error of the permission rules of ``resource``."""
    if isinstance(error, InheritanceCycle):
        return _error(
            "potion.E106",
            str(error),
            f"let one rule in the cycle stop inheriting, in {resource.__name__}.Meta.permissions",
        )
    return _error("potion.E105", str(error), f"correct {resource.__name__}.Meta.permissions")


# -- references ------------------------------------------------------------------


def _reference_messages(resource: Any, strict: bool) -> Iterator[Message]:
    api = resource.api
    for where, field in _reference_fields(resource):
        if field.resource is None:
            continue  # not bound to a resource: resolved only where it is used
        value = field._reference.value
        if not strict and isinstance(value, str) and "." in value:
            continue  # 'module.Class': imported once every module is (no import cycle now)
        try:
            _ = field.target
        except (RuntimeError, ImportError, AttributeError, TypeError) as exc:
            if not strict and _may_be_added(value):
                continue
            yield _unresolved(resource, api, where, field, value, exc)


def _reference_fields(resource: Any) -> Iterator[tuple[str, Any]]:
    """``(where, field)`` of every reference of the resource: in its schema (nested
    ones too), in its routes' schemas, and the targets of its relations."""
    seen: set[int] = set()
    if resource.schema is not None:
        for key, field in resource.schema.fields.items():
            for found in _references_in(field, seen):
                yield f"{resource.__name__}.Schema.{key}", found
    for rel, route in resource.routes.items():
        for schema in (route.request_schema, route.response_schema):
            schema = route._bound_schema(schema, resource)  # as the route's view binds it
            members = getattr(schema, "fields", None)
            if isinstance(members, dict):
                for key, field in members.items():
                    for found in _references_in(field, seen):
                        yield f"{resource.__name__} route {rel!r}, argument {key!r}", found
            elif isinstance(schema, fields.Raw):
                for found in _references_in(schema, seen):
                    yield f"{resource.__name__} route {rel!r}", found
    for attribute, route_set in resource.route_sets.items():
        target_field = getattr(route_set, "target_field", None)
        if target_field is not None and id(target_field) not in seen:
            seen.add(id(target_field))
            yield f"{resource.__name__}.{attribute} (a Relation)", target_field


def _references_in(field: Any, seen: set[int]) -> Iterator[Any]:
    if id(field) in seen:
        return
    seen.add(id(field))
    if isinstance(field, (fields.ToOne, fields.Inline)):
        yield field
    for name, value in vars(field).items():
        if name in ("resource", "_target", "_reference"):
            continue
        members = value.values() if isinstance(value, dict) else (value,)
        for member in members:
            if isinstance(member, fields.Raw):
                yield from _references_in(member, seen)


#: How close a name must be to a known one to read as its typo (difflib's ratio)
_TYPO_CUTOFF = 0.75


def _may_be_added(value: Any) -> bool:
    """Whether a reference that does not resolve yet may once its target is added.

    A name resolves once a resource of that name is added, and the resource class
    may be declared after the one referring to it (Flask-Potion resolved names
    lazily): only a name close to a known one but not equal (``'bok'`` beside
    ``'book'``) reads as a typo and is refused now; any other waits for the check
    before the first request.
    """
    if isinstance(value, str):
        names = _possible_names()
        return value in names or not difflib.get_close_matches(
            value, names, n=1, cutoff=_TYPO_CUTOFF
        )
    if isinstance(value, type):
        return any(r.meta.get("model") is value for r in _resource_classes())
    return False


def _resource_classes() -> Iterator[Any]:
    from .resource import Resource

    stack = list(Resource.__subclasses__())
    seen: set[type] = set()
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        stack.extend(cls.__subclasses__())
        yield cls


def _possible_names() -> set[str]:
    """The names resource classes of this process have, or take when added to an Api."""
    names: set[str] = set()
    for cls in _resource_classes():
        names.add(cls.meta.get("name"))
        model = cls.meta.get("model")
        if cls.manager is None and model is not None and not cls._names_itself:
            name = _model_name(model, cls.meta.get("manager"))
            if name:
                names.add(name)
    return names


def _model_name(model: Any, manager_class: Any = None) -> str | None:
    """The name a resource of ``model`` takes by default."""
    manager_class = manager_class or manager_for_model(model)
    name_for_model = getattr(manager_class, "name_for_model", None)
    return name_for_model(model) if name_for_model is not None else None


def _unresolved(
    resource: Any, api: Any, where: str, field: Any, value: Any, exc: BaseException
) -> Message:
    kind = f"fields.{type(field).__name__}"
    if type(field).__name__.startswith("_"):
        kind = "the reference"
    names = sorted(api.resources) if api is not None else []
    known = f" (its resources: {', '.join(names)})" if names else ""
    if isinstance(value, str) and "." not in value:
        close = difflib.get_close_matches(value, names, n=1, cutoff=0.5)
        if close:
            hint = f"write {kind}({close[0]!r})"
        else:
            hint = f"add the resource named {value!r} to the Api (api.add_resource), or correct the name"
        return _error(
            "potion.E101", f"{where}: {kind}({value!r}) names no resource of the Api{known}", hint
        )
    if isinstance(value, str):
        return _error(
            "potion.E101",
            f"{where}: {kind}({value!r}) cannot be resolved: {exc}",
            "write 'package.module.ResourceClass' of an importable module, or the resource's name",
        )
    if isinstance(value, type):
        return _error(
            "potion.E101",
            f"{where}: no resource of the Api has Meta.model = {value.__name__}{known}",
            f"add a ModelResource whose Meta.model is {value.__name__} to the Api",
        )
    return _error("potion.E101", f"{where}: {kind}({value!r}) cannot be resolved: {exc}", "")


# -- stored attributes -------------------------------------------------------------


def _stored_messages(resource: Any) -> Iterator[Message]:
    manager = resource.manager
    stored_attributes = getattr(manager, "stored_attributes", None)
    if stored_attributes is None:
        return
    stored: list[StoredAttribute] = list(stored_attributes())
    if not stored:
        return
    meta = resource.meta
    schema_fields = resource.schema.fields
    written = {f.attribute or k for k, f in schema_fields.items() if "c" in f.io}
    declared = {f.attribute or k for k, f in schema_fields.items()} | set(schema_fields)
    creates = _creates_with_built_in_route(resource)
    # a read-only field's default never reaches the store: only a store default does
    without_default = {attribute.name for attribute in stored if not attribute.fills_itself}
    for attribute in stored:
        name = attribute.name
        if name in written or written.intersection(attribute.writers):
            continue
        if attribute.required and creates:
            yield _unwritten(resource, attribute, declared)
        elif not attribute.inferred and name not in declared and not _left_out(meta, name):
            yield _warning(
                "potion.W101",
                f"{resource.__name__}: {_model_label(manager)}.{name} ({attribute.kind}) is "
                "not in the API: no field is inferred for its type",
                f"declare it in {resource.__name__}.Schema (e.g. {name} = fields.String() with "
                "a conversion), or leave it out with Meta.exclude_fields = "
                f"[{name!r}]",
            )
    for key, field in schema_fields.items():
        if (
            field.io == "r"
            and field.default is not None
            and (field.attribute or key) in without_default
        ):
            yield _warning(
                "potion.W102",
                f"{resource.__name__}.Schema.{key} is read-only with a default: the default "
                f"is never stored, and {_model_label(manager)} stores "
                f"{field.attribute or key!r}, so a read shows what is stored",
                f"give the model's {field.attribute or key!r} the default (a column default or "
                "server_default) and drop it from the field",
            )


def _unwritten(resource: Any, attribute: StoredAttribute, declared: set[str]) -> Message:
    meta = resource.meta
    name = attribute.name
    label = f"{_model_label(resource.manager)}.{name}"
    text = (
        f"{resource.__name__}: {label} ({attribute.kind}) must have a value on create, "
        "but no field writes it, so every create fails"
    )
    silence = (
        f"; if a before_create receiver fills it, add 'potion.E102' to "
        f"{resource.__name__}.Meta.silenced_checks"
    )
    if attribute.target is not None:
        target = _target_name(resource, attribute.target)
        reference = attribute.reference or _strip_id(name)
        hint = f'add {reference} = fields.ToOne("{target}") to {resource.__name__}.Schema'
        if attribute.reference is None:
            hint = (
                f"give the model a relationship {reference!r} to "
                f"{getattr(attribute.target, '__name__', attribute.target)} and " + hint
            )
        return _error("potion.E102", text, hint + silence)
    id_field = getattr(resource.manager, "id_field", None)
    if name == getattr(resource.manager, "id_attribute", None) and id_field is not None:
        hint = (
            f"declare {name} = fields.{type(id_field).__name__}() in {resource.__name__}.Schema "
            "so that clients give the key, or give the column a default"
        )
    elif name in declared:
        hint = f"make {resource.__name__}'s field of {name!r} writable (it is read-only)"
    elif name in (meta.get("exclude_fields") or ()):
        hint = f"remove {name!r} from {resource.__name__}.Meta.exclude_fields"
    elif meta.get("include_fields") is not None and name not in meta.include_fields:
        hint = f"add {name!r} to {resource.__name__}.Meta.include_fields"
    elif not attribute.inferred:
        hint = (
            f"declare a field for it in {resource.__name__}.Schema (its type has none), "
            "or give the column a default"
        )
    else:
        hint = f"declare a writable field {name!r} in {resource.__name__}.Schema, or a default"
    return _error("potion.E102", text, hint + silence)


def _creates_with_built_in_route(resource: Any) -> bool:
    """Whether clients create items through the built-in ``create`` route (not one
    the resource overrides, and not one its permissions refuse to everyone)."""
    from .resource import ModelResource

    route = resource.routes.get("create")
    built_in = ModelResource.__dict__["create"]
    if route is None or route.view_func is not built_in.view_func:
        return False
    permissions = getattr(resource.manager, "permissions", None)
    if permissions is not None and permissions.guarded and "create" in permissions.rules:
        return bool(permissions.rules["create"].needs)
    return True


def _left_out(meta: Any, name: str) -> bool:
    include = meta.get("include_fields")
    return name in (meta.get("exclude_fields") or ()) or (
        include is not None and name not in include
    )


def _model_label(manager: Any) -> str:
    model = getattr(manager, "model", None)
    return getattr(model, "__name__", "the model")


def _strip_id(name: str) -> str:
    return name[:-3] if name.endswith("_id") and len(name) > 3 else name


def _target_name(resource: Any, model: Any) -> str:
    api = resource.api
    if api is not None:
        for registered in api.resources.values():
            if registered.meta.get("model") is model:
                return str(registered.meta.name)
    return _model_name(model) or getattr(model, "__name__", str(model)).lower()


# -- Meta.filters ------------------------------------------------------------------


def _filter_messages(resource: Any) -> Iterator[Message]:
    declared = resource.meta.get("filters", True)
    readable = resource.schema.readable_fields
    declared_fields = {k: f for k, f in readable.items() if k[:1] != "$"}  # not $uri, $id
    by_type = getattr(resource.manager, "FILTERS_BY_TYPE", FILTERS_BY_TYPE)
    if isinstance(declared, dict):
        for key, allowed in declared.items():
            where = f"{resource.__name__}.Meta.filters[{key!r}]"
            if key == "*":
                yield from _operator_messages(where, allowed, declared_fields, by_type)
            elif key not in readable:
                close = difflib.get_close_matches(str(key), list(readable), n=1)
                listed = ", ".join(readable)
                yield _error(
                    "potion.E104",
                    f"{where}: {resource.__name__} has no readable field {key!r}",
                    f"write {close[0]!r}" if close else f"use one of: {listed}",
                )
            else:
                yield from _operator_messages(where, allowed, {key: readable[key]}, by_type)
    elif isinstance(declared, (list, tuple, set, frozenset)):
        where = f"{resource.__name__}.Meta.filters"
        yield from _operator_messages(where, declared, declared_fields, by_type)


def _operator_messages(
    where: str, allowed: Any, targets: dict[str, Any], by_type: dict[type, Any]
) -> Iterator[Message]:
    if not isinstance(allowed, (list, tuple, set, frozenset)):
        return  # True, False, None, or {name: filter class}
    accepted: list[str] = []
    kinds: list[str] = []
    for field in targets.values():
        for cls in type(field).__mro__:
            if cls in by_type:
                kinds.append(type(field).__name__)
                for filter_class in by_type[cls]:
                    if filter_class.name not in accepted:
                        accepted.append(filter_class.name)
                break
    for name in allowed:
        if name is None or name in accepted:
            continue
        if isinstance(name, str) and name.startswith("$") and name[1:] in accepted:
            hint = f"write {name[1:]!r} (without '$')"
        else:
            close = difflib.get_close_matches(str(name), accepted, n=1, cutoff=0.5)
            listed = f"accepted: {', '.join(accepted)}" if accepted else "no operator applies"
            hint = f"write {close[0]!r} ({listed})" if close else listed
        of = f" of {' or '.join(sorted(set(kinds)))} fields" if kinds else ""
        yield _error("potion.E103", f"{where}: {name!r} is not an operator{of}", hint)


# -- the Api as a whole --------------------------------------------------------------


def _api_messages(api: Any) -> Iterator[Message]:
    app = api.app
    if app is None:
        return
    extension = app.extensions.get("sqlalchemy")
    if extension is None:
        return
    if not any(hasattr(r.manager, "release") for r in api.resources.values()):
        return
    teardowns = list(app.teardown_appcontext_funcs)
    ours = [i for i, f in enumerate(teardowns) if getattr(f, "__name__", "") == "_release_stores"]
    theirs = [i for i, f in enumerate(teardowns) if getattr(f, "__self__", None) is extension]
    if ours and theirs and max(theirs) > min(ours):
        yield _warning(
            "potion.W103",
            "The Api was bound to the app before SQLAlchemy(app): at the end of a request "
            "Flask-SQLAlchemy closes the session before Potion can, and a rollback that fails "
            "on a dead connection turns a computed answer into an error page",
            "create the Api (or call api.init_app(app)) after SQLAlchemy(app) / db.init_app(app)",
        )
