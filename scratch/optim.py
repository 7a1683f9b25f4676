"""`SGD`: the update of `torch.optim.SGD`, exactly, with momentum, dampening, Nesterov,
weight decay and maximize; and `Velocity`, its state (one momentum buffer per parameter).

For each parameter P (a W or a b) with gradient dP, at every step (torch's order):

    g = dP                          (g = -dP with maximize)
    g = g + weight_decay P          (weight decay: added to the gradient, before momentum)
    v = g                           at the first step: the buffer starts as the gradient itself,
                                    with no dampening (torch's `clone(grad)`)
    v = momentum v + (1 - dampening) g      at every later step
    g = g + momentum v              with nesterov; else g = v
    P = P - lr g

With momentum 0 there is no v and the step is plain gradient descent, P = P - lr dP (T1 to T4).
v has the shape of P (W: (n_out, n_in), b: (n_out,)); torch calls it `momentum_buffer`.

**The other momentum convention.** CS231n and Sutskever et al. (2013) keep the learning rate
inside the velocity: u = mu u - lr dP, then P = P + u (u starting at 0, so its first step is
-lr dP, as torch's). With u = -lr v the two are the same algorithm while lr stays constant and
dampening is 0, up to the rounding of a different order of operations. They part when lr
changes between steps: torch's v carries past gradients, which the new lr scales all at once,
while CS231n's u carries past steps, each already scaled by the lr of its time. And what each
records as its velocity differs by the factor -lr. `conformance/tests/test_optim.py` shows
both. Nesterov is torch's form of it: g = dP + mu v, with v already updated.

Not for: other optimisers (Adam, RMSprop), learning-rate schedules, gradient clipping.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scratch.errors import ConfigError, DTypeError
from scratch.layouts import named_in_layout


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        raise DTypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not math.isfinite(float(value)):
        raise ConfigError(f"{name} must be finite, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class SGD:
    """The hyper-parameters of `torch.optim.SGD` besides lr and maximize (those come with each
    step, as in `Network.train`). The defaults are plain gradient descent.

    torch's rules: momentum >= 0, weight_decay >= 0; nesterov needs momentum > 0 and
    dampening 0. Anything else is a `ConfigError` (torch raises a ValueError).
    """

    momentum: float = 0.0
    dampening: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        for name in ("momentum", "dampening", "weight_decay"):
            object.__setattr__(self, name, _number(name, getattr(self, name)))
        if not isinstance(self.nesterov, bool):
            raise DTypeError(f"nesterov must be True or False, got {self.nesterov!r}")
        if self.momentum < 0:
            raise ConfigError(f"momentum must be >= 0, got {self.momentum}")
        if self.weight_decay < 0:
            raise ConfigError(f"weight_decay must be >= 0, got {self.weight_decay}")
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ConfigError(
                "nesterov needs momentum > 0 and dampening 0 (as torch.optim.SGD), got "
                f"momentum {self.momentum} and dampening {self.dampening}"
            )

    @property
    def plain(self) -> bool:
        """True when the step is plain gradient descent (no momentum, no weight decay)."""
        return self.momentum == 0 and self.weight_decay == 0

    def torch_kwargs(self) -> dict[str, float | bool]:
        """The keyword arguments of `torch.optim.SGD` (besides params, lr and maximize)."""
        return {
            "momentum": self.momentum,
            "dampening": self.dampening,
            "nesterov": self.nesterov,
            "weight_decay": self.weight_decay,
        }


PLAIN = SGD()
"""Plain gradient descent: P = P - lr dP."""


@dataclass(frozen=True)
class Velocity:
    """The momentum buffers after a step: vW[i] (n_out, n_in) and vb[i] (n_out,), shaped like
    the parameters; vb[i] is None for a network without biases or with frozen biases (a bias
    the optimizer does not move has no buffer). Read-only arrays."""

    vW: tuple[np.ndarray, ...]
    vb: tuple[np.ndarray | None, ...]

    @classmethod
    def adopt(cls, vW: Sequence[np.ndarray], vb: Sequence[np.ndarray | None]) -> Velocity:
        """Take freshly computed buffers as they are (no copy) and make them read-only."""
        for v in (*vW, *vb):
            if v is not None:
                v.setflags(write=False)
        return cls(tuple(vW), tuple(vb))

    def arrays(self, layout: str = "t1") -> dict[str, np.ndarray]:
        """By tutorial name, in `layout` like the parameters: ``vW1, vb1, vW2, ...``."""
        return named_in_layout(layout, self.vW, self.vb, w_name="vW", b_name="vb")


def sgd_update(
    P: np.ndarray,
    dP: np.ndarray,
    v: np.ndarray | None,
    lr: float,
    sgd: SGD,
    maximize: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """One parameter's step (the module docstring's formulas): returns (new P, new v).

    P, dP and v (the buffer before the step, None at the first step) share one shape. The new
    v is None when momentum is 0. Allocates what it returns; changes nothing in place.
    """
    g = -dP if maximize else dP
    if sgd.weight_decay != 0:
        g = g + sgd.weight_decay * P
    if sgd.momentum != 0:
        v = g.copy() if v is None else sgd.momentum * v + (1 - sgd.dampening) * g
        g = g + sgd.momentum * v if sgd.nesterov else v
    else:
        v = None
    return P - lr * g, v


def sgd_step(
    W: Sequence[np.ndarray],
    b: Sequence[np.ndarray | None],
    dW: Sequence[np.ndarray],
    db: Sequence[np.ndarray | None],
    velocity: Velocity | None,
    lr: float,
    sgd: SGD,
    maximize: bool = False,
    freeze_biases: bool = False,
) -> tuple[list[np.ndarray], list[np.ndarray | None], Velocity | None]:
    """`sgd_update` on every layer's W and b (internal layout), the buffers taken from
    `velocity` (None: the first step). A bias that is None or frozen stays as it is and has no
    buffer. Returns the new W list, the new b list and the new `Velocity` (None without
    momentum)."""
    L = len(W)
    v = velocity or Velocity((None,) * L, (None,) * L)
    W_new, vW, b_new, vb = [], [], [], []
    for P, dP, v_old in zip(W, dW, v.vW, strict=True):
        P, v_new = sgd_update(P, dP, v_old, lr, sgd, maximize)
        W_new.append(P)
        vW.append(v_new)
    for P, dP, v_old in zip(b, db, v.vb, strict=True):
        if P is not None and not freeze_biases:
            P, v_old = sgd_update(P, dP, v_old, lr, sgd, maximize)
        b_new.append(P)
        vb.append(None if P is None or freeze_biases else v_old)
    return W_new, b_new, None if vW[0] is None else Velocity.adopt(vW, vb)
