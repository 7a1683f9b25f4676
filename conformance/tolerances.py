"""Named tolerances for comparing scratch with reference, each with its reason.

A comparison passes when, for every element, |actual - expected| <= atol + rtol * |expected|.

FLOAT64: rtol = 1e-12, and atol = 1e-12 times the largest |expected| element of the tensor
being compared (so atol is 0 only for an all-zero tensor). Float64 carries about 16 digits; the
two implementations sum the same products in different orders (BLAS blocking, fused kernels),
which moves results by a few units in the last place, about 1e-15 relative. Most elements pass
on rtol alone. The atol term is for an element that is the small difference of large terms
(a gradient summed over a batch, a weight that crosses zero): its absolute error is set by the
size of those terms, which the tensor's largest element bounds, not by its own small size.
Measured over the float64 matrix: the largest error is 4.1e-14 of the tensor's scale and the
largest elementwise relative error 1.9e-12 (an element far smaller than its tensor), 2% of the
bound at worst.

FLOAT32: rtol = 1e-4, atol = 1e-4 times the tensor's largest |expected| element. Float32 has
eps = 1.2e-7. Each value here passes through at most 3 layers of (matmul over <= 8 terms,
activation) forward and backward, and through 5 gradient steps that feed each step's rounding
into the next; the largest error seen over the float32 matrix is recorded in the issue note
(1.2e-6 relative to the tensor scale, 0.7% of the bound), so 1e-4 leaves a wide margin while still
failing on any real mistake, which moves values by far more than 1e-4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tolerance:
    """rtol, and atol as a fraction of the expected tensor's largest |element|."""

    name: str
    rtol: float
    atol_scale: float

    def atol(self, expected: np.ndarray) -> float:
        """The absolute tolerance for this tensor: atol_scale * max|expected|."""
        return self.atol_scale * float(np.max(np.abs(expected), initial=0.0))


FLOAT64 = Tolerance("float64", rtol=1e-12, atol_scale=1e-12)
FLOAT32 = Tolerance("float32", rtol=1e-4, atol_scale=1e-4)

BY_DTYPE = {np.dtype(np.float64): FLOAT64, np.dtype(np.float32): FLOAT32}
