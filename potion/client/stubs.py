"""Typed stubs of an API: a ``.pyi`` module with a class per resource (typed properties
and link methods) and typed ``Client`` / ``AsyncClient`` classes.

``python -m potion.client stubs URL > library_api.pyi`` writes them; beside it, a
one-line ``library_api.py`` (``from potion.client import AsyncClient, Client``) makes
``from library_api import Client`` the real client at run time and the typed one for
mypy and editors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .aio import AsyncResource
from .base import members, resource_root
from .links import Link
from .names import upper_camel_case
from .resource import Resource

__all__ = ["render_stubs", "client_stubs", "app_stubs"]

_REF_PATTERN = re.compile(r"^\^(?P<root>.*)\\/\[\^/\]\+\$$")
_RESERVED = {"Client", "AsyncClient"}
_SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}


class _Names:
    """Class names of the stub module, and the resource each item root belongs to."""

    def __init__(self, schemas: Mapping[str, Mapping[str, Any]], root_path: str) -> None:
        self.sync: dict[str, str] = {}
        self.by_root: dict[str, str] = {}
        self.by_schema: dict[str, str] = {}
        used = set(_RESERVED)
        for name in sorted(schemas):
            cls = upper_camel_case(name) or "Resource"
            while cls in used or f"Async{cls}" in used:
                cls += "_"
            used.update({cls, f"Async{cls}"})
            self.sync[name] = cls
            root = resource_root(name, schemas[name], root_path)
            self.by_root[root] = name
            self.by_schema[f"{root}/schema"] = name


class _Writer:
    def __init__(
        self, schemas: Mapping[str, Mapping[str, Any]], names: _Names, asynchronous: bool
    ) -> None:
        self.schemas = schemas
        self.names = names
        self.asynchronous = asynchronous

    def cls(self, name: str) -> str:
        base = self.names.sync[name]
        return f"Async{base}" if self.asynchronous else base

    # -- JSON schema → Python type -----------------------------------------------------------

    def type_of(self, schema: Any, owner: str) -> str:
        if not isinstance(schema, Mapping):
            return "Any"
        ref = schema.get("$ref")
        if isinstance(ref, str):
            if ref == "#":
                return self.cls(owner)
            target = self.names.by_schema.get(ref.split("#", 1)[0])
            return self.cls(target) if target else "Any"
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list):
                return _union(self.type_of(option, owner) for option in schema[key])
        kind = schema.get("type")
        if isinstance(kind, list):
            return _union(self.type_of({**schema, "type": k}, owner) for k in kind)
        if kind == "object":
            properties = schema.get("properties")
            if isinstance(properties, Mapping):
                if set(properties) == {"$date"}:
                    return "datetime.datetime"
                if "$ref" in properties:
                    return self.reference_type(properties["$ref"])
            return "dict[str, Any]"
        if kind == "array":
            items = schema.get("items")
            return (
                f"list[{self.type_of(items, owner)}]" if isinstance(items, Mapping) else "list[Any]"
            )
        return _SCALARS.get(kind, "Any") if isinstance(kind, str) else "Any"

    def reference_type(self, ref_schema: Any) -> str:
        pattern = ref_schema.get("pattern") if isinstance(ref_schema, Mapping) else None
        match = _REF_PATTERN.match(pattern) if isinstance(pattern, str) else None
        if match:
            root = re.sub(r"\\(.)", r"\1", match.group("root"))
            target = self.names.by_root.get(root)
            if target:
                return self.cls(target)
        return "Any"

    def argument_type(self, schema: Any, owner: str) -> str:
        """Arguments accept what the answers hold: instances for references, else scalars."""
        if isinstance(schema, Mapping) and isinstance(schema.get("anyOf"), list):
            options = schema["anyOf"]
            refs = [
                o
                for o in options
                if isinstance(o, Mapping)
                and isinstance(o.get("properties"), Mapping)
                and "$ref" in o["properties"]
            ]
            if refs:
                target = self.reference_type(refs[0]["properties"]["$ref"])
                rest = [self.type_of(o, owner) for o in options if o not in refs]
                return _union([target, *rest])
        return self.type_of(schema, owner)

    # -- a class --------------------------------------------------------------------------------

    def resource(self, name: str) -> list[str]:
        schema = self.schemas[name]
        base = AsyncResource if self.asynchronous else Resource
        methods, properties = members(schema, base)
        cls = self.cls(name)
        doc = schema.get("description") or schema.get("title")
        lines = [f"class {cls}(_{base.__name__}):"]
        if doc:
            lines.append(f"    {_docstring(doc)}")
        init = ["self", "id_or_uri: Any = ...", "/"]
        keywords: list[str] = []
        for prop, prop_schema in sorted(properties.items()):
            kind = self.type_of(prop_schema, name)
            if prop_schema.get("readOnly"):
                lines += ["    @property", f"    def {prop}(self) -> {kind}: ..."]
            else:
                lines.append(f"    {prop}: {kind}")
                keywords.append(f"{prop}: {kind} = ...")
        init += ["*", *keywords, "**properties: Any"] if keywords else ["**properties: Any"]
        lines.append(f"    def __init__({', '.join(init)}) -> None: ...")
        for method_name, link in sorted(methods.items()):
            lines += self.method(method_name, link, name)
        return lines

    def method(self, method_name: str, link: Link, owner: str) -> list[str]:
        first = "self" if link.requires_instance else "cls"
        parameters = [first]
        for placeholder in link.placeholders:
            if placeholder != "id":
                parameters.append(f"{placeholder}: Any")
        keywords: list[str] = []
        properties = link.properties
        required = (
            set(link.schema.get("required") or []) if isinstance(link.schema, Mapping) else set()
        )
        if link.returns_pagination:
            keywords += ["page: int | None = ...", "per_page: int | None = ..."]
            for key in sorted(set(properties) - {"page", "per_page"}):
                keywords.append(f"{key}: Any = ...")
        elif (
            isinstance(link.schema, Mapping) and link.schema.get("type") == "object" and properties
        ):
            for key in sorted(properties, key=lambda k: (k not in required, k)):
                if not key.isidentifier():
                    continue
                kind = self.argument_type(properties[key], owner)
                keywords.append(f"{key}: {kind}" if key in required else f"{key}: {kind} = ...")
        elif link.schema is not None and not (
            isinstance(link.schema, Mapping) and link.schema.get("type") == "object"
        ):
            parameters.append(f"value: {self.argument_type(link.schema, owner)}")
        if len(parameters) > 1:
            parameters.append("/")
        if keywords:
            parameters += ["*", *keywords]
        signature = ", ".join(parameters)
        decorators = [] if link.requires_instance else ["    @classmethod"]
        if link.returns_pagination:
            target = (
                link.target_schema.get("items") if isinstance(link.target_schema, Mapping) else None
            )
            item = self.type_of(target, owner)
            kind = "AsyncPaginatedList" if self.asynchronous else "PaginatedList"
            return [*decorators, f"    def {method_name}({signature}) -> _{kind}[{item}]: ..."]
        returns = "None" if link.target_schema is None else self.type_of(link.target_schema, owner)
        prefix = "async def" if self.asynchronous else "def"
        return [*decorators, f"    {prefix} {method_name}({signature}) -> {returns}: ..."]


def _union(parts: Any) -> str:
    seen: list[str] = []
    for part in parts:
        for piece in part.split(" | "):
            if piece not in seen:
                seen.append(piece)
    if "Any" in seen:
        return "Any"
    if "None" in seen:  # None last
        seen = [p for p in seen if p != "None"] + ["None"]
    return " | ".join(seen) or "Any"


def _docstring(text: str) -> str:
    return '"""' + text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"') + '"""'


