"""``where`` and ``sort`` on SQLAlchemy, translated to SQL, on SQLite, PostgreSQL and MariaDB:
every operator on every column type, case sensitivity, LIKE escaping, references."""

from __future__ import annotations

import datetime
import decimal
import enum
import json

import pytest

from potion import ModelResource, fields

from . import sqla_env

database = sqla_env.database  # the fixtures this module uses
sqla = sqla_env.sqla

UTC = datetime.UTC


class Kind(enum.Enum):
    apple = "A"
    pear = "P"
    plum = "L"


def ms(value):
    """Milliseconds since the epoch of a date or a (naive = UTC) datetime."""
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


@pytest.fixture
def things(sqla):
    db = sqla.db

    class Owner(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False, unique=True)

    class Thing(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False)
        note = db.Column(db.Text, nullable=True)
        count = db.Column(db.Integer, nullable=True)
        price = db.Column(db.Numeric(10, 2), nullable=True)
        weight = db.Column(db.Float, nullable=True)
        flag = db.Column(db.Boolean, nullable=True)
        day = db.Column(db.Date, nullable=True)
        stamp = db.Column(db.DateTime, nullable=True)
        moment = db.Column(db.DateTime(timezone=True), nullable=True)
        kind = db.Column(db.Enum(Kind), nullable=True)
        grade = db.Column(db.Enum("low", "high", name="grade"), nullable=True)
        owner_id = db.Column(db.Integer, db.ForeignKey(Owner.id), nullable=True)
        owner = db.relationship(Owner)

    class OwnerResource(ModelResource):
        class Meta:
            model = Owner
            natural_key = "name"
            sort_attribute = ("name", True)

    class ThingResource(ModelResource):
        class Meta:
            model = Thing

        class Schema:
            owner = fields.ToOne("owner", nullable=True)

    sqla.api.add_resource(OwnerResource)
    sqla.api.add_resource(ThingResource)
    sqla.create_all()
    ann, bob, cid = Owner(name="ann"), Owner(name="bob"), Owner(name="cid")
    dt = datetime.datetime
    sqla.add(
        Thing(
            name="Apple pie",
            note="50% off",
            count=1,
            price=decimal.Decimal("1.50"),
            weight=0.5,
            flag=True,
            day=datetime.date(2020, 1, 31),
            stamp=dt(2020, 1, 31, 10, 20, 30),
            moment=dt(2020, 1, 31, 10, 20, 30, tzinfo=UTC),
            kind=Kind.apple,
            grade="low",
            owner=ann,
        ),
        Thing(
            name="apple tart",
            note="5_0 percent",
            count=2,
            price=decimal.Decimal("2.25"),
            weight=1.25,
            flag=False,
            day=datetime.date(2021, 6, 1),
            stamp=dt(2021, 6, 1, 0, 0, 0),
            moment=dt(2021, 6, 1, 0, 0, 0, tzinfo=UTC),
            kind=Kind.pear,
            grade="high",
            owner=bob,
        ),
        Thing(
            name="PEAR_CAKE",
            note="back\\slash 500",
            count=3,
            price=decimal.Decimal("10.00"),
            weight=2.0,
            flag=True,
            day=datetime.date(2022, 12, 24),
            stamp=dt(2022, 12, 24, 23, 59, 59),
            moment=dt(2022, 12, 24, 23, 59, 59, tzinfo=UTC),
            kind=Kind.plum,
            grade="high",
            owner=ann,
        ),
        Thing(name="Plum%jam", note=None, count=None, owner=None),
        cid,
    )
    sqla.Thing, sqla.Owner = Thing, Owner
    return sqla


def ids(things, query=None, sort=None, per_page=100):
    args = {"per_page": per_page}
    if query is not None:
        args["where"] = json.dumps(query)
    if sort is not None:
        args["sort"] = json.dumps(sort)
    response = things.get("/thing", query_string=args)
    assert response.status_code == 200, response.json
    assert response.headers["X-Total-Count"] == str(len(response.json))
    return [int(item["$uri"].rsplit("/", 1)[1]) for item in response.json]


