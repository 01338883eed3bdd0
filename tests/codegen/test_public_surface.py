"""The public surface does not move by accident.

Signatures (with every `@overload`) and the parameters each docstring documents, of every public
method of both clients, both services and the module-level functions, against the committed
snapshot `public_surface.json`. A deliberate change refreshes the snapshot with
`python tests/codegen/public_surface.py` and shows up in review as its diff.
"""

from __future__ import annotations

import inspect
import json
import sys
from typing import Any

import pytest

from tests.codegen.public_surface import SNAPSHOT, doc_args, render, surface

pytestmark = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="typing.get_overloads needs Python 3.11"
)

REFRESH = "python tests/codegen/public_surface.py"


@pytest.fixture(scope="module")
def current() -> dict[str, Any]:
    return surface()


@pytest.fixture(scope="module")
def snapshot() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return loaded


def test_snapshot_is_rendered_canonically(snapshot: dict[str, Any]) -> None:
    assert SNAPSHOT.read_text(encoding="utf-8") == render(snapshot)


@pytest.mark.parametrize(
    "owner", ["AsyncClient", "Client", "OllamaService", "SyncOllamaService", "module functions"]
)
def test_surface_matches_snapshot(
    owner: str, current: dict[str, Any], snapshot: dict[str, Any]
) -> None:
    now, then = current[owner], snapshot[owner]
    assert sorted(now) == sorted(then), f"public names of {owner} changed; if meant: {REFRESH}"
    for name in then:
        assert now[name] == then[name], f"{owner}.{name} changed; if meant: {REFRESH}"


def test_sync_twin_mirrors_async(current: dict[str, Any]) -> None:
    """The sync client exposes the same names with the same parameters as the async one."""
    async_, sync = current["AsyncClient"], current["Client"]
    assert sorted(async_) == sorted(sync)
    for name, entry in async_.items():
        if "doc_args" in entry:
            assert entry["doc_args"] == sync[name]["doc_args"], name


def test_every_documented_parameter_exists(current: dict[str, Any]) -> None:
    """A docstring never documents a parameter the signature lacks."""
    for owner, members in current.items():
        for name, entry in members.items():
            if not isinstance(entry, dict) or "signature" not in entry:
                continue
            for arg in entry["doc_args"]:
                assert arg.lstrip("*") in entry["signature"], f"{owner}.{name}: {arg}"


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ("Summary.", []),
        ("Summary.\n\nArgs:\n    a: One.\n    b: Two,\n        continued.\n", ["a", "b"]),
        (
            "S.\n\nArgs:\n    a (int): One.\n    **kwargs: Rest.\n\nReturns:\n    x: no.\n",
            ["a", "**kwargs"],
        ),
        ("S.\n\nReturns:\n    a: not an argument.\n", []),
    ],
)
def test_doc_args(doc: str, expected: list[str]) -> None:
    assert doc_args(inspect.cleandoc(doc)) == expected
