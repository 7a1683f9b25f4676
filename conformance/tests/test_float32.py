"""Float32 ports graded fairly: within each value's float32 bound (`conformance.roundoff`, rules F1
to F8 of `conformance.tolerances`), computed from the case, never tuned.

The bound is validated here both ways: honest float32 ports (scratch and the reference run in
float32) pass every golden network and perceptron case and a quick fuzz at float32, with the
margin reported (the largest error over what is allowed); graded as float64 ports they fail
(the float32 grade is not vacuous); every mutant of the catalogue but `float32` still fails at
float32. The hard spots, decisions that float32 rounding can flip, are tested on their own.
The slow measurement over many generated cases is `python -m benchmarks.agreement --dtype
float32` (see conformance/tolerances.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest

import scratch.activations as activations
import scratch.fast as fast
from conformance.golden.cases import Case, load_case, write_case
from conformance.golden.comparison import KEYS, compare_frames
from conformance.golden.runner import trajectory
from conformance.ports import reference_port, scratch_port
from conformance.ports.__main__ import catch_mutant, mutant_answer
from conformance.ports.__main__ import main as ports_main
from conformance.ports.checking import check
from conformance.ports.fuzz import fuzz
from conformance.ports.grading import grade, tolerance_for
from conformance.ports.mutants import MUTANTS
from conformance.ports.protocol import dtype_argument
from conformance.ports.runner import Outcome, PortArgumentError, run_command, run_solver
from conformance.roundoff import float32_bound, not_derived
from conformance.tests.inputs import golden_cases
from conformance.tolerances import ELEMENTARY_ULPS, FLOAT64
from scratch import Params

CASES = list(golden_cases())
BY_ID = {case.id: case for case in CASES}
# SGD's momentum state and mini-batches have no derived float32 bound yet (roundoff.not_derived):
# graded at float32 they are unsupported, which test_sgd_cases_are_unsupported_at_float32 checks.
GRADED = [
    case for case in CASES if case.kind in ("network", "perceptron") and not_derived(case) is None
]
NOT_DERIVED = [case for case in CASES if case.kind == "network" and not_derived(case)]
SOLVERS = {
    "scratch": functools.partial(scratch_port.solve, dtype="float32"),
    "reference": functools.partial(reference_port.solve, dtype="float32"),
}


@functools.cache
def answer(port: str, case_id: str) -> Outcome:
    """A float32 port's answer to a golden case, in process (once per test process)."""
    return run_solver(SOLVERS[port], BY_ID[case_id])


@functools.cache
def margin(port: str, case_id: str) -> float:
    """The largest |answer - expected| over what a float32 port is allowed there (the float64
    tolerance plus the float32 bound), over the graded values: under 1 passes."""
    case = BY_ID[case_id]
    got = pd.read_csv(io.StringIO(answer(port, case_id).text))
    e = case.expected
    m = e.merge(got, on=KEYS, how="left", suffixes=("", "_port"))
    largest = m["value"].abs().groupby([m["step"], m["tensor"]]).transform("max")
    bound = float32_bound(case)
    allowed = tolerance_for(case).allowed(e["value"].to_numpy(), largest.to_numpy()) + bound
    error = np.abs(m["value_port"].to_numpy() - e["value"].to_numpy())
    graded = np.isfinite(bound)
    return float(np.max(error[graded] / allowed[graded], initial=0.0))


# The 1000 steps of T4-sigmoid-1000 take longer at float32 (the bound carries each step's
# Jacobian through the later ones) than the rest of the golden cases together: with --long.
LONG = {"T4-sigmoid-1000"}


@pytest.fixture
def graded(request: pytest.FixtureRequest) -> list[Case]:
    """The graded golden cases: all with --long, else all but `LONG`."""
    if request.config.getoption("--long"):
        return GRADED
    return [c for c in GRADED if c.id not in LONG]


def _graded_ids() -> list:
    return [
        pytest.param(c.id, marks=[pytest.mark.long] if c.id in LONG else [], id=c.id)
        for c in GRADED
    ]


