"""`assert_close`: compare two arrays and, on failure, say how far apart and where.

Used by every conformance test. The message names the quantity (case, step, tensor), the max
absolute and max relative error with their positions and values, and the tolerance.
"""

from __future__ import annotations

import numpy as np

from conformance.tolerances import Tolerance


def error_report(actual: np.ndarray, expected: np.ndarray) -> str:
    """Max abs and max rel error of actual vs expected, each with its index and both values."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    diff = np.abs(actual - expected)
    i_abs = np.unravel_index(np.argmax(diff), diff.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(diff == 0, 0.0, diff / np.abs(expected))
    i_rel = np.unravel_index(np.argmax(rel), rel.shape)
    return (
        f"max abs err {diff[i_abs]:.3e} at {tuple(map(int, i_abs))} "
        f"(actual {float(actual[i_abs])!r}, expected {float(expected[i_abs])!r}); "
        f"max rel err {rel[i_rel]:.3e} at {tuple(map(int, i_rel))} "
        f"(actual {float(actual[i_rel])!r}, expected {float(expected[i_rel])!r})"
    )


def assert_close(actual: object, expected: object, tol: Tolerance, what: str) -> None:
    """Fail unless |actual - expected| <= tol.atol(expected) + tol.rtol * |expected| everywhere.

    Shapes must be equal (no broadcasting). `what` names the quantity, e.g. "T1-blog/step3/dW2".
    """
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: shape {actual.shape} != expected shape {expected.shape}")
    if not (np.isfinite(actual).all() and np.isfinite(expected).all()):
        raise AssertionError(
            f"{what}: non-finite values (actual {actual!r}, expected {expected!r})"
        )
    atol = tol.atol(expected)
    a64, e64 = actual.astype(np.float64), expected.astype(np.float64)
    largest = float(np.max(np.abs(e64), initial=0.0))
    if not (np.abs(a64 - e64) <= tol.allowed(e64, largest)).all():
        raise AssertionError(
            f"{what}: {error_report(actual, expected)}; "
            f"tolerance {tol.name}: rtol={tol.rtol:g}, atol={atol:.3e}"
        )
