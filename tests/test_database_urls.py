"""The database URLs the documentation shows connect, with the drivers the extras install.

Each form below is printed in a page of docs/.  The tests check that the page still
shows it, that the driver SQLAlchemy loads for it belongs to the extra the page says
to install (``postgres``: psycopg 3, ``mysql``: PyMySQL), and then, on PostgreSQL and
MariaDB, that an API built as the page says serves a create and a read through it.
Nothing is installed here: the drivers are the ones the ``test`` extra brings.  The
server tests are skipped, with the reason, when ``POTION_TEST_POSTGRES_URL`` or
``POTION_TEST_MYSQL_URL`` is not set (``.ci/run`` sets both).
"""

from __future__ import annotations

import configparser
import importlib.metadata
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from potion import Api, ModelResource
from potion.project import Environment

from .databases import server_url

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

#: (page, how the URL is used, database, the URL as the page prints it)
SQLALCHEMY_FORMS = [
    ("backends/sqlalchemy.md", "postgres", "postgresql://user:password@localhost:5432/name"),
    (
        "backends/sqlalchemy.md",
        "mysql",
        "mysql+pymysql://user:password@localhost:3306/name?charset=utf8mb4",
    ),
]
PEEWEE_FORMS = [
    ("backends/peewee.md", "postgres", "postgresql://user:password@localhost:5432/name"),
    ("backends/peewee.md", "mysql", "mysql://user:password@localhost:3306/name?charset=utf8mb4"),
]
#: ``DATABASE_URL`` as hosting services write it, read by ``env.database_url()``
ENVIRONMENT_FORMS = [
    ("settings.md", "postgres", "postgres://"),
    ("settings.md", "mysql", "mysql://"),
]
EXTRA = {"postgres": "postgres", "mysql": "mysql"}
DRIVER = {"postgres": "psycopg", "mysql": "pymysql"}


def _param(form: tuple[str, str, str], server: bool = False) -> Any:
    page, kind, url = form
    marks = [getattr(pytest.mark, kind)] if server else []
    return pytest.param(page, kind, url, id=f"{kind}:{url.split('://')[0]}", marks=marks)


def _on_server(documented: str, kind: str) -> str:
    """The documented URL with the user, host, port and database of the test server."""
    server = urlsplit(server_url(kind))  # skips when the server is not configured
    form = urlsplit(documented)
    return urlunsplit((form.scheme, server.netloc, server.path, form.query, ""))


