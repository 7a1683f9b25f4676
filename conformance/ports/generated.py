"""Generated cases: Hypothesis draws whole cases in the golden format, and the reference gives
their expected values (float64), confirmed by scratch before any port sees them.

What is drawn (`STRATA`, each its own share of the cases), as data/README.md allows it:
- network cases: layout t1/t2/t3; depth 1-4; widths 1-8, every layer as wide as the input in
  half the cases and a layer as wide as the one before it in half the others (square weights,
  where a transposed W keeps its shape); every activation
  in every position where it is defined (softmax over 2 units or more), every loss and reduction
  (cross-entropy with a softmax output and one-hot targets); objective `cost` or `output`;
  `maximize`; `freeze_biases`; with and without biases; lr a power of 2 (`LEARNING_RATES`);
  steps 1-5; batch 1-16; every tensor
  recorded at every step, except in a case of 3 steps or more (`record_for`): there the steps
  between the first and the last record the cost and the output only (a port's fast path, if
  it has one, runs them). In a stratum of its own (last), `torch.optim.SGD`'s options
  (`OPTIMIZERS`: momentum, Nesterov, dampening, weight decay, dyadic values) and, most often
  there, mini-batches (a batch size from 1 to n - 1, each epoch's order drawn); the other strata
  draw neither. The hidden layers are a list, which Hypothesis shrinks by deleting
  layers; a choice among a few values (a loss, an activation, the batch size) is drawn about
  uniformly (`_pick`), since Hypothesis's own draws of a small integer favour some values.
- perceptron cases: 1-4 inputs, 1-8 samples, eta (1, 1/2 or 1/4), max_epochs 1-12, w0 and b0,
  all dyadic: every sum w.x + b is exact, so a tie on the threshold is a tie in any order.
- values: mostly from `GRID` (small dyadic numbers: every product and sum of them is exact, so
  pre-activations land exactly on 0, the kink of relu, and perceptron sums exactly on the
  threshold; a sample in four is all zeros, so its pre-activations are the biases), sometimes
  any multiple of 1/64 in [-2, 2] (the first forward pass is exact, whatever the order of its
  sums); with softmax outputs, logits pushed near +-1000, or all exactly 709.5 (where exp is
  still finite but a sum of two overflows: an unshifted softmax gives 0s there).
  Hypothesis shrinks a failing case toward fewer layers, samples and steps, and values 0.

`materialize` writes a drawn case's inputs into a folder (only what a port may read: case.json,
case.txt, params.csv, data.csv; never the answers), loads it back through the golden loader
(every check of the format applies), computes the expected trajectory with the reference and
confirms it with scratch, within the GENERATED tolerance of `conformance.tolerances` (the one
ports are graded with on these cases). A disagreement between the two is `OurDisagreement`: our
bug, not the port's. A run that diverges (a non-finite value) is `Diverged`, and one whose relu
pre-activation lands within rounding of 0 is `AtAKink` (which side it falls on depends on the
order of the sums), and one on which the two disagree by rounding alone is `IllConditioned`:
such a case is thrown away, never sent.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from conformance.golden.cases import Case, load_case, write_case
from conformance.golden.comparison import compare_frames, format_report
from conformance.golden.runner import trajectory
from conformance.ports.grading import GENERATED_SECTION
from conformance.tolerances import GENERATED
from scratch import Params
from scratch.errors import NonFiniteError

GRID = (0.0, 1.0, -1.0, 0.0, 0.5, -0.5, 0.0, 2.0, -2.0)
"""The values most often drawn (three times in four), 0 first (Hypothesis shrinks toward the
first) and a third of the time."""
LEARNING_RATES = (0.25, 0.125, 0.0625, 0.015625)
"""Powers of 2: an update W - lr dW adds no rounding of its own. With a `sum` reduction the rate
is divided by n rounded up to a power of 2, so that no step is 16 times larger than another."""
OPTIMIZERS: tuple[dict[str, Any], ...] = (
    {"momentum": 0.5},
    {"momentum": 0.75, "nesterov": True},
    {"momentum": 0.5, "dampening": 0.5},
    {"weight_decay": 0.25},
    {"momentum": 0.5, "weight_decay": 0.125, "nesterov": True},
)
"""The optimizer sections the "SGD options" stratum draws from (powers of 2 and their sums)."""
HIDDEN = ("identity", "relu", "tanh", "sigmoid", "softmax")
COSTS = (
    ("mse", "sample_mean"),
    ("mse", "sum"),
    ("mse", "element_mean"),
    ("cross_entropy", "sample_mean"),
    ("cross_entropy", "sum"),
)
SOURCE = {"tutorial": "suite", "section": GENERATED_SECTION, "file": "conformance/PORTS.md"}


class OurDisagreement(Exception):
    """Scratch and the reference disagree on a generated case: a bug of this suite."""


class Diverged(Exception):
    """The reference's run of a generated case met a non-finite value."""


