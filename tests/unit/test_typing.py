"""The proof that the public overloads type-check: `tests/typing/check_overloads.py`, and that
the official library's objects are accepted: `tests/typing/check_official_objects.py`.

That file is never run. It uses `assert_type` to state what `await client.generate(..., stream=True)`
and friends return, for `AsyncClient` and `Client`. This test runs both type checkers the
project supports over it, in strict mode, and requires a clean exit: a widened overload, a
lost `Literal[True]` narrowing or a struct field typed `Any` fails here. It takes a few seconds
(each checker starts cold, with its own cache directory so parallel runs do not collide).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ["tests/typing/check_overloads.py", "tests/typing/check_official_objects.py"]


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def test_check_files_exist_and_are_not_collected() -> None:
    """The checked files are where the commands below look, and have no `test_` prefix."""
    for checked in CHECKED:
        path = ROOT / checked
        assert path.is_file()
        assert not path.name.startswith("test_")
    assert "assert_type(" in (ROOT / CHECKED[0]).read_text(encoding="utf-8")


@pytest.mark.slow
def test_mypy_strict_accepts_the_overloads(tmp_path: Path) -> None:
    """`mypy --strict` proves every `assert_type` in the file."""
    result = _run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path), *CHECKED]
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


@pytest.mark.slow
def test_pyright_accepts_the_overloads() -> None:
    """`pyright` (strict mode, configured in pyproject.toml) proves the same."""
    pyright = shutil.which("pyright", path=str(Path(sys.executable).parent))
    if pyright is None:  # pragma: no cover - installed by the dev extra
        pytest.fail("pyright is not installed in this environment (pip install -e .[dev])")
    result = _run([pyright, *CHECKED])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors" in result.stdout
