"""Potion against hand-written Flask: requests per second and SQL statements per request.

Run from the repository root::

    python bench/run.py            # the full benchmark (about half a minute)
    python bench/run.py --quick    # correctness and statement counts only (CI)

A SQLite database is generated from a fixed seed (1,000 authors, 10,000 books).
Every operation is served twice in the same process, by Potion ModelResources
(``bench/potion_app.py``), by hand-written Flask + Flask-SQLAlchemy views
(``bench/reference_app.py``) and by Potion again with the book resource declared
through a marshmallow schema (``bench/marshmallow_app.py``).  Both apps are called through the same bare WSGI
call, with environs built before the clock starts, in interleaved rounds.  Every
response is checked against the database (status and body), outside the timed
section, so neither side can be fast by being wrong.  SQL statements are counted
with a ``before_cursor_execute`` listener on each app's engine.

Adding an operation is one :class:`Operation` in ``OPERATIONS``: how to build its
request (for each side, if the URLs differ), how to check a response, and, for
writes, how to put the database back after a batch.  See bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import io
import itertools
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Sequence
from urllib.parse import urlencode

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
import sqlalchemy as sa
from flask import Flask

from bench import marshmallow_app, potion_app, reference_app
from bench.workload import Workload, db, generate

SIDES = ("potion", "reference", "marshmallow")
#: The marshmallow-declared resource against the one declared with Potion fields.
MARSHMALLOW_TARGET = {"read": 0.9}
_NO_BODY = object()


# -- requests and responses --------------------------------------------------------


@dataclasses.dataclass
class Call:
    """One HTTP request, as the operation describes it."""

    method: str
    path: str
    query: dict[str, Any] | str = ""
    body: Any = _NO_BODY
    headers: dict[str, str] = dataclasses.field(default_factory=dict)

    def environ(self) -> dict[str, Any]:
        """A WSGI environ for this request, built by hand (no test client)."""
        body = b"" if self.body is _NO_BODY else orjson.dumps(self.body)
        query = self.query if isinstance(self.query, str) else urlencode(self.query)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": self.path,
            "QUERY_STRING": query,
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "localhost",
            "HTTP_ACCEPT": "application/json",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        if body:
            environ["CONTENT_TYPE"] = "application/json"
            environ["CONTENT_LENGTH"] = str(len(body))
        for name, value in self.headers.items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        return environ


def call_wsgi(wsgi_app: Callable[..., Any], environ: dict[str, Any]) -> tuple[str, Any, bytes]:
    """The minimal WSGI server: call the app, collect status, headers and body."""
    started: list[Any] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        started[:] = (status, headers)
        return None

    iterable = wsgi_app(environ, start_response)
    try:
        body = b"".join(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    return started[0], started[1], body


@dataclasses.dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @classmethod
    def from_wsgi(cls, raw: tuple[str, Any, bytes]) -> Response:
        status, headers, body = raw
        return cls(int(status.split(" ", 1)[0]), {k.lower(): v for k, v in headers}, body)

    def json(self) -> Any:
        return orjson.loads(self.body)


class CheckFailed(AssertionError):
    pass


def expect(response: Response, status: int, body: Any = None, **headers: str) -> Any:
    """Assert the status, the JSON body (when given) and some headers; the parsed body."""
    if response.status != status:
        raise CheckFailed(f"status {response.status}, expected {status}: {response.body[:300]!r}")
    if not response.headers.get("content-type", "").startswith("application/json"):
        raise CheckFailed(f"content type {response.headers.get('content-type')!r}")
    data = response.json()
    if body is not None and data != body:
        raise CheckFailed(f"body {data!r}\n  expected {body!r}")
    for name, value in headers.items():
        actual = response.headers.get(name.replace("_", "-").lower())
        if actual != value:
            raise CheckFailed(f"header {name}: {actual!r}, expected {value!r}")
    return data


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

    :param request: ``request(workload, i)`` → the i-th :class:`Call` of a batch.
    :param check: ``check(truth, i, call, response)`` raises :class:`CheckFailed`.
    :param reference_request: the reference's request when its URL differs.
    :param statements: the most SQL statements per request Potion may use
        (``--quick`` asserts it, and that Potion uses no more than the reference).
    :param after_batch: ``after_batch(truth, calls, responses)``: check the
        database and undo the batch's writes, so the workload never drifts.
    :param prepare: ``prepare(truth)``, once before any request: remember what the
        writes will change (``truth`` caches it).
    """

    name: str
    title: str
    kind: str  # "read" or "write": the ratio targeted is 1.0 or 0.8
    request: Callable[[Workload, int], Call]
    check: Callable[[Truth, int, Call, Response], None]
    reference_request: Callable[[Workload, int], Call] | None = None
    statements: int | None = None
    after_batch: Callable[[Truth, list[Call], list[Response]], None] | None = None
    prepare: Callable[[Truth], Any] | None = None

    @property
    def target(self) -> float:
        return 1.0 if self.kind == "read" else 0.8

    def call(self, side: str, workload: Workload, i: int) -> Call:
        if side == "reference" and self.reference_request is not None:
            return self.reference_request(workload, i)
        return self.request(workload, i)


