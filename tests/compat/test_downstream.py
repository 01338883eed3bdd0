"""langchain-ollama, llama-index and ollama-haystack give the same results on ours.

Each library's scenarios (``downstream/scenarios.py``) run in one subprocess on the official
library and in another with the import shim first on ``PYTHONPATH``, each against a fresh fake
server; every scenario's result must be equal. Versions are pinned in the ``compat`` extra.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.compat._harness import COMPAT_DIR, fake_server, run_python
from tests.compat.downstream.scenarios import SCENARIOS

pytestmark = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="the pinned releases of these libraries need Python 3.11"
)

SCRIPT = COMPAT_DIR / "downstream" / "scenarios.py"

# Gaps in ours, by what they break (strict xfails: a listed scenario must fail; remove the
# entry when the gap is closed).
GAPS: dict[tuple[str, str], str] = {}


def _run(library: str, variant: str) -> dict[str, Any]:
    with fake_server() as server:
        run = run_python(
            SCRIPT,
            base_url=server.base_url,
            cwd=Path(__file__).parent,
            shim=variant == "ours",
            args=(library,),
        )
    assert run.returncode == 0, f"{library} on {variant}: " + run.describe()
    decoded: dict[str, Any] = json.loads(run.stdout)
    return decoded


@cache
def results(library: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The scenarios' results on the official library and on ours (run at once)."""
    with ThreadPoolExecutor(2) as pool:
        official = pool.submit(_run, library, "official")
        ours = pool.submit(_run, library, "ours")
        return official.result(), ours.result()


def _params() -> list[object]:
    params: list[object] = []
    for library, scenarios in SCENARIOS.items():
        for name in scenarios:
            gap = GAPS.get((library, name))
            marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
            params.append(pytest.param(library, name, marks=marks, id=f"{library}-{name}"))
    return params


def test_gaps_name_real_scenarios() -> None:
    for library, name in GAPS:
        assert name in SCENARIOS[library], (library, name)


@pytest.mark.parametrize(("library", "name"), _params())
def test_scenario(library: str, name: str) -> None:
    official_results, our_results = results(library)
    official, ours = official_results[name], our_results[name]
    assert not (isinstance(official, dict) and "scenario raised" in official), official
    assert ours == official, "\n".join(
        ["ours differs from the official:", *differences(official, ours)]
    )


def differences(official: Any, ours: Any, path: str = "") -> list[str]:
    """Where ``ours`` differs from ``official``, one line per difference (at most 20)."""
    found: list[str] = []
    if isinstance(official, dict) and isinstance(ours, dict):
        for key in sorted(set(official) | set(ours)):
            if key not in ours:
                found.append(f"{path}/{key}: missing in ours (official {official[key]!r:.80})")
            elif key not in official:
                found.append(f"{path}/{key}: only in ours ({ours[key]!r:.80})")
            else:
                found += differences(official[key], ours[key], f"{path}/{key}")
    elif isinstance(official, list) and isinstance(ours, list) and len(official) == len(ours):
        for index, (a, b) in enumerate(zip(official, ours, strict=True)):
            found += differences(a, b, f"{path}[{index}]")
    elif official != ours:
        found.append(f"{path or '/'}: official {official!r:.120}, ours {ours!r:.120}")
    return found[:20]
