"""The reference: the same API written by hand with Flask 3 and Flask-SQLAlchemy.

This is what a competent developer writes without a framework: idiomatic ORM
queries (``db.get_or_404``, ``db.paginate``), a dict per object, ``jsonify``,
and input checked by hand.  It answers the same URLs with the same JSON as the
Potion side, for the operations of the benchmark only.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Flask, jsonify, request
from sqlalchemy.exc import IntegrityError

from .workload import Author, Book, Workload, configure_app, db

__all__ = ["create_app", "create_server"]

_AUTHOR_REF = re.compile(r"^/author/(\d+)$")


def book_json(book: Book) -> dict[str, Any]:
    return {
        "$uri": f"/book/{book.id}",
        "author": {"$ref": f"/author/{book.author_id}"},
        "title": book.title,
        "year": book.year,
        "rating": book.rating,
    }


def _error(message: str, status: int = 400, errors: list[Any] | None = None) -> Any:
    body: dict[str, Any] = {"message": message, "status": status}
    if errors:
        body["errors"] = errors
    return jsonify(body), status


def _check_book(data: Any, partial: bool) -> list[str]:
    """The names of the invalid or missing keys of a book body."""
    if not isinstance(data, dict):
        return ["body"]
    bad = [key for key in data if key not in ("title", "year", "rating", "author")]
    if not partial:
        bad += [key for key in ("title", "year", "rating", "author") if key not in data]
    if "title" in data:
        title = data["title"]
        if not isinstance(title, str) or len(title) > 200:
            bad.append("title")
    if "year" in data:
        year = data["year"]
        if not isinstance(year, int) or isinstance(year, bool):
            bad.append("year")
    if "rating" in data:
        rating = data["rating"]
        if not isinstance(rating, (int, float)) or isinstance(rating, bool):
            bad.append("rating")
    if "author" in data:
        ref = data["author"]
        if not (isinstance(ref, dict) and isinstance(ref.get("$ref"), str) and len(ref) == 1):
            bad.append("author")
        elif not _AUTHOR_REF.match(ref["$ref"]):
            bad.append("author")
    return bad


def _apply(book: Book, data: dict[str, Any]) -> Any:
    """Copy a checked body onto ``book``; an error response for a missing author."""
    for key in ("title", "year", "rating"):
        if key in data:
            setattr(book, key, data[key])
    if "author" in data:
        author_id = int(_AUTHOR_REF.match(data["author"]["$ref"]).group(1))  # type: ignore[union-attr]
        author = db.session.get(Author, author_id)
        if author is None:
            return _error("The author does not exist", 400, ["author"])
        book.author = author
    return None


def create_app(workload: Workload) -> Flask:
    """A Flask app serving the benchmark's operations with hand-written views."""
    app = Flask("bench_reference")
    configure_app(app, workload)

    @app.get("/book/<int:book_id>")
    def read_book(book_id: int) -> Any:
        return jsonify(book_json(db.get_or_404(Book, book_id)))

    @app.get("/book")
    def list_books() -> Any:
        args = request.args
        query = sa.select(Book)
        year_gt = args.get("year_gt", type=int)
        if year_gt is not None:
            query = query.where(Book.year > year_gt)
        rating_gte = args.get("rating_gte", type=float)
        if rating_gte is not None:
            query = query.where(Book.rating >= rating_gte)
        query = query.order_by(Book.title if args.get("sort") == "title" else Book.id)
        page = db.paginate(query, max_per_page=100)
        response = jsonify([book_json(book) for book in page.items])
        response.headers["X-Total-Count"] = str(page.total)
        return response

    @app.post("/book")
    def create_book() -> Any:
        data = request.get_json(silent=True)
        bad = _check_book(data, partial=False)
        if bad:
            return _error("Invalid book", 400, bad)
        book = Book()
        error = _apply(book, data)
        if error is not None:
            return error
        db.session.add(book)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return _error("A book with this title already exists", 409)
        return jsonify(book_json(book)), 200, {"Location": f"/book/{book.id}"}

    @app.patch("/book/<int:book_id>")
    def update_book(book_id: int) -> Any:
        book = db.get_or_404(Book, book_id)
        data = request.get_json(silent=True)
        bad = _check_book(data, partial=True)
        if bad:
            return _error("Invalid book", 400, bad)
        error = _apply(book, data)
        if error is not None:
            return error
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return _error("A book with this title already exists", 409)
        return jsonify(book_json(book))

    @app.get("/author/<int:author_id>/books")
    def author_books(author_id: int) -> Any:
        query = sa.select(Book).where(Book.author_id == author_id).order_by(Book.id)
        page = db.paginate(query, max_per_page=100)
        response = jsonify([{"$ref": f"/book/{book.id}"} for book in page.items])
        response.headers["X-Total-Count"] = str(page.total)
        return response

    @app.get("/owned")
    def owned_books() -> Any:
        # P1: the books of the user asking, as a view that filters by owner does it
        user = request.headers.get("X-User", "")
        if not user.isdigit():
            return jsonify([]), 200, {"X-Total-Count": "0"}
        query = sa.select(Book).where(Book.author_id == int(user)).order_by(Book.id)
        page = db.paginate(query, max_per_page=100)
        response = jsonify(
            [dict(book_json(book), **{"$uri": f"/owned/{book.id}"}) for book in page.items]
        )
        response.headers["X-Total-Count"] = str(page.total)
        return response

    return app


def create_server(workload: Workload) -> Any:
    from .contestants import flask_sqlalchemy_server

    return flask_sqlalchemy_server(create_app(workload))