def _check_list(where: str, params: Sequence[Any], order: str, page: int) -> Callable[..., None]:
    def check(truth: Truth, i: int, call: Call, response: Response) -> None:
        items, total = truth.books(where, params, order, page, 20)
        expect(response, 200, items, x_total_count=str(total))

    return check


R3_WHERE = {"year": {"$gt": 2000}, "rating": {"$gte": 3.0}}


def _check_relation(truth: Truth, i: int, call: Call, response: Response) -> None:
    author_id = truth.workload.relation_author_id

    def compute() -> tuple[list[Any], int]:
        rows = truth.query("SELECT id FROM book WHERE author_id = ? ORDER BY id", author_id)
        return [{"$ref": f"/book/{row['id']}"} for row in rows[:20]], len(rows)

    refs, total = truth.cached(("relation", author_id), compute)
    expect(response, 200, refs, x_total_count=str(total))


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
    data = expect(response, 200)
    uri = data.get("$uri", "")
    expected = dict(call.body, rating=float(call.body["rating"]), **{"$uri": uri})
    if data != expected or not uri.startswith("/book/"):
        raise CheckFailed(f"body {data!r}\n  expected {expected!r}")
    if response.headers.get("location") != uri:
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


OPERATIONS: list[Operation] = [
    Operation(
        "R1",
        "read one book",
        "read",
        lambda w, i: Call("GET", f"/book/{w.read_book_id}"),
        lambda truth, i, call, response: (
            expect(response, 200, truth.book(truth.workload.read_book_id)) and None
        ),
        statements=1,
    ),
    Operation(
        "R2",
        "list page 3, 20 per page, with total",
        "read",
        lambda w, i: Call("GET", "/book", {"page": 3, "per_page": 20}),
        _check_list("1", (), "id", 3),
        statements=2,
    ),
    Operation(
        "R3",
        "list year > 2000 and rating >= 3.0 by title",
        "read",
        lambda w, i: Call(
            "GET", "/book", {"where": json.dumps(R3_WHERE), "sort": json.dumps({"title": False})}
        ),
        _check_list("year > ? AND rating >= ?", (2000, 3.0), "title, id", 1),
        reference_request=lambda w, i: Call(
            "GET", "/book", {"year_gt": 2000, "rating_gte": 3.0, "sort": "title"}
        ),
        statements=2,
    ),
    Operation(
        "R4",
        "an author's books (Relation route, refs)",
        "read",
        lambda w, i: Call("GET", f"/author/{w.relation_author_id}/books"),
        _check_relation,
        statements=2,
    ),
    Operation(
        "W1",
        "create a book (validated, author ref)",
        "write",
        _create_call,
        _check_create,
        after_batch=_after_create,
    ),
    Operation(
        "W2",
        "PATCH a book's rating",
        "write",
        _patch_call,
        _check_patch,
        after_batch=_after_patch,
        prepare=lambda truth: truth.book(truth.workload.patch_book_id),
    ),
]


# -- running --------------------------------------------------------------------------


class StatementCounter:
    """Counts the SQL statements an app's engine executes."""

    def __init__(self, app: Flask) -> None:
        self.count = 0
        with app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, *args: Any) -> None:
        self.count += 1


