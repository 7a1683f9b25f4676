"""The reduction after Hypothesis's shrink (`conformance.ports.reduce`): every smaller case it
tries is a valid case, it reaches the smallest case that still fails, and a planted bug ends
in a case of one layer and the fewest samples that show it. Also the fuzz's strata."""

from __future__ import annotations

import numpy as np
import pytest

from conformance.golden.cases import load_case
from conformance.ports.__main__ import mutant_answer
from conformance.ports.generated import (
    OPTIMIZERS,
    STRATA,
    Diverged,
    Drawn,
    materialize,
    record_for,
    stratum_examples,
    write_inputs,
)
from conformance.ports.grading import grade
from conformance.ports.reduce import reduce_failure, reductions
from conformance.tolerances import GENERATED
from scratch import Params


def deep_case() -> Drawn:
    """A 3-4-3-2 network (tanh, sigmoid, identity), 3 samples, 2 steps, biases, layout t2,
    objective cost: every value on the grid, none 0."""
    W = [
        [[1, -0.5, 2], [0.5, 1, -1], [-2, 0.5, 1], [1, 1, -0.5]],
        [[0.5, -1, 1, 2], [-0.5, 0.5, 1, -1], [1, 2, -0.5, 0.5]],
        [[1, -1, 0.5], [-0.5, 2, 1]],
    ]
    b = [[0.5, -0.5, 1, -1], [1, -1, 0.5], [-0.5, 0.5]]
    meta = {
        "kind": "network",
        "layout": "t2",
        "network": {
            "sizes": [3, 4, 3, 2],
            "activations": ["tanh", "sigmoid", "identity"],
            "loss": "mse",
            "reduction": "sample_mean",
            "bias": True,
        },
        "training": {"lr": 0.25, "steps": 2, "objective": "cost", "maximize": True},
        "record": {"every_step": [], "full_steps": [0, 1]},
    }
    X = np.array([[1, -1, 0.5], [2, 0.5, -1], [-0.5, 1, 1]], dtype=float)
    Y = np.array([[1, -1], [0.5, 2], [-2, 1]], dtype=float)
    params = Params([np.array(w, dtype=float) for w in W], [np.array(v, dtype=float) for v in b])
    return Drawn(meta, params, {"X": X, "Y": Y})


def test_every_smaller_case_is_a_valid_case(tmp_path):
    # Each candidate is written and loaded back through the golden loader, which checks every
    # shape against the sizes and the layout: a reduction that broke the format would raise.
    tried = []
    for i, (what, smaller) in enumerate(reductions(deep_case())):
        case = load_case(write_inputs(smaller, tmp_path / f"c{i:04d}"))
        tried.append(what)
        assert case.kind == "network"
    assert tried[:2] == ["hidden layer 1 removed", "hidden layer 2 removed"]
    assert {"sample 2 removed", "a step fewer", "unit 3 of layer 1 removed", "no bias"} <= set(
        tried
    )
    assert {"maximize False", "layout t1", "activation 2 identity", "W3[1, 2] = 0"} <= set(tried)


def test_every_smaller_case_keeps_the_record_of_a_generated_case():
    # A case of 3 steps records its middle step lightly (a port's fast path runs it); its
    # smaller cases keep that rule, so that a bug of the fast path still shows in them.
    deep = deep_case()
    meta = {**deep.meta, "training": {**deep.meta["training"], "steps": 3}}
    meta["record"] = record_for(3, 3)
    for what, smaller in reductions(Drawn(meta, deep.params, deep.data)):
        steps = smaller.meta["training"]["steps"]
        depth = len(smaller.meta["network"]["activations"])
        assert smaller.meta["record"] == record_for(steps, depth), what


def test_the_reduction_reaches_the_smallest_case_that_still_fails():
    # A stand-in for a port: it "fails" every case with a tanh layer and two samples or more.
    def still_fails(drawn: Drawn) -> Drawn | None:
        net = drawn.meta["network"]
        return drawn if "tanh" in net["activations"] and drawn.data["X"].shape[0] >= 2 else None

    smallest, kept, attempts = reduce_failure(deep_case(), lambda d: d, still_fails)
    # The tanh layer cannot go (nor can it become identity), nor the layer after it (tanh as
    # the output would be the other order); everything else is as small and plain as it gets.
    assert smallest.summary() == (
        "network 1-1-1 tanh/identity, mse (sample_mean), layout t1, objective cost, no bias, "
        "lr 0.25, 1 steps, n = 2"
    )
    assert not any(a.any() for a in [*smallest.params.W, *smallest.data.values()])
    assert kept[0] == "hidden layer 2 removed" and attempts < 300


def test_a_planted_bug_reduces_to_one_layer_and_the_samples_it_needs(tmp_path):
    # The MSE gradient without its 1/n shows only with n > 1: the reduction keeps 2 samples.
    answer = mutant_answer("mse-grad-missing-1-over-n")
    counter = iter(range(10_000))

    def still_fails(drawn: Drawn) -> Drawn | None:
        try:
            case = materialize(drawn, tmp_path / f"r{next(counter):05d}")
        except Diverged:
            return None
        wrong = grade(case, answer(case), strict=True, tol=GENERATED).status == "fail"
        return drawn if wrong else None

    start = deep_case()
    assert still_fails(start) is not None
    smallest, kept, _ = reduce_failure(start, lambda d: d, still_fails)
    net = smallest.meta["network"]
    assert net["sizes"] == [1, 1] and smallest.data["X"].shape == (2, 1), smallest.summary()
    assert "samples after the first 2 removed" in kept


def test_the_cases_are_split_evenly_among_the_strata():
    assert list(stratum_examples(100).values()) == [12, 11, 11, 11, 11, 11, 11, 11, 11]
    assert sum(stratum_examples(6).values()) == 6 and stratum_examples(6)["perceptron"] == 1
    assert len(STRATA) == 9


@pytest.mark.parametrize("stratum", list(STRATA))
def test_each_stratum_draws_its_kind(stratum):
    # 8 draws of each stratum (the first is its simplest case): every one is of the kind the
    # stratum promises. The fuzz itself draws within each stratum the same way.
    from hypothesis import HealthCheck, given, settings

    seen = []

    @settings(max_examples=8, database=None, suppress_health_check=list(HealthCheck))
    @given(STRATA[stratum])
    def draw(drawn: Drawn) -> None:
        seen.append(drawn)

    draw()
    for drawn in seen:
        m = drawn.meta
        if stratum == "perceptron":
            assert m["kind"] == "perceptron"
            continue
        net, training = m["network"], m["training"]
        if stratum == "objective output":
            assert training["objective"] == "output"
        elif stratum == "SGD options":
            assert m["optimizer"] in OPTIMIZERS
            size = training.get("batch_size", 0)
            n = drawn.data["X"].shape[0]
            assert ("order" in drawn.data) == (0 < size < n)
        elif stratum.startswith("square"):
            W = drawn.params.W
            assert m["layout"] in ("t2", "t3")
            assert all(w.shape[0] == w.shape[1] for w in W[:-1] if w.shape[1] > 1), net["sizes"]
        else:
            assert f"{net['loss']}, {net['reduction']}" == stratum
            assert training["objective"] == "cost"
