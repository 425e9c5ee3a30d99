"""Instructions a request costs, counted by valgrind's callgrind: deterministic, so
it shows a change of a few percent on a busy machine where timings cannot.

    python bench/instructions.py R1                          # Potion
    python bench/instructions.py R1,W1 --contestants potion,reference,floor

For each contestant and operation it runs the app twice under callgrind, serving
a warm-up batch and then none or ``--requests`` requests through the
benchmark's caller; the difference of the two totals, divided by the requests,
is what one request costs.  Answers are not checked here (``bench/run.py
--quick`` does that).  Needs ``valgrind`` on the PATH.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.contestants import by_name
from bench.operations import OPERATIONS
from bench.run import Bench
from bench.workload import generate


def _serve(operation_name: str, contestant_name: str, requests: int, db: str, books: int) -> None:
    """In the measured process: build the app on a copy of the database, warm it up,
    then serve ``requests`` requests."""
    contestant = by_name(contestant_name)
    operation = next(op for op in OPERATIONS if op.name == operation_name)
    workload = generate(Path(db), books=books)
    bench = Bench(workload, "wall", [contestant])
    if operation.prepare is not None:
        operation.prepare(bench.truth)
    server = bench.servers[contestant.name]
    warm = [contestant.call(operation, workload, i) for i in range(50)]
    server.serve(warm, time.perf_counter)
    calls = [contestant.call(operation, workload, 50 + i) for i in range(requests)]
    server.serve(calls, time.perf_counter)
    bench.close()


def _total(out_file: Path) -> int:
    match = re.search(r"^(?:summary|totals):\s+(\d+)", out_file.read_text(), re.M)
    if match is None:
        raise SystemExit(f"no total in {out_file}")
    return int(match.group(1))


def _count(operation: str, contestant: str, requests: int, books: int, tmp: Path) -> int:
    out = tmp / f"callgrind.{operation}.{contestant}.{requests}"
    db = tmp / f"{operation}.{contestant}.{requests}.sqlite3"
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        sys.executable,
        str(Path(__file__).resolve()),
        "--serve",
        operation,
        "--contestants",
        contestant,
        "--requests",
        str(requests),
        "--db",
        str(db),
        "--books",
        str(books),
    ]
    env = dict(os.environ, PYTHONHASHSEED="0")
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{contestant} {operation}: {done.stderr.strip().splitlines()[-1:]}")
    return _total(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("operations", help="comma-separated: R1,R2,... or 'all'")
    parser.add_argument("--contestants", default="potion,reference")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--books", type=int, default=10000)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        _serve(args.operations, args.contestants, args.requests, args.db, args.books)
        return 0
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not on the PATH")
    names = (
        [op.name for op in OPERATIONS]
        if args.operations == "all"
        else [name.strip().upper() for name in args.operations.split(",")]
    )
    for name in names:
        if not any(op.name == name for op in OPERATIONS):
            parser.error(f"no operation {name}")
    contestants = [name.strip() for name in args.contestants.split(",")]
    for contestant in contestants:
        by_name(contestant)  # an unknown or uninstalled contestant: its error now
    with tempfile.TemporaryDirectory(prefix="potion-instructions-") as tmp:
        for name in names:
            counts = {}
            for contestant in contestants:
                none = _count(name, contestant, 0, args.books, Path(tmp))
                some = _count(name, contestant, args.requests, args.books, Path(tmp))
                counts[contestant] = (some - none) / args.requests
            row = "  ".join(f"{c} {n / 1000:,.0f} k" for c, n in counts.items())
            print(f"{name}: {row}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
