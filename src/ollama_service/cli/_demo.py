"""`ollama-service demo`: the SDK's example scenarios, run for people to watch.

Against the configured server when one answers; otherwise against the bundled
`FakeOllamaServer`, which it says plainly. The scenarios are those of `examples/`:
generate, the context manager, error handling, and a pull with progress bars.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import httpx

from ollama_service._errors import (
    OllamaConnectionError,
    OllamaModelNotFoundError,
    OllamaServiceError,
)
from ollama_service._sync.client import Client
from ollama_service._sync.service import SyncOllamaService
from ollama_service.cli._progress import transfer_display
from ollama_service.cli._render import Output
from ollama_service.types import ListModel

if TYPE_CHECKING:
    from rich.console import Console

    from ollama_service._settings import OllamaSettings

__all__ = ["run_demo"]

# How long the probe waits for an answer before deciding nobody is there.
PROBE_TIMEOUT: Final = 2.0
# A port nothing listens on (discard): connecting fails at once.
UNREACHABLE_URL: Final = "http://127.0.0.1:9"
UNKNOWN_MODEL: Final = "no-such-model-for-the-demo"
PROMPT: Final = "Why is the sky blue? Answer in one sentence."
# Bounds the demo's replies (in tokens), so a real server answers quickly.
REPLY_TOKENS: Final = 60


def _quick_client(url: str) -> Client:
    """A client that gives up fast: no retries, a short bound on every phase."""
    return Client(url, timeout=httpx.Timeout(PROBE_TIMEOUT), max_retries=0)


def ollama_answers(url: str) -> bool:
    """Whether an Ollama answers at `url`, within `PROBE_TIMEOUT` and without retries."""
    with _quick_client(url) as client:
        return SyncOllamaService(client=client, default_model="-").health_check()


def pick_model(models: Sequence[ListModel], preferred: str) -> str | None:
    """The settings' default model when installed, else the first that generates text."""

    def generates(model: ListModel) -> bool:
        if model.capabilities is not None:
            return "completion" in model.capabilities
        return "embed" not in model.name.lower()

    names = {m.name.lower(): m.name for m in models if generates(m)}
    wanted = preferred.lower()
    for candidate in (wanted, f"{wanted}:latest"):
        if candidate in names:
            return names[candidate]
    return next(iter(names.values()), None)


