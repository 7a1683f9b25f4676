"""scratch: the multilayer perceptron from scratch in NumPy (no torch anywhere in this package).

Modules, one idea each: `activations` and `losses` (each function beside its derivative),
`dense` (the layer's forward and backward step), `params` (the internal weight layout),
`spec` (architecture), `network` (forward, cost, backward, step, train, predict), `fast` (the
same training step with work buffers, bit-identical, behind `train_step` and unrecorded `train`),
`initializers` (each tutorial's recipe), `layouts` (converters to the tutorials' layouts),
`trace` (what a run leaves behind), `perceptron` (T4's learning rule), `errors`, `validation`.
"""

from scratch import losses
from scratch.errors import (
    ConfigError,
    DTypeError,
    MLPInputError,
    NonFiniteError,
    NotFittedError,
    ShapeError,
)
from scratch.initializers import init_standard_normal, init_t2, init_t4
from scratch.network import Network
from scratch.params import Gradients, Params
from scratch.perceptron import Perceptron
from scratch.spec import NetworkSpec
from scratch.trace import ForwardCache, History, StepRecord

__all__ = [
    "ConfigError",
    "DTypeError",
    "ForwardCache",
    "Gradients",
    "History",
    "MLPInputError",
    "Network",
    "NetworkSpec",
    "NonFiniteError",
    "NotFittedError",
    "Params",
    "Perceptron",
    "ShapeError",
    "StepRecord",
    "init_standard_normal",
    "init_t2",
    "init_t4",
    "losses",
]
