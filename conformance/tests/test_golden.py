"""Every golden case in data/, run by both implementations, against its generated values and
against every figure the tutorials print.

Loading the cases (`load_all`, when this module is collected) first checks data/ against its
MANIFEST.sha256 and every case's meaning: a modified, missing or extra file, or a case that no
longer keeps its promises, fails the collection with a message naming the file.

Ids: generated values `<case>/<implementation>` (every recorded tensor at every recorded step;
a failure names each tensor that differs and prints, for the first three, a per-step table of
the largest errors and the first divergence), printed
figures `<check>/<subject>` such as `T1-blog/epoch9/prediction/scratch`, where the subject is
scratch, reference, or the golden file itself.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from conformance.golden.checks import StepTensors, check_figure, check_tensors
from conformance.golden.comparison import compare_frames
from conformance.golden.runner import IMPLEMENTATIONS, recipe_params, trajectory
from conformance.golden.tensors import trajectory_arrays
from conformance.tests.inputs import golden_cases

CASES = {case.id: case for case in golden_cases()}


@functools.cache
def computed(case_id: str, implementation: str) -> pd.DataFrame:
    """The case's trajectory by an implementation, or the golden file's own values."""
    case = CASES[case_id]
    if implementation == "golden-file":
        return case.expected
    return trajectory(case, implementation)


@functools.cache
def cells(case_id: str, implementation: str) -> StepTensors:
    return StepTensors.from_frame(computed(case_id, implementation), f"{case_id} {implementation}")


@functools.cache
def report(case_id: str, implementation: str) -> pd.DataFrame:
    return compare_frames(computed(case_id, implementation), CASES[case_id].expected)


GENERATED = [
    pytest.param(case.id, impl, id=f"{case.id}/{impl}")
    for case in CASES.values()
    for impl in IMPLEMENTATIONS[case.kind]
]

FIGURES = [
    pytest.param(case.id, i, subject, id=f"{figure.check}/{subject}")
    for case in CASES.values()
    if case.transcribed is not None
    for i, figure in case.transcribed.iterrows()
    for subject in (*IMPLEMENTATIONS[case.kind], "golden-file")
]


def test_every_case_has_generated_values():
    missing = [c.id for c in CASES.values() if c.expected is None]
    assert not missing, (
        f"run `python -m conformance.golden regenerate`: {missing} lack expected.csv"
    )


@pytest.mark.parametrize(("case_id", "implementation"), GENERATED)
def test_generated_values(case_id, implementation):
    check_tensors(CASES[case_id], report(case_id, implementation), implementation)


@pytest.mark.parametrize(("case_id", "index", "subject"), FIGURES)
def test_printed_figure(case_id, index, subject):
    case = CASES[case_id]
    check_figure(case, case.transcribed.loc[index], cells(case_id, subject), subject)


@pytest.mark.parametrize(
    "case", [c for c in CASES.values() if "init" in c.meta], ids=lambda c: f"{c.id}/init"
)
def test_initial_parameters_are_the_recipe_bit_for_bit(case):
    init = case.meta["init"]
    ours = recipe_params(init["recipe"], init["sizes"], init["seed"])
    if case.kind == "init":
        ours_frame = trajectory(case, "scratch")
        assert np.array_equal(ours_frame["value"], case.expected["value"]), (
            f"{case.id}: bits differ"
        )
    else:
        for name, array in ours.arrays().items():
            assert np.array_equal(array, case.params.arrays()[name]), f"{case.id}/params/{name}"


# -- the tutorials' results, on the golden data ------------------------------------------------


def test_T2_erratum_autograd_finds_a_factor_m():
    # T2's loss is mean((A - Y)**2) / 2 over all n*m elements; its stated derivative is
    # (A - Y) / n. Autograd of that loss is (A - Y) / (n m): the stated one is m times too big.
    import torch

    case = CASES["T2-erratum-2-3-2"]
    n, m = case.data["Y"].shape
    out = trajectory_arrays(case.path, computed(case.id, "reference"))[(0, "A2")]
    Y = case.data["Y"]
    a = torch.tensor(out, requires_grad=True)
    (autograd,) = torch.autograd.grad(((a - torch.tensor(Y)) ** 2).mean() / 2, a)
    stated = (out - Y) / n
    assert m == 2
    np.testing.assert_allclose(stated, m * autograd.numpy(), rtol=1e-15, atol=0)
    # Our MSE has no such problem: its gradient is autograd's, for both reductions.
    from scratch.losses import mse_grad

    np.testing.assert_allclose(mse_grad(out, Y, "element_mean"), autograd.numpy(), rtol=1e-15)
    (per_sample,) = torch.autograd.grad(((a - torch.tensor(Y)) ** 2).sum() / (2 * n), a)
    np.testing.assert_allclose(mse_grad(out, Y, "sample_mean"), per_sample.numpy(), rtol=1e-15)


@pytest.mark.parametrize("implementation", ["scratch", "reference"])
def test_T4_softmax_cross_entropy_dz_is_p_minus_y(implementation):
    case = CASES["T4-softmax-ce"]
    arrays = trajectory_arrays(case.path, computed(case.id, implementation))
    n = case.data["Y"].shape[0]

    def tensor(name):
        return arrays[(0, name)]

    np.testing.assert_allclose(tensor("dZ1"), (tensor("A1") - case.data["Y"]) / n, rtol=1e-14)


@pytest.mark.parametrize("case_id", ["T4-perceptron-and", "T4-perceptron-2d"])
def test_T4_perceptron_converges(case_id):
    frame = CASES[case_id].expected
    errors = frame[frame["tensor"] == "errors"].sort_values("step")["value"].to_numpy()
    assert errors[-1] == 0 and (errors[:-1] > 0).all(), f"{case_id}: errors per epoch {errors}"
