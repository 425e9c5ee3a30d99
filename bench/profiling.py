"""Profile one operation of one contestant, served in a loop through the benchmark's caller.

    python bench/profiling.py R1                      # cProfile of Potion, top functions
    python bench/profiling.py R3 --profiler pyinstrument
    python bench/profiling.py W1 --contestant reference --requests 3000

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
from typing import Sequence

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.contestants import by_name
from bench.operations import OPERATIONS
from bench.run import Bench
from bench.workload import generate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("operation", help="R1, R2, ... W2")
    parser.add_argument("--contestant", default="potion")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profiler", choices=("cprofile", "pyinstrument"), default="cprofile")
    parser.add_argument("--sort", default="tottime", help="cProfile sort key (default tottime)")
    parser.add_argument("--limit", type=int, default=40, help="cProfile lines shown")
    args = parser.parse_args(argv)
    operation = next((op for op in OPERATIONS if op.name == args.operation.upper()), None)
    if operation is None:
        parser.error(f"no operation {args.operation}")
    contestant = by_name(args.contestant)

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


if __name__ == "__main__":
    sys.exit(main())
