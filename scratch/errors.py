"""The exceptions raised for bad input, shared by `scratch` and `reference`.

Every message names the offending argument and the shapes, dtypes or values involved. This module
holds no math.
"""

from __future__ import annotations


class MLPInputError(ValueError):
    """Base class: an argument's value is unusable (wrong shape, non-finite, unknown name, ...)."""


class ShapeError(MLPInputError):
    """An array has the wrong number of dimensions or a shape that does not fit its partner."""


class ConfigError(MLPInputError):
    """A network description is inconsistent: unknown names, bad sizes, an unsupported pairing."""


class NotFittedError(MLPInputError):
    """A model was asked for what only `fit` makes (e.g. `Perceptron.predict` before `fit`)."""


class NonFiniteError(MLPInputError):
    """A computation left the finite numbers: an output, a cost or updated parameters hold NaN
    or Inf (an overflow, or a learning rate that diverges).

    `detail` names the array ("the cost is inf", "W[0] contains NaN or Inf (shape (3, 2))");
    `lr` and `step` say where, when known. The message reads, by what is known:
    "<detail>", "step with lr=<lr> diverged: <detail>", or "training diverged at step <step>
    (lr=<lr>): <detail>; the parameters are left as they were before the call" (both
    implementations' `train` restore them before raising).
    """

    def __init__(self, detail: str, *, lr: float | None = None, step: int | None = None):
        self.detail, self.lr, self.step = detail, lr, step
        if step is not None:
            message = (
                f"training diverged at step {step} (lr={lr}): {detail}; the parameters are left "
                "as they were before the call"
            )
        elif lr is not None:
            message = f"step with lr={lr} diverged: {detail}"
        else:
            message = detail
        super().__init__(message)

    def at_step(self, step: int, lr: float) -> NonFiniteError:
        """The same failure, said of step `step` of a training run with learning rate `lr`."""
        return NonFiniteError(self.detail, lr=lr, step=step)


class DTypeError(TypeError):
    """An argument has the wrong type (a list where an ndarray belongs, a string for a flag), or
    an array a dtype the computation cannot use (integer, object, or mismatched floats)."""
