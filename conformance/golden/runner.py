"""Run a golden case with one implementation and return its trajectory in the golden format.

The trajectory is a frame of (step, tensor, row, col, value), exactly the columns of
`expected.csv`: activations and deltas batch-first (n, k); parameters and gradients in the
case's layout. Implementations: "scratch" and "reference"; for init cases the confirming
implementation is "recipe", the tutorial's own instructions written out literally. Either
implementation computes in float64 (the golden values) or, asked for `dtype` "float32", in
float32 throughout: the inputs, parameters and learning rate rounded to float32 first, as a
float32 port would read them (the honest float32 ports of `conformance.ports`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # (_long_frame imports it: see conformance.golden.tensors)
    import pandas as pd

from conformance.golden.cases import Case
from conformance.golden.schema import with_defaults
from conformance.tolerances import DTYPES
from scratch import Network, Params, Perceptron, init_standard_normal, init_t2, init_t4
from scratch.layouts import named_in_layout
from scratch.optim import SGD
from scratch.perceptron import epoch_tensors

IMPLEMENTATIONS = {
    "network": ("scratch", "reference"),
    "perceptron": ("scratch", "reference"),
    "init": ("scratch", "recipe"),
}
COLUMNS = ["step", "tensor", "row", "col", "value"]


Pieces = list[tuple[int, dict[str, np.ndarray]]]
"""A trajectory as computed: (step, {tensor: array}) in order, each array as it came."""


def _matrix(A: np.ndarray) -> np.ndarray:
    """An array as the golden format holds it, in float64: a 1-D array (n,) as a column
    (n, 1), a scalar as one cell (1, 1), an array (n, ...) of more dimensions as (n, rest)."""
    A = np.asarray(A, dtype=np.float64)
    return A.reshape(A.shape[0], -1) if A.ndim > 1 else A.reshape(A.size, 1)


def _matrices(case_id: str, pieces: Pieces) -> dict[tuple[int, str], np.ndarray]:
    """{(step, tensor): 2-D float64 array} of `pieces` in order, each shaped by `_matrix`,
    empty arrays left out: what `trajectory_arrays` reads from their frame (`_long_frame`).
    A tensor computed twice for one step is a bug of ours (`case_id` names it)."""
    out: dict[tuple[int, str], np.ndarray] = {}
    for step, arrays in pieces:
        for name, A in arrays.items():
            if np.size(A) == 0:
                continue
            if (step, name) in out:
                raise AssertionError(f"{case_id}: step {step} {name} computed twice")
            out[(step, name)] = _matrix(A)
    return out


def _long_frame(matrices: dict[tuple[int, str], np.ndarray]) -> pd.DataFrame:
    """The (step, tensor, row, col, value) frame of `matrices` (`_matrices`) in order: every
    matrix's cells row by row. Values as float64, any NaN as the plain NaN; the arrays given
    are not changed.

    Built with NumPy instead of one text cell at a time, it is, bit for bit, the frame of the
    text rows `arrays_to_rows` writes, each value converted back by `float`; and it is the frame
    `read_table` reads from those rows in a file but for the sign of a zero, which that reader
    does not keep (test_trajectory_frame.py)."""
    import pandas as pd

    steps, names, rows, cols, values = [], [], [], [], []
    for (step, name), A2 in matrices.items():
        height, width = A2.shape
        steps.append(np.full(A2.size, step, dtype=np.int64))
        names.append(np.full(A2.size, name, dtype=object))
        rows.append(np.repeat(np.arange(height, dtype=np.int64), width))
        cols.append(np.tile(np.arange(width, dtype=np.int64), height))
        values.append(A2.ravel())
    join = lambda parts, dtype: np.concatenate(parts) if parts else np.empty(0, dtype)  # noqa: E731
    value = join(values, np.float64)
    value[np.isnan(value)] = np.nan  # (a NaN's sign and payload do not survive the text)
    columns = [join(steps, np.int64), join(names, object), join(rows, np.int64)]
    columns += [join(cols, np.int64), value]
    return pd.DataFrame(dict(zip(COLUMNS, columns, strict=True)))


def training_options(case: Case) -> dict:
    """The keyword options of `train`/`fit` a network case asks for (besides lr and steps):
    the training flags and the `optimizer` section as a `scratch.optim.SGD`."""
    meta = with_defaults(case.meta, all_keys=True)
    t = meta["training"]
    return {
        "objective": t["objective"],
        "maximize": t["maximize"],
        "freeze_biases": t["freeze_biases"],
        "optimizer": SGD(**meta["optimizer"]),
    }


def _implementation(case: Case, implementation: str, dtype: str) -> tuple:
    """(train, predict) of a network case's initial parameters in `implementation`, computing
    in `dtype`."""
    params = case.params.astype(np.dtype(dtype))
    if implementation == "scratch":
        net = Network(case.spec, params)
        return net.train, net.predict
    import torch  # only here: a scratch-only run (the scratch port) need not load torch

    from reference import TorchMLP

    model = TorchMLP(case.spec, params, dtype=getattr(torch, dtype), device="cpu")

    def predict(Xq: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(Xq).cpu().numpy()

    return model.train, predict


def batches(case: Case) -> list[np.ndarray]:
    """The sample rows of each step of a network case: every row (full batch), or with
    `training.batch_size` each epoch's row of data.csv's `order` cut into consecutive batches
    of that size, the last one partial (n mod batch_size rows) when n is not a multiple."""
    meta = with_defaults(case.meta, all_keys=True)
    n, size = case.data["X"].shape[0], meta["training"]["batch_size"]
    if not size:
        return [np.arange(n)] * meta["training"]["steps"]
    return [
        order[i : i + size].astype(np.int64)
        for order in case.data["order"]
        for i in range(0, n, size)
    ]


def _calls(case: Case, light: bool) -> list[tuple[int, np.ndarray | None, int]]:
    """The `train` calls that make a network case's trajectory: (first step, the batch's rows
    or None for every row, steps). A mini-batch step is a call of its own; in full batch, the
    steps between two fully recorded ones are one unrecorded call when only the cost and the
    output are recorded there (much faster over T4's 1000 steps)."""
    steps, full = case.meta["training"]["steps"], set(case.meta["record"]["full_steps"])
    if case.meta["training"].get("batch_size"):
        return [(step, rows, 1) for step, rows in enumerate(batches(case))]
    calls, step = [], 0
    while step < steps:
        run = 1
        while light and step not in full and step + run < steps and step + run not in full:
            run += 1
        calls.append((step, None, run))
        step += run
    return calls


def _network(case: Case, implementation: str, dtype: str) -> Pieces:
    X, Y = case.data["X"].astype(dtype), case.data["Y"].astype(dtype)
    lr = case.meta["training"]["lr"]
    options = training_options(case)
    train, predict = _implementation(case, implementation, dtype)
    every = case.meta["record"]["every_step"]
    full = set(case.meta["record"]["full_steps"])
    output = f"A{case.spec.depth}"
    # Steps whose every tensor is kept run with record=True; the others need only the cost and
    # the output, which an unrecorded step also returns.
    light = set(every) <= {"cost", output}
    pieces: list[tuple[int, dict[str, np.ndarray]]] = []
    for first, batch, run in _calls(case, light):
        Xb, Yb = (X, Y) if batch is None else (X[batch], Y[batch])
        record = first in full or not light
        history = train(Xb, Yb, lr, run, record=record, **options)
        for k in range(run):
            if record:
                tensors = history.records[k].arrays(case.layout)
            else:
                tensors = {"cost": history.cost[k : k + 1].reshape(1, 1), output: history.output[k]}
            names = tensors if first + k in full else every
            pieces.append((first + k, {name: tensors[name] for name in names}))
    if case.meta.get("query"):
        steps = case.meta["training"]["steps"]
        pieces.append((steps, {"prediction": predict(case.data["Xq"].astype(dtype))}))
    return pieces


def _perceptron(case: Case, implementation: str, dtype: str) -> Pieces:
    p = case.meta["perceptron"]
    X, y = case.data["X"].astype(dtype), case.data["y"][:, 0].astype(int)
    w0 = np.array(p["w0"], dtype=dtype)
    if implementation == "scratch":
        updates = Perceptron(p["eta"], p["max_epochs"]).fit(X, y, w0, p["b0"]).updates_
    else:
        from reference.perceptron import perceptron_updates

        updates = perceptron_updates(X, y, p["eta"], p["max_epochs"], w0, p["b0"])
    return list(epoch_tensors(updates).items())


def recipe_params(recipe: str, sizes: list[int], seed: int) -> Params:
    """The parameters a recipe makes, by `scratch.initializers`."""
    if recipe == "t2":
        return init_t2(sizes, seed)
    if recipe == "t4":
        return init_t4(sizes, seed)
    return init_standard_normal(sizes, seed)


def literal_t2_recipe(sizes: list[int], seed: int) -> Params:
    """T2's instructions, written out as the tutorial gives them, independent of scratch."""
    rng = np.random.default_rng(seed=seed)
    W, b = [], []
    for l in range(1, len(sizes)):
        W.append(rng.normal(scale=0.001, size=(sizes[l - 1], sizes[l])))
        b.append(np.zeros((1, sizes[l])))
    return Params([w.T for w in W], [x[0] for x in b])


def _init(case: Case, implementation: str, dtype: str) -> Pieces:
    init = case.meta["init"]
    if implementation == "scratch":
        params = recipe_params(init["recipe"], init["sizes"], init["seed"])
    else:
        params = literal_t2_recipe(init["sizes"], init["seed"])
    params = params.astype(np.dtype(dtype))  # the recipe's float64 draws, rounded once
    return [(0, named_in_layout(case.layout, params.W, params.b))]


def _pieces(case: Case, implementation: str, dtype: str) -> Pieces:
    """The case's trajectory computed by `implementation` in `dtype`, as computed."""
    if implementation not in IMPLEMENTATIONS[case.kind]:
        raise ValueError(f"{case.id}: no implementation {implementation!r} for a {case.kind} case")
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    run = {"network": _network, "perceptron": _perceptron, "init": _init}[case.kind]
    return run(case, implementation, dtype)


def trajectory(case: Case, implementation: str, dtype: str = "float64") -> pd.DataFrame:
    """The case's trajectory computed by `implementation` in `dtype` ("float64" or "float32"),
    in the golden format (values as float64, each exactly the float32 value in float32)."""
    return _long_frame(_matrices(case.id, _pieces(case, implementation, dtype)))


def trajectory_matrices(
    case: Case, implementation: str, dtype: str = "float64"
) -> dict[tuple[int, str], np.ndarray]:
    """The same trajectory as {(step, tensor): 2-D float64 array}, in order: what
    `trajectory_arrays` reads from `trajectory`'s frame, but a NaN keeps its sign (the shipped
    ports answer with these; test_trajectory_frame.py holds the two routes equal)."""
    return _matrices(case.id, _pieces(case, implementation, dtype))
