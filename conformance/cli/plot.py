"""`plot`: the cost curve of both implementations, with the tutorial's printed costs marked."""

from __future__ import annotations

import numpy as np

from conformance.cli.format import progress
from conformance.cli.options import CLIError, network_options, resolve_case


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
