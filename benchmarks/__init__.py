"""Benchmarks of the product, run from the repository root as modules: ``python -m benchmarks.NAME --help``.

benchmarks/README.md maps each script to what it measures; docs/BENCHMARKS.md holds the current figures.
"""