def render_stubs(
    schemas: Mapping[str, Mapping[str, Any]], *, source: str | None = None, root_path: str = ""
) -> str:
    """The ``.pyi`` text for an API whose resource schemas are ``schemas`` (by resource name).

    :param source: where the schemas came from (named in the module docstring).
    :param root_path: the API's path prefix (e.g. ``/api``), for resources without links.
    """
    names = _Names(schemas, root_path)
    header = (
        f"Typed stubs of the Potion API at {source}" if source else "Typed stubs of a Potion API"
    )
    lines = [
        f'"""{header}, written by ``python -m potion.client stubs``."""',
        "",
        "import datetime",
        "from typing import Any",
        "",
        "from potion.client import AsyncClient as _AsyncClient",
        "from potion.client import Client as _Client",
        "from potion.client.aio import AsyncResource as _AsyncResource",
        "from potion.client.collection import AsyncPaginatedList as _AsyncPaginatedList",
        "from potion.client.collection import PaginatedList as _PaginatedList",
        "from potion.client.resource import Resource as _Resource",
    ]
    for asynchronous in (False, True):
        writer = _Writer(schemas, names, asynchronous)
        for name in sorted(schemas):
            lines += ["", "", *writer.resource(name)]
    for client, asynchronous in (("Client", False), ("AsyncClient", True)):
        writer = _Writer(schemas, names, asynchronous)
        lines += ["", "", f"class {client}(_{client}):"]
        lines += [f"    {upper_camel_case(n)}: type[{writer.cls(n)}]" for n in sorted(schemas)] or [
            "    ..."
        ]
    return "\n".join(lines) + "\n"


def client_stubs(api_root_url: str, schema_path: str = "/schema", **options: Any) -> str:
    """Read the schema of the API at ``api_root_url`` (``options`` as for
    :class:`~potion.client.Client`, e.g. ``token=``) and render its stubs."""
    from .sync import Client

    with Client(api_root_url, schema_path, **options) as client:
        schemas = {name: cls._schema for name, cls in client.resources.items()}
        return render_stubs(schemas, source=api_root_url, root_path=client._root_path)


def app_stubs(
    app: Any, api_root: str = "", schema_path: str = "/schema", **request_options: Any
) -> str:
    """Render the stubs of an API served by a Flask ``app`` in this process (through its
    test client, no server needed): for commands such as ``manage.py clientstubs``.

    :param api_root: the Api's prefix, e.g. ``/api``.
    :param request_options: passed to each test-client request (e.g. ``headers=``).
    """
    test_client = app.test_client()

    def get(path: str) -> Any:
        response = test_client.get(path, **request_options)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status}")
        return response.get_json()

    root = get(api_root + schema_path)
    schemas = {}
    for name, reference in sorted((root.get("properties") or {}).items()):
        schemas[name] = get(str(reference["$ref"]).split("#", 1)[0])
    return render_stubs(schemas, source=api_root or "/", root_path=api_root)