# -- honest float32 ports pass at float32, and fail at float64 ---------------------------------
@pytest.mark.parametrize("port", SOLVERS)
@pytest.mark.parametrize("case_id", _graded_ids())
def test_float32_port_passes_at_float32(port, case_id):
    case, outcome = BY_ID[case_id], answer(port, case_id)
    result = grade(case, outcome, strict=True, dtype="float32")
    assert result.status == "pass", result.message
    assert margin(port, case_id) < 1  # (every case's margin is reported below)


@pytest.mark.parametrize("port", SOLVERS)
def test_float32_port_fails_as_a_float64_port(port, graded):
    # Not vacuous: the same answers graded as a float64 port's fail wherever float32 rounding
    # shows: every network case, and the perceptron with eta = 0.1; the perceptrons on dyadic
    # values are exact in float32 and pass either way.
    results = {c.id: grade(c, answer(port, c.id), strict=True) for c in graded}
    failing = {k for k, r in results.items() if r.status == "fail"}
    networks = {c.id for c in graded if c.kind == "network"}
    assert failing == networks | {"T4-perceptron-2d"}, sorted(failing)


def test_float32_ports_margins_on_the_golden_cases_are_reported(capsys, graded):
    # The margin (largest error over the allowance) of each port on each golden case, printed
    # with -s; conformance/tolerances.py states the largest.
    worst = {port: max((margin(port, c.id), c.id) for c in graded) for port in SOLVERS}
    with capsys.disabled():
        print(f"\nfloat32 margins on the golden cases: {worst}")
    assert all(m < 1 for m, _ in worst.values())


@pytest.mark.parametrize(("port", "examples"), [("scratch", 16), ("reference", 8)])
def test_float32_port_passes_a_quick_fuzz_at_float32(port, examples):
    # Two (one) of each stratum; the long form is `python -m benchmarks.agreement --dtype
    # float32`.
    out = io.StringIO()
    solve = SOLVERS[port]
    code = fuzz(lambda c: run_solver(solve, c), examples=examples, dtype="float32", out=out)
    assert code == 0, out.getvalue()
    # the SGD stratum's cases with momentum or mini-batches are unsupported at float32
    assert re.search(rf"\d+ of {examples} generated cases supported, all passed", out.getvalue())


def test_the_scratch_port_command_takes_dtype_float32(tmp_path):
    # The real command line: `--dtype float32` on the port and on `check`.
    command = f"{sys.executable} -m conformance.ports.scratch_port --dtype float32"
    case = BY_ID["T1-blog"]
    outcome = run_command(command, case)
    assert grade(case, outcome, strict=True, dtype="float32").status == "pass"
    assert grade(case, outcome, strict=True).status == "fail"
    assert dtype_argument("x", ["--dtype", "float32"]) == "float32"
    assert dtype_argument("x", []) == "float64"


def _off_by_ulps(x: np.ndarray, ulps: int) -> np.ndarray:
    """x moved by `ulps` units in its last place, up and down in turn from cell to cell."""
    signs = np.where(np.arange(x.size).reshape(x.shape) % 2 == 0, 1, -1).astype(x.dtype)
    return x + signs * x.dtype.type(ulps) * np.spacing(x)


@contextlib.contextmanager
def _elementary_functions_off_by_their_budget() -> Iterator[None]:
    """scratch's tanh, sigmoid and softmax with their elementary functions as inaccurate as
    F3 allows (tanh 16 ULP, sigmoid 33, softmax's exp 32), in the plain and the fast path."""

    def softmax(Z):
        E = _off_by_ulps(np.exp(Z - Z.max(axis=1, keepdims=True)), ELEMENTARY_ULPS["exp"])
        return E / E.sum(axis=1, keepdims=True)

    sloppy = {
        "tanh": lambda Z: _off_by_ulps(np.tanh(Z), ELEMENTARY_ULPS["tanh"]),
        "sigmoid": lambda Z: _off_by_ulps(activations.sigmoid(Z), ELEMENTARY_ULPS["exp"] + 1),
        "softmax": softmax,
    }
    changed = {k: dataclasses.replace(activations.ACTIVATIONS[k], fn=f) for k, f in sloppy.items()}
    keep = {k: v for k, v in fast._FORWARD_INTO.items() if k not in sloppy}
    with (
        mock.patch.dict(activations.ACTIVATIONS, changed),
        mock.patch.dict(fast._FORWARD_INTO, keep, clear=True),
    ):
        yield


