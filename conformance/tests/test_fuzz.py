"""The fuzz (`python -m conformance.ports fuzz`): generated cases, graded as the golden ones, a
failure shrunk to the smallest case that shows it and saved as a case folder `check` replays.

The quick form runs here; the long one (every mutant of the catalogue against 100 generated
cases) is `python -m conformance.ports mutants --fuzz` (see the README).
"""

from __future__ import annotations

import io
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import conformance.ports.generated as generated
from conformance.golden.cases import load_all
from conformance.ports import scratch_port
from conformance.ports.__main__ import main as ports_main
from conformance.ports.fuzz import fuzz
from conformance.ports.grading import grade
from conformance.ports.mutants import MUTANTS
from conformance.ports.runner import Outcome, PortArgumentError, run_solver
from conformance.tolerances import GENERATED

PY = sys.executable


def mutant_port(name: str):
    """The scratch port with mutant `name` planted, answering in process."""

    def answer(case):
        with MUTANTS[name].applied(), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return run_solver(scratch_port.solve, case)

    return answer


def test_scratch_port_passes_25_generated_cases_in_persistent_mode():
    out = io.StringIO()
    command = f"{PY} -m conformance.ports.scratch_port"
    assert fuzz(command, examples=25, persistent=True, out=out) == 0, out.getvalue()
    assert "25 of 25 generated cases supported, all passed" in out.getvalue()


def test_a_mutant_fails_by_a_value_is_shrunk_and_saved_for_check(tmp_path):
    # A perceptron that predicts 1 only for w.x + b > 0 (not >= 0): wrong on a tie.
    out = io.StringIO()
    name = "perceptron-strict-threshold"
    code = fuzz(mutant_port(name), examples=25, save=tmp_path / "failed", out=out)
    report = out.getvalue()
    assert code == 1, report
    assert "shrinking it to the smallest failing case" in report
    assert "smallest failing case: perceptron" in report and "first divergence, step" in report
    assert "crash" not in report
    # The saved case replays: the mutant fails it, scratch passes it.
    (case,) = load_all(tmp_path / "failed")
    wrong = grade(case, mutant_port(name)(case), strict=True, tol=GENERATED)
    right = grade(case, run_solver(scratch_port.solve, case), strict=True, tol=GENERATED)
    assert (wrong.status, right.status) == ("fail", "pass"), wrong.message
    # The smallest case is small: one input, one sample.
    assert case.data["X"].shape == (1, 1)


def test_the_same_seed_draws_the_same_cases():
    def record(seen: list[str]):
        def answer(case):
            seen.append(generated.Drawn(case.meta, case.params, case.data).summary())
            return Outcome("unsupported", message="recording only")

        return answer

    first, again, other = [], [], []
    for seen, seed in ((first, 7), (again, 7), (other, 8)):
        assert fuzz(record(seen), examples=6, seed=seed, out=io.StringIO()) == 1
    assert first == again and first != other


def test_a_port_that_supports_no_generated_case_fails():
    out = io.StringIO()
    code = fuzz(lambda case: Outcome("unsupported", message="no"), examples=4, out=out)
    assert code == 1
    assert "0 of 4 generated cases supported" in out.getvalue()
    assert "supports none of the generated cases" in out.getvalue()


def test_a_disagreement_between_our_implementations_is_reported_as_ours(monkeypatch):
    real = generated.trajectory

    def off_by_a_little(case, implementation):
        frame = real(case, implementation)
        if implementation == "scratch":
            frame = frame.assign(value=frame["value"] * (1 + 1e-6))
        return frame

    monkeypatch.setattr(generated, "trajectory", off_by_a_little)
    out = io.StringIO()
    code = fuzz(lambda case: Outcome("unsupported", message="-"), examples=3, out=out)
    assert code == 2
    assert "INTERNAL ERROR, a bug of this suite and not of the port" in out.getvalue()
    assert "scratch against reference" in out.getvalue()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--examples", "0"], "argument --examples: must be at least 1, got 0"),
        (["--examples", "many"], "argument --examples: not an integer: 'many'"),
        (["--seed", "-1"], "argument --seed: must be at least 0, got -1"),
        (["--timeout", "nan"], "argument --timeout"),
        (["--save", "data/fuzz"], "refusing to write into the golden data"),
    ],
    ids=["examples-0", "examples-word", "seed-negative", "timeout-nan", "save-into-data"],
)
def test_a_bad_fuzz_option_is_a_usage_error(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        ports_main(["fuzz", "--port", "true", *argv])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("keyword", "value"), [("examples", 0), ("examples", 2.5), ("seed", -3), ("seed", True)]
)
def test_a_bad_fuzz_argument_is_named(keyword, value):
    with pytest.raises(PortArgumentError, match=f"{keyword} must be an integer"):
        fuzz("true", **{keyword: value})


def test_generated_cases_are_written_without_their_answers(tmp_path):
    # What the port may read of a generated case: its inputs only.
    seen = []

    def answer(case):
        seen.append(sorted(p.name for p in Path(case.path).iterdir()))
        return run_solver(scratch_port.solve, case)

    assert fuzz(answer, examples=3, out=io.StringIO()) == 0
    assert seen and all("expected.csv" not in names for names in seen), seen
