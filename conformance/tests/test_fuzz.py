"""The fuzz (`python -m conformance.ports fuzz`): generated cases, graded as the golden ones, a
failure shrunk to the smallest case that shows it and saved as a case folder `check` replays.

The quick form runs here; the long one (every mutant of the catalogue against 100 generated
cases) is `python -m conformance.ports mutants --fuzz` (see the README).
"""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import Phase, find, settings

import conformance.ports.fuzz as fuzz_module
import conformance.ports.generated as generated
from conformance.golden.cases import DATA, load_all, load_case
from conformance.ports import scratch_port
from conformance.ports.__main__ import main as ports_main
from conformance.ports.__main__ import mutant_answer
from conformance.ports.fuzz import fuzz
from conformance.ports.generated import STRATA, write_inputs
from conformance.ports.grading import grade, tolerance_for
from conformance.ports.runner import Outcome, PortArgumentError, run_solver
from conformance.tolerances import GENERATED

PY = sys.executable


mutant_port = mutant_answer  # the scratch port with one mutant planted, in process


def test_scratch_port_passes_25_generated_cases_in_persistent_mode():
    out = io.StringIO()
    command = f"{PY} -m conformance.ports.scratch_port"
    assert fuzz(command, examples=25, persistent=True, out=out) == 0, out.getvalue()
    assert "25 of 25 generated cases supported, all passed" in out.getvalue()


