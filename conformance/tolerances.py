"""Named tolerances for comparing two implementations, each with its reason.

A comparison passes when, for every element, |actual - expected| <= atol + rtol * |expected|,
with atol = atol_scale * max(1, largest |expected| element of the tensor compared).

FLOAT64: rtol = 1e-12, atol_scale = 1e-12. Float64 carries about 16 digits; the two
implementations sum the same products in different orders (BLAS blocking, fused kernels),
which moves results by a few units in the last place, about 1e-15 relative. Most elements pass
on rtol alone. The atol term is for an element that is the small difference of large terms:
its absolute error is set by the size of those terms, not by its own small size. The tensor's
largest element bounds the terms' size, and so does 1 for these problems, whose inputs,
weights, activations and per-sample deltas are all of order 1 or less: a whole tensor can be a
cancellation (T3's bias gradient at step 0 is 4e-8, the sum of eight terms of about 0.06, and
the two implementations differ there by 7e-17, 1.7e-9 relative), and a bound relative to its
own size alone would then demand more digits than float64 has.
Measured over the float64 matrix: the largest error is 4.1e-14 of the tensor's scale and the
largest elementwise relative error 1.9e-12, 2% of the bound at worst. A real mistake (a
missing 1/n, a wrong derivative, float32 arithmetic) moves values by far more than 1e-12.

FLOAT32: rtol = 1e-4, atol_scale = 1e-4. Float32 has eps = 1.2e-7. Each value in the matrix
passes through at most 3 layers of (matmul over <= 8 terms, activation) forward and backward,
and through 5 gradient steps that feed each step's rounding into the next; the largest error
seen over the float32 matrix is 1.2e-6 of the tensor's scale (0.7% of the bound), so 1e-4
leaves a wide margin while still failing on any real mistake.

GENERATED: rtol = 1e-10, atol_scale = 1e-10, for the fuzz's generated cases
(`conformance.ports.generated`), in float64 like FLOAT64 but 100 times looser. Those cases are
drawn, not hand-made: up to 4 layers and 5 steps, `sum` reductions over up to 16 samples,
gradient ascent, logits near 1000, transcendental activations feeding relu; the training
dynamics feed each step's rounding into the next and can amplify it, which the golden cases'
small problems never do. Measured with `python -m benchmarks.agreement --examples 1000 --seed
99` (each error over the FLOAT64 bound, 999 cases kept): the largest is 31.4 for both scratch
and pure_python against the reference (a 5-layer tanh/relu net under objective `output` with
`maximize`, whose weights grow at every step), the 99th percentile 0.37 and 0.25, so FLOAT64
would fail correct ports; GENERATED leaves a margin of 3 over the worst and of 270 over the
99th percentile, and a real mistake moves values by far more (float32 arithmetic: 1e-7
relative at step 0, 1000 times the bound). A case on which scratch and the reference agree at
step 0 within FLOAT64 but drift apart past GENERATED later is thrown away as ill-conditioned
(`conformance.ports.generated.IllConditioned`: one case in the 1,000). An earlier generator,
with learning rates up to 0.5 and any float, reached 7.4 times FLOAT64, and its relu
pre-activations could land within rounding of 0, where relu' depends on the order of the sums:
it now draws powers of 2 and multiples of 1/64, scales the rate of a `sum` reduction down by n,
and throws such cases away.

PRINTED (`half_unit`): a figure a tutorial prints to some number of decimals is checked to half a
unit in its last printed place and no tighter: "3.0034" says only that the value lies in
[3.00335, 3.00345].
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np


@dataclass(frozen=True)
class Tolerance:
    """rtol, and atol as a fraction of max(1, the expected tensor's largest |element|)."""

    name: str
    rtol: float
    atol_scale: float

    def atol(self, expected: np.ndarray) -> float:
        """The absolute tolerance for this tensor: atol_scale * max(1, max|expected|)."""
        return self.atol_scale * max(1.0, float(np.max(np.abs(expected), initial=0.0)))

    def allowed(self, expected: np.ndarray, largest: np.ndarray | float) -> np.ndarray:
        """The allowed |actual - expected| per element: rtol |expected| + atol_scale max(1,
        largest), where `largest` is the largest |element| of each element's tensor (a scalar
        for one tensor, or an array beside `expected` when many tensors are compared at once)."""
        return self.rtol * np.abs(expected) + self.atol_scale * np.maximum(1.0, largest)


FLOAT64 = Tolerance("float64", rtol=1e-12, atol_scale=1e-12)
FLOAT32 = Tolerance("float32", rtol=1e-4, atol_scale=1e-4)
GENERATED = Tolerance("generated float64", rtol=1e-10, atol_scale=1e-10)


def half_unit(printed: str) -> Decimal:
    """The tolerance of a figure a tutorial prints: half a unit in its last printed place.

    "3.0034" -> 0.00005 (the value lies in [3.00335, 3.00345]); "162" -> 0.5; "1e-3" -> 0.0005.
    Raises `decimal.InvalidOperation` if `printed` is not a decimal number.
    """
    return Decimal(5).scaleb(Decimal(printed).as_tuple().exponent - 1)


BY_DTYPE = {np.dtype(np.float64): FLOAT64, np.dtype(np.float32): FLOAT32}

# -- float32 ports: the constants of rules F1 to F8 (computed by `conformance.roundoff`) -------
FLOAT32_U = 2.0**-24
"""float32's unit roundoff u: a rounded result is within u of the exact one, relatively."""
FLOAT32_TINY = 2.0**-126
"""float32's smallest normal number: below it a port may flush to 0."""
FLOAT64_TINY = float(np.finfo(np.float64).tiny)
"""float64's smallest normal number, where the golden cross-entropy gradient clips P."""
ELEMENTARY_ULPS = {"exp": 32, "log": 32, "tanh": 16}
"""The error an elementary function may make, in units in the last place of its float32 result
(F3): WebNN's conformance budgets for exp and tanh; log is given exp's."""
INIT_ROUNDINGS = 3
"""An init case's values in float32: the float64 draw, the scale and their product rounded."""
