"""`list`, `run` and `show`: the cases, and a case replayed step by step with scratch and
reference side by side, with the tutorial's printed figures checked."""

from __future__ import annotations

import numpy as np

from conformance.cli.format import first_sentence, fmt_matrix, fmt_values, header, progress
from conformance.cli.options import (
    MAX_STEPS,
    CLIError,
    check_data,
    check_positive,
    check_steps,
    network_options,
    resolve_case,
)
from conformance.golden.cases import Case, load_all
from conformance.golden.checks import StepTensors, check_figure


def cmd_list(args) -> int:
    cases = load_all(check_data(args.data))  # verified against the folder's manifest
    print(f"{'case':<26} {'kind':<10} {'source':<8} {'printed':>7}  what it checks")
    for case in cases:
        figures = 0 if case.transcribed is None else len(case.transcribed)
        print(
            f"{case.id:<26} {case.kind:<10} {case.meta['source']['tutorial']:<8} {figures:>7}  "
            f"{first_sentence(case.meta['description'])}"
        )
    print(f"{len(cases)} cases in {args.data}; `mlp-conformance run CASE` replays one")
    return 0


def run_network(case: Case, args) -> int:
    from conformance.cli.replay import NetworkReplay

    lr, steps = network_options(case, args)
    check_steps("--every", args.every, limit=None)
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
    before = replay.accuracy()
    training = case.meta["training"]
    # Only what is printed is kept: the rows, and each step's tensors only when the printed
    # figures are checked (the case's own lr and steps).
    figures = case.transcribed is not None and (lr, steps) == (training["lr"], training["steps"])
    computed = StepTensors()
    worst, rows = 0.0, []
    for _ in progress(range(steps), steps, case.id):
        s = replay.step()
        if figures:
            computed.add(s.step, s.tensors)
        worst = max(worst, s.max_difference)
        if s.step % every == 0 or s.step == steps - 1:
            rows.append(
                f"{s.step:>6} {s.cost:>12.4f}  {fmt_values(s.output):<38} {s.max_difference:>22.1e}"
            )
    print("\n".join(rows))  # after the run, so that a progress bar never splits the table
    if case.meta.get("query"):
        ours, theirs = replay.predict(case.data["Xq"])
        computed.add(steps, {"prediction": ours})
        print(
            f"\nprediction for {fmt_values(case.data['Xq'], 0)}: {fmt_values(ours, 4)} "
            f"(max |scratch - torch| {float(np.max(np.abs(ours - theirs))):.1e})"
        )
    after = replay.accuracy()
    if before is not None and after is not None:
        n = len(case.data["X"])
        print(
            f"\naccuracy on the case's {n} samples: {before[0]:.1%} before training, "
            f"{after[0]:.1%} after (scratch; torch {before[1]:.1%}, {after[1]:.1%})"
        )
    print(f"\nlargest difference between scratch and torch over every tensor: {worst:.1e}")
    if figures:
        report_figures(case, computed)
    return 0


def report_figures(case: Case, computed: StepTensors) -> None:
    """The tutorial's printed figures against scratch's values, each within half a unit."""

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

    if args.every is not None:
        raise CLIError(f"--every applies to network cases; {case.id} prints every epoch")
    check_positive("--lr", args.lr)
    check_steps("--steps", args.steps)
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


def run_init(case: Case, args) -> int:
    from conformance.cli.replay import replay_init

    given = [f"--{k}" for k in ("lr", "steps", "every") if getattr(args, k) is not None]
    if given:
        raise CLIError(
            f"{case.id} is an init case: it checks initial weights and trains nothing, so "
            f"{' and '.join(given)} {'does' if len(given) == 1 else 'do'} not apply"
        )

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
    return run_init(case, args)


def cmd_show(args) -> int:
    from conformance.cli.replay import NetworkReplay

    case = resolve_case(args.case, args.data)
    if case.kind != "network":
        raise CLIError(f"show works on network cases; {case.id} is a {case.kind} case (try run)")
    if args.step < 0:
        raise CLIError(f"--step must be >= 0, got {args.step}")
    if args.step >= MAX_STEPS:  # step K replays K + 1 steps
        raise CLIError(f"--step must be below {MAX_STEPS:,} (see --help), got {args.step:,}")
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
