"""Benchmarks run by ``make bench`` (``python -m bench``). Each prints one JSON line; see README.md."""
