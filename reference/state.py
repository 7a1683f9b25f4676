"""Converters between `scratch.Params` and the state dict of `reference.TorchMLP`.

The internal layout is torch's own (`nn.Linear.weight` is (n_out, n_in), `.bias` is (n_out,)),
so conversion only renames and changes the array type: key ``layers.{i}.weight`` holds W[i]
and ``layers.{i}.bias`` holds b[i], i = 0 for layer 1.
"""

from __future__ import annotations

import re

import numpy as np
import torch

from scratch.errors import ShapeError
from scratch.params import Params

_KEY = re.compile(r"layers\.(\d+)\.(weight|bias)")


def params_to_state_dict(
    params: Params, dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu"
) -> dict[str, torch.Tensor]:
    """`Params` -> {"layers.{i}.weight": W[i], "layers.{i}.bias": b[i]} as tensors."""
    state: dict[str, torch.Tensor] = {}
    for i, (W, b) in enumerate(zip(params.W, params.b, strict=True)):
        state[f"layers.{i}.weight"] = torch.tensor(W, dtype=dtype, device=device)
        if b is not None:
            state[f"layers.{i}.bias"] = torch.tensor(b, dtype=dtype, device=device)
    return state


def state_dict_to_params(state: dict[str, torch.Tensor]) -> Params:
    """A `TorchMLP` state dict -> `Params` (NumPy arrays of the tensors' dtype, on the CPU)."""
    found: dict[int, dict[str, np.ndarray]] = {}
    for key, value in state.items():
        match = _KEY.fullmatch(key)
        if match is None:
            raise ShapeError(f"state dict key {key!r} is not of the form layers.<i>.weight|bias")
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
