"""Progress of pull, push and create: a bar per layer, a total, one group per server.

On a terminal (with rich) each group shows its status lines, a bar per layer and a total that
is the sum of the layers known so far, so it is never ahead of them. Elsewhere (a pipe, a log,
or no rich) it prints one line per status and per finished layer. With `--json` every item is
one NDJSON line (with a `host` key when there are several servers). Sizes use the same
decimal units everywhere (`human_bytes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ollama_service.cli._format import human_bytes, short_digest
from ollama_service.cli._render import Output, to_builtins
from ollama_service.types import ProgressResponse

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID
    from rich.text import Text

__all__ = ["LayerTotals", "TransferDisplay", "transfer_display"]


class LayerTotals:
    """The layers seen so far and their sum: what the total bar shows."""

    def __init__(self) -> None:
        self.layers: dict[str, tuple[int, int]] = {}

    def update(self, digest: str, completed: int, total: int) -> None:
        """Record a layer's progress; `completed` is kept within 0..total."""
        self.layers[digest] = (max(0, min(completed, total)), total)

    @property
    def completed(self) -> int:
        """Bytes done over all known layers."""
        return sum(done for done, _ in self.layers.values())

    @property
    def total(self) -> int:
        """Bytes of all known layers."""
        return sum(size for _, size in self.layers.values())

    def finished(self, digest: str) -> bool:
        """Whether that layer is complete."""
        done, size = self.layers[digest]
        return done >= size


class TransferDisplay(Protocol):
    """Shows progress items of one or more servers (groups) as they arrive."""

    def update(self, group: int, item: ProgressResponse) -> None: ...

    def finish(self, group: int, summary: str) -> None: ...

    def close(self) -> None: ...


class _JsonDisplay:
    def __init__(self, output: Output, labels: Sequence[str]) -> None:
        self._output = output
        self._labels = labels

    def update(self, group: int, item: ProgressResponse) -> None:
        value: dict[str, Any] = to_builtins(item)
        if len(self._labels) > 1:
            value = {"host": self._labels[group], **value}
        self._output.ndjson(value)

    def finish(self, group: int, summary: str) -> None:
        return None

    def close(self) -> None:
        return None


class _LineDisplay:
    """Not a terminal: one line per status and per finished layer, prefixed by the server."""

    def __init__(self, output: Output, labels: Sequence[str], verb: str) -> None:
        self._output = output
        self._labels = labels
        self._verb = verb
        self._status = ["" for _ in labels]
        self._totals = [LayerTotals() for _ in labels]
        self._reported: list[set[str]] = [set() for _ in labels]

    def _say(self, group: int, text: str) -> None:
        prefix = f"{self._labels[group]}: " if len(self._labels) > 1 else ""
        self._output.line(prefix + text)

    def update(self, group: int, item: ProgressResponse) -> None:
        totals = self._totals[group]
        if item.digest and item.total:
            totals.update(item.digest, item.completed, item.total)
            if totals.finished(item.digest):
                self._report(group, item.digest)
            return
        if item.status and item.status != self._status[group]:
            self._status[group] = item.status
            self._say(group, item.status)

    def _report(self, group: int, digest: str) -> None:
        if digest in self._reported[group]:
            return
        self._reported[group].add(digest)
        done, total = self._totals[group].layers[digest]
        percent = 100 * done // total if total else 100
        self._say(
            group, f"{self._verb} {short_digest(digest)}: {percent:3d}% of {human_bytes(total)}"
        )

    def finish(self, group: int, summary: str) -> None:
        for digest in self._totals[group].layers:
            self._report(group, digest)
        self._say(group, summary)

    def close(self) -> None:
        return None


