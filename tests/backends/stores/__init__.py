"""One module per backend, each with ``build(database, tmp_path) -> Store``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from potion import Api


@dataclass
class Store:
    """A Flask app serving the contract resources, and direct access to its data."""

    name: str
    app: Flask
    api: Api
    resources: dict[str, Any]
    #: ``rows(resource name)`` → list of dicts read straight from the store.
    read_rows: Callable[[str], list[dict[str, Any]]]
    teardown: Callable[[], None] = lambda: None
    unsupported: dict[str, str] = field(default_factory=dict)

    def rows(self, name: str) -> list[dict[str, Any]]:
        return self.read_rows(name)

    def count(self, name: str) -> int:
        return len(self.read_rows(name))


def new_app() -> Flask:
    app = Flask(__name__)
    app.config["TESTING"] = True
    return app


def collect_unsupported(*resources: Any) -> dict[str, str]:
    result: dict[str, str] = {}
    for resource in resources:
        result.update(resource.manager.unsupported)
    return result