class AtAKink(Diverged):
    """A pre-activation of a relu layer lands within rounding of 0 (not exactly on it) in the
    reference's run: which side of the kink it falls on, and so relu' there, depends on the
    order of the sums. Two correct implementations may disagree; the case is thrown away."""


class IllConditioned(Diverged):
    """Scratch and the reference agree on step 0 within FLOAT64 (1e-12), then drift apart
    beyond the GENERATED tolerance at later steps, by less than `ILL_CONDITIONED` relative:
    rounding amplified by the case's own dynamics (tanh saturated for steps on end, weights
    growing under objective `output`), not a mistake. A mistake shows at step 0 already: its
    forward pass, gradients and update are all recorded there, and float32 arithmetic, the
    smallest mistake of the catalogue, is 1e-8 off at once. The case is thrown away."""


ILL_CONDITIONED = 1e-3
"""The largest relative drift at later steps that may still count as amplified rounding."""


KINK = 1e-10
"""|Z| below this times max(1, the tensor's largest |Z|), and not 0, is "within rounding" of
the kink (`AtAKink`): float64 sums of a few dozen terms are off by 1e-15 of that scale."""


def _relu_side_flip(case: Case, a: pd.DataFrame, b: pd.DataFrame) -> str | None:
    """A relu pre-activation that is > 0 in one trajectory and not in the other (relu' is 1
    on one side of the kink, 0 on the other), as "step s, Zl[i,j]"; None if there is none."""
    relu = [f"Z{l}" for l, f in enumerate(case.spec.activations, start=1) if f == "relu"]
    keys = ["step", "tensor", "row", "col"]
    both = a[a["tensor"].isin(relu)].merge(b[b["tensor"].isin(relu)], on=keys)
    flipped = both[(both["value_x"] > 0) != (both["value_y"] > 0)]
    if flipped.empty:
        return None
    r = flipped.iloc[0]
    where = f"step {r['step']}, {r['tensor']}[{r['row']},{r['col']}]"
    return f"{where}: {r['value_x']!r} against {r['value_y']!r}"


def _near_kink(case: Case, expected: pd.DataFrame) -> str | None:
    """The first relu pre-activation of the expected trajectory that is nonzero but within
    rounding of 0, as "step s, Zl[i,j]"; None if there is none."""
    relu = [f"Z{l}" for l, a in enumerate(case.spec.activations, start=1) if a == "relu"]
    Z = expected[expected["tensor"].isin(relu)]
    if Z.empty:
        return None
    v = Z["value"].to_numpy()
    scale = Z.groupby(["step", "tensor"])["value"].transform(lambda x: max(1.0, x.abs().max()))
    near = (v != 0) & (np.abs(v) < KINK * scale.to_numpy())
    if not near.any():
        return None
    r = Z[near].iloc[0]
    return f"step {r['step']}, {r['tensor']}[{r['row']},{r['col']}] = {r['value']!r}"


@dataclasses.dataclass(frozen=True)
class Drawn:
    """A drawn case before it is written: case.json's content (without its id), the initial
    parameters (internal layout; None for a perceptron) and the data arrays by name."""

    meta: dict[str, Any]
    params: Params | None
    data: dict[str, np.ndarray]

    def summary(self) -> str:
        """One line: what kind of case it is."""
        m = self.meta
        if m["kind"] == "perceptron":
            p = m["perceptron"]
            X = self.data["X"]
            return (
                f"perceptron: {X.shape[1]} inputs, {X.shape[0]} samples, eta {p['eta']:g}, "
                f"max_epochs {p['max_epochs']}"
            )
        net, t = m["network"], m["training"]
        flags = [
            f"objective {t['objective']}",
            "maximize" if t["maximize"] else "",
            "freeze_biases" if t.get("freeze_biases") else "",
            "bias" if net["bias"] else "no bias",
            *(f"{k} {v:g}" for k, v in m.get("optimizer", {}).items()),
            f"batches of {t['batch_size']}" if t.get("batch_size") else "",
        ]
        return (
            f"network {'-'.join(map(str, net['sizes']))} {'/'.join(net['activations'])}, "
            f"{net['loss']} ({net['reduction']}), layout {m['layout']}, "
            f"{', '.join(f for f in flags if f)}, lr {t['lr']:g}, {t['steps']} steps, "
            f"n = {self.data['X'].shape[0]}"
        )


