"""The benchmark's data: two models and a SQLite database generated from a seed.

Both sides of the benchmark (Potion and the hand-written reference) use these
models and the same database file, so they read and write exactly the same rows.
"""

from __future__ import annotations

import dataclasses
import random
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

__all__ = ["db", "Author", "Book", "Workload", "generate", "configure_app"]

db = SQLAlchemy()


class Author(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "author"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(120), nullable=False)


class Book(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "book"

    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(200), nullable=False, unique=True)
    year = db.Column(db.Integer, nullable=False)
    rating = db.Column(db.Float, nullable=False)
    author_id = db.Column(db.Integer, db.ForeignKey("author.id"), nullable=False, index=True)
    author = db.relationship(Author, backref="books")


_FIRST = "Ada Alan Barbara Claude Donald Edsger Frances Grace Ken Leslie Margaret Niklaus".split()
_LAST = (
    "Backus Dijkstra Hopper Kay Knuth Lamport Liskov Lovelace McCarthy Ritchie Turing Wirth".split()
)
_ADJECTIVES = (
    "Blue Quiet Hidden Last Silver Broken Golden Distant Burning Frozen Silent Wild".split()
)
_NOUNS = (
    "River Garden Empire Signal Harbour Machine Forest Letter Island Winter Compass Tower".split()
)


@dataclasses.dataclass(frozen=True)
class Workload:
    """A generated database and the rows the operations work on."""

    path: Path
    authors: int
    books: int
    seed: int
    #: the book that R1 reads
    read_book_id: int
    #: the author whose books R4 lists (the one with most books)
    relation_author_id: int
    #: the book that W2 patches: never part of another operation's result
    patch_book_id: int
    #: the author that W1's new books refer to
    create_author_id: int

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def connect(self) -> sqlite3.Connection:
        """A plain sqlite3 connection, outside both apps (for checks and clean-up)."""
        connection = sqlite3.connect(self.path)
        connection.row_factory = sqlite3.Row
        return connection


def generate(path: Path, authors: int = 1000, books: int = 10000, seed: int = 20240601) -> Workload:
    """Create the database file at ``path`` (replacing it) with seeded random data."""
    path = Path(path)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = sa.create_engine(f"sqlite:///{path}")
    db.metadata.create_all(engine)
    engine.dispose()

    rng = random.Random(seed)
    author_rows = [
        (i, f"{rng.choice(_FIRST)} {rng.choice(_LAST)} {i}") for i in range(1, authors + 1)
    ]
    book_rows = []
    for i in range(1, books + 1):
        title = f"The {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {i:05d}"
        year = rng.randint(1950, 2024)
        rating = round(rng.uniform(0.0, 5.0), 1)
        book_rows.append((i, title, year, rating, rng.randint(1, authors)))

    connection = sqlite3.connect(path)
    with connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executemany("INSERT INTO author (id, name) VALUES (?, ?)", author_rows)
        connection.executemany(
            "INSERT INTO book (id, title, year, rating, author_id) VALUES (?, ?, ?, ?, ?)",
            book_rows,
        )
    connection.execute("ANALYZE")
    connection.close()

    counts: dict[int, int] = {}
    for row in book_rows:
        counts[row[4]] = counts.get(row[4], 0) + 1
    relation_author_id = min(counts, key=lambda a: (-counts[a], a))
    read_book_id = books // 2 + 1
    # W2's book: not R1's, not on R2's page (ids 41..60), never matched by R3
    # (year <= 2000, whatever its rating) and not one of R4's author's books.
    patch_book_id = next(
        row[0]
        for row in reversed(book_rows)
        if row[2] <= 2000
        and row[0] != read_book_id
        and row[4] != relation_author_id
        and not 41 <= row[0] <= 60
    )
    return Workload(
        path=path,
        authors=authors,
        books=books,
        seed=seed,
        read_book_id=read_book_id,
        relation_author_id=relation_author_id,
        patch_book_id=patch_book_id,
        create_author_id=1,
    )


def configure_app(app: Flask, workload: Workload) -> None:
    """Point ``app`` at the workload database; the same settings for both sides."""
    app.config["SQLALCHEMY_DATABASE_URI"] = workload.url
    db.init_app(app)
    with app.app_context():
        sa.event.listen(db.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL with synchronous=NORMAL: a commit does not wait for the disk, so the
    # writes measure the code serving them rather than fsync.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