def _columns(console: Console) -> Progress:
    """Bars with sizes in `human_bytes` units and a speed, as `ollama pull` shows them."""
    from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn
    from rich.table import Column
    from rich.text import Text

    class Sizes(ProgressColumn):
        def render(self, task: Task) -> Text:
            total = int(task.total or 0)
            return Text(f"{human_bytes(int(task.completed))}/{human_bytes(total)}")

    class Speed(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{human_bytes(int(speed))}/s" if speed else "")

    return Progress(
        TextColumn("{task.description}", table_column=Column(width=20, no_wrap=True)),
        BarColumn(bar_width=None),
        TextColumn("{task.percentage:>3.0f}%"),
        Sizes(),
        Speed(),
        console=console,
        expand=False,
    )


class _Group:
    def __init__(self, console: Console, label: str, verb: str) -> None:
        from rich.text import Text

        self.verb = verb
        self.label: Text = Text(label, style="bold") if label else Text()
        self.head: Text = Text()
        self.tail: Text = Text()
        self.layers: Progress = _columns(console)
        self.total_bar: Progress = _columns(console)
        self.total_task: TaskID | None = None
        self.tasks: dict[str, TaskID] = {}
        self.totals = LayerTotals()
        self.status = ""

    def renderables(self) -> list[Any]:
        parts: list[Any] = [self.label] if self.label.plain else []
        if self.head.plain:
            parts.append(self.head)
        parts += [self.layers, self.total_bar]
        if self.tail.plain:
            parts.append(self.tail)
        return parts

    def _append(self, text: Text, line: str) -> None:
        if text.plain:
            text.append("\n")
        text.append(line)

    def update(self, item: ProgressResponse) -> None:
        if item.digest and item.total:
            task = self.tasks.get(item.digest)
            if task is None:
                name = f"{self.verb} {short_digest(item.digest)}"
                task = self.layers.add_task(name, total=item.total)
                self.tasks[item.digest] = task
            self.totals.update(item.digest, item.completed, item.total)
            done, total = self.totals.layers[item.digest]
            self.layers.update(task, completed=done, total=total)
            if len(self.tasks) > 1:
                if self.total_task is None:
                    self.total_task = self.total_bar.add_task("total", total=self.totals.total)
                self.total_bar.update(
                    self.total_task, completed=self.totals.completed, total=self.totals.total
                )
            return
        if item.status and item.status != self.status:
            self.status = item.status
            self._append(self.tail if self.tasks else self.head, item.status)

    def finish(self, summary: str) -> None:
        self._append(self.tail, summary)


class _RichDisplay:
    """A terminal: a group per server, each with bars per layer and a total."""

    def __init__(self, console: Console, labels: Sequence[str], verb: str) -> None:
        from rich.console import Group
        from rich.live import Live

        shown = labels if len(labels) > 1 else [""]
        self._groups = [_Group(console, label, verb) for label in shown]
        self._group_type = Group
        self._live = Live(self._render(), console=console, refresh_per_second=10)
        self._live.start()

    def _render(self) -> Any:
        parts: list[Any] = []
        for group in self._groups:
            parts += group.renderables()
        return self._group_type(*parts)

    def update(self, group: int, item: ProgressResponse) -> None:
        self._groups[group].update(item)
        self._live.update(self._render())

    def finish(self, group: int, summary: str) -> None:
        self._groups[group].finish(summary)
        self._live.update(self._render())

    def close(self) -> None:
        self._live.update(self._render(), refresh=True)
        self._live.stop()


def transfer_display(output: Output, labels: Sequence[str], verb: str) -> TransferDisplay:
    """The display for this output.

    Args:
        output: Where to write.
        labels: One per group (the servers' URLs); a single group shows no label.
        verb: What a layer bar says (`pulling`, `pushing`, `copying`).
    """
    if output.json_mode:
        return _JsonDisplay(output, labels)
    if output.is_terminal:
        try:
            console = output.console
        except ImportError:
            return _LineDisplay(output, labels, verb)
        return _RichDisplay(console, labels, verb)
    return _LineDisplay(output, labels, verb)
