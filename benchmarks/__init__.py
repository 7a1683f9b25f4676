"""Benchmarks (not tests): `python -m benchmarks` times one training step of scratch, reference
and scikit-learn side by side; see `benchmarks.step_time`."""
