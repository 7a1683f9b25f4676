"""A computed trajectory is built as a frame with NumPy (`conformance.golden.runner`); it must
be, bit for bit, the frame of the same tensors as golden CSV rows (`arrays_to_rows`, one text
cell at a time, as a trajectory was built before), each value read back by Python's `float`.
Bits are compared as unsigned integers, so -0.0 != 0.0; a NaN is the plain NaN either way.

It is also the frame `read_table` reads from those rows written to a file (the route of every
value of data/), bit for bit but for the sign of a zero: the reader takes "-0" as 0.0.

The shipped ports answer with the same trajectory as matrices, without the frame
(`trajectory_matrices`): bit for bit what `trajectory_arrays` reads from the frame, but for a
NaN's sign.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays, floating_dtypes

from conformance.golden.runner import _long_frame, _matrices, trajectory, trajectory_matrices
from conformance.golden.schema import TRAJECTORY_COLUMNS
from conformance.golden.tensors import (
    arrays_to_rows,
    read_table,
    trajectory_arrays,
    write_rows,
)
from conformance.tests.inputs import golden_cases

SPECIAL = [0.0, -0.0, 1.0, -1.5, 5e-324, -2.2250738585072014e-308, 1.7976931348623157e308,
           0.1, 1 / 3, np.inf, -np.inf, np.nan, -np.nan]  # fmt: skip


Pieces = list[tuple[int, dict[str, np.ndarray]]]


def frame_of(pieces: Pieces) -> pd.DataFrame:
    """The pieces' frame as the runner builds it: their matrices, then the frame of those."""
    return _long_frame(_matrices("drawn", pieces))


def rows_of(pieces: Pieces) -> list[list[object]]:
    """The golden CSV rows (step, tensor, row, col, value as text) of `pieces`, in order."""
    return [row for step, arrays in pieces for row in arrays_to_rows(arrays, step)]


def as_text(pieces: Pieces) -> pd.DataFrame:
    """The pieces as golden rows of text, each cell converted back by `float` and `int`."""
    frame = pd.DataFrame(rows_of(pieces), columns=list(TRAJECTORY_COLUMNS))
    return frame.astype({"step": np.int64, "row": np.int64, "col": np.int64, "value": np.float64})


def through_csv(pieces: Pieces, folder: Path) -> pd.DataFrame:
    """The pieces written as a golden trajectory file and read back."""
    write_rows(folder / "trajectory.csv", list(TRAJECTORY_COLUMNS), rows_of(pieces))
    return read_table(folder / "trajectory.csv", TRAJECTORY_COLUMNS, nonfinite=True)


def bits(frame: pd.DataFrame, zero_sign: bool) -> np.ndarray:
    """The values' bits, every zero as +0.0 unless `zero_sign`."""
    values = frame["value"].to_numpy()
    return (values if zero_sign else np.where(values == 0, 0.0, values)).view(np.uint64)


def assert_same(built: pd.DataFrame, pieces: Pieces, folder: Path) -> None:
    """`built` is the text route's frame bit for bit, and read_table's but for zeros' signs;
    the matrices of `pieces` are what `trajectory_arrays` reads from it."""
    for other, zero_sign in ((as_text(pieces), True), (through_csv(pieces, folder), False)):
        pd.testing.assert_frame_equal(
            built, other, check_exact=True, check_index_type=True, check_column_type=True
        )
        assert np.array_equal(bits(built, zero_sign), bits(other, zero_sign))
    assert_same_matrices(_matrices("drawn", pieces), trajectory_arrays(Path("drawn"), built))


def assert_same_matrices(ours: dict, read: dict) -> None:
    """The same keys in the same order, each matrix of the same shape and dtype and bit for
    bit the same values, but for a NaN's sign."""
    assert list(ours) == list(read)
    assert all(type(step) is int and type(name) is str for step, name in ours)
    plain = lambda M: np.where(np.isnan(M), np.nan, M).view(np.uint64)  # noqa: E731
    for key, A in ours.items():
        B = read[key]
        assert (A.shape, A.dtype) == (B.shape, B.dtype), key
        assert np.array_equal(plain(A), plain(B)), key


def test_every_shape_and_special_value_is_the_frame_of_its_csv(tmp_path):
    negative_nan = np.copysign(np.nan, -1.0)
    pieces = [
        (0, {"W1": np.array(SPECIAL[:12]).reshape(3, 4), "b1": np.array([0.5, -0.0, 2.0])}),
        (0, {"cost": np.float64(0.25), "empty": np.zeros((0, 3))}),
        (1, {"A2": np.array([[negative_nan]])}),
        (3, {"prediction": np.array([[1.0, 2.0]], dtype=np.float32) / 3}),  # float32, widened
        (7, {"cube": np.arange(8.0).reshape(2, 2, 2)}),  # (2, 4): rows kept, the rest flattened
    ]
    built = frame_of(pieces)
    assert_same(built, pieces, tmp_path)
    # The caller's arrays are left as they were: the negative NaN keeps its sign.
    assert np.signbit(pieces[2][1]["A2"][0, 0])
    assert list(built["tensor"].unique()) == ["W1", "b1", "cost", "A2", "prediction", "cube"]
    assert built.loc[built["tensor"] == "b1", ["row", "col"]].to_numpy().tolist() == [
        [0, 0], [1, 0], [2, 0]
    ]  # fmt: skip


def test_no_pieces_and_only_empty_arrays_are_the_empty_frame(tmp_path):
    assert_same(frame_of([]), [], tmp_path)
    only_empty = [(2, {"W1": np.zeros((0, 2)), "b1": np.zeros(0)})]
    assert_same(frame_of(only_empty), only_empty, tmp_path)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2**40),
            arrays(
                floating_dtypes(sizes=(32, 64)),
                st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple),
                elements={"allow_subnormal": True},
            ),
        ),
        max_size=4,
    )
)
def test_any_arrays_are_the_frame_of_their_csv(tmp_path_factory, drawn):
    pieces = [(step, {f"T{i}": A}) for i, (step, A) in enumerate(drawn)]
    assert_same(frame_of(pieces), pieces, tmp_path_factory.mktemp("csv"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_trajectory_value_is_its_array_value_exactly(dtype):
    A = (np.arange(6, dtype=dtype).reshape(2, 3) - 2.5) / 7
    frame = frame_of([(0, {"Z1": A})])
    assert frame["value"].to_numpy().tolist() == A.astype(np.float64).ravel().tolist()


# One case of each kind and way of recording: a query, mini-batches, overflowing logits,
# momentum, a perceptron, an init recipe.
QUICK = ["T1-blog", "S-mini-batch-partial", "S-softmax-exp-overflow", "S-sgd-momentum",
         "T4-perceptron-and", "T2-init-2-3-1"]  # fmt: skip


@pytest.mark.parametrize("case_id", QUICK)
def test_the_ports_matrices_are_the_trajectory_read_back(case_id):
    case = next(c for c in golden_cases() if c.id == case_id)
    for implementation in ("scratch", "recipe" if case.kind == "init" else "reference"):
        for dtype in ("float64", "float32"):
            ours = trajectory_matrices(case, implementation, dtype)
            read = trajectory_arrays(case.path, trajectory(case, implementation, dtype))
            assert_same_matrices(ours, read)


def test_a_tensor_computed_twice_is_our_bug():
    twice = [(0, {"W1": np.eye(2)}), (0, {"W1": np.eye(2)})]
    with pytest.raises(AssertionError, match="drawn: step 0 W1 computed twice"):
        _matrices("drawn", twice)
