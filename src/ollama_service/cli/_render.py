"""Everything the command writes: JSON for machines, rich tables and progress bars for people.

The command's output goes through `Output` and the renderers here, never through `print`.
rich is imported only inside the functions that draw for people, so `--json` works without it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol, TextIO, cast

from ollama_service.cli._format import human_bytes, human_time, short_digest
from ollama_service.types import ListModel, ProcessModel, ProgressResponse, ShowResponse
from ollama_service.types._base import BaseStruct

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live
    from rich.progress import Progress, TaskID

__all__ = [
    "RICH_MISSING",
    "Output",
    "PullDisplay",
    "RichMissingError",
    "embeddings_table",
    "models_table",
    "processes_table",
    "pull_display",
    "render_show",
    "require_rich",
]

RICH_MISSING: Final = (
    "the ollama-service command needs rich for its output: "
    "pip install 'ollama-service[cli]' (or pass --json for machine output)"
)
# How many leading values of an embedding the table shows.
_VECTOR_PREVIEW: Final = 4
# How many lines of a licence `show` prints.
_LICENSE_LINES: Final = 2


class RichMissingError(RuntimeError):
    """rich is not installed, and the output is for people."""


def require_rich() -> None:
    """Check that rich can be imported.

    Raises:
        RichMissingError: It cannot; the message says how to install it.
    """
    try:
        import rich  # noqa: F401  # pyright: ignore[reportUnusedImport]
    except ImportError:
        raise RichMissingError(RICH_MISSING) from None


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


@dataclass
class Output:
    """Where the command writes.

    Attributes:
        json_mode: Machine output: JSON documents on stdout, nothing decorative.
        stdout: The output stream.
        stderr: The stream for errors, warnings and chatter.
    """

    json_mode: bool = False
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    _console: Console | None = field(default=None, init=False, repr=False)

    @property
    def console(self) -> Console:
        """The rich console on stdout, created on first use."""
        if self._console is None:
            require_rich()
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

    def print(self, *objects: RenderableType) -> None:
        """Show something to people: rich on stdout, or stderr in JSON mode (stdout stays clean)."""
        if self.json_mode:
            for item in objects:
                self.stderr.write(f"{item}\n")
            self.stderr.flush()
            return
        self.console.print(*objects, markup=False)

    def error(self, message: str) -> None:
        """One line on stderr: `error: <message>`."""
        self._line(f"error: {message}")

    def warning(self, message: str) -> None:
        """One line on stderr: `warning: <message>`."""
        self._line(f"warning: {message}")

    def _line(self, text: str) -> None:
        one_line = " ".join(text.split())
        self.stderr.write(one_line + "\n")
        self.stderr.flush()


# --- Tables ---------------------------------------------------------------------------------


def _table(*headers: str) -> Any:
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold", padding=(0, 4, 0, 0))
    for header in headers:
        table.add_column(header, no_wrap=True)
    return table


def models_table(models: Sequence[ListModel]) -> RenderableType:
    """`ollama list`: NAME, ID, SIZE, MODIFIED."""
    table = _table("NAME", "ID", "SIZE", "MODIFIED")
    for model in models:
        table.add_row(
            model.name or model.model,
            short_digest(model.digest),
            human_bytes(model.size),
            human_time(model.modified_at),
        )
    rendered: RenderableType = table
    return rendered


def _processor(model: ProcessModel) -> str:
    if model.size <= 0 or model.size_vram <= 0:
        return "100% CPU"
    if model.size_vram >= model.size:
        return "100% GPU"
    gpu = round(100 * model.size_vram / model.size)
    return f"{100 - gpu}%/{gpu}% CPU/GPU"


def processes_table(models: Sequence[ProcessModel]) -> RenderableType:
    """`ollama ps`: NAME, ID, SIZE, PROCESSOR, CONTEXT, UNTIL."""
    table = _table("NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL")
    for model in models:
        table.add_row(
            model.name or model.model,
            short_digest(model.digest),
            human_bytes(model.size),
            _processor(model),
            str(model.context_length) if model.context_length else "",
            human_time(model.expires_at, never="Stopping..."),
        )
    rendered: RenderableType = table
    return rendered


def embeddings_table(texts: Sequence[str], vectors: Sequence[Sequence[float]]) -> RenderableType:
    """One row per input: the text, the vector's length and its first values."""
    table = _table("INPUT", "DIMENSIONS", "VECTOR")
    for text, vector in zip(texts, vectors, strict=False):
        head = ", ".join(f"{value:.4f}" for value in vector[:_VECTOR_PREVIEW])
        more = ", ..." if len(vector) > _VECTOR_PREVIEW else ""
        shown = text if len(text) <= 40 else text[:39] + "…"
        table.add_row(shown, str(len(vector)), f"[{head}{more}]")
    rendered: RenderableType = table
    return rendered


# --- show -----------------------------------------------------------------------------------


def _section(title: str, rows: Sequence[tuple[str, str]]) -> RenderableType:
    from rich.console import Group
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 4, 0, 0))
    table.add_column(no_wrap=True)
    table.add_column()
    for key, value in rows:
        table.add_row(key, value)
    body = Group(Text(title, style="bold"), Padding(table, (0, 0, 0, 2), expand=False))
    return Padding(body, (0, 0, 1, 2), expand=False)


def _parameter_rows(parameters: str) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for line in parameters.splitlines():
        key, _, value = line.strip().partition(" ")
        if key:
            rows.append((key, value.strip()))
    return rows


