"""`mlp-conformance`: replay the tutorials' worked examples, look at every tensor, plot the cost,
check a port, train a network on a CSV file.

    mlp-conformance                       # the default run: T1's 10-epoch table, to 3.0034
    mlp-conformance list
    mlp-conformance run CASE [--steps N] [--lr X] [--every K]
    mlp-conformance show CASE --step K
    mlp-conformance plot CASE -o curve.png [--steps N] [--lr X]
    mlp-conformance check --port "<command>" [--case ID] [--strict] [--junit FILE]
    mlp-conformance train DATA.csv --sizes 2 3 1 [...] -o OUTDIR

CASE is a case id from `list` or the path of a case folder (such as one `train` wrote).
Heavy libraries (torch, matplotlib) are imported only by the commands that need them.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import textwrap
from pathlib import Path

import numpy as np

from conformance.golden.cases import DATA, Case, case_dirs, load_case
from conformance.golden.tensors import CaseFormatError
from scratch.errors import MLPInputError

DEFAULT_CASE = "T1-blog"
PROGRESS_ABOVE = 200
"""Runs of more steps than this draw a progress bar (on stderr); shorter ones do not."""


class CLIError(Exception):
    """A user mistake the command reports in one line (exit status 2)."""


# -- finding cases ------------------------------------------------------------------------------
def resolve_case(name: str, data: Path) -> Case:
    """A case by id (in `data`) or by folder path; a clear error for anything else."""
    path = Path(name)
    if (path / "case.json").is_file():
        return load_case(path)
    known = [p.name for p in case_dirs(data)]
    if name not in known:
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise CLIError(f"unknown case {name!r}{hint} (see `mlp-conformance list`)")
    return load_case(data / name)


def first_sentence(text: str, limit: int = 70) -> str:
    sentence = text.split(". ")[0].rstrip(".")
    return sentence if len(sentence) <= limit else sentence[: limit - 3] + "..."


def header(case: Case) -> str:
    source = case.meta["source"]
    lines = [
        f"{case.id}: {case.meta['description']}",
        f"source: {source['tutorial']} ({source['file']}), {source['section']}",
    ]
    return "\n".join(textwrap.fill(line, 100) for line in lines)


# -- formatting ---------------------------------------------------------------------------------
def fmt_values(values: np.ndarray, decimals: int = 4, limit: int = 4) -> str:
    """One number, or a short bracketed list: '21.0000' or '[0.7575, 0.7711, ...]'."""
    flat = np.asarray(values).ravel()
    if flat.size == 1:
        return f"{flat[0]:.{decimals}f}"
    shown = ", ".join(f"{v:.{decimals}f}" for v in flat[:limit])
    return f"[{shown}{', ...' if flat.size > limit else ''}]"


def fmt_matrix(name: str, A: np.ndarray, reference_diff: float | None = None) -> str:
    """A labelled matrix, as a worked example shows it."""
    shape = np.shape(A)
    A = np.atleast_2d(np.asarray(A))
    note = "" if reference_diff is None else f"   (max |scratch - torch| {reference_diff:.1e})"
    body = np.array2string(A, precision=6, suppress_small=False, max_line_width=100)
    indent = " " * (len(name) + 3)
    body = body.replace("\n", "\n" + indent)
    return f"{name} = {body}{note}  shape {shape}"


def progress(iterable, total: int, desc: str):
    """A tqdm bar on stderr for a long run; the iterable itself for a short one."""
    if total <= PROGRESS_ABOVE:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit="step", file=sys.stderr)


class StepTensors:
    """The tensors a replay computed, step by step, looked up by cell as `check_figure` does."""

    def __init__(self) -> None:
        self.by_step: dict[int, dict[str, np.ndarray]] = {}

    def cell(self, step: int, tensor: str, row: int, col: int) -> float:
        A = np.asarray(self.by_step[step][tensor])
        return float(A[row] if A.ndim == 1 else A[row, col])


# -- commands -----------------------------------------------------------------------------------
def cmd_list(args) -> int:
    cases = [load_case(p) for p in case_dirs(args.data)]
    print(f"{'case':<26} {'kind':<10} {'source':<8} {'printed':>7}  what it checks")
    for case in cases:
        figures = 0 if case.transcribed is None else len(case.transcribed)
        print(
            f"{case.id:<26} {case.kind:<10} {case.meta['source']['tutorial']:<8} {figures:>7}  "
            f"{first_sentence(case.meta['description'])}"
        )
    print(f"{len(cases)} cases in {args.data}; `mlp-conformance run CASE` replays one")
    return 0


def network_options(case: Case, args) -> tuple[float, int]:
    training = case.meta["training"]
    lr = training["lr"] if args.lr is None else args.lr
    steps = training["steps"] if args.steps is None else args.steps
    if steps < 1:
        raise CLIError(f"--steps must be >= 1, got {steps}")
    return lr, steps


def run_network(case: Case, args) -> int:
    from conformance.cli.replay import NetworkReplay

    lr, steps = network_options(case, args)
    spec = case.spec
    print(header(case))
    print(
        f"network {'-'.join(map(str, spec.sizes))} {'/'.join(spec.activations)}, {spec.loss} "
        f"({spec.reduction}), lr {lr:g}, {steps} steps:\nscratch (NumPy) and reference "
        "(PyTorch) from the same weights\n"
    )
    every = args.every or (1 if steps <= 50 else max(1, steps // 10))
    print(f"{'step':>6} {'loss':>12}  {'prediction':<38} {'max |scratch - torch|':>22}")
    replay = NetworkReplay(case, lr)
    computed = StepTensors()
    worst, rows = 0.0, []
    for _ in progress(range(steps), steps, case.id):
        s = replay.step()
        computed.by_step[s.step] = s.tensors
        worst = max(worst, s.max_difference)
        if s.step % every == 0 or s.step == steps - 1:
            rows.append(
                f"{s.step:>6} {s.cost:>12.4f}  {fmt_values(s.output):<38} {s.max_difference:>22.1e}"
            )
    print("\n".join(rows))  # after the run, so that a progress bar never splits the table
    if case.meta.get("query"):
        ours, theirs = replay.predict(case.data["Xq"])
        computed.by_step[steps] = {"prediction": ours}
        print(
            f"\nprediction for {fmt_values(case.data['Xq'], 0)}: {fmt_values(ours, 4)} "
            f"(max |scratch - torch| {float(np.max(np.abs(ours - theirs))):.1e})"
        )
    print(f"\nlargest difference between scratch and torch over every tensor: {worst:.1e}")
    training = case.meta["training"]
    if case.transcribed is not None and (lr, steps) == (training["lr"], training["steps"]):
        report_figures(case, computed)
    return 0


def report_figures(case: Case, computed: StepTensors) -> None:
    """The tutorial's printed figures against scratch's values, each within half a unit."""
    from conformance.golden.checks import check_figure

    bad = []
    for _, figure in case.transcribed.iterrows():
        try:
            check_figure(case, figure, computed, "scratch")
        except AssertionError as err:
            bad.append(f"  {err}")
    total = len(case.transcribed)
    print(f"printed figures: {total - len(bad)} of {total} within half a unit of their last digit")
    for line in bad:
        print(line)


def run_perceptron(case: Case, args) -> int:
    from conformance.cli.replay import replay_perceptron

    p = case.meta["perceptron"]
    eta = p["eta"] if args.lr is None else args.lr
    epochs = p["max_epochs"] if args.steps is None else args.steps
    print(header(case))
    print(f"perceptron rule, eta {eta:g}, at most {epochs} epochs: scratch and its torch twin\n")
    print(f"{'epoch':>6} {'errors':>7}  {'w':<30} {'b':>9} {'max |scratch - torch|':>22}")
    rows = replay_perceptron(case, eta, epochs)
    for r in rows:
        print(
            f"{r.epoch:>6} {r.errors:>7}  {fmt_values(r.w):<30} {r.b:>9.4f} "
            f"{r.max_difference:>22.1e}"
        )
    done = rows[-1].errors == 0
    print(f"\n{'converged' if done else 'not converged'} after {len(rows)} epochs")
    return 0


def run_init(case: Case) -> int:
    from conformance.cli.replay import replay_init

    print(header(case) + "\n")
    params, diff = replay_init(case)
    for name, A in params.items():
        print(fmt_matrix(name, A))
    print(
        f"\nmax |scratch - the tutorial's recipe written out|: {diff:.1e} "
        f"(bit for bit: {diff == 0})"
    )
    return 0


def cmd_run(args) -> int:
    case = resolve_case(args.case, args.data)
    if case.kind == "network":
        return run_network(case, args)
    if case.kind == "perceptron":
        return run_perceptron(case, args)
    return run_init(case)


def cmd_show(args) -> int:
    from conformance.cli.replay import NetworkReplay

    case = resolve_case(args.case, args.data)
    if case.kind != "network":
        raise CLIError(f"show works on network cases; {case.id} is a {case.kind} case (try run)")
    if args.step < 0:
        raise CLIError(f"--step must be >= 0, got {args.step}")
    replay = NetworkReplay(case, case.meta["training"]["lr"])
    for _ in range(args.step + 1):
        s = replay.step()
    print(header(case))
    print(
        f"step {args.step}: the forward pass, cost and gradients before the update, then the\n"
        f"parameters after it (layout {case.layout}; Z, A and the deltas are batch-first)\n"
    )
    for name, A in s.tensors.items():
        diff = float(np.max(np.abs(A - s.reference_tensors[name]), initial=0.0))
        print(fmt_matrix(name, A, diff))
    return 0


def cmd_plot(args) -> int:
    case = resolve_case(args.case, args.data)
    if case.kind != "network":
        raise CLIError(f"plot draws a cost curve; {case.id} is a {case.kind} case")
    from conformance.cli.replay import NetworkReplay

    lr, steps = network_options(case, args)
    replay = NetworkReplay(case, lr)
    ours, theirs = [], []
    for _ in progress(range(steps), steps, case.id):
        s = replay.step()
        ours.append(s.cost)
        theirs.append(float(s.reference_tensors["cost"][0, 0]))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
    x = np.arange(steps)
    ax.plot(x, ours, "-", lw=2.5, color="tab:blue", label="scratch (NumPy)")
    ax.plot(x, theirs, "--", lw=1.5, color="tab:orange", label="reference (PyTorch autograd + SGD)")
    training = case.meta["training"]
    if case.transcribed is not None and (lr, steps) == (training["lr"], training["steps"]):
        printed = case.transcribed[case.transcribed["tensor"] == "cost"]
        if len(printed):
            source = case.meta["source"]["tutorial"]
            ax.plot(
                printed["step"],
                printed["value"],
                "o",
                mfc="none",
                ms=10,
                mew=1.5,
                color="black",
                label=f"printed by {source}",
            )
    positive = np.array(ours)[np.array(ours) > 0]
    if len(positive) and positive.max() / positive.min() > 100:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(f"cost ({case.spec.loss}, {case.spec.reduction})")
    ax.set_title(f"{case.id}: cost before each update, lr {lr:g}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.output)
    plt.close(fig)
    print(
        f"wrote {args.output}: {steps} steps, final cost {ours[-1]:.6g} (scratch), "
        f"{theirs[-1]:.6g} (torch)"
    )
    return 0


def cmd_check(args) -> int:
    from conformance.ports.__main__ import main as ports_main

    argv = ["check", "--port", args.port, "--timeout", str(args.timeout), "--data", str(args.data)]
    for case in args.case or []:
        argv += ["--case", case]
    if args.strict:
        argv.append("--strict")
    if args.junit:
        argv += ["--junit", str(args.junit)]
    return ports_main(argv)


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


def cmd_train(args) -> int:
    from conformance.golden.runner import in_layout
    from conformance.golden.tensors import arrays_to_rows, write_rows
    from scratch import Network, NetworkSpec, init_standard_normal

    spec = NetworkSpec.build(
        args.sizes, args.hidden, args.output, args.loss, args.reduction, not args.no_bias
    )
    X, Y, inputs, targets = read_training_csv(
        args.data_csv, spec.sizes[0], spec.sizes[-1], args.targets
    )
    params = init_standard_normal(spec.sizes, args.seed, scale=args.scale, bias=spec.bias)
    net = Network(spec, params)
    costs = []
    for _ in progress(range(args.steps), args.steps, "train"):
        costs.append(net.train_step(X, Y, args.lr))
    final = net.cost(net.forward(X), Y)
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.force:
        raise CLIError(f"{out} exists and is not empty; choose another -o or add --force")
    out.mkdir(parents=True, exist_ok=True)
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
    (out / "case.json").write_text(json.dumps(meta, indent=2) + "\n")
    header = ["tensor", "row", "col", "value"]
    write_rows(out / "params.csv", header, arrays_to_rows(in_layout("t1", net.params)))
    write_rows(out / "data.csv", header, arrays_to_rows({"X": X, "Y": Y}))
    print(
        f"trained {'-'.join(map(str, spec.sizes))} for {args.steps} steps: "
        f"cost {costs[0]:.6g} -> {final:.6g}"
    )
    print(f"wrote {out}/case.json, params.csv (the trained parameters), data.csv")
    print(f"replay it with `mlp-conformance run {out}`")
    return 0


# -- the parser ---------------------------------------------------------------------------------
def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="mlp-conformance",
        description="Replay the backprop tutorials' worked examples with a NumPy and a PyTorch "
        "implementation side by side. With no command: `run T1-blog`.",
    )
    top.add_argument("--data", type=Path, default=DATA, help="the golden cases (default: data/)")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("list", help="every case, its source and what it checks")
    p.set_defaults(run=cmd_list)

    def replay_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--steps", type=int, help="number of steps (default: the case's)")
        p.add_argument("--lr", type=float, help="learning rate (default: the case's)")

    p = sub.add_parser("run", help="replay a case with scratch and reference side by side")
    p.add_argument(
        "case", nargs="?", default=DEFAULT_CASE, help=f"case id or folder (default {DEFAULT_CASE})"
    )
    replay_options(p)
    p.add_argument("--every", type=int, help="print every K-th step (default: all up to 50)")
    p.set_defaults(run=cmd_run)

    p = sub.add_parser("show", help="every tensor of one step, as labelled matrices")
    p.add_argument("case", help="case id or folder")
    p.add_argument("--step", type=int, required=True, help="the step (0 = the first)")
    p.set_defaults(run=cmd_show)

    p = sub.add_parser("plot", help="the cost curve of both implementations, as a PNG")
    p.add_argument("case", help="case id or folder")
    p.add_argument("-o", "--output", type=Path, required=True, help="the PNG file to write")
    replay_options(p)
    p.set_defaults(run=cmd_plot)

    p = sub.add_parser("check", help="check a port command against the golden cases")
    p.add_argument("--port", required=True, help='the port command, e.g. "python my_port.py"')
    p.add_argument("--case", action="append", help="only this case id (repeatable)")
    p.add_argument("--strict", action="store_true", help="a value the port omits is a failure")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per case (60)")
    p.add_argument("--junit", type=Path, help="also write a JUnit XML report here")
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("train", help="train a network on a CSV file and save it as a case")
    p.add_argument("data_csv", type=Path, metavar="DATA.csv", help="a CSV with a header row")
    p.add_argument("--sizes", type=int, nargs="+", required=True, help="layer sizes, inputs first")
    p.add_argument("--hidden", default="relu", help="hidden activation (relu)")
    p.add_argument("--output", default="identity", help="output activation (identity)")
    p.add_argument("--loss", default="mse", help="mse or cross_entropy (mse)")
    p.add_argument("--reduction", default="sample_mean", help="sample_mean, sum or element_mean")
    p.add_argument("--no-bias", action="store_true", help="no biases")
    p.add_argument("--lr", type=float, default=0.01, help="learning rate (0.01)")
    p.add_argument("--steps", type=int, default=100, help="steps (100)")
    p.add_argument("--seed", type=int, default=0, help="seed of the initial weights (0)")
    p.add_argument(
        "--scale", type=float, default=0.1, help="initial weights: standard normal x this (0.1)"
    )
    p.add_argument("--targets", nargs="+", help="target columns (default: the last n_L columns)")
    p.add_argument("-o", "--out", required=True, help="folder to write the case into")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder")
    p.set_defaults(run=cmd_train)
    return top


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    if args.command is None:  # no command: the default run
        args = parser().parse_args([*argv, "run"])
    try:
        return args.run(args)
    except (CLIError, CaseFormatError, MLPInputError) as err:
        print(f"mlp-conformance {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
