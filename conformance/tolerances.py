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

FLOAT32: rtol = 1e-4, atol_scale = 1e-4, for scratch against the reference when both compute in
float32 (the configuration matrix; a float32 port against the float64 golden values is graded
by FLOAT32 PORTS below instead). Float32 has eps = 1.2e-7. Each value in the matrix
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

FLOAT32 PORTS (`conformance.roundoff.float32_bound`; `--dtype float32`): a port that computes in
float32 is graded against the same float64 golden values, each value within FLOAT64 (GENERATED
on generated cases: the reference's own rounding) plus its own float32 bound: the farthest
honest float32 arithmetic can take that value in that case. The bound is derived from the case,
never tuned: a running error analysis (Higham, Accuracy and Stability of Numerical Algorithms,
chapter 3) beside a float64 run of the case, which gives every intermediate value and its
magnitude. u = 2^-24 is float32's unit roundoff and gamma_k = k u / (1 - k u); each rule bounds
the absolute error e(x) of a computed x, cell by cell:

F1 inputs. The port reads X, Y, Xq, the initial parameters and lr (a perceptron's eta, w0, b0)
as float32: e = u |x| (and 2^-52 |x| more for a reader that rounds the decimal text straight to
float32), 0 where x is a float32 value (every generated value, most golden ones).
F2 arithmetic. IEEE 754 rounds each +, -, * and / correctly: fl(a op b) = (a op b)(1 + d),
|d| <= u. A product of inputs carrying errors: |x| e(y) + e(x) |y| + e(x) e(y) + u (|x| + e(x))
(|y| + e(y)). A sum of m terms, in any order, tree or blocking, with or without FMA, is off by at
most gamma_(m-1) times the sum of its terms' magnitudes, so a dot product of fan-in m by gamma_m
(gamma_(m+1) with a bias) times sum |a_k| |w_k|: the one bound that does not depend on the
port's order of summation. It is relative to the terms, not to the result: a sum that cancels
(T3's db at step 0, 4e-8 from terms of 0.06) is off by as much as its terms' rounding. One
exception: when every term is exact and all are multiples of one 2^g whose magnitudes sum to at
most 2^(g + 24), every partial sum in any order is a float32 value and the sum is exact, e = 0
(this is what makes a dyadic tie exact, F8). Dividing by the reduction's d (n, n k) adds nothing
for a power of 2, 2u otherwise (a division, or a reciprocal and a product).
F3 elementary functions. exp and log within 32 units in the last place (ULP) of their float32
result and tanh within 16: WebNN's float32 budgets, made for GPU and NPU backends whose fast
approximations are that coarse (a libm is within 1 or 2), one ULP of x being at most 2u |x|.
sigmoid = 1/(1 + exp(-z)) inherits exp's error (shrunk by e/(1 + e) <= 1 in the sum) and two
roundings: 66u, 33 ULP (WebNN allows 34). An input error e(z) goes through the largest slope
within e(z) of z (tanh' or sigmoid' at the point nearest 0: a bound, not a first-order
estimate). softmax, row by row: the exponent z_j - z_i moves by at most eps_i + eps_j, with
eps = e(z) + u |z - max z| (the subtraction's rounding), so A_i moves by expm1(eps_i + max_j
eps_j) of itself; then exp's error in numerator and denominator, gamma_(k-1) for the sum of k
positive terms and u for the division. relu and identity add nothing: e(A) = e(Z).
F4 layers. Forward, Z(l) = A(l-1) W^T + b is F2 with fan-in n_(l-1) + 1 and the errors of A(l-1),
W and b; A(l) is F3. Backward, dZ = f'(Z) * dA with f' as the tutorials compute it (1 - A^2,
A (1 - A): F2), or softmax's Jacobian product A_i (dA_i - sum_j A_j dA_j); dW = dZ^T A(l-1) sums
over the n samples (gamma_n), db over them (gamma_(n-1)), dA(l-1) = dZ W over n_l (gamma_(n_l)).
So the bound compounds with depth, forward then backward: each layer adds gamma of its fan-in
times its terms' magnitudes and carries the error before it through |W| and the slope.
F5 cost and output gradient. MSE 1/(2d) sum (A - Y)^2: a subtraction, a square, a sum of n k
terms, the division. Cross-entropy: the larger of its two honest formulas' bounds, log-softmax
(first-order sensitivity sum_j |P_j - Y_j| e(z_j), the subtraction, exp's and the sum's errors
inside the log, log's own 32 ULP) and -log of the port's own P. dA(L) = (A - Y)/d; for
cross-entropy -Y/(d P): P's relative error r amplified to r/(1 - r), plus 3u, and not graded
where the float32 P may fall below float32's smallest normal 2^-126 (a float32 port flushes or
clips it to 0 there; the golden value clips at float64's) or r >= 1/2. dZ(L) = (P - Y)/d.
F6 update. W' = W - lr dW (+ with maximize): lr times dW's own error (F4 with exact inputs),
u |lr dW| unless lr is a power of 2, and u times the port's |W'| (|W'| and its error) unless dW
is exactly 0 (then W' is W). That last rounding is attained: an update below half an ULP of W
is lost in float32, step after step, while float64 adds it up.
F7 steps. The parameters' error after step t is what each source, the data's and the initial
parameters' rounding (F1) and each step's own rounding r_s (F6), has become through the steps
since: delta_t = sum_s Phi(t, s) r_s, Phi the product of the step map's Jacobians d theta'/
d theta (and d theta'/d data for the data's), computed in float64 by autograd; e(theta_t) =
sum_s |Phi(t, s)| |r_s|, component by component, each source's signs kept through the steps. A
step's tensors take e(theta_t) as their parameters' error (F4). This is first order, a
linearisation about the float64 trajectory, and it is what makes a bound over many steps
usable: the elementwise rule (|J| e, step after step) compounds over T4's 1000 steps to 1e87,
while the signed product of those 1000 Jacobians has norm 49 (gradient descent damps most
directions; negative curvature amplifies a few, and the bound follows). Every 25 steps the
sources a window added are merged (|sum| <= sum |.|): the work grows with the windows, not the
steps (T4: 7 times faster, a bound 1.5 times looser).
F8 decisions. relu' and the perceptron's prediction jump at 0. A tie whose value is exact
(z = 0 with e(z) = 0 by F2's exception: dyadic inputs, as in S-square-relu-kink at every step,
the perceptron cases, every generated case at its first step) is computed exactly in float32 as
well, and graded. A z within its bound of 0 (|z| <= e(z), e(z) > 0) may fall on either side in
float32: relu' there and what follows from it (that dZ cell, dW, db and the updated parameters of
its layer and those below it, the deltas below, every later step; for the perceptron that visit
and the rest of the run, its epochs' error counts and `epochs`) are not graded: bound +inf, any
finite value passes. The values computed before the decision stay graded.
Assumed: the port follows data/README.md's formulas (another formula rounds differently and
may exceed the bound by a few u: softmax's derivative through its full k x k Jacobian, a loss
gradient written A/d - Y/d); its elementary functions keep F3's budgets; F7 (and F3's softmax,
F5's cross-entropy sensitivity) is first order; a value flushed below 2^-126 adds at most 2^-126
times what multiplies it later, far below FLOAT64's atol of 1e-12.

Compared with WebNN's conformance tests (web-platform-tests, webnn/resources/utils.js): each
operator there has a float32 budget in ULPs of its expected output, 0 for relu, 1 for add or
mul, 2K for a matmul of inner size K, K for a reduce-sum over K, 3k + 3 for a softmax over k,
32 for exp, 16 for tanh, 34 for sigmoid, and a graph is allowed the sum of its operators'
budgets, compared as an ULP distance. The ingredients are the same (the fan-in, per-function
budgets, which F3 takes from there), the accounting is not: (1) ULPs are relative to the
result; where a sum cancels, its error is set by its terms and is millions of its own ULPs, so a
ULP budget fails honest ports on values like T3's db (here: relative to the terms, F2; 2K ULP
and gamma_K are the same order otherwise); (2) a sum of budgets assumes every error reaches the
output unamplified; here each error is carried through what follows it, multiplied by |W|
(weights of 500 before a softmax), by a slope (damped in a saturated sigmoid), by the softmax
Jacobian (F4); (3) WebNN's graphs are single passes, while training feeds each step's error into
the next, through the training's own Jacobian (F7), which no sum of per-operator budgets
expresses; (4) WebNN keeps its inputs off the kinks (relu: 0 ULP); here an exact tie is graded
exactly and a flippable one is not graded (F8).

Measured (the margin: the largest error over what is allowed, over the graded values):
- the golden cases (`pytest conformance/tests/test_float32.py -s -k margins`): scratch and the
  reference in float32, every network and perceptron case: 0.67 for both (T2-chain-2-3-2-1's
  W1_after at step 0, whose error is nearly all the initial weight's rounding, F1, and the
  update's, F6, each attained); with scratch's tanh, sigmoid and softmax exp moved by their whole
  F3 budget (test_float32), 0.86 (an activation's own error, F3).
- generated cases (`python -m benchmarks.agreement --dtype float32 --examples 1000 --seed 99`,
  about 10 minutes here; 999 cases kept), each case's largest ratio: at most 0.988 for both
  scratch and the reference, 0.952 at the 99th percentile, a median of 0.27 and 0.29. The ratios
  near 1 are updated weights whose updates float32 loses (F6's last rounding, attained at every
  step); elsewhere a bound is rarely approached. 65 of the cases leave some values ungraded
  (77,180 of them), for three reasons: a bound that blows up
  after a step or two, in cases with softmax layers fed by weights of 500 or `sum` reductions (a
  logit's error of 0.01 moves P by 2%, and the next step's weights by as much); a relu
  pre-activation within its bound of 0 (a sum of inexact terms that cancels exactly in float64,
  -0.5 a + 0.5 a' with a and a' equal there but from different sums, or one that lands near 0
  after a few steps); a cross-entropy gradient of a P below 2^-126.
The bound is tight at the first step (at most 2e3 u of a tensor's scale there, logits of 1000;
a median of 0 to 35 u) and loose over many steps: worst-case roundings summed over every step
(F7), against errors that mostly cancel. At T4-sigmoid-1000's step 999 it is 2e5 u of the
scale while scratch's error is about 6 u; a mistake still shows at step 0, where every tensor
is recorded.

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
DTYPES = ("float64", "float32")
"""The arithmetic a trajectory is computed in, or a port declares (`--dtype`): float64, the
reference, or float32 (PORTS.md, "Float32 ports")."""

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
