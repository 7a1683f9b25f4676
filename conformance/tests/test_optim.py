"""`scratch.optim`: torch.optim.SGD's update, written from its formulas, against torch itself.

Each test has three labelled blocks: the update in scratch, the same update by a plain
`torch.optim.SGD` on one tensor, then the comparison (float64 tolerance). The gradients are
fixed arrays fed step by step, so only the optimizer is under test. Then the two momentum
conventions (torch's v = mu v + g, P -= lr v; CS231n's u = mu u - lr g, P += u): where they
coincide and where they part. Then the argument checks, which follow torch's.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conformance.compare import assert_close
from conformance.tolerances import FLOAT64
from scratch import ConfigError, DTypeError, Network, NetworkSpec, NonFiniteError, Params
from scratch.optim import SGD, sgd_update

RNG = np.random.default_rng(15)
P0 = RNG.standard_normal((3, 2))
GRADS = [RNG.standard_normal((3, 2)) for _ in range(4)]
LR = 0.1

OPTIONS = {
    "plain": {},
    "momentum": {"momentum": 0.9},
    "nesterov": {"momentum": 0.9, "nesterov": True},
    "dampening": {"momentum": 0.9, "dampening": 0.5},
    "weight_decay": {"weight_decay": 0.1},
    "all": {"momentum": 0.8, "weight_decay": 0.05, "nesterov": True},
}


def torch_sgd(options: dict, maximize: bool, lrs: list[float]) -> list[tuple]:
    """(P, momentum buffer or None) after each step of a plain `torch.optim.SGD` loop."""
    p = torch.nn.Parameter(torch.tensor(P0))
    opt = torch.optim.SGD([p], lr=lrs[0], maximize=maximize, **options)
    out = []
    for lr, g in zip(lrs, GRADS, strict=False):
        opt.param_groups[0]["lr"] = lr
        p.grad = torch.tensor(g)
        opt.step()
        v = opt.state[p].get("momentum_buffer")
        out.append((p.detach().numpy().copy(), None if v is None else v.numpy().copy()))
    return out


@pytest.mark.parametrize("maximize", [False, True], ids=["minimize", "maximize"])
@pytest.mark.parametrize("name", list(OPTIONS))
def test_sgd_update_matches_torch_optim_sgd(name, maximize):
    # scratch: four steps of sgd_update, the buffer starting as None
    sgd, P, v, ours = SGD(**OPTIONS[name]), P0, None, []
    for g in GRADS:
        P, v = sgd_update(P, g, v, LR, sgd, maximize)
        ours.append((P, v))
    # torch: the same four gradients through torch.optim.SGD
    theirs = torch_sgd(OPTIONS[name], maximize, [LR] * len(GRADS))
    # compare: parameters and buffers after every step; no buffer without momentum
    for step, ((P, v), (P_t, v_t)) in enumerate(zip(ours, theirs, strict=True)):
        assert_close(P, P_t, FLOAT64, f"{name}/step{step}/P")
        assert (v is None) == (v_t is None), f"{name}/step{step}: a buffer on one side only"
        if v is not None:
            assert_close(v, v_t, FLOAT64, f"{name}/step{step}/v")


def test_first_buffer_is_the_gradient_without_dampening():
    # torch starts the buffer as a copy of the first gradient: dampening acts from step 2 on
    sgd = SGD(momentum=0.9, dampening=0.5)
    _, v1 = sgd_update(P0, GRADS[0], None, LR, sgd)
    np.testing.assert_array_equal(v1, GRADS[0])
    _, v2 = sgd_update(P0, GRADS[1], v1, LR, sgd)
    np.testing.assert_array_equal(v2, 0.9 * GRADS[0] + 0.5 * GRADS[1])


def cs231n_momentum(mu: float, lrs: list[float]) -> list[np.ndarray]:
    """CS231n / Sutskever's convention: u = mu u - lr g, P = P + u, u starting at 0."""
    P, u, out = P0, np.zeros_like(P0), []
    for lr, g in zip(lrs, GRADS, strict=False):
        u = mu * u - lr * g
        P = P + u
        out.append(P)
    return out


