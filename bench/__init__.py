"""Benchmarks that write docs/benchmarks.md, one script per benchmark.

Run each from the repository root as ``python -m bench.NAME ...`` (``--help`` lists its
options); ``bench._report`` writes the sections and the summary rows.
"""
