"""A 1,000,000-line stream is consumed with flat memory (RSS grows < 10 MiB after line 10,000).

The measurement lives in `benchmarks/stream_memory.py` and runs in a fresh interpreter, so
nothing else in the test session moves its RSS; this test only checks its verdict. A run that
keeps every item shows the measurement does catch a leak.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOUND_MIB = 10.0

pytestmark = [
    pytest.mark.slow,  # a million-line stream, twice, in fresh interpreters
    pytest.mark.skipif(
        not Path("/proc/self/status").exists(), reason="RSS is read from /proc (Linux only)"
    ),
]


def run(*args: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.stream_memory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def growth_mib(output: str) -> float:
    # RSS can shrink after the sample at line 10,000 (the allocator returns pages): "-0.09".
    match = re.search(r"^growth: (-?\d+\.\d+) MiB", output, re.MULTILINE)
    assert match, output
    return float(match.group(1))


@pytest.mark.parametrize(
    ("line", "growth"),
    [("growth: 1.25 MiB (bound 10 MiB)", 1.25), ("growth: -0.09 MiB (bound 10 MiB)", -0.09)],
    ids=["grew", "shrank"],
)
def test_growth_is_read_from_the_report(line: str, growth: float) -> None:
    assert growth_mib(f"client: async\n{line}\nresult: ok\n") == growth


@pytest.mark.parametrize("client", ["sync", "async"])
def test_million_line_stream_has_flat_memory(client: str) -> None:
    code, output = run("--client", client)
    print(output)  # shown with -s or -rP
    assert "lines: 1000001 (expected 1000001)" in output, output
    assert growth_mib(output) < BOUND_MIB, output
    assert code == 0, output


def test_the_measurement_catches_a_leak() -> None:
    code, output = run("--lines", "200000", "--keep-items")
    assert growth_mib(output) >= BOUND_MIB, output
    assert code == 1, output
