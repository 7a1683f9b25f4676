"""The float32 bound of a case: for every expected value, the farthest an honest float32 port can
be from the float64 golden value (`float32_bound`), or infinity where float32 rounding can flip
a decision (a relu pre-activation or a perceptron sum on the wrong side of 0) and the value is
not graded. The derivation, its assumptions and what was measured are in
`conformance.tolerances` ("Float32 ports", rules F1 to F8); this module computes it, rule by
rule, from the case itself: a float64 run of the case gives every intermediate value, and the
bound is propagated beside it (a running error analysis).

Within a step every bound is elementwise: each tensor's bound follows from its inputs' bounds
and its own rounding. Between steps the parameters' error is carried by the step map's
Jacobian (F7): elementwise bounds through hundreds of steps compound to nonsense (T4's 1000
steps: 1e87), while the signed linearisation keeps the contraction that gradient descent has.
Not for: float64 grading (`conformance.tolerances.FLOAT64`, `GENERATED`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from conformance.golden.cases import Case
from conformance.tolerances import (
    ELEMENTARY_ULPS,
    FLOAT32_TINY,
    FLOAT32_U,
    FLOAT64_TINY,
    INIT_ROUNDINGS,
)
from scratch import Network, Perceptron
from scratch.layouts import named_in_layout
from scratch.perceptron import epoch_tensors

U = FLOAT32_U
ULP = 2 * U
"""One unit in the last place of a float32 value x is at most 2u |x|."""
EXP = ELEMENTARY_ULPS["exp"] * ULP
LOG = ELEMENTARY_ULPS["log"] * ULP
TANH = ELEMENTARY_ULPS["tanh"] * ULP
SIGMOID = EXP + 2 * U
"""1 / (1 + exp(-z)): exp's error, shrunk by e/(1 + e) <= 1 in the sum, then two roundings."""


def gamma(k: int | np.ndarray) -> float | np.ndarray:
    """gamma_k = k u / (1 - k u): the relative error bound of k roundings (Higham, 3.1)."""
    return k * U / (1 - k * U)


def _representable(x: np.ndarray) -> np.ndarray:
    """True where x is a float32 value."""
    with np.errstate(over="ignore"):
        return x.astype(np.float32).astype(np.float64) == x


