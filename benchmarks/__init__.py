"""Benchmarks run by `make bench` (`python -m benchmarks`), never by the test suite.

Each module has a `main(argv)`; importing one does no work.
"""
