"""The contract resources on the peewee backend (SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

from typing import Any

import peewee
from playhouse.db_url import connect

from potion import Api
from potion.backends.peewee import PeeweeManager
from tests.databases import server_url

from . import Store, collect_unsupported, new_app, register_model_resources


def _database(database: str, tmp_path: Any) -> peewee.Database:
    if database == "sqlite":
        return peewee.SqliteDatabase(str(tmp_path / "contract.db"), pragmas={"foreign_keys": 1})
    url = server_url(database)
    return connect(url + "?charset=utf8mb4" if database == "mysql" else url)


def build(database: str, tmp_path: Any) -> Store:
    app = new_app()
    db = _database(database, tmp_path)

    class Base(peewee.Model):
        class Meta:
            database = db

    class Author(Base):
        first_name = peewee.CharField(max_length=60)
        last_name = peewee.CharField(max_length=60)

        class Meta:
            table_name = "contract_author"
            indexes = ((("first_name", "last_name"), True),)

    class Book(Base):
        title = peewee.CharField(max_length=100, unique=True)
        year = peewee.IntegerField(null=True)
        rating = peewee.DoubleField(default=5.0)
        available = peewee.BooleanField(default=True)
        published = peewee.DateField(null=True)
        author = peewee.ForeignKeyField(Author, backref="books")

        class Meta:
            table_name = "contract_book"

    class Shelf(Base):
        name = peewee.CharField(max_length=60)
        books = peewee.ManyToManyField(Book, backref="shelves")

        class Meta:
            table_name = "contract_shelf"

    class Genre(Base):
        code = peewee.CharField(max_length=20, primary_key=True)
        name = peewee.CharField(max_length=60)

        class Meta:
            table_name = "contract_genre"

    ShelfBook = Shelf.books.get_through_model()
    ShelfBook._meta.set_table_name("contract_shelf_book")

    api = Api(app)
    resources = register_model_resources(
        api, PeeweeManager, {"author": Author, "book": Book, "shelf": Shelf, "genre": Genre}
    )

    tables = [Author, Book, Shelf, ShelfBook, Genre]
    db.drop_tables(tables, safe=True)
    db.create_tables(tables)
    models = {"author": Author, "book": Book, "shelf": Shelf, "genre": Genre}

    def read_rows(name: str) -> list[dict[str, Any]]:
        model = models[name]
        columns = model._meta.sorted_fields
        query = model.select(*columns).order_by(model._meta.primary_key).tuples()
        rows = [
            {column.column_name: value for column, value in zip(columns, row, strict=True)}
            for row in query
        ]
        if name == "shelf":
            links = list(ShelfBook.select(ShelfBook.shelf, ShelfBook.book).tuples())
            for row in rows:
                row["book_ids"] = sorted(b for s, b in links if s == row["id"])
        return rows

    def teardown() -> None:
        try:
            db.drop_tables(tables, safe=True)
        finally:
            db.close()

    return Store(
        f"peewee-{database}",
        app,
        api,
        resources,
        read_rows,
        teardown,
        unsupported=collect_unsupported(*resources.values()),
    )
