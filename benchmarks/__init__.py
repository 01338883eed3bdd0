"""Benchmarks of ollama-service against the official `ollama` library and a bare floor.

Run them with `python -m benchmarks.run` (or `nox -s bench`); see benchmarks/README.md.
"""
