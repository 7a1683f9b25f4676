"""Initial parameters, each reproducing one tutorial's recipe exactly, with randomness passed in.

Every initialiser draws in the tutorial's own order and shape (T2 and T4 draw (n_in, n_out)
matrices) and returns `Params` in the internal (n_out, n_in) layout; transposing moves no bits,
so the values are identical to the tutorial's. No global random state is touched.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from scratch.errors import ConfigError, DTypeError, MLPInputError
from scratch.params import Params
from scratch.validation import check_count, check_flag, check_real, check_seed


def _layer_shapes(sizes: Sequence[int]) -> list[tuple[int, int]]:
    """(n_in, n_out) for each layer, in order; sizes are checked to be ints >= 1."""
    if not isinstance(sizes, list | tuple):
        raise DTypeError(f"sizes must be a list of ints, got {type(sizes).__name__}")
    sizes = [check_count(f"sizes[{i}]", s, minimum=1) for i, s in enumerate(sizes)]
    if len(sizes) < 2:
        raise ConfigError(f"sizes needs at least an input and an output size, got {sizes}")
    return list(itertools.pairwise(sizes))


def init_t2(sizes: Sequence[int], seed: int) -> Params:
    """T2's initialisation, bit for bit.

    rng = numpy.random.default_rng(seed); for l = 1..L in order:
    W(l) = rng.normal(scale=0.001, size=(n_{l-1}, n_l)) (in x out), b(l) = zeros.
    sizes: (n_0, ..., n_L), ints >= 1; seed: an int >= 0 (None, which would draw fresh entropy,
    is an error). Returns W(l) (n_l, n_{l-1}) and b(l) (n_l,).
    """
    shapes = _layer_shapes(sizes)
    rng = np.random.default_rng(check_seed(seed))
    W = [rng.normal(scale=0.001, size=(n_in, n_out)).T for n_in, n_out in shapes]
    return Params(W, [np.zeros(n_out) for _, n_out in shapes])


def init_t4(sizes: Sequence[int] = (3, 4, 1), seed: int = 1) -> Params:
    """T4's 1000-step network, bit for bit, without biases.

    The legacy generator: numpy.random.seed(seed) then numpy.random.random((n_{l-1}, n_l)) for
    each layer in order (uniform on [0, 1)). A private `RandomState(seed)` gives the same stream
    without touching numpy's global state. seed: an int >= 0. Returns W(l) (n_l, n_{l-1}).
    """
    shapes = _layer_shapes(sizes)
    rs = np.random.RandomState(check_seed(seed))
    return Params([rs.random_sample((n_in, n_out)).T for n_in, n_out in shapes])


def init_standard_normal(
    sizes: Sequence[int], seed: int, scale: float = 0.001, bias: bool = True
) -> Params:
    """T3's recipe: weights = standard normal * scale (0.001 in T3), biases zero.

    T3's Go generator cannot be reproduced from Python, so the stream is stated instead:
    rng = numpy.random.default_rng(seed); for each layer in order,
    W(l) = rng.standard_normal((n_{l-1}, n_l)) * scale (in x out, as T3 stores it).
    seed: an int >= 0; scale: a finite number > 0; bias: True (zero biases) or False (none).
    Returns W(l) (n_l, n_{l-1}) and b(l) (n_l,) or None.
    """
    shapes = _layer_shapes(sizes)
    check_flag("bias", bias)
    if check_real("scale", scale) <= 0:
        raise MLPInputError(f"scale must be > 0, got {scale!r}")
    rng = np.random.default_rng(check_seed(seed))
    W = [(rng.standard_normal((n_in, n_out)) * scale).T for n_in, n_out in shapes]
    return Params(W, [np.zeros(n_out) for _, n_out in shapes] if bias else None)
