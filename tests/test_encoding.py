"""JSON encoding: Potion's orjson provider serves the app, keys sorted, values
Flask's default provider would refuse encoded the obvious way."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import uuid

import pytest
from flask import Flask, jsonify
from flask.json.provider import DefaultJSONProvider

from potion import Api
from potion.encoding import PotionJSONProvider, dumps_bytes, loads


@dataclasses.dataclass
class Point:
    x: int
    y: int


def test_provider_is_installed():
    app = Flask(__name__)
    Api(app)
    assert isinstance(app.json, PotionJSONProvider)


def test_provider_can_be_turned_off():
    app = Flask(__name__)
    app.config["POTION_JSON_PROVIDER"] = False
    Api(app)
    assert type(app.json) is DefaultJSONProvider


def test_a_custom_provider_is_kept():
    class Mine(DefaultJSONProvider):
        pass

    app = Flask(__name__)
    app.json = Mine(app)
    Api(app)
    assert type(app.json) is Mine


def test_values():
    value = {
        "b": decimal.Decimal("1.5"),
        "a": [
            datetime.date(2020, 1, 2),
            datetime.datetime(2020, 1, 2, 3, 4, 5),
            uuid.UUID(int=1),
            (1, 2),
            Point(1, 2),
        ],
        "c": {3},
    }
    assert dumps_bytes(value) == (
        b'{"a":["2020-01-02","2020-01-02T03:04:05","00000000-0000-0000-0000-000000000001",'
        b'[1,2],{"x":1,"y":2}],"b":1.5,"c":[3]}'
    )
    assert dumps_bytes({"b": 1, "a": 2}, debug=True) == b'{\n  "a": 2,\n  "b": 1\n}'
    assert loads(b'{"a": [1, null]}') == {"a": [1, None]}
    with pytest.raises(ValueError):
        loads("{nope")
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps_bytes(object())


def test_jsonify_uses_the_provider():
    app = Flask(__name__)
    Api(app)
    with app.test_request_context():
        response = jsonify({"z": 1, "a": datetime.date(2020, 1, 1)})
    assert response.mimetype == "application/json"
    assert response.get_data() == b'{"a":"2020-01-01","z":1}'
    app.debug = True
    with app.test_request_context():
        assert jsonify({"b": 1, "a": 2}).get_data() == b'{\n  "a": 2,\n  "b": 1\n}'