def input_error(x: np.ndarray | float) -> np.ndarray:
    """F1: a value read by a float32 port is rounded once, u |x| (and 2^-52 |x| more for a port
    that rounds the decimal text to float32 directly), or not at all if x is a float32 value."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(_representable(x), 0.0, (U + 2.0**-52) * np.abs(x))


def _grid_exponent(x: np.ndarray) -> np.ndarray:
    """The largest e with x a multiple of 2^e (+inf for 0)."""
    m, e = np.frexp(np.abs(x))
    significand = (m * 2.0**53).astype(np.int64)
    low = (significand & -significand).astype(np.float64)
    with np.errstate(divide="ignore"):
        return np.where(x == 0, np.inf, e - 53 + np.log2(np.where(x == 0, 1.0, low)))


def exact_sum(terms: np.ndarray) -> np.ndarray:
    """F2's exception: True where the sum over the last axis of `terms` (float32 values and
    products of two, all exact in float64) is exact in float32 in any order: every term is a
    multiple of 2^g and the sum of their magnitudes is at most 2^(g + 24), so every product and
    partial sum is an integer multiple of 2^g below 2^24 of them, a float32 value."""
    g = _grid_exponent(terms).min(axis=-1)
    total = np.abs(terms).sum(axis=-1)
    with np.errstate(over="ignore", invalid="ignore"):
        return (total == 0) | (total <= np.exp2(np.where(np.isinf(g), 0.0, g) + 24))


def mul_error(x, ex, y, ey, rounded: bool = True):
    """F2 for one product: |x^ y^ (1 + d) - x y| <= |x| ey + ex |y| + ex ey + u |x^ y^|."""
    ax, ay = np.abs(x), np.abs(y)
    prop = ax * ey + ex * ay + ex * ey
    return prop + (U * (ax + ex) * (ay + ey) if rounded else 0.0)


def add_error(s, e_in):
    """F2 for one addition whose exact result is s and whose inputs carry e_in in all."""
    return e_in + U * (np.abs(s) + e_in)


def scale_error(x, ex, divisor: float):
    """x / d: exact for a power of 2; else one division, or a reciprocal and a product (2u)."""
    exact = float(divisor) == 2.0 ** np.round(np.log2(divisor))
    return (ex + (0.0 if exact else 2 * U * (np.abs(x) + ex))) / divisor


def matmul_error(A, eA, B, eB, c=None, ec=None, exact_where_possible: bool = False):
    """F2 for A @ B (+ c) with A (n, m), B (m, p), c (p,): each entry a sum of m products (and
    c): the inputs' errors through |A|, |B|, plus gamma_{m (+1)} times the sum of the terms'
    magnitudes, whatever the order or blocking of the sum (FMA included). With
    `exact_where_possible`, an entry whose inputs are exact and whose sum is exact in float32
    (`exact_sum`) gets no rounding term."""
    aA, aB = np.abs(A), np.abs(B)
    prop = eA @ aB + aA @ eB + eA @ eB
    terms = (aA + eA) @ (aB + eB)
    k = A.shape[1]
    if c is not None:
        prop = prop + ec
        terms = terms + np.abs(c) + ec
        k += 1
    rounding = gamma(k) * terms
    if exact_where_possible:
        clean = ((eA == 0).all(axis=1)[:, None]) & ((eB == 0).all(axis=0)[None, :])
        if c is not None:
            clean &= ec == 0
        if clean.any():
            products = A[:, :, None] * B[None, :, :]  # (n, m, p)
            parts = np.moveaxis(products, 1, -1)  # (n, p, m)
            if c is not None:
                parts = np.concatenate([parts, np.broadcast_to(c, parts.shape[:2])[..., None]], -1)
            rounding = np.where(clean & exact_sum(parts), 0.0, rounding)
    return _no_nan(prop + rounding)


def _no_nan(x):
    """NaN (an infinite bound times a zero) as +inf: a bound that has blown up stays blown up."""
    return np.where(np.isnan(x), np.inf, x)


# -- activations (F3) ------------------------------------------------------------------------
def activation_error(name: str, Z, eZ, A):
    """The error of A = f(Z) from Z's error (through the largest |f'| within eZ of Z) and f's
    own error; and, for relu, the cells where the kink can flip (|Z| <= eZ, eZ > 0)."""
    risk = np.zeros(Z.shape, dtype=bool)
    if name == "identity":
        return eZ, risk
    if name == "relu":
        risk = (eZ != 0) & ~(np.abs(Z) > eZ)
        return np.minimum(eZ, np.maximum(0.0, Z + eZ)), risk
    nearest = np.maximum(0.0, np.abs(Z) - eZ)  # the point of [Z - eZ, Z + eZ] nearest 0
    if name == "tanh":
        prop = (1 - np.tanh(nearest) ** 2) * eZ
        return prop + TANH * (np.abs(A) + prop), risk
    if name == "sigmoid":
        s = 1 / (1 + np.exp(-nearest))
        prop = s * (1 - s) * eZ
        return prop + SIGMOID * (A + prop), risk
    # softmax, row-wise: each exponent z_j - z_i moves by at most eps_i + eps_j, where eps
    # holds the input's error and the rounding of z - max; then exp on each term, the sum of k
    # positive terms and the division.
    k = Z.shape[1]
    eps = eZ + U * np.abs(Z - Z.max(axis=1, keepdims=True))
    moved = np.expm1(eps + eps.max(axis=1, keepdims=True))
    rel = (1 + moved) * (1 + EXP) ** 2 * (1 + gamma(k - 1)) * (1 + U) - 1
    return _no_nan(A * rel), risk


def aprime_error(name: str, A, eA):
    """The error of f'(Z) as the tutorials compute it: 1 - A^2 (tanh), A (1 - A) (sigmoid);
    identity and relu give exact 0s and 1s (a relu flip is handled by the caller)."""
    if name == "tanh":
        square = mul_error(A, eA, A, eA)
        return add_error(1 - A * A, square)
    if name == "sigmoid":
        one_minus = add_error(1 - A, eA)
        return mul_error(A, eA, 1 - A, one_minus)
    return np.zeros_like(A)


def delta_error(name: str, A, eA, dA, edA, aprime, e_aprime):
    """The error of dZ = f'(Z) * dA (elementwise), or, for softmax, of the Jacobian product
    dZ_i = A_i (dA_i - sum_j A_j dA_j)."""
    if name in ("identity", "relu"):
        return mul_error(aprime, e_aprime, dA, edA, rounded=False)  # times exact 0 or 1
    if name != "softmax":
        return mul_error(aprime, e_aprime, dA, edA)
    k = A.shape[1]
    terms = np.abs(A) * np.abs(dA)
    e_terms = mul_error(A, eA, dA, edA, rounded=False)
    s = (A * dA).sum(axis=1, keepdims=True)
    e_s = e_terms.sum(axis=1, keepdims=True) + gamma(k) * (terms + e_terms).sum(
        axis=1, keepdims=True
    )
    t = dA - s
    e_t = add_error(t, edA + e_s)
    return mul_error(A, eA, t, e_t)


# -- one step (F2 to F6) ---------------------------------------------------------------------
@dataclass
class StepErrors:
    """Every tensor's error bound at one step, in the internal layout (W (n_out, n_in)), and
    the relu cells whose kink can flip (by layer index)."""

    Z: list
    A: list
    cost: float
    dA: list
    dZ: list
    aprime: list
    dW: list
    db: list
    risk: dict


def step_errors(
    net: Network, record, X, eX, Y, eY, eW, eb, objective: str, backward: bool = True
) -> StepErrors:
    """The bounds of one step whose float64 values are `record` (a `StepRecord`), its
    parameters carrying eW, eb and its data eX, eY (the forward pass and the cost only, unless
    `backward`)."""
    spec, params, cache, deltas = net.spec, record.params, record.cache, record.deltas
    L = spec.depth
    acts = spec.activations
    eZ, eA, risk = [], [eX], {}
    for i in range(L):
        b = params.b[i]
        ez = matmul_error(
            cache.A[i],
            eA[i],
            params.W[i].T,
            eW[i].T,
            None if b is None else b,
            None if b is None else eb[i],
            exact_where_possible=True,
        )
        ea, r = activation_error(acts[i], cache.Z[i], ez, cache.A[i + 1])
        eZ.append(ez)
        eA.append(ea)
        if r.any():
            risk[i] = r
    A_L, eA_L, Z_L, eZ_L = cache.A[L], eA[L], cache.Z[L - 1], eZ[L - 1]
    n = A_L.shape[0]
    d = {"sample_mean": n, "sum": 1, "element_mean": A_L.size}[spec.reduction]
    # cost (F5)
    if spec.loss == "mse":
        r = A_L - Y
        e_r = add_error(r, eA_L + eY)
        e_sq = mul_error(r, e_r, r, e_r)
        total = (r * r).sum()
        e_total = e_sq.sum() + gamma(r.size - 1) * (r * r + e_sq).sum()
        e_cost = float(scale_error(total, e_total, 2 * d))
    else:
        e_cost = float(_cross_entropy_error(Z_L, eZ_L, A_L, eA_L, Y, d))
    if not backward:
        return StepErrors(eZ, eA[1:], e_cost, [], [], [], [], [], risk)
    # dA(L), dZ(L) (F5)
    ap_err = [aprime_error(acts[i], cache.A[i + 1], eA[i + 1]) for i in range(L)]
    for i, r in risk.items():
        ap_err[i] = np.where(r, np.inf, ap_err[i])
    edA, edZ = [None] * L, [None] * L
    if objective == "output":
        edA[-1] = np.zeros_like(A_L)
    elif spec.loss == "mse":
        edA[-1] = scale_error(A_L - Y, add_error(A_L - Y, eA_L + eY), d)
    else:
        edA[-1] = _cross_entropy_grad_error(A_L, eA_L, Y, d)
    if spec.loss == "cross_entropy" and objective == "cost":
        edZ[-1] = scale_error(A_L - Y, add_error(A_L - Y, eA_L), d)
    else:
        edZ[-1] = _delta(acts, L - 1, cache, deltas, eA, edA[-1], ap_err)
    # backward through the layers (F4)
    edW, edb = [None] * L, [None] * L
    for i in reversed(range(L)):
        dZ, edz = deltas.dZ[i], edZ[i]
        edW[i] = matmul_error(dZ.T, edz.T, cache.A[i], eA[i])
        if spec.bias:
            terms = np.abs(dZ) + edz
            edb[i] = edz.sum(axis=0) + gamma(dZ.shape[0] - 1) * terms.sum(axis=0)
        if i > 0:
            edA[i - 1] = matmul_error(dZ, edz, params.W[i], eW[i])
            edZ[i - 1] = _delta(acts, i - 1, cache, deltas, eA, edA[i - 1], ap_err)
    return StepErrors(eZ, eA[1:], e_cost, edA, edZ, ap_err, edW, edb, risk)


def _delta(acts, i, cache, deltas, eA, edA, ap_err):
    aprime = deltas.aprime[i]
    if aprime is not None:
        aprime = np.where(np.isinf(ap_err[i]), 0.0, aprime)
    e_ap = np.where(np.isinf(ap_err[i]), 1.0, ap_err[i])  # a flip moves relu' by 1 (F8)
    return delta_error(acts[i], cache.A[i + 1], eA[i + 1], deltas.dA[i], edA, aprime, e_ap)


def _cross_entropy_error(Z, eZ, P, eP, Y, d):
    """F5: -(1/d) sum_i log P_i,c. Either through log-softmax, (z_c - m) - log sum_j
    exp(z_j - m), whose first-order sensitivity to z_j is P_j - [j = c], or as -log of the
    port's own P_c (which needs P_c a normal float32); the larger of the two bounds."""
    k = Z.shape[1]
    true = Y != 0
    shifted = Z - Z.max(axis=1, keepdims=True)
    sensitivity = (np.abs(P - Y) * eZ).sum(axis=1)
    S = np.exp(shifted).sum(axis=1)
    rel_S = (U * np.abs(shifted)).max(axis=1) + EXP + gamma(k - 1)
    loss = -(shifted - np.log(S)[:, None])[true]
    e_logsoftmax = (
        sensitivity
        + U * np.abs(shifted[true])
        + rel_S / (1 - rel_S)
        + LOG * np.log(S)
        + U * np.abs(loss)
    )
    rel_P = eP[true] / np.maximum(P[true], FLOAT64_TINY)
    usable = (P[true] >= FLOAT32_TINY) & (rel_P < 0.5)
    e_log_of_P = np.where(usable, rel_P / (1 - np.minimum(rel_P, 0.5)) + LOG * loss, 0.0)
    e_terms = np.maximum(e_logsoftmax, e_log_of_P)
    n = Z.shape[0]
    return scale_error(loss.sum(), e_terms.sum() + gamma(n - 1) * (loss + e_terms).sum(), d)


