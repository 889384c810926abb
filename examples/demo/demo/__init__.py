"""A tiny package measured by coverage.py, for covaction's quick start."""
