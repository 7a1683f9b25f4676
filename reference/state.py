"""Converters between `scratch.Params` and the state dict of `reference.TorchMLP`.

The internal layout is torch's own (`nn.Linear.weight` is (n_out, n_in), `.bias` is (n_out,)),
so conversion only renames and changes the array type: key ``layers.{i}.weight`` holds W[i]
and ``layers.{i}.bias`` holds b[i], i = 0 for layer 1.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import torch

from scratch.errors import DTypeError, NonFiniteError, ShapeError
from scratch.params import Params
from scratch.validation import check_instance

_KEY = re.compile(r"layers\.(\d+)\.(weight|bias)")


def params_to_state_dict(
    params: Params, dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu"
) -> dict[str, torch.Tensor]:
    """`Params` -> {"layers.{i}.weight": W[i], "layers.{i}.bias": b[i]} as tensors: W[i]
    (n_out, n_in), b[i] (n_out,), of `dtype` (torch.float32 or float64) on `device`."""
    check_instance("params", params, Params, "a scratch.Params")
    if dtype not in (torch.float32, torch.float64):
        raise DTypeError(f"dtype must be torch.float32 or torch.float64, got {dtype!r}")
    state: dict[str, torch.Tensor] = {}
    for i, (W, b) in enumerate(zip(params.W, params.b, strict=True)):
        state[f"layers.{i}.weight"] = torch.tensor(W, dtype=dtype, device=device)
        if b is not None:
            state[f"layers.{i}.bias"] = torch.tensor(b, dtype=dtype, device=device)
    return state


def state_dict_to_params(state: dict[str, torch.Tensor]) -> Params:
    """A `TorchMLP` state dict -> `Params` (NumPy arrays of the tensors' dtype, on the CPU):
    "layers.{i}.weight" (n_out, n_in) tensors and, for every layer or none, "layers.{i}.bias"
    (n_out,)."""
    check_instance("state", state, Mapping, "a dict of tensors (a state dict)")
    if not state:
        raise ShapeError("state dict is empty: it needs layers.0.weight at least")
    found: dict[int, dict[str, np.ndarray]] = {}
    for key, value in state.items():
        match = _KEY.fullmatch(key) if isinstance(key, str) else None
        if match is None:
            raise ShapeError(f"state dict key {key!r} is not of the form layers.<i>.weight|bias")
        check_instance(f"state[{key!r}]", value, torch.Tensor, "a torch.Tensor")
        found.setdefault(int(match[1]), {})[match[2]] = value.detach().cpu().numpy()
    if sorted(found) != list(range(len(found))):
        raise ShapeError(f"state dict layers {sorted(found)} are not numbered 0..{len(found) - 1}")
    layers = [found[i] for i in range(len(found))]
    if any("weight" not in layer for layer in layers):
        raise ShapeError("every layer of the state dict needs a weight")
    has_bias = ["bias" in layer for layer in layers]
    if any(has_bias) and not all(has_bias):
        raise ShapeError("state dict has biases for some layers but not all")
    return Params(
        [layer["weight"] for layer in layers],
        [layer["bias"] for layer in layers] if all(has_bias) else None,
    )


def check_finite_state(state: Mapping[str, torch.Tensor]) -> None:
    """Raise `NonFiniteError` naming, by scratch's name, the first tensor of a `TorchMLP` state
    dict that holds NaN or Inf: W[0], ..., W[L-1], then b[0], ..., b[L-1], the order in which
    `scratch.Params.adopt` looks. One device synchronisation for the whole check."""
    named = sorted(
        (match[2] == "bias", int(match[1]), tensor)
        for key, tensor in state.items()
        if (match := _KEY.fullmatch(key))
    )
    finite = torch.stack([torch.isfinite(t).all() for _, _, t in named]).tolist()
    for (is_bias, i, tensor), ok in zip(named, finite, strict=True):
        if not ok:
            name = f"{'b' if is_bias else 'W'}[{i}]"
            raise NonFiniteError(f"{name} contains NaN or Inf (shape {tuple(tensor.shape)})")
