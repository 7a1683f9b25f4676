"""The golden cases in `data/`: loading and validating them (`cases`), running them with either
implementation (`runner`), and rewriting their generated values (`regenerate`, also
`python -m conformance.golden`).
"""
