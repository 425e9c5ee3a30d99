"""Profile one operation of one contestant, served in a loop through the benchmark's caller.

    python bench/profiling.py R1                      # cProfile of Potion, top functions
    python bench/profiling.py R3 --profiler pyinstrument
    python bench/profiling.py W1 --contestant reference --requests 3000
    python bench/profiling.py all --split          # each operation's time by layer

The answers are checked like in the benchmark, outside the profiled part.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.contestants import by_name
from bench.operations import OPERATIONS
from bench.run import Bench
from bench.workload import generate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("operation", help="R1, R2, ... W2, or 'all' (with --split)")
    parser.add_argument("--contestant", default="potion")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profiler", choices=("cprofile", "pyinstrument"), default="cprofile")
    parser.add_argument("--sort", default="tottime", help="cProfile sort key (default tottime)")
    parser.add_argument("--limit", type=int, default=40, help="cProfile lines shown")
    parser.add_argument(
        "--split",
        action="store_true",
        help="only the share of each layer (Flask, SQL, Potion) in the profiled time",
    )
    args = parser.parse_args(argv)
    contestant = by_name(args.contestant)
    if args.split:
        names = [op.name for op in OPERATIONS] if args.operation == "all" else [args.operation]
        return split(names, contestant, args.requests)
    operation = next((op for op in OPERATIONS if op.name == args.operation.upper()), None)
    if operation is None:
        parser.error(f"no operation {args.operation}")

    with tempfile.TemporaryDirectory(prefix="potion-profile-") as tmp:
        bench = Bench(generate(Path(tmp) / "bench.sqlite3"), "cpu", [contestant])
        if operation.prepare is not None:
            operation.prepare(bench.truth)
        bench.batch(operation, contestant.name, 200)  # warm up: plans, caches, connections
        rps, statements = bench.batch(operation, contestant.name, args.requests)
        print(
            f"{operation.name} on {contestant.name}: {rps:.0f} req/s unprofiled (CPU time), ",
            end="",
        )
        print(f"{1e6 / rps:.0f} µs a request, {statements:g} SQL statements")
        if args.profiler == "pyinstrument":
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0001)
            profiler.start()
            bench.batch(operation, contestant.name, args.requests)
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        else:
            profile = cProfile.Profile()
            started = time.perf_counter()
            profile.enable()
            bench.batch(operation, contestant.name, args.requests)
            profile.disable()
            print(f"profiled: {time.perf_counter() - started:.2f} s")
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.limit)
            print(out.getvalue())
        bench.close()
    return 0


#: layers of a request, by the module (or built-in) a function belongs to
LAYERS = {
    "flask": "Flask and Werkzeug",
    "werkzeug": "Flask and Werkzeug",
    "blinker": "Flask and Werkzeug",
    "sqlalchemy": "SQL (SQLAlchemy and the driver)",
    "flask_sqlalchemy": "SQL (SQLAlchemy and the driver)",
    "sqlite3": "SQL (SQLAlchemy and the driver)",
    "potion": "Potion (parsing, checks, formatting, JSON)",
    "fastjsonschema": "Potion (parsing, checks, formatting, JSON)",
    "orjson": "Potion (parsing, checks, formatting, JSON)",
}


def _layer(filename: str, name: str) -> str:
    if filename == "~":  # a built-in: by what it is a method of
        for key in ("sqlite3", "orjson"):
            if key in name:
                return LAYERS[key]
        return "Python built-ins (shared)"
    if "site-packages/" in filename:
        package = filename.split("site-packages/", 1)[1].split("/", 1)[0]
        return LAYERS.get(package, "other libraries")
    if "/potion/" in filename:
        return LAYERS["potion"]
    if "<generated>" in filename or filename.startswith("<"):
        return "Potion (parsing, checks, formatting, JSON)"  # compiled validators
    return "the benchmark's caller and Python's library"


def split(names: Sequence[str], contestant: Any, requests: int) -> int:
    """Print, for each operation, the profiled time of a request by layer."""
    with tempfile.TemporaryDirectory(prefix="potion-profile-") as tmp:
        bench = Bench(generate(Path(tmp) / "bench.sqlite3"), "cpu", [contestant])
        for name in names:
            operation = next((op for op in OPERATIONS if op.name == name.upper()), None)
            if operation is None:
                raise SystemExit(f"no operation {name}")
            if operation.prepare is not None:
                operation.prepare(bench.truth)
            bench.batch(operation, contestant.name, 100)
            rps, _ = bench.batch(operation, contestant.name, requests)
            profile = cProfile.Profile()
            profile.enable()
            bench.batch(operation, contestant.name, requests)
            profile.disable()
            stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
            layers: dict[str, float] = {}
            for (filename, _line, function), (_cc, _nc, tottime, _ct, _callers) in stats.items():
                key = _layer(filename, function)
                layers[key] = layers.get(key, 0.0) + tottime
            total = sum(layers.values())
            print(f"{operation.name} on {contestant.name}: {1e6 / rps:.0f} µs a request (CPU)")
            for key, value in sorted(layers.items(), key=lambda kv: -kv[1]):
                print(f"    {100 * value / total:5.1f} %  {key}")
        bench.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
