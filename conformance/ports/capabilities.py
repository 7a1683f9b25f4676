"""What a port declares it supports (`--capabilities FILE`): a JSON object, every key optional,
a key left out meaning "all of it".

    {"name": "mlp-c", "version": "0.2",
     "dtype": "float64",
     "kinds": ["network", "perceptron"],
     "layouts": ["t1", "t2", "t3"],
     "activations": ["identity", "relu", "tanh", "sigmoid", "softmax"],
     "losses": ["mse", "cross_entropy"],
     "reductions": ["sample_mean", "sum", "element_mean"],
     "objectives": ["cost", "output"],
     "options": ["bias", "no_bias", "maximize", "freeze_biases",
                 "momentum", "nesterov", "dampening", "weight_decay", "mini_batches"],
     "tensors": ["Z", "A", "cost", "dA", "dZ", "aprime", "dW", "db", "vW", "vb",
                 "W_after", "b_after",
                 "prediction", "error", "w", "b", "errors", "epochs", "W_init", "b_init"]}

`name` and `version` name the port in reports (`--json`, `scoreboard`). `dtype` is the float
type the port computes in ("float64" or "float32", see PORTS.md). A golden case that needs
anything outside the declaration is "unsupported" without running the port; generated cases
are drawn inside it. `tensors` says which tensors the port records: under `--strict` (and in the
fuzz) an omitted group of another tensor does not fail a case, which then shows the level it
reached, "partial (forward)" say. Tensor names are written without the layer number
(`dW` for dW1, dW2, ...; `W_after` for W1_after, ...; `W_init` and `b_init` for an init case's
W<l> and b<l>). Not for: grading (`conformance.ports.grading`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.golden.cases import Case
from conformance.ports.generated import OPTIMIZERS
from conformance.ports.grading import check_dtype
from conformance.ports.runner import PortArgumentError
from conformance.tolerances import DTYPES

CHOICES: dict[str, tuple[str, ...]] = {
    "kinds": ("network", "perceptron", "init"),
    "layouts": ("t1", "t2", "t3"),
    "activations": ("identity", "relu", "tanh", "sigmoid", "softmax"),
    "losses": ("mse", "cross_entropy"),
    "reductions": ("sample_mean", "sum", "element_mean"),
    "objectives": ("cost", "output"),
    "options": (
        "bias", "no_bias", "maximize", "freeze_biases",
        "momentum", "nesterov", "dampening", "weight_decay", "mini_batches", "query",
    ),
    "tensors": (
        "Z", "A", "cost", "dA", "dZ", "aprime", "dW", "db", "vW", "vb", "W_after", "b_after",
        "prediction", "error", "w", "b", "errors", "epochs", "W_init", "b_init",
    ),
}  # fmt: skip
_LAYER = re.compile(r"^(Z|A|dA|dZ|aprime|dW|db|vW|vb|W|b)\d+(_after)?$")
OPTIMIZER_OPTIONS = ("momentum", "nesterov", "dampening", "weight_decay")
"""The `optimizer` section's keys, each an option a case needs when it is not 0 (false)."""


class CapabilitiesError(ValueError):
    """A capabilities file that cannot be read or says something unknown: names the file, the
    key and what is allowed."""


