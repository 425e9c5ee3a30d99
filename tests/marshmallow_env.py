"""A memory-backed resource declared through a marshmallow schema, for the contrib tests."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

pytest.importorskip("marshmallow", reason="the marshmallow tests need the marshmallow extra")

import potion.contrib.marshmallow  # noqa: E402,F401  (registers Meta.marshmallow_schema)
from potion import Api, ModelResource  # noqa: E402
from potion.backends.memory import MemoryManager  # noqa: E402


class Env:
    """A Flask app with one ModelResource (``/thing``) built from ``schema``."""

    def __init__(self, schema: Any, debug: bool = False, **meta: Any) -> None:
        self.app = Flask(__name__)
        self.app.config["TESTING"] = True
        self.app.debug = debug
        options = {"manager": MemoryManager, "marshmallow_schema": schema, "name": "thing"}
        options.update(meta)
        Meta = type("Meta", (), options)
        self.resource: Any = type("Thing", (ModelResource,), {"Meta": Meta})
        self.api = Api(self.app)
        self.api.add_resource(self.resource)
        self.client = self.app.test_client()

    @property
    def items(self) -> dict[Any, dict[str, Any]]:
        """The stored items (dicts keyed by attribute), by id."""
        return self.resource.manager.items

    def document(self) -> dict[str, Any]:
        response = self.client.get("/thing/schema")
        assert response.status_code == 200
        return response.json

    def post(self, body: Any) -> Any:
        return self.client.post("/thing", json=body)

    def patch(self, id: Any, body: Any) -> Any:
        return self.client.patch(f"/thing/{id}", json=body)