@dataclasses.dataclass
class Result:
    operation: Operation
    rps: dict[str, list[float]] = dataclasses.field(default_factory=lambda: {s: [] for s in SIDES})
    statements: dict[str, list[float]] = dataclasses.field(
        default_factory=lambda: {s: [] for s in SIDES}
    )

    def median(self, side: str) -> float:
        return statistics.median(self.rps[side]) if self.rps[side] else float("nan")

    @property
    def ratio(self) -> float:
        return self.median("potion") / self.median("reference")

    @property
    def marshmallow_ratio(self) -> float:
        """Requests per second of the marshmallow-declared resource / the Potion one."""
        return self.median("marshmallow") / self.median("potion")

    def sql(self, side: str) -> float:
        return max(self.statements[side]) if self.statements[side] else float("nan")


#: How a batch is timed: wall-clock time, or the CPU time of this process (user and
#: system), which other programs on a busy machine disturb less.
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


class Bench:
    def __init__(self, workload: Workload, clock: str = "wall") -> None:
        self.workload = workload
        self.clock = CLOCKS[clock]
        self.truth = Truth(workload)
        self.apps = {
            "potion": potion_app.create_app(workload),
            "reference": reference_app.create_app(workload),
            "marshmallow": marshmallow_app.create_app(workload),
        }
        self.counters = {side: StatementCounter(app) for side, app in self.apps.items()}

    def batch(self, operation: Operation, side: str, requests: int) -> tuple[float, float]:
        """Serve ``requests`` requests; (requests per second, statements per request)."""
        calls = [operation.call(side, self.workload, i) for i in range(requests)]
        environs = [call.environ() for call in calls]
        wsgi_app = self.apps[side].wsgi_app
        counter = self.counters[side]
        raw: list[Any] = []
        append = raw.append
        gc.collect()
        counter.count = 0
        clock = self.clock
        start = clock()
        for environ in environs:
            append(call_wsgi(wsgi_app, environ))
        elapsed = clock() - start
        statements = counter.count / requests
        responses = [Response.from_wsgi(r) for r in raw]
        for i, (call, response) in enumerate(zip(calls, responses, strict=True)):
            try:
                operation.check(self.truth, i, call, response)
            except CheckFailed as exc:
                raise CheckFailed(f"{operation.name} on {side}, request {i}: {exc}") from None
        if operation.after_batch is not None:
            operation.after_batch(self.truth, calls, responses)
        return requests / elapsed, statements

    def run(
        self, operations: Sequence[Operation], rounds: int, requests: int, warmup: int = 1
    ) -> list[Result]:
        results = [Result(op) for op in operations]
        for operation in operations:
            if operation.prepare is not None:
                operation.prepare(self.truth)
        for round_number in range(-warmup, rounds):
            for k, result in enumerate(results):
                order = SIDES if (round_number + k) % 2 == 0 else SIDES[::-1]
                for side in order:
                    count = requests if round_number >= 0 else max(1, requests // 4)
                    rps, statements = self.batch(result.operation, side, count)
                    if round_number >= 0:
                        result.rps[side].append(rps)
                        result.statements[side].append(statements)
        return results


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "flask": metadata.version("flask"),
        "flask_sqlalchemy": metadata.version("flask-sqlalchemy"),
        "sqlalchemy": metadata.version("sqlalchemy"),
        "sqlite": sqlite3.sqlite_version,
    }


def table(results: list[Result], timings: bool) -> str:
    lines = []
    if timings:
        header = (
            f"{'op':3} {'operation':44} {'Potion req/s':>12} {'ref req/s':>10} {'ratio':>6} "
            f"{'target':>7} {'SQL P/R':>8} {'mm req/s':>9} {'mm/P':>5} {'target':>7}"
        )
    else:
        header = f"{'op':3} {'operation':44} {'SQL Potion':>10} {'SQL reference':>13} {'SQL mm':>6}"
    lines.append(header)
    lines.append("-" * len(header))
    for r in results:
        op = r.operation
        if timings:
            verdict = "ok" if r.ratio >= op.target else "MISS"
            mm_target = MARSHMALLOW_TARGET.get(op.kind)
            if mm_target is None:
                mm_verdict = f"{'':>7}"
            else:
                mm_ok = "ok" if r.marshmallow_ratio >= mm_target else "MISS"
                mm_verdict = f"{'>=' + format(mm_target, '.1f'):>4} {mm_ok:>2}"
            lines.append(
                f"{op.name:3} {op.title:44} {r.median('potion'):12.0f} {r.median('reference'):10.0f} "
                f"{r.ratio:6.2f} {'>=' + format(op.target, '.1f'):>4} {verdict:>2} "
                f"{r.sql('potion'):>3g} / {r.sql('reference'):<3g} "
                f"{r.median('marshmallow'):9.0f} {r.marshmallow_ratio:5.2f} {mm_verdict}"
            )
        else:
            lines.append(
                f"{op.name:3} {op.title:44} {r.sql('potion'):>10g} {r.sql('reference'):>13g} "
                f"{r.sql('marshmallow'):>6g}"
            )
    lines.append(
        "mm: the book resource declared through a marshmallow schema (bench/marshmallow_app.py)"
    )
    return "\n".join(lines)