def bad(things, query):
    response = things.get("/thing", query_string={"where": json.dumps(query)})
    assert response.status_code == 400, response.json
    return response.json


# -- strings -----------------------------------------------------------------------

STRING_CASES = [
    ({"name": "Apple pie"}, [1]),
    ({"name": {"$eq": "apple tart"}}, [2]),
    ({"name": {"$ne": "Apple pie"}}, [2, 3, 4]),
    ({"name": {"$in": ["Apple pie", "PEAR_CAKE", "nothing"]}}, [1, 3]),
    ({"name": {"$in": []}}, []),
    # case-sensitive operators
    ({"name": {"$contains": "pple"}}, [1, 2]),
    ({"name": {"$contains": "PPLE"}}, []),
    ({"name": {"$contains": "ar"}}, [2]),
    ({"name": {"$startswith": "Apple"}}, [1]),
    ({"name": {"$startswith": "apple"}}, [2]),
    ({"name": {"$startswith": "APPLE"}}, []),
    ({"name": {"$endswith": "tart"}}, [2]),
    ({"name": {"$endswith": "CAKE"}}, [3]),
    ({"name": {"$endswith": "cake"}}, []),
    # case-insensitive operators
    ({"name": {"$icontains": "PPLE"}}, [1, 2]),
    ({"name": {"$icontains": "ar"}}, [2, 3]),
    ({"name": {"$istartswith": "APPLE"}}, [1, 2]),
    ({"name": {"$istartswith": "pear"}}, [3]),
    ({"name": {"$iendswith": "CAKE"}}, [3]),
    ({"name": {"$iendswith": "Tart"}}, [2]),
    # LIKE wildcards are plain characters
    ({"name": {"$contains": "%"}}, [4]),
    ({"name": {"$contains": "_"}}, [3]),
    ({"name": {"$icontains": "_c"}}, [3]),
    ({"name": {"$icontains": "%J"}}, [4]),
    ({"name": {"$startswith": "P%"}}, []),
    ({"name": {"$istartswith": "plum%"}}, [4]),
    ({"name": {"$endswith": "_CAKE"}}, [3]),
    ({"name": {"$iendswith": "%jam"}}, [4]),
    ({"note": {"$contains": "0%"}}, [1]),
    ({"note": {"$contains": "5_0"}}, [2]),
    ({"note": {"$contains": "50"}}, [1, 3]),
    ({"note": {"$icontains": "\\s"}}, [3]),
    ({"note": {"$contains": "\\"}}, [3]),
    ({"note": None}, [4]),
    ({"note": {"$ne": None}}, [1, 2, 3]),
]


@pytest.mark.parametrize("query,expected", STRING_CASES, ids=lambda v: json.dumps(v))
def test_string_operators(things, query, expected):
    assert ids(things, query) == expected


def test_string_operator_values_are_validated(things):
    body = bad(things, {"name": {"$contains": ""}})
    assert body["errors"][0]["path"] == ["where", "name"]
    bad(things, {"name": {"$gt": "a"}})
    bad(things, {"name": {"$foo": "a"}})
    bad(things, {"name": 5})


# -- numbers -----------------------------------------------------------------------

NUMBER_CASES = [
    ({"count": 2}, [2]),
    ({"count": {"$ne": 2}}, [1, 3, 4]),
    ({"count": {"$lt": 2}}, [1]),
    ({"count": {"$lte": 2}}, [1, 2]),
    ({"count": {"$gt": 1}}, [2, 3]),
    ({"count": {"$gte": 1.5}}, [2, 3]),
    ({"count": {"$in": [1, 3, 99]}}, [1, 3]),
    ({"count": None}, [4]),
    ({"price": 2.25}, [2]),
    ({"price": {"$ne": 2.25}}, [1, 3, 4]),
    ({"price": {"$lt": 2.25}}, [1]),
    ({"price": {"$lte": 2.25}}, [1, 2]),
    ({"price": {"$gt": 2}}, [2, 3]),
    ({"price": {"$gte": 10}}, [3]),
    ({"price": {"$in": [1.5, 10]}}, [1, 3]),
    ({"weight": 1.25}, [2]),
    ({"weight": {"$ne": 0.5}}, [2, 3, 4]),
    ({"weight": {"$lt": 1.25}}, [1]),
    ({"weight": {"$lte": 1.25}}, [1, 2]),
    ({"weight": {"$gt": 1}}, [2, 3]),
    ({"weight": {"$gte": 2}}, [3]),
    ({"weight": {"$in": [0.5, 2]}}, [1, 3]),
]