def test_a_float32_port_with_elementary_functions_at_their_budget_passes(graded):
    # numpy's float32 tanh and exp are within a few ULP; F3 allows a GPU's fast ones 16 and
    # 32 (WebNN's budgets). A port that uses all of it still passes every network case.
    solve = SOLVERS["scratch"]
    with _elementary_functions_off_by_their_budget():
        results = [grade(c, run_solver(solve, c), True, dtype="float32") for c in graded]
        moved = run_solver(solve, BY_ID["T3-deck-3-4-2"]).text
    assert moved != answer("scratch", "T3-deck-3-4-2").text  # (the patch took)
    assert all(r.status == "pass" for r in results), [r.message for r in results if r.message]


# -- every mutant but float32 still fails at float32 -------------------------------------------
# The quick form: the mutants whose error is smallest next to float32's rounding (a kink, a
# factor on one tensor, a sum over the wrong axis, a transposed gradient, a divisor); the whole
# catalogue with --long, or `python -m conformance.ports mutants --dtype float32`.
QUICK_MUTANTS = {
    "relu-grad-1-at-0",
    "output-objective-mean",
    "softmax-backward-batch-sum",
    "t3-dW-reshaped",
    "mse-divisor-max-n-k",
    "bias-lr-doubled",
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(m, marks=[] if m in QUICK_MUTANTS else [pytest.mark.long], id=m)
        for m in MUTANTS
        if m != "float32"
    ],
)
def test_mutant_fails_at_float32(name):
    caught = catch_mutant(name, CASES, subprocess=False, timeout=60, dtype="float32")
    assert caught is not None, f"{name} passes every golden case graded at float32"
    assert caught.status in ("fail", "error")


def test_float32_mutant_passes_at_float32_and_fails_at_float64(graded):
    answer_of = mutant_answer("float32")
    networks = [c for c in graded if c.kind == "network"]
    outcomes = {c.id: answer_of(c) for c in networks}
    at32 = [grade(c, outcomes[c.id], strict=True, dtype="float32") for c in networks]
    at64 = [grade(c, outcomes[c.id], strict=True) for c in networks]
    assert all(r.status == "pass" for r in at32), [r.message for r in at32 if r.status != "pass"]
    assert all(r.status == "fail" for r in at64), [r.case_id for r in at64 if r.status != "fail"]


# -- the hard spots: decisions float32 can flip -------------------------------------------------
def test_a_dyadic_relu_kink_is_exact_in_float32_and_graded():
    # S-square-relu-kink puts Z1[0, 0] exactly on relu's kink at every step: its inputs are
    # dyadic, so float32 computes the same 0 in any order (bound 0) and relu'(0) = 0 is graded,
    # which is how the relu-grad-1-at-0 mutant is caught at float32 too.
    case = BY_ID["S-square-relu-kink"]
    e = case.expected.assign(bound=float32_bound(case))
    kink = e[(e["tensor"] == "Z1") & (e["value"] == 0)]
    assert len(kink) >= 3 and (kink["bound"] == 0).all()
    assert np.isfinite(e["bound"]).all()
    caught = catch_mutant("relu-grad-1-at-0", [case], False, 60, dtype="float32")
    assert caught is not None and caught.first_divergence == (0, "aprime1")  # before dZ1


def _case_with_expected(folder: Path, meta: dict, params, data: dict) -> Case:
    case = load_case(write_case(folder, meta, params, data))
    return dataclasses.replace(case, expected=trajectory(case, "scratch"))


