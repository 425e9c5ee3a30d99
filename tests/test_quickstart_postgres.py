"""docs/quickstart-postgres.md, followed as printed: from an empty database to an API.

The page's ``app.py`` is written out as shown; ``flask --app app create-tables``
creates its tables in an empty database named by ``DATABASE_URL`` (as the page
exports it), and the requests of the page's ``curl`` lines get the answers the page
prints.  It runs on PostgreSQL (skipped, with the reason, without
``POTION_TEST_POSTGRES_URL``) and on SQLite, so the page's code is checked
everywhere.
"""

from __future__ import annotations

import sys

import pytest

from .project_env import environment, run, scratch_database
from .test_docs import DOCS, files_shown

PAGE = DOCS / "quickstart-postgres.md"

# the page's curl lines, as test-client requests, with the answers the page shows
REQUESTS = """
import json
import sys

from app import app, db

client = app.test_client()
assert client.post("/author", json={"name": "Octavia E. Butler"}).status_code == 200
kindred = {"title": "Kindred", "year": 1979, "author": "Octavia E. Butler"}
assert client.post("/book", json=kindred).status_code == 200
dawn = {"title": "Dawn", "year": 1987, "author": {"$ref": "/author/1"}}
assert client.post("/book", json=dawn).status_code == 200

where = json.dumps({"author": "Octavia E. Butler", "year": {"$gt": 1980}})
found = client.get("/book", query_string={"where": where})
assert found.json == [
    {"$uri": "/book/2", "author": {"$ref": "/author/1"}, "title": "Dawn", "year": 1987}
], found.json
page = client.get("/book", query_string={"sort": json.dumps({"year": True}), "per_page": 1})
assert page.headers["X-Total-Count"] == "2" and 'rel="next"' in page.headers["Link"]
assert [book["title"] for book in page.json] == ["Dawn"]
assert client.get("/book/schema").status_code == 200

missing = client.post("/book", json={"title": "Fledgling"})
assert missing.status_code == 400, missing.json
assert missing.json["errors"] == [
    {"path": [], "validationOf": {"required": ["author", "title"]}}
], missing.json
duplicate = client.post("/author", json={"name": "Octavia E. Butler"})
assert duplicate.status_code == 409, duplicate.json
assert duplicate.json["errors"] == [{"path": ["name"], "validationOf": {"unique": True}}]

with app.app_context():
    rows = db.session.execute(db.text("select title from book order by id")).scalars().all()
assert rows == ["Kindred", "Dawn"], rows
print(app.config["SQLALCHEMY_DATABASE_URI"].split("://")[0])
"""


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_quickstart_from_an_empty_database(kind, tmp_path):
    if kind == "postgres":
        url = scratch_database("postgres")  # an empty database; skips without a server
        assert url.startswith("postgresql://"), "the page's form of the URL"
    else:
        url = f"sqlite:///{tmp_path / 'library.db'}"
    files = files_shown(PAGE.read_text())
    assert list(files) == ["app.py"], "docs/quickstart-postgres.md shows other files"
    (tmp_path / "app.py").write_text(files["app.py"])
    env = environment(DATABASE_URL=url)

    run([sys.executable, "-m", "flask", "--app", "app", "create-tables"], tmp_path, env)
    (tmp_path / "use_it.py").write_text(REQUESTS)
    result = run([sys.executable, "use_it.py"], tmp_path, env)
    assert result.stdout.strip() == url.split("://")[0]
