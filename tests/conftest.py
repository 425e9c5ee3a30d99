"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest
from flask import Flask

from potion import Api


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def api(app: Flask) -> Api:
    return Api(app)


@pytest.fixture
def client(app: Flask):
    return app.test_client()