def test_a_mutant_fails_by_a_value_is_shrunk_and_saved_for_check(tmp_path, monkeypatch):
    # A perceptron that predicts 1 only for w.x + b > 0 (not >= 0): wrong on a tie.
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    name = "perceptron-strict-threshold"
    saved, examples = tmp_path / "failed", tmp_path / "examples"
    code = fuzz(mutant_port(name), examples=25, save=saved, database=examples, out=out)
    report = out.getvalue()
    assert code == 1, report
    assert "shrinking it to the smallest failing case" in report
    assert "smallest failing case: perceptron" in report and "first divergence, step" in report
    assert "crash" not in report
    # The saved case replays, graded as generated: the mutant fails it, scratch passes it.
    (case,) = load_all(saved)
    assert tolerance_for(case) is GENERATED
    wrong = grade(case, mutant_port(name)(case), strict=True)
    right = grade(case, run_solver(scratch_port.solve, case), strict=True)
    assert (wrong.status, right.status) == ("fail", "pass"), wrong.message
    # The smallest case is small: one input, one sample.
    assert case.data["X"].shape == (1, 1)
    # Hypothesis kept its example where asked, and wrote nothing else (no .hypothesis/).
    assert any(p.is_file() for p in examples.rglob("*"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["examples", "failed"]


def test_the_same_seed_draws_the_same_cases(monkeypatch):
    def record(seen: list[str]):
        def answer(case):
            seen.append(generated.Drawn(case.meta, case.params, case.data).summary())
            return Outcome("unsupported", message="recording only")

        return answer

    # Two cases of each stratum: the first is its simplest case, the same for every seed; the
    # second is the seed's, so each stratum's draw is seeded (one unseeded would differ).
    n = 2 * len(STRATA)
    first, again, other = [], [], []
    # The same seed twice, the whole run: the draws, their expected values, the cases thrown away.
    for seen in (first, again):
        assert fuzz(record(seen), examples=n, seed=7, out=io.StringIO()) == 1
    assert len(first) == n and first == again
    # Another seed's draws only: each case written and read back without the trajectories that
    # `materialize` computes (0.35 s), which would not tell whether the seed is used.
    monkeypatch.setattr(
        fuzz_module, "materialize", lambda drawn, folder: load_case(write_inputs(drawn, folder))
    )
    assert fuzz(record(other), examples=n, seed=8, out=io.StringIO()) == 1
    seeded = zip(first[1::2], other[1::2], strict=True)
    assert all(a != b for a, b in seeded), "a stratum draws the same second case for two seeds"


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


def test_a_port_that_fails_once_is_reported_not_shrunk():
    calls = []

    def flaky(case):
        calls.append(case.id)
        if len(calls) == 3:  # the third answer only is wrong
            return Outcome("ok", text="step,tensor,row,col,value\n")
        return run_solver(scratch_port.solve, case)

    out = io.StringIO()
    assert fuzz(flaky, examples=10, out=out) == 1
    assert "failed this case once and passed it when it was sent again" in out.getvalue()
    assert "smallest failing case" in out.getvalue()


def test_a_port_that_writes_into_data_fails_the_fuzz(tmp_path, monkeypatch):
    copy = Path(shutil.copytree(DATA, tmp_path / "data"))
    monkeypatch.setattr(fuzz_module, "DATA", copy)

    def vandal(case):
        (copy / "T1-blog" / "notes.txt").write_text("mine")
        return run_solver(scratch_port.solve, case)

    out = io.StringIO()
    assert fuzz(vandal, examples=2, out=out) == 1
    assert "data/ changed during the run: extra: T1-blog/notes.txt" in out.getvalue()


def test_a_case_whose_rounding_the_dynamics_amplify_is_thrown_away(tmp_path):
    # Drawn by `python -m benchmarks.agreement --seed 99` (its 952nd case): tanh saturated and
    # weights growing under objective `output` for 5 steps. Scratch and the reference agree on
    # step 0 to 1e-12, then drift 1e-6 apart by step 4: amplified rounding, no one's mistake.
    W = [
        [[-2, -1, -1, 1.59375, 0, -1, 0.359375, 0.796875],
         [2, 1.8125, -2, -1.34375, -1.796875, -1, 0, 2],
         [0, 0, 0.75, 2, 0, -1.859375, 0, 0.09375],
         [0.5, 0.5, -1.375, 0.5, -1.609375, 2, -2, 0]],
        [[-1.796875, -0.984375, 0, -1.390625], [-0.5, -2, 2, -2],
         [-1.796875, 0, -1.6875, -1.3125], [0.5, 1.34375, -1, 1.609375]],
        [[-0.65625, -2, -2, 0], [-0.75, 2, 1, -2], [0.5, 0, 1.59375, -0.921875],
         [-1, 0.4375, 2, 1.875]],
        [[-1, 1.328125, -2, 1.890625], [2, 0, -0.5, 1]],
    ]  # fmt: skip
    b = [[-0.5, 0, -2, 2], [-0.5, 0, -2, 2], [-0.5, 0.390625, 1.640625, 0], [-0.5, 0]]
    X = [[0, 0, 0.4375, -2, 0.5, 0, -1.109375, 1], [-1.8125, 2, -2, 0, 0, 2, 1.21875, -1]]
    meta = {
        "kind": "network",
        "layout": "t2",
        "network": {
            "sizes": [8, 4, 4, 4, 2],
            "activations": ["tanh", "identity", "identity", "identity"],
            "loss": "mse",
            "reduction": "element_mean",
            "bias": True,
        },
        "training": {
            "lr": 0.125, "steps": 5, "objective": "output", "maximize": False,
            "freeze_biases": True,
        },
        "record": {"every_step": [], "full_steps": [0, 1, 2, 3, 4]},
    }  # fmt: skip
    params = generated.Params([np.array(w) for w in W], [np.array(v) for v in b])
    data = {"X": np.array(X), "Y": np.array([[0.984375, 0.0], [1.0, 2.0]])}
    drawn = generated.Drawn(meta, params, data)
    with pytest.raises(generated.IllConditioned, match="ill-conditioned"):
        generated.materialize(drawn, tmp_path / "fuzz-00952")


def test_generated_cases_of_3_steps_or_more_reach_a_fast_path(tmp_path):
    # Their middle steps record the cost and the output only (`record_for`), so that a port may
    # run them through a fast path of its own: scratch's, with maximize ignored there, fails.
    drawn = find(
        generated.network_cases(),
        lambda d: d.meta["training"]["steps"] >= 3,
        settings=settings(phases=[Phase.generate], database=None),
    )
    depth, steps = len(drawn.meta["network"]["activations"]), drawn.meta["training"]["steps"]
    assert drawn.meta["record"] == generated.record_for(steps, depth)
    assert drawn.meta["record"] == {
        "every_step": ["cost", f"A{depth}"],
        "full_steps": [0, steps - 1],
    }
    assert generated.record_for(2, depth)["full_steps"] == [0, 1]  # fewer steps: all of them
    meta = {
        "kind": "network",
        "layout": "t1",
        "network": {
            "sizes": [1, 1], "activations": ["identity"], "loss": "mse",
            "reduction": "sample_mean", "bias": False,
        },
        "training": {"lr": 0.125, "steps": 3, "objective": "cost", "maximize": True},
        "record": generated.record_for(3, 1),
    }  # fmt: skip
    data = {"X": np.array([[1.0]]), "Y": np.array([[0.0]])}
    case = generated.materialize(
        generated.Drawn(meta, generated.Params([np.array([[1.0]])], None), data), tmp_path / "c"
    )
    right = grade(case, run_solver(scratch_port.solve, case), strict=True)
    wrong = grade(case, mutant_port("fast-ignores-maximize")(case), strict=True)
    assert right.status == "pass", right.message
    assert wrong.status == "fail" and wrong.first_divergence == (2, "Z1"), wrong.message