@pytest.mark.parametrize("query,expected", NUMBER_CASES, ids=lambda v: json.dumps(v))
def test_number_operators(things, query, expected):
    assert ids(things, query) == expected


def test_number_operands_are_validated(things):
    bad(things, {"count": {"$gt": "a"}})
    bad(things, {"count": {"$contains": 1}})
    bad(things, {"count": 1.5})
    bad(things, {"price": "1.5"})


# -- booleans, enums -----------------------------------------------------------------

OTHER_CASES = [
    ({"flag": True}, [1, 3]),
    ({"flag": False}, [2]),
    ({"flag": {"$ne": True}}, [2, 4]),
    ({"flag": {"$in": [False]}}, [2]),
    ({"flag": None}, [4]),
    ({"kind": "apple"}, [1]),
    ({"kind": {"$ne": "apple"}}, [2, 3, 4]),
    ({"kind": {"$in": ["pear", "plum"]}}, [2, 3]),
    ({"kind": None}, [4]),
    ({"grade": "high"}, [2, 3]),
    ({"grade": {"$ne": "high"}}, [1, 4]),
    ({"grade": {"$in": ["low"]}}, [1]),
]


@pytest.mark.parametrize("query,expected", OTHER_CASES, ids=lambda v: json.dumps(v))
def test_boolean_and_enum_operators(things, query, expected):
    assert ids(things, query) == expected


def test_enum_values_are_validated_and_formatted(things):
    bad(things, {"kind": "banana"})
    bad(things, {"kind": {"$contains": "pp"}})  # not a string operator on an enum
    bad(things, {"flag": "yes"})
    bad(things, {"flag": {"$gt": True}})
    assert things.get("/thing/1").json["kind"] == "apple"
    assert things.get("/thing/1").json["grade"] == "low"
    assert things.get("/thing/4").json["kind"] is None


# -- dates and times -----------------------------------------------------------------

D = datetime.date
T = datetime.datetime

DATE_CASES = [
    ({"day": {"$date": ms(D(2021, 6, 1))}}, [2]),
    ({"day": {"$eq": {"$date": ms(D(2021, 6, 1))}}}, [2]),
    ({"day": {"$ne": {"$date": ms(D(2021, 6, 1))}}}, [1, 3, 4]),
    ({"day": {"$lt": {"$date": ms(D(2021, 6, 1))}}}, [1]),
    ({"day": {"$lte": {"$date": ms(D(2021, 6, 1))}}}, [1, 2]),
    ({"day": {"$gt": {"$date": ms(D(2021, 6, 1))}}}, [3]),
    ({"day": {"$gte": {"$date": ms(D(2021, 6, 1))}}}, [2, 3]),
    ({"day": {"$between": [{"$date": ms(D(2020, 1, 31))}, {"$date": ms(D(2021, 6, 1))}]}}, [1, 2]),
    ({"day": {"$in": [{"$date": ms(D(2020, 1, 31))}, {"$date": ms(D(2022, 12, 24))}]}}, [1, 3]),
    ({"day": None}, [4]),
    # a naive DateTime column
    ({"stamp": {"$date": ms(T(2021, 6, 1))}}, [2]),
    ({"stamp": {"$ne": {"$date": ms(T(2021, 6, 1))}}}, [1, 3, 4]),
    ({"stamp": {"$lt": {"$date": ms(T(2021, 6, 1))}}}, [1]),
    ({"stamp": {"$lte": {"$date": ms(T(2021, 6, 1))}}}, [1, 2]),
    ({"stamp": {"$gt": {"$date": ms(T(2021, 6, 1))}}}, [3]),
    ({"stamp": {"$gte": {"$date": ms(T(2020, 1, 31, 10, 20, 30))}}}, [1, 2, 3]),
    ({"stamp": {"$gt": {"$date": ms(T(2020, 1, 31, 10, 20, 30))}}}, [2, 3]),
    (
        {
            "stamp": {
                "$between": [
                    {"$date": ms(T(2020, 1, 31, 10, 20, 31))},
                    {"$date": ms(T(2022, 12, 24, 23, 59, 59))},
                ]
            }
        },
        [2, 3],
    ),
    # a DateTime column with a time zone
    ({"moment": {"$date": ms(T(2021, 6, 1))}}, [2]),
    ({"moment": {"$ne": {"$date": ms(T(2021, 6, 1))}}}, [1, 3, 4]),
    ({"moment": {"$lt": {"$date": ms(T(2021, 6, 1))}}}, [1]),
    ({"moment": {"$lte": {"$date": ms(T(2021, 6, 1))}}}, [1, 2]),
    ({"moment": {"$gt": {"$date": ms(T(2021, 6, 1))}}}, [3]),
    ({"moment": {"$gte": {"$date": ms(T(2020, 1, 31, 10, 20, 30))}}}, [1, 2, 3]),
    (
        {"moment": {"$between": [{"$date": ms(T(2020, 1, 1))}, {"$date": ms(T(2021, 6, 1))}]}},
        [1, 2],
    ),
]


