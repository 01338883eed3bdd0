"""Fixtures of the compatibility suite (``nox -s compat``; see ``tests/compat/README.md``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat._harness import official_sources


@pytest.fixture(scope="session")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The unpacked official sdist (README.md, examples/, tests/)."""
    return official_sources(tmp_path_factory.mktemp("sdist"))