def torch_momentum(mu: float, lrs: list[float]) -> list[np.ndarray]:
    """scratch's (torch's) convention: v = mu v + g (v = g at first), P = P - lr v."""
    P, v, out = P0, None, []
    for lr, g in zip(lrs, GRADS, strict=False):
        P, v = sgd_update(P, g, v, lr, SGD(momentum=mu))
        out.append(P)
    return out


def test_conventions_coincide_at_a_constant_learning_rate():
    # u = -lr v step by step: the same parameters, up to the rounding of a different order
    for step, (a, b) in enumerate(
        zip(torch_momentum(0.9, [LR] * 4), cs231n_momentum(0.9, [LR] * 4), strict=True)
    ):
        assert_close(a, b, FLOAT64, f"constant lr/step{step}")


def test_conventions_part_when_the_learning_rate_changes():
    # lr 0.1 then 0.01: torch's second step moves by 0.01 (mu g1 + g2), the new lr scaling
    # the whole history; CS231n's by mu 0.1 g1 + 0.01 g2, the old step kept at its old lr
    lrs = [0.1, 0.01]
    ours, theirs = torch_momentum(0.9, lrs), cs231n_momentum(0.9, lrs)
    assert_close(ours[0], theirs[0], FLOAT64, "step0 (one lr so far)")
    np.testing.assert_allclose(ours[1], P0 - 0.1 * GRADS[0] - 0.01 * (0.9 * GRADS[0] + GRADS[1]))
    np.testing.assert_allclose(
        theirs[1], P0 - 0.1 * GRADS[0] - (0.9 * 0.1 * GRADS[0] + 0.01 * GRADS[1])
    )
    gap = np.abs(ours[1] - theirs[1]).max()
    assert gap == pytest.approx(0.9 * 0.09 * np.abs(GRADS[0]).max(), rel=1e-12), gap
    # torch.optim.SGD itself takes scratch's side
    assert_close(ours[1], torch_sgd({"momentum": 0.9}, False, lrs)[1][0], FLOAT64, "torch")


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"momentum": -0.1}, ConfigError),
        ({"weight_decay": -1.0}, ConfigError),
        ({"nesterov": True}, ConfigError),  # nesterov without momentum
        ({"momentum": 0.9, "nesterov": True, "dampening": 0.1}, ConfigError),
        ({"momentum": float("nan")}, ConfigError),
        ({"momentum": "0.9"}, DTypeError),
        ({"nesterov": 1}, DTypeError),
    ],
    ids=str,
)
def test_bad_options_are_refused_as_torch_refuses_them(options, error):
    with pytest.raises(error):
        SGD(**options)
    if error is ConfigError and all(isinstance(v, float | bool) for v in options.values()):
        with pytest.raises(ValueError):  # torch refuses the same (NaN aside, which it takes)
            if options.get("momentum") == options.get("momentum"):
                torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, **options)
            else:
                raise ValueError


def test_network_velocity_starts_empty_and_a_rejected_step_keeps_it():
    spec = NetworkSpec.build([1, 1], hidden="identity", output="identity", loss="mse")
    net = Network(spec, Params([np.array([[1.0]])], [np.array([0.0])]))
    X, Y = np.array([[1.0]]), np.array([[3.0]])
    assert net.velocity is None
    net.train(X, Y, 0.1, 2, optimizer=SGD(momentum=0.9))
    kept = (net.params, net.velocity)
    with pytest.raises(NonFiniteError), np.errstate(over="ignore", invalid="ignore"):
        net.train(X, Y, 1e308, 3, optimizer=SGD(momentum=0.9))
    assert (net.params, net.velocity) == kept
