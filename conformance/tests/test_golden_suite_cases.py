"""The cases this suite made for the mutant catalogue (tutorial "suite", data/README.md) catch
what each was made for, and by a wrong value: a "fail" whose first divergence names a tensor,
never a crash of the mutant's own shape checks, and without `--strict` (a port that omits a
group passes leniently, so an omission alone catches nothing).

Each test runs one mutant of conformance/ports/mutants.py on one case and grades it as a port
is graded by default; `test_mutant_catalogue.py` asserts that the catalogue as a whole catches
them all.
"""

from __future__ import annotations

import pytest

from conformance.ports.__main__ import mutant_answer
from conformance.ports.grading import CaseResult, grade
from conformance.ports.report import case_detail
from conformance.tests.inputs import golden_cases

CASES = {case.id: case for case in golden_cases()}
PERCEPTRONS = ["T4-perceptron-and", "T4-perceptron-2d", "S-perceptron-max-epochs"]
CONVERGING = ["T4-perceptron-and", "T4-perceptron-2d"]


def graded(mutant: str, case_id: str) -> CaseResult:
    """The mutant as a port, on one case, graded leniently (the default of `check`); NumPy's
    floating-point errors warn there, as in a port's own process (the suite makes them raise)."""
    return grade(CASES[case_id], mutant_answer(mutant)(CASES[case_id]))


def failing(result: CaseResult) -> list[tuple[int, str]]:
    """The (step, tensor) groups whose values are out of tolerance."""
    bad = result.groups[result.groups["state"] == "fail"]
    return list(zip(bad["step"], bad["tensor"], strict=True))


@pytest.mark.parametrize(
    ("mutant", "case_id", "first", "among"),
    [
        # dA1 = dZ2 W2^T where T2's layout needs dZ2 W2 (in the internal layout: W for W^T);
        # the square, non-symmetric W2 keeps every shape and changes the values
        ("W-where-WT-belongs", "S-t2-square", (0, "dA1"), (0, "dW1")),
        # dA2 = 1/3 instead of 1 for each of the 3 samples and 2 outputs: the backward pass
        # starts there, so it is the first divergence in computation order
        ("output-objective-mean", "S-output-objective-batch", (0, "dA2"), (0, "dA1")),
        # logits of 709.5: exp is finite, the sum of two is not; an unshifted softmax gives
        # probabilities 0, a wrong value (S-softmax-large-logits makes it crash instead)
        ("softmax-no-max-shift", "S-softmax-exp-overflow", (0, "A1"), (0, "dZ1")),
        # <dA1, a> summed over the 3 samples: the hidden softmax's dZ1 is the first wrong value
        ("softmax-backward-batch-sum", "S-softmax-hidden-ce-sum", (0, "dZ1"), (0, "dW1")),
        # reduction sum divided by n = 3: the cost, then the output's gradients
        ("ce-sum-divided-by-n", "S-softmax-hidden-ce-sum", (0, "cost"), (0, "dZ2")),
        # the fast path runs steps 1 and 2 (recorded lightly); step 0 and the cost and output
        # of step 1 are right, the output of step 2 is the first wrong value
        ("fast-ignores-maximize", "S-fast-path-flags", (2, "A2"), (3, "W1_after")),
        ("fast-ignores-freeze-biases", "S-fast-path-flags", (2, "A2"), (3, "b1_after")),
    ],
    ids=lambda x: x if isinstance(x, str) else None,
)
def test_a_suite_case_catches_its_mutant_by_a_value(mutant, case_id, first, among):
    result = graded(mutant, case_id)
    assert result.status == "fail" and result.first_divergence == first, case_detail(result)
    assert among in failing(result), case_detail(result)


def test_the_fast_path_case_takes_the_fast_path_for_its_light_steps():
    # Steps 1 and 2 record the cost and the output only: the golden runner runs them through
    # Network.train without record (scratch.fast), the others with record.
    case = CASES["S-fast-path-flags"]
    assert case.meta["record"] == {"every_step": ["cost", "A2"], "full_steps": [0, 3]}
    assert case.meta["training"]["maximize"] and case.meta["training"]["freeze_biases"]
    for mutant in ("fast-ignores-maximize", "fast-ignores-freeze-biases"):
        wrong = {step for step, _ in failing(graded(mutant, case.id))}
        assert min(wrong) == 2, mutant  # step 1's update is the first one the fast path makes


@pytest.mark.parametrize("case_id", PERCEPTRONS)
def test_a_perceptron_that_stops_an_epoch_early_fails_by_its_epochs(case_id):
    result = graded("perceptron-stops-early", case_id)
    # the last epoch is omitted (lenient: not a failure); only the count can tell
    assert result.status == "fail" and failing(result) == [(0, "epochs")], case_detail(result)


@pytest.mark.parametrize("case_id", CONVERGING)
def test_a_perceptron_that_runs_past_the_error_free_epoch_fails_by_its_epochs(case_id):
    result = graded("perceptron-runs-past", case_id)
    # the extra epoch is ignored (the case does not expect it); only the count can tell
    assert result.status == "fail" and failing(result) == [(0, "epochs")], case_detail(result)
    assert result.count("omitted") == 0


def test_the_max_epochs_case_ends_with_errors_at_max_epochs():
    case = CASES["S-perceptron-max-epochs"]
    frame = case.expected
    errors = frame[frame["tensor"] == "errors"].sort_values("step")["value"].tolist()
    epochs = frame[frame["tensor"] == "epochs"]["value"].tolist()
    assert errors == [3, 3, 4, 4] and epochs == [case.meta["perceptron"]["max_epochs"]]
