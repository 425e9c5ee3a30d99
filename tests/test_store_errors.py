"""Store errors classified once per backend: outages are 503, a malformed id is a 404
that leaves the transaction usable, a row deleted under a write is a 404 without
the write's ``after_*`` signal."""

from __future__ import annotations

import datetime
import enum
import sqlite3
from typing import Any

import pytest
import sqlalchemy as sa

from potion import ModelResource, fields, signals
from potion.backends.sqlerrors import is_disconnect, is_unavailable
from potion.exceptions import ItemNotFound, StoreUnavailable
from potion.natural_keys import RefKey

from . import sqla_env

database = sqla_env.database
sqla = sqla_env.sqla


class _PgError(Exception):
    def __init__(self, pgcode: str | None) -> None:
        super().__init__("pg")
        self.pgcode = pgcode


class OperationalError(Exception):
    """A driver's OperationalError without a code (connection refused)."""


class InterfaceError(Exception):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)


@pytest.mark.parametrize(
    "error, unavailable, disconnect",
    [
        (_PgError("08006"), True, True),  # connection failure
        (_PgError("57P01"), True, True),  # admin shutdown
        (_PgError("57014"), True, False),  # statement timeout
        (_PgError("53300"), True, False),  # too many connections
        (_PgError("40P01"), True, False),  # deadlock
        (_PgError("55P03"), True, False),  # lock not available
        (_PgError("22007"), False, False),  # bad date: the value, not the store
        (_PgError("23505"), False, False),  # unique violation
        (_PgError("42P01"), False, False),  # missing table: a bug, a 500
        (OperationalError("could not connect"), True, True),
        (InterfaceError(0, ""), True, True),  # PyMySQL's closed connection
        (InterfaceError(2013, "Lost connection"), True, True),
        (InterfaceError(2003, "Can't connect"), True, False),
        (InterfaceError(1205, "Lock wait timeout"), True, False),
        (InterfaceError(1062, "Duplicate entry"), False, False),
        (InterfaceError(1146, "Table doesn't exist"), False, False),
        (sqlite3.OperationalError("database is locked"), True, False),
        (sqlite3.OperationalError("no such table: x"), False, False),
        (ValueError("not a database error"), False, False),
    ],
)
def test_sql_errors_are_classified_by_code(error, unavailable, disconnect):
    if isinstance(error, sqlite3.OperationalError):
        error.sqlite_errorcode = 5 if "locked" in str(error) else 1  # type: ignore[attr-defined]
    assert is_unavailable(error) is unavailable
    assert is_disconnect(error) is disconnect


def test_store_unavailable_is_a_503_with_retry_after(app):
    with app.test_request_context():
        response = StoreUnavailable().get_response()
    assert response.status_code == 503
    assert response.get_json() == {"message": "The database is unavailable", "status": 503}
    assert response.headers["Retry-After"] == "5"


# -- malformed ids ---------------------------------------------------------------------


class Colour(enum.Enum):
    red = "red"
    green = "green"


@pytest.fixture
def odd_ids(sqla):
    db = sqla.db

    class Day(db.Model):
        __tablename__ = "odd_day"
        day = db.Column(db.Date, primary_key=True)
        note = db.Column(db.String(20))

    class Paint(db.Model):
        __tablename__ = "odd_paint"
        colour = db.Column(db.Enum(Colour), primary_key=True)
        note = db.Column(db.String(20))

    class DayResource(ModelResource):
        class Meta:
            model = Day
            name = "day"
            key_converters = (RefKey(),)  # a date id is a JSON object too
            silenced_checks = ["potion.E102"]  # items are stored directly: no field sets the key

    class PaintResource(ModelResource):
        class Meta:
            model = Paint
            name = "paint"
            silenced_checks = ["potion.E102"]

    sqla.api.add_resource(DayResource)
    sqla.api.add_resource(PaintResource)
    sqla.create_all()
    sqla.add(Day(day=datetime.date(2024, 1, 2), note="a"), Paint(colour=Colour.red, note="b"))
    return DayResource, PaintResource


def test_malformed_ids_are_404(sqla, odd_ids):
    assert sqla.get("/day/2024-01-02").status_code == 200
    assert sqla.get("/paint/red").status_code == 200
    for url in ("/day/not-a-date", "/day/2024-13-45", "/paint/purple", "/day/a%00b"):
        response = sqla.get(url)
        assert response.status_code == 404, (url, response.get_json())
        assert response.is_json