LIGHT_FROM = 3
"""A generated case of this many steps or more records every tensor at its first and its last
step only (`record_for`)."""


def record_for(steps: int, depth: int) -> dict[str, list]:
    """The `record` of a generated network case of `steps` steps and `depth` layers (data/
    README.md): every tensor at every step; but from `LIGHT_FROM` steps on, every tensor at
    the first and the last step and only the cost and the output A(L) at the steps between,
    as T4's 1000-step case records them. A port may take a fast path of its own for such
    light steps (scratch does: `Network.train` without record, `scratch.fast`); this is how
    the fuzz reaches it. Decided by the number of steps alone: no draw of its own, and a
    reduction (`conformance.ports.reduce`) keeps the rule."""
    if steps < LIGHT_FROM:
        return {"every_step": [], "full_steps": list(range(steps))}
    return {"every_step": ["cost", f"A{depth}"], "full_steps": [0, steps - 1]}


def _pick(draw: st.DrawFn, choices: tuple) -> Any:
    """One of `choices`, about equally often each (Hypothesis's own choice of a few values
    favours some, and here a loss or activation that is never drawn is never tested); it
    shrinks toward the first."""
    return choices[draw(st.integers(0, 2**32 - 1)) % len(choices)]


def _values(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    """An array of `shape`, each element from `GRID` (three times in four) or else any multiple
    of 1/64 in [-2, 2] (few bits: a sum of a few products of them is exact in any order).

    Hypothesis draws one seed and NumPy draws the elements from it: one draw per array, not
    one per element (those took most of the time of drawing a case). The simplest seed, 0,
    gives the same array for every fuzz seed; a failure is reduced by
    `conformance.ports.reduce`, which makes values 0 and then +-1 itself."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    size = int(np.prod(shape))
    grid = np.asarray(GRID)[rng.integers(0, len(GRID), size)]
    fine = rng.integers(-128, 129, size) / 64
    return np.where(rng.random(size) < 0.75, grid, fine).reshape(shape)


@st.composite
def network_cases(
    draw: st.DrawFn,
    costs: tuple[tuple[str, str], ...] = COSTS,
    objectives: tuple[str, ...] = ("cost", "output"),
    square: tuple[bool, ...] = (False, True),
    layouts: tuple[str, ...] = ("t1", "t2", "t3"),
    activations: tuple[str, ...] = HIDDEN,
    bias: tuple[bool, ...] = (True, False),
    maximize: tuple[bool, ...] = (False, True),
    freeze_biases: tuple[bool, ...] = (False, True),
    optimizers: tuple[dict[str, Any], ...] = (),
    mini_batches: bool = True,
) -> Drawn:
    """A network case: see the module docstring. Each keyword narrows one choice (a stratum of
    the fuzz, `STRATA`, or what a port declares it supports): the (loss, reduction) pairs, the
    objectives, whether every W is square, the layouts, the activations (cross-entropy draws
    softmax as its output whatever they are), with or without biases, `maximize`, biases
    frozen. With `optimizers`, one of them is drawn as the case's `optimizer` section and the
    case trains in mini-batches one time in two; without, nothing more is drawn (the draws of
    the other strata stay as they were). The first of each choice is what Hypothesis's first,
    simplest draws pick: biases come first for that reason (with no bias first, 4 network cases
    in 5 had none)."""
    loss, reduction = _pick(draw, costs)
    sizes = [draw(st.integers(1, 8))]
    all_square = _pick(draw, square)  # every W square: a transposed W keeps its shape
    # The hidden layers as a list (activation, own width, square?): Hypothesis shrinks a list
    # by deleting elements, so a failing case loses the layers it does not need.
    hidden = draw(
        st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 8), st.booleans()), max_size=3)
    )
    output = (0 if loss == "cross_entropy" else draw(st.integers(0, 2**32 - 1)), 1, False)
    chosen: list[str] = []
    for pick, own, square in [*hidden, output]:
        last = len(chosen) == len(hidden)
        name = (
            "softmax" if last and loss == "cross_entropy" else activations[pick % len(activations)]
        )
        least = 2 if name == "softmax" else 1
        if sizes[-1] >= least and (all_square or square):
            width = sizes[-1]  # square: as wide as the layer before
        else:
            width = max(own, least) if not last else draw(st.integers(least, 8))
        sizes.append(width)
        chosen.append(name)
    depth = len(chosen)
    # The scalar choices first, then the arrays, the samples last: shrinking the number of
    # samples (or a layer's weights) then leaves every earlier choice as it was.
    with_bias = _pick(draw, bias)
    steps = draw(st.integers(1, 5))
    lr = _pick(draw, LEARNING_RATES)
    training: dict[str, Any] = {
        "lr": lr,
        "steps": steps,
        "objective": _pick(draw, objectives),
        "maximize": _pick(draw, maximize),
    }
    if with_bias and _pick(draw, freeze_biases):
        training["freeze_biases"] = True
    layout = _pick(draw, layouts)
    W = [_values(draw, (sizes[l + 1], sizes[l])) for l in range(depth)]
    b = [_values(draw, (sizes[l + 1],)) for l in range(depth)] if with_bias else None
    if chosen[-1] == "softmax" and _pick(draw, (False, True)):  # near +-1000, or 709.5
        k = sizes[-1]
        # "all" twice as often as "each": 709.5 is where an unshifted softmax is finite and
        # wrong (a wrong value); at +-1000 it is NaN, which a port may refuse to print
        if b is not None and _pick(draw, ("each", "all", "all")) == "all":
            # Every logit exactly 709.5: exp(709.5) is finite, a sum of two is not, so an
            # unshifted softmax gives 0s where the answer is 1/k.
            W[-1] = np.zeros_like(W[-1])
            b[-1] = np.full(k, 709.5)
        else:
            push = np.array(
                draw(st.lists(st.sampled_from((1000.0, -1000.0, 0.0)), min_size=k, max_size=k))
            )
            if b is not None:
                b[-1] = b[-1] + push
            else:
                W[-1] = W[-1] * 500.0
    n = _pick(draw, tuple(range(1, 17)))  # (Hypothesis's own integers(1, 16) is mostly 1)
    if reduction == "sum":  # a step of lr times the sum over n samples: keep it as small
        training["lr"] = lr / 2 ** int(np.ceil(np.log2(n)))
    X = _values(draw, (n, sizes[0]))
    blank = draw(st.lists(st.sampled_from((False, False, False, True)), min_size=n, max_size=n))
    X[np.array(blank, dtype=bool)] = 0.0  # a sample of zeros: its Z is the bias, 0 at times
    if loss == "cross_entropy":
        labels = draw(st.lists(st.integers(0, sizes[-1] - 1), min_size=n, max_size=n))
        Y = np.eye(sizes[-1])[labels]
    else:
        Y = _values(draw, (n, sizes[-1]))
    data = {"X": X, "Y": Y}
    extra: dict[str, Any] = {}
    if optimizers:  # drawn last: every earlier choice stays as it was
        extra["optimizer"] = _pick(draw, optimizers)
        size = _pick(draw, tuple(range(n + 1))) if mini_batches else 0  # 0: full batch
        if 0 < size < n:
            per_epoch = -(-n // size)
            epochs = max(1, steps // per_epoch)
            training["steps"] = steps = epochs * per_epoch
            training["batch_size"] = size
            perms = [draw(st.permutations(range(n))) for _ in range(epochs)]
            data["order"] = np.array(perms, dtype=np.float64)
    meta = {
        "kind": "network",
        "layout": layout,
        "network": {
            "sizes": sizes,
            "activations": chosen,
            "loss": loss,
            "reduction": reduction,
            "bias": with_bias,
        },
        "training": training,
        "record": record_for(steps, depth),
        **extra,
    }
    return Drawn(meta, Params(W, b), data)


@st.composite
def perceptron_cases(draw: st.DrawFn) -> Drawn:
    """A perceptron case: see the module docstring."""
    d, n = draw(st.integers(1, 4)), draw(st.integers(1, 8))
    small = st.sampled_from((0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5))
    X = np.array(draw(st.lists(small, min_size=n * d, max_size=n * d))).reshape(n, d)
    y = np.array(draw(st.lists(st.sampled_from((0.0, 1.0)), min_size=n, max_size=n)))
    meta = {
        "kind": "perceptron",
        "perceptron": {
            "eta": draw(st.sampled_from((1.0, 0.5, 0.25))),  # dyadic: every sum is exact
            "max_epochs": draw(st.integers(1, 12)),
            "w0": draw(st.lists(small, min_size=d, max_size=d)),
            "b0": draw(small),
        },
    }
    return Drawn(meta, None, {"X": X, "y": y.reshape(n, 1)})


def strata(
    narrow: dict[str, tuple] | None = None, perceptron: bool = True
) -> dict[str, st.SearchStrategy[Drawn]]:
    """The fuzz's strata, in order: perceptron cases; each (loss, reduction) with objective
    `cost`; objective `output`; square weights in layout t2 or t3; SGD's options and
    mini-batches (`optimizers`, narrowed by what a port declares). `narrow` holds keywords of
    `network_cases` (what a port declares it supports: costs, objectives, layouts,
    activations, bias, maximize, freeze_biases); a stratum they leave empty is dropped, and so
    are perceptron cases unless `perceptron`."""
    narrow = dict(narrow or {})
    optimizers = narrow.pop("optimizers", OPTIMIZERS)
    mini_batches = narrow.pop("mini_batches", True)
    costs = narrow.pop("costs", COSTS)
    objectives = narrow.pop("objectives", ("cost", "output"))
    layouts = narrow.pop("layouts", ("t1", "t2", "t3"))
    out: dict[str, st.SearchStrategy[Drawn]] = {}
    if perceptron:
        out["perceptron"] = perceptron_cases()
    if "cost" in objectives:
        for cost in (c for c in COSTS if c in costs):
            out[", ".join(cost)] = network_cases(
                costs=(cost,), objectives=("cost",), layouts=layouts, **narrow
            )
    if "output" in objectives and costs:
        out["objective output"] = network_cases(
            costs=costs, objectives=("output",), layouts=layouts, **narrow
        )
    square_layouts = tuple(x for x in layouts if x in ("t2", "t3"))
    if square_layouts and costs:
        out["square weights, t2 or t3"] = network_cases(
            costs=costs, objectives=objectives, square=(True,), layouts=square_layouts, **narrow
        )
    if optimizers and costs:
        out["SGD options"] = network_cases(
            costs=costs,
            objectives=objectives,
            layouts=layouts,
            optimizers=optimizers,
            mini_batches=mini_batches,
            **narrow,
        )
    return out


STRATA = strata()
"""The fuzz's strata: it splits its cases evenly among them, in this order, so that each kind
of case is drawn as often whatever the seed and however Hypothesis orders its draws (a single
strategy choosing among them drew some kinds rarely: a bug seen only there went unseen). Every
activation, layout, flag and batch size is drawn within each network stratum."""


drawn_cases = st.one_of(*STRATA.values())
"""Any generated case: one of the strata (`benchmarks.agreement` draws from it)."""


def stratum_examples(examples: int, names: list[str] | None = None) -> dict[str, int]:
    """How many of `examples` cases each stratum (`names`, by default `STRATA`'s) gets: an
    equal share, the first strata one more when they do not divide evenly (a stratum may get
    none when there are fewer cases than strata)."""
    names = list(STRATA) if names is None else names
    share, extra = divmod(examples, len(names))
    return {name: share + (i < extra) for i, name in enumerate(names)}


def write_inputs(drawn: Drawn, folder: Path) -> Path:
    """Write the case's inputs (case.json, case.txt, params.csv, data.csv) as the case folder
    `folder`, whose name becomes its id. Returns the folder."""
    meta = {
        "id": folder.name,
        "kind": drawn.meta["kind"],
        "source": SOURCE,
        "description": f"A generated case: {drawn.summary()}.",
        **{k: v for k, v in drawn.meta.items() if k != "kind"},
    }
    return write_case(folder, meta, drawn.params, drawn.data)


def materialize(drawn: Drawn, folder: Path) -> Case:
    """The drawn case, written into `folder` (inputs only), loaded back and given its expected
    values: the reference's trajectory, confirmed by scratch's (`OurDisagreement` otherwise;
    `Diverged` if the run meets a non-finite value)."""
    case = load_case(write_inputs(drawn, folder))
    try:
        expected = trajectory(case, "reference")
        confirmed = trajectory(case, "scratch")
    except NonFiniteError as err:
        raise Diverged(str(err)) from None
    near = _near_kink(case, expected) if case.kind == "network" else None
    if near is not None:
        raise AtAKink(near)
    report = compare_frames(confirmed, expected, GENERATED)
    if not report["ok"].all() and case.kind == "network":
        flip = _relu_side_flip(case, confirmed, expected)
        if flip is not None:
            raise AtAKink(flip)
    bad = report[~report["ok"]]
    if not bad.empty and (bad["step"] > 0).all() and (bad["max_rel_err"] < ILL_CONDITIONED).all():
        first = compare_frames(confirmed[confirmed["step"] == 0], expected[expected["step"] == 0])
        if first["ok"].all():  # FLOAT64 at step 0
            raise IllConditioned(format_report(f"{case.id}: ill-conditioned", report))
    if not report["ok"].all():
        raise OurDisagreement(
            format_report(f"{case.id} ({drawn.summary()}): scratch against reference", report)
        )
    return dataclasses.replace(case, expected=expected)