def _cross_entropy_grad_error(P, eP, Y, d):
    """F5: dA = -Y / (d P); 0 where Y = 0 and where P is below float64's smallest normal (the
    clip: a float32 port's P is 0 there too). Not graded (inf) where a float32 P may be below
    float32's smallest normal or is too uncertain to divide by."""
    live = (Y != 0) & (P >= FLOAT64_TINY)
    rel = eP / np.where(live, P, 1.0)
    ungraded = live & ((P - eP < FLOAT32_TINY) | (rel >= 0.5))
    safe = np.where(ungraded | ~live, 0.0, rel)
    dA = np.where(live, -Y / (d * np.where(live, P, 1.0)), 0.0)
    return np.where(ungraded, np.inf, np.abs(dA) * (safe / (1 - safe) + 3 * U))


# -- between steps (F7) ----------------------------------------------------------------------
def _flat(W, b):
    return np.concatenate([w.ravel() for w in W] + ([] if b is None else [x.ravel() for x in b]))


def _unflat(theta, spec):
    W, b, i = [], [], 0
    for n_in, n_out in zip(spec.sizes[:-1], spec.sizes[1:], strict=True):
        W.append(theta[i : i + n_in * n_out].reshape(n_out, n_in))
        i += n_in * n_out
    if spec.bias:
        for n_out in spec.sizes[1:]:
            b.append(theta[i : i + n_out])
            i += n_out
    return W, (b if spec.bias else None)