def test_a_malformed_id_leaves_the_transaction_usable(sqla, odd_ids):
    """On PostgreSQL a refused value would abort the transaction: the lookup is guarded."""
    day_resource, paint_resource = odd_ids
    with sqla.app.test_request_context():
        manager = paint_resource.manager
        with manager.transaction():
            for bad in ("purple", "x" * 300):
                with pytest.raises(ItemNotFound):
                    manager.read(bad)
            with pytest.raises(ItemNotFound):
                day_resource.manager.read("2024-99-99")
            manager.create({"colour": Colour.green, "note": "c"})
    assert sqla.count("odd_paint") == 2


# -- a row deleted under a write ----------------------------------------------------------


@pytest.fixture
def notes(sqla):
    db = sqla.db

    class Note(db.Model):
        __tablename__ = "race_note"
        id = db.Column(db.Integer, primary_key=True)
        text = db.Column(db.String(20), nullable=False)

    class NoteResource(ModelResource):
        class Meta:
            model = Note
            name = "note"

    sqla.api.add_resource(NoteResource)
    sqla.create_all()
    sqla.add(Note(text="one"))
    return NoteResource


def _signals() -> tuple[list[str], Any]:
    sent: list[str] = []

    def receiver(name: str) -> Any:
        return lambda sender, **kwargs: sent.append(name)

    receivers = {
        name: receiver(name)
        for name in ("before_update", "after_update", "before_delete", "after_delete")
    }
    for name, function in receivers.items():
        getattr(signals, name).connect(function)
    return sent, receivers


def test_update_and_delete_of_a_row_deleted_meanwhile_are_404(sqla, notes):
    sent, receivers = _signals()
    try:
        with sqla.app.test_request_context():
            manager = notes.manager
            item = manager.read(1)
            # another request deletes the row
            with sqla.engine.begin() as connection:
                connection.execute(sa.text("delete from race_note"))
            with pytest.raises(ItemNotFound) as raised:
                manager.update(item, {"text": "two"})
            assert raised.value.id == 1
            item = manager.read(1) if sqla.count("race_note") else item
            with pytest.raises(ItemNotFound):
                manager.delete(item)
    finally:
        for name, function in receivers.items():
            getattr(signals, name).disconnect(function)
    assert "after_update" not in sent
    assert "after_delete" not in sent
    assert sqla.count("race_note") == 0


# -- messages: values in JSON, conflicts by the field clients write ----------------------


@pytest.fixture
def library(sqla):
    db = sqla.db

    class Writer(db.Model):
        __tablename__ = "msg_writer"
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(40), nullable=False)

    class Volume(db.Model):
        __tablename__ = "msg_volume"
        id = db.Column(db.Integer, primary_key=True)
        book_title = db.Column("title", db.String(40), nullable=False, unique=True)
        writer_id = db.Column(db.Integer, db.ForeignKey(Writer.id), nullable=False)
        writer = db.relationship(Writer)

    class WriterResource(ModelResource):
        class Meta:
            model = Writer
            name = "writer"

    class VolumeResource(ModelResource):
        class Meta:
            model = Volume
            name = "volume"

        class Schema:
            writer = fields.ToOne("writer")
            title = fields.String(attribute="book_title")

    sqla.api.add_resource(WriterResource)
    sqla.api.add_resource(VolumeResource)
    sqla.create_all()
    return WriterResource, Volume


def test_a_missing_reference_is_named_in_json(sqla, library):
    response = sqla.post("/volume", json={"title": "T", "writer": {"$ref": "/writer/abc"}})
    assert response.status_code == 400
    assert (
        response.get_json()["errors"][0]["message"]
        == 'writer {"$ref": "/writer/abc"} does not exist'
    )


def test_a_conflict_in_another_resource_names_its_field(sqla, library):
    writer_resource, volume = library
    sqla.post("/writer", json={"name": "First"})
    assert (
        sqla.post("/volume", json={"title": "Taken", "writer": {"$ref": "/writer/1"}}).status_code
        == 200
    )

    def first_volume(sender, item, **kwargs):
        # a write spanning resources: every new writer gets a volume
        sqla.db.session.add(volume(book_title="Taken", writer=item))

    signals.after_create.connect(first_volume, sender=writer_resource)
    try:
        response = sqla.post("/writer", json={"name": "Second"})
    finally:
        signals.after_create.disconnect(first_volume, sender=writer_resource)
    assert response.status_code == 409, response.get_json()
    body = response.get_json()
    assert body["message"] == "A volume with this title already exists"
    assert body["errors"] == [
        {"path": [], "validationOf": {"unique": ["title"]}, "resource": "volume"}
    ]
    assert sqla.count("msg_writer") == 1
