"""The golden cases in `data/`, as a library.

- `tensors`: the long CSV format (tensor, row, col, value) and its conversion to and from arrays.
- `schema`: the keys of `case.json` and the checks of their values.
- `flat`: `case.txt`, case.json flattened into key=value lines (optional keys at their
  defaults), written beside it and checked against it.
- `meaning`: what the numbers must mean: every tensor's shape against the case's sizes and
  layout, and expected.csv holding every tensor the case promises.
- `manifest`: the sha256 manifest of a data folder (`MANIFEST.sha256`), written and verified.
- `cases`: `Case`, loading and validating a case folder (and the manifest), writing a case.
- `runner`: a case's trajectory computed by scratch or reference, in the golden format.
- `comparison`: two trajectory frames compared tensor by tensor, and the report.
- `checks`: the assertions the golden tests make (a printed figure, a generated tensor).
- `regenerate`: rewrite the generated values, case.txt and the manifest, safely (`python -m
  conformance.golden regenerate` and `... manifest`).
"""
