"""`train`: train a network on a CSV file and save it as a case that `run` replays.

Every option and the output folder are checked before training starts; the folder may not be
golden data (see `options.check_not_golden`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from conformance.cli.format import progress
from conformance.cli.options import CLIError, check_not_golden, check_positive, check_steps


def read_training_csv(path: Path, n_in: int, n_out: int, targets: list[str] | None):
    """X (n, n_in) and Y (n, n_out) from a CSV with a header, read with pandas."""
    import pandas as pd

    if not path.is_file():
        raise CLIError(f"{path}: no such file")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise CLIError(f"{path}: not a readable CSV file ({err})") from None
    columns = list(frame.columns)
    if targets:
        missing = [c for c in targets if c not in columns]
        if missing:
            raise CLIError(f"{path}: no column(s) {missing}; columns are {columns}")
        inputs = [c for c in columns if c not in targets]
    else:
        inputs, targets = columns[: len(columns) - n_out], columns[len(columns) - n_out :]
    if len(inputs) != n_in or len(targets) != n_out:
        raise CLIError(
            f"{path}: {len(columns)} columns, but --sizes needs {n_in} inputs and {n_out} "
            f"targets (the last {n_out} columns, or those named by --targets)"
        )
    for name in columns:
        values = pd.to_numeric(frame[name], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy())
        if len(bad):
            raise CLIError(
                f"{path}, row {bad[0] + 2}, column {name!r}: {frame[name].iloc[bad[0]]!r} "
                "is not a number"
            )
    X = frame[inputs].to_numpy(dtype=np.float64)
    Y = frame[targets].to_numpy(dtype=np.float64)
    return X, Y, inputs, targets


def check_out(out: Path, data: Path, force: bool) -> None:
    """`CLIError` unless the case can be written into folder `out`: not a file, not golden data,
    and empty unless `force`."""
    if out.exists() and not out.is_dir():
        raise CLIError(f"-o {out}: exists and is not a folder")
    check_not_golden(out, data)
    if out.is_dir() and any(out.iterdir()) and not force:
        raise CLIError(f"{out} exists and is not empty; choose another -o or add --force")


def cmd_train(args) -> int:
    from conformance.golden.cases import write_case
    from scratch import Network, NetworkSpec, NonFiniteError, init_standard_normal

    check_steps("--steps", args.steps, limit=None)
    check_positive("--lr", args.lr)
    check_positive("--scale", args.scale)
    if args.seed < 0:
        raise CLIError(f"--seed must be >= 0, got {args.seed}")
    out = Path(args.out)
    check_out(out, args.data, args.force)
    spec = NetworkSpec.build(
        args.sizes, args.hidden, args.output, args.loss, args.reduction, not args.no_bias
    )
    X, Y, inputs, targets = read_training_csv(
        args.data_csv, spec.sizes[0], spec.sizes[-1], args.targets
    )
    params = init_standard_normal(spec.sizes, args.seed, scale=args.scale, bias=spec.bias)
    net = Network(spec, params)
    for t in progress(range(args.steps), args.steps, "train"):
        try:
            cost = net.train_step(X, Y, args.lr)
        except NonFiniteError as err:
            raise CLIError(
                f"training diverged at step {t} with --lr {args.lr:g}: {err.detail}; "
                f"nothing was written"
            ) from None
        if t == 0:
            first = cost
    final = net.cost(net.forward(X), Y)
    case_id = out.name
    L = spec.depth
    meta = {
        "id": case_id,
        "kind": "network",
        "source": {
            "tutorial": "user",
            "section": f"trained by `mlp-conformance train` on {args.data_csv.name}",
            "file": str(args.data_csv),
        },
        "description": (
            f"A {'-'.join(map(str, spec.sizes))} network trained for {args.steps} steps "
            f"(lr {args.lr:g}, seed {args.seed}, standard normal x {args.scale:g} weights) on "
            f"{args.data_csv.name}: inputs {inputs}, "
            f"targets {targets}. Its params.csv holds the trained parameters; replaying it "
            "continues "
            f"training from them."
        ),
        "layout": "t1",
        "network": {
            "sizes": list(spec.sizes),
            "activations": list(spec.activations),
            "loss": spec.loss,
            "reduction": spec.reduction,
            "bias": spec.bias,
        },
        "training": {
            "lr": args.lr,
            "steps": min(args.steps, 100),
            "objective": "cost",
            "maximize": False,
        },
        "record": {"every_step": ["cost", f"A{L}"], "full_steps": [0]},
    }
    try:
        write_case(out, meta, net.params, {"X": X, "Y": Y})
    except OSError as err:
        raise CLIError(f"-o {out}: cannot write the case ({err})") from None
    print(
        f"trained {'-'.join(map(str, spec.sizes))} for {args.steps} steps: "
        f"cost {first:.6g} -> {final:.6g}"
    )
    print(f"wrote {out}/case.json, case.txt, params.csv (the trained parameters), data.csv")
    print(f"replay it with `mlp-conformance run {out}`")
    return 0
