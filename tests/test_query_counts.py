"""SQL statements per request on the benchmark's workload (bench/), as CI checks them.

The operations, their requests and the checks of their answers are the
benchmark's own (``bench/run.py``), run here on a small SQLite database: every
answer is compared with the database, and the statements Potion runs are
counted with a ``before_cursor_execute`` listener.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bench.run import OPERATIONS, Bench, Call, Response, call_wsgi, expect
from bench.workload import db, generate

# the statements a read may take: the item alone; for a list, the count and the page
# (P1's page is narrowed by a permission: still the count and the page)
READS = {"R1": 1, "R2": 2, "R3": 2, "R4": 2, "P1": 2}


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    workload = generate(tmp_path_factory.mktemp("bench") / "bench.sqlite3", authors=20, books=200)
    bench = Bench(workload)
    for operation in OPERATIONS:
        if operation.prepare is not None:
            operation.prepare(bench.truth)
    yield bench
    for app in bench.apps.values():
        with app.app_context():
            db.engine.dispose()


def operation(name):
    return next(op for op in OPERATIONS if op.name == name)


@pytest.mark.parametrize("name", sorted(READS))
def test_reads_take_one_statement_per_item_and_two_per_list(bench, name):
    _rps, statements = bench.batch(operation(name), "potion", 3)  # checks every answer too
    assert statements == READS[name]


@pytest.mark.parametrize("name", sorted(READS) + ["W1", "W2"])
def test_potion_runs_no_more_statements_than_the_hand_written_views(bench, name):
    _rps, potion = bench.batch(operation(name), "potion", 2)
    _rps, reference = bench.batch(operation(name), "reference", 2)
    assert potion <= reference


def test_lists_are_a_count_then_the_page_of_needed_columns(bench):
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.lower().split()))

    app = bench.apps["potion"]
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        for name in ("R2", "R3", "R4"):
            seen.clear()
            bench.batch(operation(name), "potion", 1)
            count, page = seen
            assert count.startswith("select count("), (name, count)
            assert " limit " in page, (name, page)
            # no author row is read: references come from the foreign key
            assert "from author" not in page or name == "R4", page
            assert "author.name" not in page, page
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_a_write_answered_first_formats_its_reference_from_the_foreign_key(tmp_path):
    # a fresh app whose first request is a create: no SELECT of the author
    # beyond the one that checks the reference exists
    workload = generate(tmp_path / "bench.sqlite3", authors=5, books=50)
    fresh = Bench(workload)
    try:
        _rps, statements = fresh.batch(operation("W1"), "potion", 1)
        assert statements <= 3  # the author, the INSERT, the reload after the commit
    finally:
        for app in fresh.apps.values():
            with app.app_context():
                db.engine.dispose()


def test_statements_reused_for_a_query_shape_bind_each_request_values(bench):
    app = bench.apps["potion"].wsgi_app
    truth = bench.truth
    for year, rating in ((2000, 3.0), (1990, 4.5), (2020, 0.0), (1950, 5.0)):
        where = f'{{"year": {{"$gt": {year}}}, "rating": {{"$gte": {rating}}}}}'
        call = Call("GET", "/book", {"where": where, "sort": '{"title": true}', "per_page": 5})
        response = Response.from_wsgi(call_wsgi(app, call.environ()))
        items, total = truth.books(
            "year > ? AND rating >= ?", (year, rating), "title DESC, id", 1, 5
        )
        expect(response, 200, items, x_total_count=str(total))
