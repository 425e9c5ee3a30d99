"""Migrations: a failing revision changes nothing, and a database behind is refused.

A revision that fails halfway (after changing a table, its rows and creating
another) must leave the schema, the data and the recorded revision as they were:
on PostgreSQL by transactional DDL, on SQLite because the migration engine makes
the driver run DDL inside the transaction.  MariaDB cannot roll DDL back; there
the recorded revision stays and the message says so.
"""

from __future__ import annotations

import sys

import pytest
import sqlalchemy as sa

from .databases import database_params
from .project_env import (
    PROJECT_NAME,
    add_app,
    copy_project,
    environment,
    free_port,
    manage,
    run,
    scratch_database,
)

MODELS = """
class Product(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(100), nullable=False, unique=True)
    price = db.Column(db.Integer, nullable=False)
"""

RESOURCES = """
from .models import Product


class ProductResource(ModelResource):
    class Meta:
        model = Product
"""

BAD_REVISION = '''"""break things"""

import sqlalchemy as sa
from alembic import op

revision = "badbadbad001"
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("product") as batch:
        batch.add_column(sa.Column("stock", sa.Integer(), nullable=True))
        batch.alter_column("name", existing_type=sa.String(100), type_=sa.String(200))
    op.execute("update product set price = price + 100")
    op.create_table("scratch_table", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("select missing_column from product")


def downgrade():
    pass
'''


def database_url(kind, tmp_path):
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite3'}"
    return scratch_database(kind)


def state(url):
    """The tables and their columns, the rows of ``product``, the recorded revision."""
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        tables = {
            name: sorted((c["name"], str(c["type"])) for c in inspector.get_columns(name))
            for name in inspector.get_table_names()
        }
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("select id, name, price from product order by id")
            ).all()
            revision = (
                connection.execute(sa.text("select version_num from alembic_version"))
                .scalars()
                .all()
            )
    finally:
        engine.dispose()
    return tables, [tuple(row) for row in rows], revision


@pytest.mark.parametrize("kind", database_params())
def test_a_failing_migration_changes_nothing(tmp_path_factory, tmp_path, kind):
    url = database_url(kind, tmp_path)
    project = copy_project(tmp_path_factory, tmp_path / PROJECT_NAME)
    add_app(project, "shop", MODELS, RESOURCES)
    manage(project, "makemigrations", "-m", "products", DATABASE_URL=url)
    manage(project, "migrate", DATABASE_URL=url)
    manage(
        project,
        "shell",
        "-c",
        "db.session.add_all([Product(name='Tea', price=3), Product(name='Mate', price=5)]); db.session.commit()",
        DATABASE_URL=url,
    )
    head = state(url)[2][0]
    (project / "migrations" / "versions" / "badbadbad001_break_things.py").write_text(
        BAD_REVISION.format(down=head)
    )
    before = state(url)

    result = manage(project, "migrate", check=False, DATABASE_URL=url)

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: Migration badbadbad001 (break things) failed: ")
    assert "missing_column" in lines[0]
    assert f"the database stays at {head}" in lines[0]
    after = state(url)
    assert after[2] == [head]  # the recorded revision
    if kind == "mysql":
        assert "MariaDB/MySQL cannot roll back schema changes" in lines[0]
    else:
        assert after == before  # schema and data too
        assert "scratch_table" not in after[0]
        # and a fixed migration then applies cleanly
        fixed = project / "migrations" / "versions" / "badbadbad001_break_things.py"
        fixed.write_text(
            fixed.read_text().replace('    op.execute("select missing_column from product")\n', "")
        )
        manage(project, "migrate", DATABASE_URL=url)
        tables, rows, revision = state(url)
        assert revision == ["badbadbad001"]
        assert ("stock", "INTEGER") in tables["product"]
        assert rows == [(1, "Tea", 103), (2, "Mate", 105)]
        manage(project, "migrate", "-1", DATABASE_URL=url)
        assert state(url)[2] == [head]


def test_a_database_behind_the_migrations_is_refused(tmp_path_factory, tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    project = copy_project(tmp_path_factory, tmp_path / PROJECT_NAME)
    add_app(project, "shop", MODELS, RESOURCES)
    result = manage(project, "makemigrations", "-m", "products", DATABASE_URL=url)
    assert result.stdout.startswith("Wrote migrations/versions/")
    manage(project, "migrate", DATABASE_URL=url)
    assert manage(project, "makemigrations", DATABASE_URL=url).stdout.strip() == (
        "No changes: the models match the migrations."
    )
    with open(project / "shop" / "models.py", "a") as f:
        f.write("\n\nclass Shelf(db.Model):\n    id = db.Column(db.Integer, primary_key=True)\n")
    manage(project, "makemigrations", "-m", "shelves", DATABASE_URL=url)
    shown = manage(project, "showmigrations", DATABASE_URL=url).stdout.splitlines()
    assert [line[:4] for line in shown] == ["[X] ", "[X] ", "[ ] "]
    assert shown[2].endswith("shelves (head)")

    refusal = "The database is behind the migrations (at "
    result = manage(project, "runserver", "--port", str(free_port()), check=False, DATABASE_URL=url)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("Error: " + refusal)
    assert result.stderr.strip().endswith("1 to apply): run python manage.py migrate")

    served = run(
        [sys.executable, "-c", "import wsgi"], project, environment(DATABASE_URL=url), check=False
    )
    assert served.returncode == 1
    assert "MigrationError: " + refusal in served.stderr
    assert "run python manage.py migrate" in served.stderr

    deploy = manage(project, "check", "--deploy", check=False, DATABASE_URL=url)
    assert deploy.returncode == 1
    assert "deploy.E003: " + refusal in deploy.stdout + deploy.stderr

    manage(project, "migrate", DATABASE_URL=url)
    served = run(
        [sys.executable, "-c", "import wsgi; print(wsgi.app.name)"],
        project,
        environment(DATABASE_URL=url),
    )
    assert served.stdout.strip() == PROJECT_NAME