@pytest.mark.parametrize("query,expected", DATE_CASES, ids=lambda v: json.dumps(v))
def test_date_and_datetime_operators(things, query, expected):
    assert ids(things, query) == expected


def test_datetime_has_no_in_operator(things):
    bad(things, {"stamp": {"$in": [{"$date": 0}]}})
    bad(things, {"day": {"$between": [{"$date": 0}]}})
    bad(things, {"day": {"$gt": 5}})


def test_dates_and_times_are_formatted_in_utc(things):
    item = things.get("/thing/1").json
    assert item["day"] == {"$date": ms(D(2020, 1, 31))}
    assert item["stamp"] == {"$date": ms(T(2020, 1, 31, 10, 20, 30))}
    assert item["moment"] == {"$date": ms(T(2020, 1, 31, 10, 20, 30))}


# -- references ------------------------------------------------------------------------

REFERENCE_CASES = [
    ({"owner": {"$ref": "/owner/1"}}, [1, 3]),
    ({"owner": 2}, [2]),
    ({"owner": "ann"}, [1, 3]),
    ({"owner": {"$eq": "bob"}}, [2]),
    ({"owner": None}, [4]),
    ({"owner": {"$ne": {"$ref": "/owner/1"}}}, [2, 4]),
    ({"owner": {"$ne": 2}}, [1, 3, 4]),
    ({"owner": {"$ne": None}}, [1, 2, 3]),
    ({"owner": {"$in": [{"$ref": "/owner/2"}, 1]}}, [1, 2, 3]),
    ({"owner": {"$in": ["bob", "nobody"]}}, [2]),
    ({"owner": {"$in": []}}, []),
    # a reference to an owner that does not exist matches nothing
    ({"owner": {"$ref": "/owner/99"}}, []),
    ({"owner": 99}, []),
    ({"owner": "nobody"}, []),
    ({"owner": {"$in": [99, "nobody", {"$ref": "/owner/98"}]}}, []),
    ({"owner": {"$ne": 99}}, [1, 2, 3, 4]),
    ({"owner": {"$ref": "/owner/3"}}, []),  # exists, owns nothing
]


@pytest.mark.parametrize("query,expected", REFERENCE_CASES, ids=lambda v: json.dumps(v))
def test_reference_operators(things, query, expected):
    assert ids(things, query) == expected


def test_reference_values_are_validated(things):
    bad(things, {"owner": {"$ref": "/thing/1"}})
    bad(things, {"owner": {"$gt": 1}})
    bad(things, {"owner": 1.5})