@dataclass
class _Demo:
    console: Console
    output: Output
    settings: OllamaSettings
    model: str | None
    on_fake: bool

    def title(self, text: str) -> None:
        if not self.output.is_terminal:
            self.output.line()
            self.output.line(f"== {text}")
            return
        self.console.print()
        self.console.rule(text, align="left")

    def _indented(self, text: str, style: str = "", marker: str = "") -> None:
        """`text` two spaces in, wrapped lines kept under it (after the marker, if any).

        Not on a terminal: the text as it is, unwrapped (a log or a pipe wraps it if it wants).
        """
        if not self.output.is_terminal:
            lead = f"  {marker} " if marker else "  "
            for number, line in enumerate(text.splitlines() or [""]):
                self.output.line((lead if number == 0 else " " * len(lead)) + line)
            return
        from rich.padding import Padding
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 1))
        if marker:
            grid.add_column(no_wrap=True)
        grid.add_column()
        cells = [Text(marker, style=style)] if marker else []
        grid.add_row(*cells, Text(text, style=style))
        self.console.print(Padding(grid, (0, 0, 0, 2), expand=False))

    def code(self, text: str) -> None:
        self._indented(text, style="cyan")

    def say(self, text: str) -> None:
        self._indented(text)

    def result(self, text: str) -> None:
        self._indented(text, style="green", marker="→")

    def service(self) -> SyncOllamaService:
        return SyncOllamaService(settings=self.settings)

    def options(self) -> dict[str, int]:
        """Runtime options: a bound on the reply's length, so a real server answers quickly."""
        return {"num_predict": REPLY_TOKENS}

    # --- the scenarios --------------------------------------------------------------------

    def basic_generate(self) -> None:
        self.title("1. Generate text")
        if self.model is None:
            self.say("No model that generates text is installed; skipping.")
            return
        with self.service() as service:
            self.code("service = SyncOllamaService()  # settings from the environment")
            self.code(f"service.generate({self.model!r}, {PROMPT!r})")
            reply = service.generate(self.model, PROMPT, options=self.options())
            self.result(reply.strip())
            self.code(f"for piece in service.generate({self.model!r}, ..., stream=True):")
            terminal = self.output.is_terminal
            if terminal:
                self.console.print("  → ", end="", style="green")
            else:
                self.output.text("  → ")
            with service.generate(
                self.model, PROMPT, stream=True, options=self.options()
            ) as pieces:
                for piece in pieces:
                    if terminal:
                        self.console.print(piece, end="", style="green", markup=False)
                    else:
                        self.output.text(piece)
            self.output.text("\n")

    def context_manager(self) -> None:
        self.title("2. The context manager")
        self.code("with SyncOllamaService() as service:")
        with self.service() as service:
            models = service.list_models()
            self.code("    service.list_models()")
            names = ", ".join(m.name for m in models) or "(none)"
            self.result(f"{len(models)} installed: {names}")
            if self.model is not None:
                messages = [{"role": "user", "content": "Hello! Who are you?"}]
                self.code(f"    service.chat({self.model!r}, {messages!r})")
                reply = service.chat(self.model, messages, options=self.options())
                self.result(reply.strip())
        self.say("Leaving the block closed the connection pool.")

    def error_handling(self) -> None:
        self.title("3. Error handling")
        self.code("try:")
        self.code(f"    service.generate({UNKNOWN_MODEL!r}, 'Hi')")
        self.code("except OllamaModelNotFoundError as exc: ...")
        with self.service() as service:
            try:
                service.generate(UNKNOWN_MODEL, "Hi")
            except OllamaModelNotFoundError as exc:
                self.result(f"OllamaModelNotFoundError: {exc}")
            else:
                self.say(f"(the server has a model called {UNKNOWN_MODEL!r})")
        self.code(
            f"client = Client({UNREACHABLE_URL!r}, max_retries=0, timeout=httpx.Timeout(2.0))"
        )
        self.code("SyncOllamaService(client=client).generate(...)")
        self.code("except OllamaConnectionError as exc: ...")
        with _quick_client(UNREACHABLE_URL) as client:
            unreachable = SyncOllamaService(client=client, default_model=UNKNOWN_MODEL)
            try:
                unreachable.generate(None, "Hi")
            except OllamaConnectionError as exc:
                self.result(f"{type(exc).__name__}: {exc}")
            else:
                self.say(f"(something answered at {UNREACHABLE_URL})")

    def pull_with_progress(self) -> None:
        self.title("4. Pull a model, with progress")
        if self.model is None:
            self.say("No model installed to pull again; try `ollama-service pull llama3.2`.")
            return
        if not self.on_fake:
            self.say(f"{self.model} is installed already: the pull only checks its layers.")
        self.code(f"for progress in service.pull_model({self.model!r}):")
        self.code("    ...  # status, digest, completed, total")
        display = transfer_display(self.output, [self.settings.resolved_base_url], "pulling")
        last = ""
        try:
            with self.service() as service:
                for progress in service.pull_model(self.model):
                    display.update(0, progress)
                    last = progress.status
        finally:
            display.close()
        self.result(f"final status: {last}")


def run_demo(output: Output, settings: OllamaSettings) -> int:
    """Run the four scenarios and report; 0 when all of them ran, 1 when one failed."""
    console = output.console

    def say(text: str = "", style: str = "") -> None:
        # Wrapped to the terminal by rich; elsewhere one line per message, unwrapped.
        if output.is_terminal:
            console.print(text, style=style, markup=False)
        else:
            output.line(text)

    url = settings.resolved_base_url
    say("ollama-service demo", style="bold")
    with ExitStack() as stack:
        on_fake = not ollama_answers(url)
        if on_fake:
            from ollama_service.testing import FakeOllamaServer

            say(
                f"No Ollama server answered at {url}; starting the bundled fake Ollama "
                "(ollama_service.testing.FakeOllamaServer) so you can see the SDK work."
            )
            server = stack.enter_context(FakeOllamaServer())
            url = server.base_url
            say(f"The fake Ollama listens at {url}.")
        else:
            say(f"Using the Ollama server at {url}.")
        settings = settings.model_copy(update={"base_url": url, "host": None})
        with SyncOllamaService(settings=settings) as service:
            model = pick_model(service.list_models(), settings.default_model)
        demo = _Demo(console, output, settings, model, on_fake)
        scenarios: list[Callable[[], None]] = [
            demo.basic_generate,
            demo.context_manager,
            demo.error_handling,
            demo.pull_with_progress,
        ]
        failed = 0
        for scenario in scenarios:
            try:
                scenario()
            except OllamaServiceError as exc:
                failed += 1
                say(f"  failed: {type(exc).__name__}: {exc}", style="red")
    say()
    where = "the bundled fake Ollama" if on_fake else url
    if failed:
        say(f"{failed} of {len(scenarios)} scenarios failed against {where}.")
        return 1
    say(
        f"Done: {len(scenarios)} scenarios ran against {where}. "
        "See examples/ for the code, and `ollama-service --help` for the commands."
    )
    return 0
