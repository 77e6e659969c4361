"""Reproducible benchmarks: `python -m bench.<name>`; each prints ratios against a same-run baseline."""
