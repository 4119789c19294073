"""Benchmarks: `make bench` runs `python -m benchmarks` (see __main__.py)."""
