"""Suite-wide settings: NumPy overflow, division by zero and invalid operations raise.

(Underflow to zero stays silent: exp(-1000) = 0 is the correct float64 answer.) Python warnings
are errors too, through `filterwarnings = error` in pyproject.toml.
"""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _numpy_errors_raise():
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        yield


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cuda: needs a CUDA GPU; skipped cleanly without one")
