"""Client tests: written async in `tests/_async`; `python -m codegen` generates `tests/_sync`."""