@dataclass(frozen=True)
class Capabilities:
    """A port's declaration; `declared[key]` is the set it supports, every value when absent."""

    name: str = ""
    version: str = ""
    dtype: str = "float64"
    declared: dict[str, frozenset[str]] = field(default_factory=dict)
    dtype_declared: bool = False

    def allows(self, key: str, value: str) -> bool:
        return key not in self.declared or value in self.declared[key]

    @classmethod
    def read(cls, path: Path) -> Capabilities:
        """Parse the JSON file at `path`; `CapabilitiesError` naming the file and the key."""
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise CapabilitiesError(f"capabilities: cannot read {path}: {err}") from None
        return cls.from_dict(raw, str(path))

    @classmethod
    def from_dict(cls, raw: Any, where: str = "capabilities") -> Capabilities:
        if not isinstance(raw, dict):
            raise CapabilitiesError(f"{where}: a JSON object is expected, got {type(raw).__name__}")
        known = {*CHOICES, "name", "version", "dtype"}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise CapabilitiesError(f"{where}: unknown key(s) {unknown}; known: {sorted(known)}")
        for key in ("name", "version"):
            if not isinstance(raw.get(key, ""), str):
                raise CapabilitiesError(f"{where}, key {key!r}: a string is expected")
        dtype = raw.get("dtype", "float64")
        if dtype not in DTYPES:
            raise CapabilitiesError(f"{where}, key 'dtype': {dtype!r} is not one of {DTYPES}")
        declared = {}
        for key, allowed in CHOICES.items():
            if key not in raw:
                continue
            values = raw[key]
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise CapabilitiesError(f"{where}, key {key!r}: a list of strings is expected")
            bad = sorted(set(values) - set(allowed))
            if bad:
                raise CapabilitiesError(
                    f"{where}, key {key!r}: unknown value(s) {bad}; allowed: {list(allowed)}"
                )
            declared[key] = frozenset(values)
        if "tensors" in declared and not declared["tensors"]:
            raise CapabilitiesError(
                f"{where}, key 'tensors': an empty list declares a port that records nothing"
            )
        return cls(raw.get("name", ""), raw.get("version", ""), dtype, declared, "dtype" in raw)

    def as_dict(self) -> dict[str, Any]:
        """The declaration as JSON would hold it (for the `--json` report)."""
        out: dict[str, Any] = {"name": self.name, "version": self.version, "dtype": self.dtype}
        out |= {k: sorted(v) for k, v in self.declared.items()}
        return out

    def why_unsupported(self, case: Case) -> str | None:
        """What `case` needs that the port does not declare, or None."""
        if not self.allows("kinds", case.kind):
            return f"a {case.kind} case"
        if case.kind != "network":
            return None
        net, training = case.meta["network"], case.meta.get("training", {})
        needs = [("layouts", case.meta.get("layout", "t1"))]
        needs += [("activations", a) for a in net["activations"]]
        needs += [("losses", net["loss"]), ("reductions", net["reduction"])]
        needs += [("objectives", training.get("objective", "cost"))]
        needs += [("options", "bias" if net["bias"] else "no_bias")]
        needs += [("options", o) for o in ("maximize", "freeze_biases") if training.get(o)]
        needs += [("options", "query")] if case.meta.get("query") else []
        optimizer = case.meta.get("optimizer", {})
        needs += [("options", o) for o in OPTIMIZER_OPTIONS if optimizer.get(o)]
        if training.get("batch_size"):
            needs.append(("options", "mini_batches"))
        missing = [f"{value} ({key})" for key, value in needs if not self.allows(key, value)]
        return None if not missing else ", ".join(dict.fromkeys(missing))

    def records(self, kind: str, tensor: str) -> bool:
        """Whether the port declares it records `tensor` (a full name: dW2, W1_after, cost)."""
        if "tensors" not in self.declared:
            return True
        m = _LAYER.match(tensor)
        if m is None:
            base = tensor
        elif kind == "init":
            base = f"{m.group(1)}_init"
        else:
            base = m.group(1) + (m.group(2) or "")
        return base in self.declared["tensors"]

    def generated(self) -> tuple[dict[str, tuple] | None, bool]:
        """The keywords of `generated.strata` that keep generated cases inside the declaration
        (None when no network case fits it), and whether perceptron cases are drawn."""
        d = self.declared
        narrow: dict[str, tuple] = {
            "costs": tuple(
                (loss, red)
                for loss in CHOICES["losses"]
                for red in CHOICES["reductions"]
                if self.allows("losses", loss)
                and self.allows("reductions", red)
                and not (loss == "cross_entropy" and red == "element_mean")
                and not (loss == "cross_entropy" and not self.allows("activations", "softmax"))
            )
        }
        for key in ("objectives", "layouts", "activations"):
            if key in d:
                narrow[key] = tuple(v for v in CHOICES[key] if v in d[key])
        if "options" in d:
            options = d["options"]
            narrow["bias"] = tuple(
                b for b in (False, True) if ("bias" if b else "no_bias") in options
            )
            narrow["maximize"] = (False, True) if "maximize" in options else (False,)
            narrow["freeze_biases"] = (False, True) if "freeze_biases" in options else (False,)
            narrow["optimizers"] = tuple(
                o for o in OPTIMIZERS if all(k in options for k, v in o.items() if v)
            )
            narrow["mini_batches"] = "mini_batches" in options
        drawn = (v for k, v in narrow.items() if k not in ("optimizers", "mini_batches"))
        networks = self.allows("kinds", "network") and all(drawn)  # (optional: may be empty)
        return (narrow if networks else None), self.allows("kinds", "perceptron")


def effective_dtype(dtype: str | None, caps: Capabilities) -> str:
    """The dtype a port is graded at: `dtype` (a `--dtype` option; None when not given) or the
    one the capabilities declare; `PortArgumentError` when both are given and disagree."""
    if dtype is None:
        return caps.dtype
    check_dtype(dtype)
    if caps.dtype_declared and dtype != caps.dtype:
        raise PortArgumentError(
            f"--dtype {dtype} contradicts the capabilities' dtype {caps.dtype}: give one"
        )
    return dtype