def step_jacobians(spec, thetas: np.ndarray, X, Y, lr: float, options: dict):
    """The Jacobians of the gradient step theta' = theta -+ lr g(theta; X, Y) with respect to
    theta and to the data (X, Y and lr, flattened in that order) at each step's parameters (the
    rows of `thetas`): arrays (steps, P, P) and (steps, P, X.size + Y.size + 1), in float64.

    Torch's autograd, twice: every step is one slice of a batch (its own parameters and its own
    copy of the data, so that no derivative mixes two steps), the gradient is taken with
    create_graph, then each component of the step is differentiated once more. That is P
    backward passes for all the steps together (torch.func would do it in one, but its first
    use imports torch's compiler, seconds of start-up)."""
    import torch

    acts = {
        "identity": lambda z: z,
        "relu": torch.relu,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "softmax": lambda z: torch.softmax(z, dim=-1),
    }
    steps, P = thetas.shape
    n, k = Y.shape
    d = {"sample_mean": n, "sum": 1, "element_mean": n * k}[spec.reduction]
    sign = 1.0 if options["maximize"] else -1.0
    n_weights = sum(a * b for a, b in zip(spec.sizes[:-1], spec.sizes[1:], strict=True))
    f64 = torch.float64
    theta = torch.tensor(thetas, dtype=f64, requires_grad=True)
    Xb = torch.tensor(np.broadcast_to(X, (steps, *X.shape)), dtype=f64, requires_grad=True)
    Yb = torch.tensor(np.broadcast_to(Y, (steps, *Y.shape)), dtype=f64, requires_grad=True)
    rate = torch.full((steps, 1), lr, dtype=f64, requires_grad=True)
    A, Z, start, bias = Xb, None, 0, n_weights  # theta's layout: `_flat`
    for i, name in enumerate(spec.activations):
        n_in, n_out = spec.sizes[i], spec.sizes[i + 1]
        W = theta[:, start : start + n_out * n_in].reshape(steps, n_out, n_in)
        start += n_out * n_in
        Z = A @ W.transpose(1, 2)
        if spec.bias:
            Z = Z + theta[:, bias : bias + n_out][:, None, :]
            bias += n_out
        A = acts[name](Z)
    if options["objective"] == "output":
        cost = A.sum()
    elif spec.loss == "mse":
        cost = ((A - Yb) ** 2).sum() / (2 * d)
    else:
        cost = -(Yb * torch.log_softmax(Z, dim=-1)).sum() / d
    (g,) = torch.autograd.grad(cost, theta, create_graph=True)  # row t: the gradient at step t
    mask = torch.ones(P, dtype=f64)
    if options["freeze_biases"]:
        mask[n_weights:] = 0.0
    after = theta + sign * rate * mask * g
    J_theta = np.empty((steps, P, P))
    J_data = np.empty((steps, P, X.size + Y.size + 1))
    inputs = (theta, Xb, Yb, rate)
    for j in range(P):
        rows = torch.autograd.grad(
            after[:, j].sum(), inputs, retain_graph=j < P - 1, allow_unused=True
        )
        rows = [torch.zeros_like(x) if r is None else r for r, x in zip(rows, inputs, strict=True)]
        J_theta[:, j, :] = rows[0].detach().numpy()
        J_data[:, j, :] = torch.cat([r.reshape(steps, -1) for r in rows[1:]], 1).detach().numpy()
    return J_theta, J_data


