"""What the numbers of a case must mean, beyond their syntax: every tensor's shape against the
case's sizes and layout, `expected.csv` holding exactly what `record` promises at every step it
promises, and every printed figure pointing at a recorded cell with a finite value.

Shapes (rows, cols), for a network with sizes (n_0, ..., n_L), n samples and nq query rows:
X (n, n_0), Y (n, n_L), Xq (nq, n_0); Z<l>, A<l>, dA<l>, dZ<l>, aprime<l> (n, n_l); cost (1, 1);
prediction (nq, n_L); W<l>, dW<l>, W<l>_after (n_l, n_{l-1}) in layout t1 and (n_{l-1}, n_l) in
t2 and t3; b<l>, db<l>, b<l>_after (n_l, 1) in t1 (a vector stored as a column) and t3, (1, n_l)
in t2. A perceptron on n samples of d features: X (n, d), y (n, 1) of 0/1, and each epoch
prediction, error and b (n, 1), w (n, d), errors (1, 1); epoch 0 also epochs (1, 1), the run's
length, which must agree with the epochs recorded and their errors. Every problem raises
`CaseFormatError` naming the file, and the row and column where one cell is to blame.

Not for: the syntax of the CSV files (`golden.tensors`) or the keys of case.json (`golden.schema`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, DecimalException, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # (check_trajectory imports it: see conformance.golden.tensors)
    import pandas as pd

from conformance.golden.schema import step_names_of
from conformance.golden.tensors import CaseFormatError
from conformance.tolerances import half_unit

Shapes = dict[str, tuple[int, int]]
KEYS = ["step", "tensor", "row", "col"]


def param_shapes(
    layout: str, sizes: list[int], bias: bool, w: str = "W", b: str = "b", suffix: str = ""
) -> Shapes:
    """W<l> and b<l> (names `w`, `b` + l + `suffix`) in `layout`: see the module docstring."""
    out: Shapes = {}
    for l in range(1, len(sizes)):
        n_in, n_out = sizes[l - 1], sizes[l]
        out[f"{w}{l}{suffix}"] = (n_out, n_in) if layout == "t1" else (n_in, n_out)
        if bias:
            out[f"{b}{l}{suffix}"] = (1, n_out) if layout == "t2" else (n_out, 1)
    return out


def _line(frame: pd.DataFrame, mask: Any) -> int:
    """The file line of the first row where `mask` holds (the frame's index i is line i + 2)."""
    return int(frame.index[np.flatnonzero(np.asarray(mask))[0]]) + 2


def check_tensors(file: Path, frame: pd.DataFrame, arrays: dict, shapes: Shapes, why: str) -> None:
    """`arrays` (read from `frame`) must be exactly the tensors of `shapes`, each of its shape."""
    for name in arrays:
        if name not in shapes:
            raise CaseFormatError(
                f"{file}, row {_line(frame, frame['tensor'] == name)}, column 'tensor': tensor "
                f"{name!r} does not belong here; {why} has exactly {list(shapes)}"
            )
    missing = [name for name in shapes if name not in arrays]
    if missing:
        raise CaseFormatError(f"{file}: tensor(s) {missing} missing; {why} has {list(shapes)}")
    for name, shape in shapes.items():
        if arrays[name].shape != shape:
            raise CaseFormatError(
                f"{file}, row {_line(frame, frame['tensor'] == name)}: tensor {name!r} has shape "
                f"{arrays[name].shape}, but {why} needs {shape}"
            )


def check_params(file: Path, frame: pd.DataFrame, arrays: dict, meta: dict) -> None:
    """params.csv: W<l> (and b<l> with bias) of the case's sizes, in its layout."""
    net = meta["network"]
    why = f"layout {meta['layout']} with sizes {net['sizes']} and bias {net['bias']}"
    check_tensors(file, frame, arrays, param_shapes(meta["layout"], net["sizes"], net["bias"]), why)


def check_data(file: Path, frame: pd.DataFrame, arrays: dict, meta: dict) -> None:
    """data.csv: X (n, n_0), Y (n, n_L) one-hot for cross-entropy, Xq (nq, n_0) for a query; a
    perceptron's X (n, d) with d = len(w0), y (n, 1) of 0/1."""
    names = ["X", "Y", "Xq"][: 3 if meta.get("query") else 2]
    if meta["kind"] == "network" and meta["training"].get("batch_size", 0):
        names.append("order")
    if meta["kind"] == "perceptron":
        names = ["X", "y"]
    as_found = {name: arrays.get(name, np.empty((0, 0))).shape for name in names}
    why = f"a {meta['kind']} case{' with a query' if meta.get('query') else ''}"
    check_tensors(file, frame, arrays, as_found, why)
    n = arrays["X"].shape[0]
    if meta["kind"] == "perceptron":
        d = len(meta["perceptron"]["w0"])
        shapes = {"X": (n, d), "y": (n, 1)}
        why = f"perceptron.w0 of length {d} (n = {n} samples)"
        check_tensors(file, frame, arrays, shapes, why)
        labels = frame["value"].where(frame["tensor"] == "y", 0).to_numpy()
        if not np.isin(labels, (0, 1)).all():
            line = _line(frame, ~np.isin(labels, (0, 1)))
            got = frame.loc[line - 2, "value"]
            raise CaseFormatError(
                f"{file}, row {line}, column 'value': a label y must be 0 or 1, got {got:g}"
            )
        return
    sizes = meta["network"]["sizes"]
    shapes = {"X": (n, sizes[0]), "Y": (n, sizes[-1])}
    if meta.get("query"):
        shapes["Xq"] = (arrays["Xq"].shape[0], sizes[0])
    if "order" in arrays:
        shapes["order"] = (arrays["order"].shape[0], n)
    check_tensors(file, frame, arrays, shapes, f"sizes {sizes} with n = {n} samples in X")
    if "order" in arrays:
        check_order(file, frame, arrays["order"], meta["training"])
    Y = arrays["Y"]
    one_hot = np.isin(Y, (0, 1)).all(axis=1) & (Y.sum(axis=1) == 1)
    if meta["network"]["loss"] == "cross_entropy" and not one_hot.all():
        i = int(np.flatnonzero(~one_hot)[0])
        line = _line(frame, (frame["tensor"] == "Y") & (frame["row"] == i))
        raise CaseFormatError(
            f"{file}, row {line}, column 'value': Y row {i} is {Y[i].tolist()}, but "
            "cross_entropy needs one-hot targets (one 1, every other entry 0)"
        )


def check_order(file: Path, frame: pd.DataFrame, order: np.ndarray, training: dict) -> None:
    """data.csv's `order` (epochs, n): each row a permutation of the sample rows 0..n-1, and
    `training.steps` = epochs x ceil(n / batch_size), one step per mini-batch."""
    n = order.shape[1]
    for e, row in enumerate(order):
        if sorted(row.tolist()) != list(range(n)):
            line = _line(frame, (frame["tensor"] == "order") & (frame["row"] == e))
            raise CaseFormatError(
                f"{file}, row {line}: order row {e} (epoch {e}) must be a permutation of the "
                f"sample rows 0..{n - 1}, got {row.tolist()[:12]}"
            )
    per_epoch = -(-n // training["batch_size"])
    if training["steps"] != order.shape[0] * per_epoch:
        raise CaseFormatError(
            f"{file}: {order.shape[0]} epochs of {per_epoch} mini-batches (n = {n}, batch_size "
            f"{training['batch_size']}) are {order.shape[0] * per_epoch} steps, but "
            f"training.steps is {training['steps']}"
        )


def batch_rows(meta: dict, data: dict) -> list[int]:
    """The samples of each step of a network case: n for full batch; with mini-batches
    batch_size, and n mod batch_size for an epoch's last, partial batch."""
    n, steps = data["X"].shape[0], meta["training"]["steps"]
    size = meta["training"].get("batch_size", 0)
    if not size:
        return [n] * (steps + 1)
    sizes = [min(size, n - i) for i in range(0, n, size)]
    return (sizes * (steps // len(sizes) + 1))[: steps + 1]


PER_SAMPLE = re.compile(r"^(Z|A|dA|dZ|aprime)\d+$")
"""Tensors with a row per sample of the step's batch."""


def _promises(meta: dict, data: dict) -> tuple[Shapes, Iterator[tuple[int, list[str], str]]]:
    """The tensors a case's expected.csv may hold, by name and shape, and in step order each
    step's names with the key that promises them."""
    if meta["kind"] == "init":
        init = meta["init"]
        shapes = param_shapes(meta["layout"], init["sizes"], init["recipe"] != "t4")
        return shapes, iter([(0, list(shapes), f"an init case (recipe {init['recipe']})")])
    n = data["X"].shape[0]
    if meta["kind"] == "perceptron":
        d = data["X"].shape[1]
        shapes = {"prediction": (n, 1), "error": (n, 1), "w": (n, d), "b": (n, 1)}
        return {**shapes, "errors": (1, 1), "epochs": (1, 1)}, iter([])  # see check_trajectory
    net, record = meta["network"], meta["record"]
    sizes, steps = net["sizes"], meta["training"]["steps"]
    shapes = {}
    for l, n_l in enumerate(sizes[1:], start=1):
        shapes |= {f"{t}{l}": (n, n_l) for t in ("Z", "A", "dA", "dZ", "aprime")}
    shapes["cost"] = (1, 1)
    shapes |= param_shapes(meta["layout"], sizes, net["bias"], "dW", "db")
    shapes |= param_shapes(meta["layout"], sizes, net["bias"], "vW", "vb")
    shapes |= param_shapes(meta["layout"], sizes, net["bias"], suffix="_after")
    full_names = step_names_of(meta)
    shapes = {name: shapes[name] for name in full_names}
    if meta.get("query"):
        shapes["prediction"] = (data["Xq"].shape[0], sizes[-1])

    def steps_promised() -> Iterator[tuple[int, list[str], str]]:
        full, every = set(record["full_steps"]), record["every_step"]
        for step in range(steps) if every else sorted(full):
            if step in full:
                yield step, full_names, "record.full_steps"
            else:
                yield step, every, "record.every_step"
        if meta.get("query"):
            yield steps, ["prediction"], "query (at step = training.steps)"

    return shapes, steps_promised()


def check_trajectory(
    file: Path, frame: pd.DataFrame, meta: dict, data: dict
) -> dict[tuple[int, str], tuple[int, int]]:
    """expected.csv: every (step, tensor) that the case promises, each complete and of its
    shape, and nothing else. A header-only file is an error. Returns {(step, tensor): shape}."""
    import pandas as pd

    if frame.empty:
        raise CaseFormatError(f"{file}: holds no values, only the header")
    negative = (frame[["step", "row", "col"]] < 0).any(axis=1)
    if negative.any():
        raise CaseFormatError(f"{file}, row {_line(frame, negative)}: negative step, row or col")
    repeated = frame.duplicated(KEYS)
    if repeated.any():
        line = _line(frame, repeated)
        step, name, row, col = frame.loc[line - 2, KEYS]
        raise CaseFormatError(f"{file}, row {line}: step {step} {name}[{row},{col}] appears twice")
    shapes, promised = _promises(meta, data)
    codes, names = pd.factorize(frame["tensor"].to_numpy())
    unknown = [name not in shapes for name in names]
    if any(unknown):
        line = _line(frame, codes == unknown.index(True))
        raise CaseFormatError(
            f"{file}, row {line}, column 'tensor': {names[unknown.index(True)]!r} is no tensor "
            f"of this case; it records {list(shapes)}"
        )
    # One group per (step, tensor): its largest row and col, its cell count, its first line.
    steps, rows, cols = (frame[k].to_numpy() for k in ("step", "row", "col"))
    keys, first, group = np.unique(steps * len(names) + codes, True, True)
    r, c = np.zeros(len(keys), np.int64), np.zeros(len(keys), np.int64)
    np.maximum.at(r, group, rows + 1)
    np.maximum.at(c, group, cols + 1)
    count = np.bincount(group)
    need = np.array([shapes[name] for name in names])[codes[first]]
    if meta["kind"] == "network":  # a mini-batch step's per-sample tensors have its rows
        rows_at = np.array(batch_rows(meta, data))
        per_sample = np.array([bool(PER_SAMPLE.match(name)) for name in names])[codes[first]]
        group_steps = steps[first]
        need[:, 0] = np.where(
            per_sample, rows_at[np.minimum(group_steps, len(rows_at) - 1)], need[:, 0]
        )
    wrong = (r != need[:, 0]) | (c != need[:, 1]) | (count != need[:, 0] * need[:, 1])
    if wrong.any():
        g = int(np.flatnonzero(wrong)[0])
        shape, want = (int(r[g]), int(c[g])), tuple(int(x) for x in need[g])
        raise CaseFormatError(
            f"{file}, row {first[g] + 2}: step {steps[first[g]]} tensor {names[codes[first[g]]]!r} "
            f"has {count[g]} cells up to shape {shape}, but this case's sizes and layout need "
            f"all {want[0] * want[1]} of {want}"
        )
    present: dict[int, dict[str, int]] = {}
    recorded = {}
    for i in first:
        step, name = int(steps[i]), names[codes[i]]
        present.setdefault(step, {})[name] = int(i) + 2
        recorded[step, name] = shapes[name]
    if meta["kind"] == "perceptron":
        epochs, most = max(present) + 1, meta["perceptron"]["max_epochs"]
        if epochs > most:
            line = min(present[epochs - 1].values())
            raise CaseFormatError(
                f"{file}, row {line}, column 'step': epoch {epochs - 1} is past "
                f"perceptron.max_epochs = {most}"
            )
        every = [name for name in shapes if name != "epochs"]
        promised = iter(
            [(0, list(shapes), "a perceptron's epoch 0")]
            + [(e, every, "a perceptron epoch") for e in range(1, epochs)]
        )
    for step, names, why in promised:
        got = present.pop(step, {})
        missing = [name for name in names if name not in got]
        if missing:
            raise CaseFormatError(f"{file}: step {step} lacks {missing}, which {why} promises")
        extra = [name for name in got if name not in names]
        if extra:
            raise CaseFormatError(
                f"{file}, row {got[extra[0]]}: step {step} holds {extra[0]!r}, which {why} does "
                f"not promise (it promises {names})"
            )
    for step, got in present.items():
        raise CaseFormatError(
            f"{file}, row {min(got.values())}, column 'step': step {step} is not promised by "
            "this case (see record, training.steps and query)"
        )
    if meta["kind"] == "perceptron":
        check_run_length(file, frame, meta["perceptron"]["max_epochs"])
    return recorded


def check_run_length(file: Path, frame: pd.DataFrame, max_epochs: int) -> None:
    """A perceptron's expected.csv (complete, as `check_trajectory` found it): every epoch but
    the last has errors, the last is error-free or the max_epochs-th, and step 0's `epochs`
    counts them."""
    errors = frame[frame["tensor"] == "errors"].sort_values("step")
    count = len(errors)
    early = errors.iloc[:-1][errors["value"].iloc[:-1] == 0]
    if not early.empty:
        raise CaseFormatError(
            f"{file}, row {int(early.index[0]) + 2}: epoch {early['step'].iloc[0]} is error-free, "
            f"so the run ends there, yet {count} epochs are recorded"
        )
    if errors["value"].iloc[-1] != 0 and count != max_epochs:
        raise CaseFormatError(
            f"{file}, row {int(errors.index[-1]) + 2}: the last epoch, {count - 1}, has errors "
            f"and is not the last of perceptron.max_epochs = {max_epochs}"
        )
    epochs = frame[frame["tensor"] == "epochs"]
    if epochs["value"].iloc[0] != count:
        raise CaseFormatError(
            f"{file}, row {int(epochs.index[0]) + 2}, column 'value': epochs is "
            f"{epochs['value'].iloc[0]:g}, but {count} epochs are recorded"
        )


def check_transcribed(
    file: Path, frame: pd.DataFrame, recorded: dict[tuple[int, str], tuple[int, int]] | None
) -> pd.DataFrame:
    """transcribed.csv: each printed figure a finite decimal, its tolerance exactly half a unit
    in its last printed place, its check id new, its cell one that expected.csv records
    (`recorded`, from `check_trajectory`, when there is one). Returns the frame with the figure
    as `value` and the tolerance as `tol` (floats)."""
    values, tolerances = [], []
    for i, (printed, tolerance) in enumerate(
        zip(frame["printed"], frame["tolerance"], strict=True)
    ):
        try:
            figure, tol = Decimal(printed), Decimal(tolerance)
            if not figure.is_finite() or not np.isfinite(float(figure)):
                raise InvalidOperation
            rule = half_unit(printed)
        except DecimalException:
            raise CaseFormatError(
                f"{file}, row {i + 2}, column 'printed' or 'tolerance': not a finite decimal "
                f"number ({printed!r}, {tolerance!r})"
            ) from None
        if tol != rule:
            raise CaseFormatError(
                f"{file}, row {i + 2}, column 'tolerance': {tolerance} is not half a unit in the "
                f"last printed place of {printed} ({rule})"
            )
        if not 0 < float(tol) < np.inf:
            raise CaseFormatError(
                f"{file}, row {i + 2}, column 'tolerance': {tolerance} is not a finite positive "
                "number (a figure printed that far out of range checks nothing)"
            )
        values.append(float(figure))
        tolerances.append(float(tol))
    for column in ("check", "tensor"):
        if (frame[column] == "").any():
            line = _line(frame, frame[column] == "")
            raise CaseFormatError(f"{file}, row {line}, column '{column}': empty cell")
    if frame["check"].duplicated().any():
        line = _line(frame, frame["check"].duplicated())
        raise CaseFormatError(f"{file}, row {line}, column 'check': repeated check id")
    if recorded is not None:
        for i, (step, name, row, col) in enumerate(frame[KEYS].itertuples(index=False)):
            shape = recorded.get((step, name), (0, 0))
            if not (row < shape[0] and col < shape[1]):
                raise CaseFormatError(
                    f"{file}, row {i + 2}: step {step} {name}[{row},{col}] is not a cell of "
                    "expected.csv"
                )
    return frame.assign(value=values, tol=tolerances)
