"""Potion against hand-written Flask and other frameworks: requests per second and SQL
statements per request.

Run from the repository root::

    python bench/run.py                          # Potion against the hand-written view
    python bench/run.py --contestants all        # every contestant (pip install -e '.[bench]')
    python bench/run.py --quick                  # every installed contestant's checks (CI)

A SQLite database is generated from a fixed seed (1,000 authors, 10,000 books).
Every operation is served by each contestant in the same process: Potion
ModelResources (``bench/potion_app.py``), hand-written Flask + Flask-SQLAlchemy
views (``bench/reference_app.py``), and the others of ``bench/contestants.py``.
They are called through the same bare WSGI (or ASGI) call, with requests built
before the clock starts, in interleaved rounds.  Every response is checked
against the database (status and body), outside the timed section, so no one
can be fast by being wrong.  SQL statements are counted on each app's
connection.

Adding an operation is one :class:`~bench.operations.Operation` in
``OPERATIONS``; adding a contestant is one module and one entry in
``CONTESTANTS``.  See bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
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
from typing import Any, Sequence

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.calls import Call, CheckFailed, Response, call_asgi, call_wsgi, expect
from bench.contestants import CONTESTANTS, DEFAULT, Contestant, by_name
from bench.operations import OPERATIONS, Operation, Truth
from bench.workload import Workload, generate

__all__ = [
    "Bench",
    "Call",
    "CheckFailed",
    "OPERATIONS",
    "Operation",
    "Response",
    "call_asgi",
    "call_wsgi",
    "expect",
    "main",
]


@dataclasses.dataclass
class Result:
    operation: Operation
    rps: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    statements: dict[str, list[float]] = dataclasses.field(default_factory=dict)

    def median(self, name: str) -> float:
        values = self.rps.get(name)
        return statistics.median(values) if values else float("nan")

    def ratio(self, name: str, other: str) -> float:
        return self.median(name) / self.median(other)

    def sql(self, name: str) -> float:
        values = self.statements.get(name)
        return max(values) if values else float("nan")


#: How a batch is timed: wall-clock time, or the CPU time of this process (user and
#: system), which other programs on a busy machine disturb less.
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


class Bench:
    """The contestants' servers on one workload, and the rounds that time them."""

    def __init__(
        self,
        workload: Workload,
        clock: str = "wall",
        contestants: Sequence[Contestant] | None = None,
    ) -> None:
        self.workload = workload
        self.clock = CLOCKS[clock]
        self.truth = Truth(workload)
        if contestants is None:
            contestants = [by_name(name) for name in DEFAULT]
        self.contestants = {c.name: c for c in contestants}
        self.servers = {c.name: c.create_server(workload) for c in contestants}

    @property
    def apps(self) -> dict[str, Any]:
        """The Flask apps of the contestants that have one."""
        return {
            name: server.app  # type: ignore[attr-defined]
            for name, server in self.servers.items()
            if hasattr(server, "app")
        }

    def batch(self, operation: Operation, name: str, requests: int) -> tuple[float, float]:
        """Serve ``requests`` requests; (requests per second, statements per request)."""
        contestant = self.contestants[name]
        server = self.servers[name]
        calls = [contestant.call(operation, self.workload, i) for i in range(requests)]
        gc.collect()
        server.statements = 0
        elapsed, raw = server.serve(calls, self.clock)
        statements = server.statements / requests
        responses = [Response.from_wsgi(r, contestant=contestant) for r in raw]
        for i, (call, response) in enumerate(zip(calls, responses, strict=True)):
            try:
                operation.check(self.truth, i, call, response)
            except CheckFailed as exc:
                raise CheckFailed(f"{operation.name} on {name}, request {i}: {exc}") from None
        if operation.after_batch is not None:
            operation.after_batch(self.truth, calls, responses)
        return requests / max(elapsed, 1e-9), statements

    def run(
        self, operations: Sequence[Operation], rounds: int, requests: int, warmup: int = 1
    ) -> list[Result]:
        names = list(self.servers)
        results = [Result(op) for op in operations]
        for operation in operations:
            if operation.prepare is not None:
                operation.prepare(self.truth)
        for round_number in range(-warmup, rounds):
            for k, result in enumerate(results):
                # who goes first turns with every round and operation
                shift = (round_number + k) % len(names)
                for name in names[shift:] + names[:shift]:
                    serving = result.operation.contestants
                    if serving is not None and name not in serving:
                        continue
                    count = requests if round_number >= 0 else max(1, requests // 4)
                    rps, statements = self.batch(result.operation, name, count)
                    if round_number >= 0:
                        result.rps.setdefault(name, []).append(rps)
                        result.statements.setdefault(name, []).append(statements)
        return results

    def close(self) -> None:
        for server in self.servers.values():
            server.close()


def machine(contestants: Sequence[Contestant]) -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    distributions = ["flask", "flask-sqlalchemy", "sqlalchemy", "orjson"]
    names = {c.name for c in contestants}
    if "smorest" in names:
        distributions += ["flask-smorest", "marshmallow", "marshmallow-sqlalchemy"]
    elif "marshmallow" in names:
        distributions += ["marshmallow", "marshmallow-sqlalchemy"]
    if "fastapi" in names:
        distributions += ["fastapi", "starlette", "pydantic"]
    if "drf" in names:
        distributions += ["django", "djangorestframework", "django-filter"]
    for distribution in distributions:
        try:
            info[distribution] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            pass
    return info


#: The least ratio of the marshmallow-declared book resource's requests per second
#: over the one declared with Potion fields, for the reads (R1 to R4).
MARSHMALLOW_READ_TARGET = 0.9


def _ratio(result: Result, name: str, other: str) -> str:
    if name not in result.rps or other not in result.rps:
        return "-"
    return f"{result.ratio(name, other):.2f}"


def table(results: list[Result], names: Sequence[str], timings: bool) -> str:
    """The results: requests per second (or only statements, without timings)."""
    peers = [n for n in names if n != "potion" and by_name(n).peer]
    lines = []
    head = f"{'op':3} {'operation':44}"
    if timings:
        head += "".join(f" {name:>9}" for name in names)
        if "potion" in names and "reference" in names:
            head += f" {'P/ref':>6} {'target':11}"
        if "potion" in names and peers:
            head += f" {'P/peer':11}"
        if "potion" in names and "marshmallow" in names:
            head += f" {'mm/P':>6} {'target':11}"
    head += f"  SQL per request ({' / '.join(names)})"
    lines.append(head)
    lines.append("-" * len(head))
    for r in results:
        op = r.operation
        line = f"{op.name:3} {op.title:44}"
        if timings:
            line += "".join(
                f" {r.median(name):9.0f}" if name in r.rps else f" {'-':>9}" for name in names
            )
            if "potion" in names and "reference" in names:
                ratio = r.ratio("potion", "reference")
                verdict = "ok" if ratio >= op.target else "MISS"
                line += f" {ratio:6.2f} {'>=' + format(op.target, '.1f') + ' ' + verdict:11}"
            served = [peer for peer in peers if peer in r.rps]  # an op may be Potion's own
            if "potion" in names and served:
                best = max(served, key=r.median)
                ratio = r.ratio("potion", best)
                line += f" {format(ratio, '.2f') + ('' if ratio > 1 else ' MISS'):11}"
            elif "potion" in names and peers:
                line += f" {'-':11}"
            if "potion" in names and "marshmallow" in names:
                ratio = r.ratio("marshmallow", "potion")
                verdict = ""
                if op.name.startswith("R"):
                    target = MARSHMALLOW_READ_TARGET
                    verdict = f">={target:.1f} " + ("ok" if ratio >= target else "MISS")
                line += f" {ratio:6.2f} {verdict:11}"
        line += "  " + " / ".join(
            f"{r.sql(name):g}" if name in r.statements else "-" for name in names
        )
        lines.append(line)
    return "\n".join(lines)


def check_statements(results: list[Result], names: Sequence[str]) -> list[str]:
    """Potion runs no more statements than allowed, nor than the reference."""
    problems = []
    if "potion" not in names:
        return problems
    for r in results:
        op = r.operation
        potion = r.sql("potion")
        if op.statements is not None and potion > op.statements:
            problems.append(
                f"{op.name}: Potion runs {potion:g} SQL statements per request, "
                f"at most {op.statements} allowed"
            )
        if "reference" in names and potion > r.sql("reference"):
            problems.append(
                f"{op.name}: Potion runs {potion:g} SQL statements per request, "
                f"the reference {r.sql('reference'):g}"
            )
        if "marshmallow" in names and r.sql("marshmallow") > potion:
            problems.append(
                f"{op.name}: the marshmallow-declared book runs {r.sql('marshmallow'):g} SQL "
                f"statements per request, the Potion one {potion:g}"
            )
    return problems


def choose_contestants(option: str | None, quick: bool) -> tuple[list[Contestant], list[str]]:
    """The contestants to run and notes on those skipped.

    Without ``--contestants`` a full run is Potion against the reference, and a
    ``--quick`` run checks every contestant that is installed.  A contestant
    named explicitly must be installed.
    """
    notes: list[str] = []
    if option is None and not quick:
        return [by_name(name) for name in DEFAULT], notes
    if option is None or option.strip() == "all":
        chosen = list(CONTESTANTS)
        explicit = False
    else:
        chosen = [by_name(name.strip().lower()) for name in option.split(",") if name.strip()]
        explicit = True
    available = []
    for contestant in chosen:
        missing = contestant.missing()
        if not missing:
            available.append(contestant)
            continue
        message = (
            f"{contestant.name} ({contestant.title}) is not installed: no module "
            f"{', '.join(missing)}; pip install -e '.[bench]'"
        )
        if explicit:
            raise SystemExit(f"bench/run.py: {message}")
        notes.append(f"skipped {message}")
    return available, notes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="check the answers and SQL counts of every installed contestant, no timings (CI)",
    )
    parser.add_argument(
        "--contestants",
        help="comma-separated names, or 'all' ("
        + ", ".join(c.name for c in CONTESTANTS)
        + "); default: potion,reference (with --quick: every installed one)",
    )
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds (default 9)")
    parser.add_argument(
        "--requests", type=int, default=300, help="requests per contestant, operation and round"
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

    try:
        contestants, notes = choose_contestants(args.contestants, args.quick)
    except KeyError as exc:
        parser.error(str(exc.args[0]))
    names = [c.name for c in contestants]
    operations = OPERATIONS
    if args.only:
        wanted = {name.strip().upper() for name in args.only.split(",")}
        unknown = wanted - {op.name for op in OPERATIONS}
        if unknown:
            parser.error(f"no operation {', '.join(sorted(unknown))}")
        operations = [op for op in OPERATIONS if op.name in wanted]

    with tempfile.TemporaryDirectory(prefix="potion-bench-") as tmp:
        path = args.db or Path(tmp) / "bench.sqlite3"
        started = time.perf_counter()
        workload = generate(path, args.authors, args.books, args.seed)
        bench = Bench(workload, args.clock, contestants)
        info = machine(contestants)
        print(
            f"Potion benchmark: {args.authors} authors, {args.books} books (seed {args.seed}); "
            f"{info['cpus']} CPUs, {info['cpu']}, load {info['load']}, "
            f"Python {info['python']}, SQLite {info['sqlite']}"
        )
        print("contestants: " + ", ".join(f"{c.name} ({c.title})" for c in contestants))
        for note in notes:
            print(note)
        try:
            if args.quick:
                results = bench.run(operations, rounds=1, requests=5, warmup=0)
            else:
                print(
                    f"{args.rounds} rounds x {args.requests} requests per contestant and "
                    f"operation, {args.clock} clock ..."
                )
                results = bench.run(operations, rounds=args.rounds, requests=args.requests)
        except CheckFailed as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            bench.close()
            return 1
        print(table(results, names, timings=not args.quick))
        problems = check_statements(results, names)
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
                        "contestants": {c.name: c.title for c in contestants},
                        "operations": [
                            {
                                "name": r.operation.name,
                                "title": r.operation.title,
                                "target": r.operation.target,
                                "rps": r.rps,
                                "median": {name: r.median(name) for name in names},
                                "statements": {name: r.sql(name) for name in names},
                            }
                            for r in results
                        ],
                    },
                    indent=2,
                )
            )
        print(f"done in {time.perf_counter() - started:.1f} s")
        bench.close()
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
