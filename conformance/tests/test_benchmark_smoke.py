"""The benchmark in smoke mode: it runs, the three peers take the same step (the benchmark checks
their parameters after one step against scratch's before timing), and it writes its CSV.
This is not a timing test: no time is asserted. scikit-learn, the third peer, is left out here
(importing it takes 2 s): `python -m benchmarks --smoke` checks its step too."""

from __future__ import annotations

import csv

from benchmarks.step_time import main


def test_benchmark_smoke_run(tmp_path, capsys):
    out = tmp_path / "results.csv"
    argv = ["--smoke", "--sizes", "T1", "T3", "--dtypes", "float64", "--no-sklearn"]
    assert main([*argv, "--csv", str(out)]) == 0
    table = capsys.readouterr().out
    assert "scratch/torch" in table and "GEMM bound" in table
    with out.open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["size"], r["dtype"]) for r in rows] == [("T1", "float64"), ("T3", "float64")]
    for row in rows:
        assert float(row["scratch_s"]) > 0 and float(row["torch_s"]) > 0
        assert row["sklearn_s"] == ""
