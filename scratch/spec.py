"""`NetworkSpec`: what a network is (sizes, activations, loss, reduction, biases), without weights.

Both implementations are built from a `NetworkSpec` and a `Params`; this module only describes
and validates, it computes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scratch.activations import get_activation
from scratch.errors import ConfigError
from scratch.losses import get_loss
from scratch.params import Params
from scratch.validation import check_count, check_instance


@dataclass(frozen=True)
class NetworkSpec:
    """A fully connected network's architecture and cost.

    sizes: (n_0, n_1, ..., n_L), inputs first, at least two entries, each an int >= 1.
    activations: one name per layer 1..L (so L entries), from `scratch.activations.ACTIVATIONS`.
    loss: "mse" or "cross_entropy" (the latter needs a softmax output layer).
    reduction: "sample_mean", "sum" or (mse only) "element_mean"; see `scratch.losses`.
    bias: whether the layers have biases (T4's 1000-step network has none).
    """

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str = "mse"
    reduction: str = "sample_mean"
    bias: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.sizes, str) or not isinstance(self.sizes, Sequence):
            raise ConfigError(f"sizes must be a sequence of ints, got {self.sizes!r}")
        if len(self.sizes) < 2:
            raise ConfigError(f"sizes needs at least an input and an output size, got {self.sizes}")
        sizes = tuple(check_count(f"sizes[{i}]", s, minimum=1) for i, s in enumerate(self.sizes))
        object.__setattr__(self, "sizes", sizes)
        if isinstance(self.activations, str) or not isinstance(self.activations, Sequence):
            raise ConfigError(f"activations must be a sequence of names, got {self.activations!r}")
        if len(self.activations) != len(sizes) - 1:
            raise ConfigError(
                f"activations has {len(self.activations)} entries but sizes {sizes} describes "
                f"{len(sizes) - 1} layers: give one activation per layer"
            )
        for i, name in enumerate(self.activations):
            get_activation(name)
            if name == "softmax" and sizes[i + 1] == 1:
                raise ConfigError(f"layer {i + 1} is a softmax over 1 unit, which is constant 1")
        object.__setattr__(self, "activations", tuple(self.activations))
        get_loss(self.loss, self.reduction)
        if self.loss == "cross_entropy" and self.activations[-1] != "softmax":
            raise ConfigError(
                "loss 'cross_entropy' is the categorical cross-entropy of softmax outputs: the "
                f"output activation must be 'softmax', got {self.activations[-1]!r}"
            )
        if not isinstance(self.bias, bool):
            raise ConfigError(f"bias must be True or False, got {self.bias!r}")

    @classmethod
    def build(
        cls,
        sizes: Sequence[int],
        hidden: str = "relu",
        output: str = "identity",
        loss: str = "mse",
        reduction: str = "sample_mean",
        bias: bool = True,
    ) -> NetworkSpec:
        """One activation for every hidden layer and one for the output layer."""
        depth = len(sizes) - 1
        return cls(tuple(sizes), (hidden,) * (depth - 1) + (output,), loss, reduction, bias)

    @property
    def depth(self) -> int:
        """L, the number of weight layers."""
        return len(self.sizes) - 1

    def check_params(self, params: Params) -> None:
        """Raise `ConfigError` unless `params` has this spec's sizes and bias setting
        (`DTypeError` if it is not a `Params` at all)."""
        check_instance("params", params, Params, "a scratch.Params")
        if params.sizes != self.sizes:
            raise ConfigError(f"params have sizes {params.sizes} but the spec says {self.sizes}")
        if params.has_bias != self.bias:
            raise ConfigError(
                f"the spec says bias={self.bias} but the params "
                f"{'have' if params.has_bias else 'lack'} biases"
            )
