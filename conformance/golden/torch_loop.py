"""An independent check of a network case's training: the plainest PyTorch loop there is.

`nn.Sequential` of `nn.Linear` and activation modules, the cost written out in torch
operations, `loss.backward()` and `torch.optim.SGD` with the case's options, one step per
batch (data/README.md, "Training"). It shares nothing with `reference.TorchMLP` or scratch but
the case's parameters and data as loaded, and the converters to the case's layout. It records
what an optimizer step leaves behind: the cost and output before each step, the parameters and
momentum buffers after it. `python -m conformance.golden.sgd_cases` confirms every case it
writes with it, and `conformance/tests/test_torch_loop.py` checks every golden network case's
expected values against it.

Not for: the gradients and deltas of a step (the matrix and the golden runner compare those
with autograd through `reference`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from conformance.golden.cases import Case
from conformance.golden.runner import batches
from conformance.golden.schema import with_defaults
from scratch.layouts import named_in_layout

MODULES = {
    "identity": nn.Identity,
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "softmax": lambda: nn.Softmax(dim=1),
}


def _cost(case: Case, Z: torch.Tensor, A: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    net = case.meta["network"]
    d = {"sample_mean": Y.shape[0], "sum": 1, "element_mean": Y.numel()}[net["reduction"]]
    if net["loss"] == "cross_entropy":
        return -(Y * torch.log_softmax(Z, dim=1)).sum() / d
    return ((A - Y) ** 2).sum() / (2 * d)


def torch_loop(case: Case) -> dict[tuple[int, str], np.ndarray]:
    """{(step, name): array} for cost, the output A<L>, W<l>_after, b<l>_after, and with
    momentum vW<l>, vb<l>, every step, in the case's layout (float64)."""
    meta = with_defaults(case.meta, all_keys=True)
    t, net = meta["training"], meta["network"]
    linears = [
        nn.Linear(n_in, n_out, bias=net["bias"], dtype=torch.float64)
        for n_in, n_out in zip(net["sizes"][:-1], net["sizes"][1:], strict=True)
    ]
    layers = []
    with torch.no_grad():
        for i, linear in enumerate(linears):
            linear.weight.copy_(torch.tensor(case.params.W[i]))
            if net["bias"]:
                linear.bias.copy_(torch.tensor(case.params.b[i]))
            layers += [linear, MODULES[net["activations"][i]]()]
    model = nn.Sequential(*layers)
    trained = [p for lin in linears for p in (lin.weight, lin.bias) if p is not None]
    if t["freeze_biases"]:
        trained = [lin.weight for lin in linears]
    sgd = torch.optim.SGD(trained, lr=t["lr"], maximize=t["maximize"], **meta["optimizer"])
    X, Y = torch.tensor(case.data["X"]), torch.tensor(case.data["Y"])
    L = len(linears)
    out: dict[tuple[int, str], np.ndarray] = {}
    for step, rows in enumerate(batches(case)):
        sgd.zero_grad()
        Z = model[:-1](X[rows])  # the logits: every module but the last activation
        A = model[-1](Z)
        cost = _cost(case, Z, A, Y[rows])
        (cost if t["objective"] == "cost" else A.sum()).backward()
        sgd.step()
        out[step, "cost"] = np.array([[cost.item()]])
        out[step, f"A{L}"] = A.detach().numpy().copy()
        W = [lin.weight.detach().numpy().copy() for lin in linears]
        b = [None if lin.bias is None else lin.bias.detach().numpy().copy() for lin in linears]
        arrays = named_in_layout(case.layout, W, b, suffix="_after")
        if meta["optimizer"]["momentum"]:

            def buffer(p: torch.Tensor | None) -> np.ndarray | None:
                if p is None or p not in sgd.state:
                    return None
                return sgd.state[p]["momentum_buffer"].numpy().copy()

            vW = [buffer(lin.weight) for lin in linears]
            vb = [None if t["freeze_biases"] else buffer(lin.bias) for lin in linears]
            arrays |= named_in_layout(case.layout, vW, vb, w_name="vW", b_name="vb")
        for name, array in arrays.items():  # a bias vector as the column of data/README.md
            out[step, name] = array.reshape(-1, 1) if array.ndim == 1 else array
    return out