def render_show(reply: ShowResponse) -> RenderableType:
    """`ollama show MODEL`: Model, Capabilities, Parameters, System and License sections."""
    from rich.console import Group

    details = reply.details
    info: Mapping[str, Any] = reply.model_info or {}
    architecture = str(info.get("general.architecture") or details.family or "")
    model_rows: list[tuple[str, str]] = []
    if architecture:
        model_rows.append(("architecture", architecture))
    if details.parameter_size:
        model_rows.append(("parameters", details.parameter_size))
    for key, label in (
        ("context_length", "context length"),
        ("embedding_length", "embedding length"),
    ):
        value = info.get(f"{architecture}.{key}") or getattr(details, key, None)
        if value:
            model_rows.append((label, str(value)))
    if details.quantization_level:
        model_rows.append(("quantization", details.quantization_level))
    sections: list[RenderableType] = [_section("Model", model_rows)]
    if reply.capabilities:
        sections.append(_section("Capabilities", [(name, "") for name in reply.capabilities]))
    if reply.parameters:
        sections.append(_section("Parameters", _parameter_rows(reply.parameters)))
    if reply.system:
        sections.append(_section("System", [(line, "") for line in reply.system.splitlines()]))
    if reply.license:
        lines = [line for line in reply.license.splitlines() if line.strip()][:_LICENSE_LINES]
        sections.append(_section("License", [(line.strip(), "") for line in lines]))
    return Group(*sections)


# --- pull progress --------------------------------------------------------------------------


class PullDisplay(Protocol):
    """Shows a pull's progress items as they arrive."""

    def update(self, progress: ProgressResponse) -> None: ...

    def close(self) -> None: ...


class _JsonPull:
    """NDJSON: every progress item, one line each."""

    def __init__(self, output: Output) -> None:
        self._output = output

    def update(self, progress: ProgressResponse) -> None:
        self._output.ndjson(progress)

    def close(self) -> None:
        return None


class _LinePull:
    """Not a terminal (a log, a pipe): one line per status and per finished layer."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._last_status = ""
        self._layers: dict[str, tuple[int, int]] = {}
        self._reported: set[str] = set()

    def update(self, progress: ProgressResponse) -> None:
        if progress.digest and progress.total:
            self._layers[progress.digest] = (progress.completed, progress.total)
            if progress.completed >= progress.total and progress.digest not in self._reported:
                self._reported.add(progress.digest)
                self._report(progress.digest)
            return
        if progress.status and progress.status != self._last_status:
            self._last_status = progress.status
            self._console.print(progress.status)

    def _report(self, digest: str) -> None:
        completed, total = self._layers[digest]
        percent = 100 * completed // total if total else 100
        self._console.print(
            f"pulling {short_digest(digest)}: {percent:3d}% of {human_bytes(total)}"
        )

    def close(self) -> None:
        for digest in self._layers:
            if digest not in self._reported:
                self._reported.add(digest)
                self._report(digest)


class _RichPull:
    """A terminal: a bar per layer and an overall bar, between the status lines, as `ollama pull`."""

    def __init__(self, console: Console) -> None:
        from rich.console import Group
        from rich.live import Live
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
        from rich.table import Column
        from rich.text import Text

        def columns() -> Progress:
            return Progress(
                # One width for both bar groups, so the overall bar lines up with the layers'.
                TextColumn("{task.description}", table_column=Column(width=20, no_wrap=True)),
                BarColumn(),
                TaskProgressColumn(),
                DownloadColumn(binary_units=False),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=console,
            )

        self._layers_bars: Progress = columns()
        self._total_bar: Progress = columns()
        self._overall: TaskID | None = None
        self._tasks: dict[str, TaskID] = {}
        self._sizes: dict[str, tuple[int, int]] = {}
        self._head = Text()
        self._tail = Text()
        self._last_status = ""
        group = Group(self._head, self._layers_bars, self._total_bar, self._tail)
        self._live: Live = Live(group, console=console, refresh_per_second=10)
        self._live.start()

    def update(self, progress: ProgressResponse) -> None:
        if progress.digest and progress.total:
            self._layer(progress.digest, progress.completed, progress.total)
            return
        status = progress.status
        if status and status != self._last_status:
            self._last_status = status
            target = self._tail if self._tasks else self._head
            if target.plain:
                target.append("\n")
            target.append(status)
        self._live.refresh()

    def _layer(self, digest: str, completed: int, total: int) -> None:
        task = self._tasks.get(digest)
        if task is None:
            task = self._layers_bars.add_task(f"pulling {short_digest(digest)}", total=total)
            self._tasks[digest] = task
        self._layers_bars.update(task, completed=completed, total=total)
        self._sizes[digest] = (completed, total)
        done = sum(c for c, _ in self._sizes.values())
        size = sum(t for _, t in self._sizes.values())
        if self._overall is None:
            self._overall = self._total_bar.add_task("total", total=size)
        self._total_bar.update(self._overall, completed=done, total=size)

    def close(self) -> None:
        self._live.stop()


def pull_display(output: Output) -> PullDisplay:
    """The display for this output: NDJSON, bars on a terminal, or lines elsewhere."""
    if output.json_mode:
        return _JsonPull(output)
    console = output.console
    if console.is_terminal and not console.is_dumb_terminal:
        return _RichPull(console)
    return _LinePull(console)
