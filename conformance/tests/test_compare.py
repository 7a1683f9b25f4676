"""The comparison every test relies on fails when it should, and says where."""

from __future__ import annotations

import numpy as np
import pytest

from conformance.compare import assert_close
from conformance.tolerances import FLOAT32, FLOAT64

EXPECTED = np.array([[1.0, -2.0], [1e-3, 4.0]])


def test_passes_within_rtol():
    assert_close(EXPECTED * (1 + 5e-13), EXPECTED, FLOAT64, "within")


def test_reports_max_abs_and_rel_error_and_where():
    actual = EXPECTED.copy()
    actual[1, 0] += 1e-9  # small in absolute terms, 1e-6 relative: above atol = 4e-12
    with pytest.raises(AssertionError) as info:
        assert_close(actual, EXPECTED, FLOAT64, "T0/step2/dW1")
    message = str(info.value)
    assert message.startswith("T0/step2/dW1: max abs err 1.000e-09 at (1, 0)")
    assert "max rel err 1.000e-06 at (1, 0)" in message
    assert "rtol=1e-12, atol=4.000e-12" in message


def test_float32_bound_catches_a_real_mistake():
    with pytest.raises(AssertionError):
        assert_close(EXPECTED * 1.001, EXPECTED, FLOAT32, "f32")


@pytest.mark.parametrize(
    "actual", [EXPECTED[:, :1], EXPECTED.ravel()], ids=["fewer-columns", "flattened"]
)
def test_shapes_must_match_exactly(actual):
    with pytest.raises(AssertionError, match="shape"):
        assert_close(actual, EXPECTED, FLOAT64, "shape")


def test_nan_never_passes():
    with pytest.raises(AssertionError, match="non-finite"):
        assert_close(np.where(EXPECTED > 0, np.nan, EXPECTED), EXPECTED, FLOAT64, "nan")