SOURCE = {"tutorial": "suite", "section": "test", "file": "conformance/PORTS.md"}


def test_a_relu_kink_float32_can_flip_leaves_what_depends_on_it_ungraded(tmp_path):
    # Z1[0, 0] = 0.1 + 0.2 - 0.30000000000000004 is exactly 0 in float64, but its inputs are
    # not float32 values: a float32 port may land on either side of the kink. Its forward pass
    # is graded; relu'(Z1) there and everything downstream of it (dZ1, dW1, db1, the updated
    # layer 1, every later step) are not.
    meta = {
        "kind": "network",
        "id": "K",
        "source": SOURCE,
        "description": "a relu pre-activation within float32 rounding of the kink",
        "layout": "t1",
        "network": {
            "sizes": [2, 2, 1],
            "activations": ["relu", "identity"],
            "loss": "mse",
            "reduction": "sample_mean",
            "bias": True,
        },
        "training": {"lr": 0.5, "steps": 2, "objective": "cost", "maximize": False},
        "record": {"every_step": [], "full_steps": [0, 1]},
    }
    W = [np.array([[1.0, 1.0], [1.0, -1.0]]), np.array([[1.0, 2.0]])]
    b = [np.array([-0.30000000000000004, 0.5]), np.array([0.0])]
    data = {"X": np.array([[0.1, 0.2], [1.0, 0.5]]), "Y": np.array([[1.0], [0.5]])}
    case = _case_with_expected(tmp_path / "K", meta, Params(W, b), data)
    e = case.expected.assign(bound=float32_bound(case))
    assert e.query("step == 0 and tensor == 'Z1' and row == 0 and col == 0")["value"].item() == 0
    graded = e.groupby(["step", "tensor"])["bound"].apply(lambda s: bool(np.isfinite(s).all()))
    ungraded = sorted(t for (s, t), ok in graded.items() if s == 0 and not ok)
    assert ungraded == ["W1_after", "aprime1", "b1_after", "dW1", "dZ1", "db1"]
    assert not graded[1].any()  # the next step: nothing
    cell = e.query("step == 0 and tensor == 'aprime1'")["bound"].to_numpy()
    assert np.isinf(cell[0]) and np.isfinite(cell[1:]).all()  # only the kink's cell
    for port, solve in SOLVERS.items():
        assert grade(case, run_solver(solve, case), True, dtype="float32").status == "pass", port


def _perceptron(folder: Path, X, y, w0, b0, eta) -> Case:
    meta = {
        "kind": "perceptron",
        "id": folder.name,
        "source": SOURCE,
        "description": "a perceptron tie",
        "perceptron": {"eta": eta, "max_epochs": 6, "w0": w0, "b0": b0},
    }
    return _case_with_expected(folder, meta, None, {"X": X, "y": y})


def test_perceptron_ties_on_dyadic_values_are_exact_and_graded(tmp_path):
    # A tie (w.x + b exactly 0) among dyadic values, as the golden and generated perceptron
    # cases have (w0 = 0, b0 = 0 ties at once): exact in float32 too, everything graded.
    X, y = np.array([[1.0, 0.5], [-0.5, 1.0], [0.25, -1.0]]), np.array([[0.0], [1.0], [1.0]])
    case = _perceptron(tmp_path / "dyadic", X, y, [0.0, 0.0], 0.0, 0.5)
    assert (float32_bound(case) == 0).all()
    for known in ("T4-perceptron-and", "S-perceptron-max-epochs"):
        assert (float32_bound(BY_ID[known]) == 0).all()
    assert np.isfinite(float32_bound(BY_ID["T4-perceptron-2d"])).all()  # eta 0.1: no tie near


