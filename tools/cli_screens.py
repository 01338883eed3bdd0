"""Record the pictures of docs/cli.md from the real command, against the bundled fake server.

Each scene runs `ollama-service` on an 80x24 pseudo-terminal (pexpect), replays what it wrote
on a small screen model (enough for rich's live display: erase line, cursor up), and saves
`docs/assets/cli/<scene>.svg` (rich's SVG export) next to `<scene>.txt`, the plain text of the
same screen. `tests/cli/test_screens.py` records the text again and compares, so the page
cannot drift from the program.

    python tools/cli_screens.py           # regenerate (nox -s cli_screens)
    python tools/cli_screens.py --check   # exit 1 when a picture is stale
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "docs" / "assets" / "cli"
WIDTH, HEIGHT = 80, 24
WAIT = 60  # seconds: a bound on a hung program, not a timing assertion

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# What changes from one run to the next: durations, speeds, ports.
_VOLATILE = (
    (re.compile(r"\b\d+(?:\.\d+)? s\b"), "N s"),
    (re.compile(r"\b\d+(?:\.\d+)? ?[KMGT]?B/s\b"), "N B/s"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:PORT"),
    (re.compile(r"\b\d+(?:\.\d+)?(?:ms|µs|s)\b"), "N"),
    (re.compile(r"\b\d+\.\d+ tokens/s\b"), "N tokens/s"),
)


def screen(raw: str) -> str:
    """The final screen of a terminal session: full-line erases and cursor-up applied."""
    lines: list[str] = [""]
    row = 0
    text = raw.replace("\r\n", "\n")
    for match in re.finditer(r"\x1b\[([0-9;?]*)([A-Za-z])|\n|\r|[^\x1b\n\r]+", text):
        token = match.group(0)
        if token == "\n":
            row += 1
            if row == len(lines):
                lines.append("")
        elif token == "\r":
            continue  # rich and readline redraw whole lines
        elif match.group(2) == "K":
            lines[row] = ""
        elif match.group(2) == "A":
            row = max(0, row - int(match.group(1) or 1))
        elif match.group(2) == "m":
            lines[row] += token
        elif match.group(2):
            continue  # cursor visibility, bracketed paste, column moves
        else:
            lines[row] += token
    while lines and not _ANSI.sub("", lines[-1]).strip():
        lines.pop()
    return "\n".join(line.rstrip() for line in lines) + "\n"


def plain(ansi_screen: str) -> str:
    """The screen without styles and with the volatile parts masked."""
    text = "\n".join(_ANSI.sub("", line).rstrip() for line in ansi_screen.splitlines())
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text + "\n"


@contextmanager
def fake_server() -> Iterator[Any]:
    from ollama_service.testing import FakeModel, FakeOllamaServer
    from ollama_service.testing._models import model_for_name

    now = datetime.now(timezone.utc)
    models: list[FakeModel] = []
    for name, age in (("llama3.2", 2), ("qwen3", 3), ("nomic-embed-text", 9)):
        model = model_for_name(name)
        models.append(dataclasses.replace(model, modified_at=now - timedelta(days=age)))
    with FakeOllamaServer(models) as server:
        yield server


def spawn(url: str, *args: str) -> Any:
    import pexpect

    env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA_", "NO_COLOR"))}
    env.update(
        TERM="xterm-256color",
        COLUMNS=str(WIDTH),
        LINES=str(HEIGHT),
        FORCE_COLOR="1",
        PYTHONIOENCODING="utf-8",
        OLLAMA_SERVICE_HISTORY=os.devnull,
    )
    child = pexpect.spawn(
        sys.executable,
        ["-m", "ollama_service", "--host", url, *args],
        env=env,
        dimensions=(HEIGHT, WIDTH),
        encoding="utf-8",
        timeout=WAIT,
    )
    child.logfile_read = io.StringIO()  # everything the program wrote, across expects
    return child


def _run(url: str, *args: str) -> str:
    import pexpect

    child = spawn(url, *args)
    child.expect(pexpect.EOF)
    child.close()
    output: str = child.logfile_read.getvalue()
    return output


def _repl(url: str) -> str:
    import pexpect

    child = spawn(url, "run", "qwen3", "--think")
    child.expect_exact(">>> ")
    child.send("Why is the sky blue?\r")
    child.expect_exact(">>> ")
    child.send("/bye\r")
    child.expect(pexpect.EOF)
    child.close()
    output: str = child.logfile_read.getvalue()
    return output


@dataclass(frozen=True)
class Scene:
    """One picture: its file name, the command line it shows, and how to record it."""

    name: str
    title: str
    record: Callable[[str], str]
    warm_up: tuple[str, ...] = ()


SCENES = (
    Scene("list", "ollama-service list", lambda url: _run(url, "list")),
    Scene(
        "ps",
        "ollama-service ps",
        lambda url: _run(url, "ps"),
        warm_up=("run", "llama3.2", "Hi"),
    ),
    Scene("show", "ollama-service show llama3.2", lambda url: _run(url, "show", "llama3.2")),
    Scene("pull", "ollama-service pull mistral", lambda url: _run(url, "pull", "mistral")),
    Scene("repl", "ollama-service run qwen3 --think", _repl),
)


def record(scene: Scene) -> str:
    """Run the scene against a fresh fake server; return the final screen, with styles."""
    with fake_server() as server:
        if scene.warm_up:
            _run(server.base_url, *scene.warm_up)
        return screen(scene.record(server.base_url))


def svg(scene: Scene, ansi_screen: str) -> str:
    from rich.console import Console
    from rich.text import Text

    console = Console(record=True, width=WIDTH, file=open(os.devnull, "w"), force_terminal=True)  # noqa: SIM115
    console.print(Text(f"$ {scene.title}", style="bold"))
    console.print(Text.from_ansi(ansi_screen.rstrip("\n")), soft_wrap=True)
    picture = console.export_svg(title=scene.title)
    console.file.close()
    digest = hashlib.sha256(plain(ansi_screen).encode()).hexdigest()
    return f"<!-- recorded by tools/cli_screens.py; text sha256 {digest} -->\n{picture}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a picture is stale")
    args = parser.parse_args(argv)
    ASSETS.mkdir(parents=True, exist_ok=True)
    stale: list[str] = []
    for scene in SCENES:
        ansi_screen = record(scene)
        text_path, svg_path = ASSETS / f"{scene.name}.txt", ASSETS / f"{scene.name}.svg"
        if args.check:
            if not text_path.exists() or text_path.read_text() != plain(ansi_screen):
                stale.append(scene.name)
            continue
        text_path.write_text(plain(ansi_screen))
        svg_path.write_text(svg(scene, ansi_screen))
        print(f"wrote {svg_path.relative_to(ROOT)}")
    if stale:
        print(f"stale: {', '.join(stale)}; regenerate with `nox -s cli_screens`")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
