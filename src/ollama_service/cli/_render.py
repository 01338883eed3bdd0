"""Everything the command writes: JSON for machines, plain text and tables for people.

The command's output goes through `Output`, never through `print`. Tables, `show` and streamed
text are plain text (rich is not needed for them); rich draws only the terminal progress bars
and the demo, and is imported only there.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, TextIO, cast

from ollama_service import _env as env
from ollama_service.cli._format import human_bytes, human_time, short_digest
from ollama_service.cli._table import Column, layout
from ollama_service.types import ListModel, ProcessModel, ShowResponse
from ollama_service.types._base import BaseStruct

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "EMBED_COLUMNS",
    "MODEL_COLUMNS",
    "PROCESS_COLUMNS",
    "Output",
    "RichMissingError",
    "embedding_rows",
    "model_rows",
    "process_rows",
    "require_rich",
    "show_lines",
    "to_builtins",
]

# How many leading values of an embedding the table shows.
_VECTOR_PREVIEW: Final = 4
# How many lines of a licence `show` prints.
_LICENSE_LINES: Final = 2
_BOLD: Final = "\x1b[1m"
_DIM: Final = "\x1b[2m"
_RESET: Final = "\x1b[0m"


class RichMissingError(RuntimeError):
    """rich is not installed, and the output needs it (progress bars, the demo)."""


def require_rich(what: str) -> None:
    """Check that rich can be imported.

    Args:
        what: What needs it, for the message (`the demo`).

    Raises:
        RichMissingError: It cannot; the message says how to install it.
    """
    try:
        import rich  # noqa: F401  # pyright: ignore[reportUnusedImport]
    except ImportError:
        raise RichMissingError(f"{what} needs rich: pip install 'ollama-service[cli]'") from None


def to_builtins(value: object) -> Any:
    """Structs (and lists of them) as JSON-ready builtins; set fields only."""
    if isinstance(value, BaseStruct):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        items = cast("Sequence[object]", value)
        return [to_builtins(item) for item in items]
    if isinstance(value, Mapping):
        mapping = cast("Mapping[object, object]", value)
        return {str(key): to_builtins(item) for key, item in mapping.items()}
    return value


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@dataclass
class Output:
    """Where the command writes, and how: for a terminal or for a pipe.

    Attributes:
        json_mode: Machine output: JSON documents on stdout, nothing decorative.
        stdout: The output stream.
        stderr: The stream for errors, warnings and notices.
    """

    json_mode: bool = False
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    _console: Console | None = field(default=None, init=False, repr=False)

    @property
    def is_terminal(self) -> bool:
        """stdout is a terminal that can take control sequences (not `TERM=dumb`)."""
        return _isatty(self.stdout) and not env.dumb_terminal()

    @property
    def colour(self) -> bool:
        """Styles are wanted: a terminal without `NO_COLOR`, or `FORCE_COLOR`."""
        if env.force_color():
            return True
        return self.is_terminal and not env.no_color()

    @property
    def width(self) -> int | None:
        """The terminal's width (`COLUMNS` wins), or None when stdout is not a terminal."""
        if not _isatty(self.stdout):
            return None
        return shutil.get_terminal_size().columns

    @property
    def console(self) -> Console:
        """A rich console on stdout, created on first use (progress bars and the demo)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self.stdout, highlight=False, soft_wrap=False)
        return self._console

    def json(self, value: object) -> None:
        """Write one JSON document (indented, for people peeking; any JSON parser reads it)."""
        self.stdout.write(json.dumps(to_builtins(value), indent=2, ensure_ascii=False) + "\n")
        self.stdout.flush()

    def ndjson(self, value: object) -> None:
        """Write one line of an NDJSON stream, flushed at once."""
        self.stdout.write(json.dumps(to_builtins(value), ensure_ascii=False) + "\n")
        self.stdout.flush()

    def text(self, piece: str) -> None:
        """Write streamed text as it arrives (no markup, no wrapping)."""
        self.stdout.write(piece)
        self.stdout.flush()

    def dim(self, piece: str) -> None:
        """Streamed text, dimmed when styles are wanted (a model's thinking)."""
        self.text(f"{_DIM}{piece}{_RESET}" if self.colour else piece)

    def line(self, text: str = "") -> None:
        """One line for people: stdout, or stderr in JSON mode (stdout stays clean)."""
        stream = self.stderr if self.json_mode else self.stdout
        stream.write(text.rstrip() + "\n")
        stream.flush()

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> None:
        """A table fitted to the terminal, or with full values when piped."""
        lines = layout(columns, rows, self.width)
        if self.colour and lines:
            lines[0] = f"{_BOLD}{lines[0]}{_RESET}"
        self.stdout.write("".join(line + "\n" for line in lines))
        self.stdout.flush()

    def error(self, message: str) -> None:
        """One line on stderr: `error: <message>`."""
        self.notice(f"error: {message}")

    def warning(self, message: str) -> None:
        """One line on stderr: `warning: <message>`."""
        self.notice(f"warning: {message}")

    def report(self, text: str) -> None:
        """One line on stderr as it is (aligned figures such as `--verbose` timings)."""
        self.stderr.write(text.rstrip() + "\n")
        self.stderr.flush()

    def notice(self, text: str) -> None:
        """One line on stderr, whitespace collapsed."""
        self.stderr.write(" ".join(text.split()) + "\n")
        self.stderr.flush()


# --- Table rows -----------------------------------------------------------------------------

MODEL_COLUMNS: Final = (
    Column("NAME"),
    Column("ID", drop=1),
    Column("SIZE"),
    Column("MODIFIED", wrap=True, drop=2),
)
PROCESS_COLUMNS: Final = (
    Column("NAME"),
    Column("ID", drop=2),
    Column("SIZE"),
    Column("PROCESSOR", wrap=True, drop=3),
    Column("CONTEXT", drop=1),
    Column("UNTIL", wrap=True, drop=4),
)
EMBED_COLUMNS: Final = (
    Column("INPUT", wrap=True),
    Column("DIMENSIONS"),
    Column("VECTOR", wrap=True),
)


def model_rows(models: Sequence[ListModel]) -> list[list[str]]:
    """`ollama list`: NAME, ID, SIZE, MODIFIED."""
    return [
        [
            model.name or model.model,
            short_digest(model.digest),
            human_bytes(model.size),
            human_time(model.modified_at),
        ]
        for model in models
    ]


def _processor(model: ProcessModel) -> str:
    if model.size <= 0 or model.size_vram <= 0:
        return "100% CPU"
    if model.size_vram >= model.size:
        return "100% GPU"
    gpu = round(100 * model.size_vram / model.size)
    return f"{100 - gpu}%/{gpu}% CPU/GPU"


def process_rows(models: Sequence[ProcessModel]) -> list[list[str]]:
    """`ollama ps`: NAME, ID, SIZE, PROCESSOR, CONTEXT, UNTIL."""
    return [
        [
            model.name or model.model,
            short_digest(model.digest),
            human_bytes(model.size),
            _processor(model),
            str(model.context_length) if model.context_length else "",
            human_time(model.expires_at, never="Stopping..."),
        ]
        for model in models
    ]


def embedding_rows(texts: Sequence[str], vectors: Sequence[Sequence[float]]) -> list[list[str]]:
    """One row per input: the whole text, the vector's length and its first values."""
    rows: list[list[str]] = []
    for text, vector in zip(texts, vectors, strict=False):
        head = ", ".join(f"{value:.4f}" for value in vector[:_VECTOR_PREVIEW])
        more = ", ..." if len(vector) > _VECTOR_PREVIEW else ""
        rows.append([text, str(len(vector)), f"[{head}{more}]"])
    return rows


# --- show -----------------------------------------------------------------------------------


def _section(title: str, rows: Sequence[tuple[str, str]]) -> list[str]:
    width = max((len(key) for key, _ in rows), default=0)
    lines = [f"  {title}"]
    for key, value in rows:
        lines.append(f"    {key.ljust(width)}    {value}".rstrip() if value else f"    {key}")
    return [*lines, ""]


def _parameter_rows(parameters: str) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for line in parameters.splitlines():
        key, _, value = line.strip().partition(" ")
        if key:
            rows.append((key, value.strip()))
    return rows


def show_lines(reply: ShowResponse) -> list[str]:
    """`ollama show MODEL`: Model, Capabilities, Parameters, System and License sections."""
    details = reply.details
    info: Mapping[str, Any] = reply.model_info or {}
    architecture = str(info.get("general.architecture") or details.family or "")
    model: list[tuple[str, str]] = []
    if architecture:
        model.append(("architecture", architecture))
    if details.parameter_size:
        model.append(("parameters", details.parameter_size))
    for key, label in (
        ("context_length", "context length"),
        ("embedding_length", "embedding length"),
    ):
        value = info.get(f"{architecture}.{key}") or getattr(details, key, None)
        if value:
            model.append((label, str(value)))
    if details.quantization_level:
        model.append(("quantization", details.quantization_level))
    lines = _section("Model", model)
    if reply.capabilities:
        lines += _section("Capabilities", [(name, "") for name in reply.capabilities])
    if reply.parameters:
        lines += _section("Parameters", _parameter_rows(reply.parameters))
    if reply.system:
        lines += _section("System", [(line, "") for line in reply.system.splitlines()])
    if reply.license:
        text = [line.strip() for line in reply.license.splitlines() if line.strip()]
        lines += _section("License", [(line, "") for line in text[:_LICENSE_LINES]])
    return lines
