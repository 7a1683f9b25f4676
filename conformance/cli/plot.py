"""`plot`: the cost curve of both implementations, with the tutorial's printed costs marked.

The output file is checked before the replay starts: its folder must exist, it must be
writable, and its extension must be one matplotlib writes (none means PNG: `-o curve` writes
curve.png, and says so).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from conformance.cli.format import progress
from conformance.cli.options import CLIError, check_writable_file, network_options, resolve_case


def output_file(path: Path) -> Path:
    """The file `plot -o path` writes: `path`, or `path`.png without an extension; `CLIError`
    for an extension matplotlib cannot write or a path that cannot be written."""
    from matplotlib.backend_bases import FigureCanvasBase

    if path.is_dir():
        raise CLIError(f"{path} is a folder, not a file")
    if not path.suffix:
        path = path.with_name(path.name + ".png")
    formats = sorted(FigureCanvasBase.get_supported_filetypes())
    if path.suffix[1:].lower() not in formats:
        raise CLIError(f"{path}: unknown extension {path.suffix!r}; known: {', '.join(formats)}")
    check_writable_file(path)
    return path


def cmd_plot(args) -> int:
    case = resolve_case(args.case, args.data)
    if case.kind != "network":
        raise CLIError(f"plot draws a cost curve; {case.id} is a {case.kind} case")
    lr, steps = network_options(case, args)
    output = output_file(args.output)
    from conformance.cli.replay import NetworkReplay

    replay = NetworkReplay(case, lr)
    before = replay.accuracy()
    ours, theirs = np.empty(steps), np.empty(steps)
    for t in progress(range(steps), steps, case.id):
        s = replay.step()
        ours[t], theirs[t] = s.cost, s.reference_tensors["cost"][0, 0]
    after = replay.accuracy()
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
    positive = ours[ours > 0]
    if len(positive) and positive.max() / positive.min() > 100:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(f"cost ({case.spec.loss}, {case.spec.reduction})")
    title = f"{case.id}: cost before each update, lr {lr:g}"
    notes = []
    if case.meta["training"].get("batch_size"):
        notes.append(f"mini-batches of {case.meta['training']['batch_size']} (each its own cost)")
    if before is not None and after is not None:
        notes.append(
            f"accuracy on all {len(case.data['X'])} samples {before[0]:.1%} -> {after[0]:.1%}"
        )
    if notes:
        title += "\n" + "; ".join(notes)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    try:
        fig.savefig(output)
    except OSError as err:
        raise CLIError(f"{output}: cannot write it ({err})") from None
    finally:
        plt.close(fig)
    accuracy = "" if after is None else f"; accuracy {before[0]:.1%} -> {after[0]:.1%}"
    print(
        f"wrote {output}: {steps} steps, final cost {ours[-1]:.6g} (scratch), "
        f"{theirs[-1]:.6g} (torch){accuracy}"
    )
    return 0
