"""The built-in reads run their prebuilt statements on the DBAPI cursor when nothing
can tell (potion/backends/sqlalchemy/direct.py), and answer exactly as SQLAlchemy's
execution does: every test reads the same items with the direct path on and off and
expects the same answers.  An engine listener, statement logging or a failure keep
or send the read back to SQLAlchemy.  On SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid

import pytest
import sqlalchemy as sa

from potion import ModelResource, Relation, fields
from potion.backends.sqlalchemy import base, direct

from . import sqla_env

database = sqla_env.database  # the fixtures this module uses
sqla = sqla_env.sqla


class Shade(enum.Enum):
    light = "light"
    dark = "dark"


class Upper(sa.types.TypeDecorator):
    """Stored as written, read in capitals: a result processor of the application's."""

    impl = sa.String(40)
    cache_ok = True

    def process_result_value(self, value, dialect):
        return None if value is None else value.upper()


@pytest.fixture
def runs(monkeypatch):
    """The statements run on the DBAPI cursor."""
    ran: list[str] = []
    run = direct._Prepared.run

    def spy(self, dbapi_connection, params):
        ran.append(self.sql)
        return run(self, dbapi_connection, params)

    monkeypatch.setattr(direct._Prepared, "run", spy)
    return ran


@pytest.fixture
def things(sqla):
    db = sqla.db

    class Maker(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False)

    class Thing(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column("thing_name", db.String(40), nullable=False)
        shouted = db.Column(Upper)
        active = db.Column(db.Boolean, nullable=False)
        made = db.Column(db.Date)
        seen = db.Column(db.DateTime)
        price = db.Column(db.Numeric(10, 2))
        weight = db.Column(db.Float)
        shade = db.Column(db.Enum(Shade))
        code = db.Column(db.Uuid)
        maker_id = db.Column(db.Integer, db.ForeignKey(Maker.id), nullable=False)
        maker = db.relationship(Maker, backref="things")

    class MakerResource(ModelResource):
        things = Relation("thing")

        class Meta:
            model = Maker

    class ThingResource(ModelResource):
        class Meta:
            model = Thing

        class Schema:
            maker = fields.ToOne("maker")

    sqla.api.add_resource(MakerResource)
    sqla.api.add_resource(ThingResource)
    sqla.create_all()
    sqla.add(Maker(name="Acme"))
    sqla.add(
        Thing(
            name="anvil",
            shouted="heavy",
            active=True,
            made=datetime.date(2024, 2, 29),
            seen=datetime.datetime(2025, 1, 2, 3, 4, 5),
            price=decimal.Decimal("12.50"),
            weight=70.25,
            shade=Shade.dark,
            code=uuid.UUID("12345678-1234-5678-1234-567812345678"),
            maker_id=1,
        ),
        Thing(name="feather", active=False, maker_id=1),
    )
    return Maker, Thing


URLS = [
    "/thing/1",
    "/thing/2",
    "/thing",
    "/thing?where=%7B%22active%22%3A%20true%7D",  # built for the request: SQLAlchemy's
    "/thing?where=%7B%22weight%22%3A%20%7B%22%24gt%22%3A%201%7D%7D",
    "/thing?sort=%7B%22name%22%3A%20true%7D&per_page=1&page=2",
    "/maker/1/things",
    "/thing/3",
]


def _answers(sqla):
    answers = []
    for url in URLS:
        response = sqla.get(url)
        answers.append((url, response.status_code, response.json, response.headers.get("Link")))
    return answers


def test_direct_reads_answer_as_sqlalchemy_does(sqla, things, runs, monkeypatch):
    _answers(sqla)  # the first run of a statement is SQLAlchemy's: it gives the keys
    del runs[:]
    direct_answers = _answers(sqla)
    # three items; the count and the page of three lists and of the relation
    assert len(runs) == 11
    assert sqla.engine.pool.checkedout() == 0

    monkeypatch.setattr(base, "quiet", lambda engine: False)
    del runs[:]
    assert _answers(sqla) == direct_answers
    assert runs == []

    first = direct_answers[0]
    assert first[1] == 200
    assert first[2] == {
        "$uri": "/thing/1",
        "name": "anvil",
        "shouted": "HEAVY",
        "active": True,
        "made": {"$date": 1709164800000},
        "seen": {"$date": 1735787045000},
        "price": 12.5,
        "weight": 70.25,
        "shade": "dark",
        "code": "12345678-1234-5678-1234-567812345678",
        "maker": {"$ref": "/maker/1"},
    }
    assert direct_answers[-1][1] == 404


def test_an_engine_listener_keeps_reads_on_sqlalchemy(sqla, things, runs):
    sqla.get("/thing/1")
    seen = []
    sa.event.listen(sqla.engine, "after_cursor_execute", lambda *args: seen.append(args[2]))
    response = sqla.get("/thing/1")
    assert response.status_code == 200, response.json
    assert runs == []
    assert len(seen) == 1 and seen[0].lstrip().upper().startswith("SELECT")


def test_logged_statements_keep_reads_on_sqlalchemy(sqla, things, runs):
    sqla.get("/thing/1")
    sqla.engine.echo = True
    try:
        response = sqla.get("/thing/1")
    finally:
        sqla.engine.echo = False
    assert response.status_code == 200, response.json
    assert runs == []
    response = sqla.get("/thing/1")
    assert response.status_code == 200, response.json
    assert len(runs) == 1


def test_a_failed_direct_read_is_run_again_by_sqlalchemy(sqla, things, monkeypatch):
    sqla.get("/thing/1")
    failures = []
    run = direct._Prepared.run

    def failing(self, dbapi_connection, params):
        if not failures:
            failures.append(self.sql)
            raise sqla.engine.dialect.loaded_dbapi.OperationalError("the line dropped")
        return run(self, dbapi_connection, params)

    monkeypatch.setattr(direct._Prepared, "run", failing)
    response = sqla.get("/thing/1")
    assert response.status_code == 200, response.json
    assert response.json["name"] == "anvil"
    assert len(failures) == 1
    assert sqla.engine.pool.checkedout() == 0


def test_a_read_in_the_sessions_transaction_sees_its_changes(sqla, things, runs):
    _maker, thing = things
    sqla.get("/thing/1")
    del runs[:]
    with sqla.app.test_request_context():
        session = sqla.db.session
        session.execute(sa.update(thing).where(thing.id == 1).values(name="renamed"))
        resource = sqla.api.resources["thing"]
        row = resource.manager.item_for_output(1)
        assert row.name == "renamed"
        session.rollback()
    assert runs == []
    assert sqla.get("/thing/1").json["name"] == "anvil"
    assert len(runs) == 1


def test_rows_behave_like_sqlalchemys():
    row_class = direct._row_class(("id", "title"))
    row = row_class(3, "Dune")
    assert (row.id, row.title, row[1], list(row), len(row)) == (3, "Dune", "Dune", [3, "Dune"], 2)
    assert row._mapping == {"id": 3, "title": "Dune"}
    assert row == (3, "Dune") and row == row_class(3, "Dune")
    assert not isinstance(row, tuple)  # a route returning a row is not (body, status)


def test_loader_criteria_keep_reads_on_sqlalchemy(sqla, runs):
    """A criterion of ``Meta.query_options`` may take its values when the statement
    runs: its statements are never run from a compiled copy."""
    db = sqla.db

    class Note(db.Model):
        id = db.Column(db.Integer, primary_key=True)
        text = db.Column(db.String(40), nullable=False)
        hidden = db.Column(db.Boolean, nullable=False, default=False)

    class NoteResource(ModelResource):
        class Meta:
            model = Note
            exclude_fields = ["hidden"]
            query_options = [sa.orm.with_loader_criteria(Note, lambda cls: cls.hidden.is_(False))]

    sqla.api.add_resource(NoteResource)
    sqla.create_all()
    sqla.add(Note(text="shown"), Note(text="secret", hidden=True))
    for _ in range(2):
        assert sqla.get("/note/1").status_code == 200
        assert sqla.get("/note/2").status_code == 404
        assert [n["text"] for n in sqla.get("/note").json] == ["shown"]
    assert runs == []
