"""Helpers that run the example CI pipelines in tests (see runner.py and stub.py)."""
