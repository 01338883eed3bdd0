"""The pictures in docs/cli.md are the command's real output, not stale copies.

Each scene is recorded again on an 80-column pseudo-terminal against the fake server and
compared, as text with durations and speeds masked, with the committed `.txt`; each `.svg`
carries the digest of the text it was drawn from. Regenerate with `nox -s cli_screens`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("pexpect")
pytestmark = [
    pytest.mark.network,
    pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal"),
]

ROOT = Path(__file__).resolve().parents[2]


def _recorder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cli_screens", ROOT / "tools" / "cli_screens.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


screens = _recorder()


@pytest.mark.parametrize("scene", screens.SCENES, ids=lambda scene: scene.name)
def test_the_picture_is_the_commands_output(scene: object) -> None:
    text_path = screens.ASSETS / f"{scene.name}.txt"  # type: ignore[attr-defined]
    svg_path = screens.ASSETS / f"{scene.name}.svg"  # type: ignore[attr-defined]
    committed = text_path.read_text()
    assert screens.plain(screens.record(scene)) == committed, "stale: run `nox -s cli_screens`"
    match = re.search(r"text sha256 ([0-9a-f]{64})", svg_path.read_text())
    assert match is not None
    assert match[1] == hashlib.sha256(committed.encode()).hexdigest()


def test_the_docs_page_shows_every_picture() -> None:
    page = (ROOT / "docs" / "cli.md").read_text()
    for scene in screens.SCENES:
        assert f"assets/cli/{scene.name}.svg" in page


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\nb\n", "a\nb\n"),
        ("one\ntwo\r\x1b[2K\x1b[1A\x1b[2Kthree\nfour\n", "three\nfour\n"),
        ("\x1b[?25lbar 10%\r\x1b[2Kbar 100%\x1b[?25h\n", "bar 100%\n"),
        ("x   \n\n\n", "x\n"),
    ],
)
def test_the_screen_model(raw: str, shown: str) -> None:
    assert screens.screen(raw) == shown
