"""The benchmark's contestants (bench/): each answers every operation correctly.

These are the checks of ``bench/run.py --quick`` on a small database: every
answer of every contestant compared with the database.  A contestant whose
framework is not installed (the ``bench`` extra) is skipped, here and in
``--quick``, which says so; naming it explicitly is an error.
"""

from __future__ import annotations

import pytest

from bench.contestants import CONTESTANTS, by_name
from bench.operations import OPERATIONS
from bench.run import Bench, choose_contestants, main
from bench.workload import generate


@pytest.fixture(scope="module")
def workload(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("bench") / "bench.sqlite3", authors=20, books=200)


@pytest.mark.parametrize("name", [c.name for c in CONTESTANTS])
def test_every_contestant_answers_every_operation_correctly(workload, name):
    contestant = by_name(name)
    missing = contestant.missing()
    if missing:
        pytest.skip(f"{contestant.title} is not installed (no {', '.join(missing)})")
    bench = Bench(workload, contestants=[contestant])
    try:
        for operation in OPERATIONS:
            if operation.contestants is not None and name not in operation.contestants:
                continue  # an operation for some contestants only (P1)
            if operation.prepare is not None:
                operation.prepare(bench.truth)
            _rps, statements = bench.batch(operation, name, 3)  # raises on a wrong answer
            assert statements >= 1
    finally:
        bench.close()


def test_quick_skips_contestants_not_installed_and_says_so(monkeypatch):
    absent = CONTESTANTS[-1]
    monkeypatch.setattr(type(absent), "missing", lambda self: ["nothere"] if self is absent else [])
    chosen, notes = choose_contestants(None, quick=True)
    assert absent not in chosen and by_name("potion") in chosen
    assert len(notes) == 1 and absent.name in notes[0] and "nothere" in notes[0]
    with pytest.raises(SystemExit, match="not installed"):
        choose_contestants(f"potion,{absent.name}", quick=True)


def test_the_default_full_run_is_potion_against_the_reference():
    chosen, notes = choose_contestants(None, quick=False)
    assert [c.name for c in chosen] == ["potion", "reference"] and notes == []


def test_an_unknown_contestant_or_operation_is_one_clear_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--quick", "--contestants", "potion,nosuch"])
    assert exc.value.code == 2
    assert "no contestant 'nosuch'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["--quick", "--only", "R9"])
    assert exc.value.code == 2
    assert "no operation R9" in capsys.readouterr().err
