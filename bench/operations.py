"""The benchmark's operations: the request each one makes, and how its answers are checked.

The expected answers are computed from the database with plain ``sqlite3``,
none of the contestants' code.  Every contestant is checked the same way; what
differs between them (its URL for a filter, how it reports the total of a list,
the status of a create) is declared with the contestant, in ``bench/contestants.py``.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from typing import Any, Callable, Sequence

from .calls import Call, CheckFailed, Response, expect
from .workload import Workload

__all__ = ["Operation", "OPERATIONS", "Truth", "R3_WHERE", "book_json"]


# -- the truth, read from the database directly ---------------------------------------


def book_json(row: Any) -> dict[str, Any]:
    return {
        "$uri": f"/book/{row['id']}",
        "author": {"$ref": f"/author/{row['author_id']}"},
        "title": row["title"],
        "year": row["year"],
        "rating": float(row["rating"]),
    }


class Truth:
    """Expected answers, computed with plain sqlite3 (neither side's code) and cached."""

    def __init__(self, workload: Workload) -> None:
        self.workload = workload
        self._cache: dict[Any, Any] = {}

    def query(self, sql: str, *params: Any) -> list[Any]:
        with self.workload.connect() as connection:
            return connection.execute(sql, params).fetchall()

    def cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def book(self, book_id: int) -> dict[str, Any]:
        return self.cached(
            ("book", book_id),
            lambda: book_json(self.query("SELECT * FROM book WHERE id = ?", book_id)[0]),
        )

    def books(
        self, where: str, params: Sequence[Any], order: str, page: int, per_page: int
    ) -> tuple[list[Any], int]:
        def compute() -> tuple[list[Any], int]:
            total = self.query(f"SELECT count(*) FROM book WHERE {where}", *params)[0][0]
            rows = self.query(
                f"SELECT * FROM book WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
                *params,
                per_page,
                (page - 1) * per_page,
            )
            return [book_json(row) for row in rows], total

        return self.cached(("books", where, tuple(params), order, page, per_page), compute)


# -- operations -----------------------------------------------------------------------


@dataclasses.dataclass
class Operation:
    """One benchmarked operation.

    :param request: ``request(workload, i)`` → the i-th :class:`Call` of a batch, as
        Potion's URLs have it (a contestant may translate it, see ``contestants.py``).
    :param check: ``check(truth, i, call, response)`` raises :class:`CheckFailed`.
    :param target: the least ratio of Potion's requests per second over the
        hand-written reference's.
    :param statements: the most SQL statements per request Potion may use
        (``--quick`` asserts it, and that Potion uses no more than the reference).
    :param after_batch: ``after_batch(truth, calls, responses)``: check the
        database and undo the batch's writes, so the workload never drifts.
    :param prepare: ``prepare(truth)``, once before any request: remember what the
        writes will change (``truth`` caches it).
    :param contestants: the contestants that serve it, when not every one does.
    """

    name: str
    title: str
    #: the least requests per second of Potion over the hand-written reference's
    target: float
    request: Callable[[Workload, int], Call]
    check: Callable[[Truth, int, Call, Response], None]
    statements: int | None = None
    after_batch: Callable[[Truth, list[Call], list[Response]], None] | None = None
    prepare: Callable[[Truth], Any] | None = None
    #: the contestants that serve it (None: every one)
    contestants: tuple[str, ...] | None = None


def _check_list(where: str, params: Sequence[Any], order: str, page: int) -> Callable[..., None]:
    def check(truth: Truth, i: int, call: Call, response: Response) -> None:
        items, total = truth.books(where, params, order, page, 20)
        expect(response, 200, items, total=total)

    return check


R3_WHERE = {"year": {"$gt": 2000}, "rating": {"$gte": 3.0}}


def _check_relation(truth: Truth, i: int, call: Call, response: Response) -> None:
    author_id = truth.workload.relation_author_id

    def compute() -> tuple[list[Any], int]:
        rows = truth.query("SELECT id FROM book WHERE author_id = ? ORDER BY id", author_id)
        return [{"$ref": f"/book/{row['id']}"} for row in rows[:20]], len(rows)

    refs, total = truth.cached(("relation", author_id), compute)
    expect(response, 200, refs, total=total)


_serial = itertools.count(1)


def _create_call(workload: Workload, i: int) -> Call:
    n = next(_serial)
    body = {
        "title": f"Bench new book {n:07d}",
        "year": 1990 + n % 30,
        "rating": (n % 50) / 10,
        "author": {"$ref": f"/author/{workload.create_author_id}"},
    }
    return Call("POST", "/book", body=body)


def _check_create(truth: Truth, i: int, call: Call, response: Response) -> None:
    contestant = response.contestant
    data = expect(response, contestant.create_status if contestant else 200)
    uri = data.get("$uri", "")
    expected = dict(call.body, rating=float(call.body["rating"]), **{"$uri": uri})
    if data != expected or not uri.startswith("/book/"):
        raise CheckFailed(f"body {data!r}\n  expected {expected!r}")
    if (contestant is None or contestant.location) and response.headers.get("location") != uri:
        raise CheckFailed(f"Location {response.headers.get('location')!r}, expected {uri!r}")


def _after_create(truth: Truth, calls: list[Call], responses: list[Response]) -> None:
    with truth.workload.connect() as connection:
        for call, response in zip(calls, responses, strict=True):
            book_id = int(response.json()["$uri"].rsplit("/", 1)[1])
            row = connection.execute("SELECT * FROM book WHERE id = ?", (book_id,)).fetchone()
            stored = book_json(row) if row is not None else None
            expected = dict(
                call.body, rating=float(call.body["rating"]), **{"$uri": f"/book/{book_id}"}
            )
            if stored != expected:
                raise CheckFailed(f"stored {stored!r}, expected {expected!r}")
        connection.execute(f"DELETE FROM book WHERE id > {truth.workload.books}")
    _settle(truth.workload)


def _settle(workload: Workload) -> None:
    """Fold the write-ahead log back into the database after a batch of writes, so
    that every batch (of any contestant) meets the same file, not the log of the
    batches before it."""
    connection = workload.connect()
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


# one decimal in the workload, two here: every PATCH changes the value
_PATCH_RATINGS = (0.25, 1.75, 2.25, 4.75)


def _patch_call(workload: Workload, i: int) -> Call:
    return Call("PATCH", f"/book/{workload.patch_book_id}", body={"rating": _PATCH_RATINGS[i % 4]})


def _check_patch(truth: Truth, i: int, call: Call, response: Response) -> None:
    expected = dict(truth.book(truth.workload.patch_book_id), rating=call.body["rating"])
    expect(response, 200, expected)


def _after_patch(truth: Truth, calls: list[Call], responses: list[Response]) -> None:
    book_id = truth.workload.patch_book_id
    with truth.workload.connect() as connection:
        (rating,) = connection.execute(
            "SELECT rating FROM book WHERE id = ?", (book_id,)
        ).fetchone()
        if calls and rating != calls[-1].body["rating"]:
            raise CheckFailed(f"stored rating {rating}, expected {calls[-1].body['rating']}")
        original = truth.book(book_id)["rating"]
        connection.execute("UPDATE book SET rating = ? WHERE id = ?", (original, book_id))
    _settle(truth.workload)


def owner_page(workload: Workload) -> tuple[int, int]:
    """P1's user (the author with most books, a user owning books) and its page:
    the second when the user owns more than 20 books, else the first."""
    user = workload.relation_author_id
    with workload.connect() as connection:
        (owned,) = connection.execute(
            "SELECT count(*) FROM book WHERE author_id = ?", (user,)
        ).fetchone()
    return user, 2 if owned > 20 else 1


def _owned_call(workload: Workload, i: int) -> Call:
    user, page = owner_page(workload)
    return Call("GET", "/owned", {"page": page, "per_page": 20}, headers={"X-User": str(user)})


def _check_owned(truth: Truth, i: int, call: Call, response: Response) -> None:
    user, page = truth.cached("owner_page", lambda: owner_page(truth.workload))
    items, total = truth.books("author_id = ?", (user,), "id", page, 20)
    owned = [dict(item, **{"$uri": "/owned/" + item["$uri"].rsplit("/", 1)[1]}) for item in items]
    expect(response, 200, owned, total=total)


OPERATIONS: list[Operation] = [
    Operation(
        "R1",
        "read one book",
        2.0,
        lambda w, i: Call("GET", f"/book/{w.read_book_id}"),
        lambda truth, i, call, response: (
            expect(response, 200, truth.book(truth.workload.read_book_id)) and None
        ),
        statements=1,
    ),
    Operation(
        "R2",
        "list page 3, 20 per page, with total",
        1.5,
        lambda w, i: Call("GET", "/book", {"page": 3, "per_page": 20}),
        _check_list("1", (), "id", 3),
        statements=2,
    ),
    Operation(
        "R3",
        "list year > 2000 and rating >= 3.0 by title",
        1.5,
        lambda w, i: Call(
            "GET", "/book", {"where": json.dumps(R3_WHERE), "sort": json.dumps({"title": False})}
        ),
        _check_list("year > ? AND rating >= ?", (2000, 3.0), "title, id", 1),
        statements=2,
    ),
    Operation(
        "R4",
        "an author's books (Relation route, refs)",
        1.5,
        lambda w, i: Call("GET", f"/author/{w.relation_author_id}/books"),
        _check_relation,
        statements=2,
    ),
    Operation(
        "W1",
        "create a book (validated, author ref)",
        1.0,
        _create_call,
        _check_create,
        after_batch=_after_create,
    ),
    Operation(
        "W2",
        "PATCH a book's rating",
        1.0,
        _patch_call,
        _check_patch,
        after_batch=_after_patch,
        prepare=lambda truth: truth.book(truth.workload.patch_book_id),
    ),
    Operation(
        "P1",
        "one user's books, page 2 (read: user:author)",
        1.0,
        _owned_call,
        _check_owned,
        statements=2,
        contestants=("potion", "reference"),
    ),
]