def check_statements(results: list[Result]) -> list[str]:
    problems = []
    for r in results:
        op = r.operation
        potion, reference = r.sql("potion"), r.sql("reference")
        if op.statements is not None and potion > op.statements:
            problems.append(
                f"{op.name}: Potion runs {potion:g} SQL statements per request, at most {op.statements} allowed"
            )
        if potion > reference:
            problems.append(
                f"{op.name}: Potion runs {potion:g} SQL statements per request, the reference {reference:g}"
            )
        marshmallow = r.sql("marshmallow")
        if marshmallow > potion:
            problems.append(
                f"{op.name}: the marshmallow-declared resource runs {marshmallow:g} SQL "
                f"statements per request, the Potion one {potion:g}"
            )
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="check correctness and SQL counts only (CI)"
    )
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds (default 9)")
    parser.add_argument(
        "--requests", type=int, default=300, help="requests per side, operation and round"
    )
    parser.add_argument("--only", help="comma-separated operation names, e.g. R1,W2")
    parser.add_argument("--db", type=Path, help="database file (default: a temporary one)")
    parser.add_argument("--authors", type=int, default=1000)
    parser.add_argument("--books", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="time batches by the wall clock (default) or by this process's CPU time",
    )
    args = parser.parse_args(argv)

    operations = OPERATIONS
    if args.only:
        names = {name.strip().upper() for name in args.only.split(",")}
        operations = [op for op in OPERATIONS if op.name in names]

    with tempfile.TemporaryDirectory(prefix="potion-bench-") as tmp:
        path = args.db or Path(tmp) / "bench.sqlite3"
        started = time.perf_counter()
        workload = generate(path, args.authors, args.books, args.seed)
        bench = Bench(workload, args.clock)
        info = machine()
        print(
            f"Potion benchmark: {args.authors} authors, {args.books} books (seed {args.seed}); "
            f"{info['cpus']} CPUs, {info['cpu']}, Python {info['python']}, "
            f"SQLAlchemy {info['sqlalchemy']}, SQLite {info['sqlite']}"
        )
        try:
            if args.quick:
                results = bench.run(operations, rounds=1, requests=5, warmup=0)
            else:
                print(
                    f"{args.rounds} rounds x {args.requests} requests per side and operation, "
                    f"{args.clock} clock ..."
                )
                results = bench.run(operations, rounds=args.rounds, requests=args.requests)
        except CheckFailed as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            return 1
        print(table(results, timings=not args.quick))
        problems = check_statements(results)
        for problem in problems:
            print(f"FAILED: {problem}", file=sys.stderr)
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "machine": info,
                        "clock": args.clock,
                        "rounds": 1 if args.quick else args.rounds,
                        "requests": 5 if args.quick else args.requests,
                        "operations": [
                            {
                                "name": r.operation.name,
                                "title": r.operation.title,
                                "rps": r.rps,
                                "median": {side: r.median(side) for side in SIDES},
                                "ratio": r.ratio,
                                "marshmallow_ratio": r.marshmallow_ratio,
                                "statements": {side: r.sql(side) for side in SIDES},
                            }
                            for r in results
                        ],
                    },
                    indent=2,
                )
            )
        print(f"done in {time.perf_counter() - started:.1f} s")
        for app in bench.apps.values():
            with app.app_context():
                db.engine.dispose()
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
