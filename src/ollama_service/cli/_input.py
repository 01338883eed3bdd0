"""Reading what the user types: from a pipe (a line each), or a terminal with readline and a
history file kept across sessions; `\"\"\"` starts and ends a multi-line message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final, TextIO

from ollama_service._env import ENV_HISTORY, history_file
from ollama_service.cli._render import Output

__all__ = [
    "HISTORY_ENV",
    "LineReader",
    "ReadlineHistory",
    "read_messages",
    "stream_reader",
    "terminal_reader",
]

HISTORY_ENV: Final = ENV_HISTORY
_MULTILINE: Final = '"""'

LineReader = Callable[[str], "str | None"]


def stream_reader(stream: TextIO) -> LineReader:
    """A pipe or a file: plain lines, no prompt; None at EOF."""

    def read(prompt: str) -> str | None:
        line = stream.readline()
        return line.rstrip("\r\n") if line else None

    return read


def terminal_reader(out: Output) -> LineReader:
    """A terminal: `input()` with readline; None at EOF (Ctrl+D), after a newline."""

    def read(prompt: str) -> str | None:
        try:
            return input(prompt)
        except EOFError:
            out.text("\n")
            return None

    return read


def read_messages(read: LineReader, interactive: bool) -> Iterator[str]:
    """The user's inputs, one per line (or one per \"\"\"-delimited block), until EOF."""
    while True:
        text = read(">>> " if interactive else "")
        if text is None:
            return
        if text.lstrip().startswith(_MULTILINE):
            first = text.lstrip()[len(_MULTILINE) :]
            block = [first]
            closed = first.rstrip().endswith(_MULTILINE) and first.strip() != ""
            while not closed:
                more = read("... " if interactive else "")
                if more is None:
                    break
                block.append(more)
                closed = more.rstrip().endswith(_MULTILINE)
            text = "\n".join(block).rstrip().removesuffix(_MULTILINE).strip("\n")
        yield text


def _history_file() -> Path:
    configured = history_file()
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".ollama-service" / "history"


class ReadlineHistory:
    """Line editing and a history file, when readline is available."""

    def __init__(self) -> None:
        self.path = _history_file()
        try:
            import readline
        except ImportError:  # pragma: no cover - Windows without pyreadline
            self._readline = None
            return
        self._readline = readline
        readline.set_history_length(1000)
        with contextlib.suppress(OSError, ValueError):
            readline.read_history_file(str(self.path))

    def save(self) -> None:
        if self._readline is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._readline.write_history_file(str(self.path))
        except OSError:
            pass