def test_a_perceptron_tie_float32_can_flip_leaves_the_rest_of_the_run_ungraded(tmp_path):
    # The first visit's w.x + b = 0.1 + 0.2 - 0.30000000000000004 is 0 in float64 only.
    X, y = np.array([[0.1, 0.2], [1.0, 1.0]]), np.array([[0.0], [1.0]])
    case = _perceptron(tmp_path / "tie", X, y, [1.0, 1.0], -0.30000000000000004, 1.0)
    bound = float32_bound(case)
    e = case.expected
    assert np.isinf(bound[(e["step"] == 0).to_numpy() & (e["tensor"] == "epochs").to_numpy()])
    assert np.isinf(bound).sum() == len(e)  # from the first visit on: all of it
    for port, solve in SOLVERS.items():
        assert grade(case, run_solver(solve, case), True, dtype="float32").status == "pass", port


# -- the interface ------------------------------------------------------------------------------
def test_compare_frames_adds_a_per_cell_allowance():
    expected = BY_ID["T1-blog"].expected
    shifted = expected.assign(value=expected["value"] + 1e-6)
    plain = compare_frames(shifted, expected, FLOAT64)
    assert not plain["ok"].any()
    allowed = compare_frames(shifted, expected, FLOAT64, np.full(len(expected), 2e-6))
    assert allowed["ok"].all()
    assert list(allowed.columns) == list(plain.columns)
    errors = ["step", "tensor", "max_abs_err", "at", "max_rel_err", "missing", "cells"]
    assert allowed[errors].equals(plain[errors])  # the allowance changes the verdicts only
    assert (allowed["allowed_at"] > plain["allowed_at"]).all() and (allowed["bad"] == 0).all()
    unlimited = compare_frames(expected.assign(value=1e9), expected, FLOAT64, np.inf)
    assert unlimited["ok"].all()


def test_an_infinite_allowance_passes_any_finite_value_and_nothing_else():
    # Where a float32 port's cells are ungraded (a ReLU kink float32 may flip: the bound is
    # +inf), any finite value passes; a NaN, an Inf or a missing cell still fails.
    expected = BY_ID["T1-blog"].expected
    first = ((expected["step"] == 0) & (expected["tensor"] == "Z1")).to_numpy()
    for broken in (np.nan, np.inf, -np.inf, None):
        actual = expected.assign(value=np.where(first, broken or 0.0, 1e9))
        actual = actual[~first] if broken is None else actual
        report = compare_frames(actual, expected, FLOAT64, np.inf)
        bad = report.set_index(["step", "tensor"])["bad"]
        assert bad[(0, "Z1")] == first.sum() and bad.drop((0, "Z1")).eq(0).all(), broken


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: grade(BY_ID["T1-blog"], Outcome("ok", "x"), dtype="f32"), id="grade"),
        pytest.param(lambda: check("true", CASES[:1], dtype="float16"), id="check"),
        pytest.param(lambda: fuzz("true", examples=1, dtype=np.float32), id="fuzz"),
    ],
)
def test_an_unknown_dtype_is_an_argument_error(call: Callable[[], object]):
    with pytest.raises(PortArgumentError, match="dtype must be one of float64, float32"):
        call()


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["check", "--port", "true", "--dtype", "f16"], id="check"),
        pytest.param(["fuzz", "--port", "true", "--dtype", "f16"], id="fuzz"),
        pytest.param(["mutants", "--dtype", "f16"], id="mutants"),
        pytest.param(None, id="a shipped port"),
    ],
)
def test_an_unknown_dtype_on_the_command_line_is_a_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        if argv is None:
            dtype_argument("conformance.ports.scratch_port", ["--dtype", "f16"])
        else:
            ports_main(argv)
    assert stop.value.code == 2 and "--dtype: invalid choice: 'f16'" in capsys.readouterr().err


@pytest.mark.parametrize("case", NOT_DERIVED, ids=lambda c: c.id)
def test_sgd_cases_are_unsupported_at_float32_and_graded_at_float64(case):
    outcome = run_solver(scratch_port.solve, case)
    at32 = grade(case, outcome, strict=True, dtype="float32")
    assert at32.status == "unsupported" and "no float32 bound is derived" in at32.message
    assert grade(case, outcome, strict=True).status == "pass"
