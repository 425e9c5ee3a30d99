"""The contract resources on the SQLAlchemy backend (SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy

from potion import Api
from potion.backends.sqlalchemy import SQLAlchemyManager, sqlite_foreign_keys
from tests.databases import sqlalchemy_url

from . import Store, collect_unsupported, new_app, register_model_resources


def build(database: str, tmp_path: Any) -> Store:
    app = new_app()
    app.config["SQLALCHEMY_DATABASE_URI"] = sqlalchemy_url(database, tmp_path)
    db = SQLAlchemy(app)

    shelf_book = db.Table(
        "contract_shelf_book",
        db.Column("shelf_id", db.Integer, db.ForeignKey("contract_shelf.id"), primary_key=True),
        db.Column("book_id", db.Integer, db.ForeignKey("contract_book.id"), primary_key=True),
    )

    class Author(db.Model):
        __tablename__ = "contract_author"
        id = db.Column(db.Integer, primary_key=True)
        first_name = db.Column(db.String(60), nullable=False)
        last_name = db.Column(db.String(60), nullable=False)
        __table_args__ = (db.UniqueConstraint("first_name", "last_name"),)

    class Book(db.Model):
        __tablename__ = "contract_book"
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(100), nullable=False, unique=True)
        year = db.Column(db.Integer, nullable=True)
        rating = db.Column(db.Float, nullable=False, default=5.0)
        available = db.Column(db.Boolean, nullable=False, default=True)
        published = db.Column(db.Date, nullable=True)
        author_id = db.Column(db.Integer, db.ForeignKey(Author.id), nullable=False)
        author = db.relationship(Author)

    class Shelf(db.Model):
        __tablename__ = "contract_shelf"
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(60), nullable=False)
        books = db.relationship(Book, secondary=shelf_book, order_by=Book.id)

    class Genre(db.Model):
        __tablename__ = "contract_genre"
        code = db.Column(db.String(20), primary_key=True)
        name = db.Column(db.String(60), nullable=False)

    api = Api(app)
    resources = register_model_resources(
        api, SQLAlchemyManager, {"author": Author, "book": Book, "shelf": Shelf, "genre": Genre}
    )

    with app.app_context():
        sqlite_foreign_keys(db.engine)  # as docs/backends/sqlalchemy.md says
        db.drop_all()
        db.create_all()

    models = {"author": Author, "book": Book, "shelf": Shelf, "genre": Genre}

    def read_rows(name: str) -> list[dict[str, Any]]:
        with db.engine.connect() as connection:
            table = models[name].__table__
            order = table.primary_key.columns.values()
            rows = [
                dict(row._mapping) for row in connection.execute(sa.select(table).order_by(*order))
            ]
            if name == "shelf":
                links = connection.execute(sa.select(shelf_book)).all()
                for row in rows:
                    row["book_ids"] = sorted(b for s, b in links if s == row["id"])
        return rows

    def teardown() -> None:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()

    return Store(
        f"sqlalchemy-{database}",
        app,
        api,
        resources,
        read_rows,
        teardown,
        unsupported=collect_unsupported(*resources.values()),
    )
