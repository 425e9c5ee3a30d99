"""The floor: Flask with hand-written sqlite3 queries, no ORM, no framework.

What the operations cost when a developer writes each one as the SQL it needs
and nothing else: one connection per thread kept open, rows turned into dicts
by hand, ``jsonify``.  It checks its input like the reference and answers the
same JSON, so it is as correct; it is here to show how much of a request is
Flask and SQLite, the part no framework on Flask can save.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from typing import Any, Callable

from flask import Flask, abort, jsonify, request

from .contestants import sqlite_tracer
from .reference_app import _check_book
from .workload import Workload

__all__ = ["create_app", "create_server"]

_AUTHOR_REF = re.compile(r"^/author/(\d+)$")
_COLUMNS = "id, title, year, rating, author_id"


def book_json(row: tuple[Any, ...]) -> dict[str, Any]:
    book_id, title, year, rating, author_id = row
    return {
        "$uri": f"/book/{book_id}",
        "author": {"$ref": f"/author/{author_id}"},
        "title": title,
        "year": year,
        "rating": rating,
    }


def _error(message: str, status: int = 400, errors: list[Any] | None = None) -> Any:
    body: dict[str, Any] = {"message": message, "status": status}
    if errors:
        body["errors"] = errors
    return jsonify(body), status


def _page_arguments() -> tuple[int, int]:
    page = request.args.get("page", 1, type=int)
    per_page = min(request.args.get("per_page", 20, type=int), 100)
    if page < 1 or per_page < 1:
        abort(404)
    return page, per_page


def create_app(workload: Workload, on_statement: Callable[[], None] | None = None) -> Flask:
    """A Flask app serving the benchmark's operations with sqlite3 alone.

    ``on_statement``, when given, is called for each SQL statement run.
    """
    app = Flask("bench_floor")
    local = threading.local()

    trace = sqlite_tracer(on_statement) if on_statement is not None else None

    def db() -> sqlite3.Connection:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(workload.path, isolation_level=None)
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.set_trace_callback(trace)
            local.connection = connection
        return connection

    app.extensions["floor_connection"] = lambda: getattr(local, "connection", None)

    @app.get("/book/<int:book_id>")
    def read_book(book_id: int) -> Any:
        row = db().execute(f"SELECT {_COLUMNS} FROM book WHERE id = ?", (book_id,)).fetchone()
        if row is None:
            abort(404)
        return jsonify(book_json(row))

    @app.get("/book")
    def list_books() -> Any:
        page, per_page = _page_arguments()
        where, params = ["1"], []
        year_gt = request.args.get("year_gt", type=int)
        if year_gt is not None:
            where.append("year > ?")
            params.append(year_gt)
        rating_gte = request.args.get("rating_gte", type=float)
        if rating_gte is not None:
            where.append("rating >= ?")
            params.append(rating_gte)
        order = "title" if request.args.get("sort") == "title" else "id"
        condition = " AND ".join(where)
        connection = db()
        (total,) = connection.execute(
            f"SELECT count(*) FROM book WHERE {condition}", params
        ).fetchone()
        rows = connection.execute(
            f"SELECT {_COLUMNS} FROM book WHERE {condition} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, per_page, (page - 1) * per_page],
        ).fetchall()
        response = jsonify([book_json(row) for row in rows])
        response.headers["X-Total-Count"] = str(total)
        return response

    @app.post("/book")
    def create_book() -> Any:
        data = request.get_json(silent=True)
        bad = _check_book(data, partial=False)
        if bad:
            return _error("Invalid book", 400, bad)
        author_id = int(_AUTHOR_REF.match(data["author"]["$ref"]).group(1))  # type: ignore[union-attr]
        try:
            row = (
                db()
                .execute(
                    "INSERT INTO book (title, year, rating, author_id) VALUES (?, ?, ?, ?) "
                    f"RETURNING {_COLUMNS}",
                    (data["title"], data["year"], data["rating"], author_id),
                )
                .fetchone()
            )
        except sqlite3.IntegrityError as exc:
            if "FOREIGN KEY" in str(exc):
                return _error("The author does not exist", 400, ["author"])
            return _error("A book with this title already exists", 409)
        return jsonify(book_json(row)), 201, {"Location": f"/book/{row[0]}"}

    @app.patch("/book/<int:book_id>")
    def update_book(book_id: int) -> Any:
        data = request.get_json(silent=True)
        bad = _check_book(data, partial=True)
        if bad:
            return _error("Invalid book", 400, bad)
        changes = {key: data[key] for key in ("title", "year", "rating") if key in data}
        if "author" in data:
            changes["author_id"] = int(_AUTHOR_REF.match(data["author"]["$ref"]).group(1))  # type: ignore[union-attr]
        assignments = ", ".join(f"{key} = ?" for key in changes) or "id = id"
        try:
            row = (
                db()
                .execute(
                    f"UPDATE book SET {assignments} WHERE id = ? RETURNING {_COLUMNS}",
                    (*changes.values(), book_id),
                )
                .fetchone()
            )
        except sqlite3.IntegrityError as exc:
            if "FOREIGN KEY" in str(exc):
                return _error("The author does not exist", 400, ["author"])
            return _error("A book with this title already exists", 409)
        if row is None:
            abort(404)
        return jsonify(book_json(row))

    @app.get("/author/<int:author_id>/books")
    def author_books(author_id: int) -> Any:
        page, per_page = _page_arguments()
        connection = db()
        row = connection.execute(
            "SELECT count(book.id) FROM author LEFT JOIN book ON book.author_id = author.id "
            "WHERE author.id = ? GROUP BY author.id",
            (author_id,),
        ).fetchone()
        if row is None:
            abort(404)
        rows = connection.execute(
            "SELECT id FROM book WHERE author_id = ? ORDER BY id LIMIT ? OFFSET ?",
            (author_id, per_page, (page - 1) * per_page),
        ).fetchall()
        response = jsonify([{"$ref": f"/book/{book_id}"} for (book_id,) in rows])
        response.headers["X-Total-Count"] = str(row[0])
        return response

    return app


def create_server(workload: Workload) -> Any:
    from .contestants import WSGIServer

    server = WSGIServer(lambda environ, start_response: None)
    app = create_app(workload, server.count)

    def close() -> None:
        connection = app.extensions["floor_connection"]()
        if connection is not None:
            connection.close()

    server.wsgi_app = app.wsgi_app
    server._close = close
    return server