def _extra(name: str) -> set[str]:
    """The distribution names an extra of setup.cfg installs."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = config["options.extras_require"][name].split("\n")
    return {_normal(re.split(r"[\[<>=!~; ]", line.strip())[0]) for line in lines if line.strip()}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# -- the pages show the forms ----------------------------------------------------------


@pytest.mark.parametrize(
    "page,kind,url", [_param(f) for f in SQLALCHEMY_FORMS + PEEWEE_FORMS + ENVIRONMENT_FORMS]
)
def test_the_page_shows_the_form(page, kind, url):
    assert url in (DOCS / page).read_text(), f"docs/{page} no longer shows {url}"


@pytest.mark.parametrize("page,kind,url", [_param(f) for f in SQLALCHEMY_FORMS])
def test_sqlalchemy_loads_the_driver_of_the_extra(page, kind, url):
    dbapi = sa.engine.make_url(url).get_dialect().import_dbapi()
    package = dbapi.__name__.split(".")[0]
    assert package == DRIVER[kind]
    distributions = {
        _normal(d) for d in importlib.metadata.packages_distributions().get(package, [])
    }
    assert distributions & _extra(EXTRA[kind]), (
        f"{url} loads {package} ({distributions}), which the {EXTRA[kind]} extra does not install"
    )
    # the test extra brings the same driver, so the suite runs what users run
    assert distributions & _extra("test")


@pytest.mark.parametrize(
    "written,read",
    [
        ("postgres://u:p@db/app", "postgresql://u:p@db/app"),
        ("postgresql://u@db/app", "postgresql://u@db/app"),
        ("mysql://u:p@db/app?charset=utf8mb4", "mysql+pymysql://u:p@db/app?charset=utf8mb4"),
        ("mysql+pymysql://u@db/app", "mysql+pymysql://u@db/app"),
        ("mysql+mysqldb://u@db/app", "mysql+mysqldb://u@db/app"),  # a named driver is kept
        ("postgresql+psycopg2://u@db/app", "postgresql+psycopg2://u@db/app"),
        ("sqlite:///db.sqlite3", "sqlite:///db.sqlite3"),
    ],
)
def test_the_environment_reads_urls_as_hosts_write_them(written, read):
    assert Environment({"DATABASE_URL": written}).database_url() == read


# -- the forms connect -----------------------------------------------------------------


def _sqlalchemy_round_trip(url: str) -> str:
    """Serve a model over ``url`` as the SQLAlchemy page does; the engine's driver name."""
    from flask_sqlalchemy import SQLAlchemy

    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db = SQLAlchemy(app)

    class UrlNote(db.Model):  # type: ignore[name-defined]
        __tablename__ = "url_form_note"
        id = db.Column(db.Integer, primary_key=True)
        text = db.Column(db.String(40), nullable=False)

    class NoteResource(ModelResource):
        class Meta:
            model = UrlNote
            name = "note"

    Api(app).add_resource(NoteResource)
    with app.app_context():
        db.drop_all()
        db.create_all()
        try:
            client = app.test_client()
            created = client.post("/note", json={"text": "żółw 🐢"})
            assert created.status_code == 200, created.get_json()
            assert client.get("/note").get_json() == [{"$uri": "/note/1", "text": "żółw 🐢"}]
            with db.engine.connect() as connection:
                stored = connection.execute(sa.text("select text from url_form_note")).scalar()
            assert stored == "żółw 🐢"
            return str(db.engine.dialect.driver)
        finally:
            db.drop_all()
            db.engine.dispose()


@pytest.mark.parametrize("page,kind,url", [_param(f, True) for f in SQLALCHEMY_FORMS])
def test_sqlalchemy_connects_with_the_documented_url(page, kind, url):
    assert _sqlalchemy_round_trip(_on_server(url, kind)) == DRIVER[kind]


@pytest.mark.parametrize("page,kind,scheme", [_param(f, True) for f in ENVIRONMENT_FORMS])
def test_a_project_connects_with_database_url_as_hosts_write_it(page, kind, scheme):
    server = urlsplit(server_url(kind))
    written = urlunsplit((scheme.rstrip(":/"), server.netloc, server.path, "", ""))
    url = Environment({"DATABASE_URL": written}).database_url()
    assert _sqlalchemy_round_trip(url) == DRIVER[kind]


@pytest.mark.parametrize("page,kind,url", [_param(f, True) for f in PEEWEE_FORMS])
def test_peewee_connects_with_the_documented_url(page, kind, url):
    peewee = pytest.importorskip("peewee")
    from playhouse.db_url import connect

    from potion.backends.peewee import PeeweeManager

    db = connect(_on_server(url, kind))

    class UrlNote(peewee.Model):
        text = peewee.CharField(max_length=40)

        class Meta:
            database = db
            table_name = "url_form_pw_note"

    class NoteResource(ModelResource):
        class Meta:
            model = UrlNote
            name = "note"

    app = Flask(__name__)
    Api(app, default_manager=PeeweeManager).add_resource(NoteResource)
    db.drop_tables([UrlNote], safe=True)
    db.create_tables([UrlNote])
    try:
        client = app.test_client()
        created = client.post("/note", json={"text": "żółw 🐢"})
        assert created.status_code == 200, created.get_json()
        assert client.get("/note").get_json() == [{"$uri": "/note/1", "text": "żółw 🐢"}]
        assert UrlNote.get_by_id(1).text == "żółw 🐢"
    finally:
        db.drop_tables([UrlNote], safe=True)
        db.close()