def test_self_uri_filter(things):
    assert ids(things, {"$uri": "/thing/2"}) == [2]
    assert ids(things, {"$uri": {"$in": ["/thing/2", "/thing/4"]}}) == [2, 4]
    assert ids(things, {"$uri": {"$ne": "/thing/2"}}) == [1, 3, 4]


def test_several_conditions_are_anded(things):
    assert ids(things, {"flag": True, "count": {"$gt": 1}}) == [3]
    assert ids(things, {"name": {"$icontains": "apple"}, "owner": "bob"}) == [2]
    assert ids(things, {"name": {"$icontains": "apple"}, "owner": "cid"}) == []


def test_unknown_field_is_400(things):
    body = bad(things, {"colour": "red"})
    assert body["errors"] == [{"path": ["where"], "validationOf": {"additionalProperties": False}}]


def test_invalid_where_json_is_400_naming_the_parameter(things):
    response = things.get("/thing?where={nope")
    assert response.status_code == 400
    assert "where" in response.json["message"]


# -- sorting ---------------------------------------------------------------------------


def test_sort_on_one_field(things):
    assert ids(things, {"count": {"$ne": None}}, sort={"count": True}) == [3, 2, 1]
    assert ids(things, {"count": {"$ne": None}}, sort={"count": False}) == [1, 2, 3]
    assert ids(things, {"price": {"$ne": None}}, sort={"price": True}) == [3, 2, 1]
    assert ids(things, {"day": {"$ne": None}}, sort={"day": True}) == [3, 2, 1]
    assert ids(things, {"note": {"$ne": None}}, sort={"note": False}) == [1, 2, 3]
    assert ids(things, {"$uri": {"$ne": "/thing/9"}}, sort={"$uri": True}) == [4, 3, 2, 1]


def test_sort_on_several_fields(things):
    # flag descending, then count descending; row 4 has no flag
    result = ids(things, {"flag": {"$ne": None}}, sort={"flag": True, "count": True})
    assert result == [3, 1, 2]
    result = ids(things, {"grade": {"$ne": None}}, sort={"grade": False, "count": True})
    # native enums sort in declaration order (low, high), others as strings (high, low)
    assert result in ([3, 2, 1], [1, 3, 2])
    result = ids(things, {"flag": {"$ne": None}}, sort={"flag": False, "name": True})
    assert result == [2, 3, 1]


def test_sort_by_reference_uses_the_target_sort_attribute(things):
    # Owner sorts by name descending: cid, bob, ann
    result = ids(things, {"owner": {"$ne": None}}, sort={"owner": False})
    assert result == [2, 1, 3]
    result = ids(things, {"owner": {"$ne": None}}, sort={"owner": True, "count": True})
    assert result == [3, 1, 2]


def test_sort_rejects_unknown_fields_and_bad_values(things):
    response = things.get("/thing", query_string={"sort": '{"colour": true}'})
    assert response.status_code == 400
    assert response.json["errors"] == [
        {"path": ["sort"], "validationOf": {"additionalProperties": False}}
    ]
    response = things.get("/thing", query_string={"sort": '{"name": 1}'})
    assert response.status_code == 400
    response = things.get("/thing", query_string={"sort": "[nope"})
    assert response.status_code == 400
    assert "sort" in response.json["message"]


def test_case_insensitive_operators_fold_beyond_ascii(sqla):
    db = sqla.db

    class Word(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        text = db.Column(db.String(40), nullable=False)

    class WordResource(ModelResource):
        class Meta:
            model = Word

    sqla.api.add_resource(WordResource)
    sqla.create_all()
    sqla.add(Word(text="École"), Word(text="ÉTÉ chaud"), Word(text="plain"))
    for condition, expected in (
        ({"$icontains": "été"}, ["ÉTÉ chaud"]),
        ({"$istartswith": "éc"}, ["École"]),
        ({"$iendswith": "COLE"}, ["École"]),
        ({"$contains": "été"}, []),
    ):
        response = sqla.get("/word", query_string={"where": json.dumps({"text": condition})})
        assert response.status_code == 200
        assert [w["text"] for w in response.json] == expected, condition
