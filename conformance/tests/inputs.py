"""The small problems the bad-input and divergence tests share: a 2-3-1 ReLU regression and a
2-3-2 tanh/softmax classification on three samples, and arrays in each tutorial layout."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pytest

from conformance.golden.cases import Case, load_all
from scratch import NetworkSpec, init_standard_normal

SPEC = NetworkSpec.build([2, 3, 1], "relu", "identity")
PARAMS = init_standard_normal(SPEC.sizes, 0, scale=0.5)
X = np.array([[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]])  # (3, 2)
Y = np.array([[1.0], [0.0], [2.0]])  # (3, 1)
Y2 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])  # one-hot, k = 2
CE_SPEC = NetworkSpec.build([2, 3, 2], "tanh", "softmax", "cross_entropy")
CE_PARAMS = init_standard_normal(CE_SPEC.sizes, 0, scale=0.5)
W1 = [np.ones((3, 2)), np.ones((1, 3))]  # T1's layout (out x in)
WT = [np.ones((2, 3)), np.ones((3, 1))]  # T2's and T3's (in x out)
y01 = np.array([0, 1, 1])  # perceptron labels


def bad_input_params(tables: dict[type, dict[str, tuple[Callable[[], object], str]]]) -> list:
    """{error type: {id: (call, message pattern)}} -> pytest params (call, error, message)."""
    return [
        pytest.param(call, error, message, id=key)
        for error, table in tables.items()
        for key, (call, message) in table.items()
    ]


def assert_rejected(call: Callable[[], object], error: type, message: str) -> None:
    """`call()` raises exactly `error` (not a subclass) with a message matching `message`."""
    with pytest.raises(error, match=message) as caught:
        call()
    assert type(caught.value) is error, f"{type(caught.value).__name__}, not {error.__name__}"


LONG_CASES = frozenset({"S-digits-64-32-10"})
"""Golden cases whose slowest checks (central differences over every weight, the pure_python
port) run only under `pytest --long` (marker `long`); the suite keeps their quick checks."""


def case_param(case: Case, case_id: str | None = None) -> object:
    """`case` as a pytest parameter, marked `long` when it is one of `LONG_CASES`."""
    marks = [pytest.mark.long] if case.id in LONG_CASES else []
    return pytest.param(case, id=case_id or case.id, marks=marks)


@functools.cache
def golden_cases() -> tuple[Case, ...]:
    """Every golden case in data/, loaded and verified once per test process (`load_all`)."""
    return tuple(load_all())