class Sources:
    """F7: the parameters' error as the sum of independent sources, each carried through the
    steps by the step map's Jacobian with its sign: the data's and the initial parameters'
    rounding, and each step's own rounding r. A column of `M` per source (per component: each
    has its own unknown sign); the bound on the parameters is the sum of the columns'
    magnitudes, row by row. Every `WINDOW` steps the columns the window added are merged into
    one per parameter, their magnitudes summed (a valid bound, |sum| <= sum |.|, that loses
    only the cancellation between one window's sources): the work then grows with the number
    of windows, not of steps."""

    WINDOW = 25

    def __init__(self, e_theta0: np.ndarray, e_data: np.ndarray):
        self.P = e_theta0.size
        self.data_on = np.flatnonzero(e_data)
        self.e_data = e_data[self.data_on]
        on = np.flatnonzero(e_theta0)
        D = np.zeros((self.P, self.data_on.size))  # the data's columns: fed at every step
        self.settled = np.concatenate([D, np.eye(self.P)[:, on] * e_theta0[on]], 1)
        self.fresh: list[np.ndarray] = []
        self.steps = 0

    def bound(self) -> np.ndarray:
        columns = [self.settled, *self.fresh]
        return _no_nan(sum(np.abs(c).sum(axis=1) for c in columns))

    def step(self, J_theta: np.ndarray, J_data: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Carry every source through one step, add the step's own rounding r; the new bound."""
        self.settled = J_theta @ self.settled
        self.settled[:, : self.data_on.size] += J_data[:, self.data_on] * self.e_data
        self.fresh = [J_theta @ c for c in self.fresh]
        on = np.flatnonzero(r)
        self.fresh.append(np.eye(self.P)[:, on] * r[on])
        self.steps += 1
        if self.steps % self.WINDOW == 0:
            merged = np.abs(np.concatenate(self.fresh, 1)).sum(axis=1)
            self.settled = np.concatenate([self.settled, np.diag(merged)], 1)
            self.fresh = []
        return self.bound()


# -- a network case --------------------------------------------------------------------------
def _network_bounds(case: Case, wanted: set) -> dict:
    spec, t = case.spec, case.meta["training"]
    options = {
        "objective": t["objective"],
        "maximize": t["maximize"],
        "freeze_biases": t.get("freeze_biases", False),
    }
    X, Y, lr, steps = case.data["X"], case.data["Y"], float(t["lr"]), t["steps"]
    net = Network(spec, case.params)
    history = net.train(X, Y, lr, steps, record=True, **options)
    records = history.records
    eX, eY, e_lr = input_error(X), input_error(Y), float(input_error(lr))
    zeros_W = [np.zeros_like(w) for w in case.params.W]
    zeros_b = [np.zeros_like(x) for x in case.params.b] if spec.bias else [None] * spec.depth
    thetas = np.stack([_flat(r.params.W, r.params.b if spec.bias else None) for r in records])
    J_theta, J_data = step_jacobians(spec, thetas, X, Y, lr, options)
    e_data = np.concatenate([eX.ravel(), eY.ravel(), [e_lr]])
    sources = Sources(input_error(thetas[0]), e_data)
    e_theta = sources.bound()
    out: dict = {}
    layout = case.layout
    backward_names = (
        set(_names(spec, layout))
        - {"cost"}
        - {f"{x}{l}" for x in "ZA" for l in range(1, spec.depth + 1)}
    )
    flipped = False
    for s, rec in enumerate(records):
        if flipped:
            for name in _names(spec, layout):
                if (s, name) in wanted:
                    out[(s, name)] = np.full(_shape(rec, name, layout), np.inf)
            continue
        eW, eb = _unflat(e_theta, spec)
        full = any((s, name) in wanted for name in backward_names)
        here = step_errors(net, rec, X, eX, Y, eY, eW, eb or zeros_b, t["objective"], full)
        local = step_errors(net, rec, X, 0 * eX, Y, 0 * eY, zeros_W, zeros_b, t["objective"])
        # the step's own rounding: lr times the gradient's, the product lr dW, the update (F6)
        grad_local = _flat(local.dW, local.db if spec.bias else None)
        g = _flat(rec.grads.dW, rec.grads.db if spec.bias else None)
        after = _flat(rec.after.W, rec.after.b if spec.bias else None)
        lr_exact = e_lr == 0 and lr == 2.0 ** np.round(np.log2(lr))
        unmoved = (g == 0) & (grad_local == 0)  # W - lr 0 is W, exactly
        r = lr * grad_local + (0.0 if lr_exact else U * lr * np.abs(g))
        # the last rounding is u of the port's |W'|, at most |W'| and its error (to first order):
        # attained when an update below half an ULP of W is lost, step after step
        rounded = U * (np.abs(after) + e_theta + lr * grad_local)
        r = r + np.where(unmoved, 0.0, rounded)
        if options["freeze_biases"]:
            r[sum(w.size for w in case.params.W) :] = 0.0
        e_next = sources.step(J_theta[s], J_data[s], r)
        W_next, b_next = _unflat(e_next, spec)
        tensors = _step_tensors(
            spec, here if full else _forward_only(here, local), W_next, b_next, layout
        )
        if here.risk:
            flipped = True
            _ungrade_after_flip(tensors, here.risk, spec, layout)
        for name, value in tensors.items():
            if (s, name) in wanted:
                out[(s, name)] = value
        e_theta = e_next
    if case.meta.get("query"):
        final = Network(spec, net.params)
        Xq = case.data["Xq"]
        cache = final.forward(Xq)
        eW, eb = _unflat(e_theta, spec)
        e = input_error(Xq)
        for i, name in enumerate(spec.activations):
            b = final.params.b[i]
            ez = matmul_error(
                cache.A[i], e, final.params.W[i].T, eW[i].T, b, None if b is None else eb[i], True
            )
            e, r = activation_error(name, cache.Z[i], ez, cache.A[i + 1])
            flipped |= bool(r.any())
        out[(steps, "prediction")] = np.full(e.shape, np.inf) if flipped else e
    return out


def _forward_only(here: StepErrors, local: StepErrors) -> StepErrors:
    """`here`'s forward pass and cost, and placeholders for what was not asked for."""
    return StepErrors(
        here.Z, here.A, here.cost, local.dA, local.dZ, local.aprime, local.dW, local.db, here.risk
    )


def _names(spec, layout):
    names = []
    for l in range(1, spec.depth + 1):
        names += [f"Z{l}", f"A{l}", f"dA{l}", f"dZ{l}", f"aprime{l}", f"dW{l}", f"db{l}"]
        names += [f"W{l}_after", f"b{l}_after"]
    return [*names, "cost"]


def _shape(rec, name, layout):
    """The shape `name` has in the golden format at step `rec` (a vector is a column)."""
    value = np.asarray(rec.arrays(layout).get(name, 0.0))
    return value.reshape(-1, 1).shape if value.ndim == 1 else np.atleast_2d(value).shape


def _step_tensors(spec, e: StepErrors, W_next, b_next, layout) -> dict:
    out = {}
    for i in range(spec.depth):
        out[f"Z{i + 1}"] = e.Z[i]
        out[f"A{i + 1}"] = e.A[i]
    out["cost"] = np.array([[e.cost]])
    for i in range(spec.depth):
        out[f"dA{i + 1}"] = e.dA[i]
        out[f"dZ{i + 1}"] = e.dZ[i]
        if spec.activations[i] != "softmax":
            out[f"aprime{i + 1}"] = e.aprime[i]
    b = e.db if spec.bias else [None] * spec.depth
    out.update(named_in_layout(layout, e.dW, b, w_name="dW", b_name="db"))
    out.update(named_in_layout(layout, W_next, b_next or [None] * spec.depth, suffix="_after"))
    return {k: (v.reshape(-1, 1) if v.ndim == 1 else v) for k, v in out.items()}


def _ungrade_after_flip(tensors: dict, risk: dict, spec, layout) -> None:
    """F8: a relu kink that can flip at layer l makes its relu' and dZ cells, every gradient
    at or below l, the deltas below l and every parameter after the update not graded; the
    caller ungrades every later step."""
    top = max(risk) + 1
    for l in range(1, spec.depth + 1):
        if l <= top:
            for name in (f"dW{l}", f"db{l}", f"W{l}_after", f"b{l}_after"):
                if name in tensors:
                    tensors[name] = np.full(tensors[name].shape, np.inf)
        if l < top:
            for name in (f"dA{l}", f"dZ{l}"):
                tensors[name] = np.full(tensors[name].shape, np.inf)
    for i, cells in risk.items():
        for name in (f"aprime{i + 1}", f"dZ{i + 1}"):
            tensors[name] = np.where(cells, np.inf, tensors[name])


# -- a perceptron case (F8) ------------------------------------------------------------------
def _perceptron_bounds(case: Case, wanted: set) -> dict:
    p = case.meta["perceptron"]
    X, y = case.data["X"], case.data["y"][:, 0].astype(int)
    w0 = np.array(p["w0"], dtype=np.float64)
    fitted = Perceptron(p["eta"], p["max_epochs"]).fit(X, y, w0, p["b0"])
    updates = fitted.updates_
    d = X.shape[1]
    eta, e_eta = float(p["eta"]), float(input_error(p["eta"]))
    eX = input_error(X)
    w, b = w0, float(p["b0"])
    ew, eb = input_error(w0), float(input_error(p["b0"]))
    rows = {"prediction": [], "error": [], "w": [], "b": []}
    flipped_at = None
    for k, row in enumerate(updates):
        i = int(row[1])
        x, ex = X[i], eX[i]
        terms = np.r_[x * w, b]
        prop = float((np.abs(x) * ew + ex * np.abs(w) + ex * ew).sum() + eb)
        magnitude = float(((np.abs(x) + ex) * (np.abs(w) + ew)).sum() + abs(b) + eb)
        ez = prop + gamma(d + 1) * magnitude  # d products and d additions (F2)
        if prop == 0 and exact_sum(terms):
            ez = 0.0
        z = float(x @ w + b)
        if flipped_at is None and ez > 0 and abs(z) <= ez:
            flipped_at = k
        error = row[3]
        if error != 0:
            step, e_step = eta * x, mul_error(eta, e_eta, x, ex)
            exact = (e_eta == 0) & (ex == 0) & _representable(step)
            e_step = np.where(exact, 0.0, e_step)
            new_w = w + error * step
            exact = (ew == 0) & (e_step == 0) & exact_sum(np.stack([w, error * step], -1))
            ew = np.where(exact, 0.0, add_error(new_w, ew + e_step))
            new_b = b + error * eta
            exact = eb == 0 and e_eta == 0 and bool(exact_sum(np.array([b, error * eta])))
            eb = 0.0 if exact else float(add_error(new_b, eb + e_eta))
            w, b = new_w, new_b
        ungraded = flipped_at is not None
        rows["prediction"].append(np.inf if ungraded else 0.0)
        rows["error"].append(np.inf if ungraded else 0.0)
        rows["w"].append(np.full(d, np.inf) if ungraded else ew)
        rows["b"].append(np.inf if ungraded else eb)
    bounds = np.column_stack(
        [np.zeros((len(updates), 4)), np.array(rows["w"]), np.array(rows["b"])]
    )
    bounds[:, 2], bounds[:, 3] = rows["prediction"], rows["error"]
    bounds[:, :2] = updates[:, :2]  # epoch and sample, to split by epoch as the values are
    split = epoch_tensors(bounds)
    out = {}
    first_bad_epoch = None if flipped_at is None else int(updates[flipped_at, 0])
    for epoch, tensors in split.items():
        for name, value in tensors.items():
            if name == "errors":  # a count of the exact error column: exact, or not graded
                bad = first_bad_epoch is not None and epoch >= first_bad_epoch
                value = np.full((1, 1), np.inf if bad else 0.0)
            if name == "epochs":
                value = np.full((1, 1), 0.0 if first_bad_epoch is None else np.inf)
            if (epoch, name) in wanted:
                out[(epoch, name)] = value
    return out


# -- the bound of a case ---------------------------------------------------------------------
_CACHE: OrderedDict[int, tuple[Case, np.ndarray]] = OrderedDict()
_CACHE_SIZE = 64


def not_derived(case: Case) -> str | None:
    """Why no float32 bound is derived for `case` (SGD's momentum state and mini-batches are
    not in F1 to F8 yet), or None. Such a case is graded at float64 only."""
    meta = case.meta
    if meta.get("optimizer") and any(v for k, v in meta["optimizer"].items() if k != "name"):
        return "an optimizer section (momentum, dampening, Nesterov or weight decay)"
    if meta.get("training", {}).get("batch_size"):
        return "mini-batches"
    return None


def float32_bound(case: Case) -> np.ndarray:
    """For each row of `case.expected`, in order: the largest |float32 port - float64 golden|
    an honest float32 port can reach (F1 to F8 of `conformance.tolerances`), or +inf where the
    value is not graded (F8). Remembered for the last few cases (a case is graded many times:
    every mutant, every port)."""
    hit = _CACHE.get(id(case))
    if hit is not None and hit[0] is case:
        _CACHE.move_to_end(id(case))
        return hit[1]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        bound = _no_nan(_compute(case))
    bound.setflags(write=False)
    _CACHE[id(case)] = (case, bound)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return bound


def _compute(case: Case) -> np.ndarray:
    expected = case.expected
    if expected is None or expected.empty:
        return np.zeros(0)
    if case.kind == "init":
        return gamma(INIT_ROUNDINGS) * np.abs(expected["value"].to_numpy(dtype=np.float64))
    wanted = set(zip(expected["step"].tolist(), expected["tensor"].tolist(), strict=True))
    groups = (_network_bounds if case.kind == "network" else _perceptron_bounds)(case, wanted)
    return _align(case, groups)


def _align(case: Case, groups: dict) -> np.ndarray:
    """The per-cell bounds of `groups` ({(step, tensor): 2-D array}) in the rows' order of
    `case.expected`; an expected cell without a bound is a bug of this module."""
    steps, names, rows, cols, values = [], [], [], [], []
    for (step, name), value in groups.items():
        value = np.atleast_2d(value)
        r, c = np.indices(value.shape)
        steps.append(np.full(value.size, step))
        names.append(np.full(value.size, name, dtype=object))
        rows.append(r.ravel())
        cols.append(c.ravel())
        values.append(value.ravel())
    index = pd.MultiIndex.from_arrays([np.concatenate(x) for x in (steps, names, rows, cols)])
    e = case.expected
    keys = ["step", "tensor", "row", "col"]
    where = index.get_indexer(pd.MultiIndex.from_arrays([e[k].to_numpy() for k in keys]))
    if (where < 0).any():
        missing = e[where < 0].iloc[0]
        raise AssertionError(
            f"{case.id}: no float32 bound for step {missing['step']} {missing['tensor']}"
        )
    return np.concatenate(values)[where]
