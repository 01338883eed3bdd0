"""The subcommands: each takes the parsed arguments and a `Context`, and returns an exit code.

Errors are not caught here: `OllamaServiceError` reaches `main`, which prints one line and picks
the exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TextIO, TypeAlias

from ollama_service._errors import OllamaConnectionError
from ollama_service._sync.service import SyncOllamaService
from ollama_service._version import __version__
from ollama_service.cli._render import (
    Output,
    embeddings_table,
    models_table,
    processes_table,
    pull_display,
    render_show,
)
from ollama_service.types import Message

if TYPE_CHECKING:
    from ollama_service._settings import OllamaSettings

__all__ = ["COMMANDS", "Context"]

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
EXIT_USAGE: Final = 2

_CHAT_HELP: Final = """\
Available commands:
  /clear    Clear the conversation (keeps the system prompt)
  /bye      Exit
  /?        Show this help
Use \"\"\" to begin and end a multi-line message."""
_MULTILINE: Final = '"""'


@dataclass
class Context:
    """What every command needs: the output, the settings, and the input stream.

    Attributes:
        output: Where to write.
        settings: The SDK settings, with `--host` and `--timeout` applied.
        stdin: Where `chat` reads the user's lines.
    """

    output: Output
    settings: OllamaSettings
    stdin: TextIO

    @property
    def base_url(self) -> str:
        """The server every command talks to."""
        return self.settings.resolved_base_url

    def service(self) -> SyncOllamaService:
        """A service for the configured server; close it (use `with`)."""
        return SyncOllamaService(settings=self.settings)


# --- Text ----------------------------------------------------------------------------------


def generate(args: argparse.Namespace, ctx: Context) -> int:
    """`generate MODEL PROMPT`: stream the reply to the terminal (NDJSON chunks with --json)."""
    prompt = " ".join(args.prompt)
    if not prompt and not ctx.stdin.isatty():
        prompt = ctx.stdin.read()
    if not prompt.strip():
        ctx.output.error("no prompt: pass it as an argument or on stdin")
        return EXIT_USAGE
    fields: dict[str, Any] = {}
    if args.system:
        fields["system"] = args.system
    out = ctx.output
    with ctx.service() as service:
        if out.json_mode:
            with service.client.generate(args.model, prompt, stream=True, **fields) as chunks:
                for chunk in chunks:
                    out.ndjson(chunk)
            return EXIT_OK
        ended_with_newline = True
        try:
            with service.generate(args.model, prompt, stream=True, **fields) as pieces:
                for piece in pieces:
                    out.text(piece)
                    ended_with_newline = piece.endswith("\n")
        finally:
            # Also when the stream fails midway, so the error starts on a line of its own.
            if not ended_with_newline:
                out.text("\n")
    return EXIT_OK


LineReader: TypeAlias = Callable[[str], str | None]


def _input_reader(prompt: str) -> str | None:
    """A terminal: `input()`, with line editing; None at EOF (Ctrl+D)."""
    try:
        return input(prompt)
    except EOFError:
        return None


def _stream_reader(stream: TextIO) -> LineReader:
    """A pipe or a file: plain lines, no prompt; None at EOF."""

    def read(prompt: str) -> str | None:
        line = stream.readline()
        return line.rstrip("\r\n") if line else None

    return read


def _read_messages(read: LineReader, interactive: bool) -> Iterator[str]:
    """The user's messages, one per line (or one per \"\"\"-delimited block), until EOF."""
    while True:
        text = read(">>> " if interactive else "")
        if text is None:
            return
        if text.lstrip().startswith(_MULTILINE):
            block = [text.lstrip()[len(_MULTILINE) :]]
            while not block[-1].rstrip().endswith(_MULTILINE):
                more = read("... " if interactive else "")
                if more is None:
                    break
                block.append(more)
            text = "\n".join(block).rstrip().removesuffix(_MULTILINE)
        yield text


def chat(args: argparse.Namespace, ctx: Context) -> int:
    """`chat MODEL`: a conversation on stdin, one message per line; `/bye` or EOF ends it.

    The history is kept and sent with every turn. With --json, each turn prints the reply as
    one JSON line (the full `ChatResponse`).
    """
    out = ctx.output
    interactive = ctx.stdin.isatty() and not out.json_mode
    history: list[Message] = []
    if args.system:
        history.append(Message(role="system", content=args.system))
    with ctx.service() as service:
        if interactive:
            # Fail before the user types anything when the model is not installed.
            service.client.show(args.model)
            out.print(f"Chatting with {args.model}. Type /? for help, /bye to leave.")
        read = (
            _input_reader if interactive and ctx.stdin is sys.stdin else _stream_reader(ctx.stdin)
        )
        for text in _read_messages(read, interactive):
            command = text.strip()
            if not command:
                continue
            if command == "/bye":
                break
            if command in ("/?", "/help"):
                out.print(_CHAT_HELP)
                continue
            if command == "/clear":
                keep = 1 if history and history[0].role == "system" else 0
                del history[keep:]
                out.print("Cleared the conversation.")
                continue
            if command.startswith("/") and " " not in command:
                out.print(f"Unknown command '{command}'. Type /? for help.")
                continue
            history.append(Message(role="user", content=text))
            reply = _chat_turn(service, args.model, history, out)
            if reply is None:
                history.pop()
                continue
            history.append(reply)
    return EXIT_OK


def _chat_turn(
    service: SyncOllamaService, model: str, history: list[Message], out: Output
) -> Message | None:
    """Send the history, show the reply; None when the user interrupted it (Ctrl+C)."""
    if out.json_mode:
        response = service.client.chat(model, history, stream=False)
        out.ndjson(response)
        return response.message
    pieces: list[str] = []
    try:
        with service.chat(model, history, stream=True) as stream:
            for piece in stream:
                pieces.append(piece)
                out.text(piece)
    except KeyboardInterrupt:
        out.text("\n")
        return None
    out.text("\n\n" if pieces else "\n")
    return Message(role="assistant", content="".join(pieces))


def embed(args: argparse.Namespace, ctx: Context) -> int:
    """`embed MODEL TEXT...`: one vector per text (the full vectors with --json)."""
    out = ctx.output
    texts: list[str] = list(args.text)
    with ctx.service() as service:
        reply = service.client.embed(args.model, texts, dimensions=args.dimensions)
    if out.json_mode:
        out.json(reply)
    else:
        out.print(embeddings_table(texts, reply.embeddings))
    return EXIT_OK


# --- Models --------------------------------------------------------------------------------


def list_models(args: argparse.Namespace, ctx: Context) -> int:
    """`list`: the installed models."""
    with ctx.service() as service:
        reply = service.client.list()
    if ctx.output.json_mode:
        ctx.output.json(reply)
    else:
        ctx.output.print(models_table(reply.models))
    return EXIT_OK


def ps(args: argparse.Namespace, ctx: Context) -> int:
    """`ps`: the models loaded in memory."""
    with ctx.service() as service:
        reply = service.client.ps()
    if ctx.output.json_mode:
        ctx.output.json(reply)
    else:
        ctx.output.print(processes_table(reply.models))
    return EXIT_OK


_SHOW_PARTS: Final = ("modelfile", "parameters", "template", "system", "license")


def show(args: argparse.Namespace, ctx: Context) -> int:
    """`show MODEL`: details, capabilities, parameters, licence; or one part with a flag."""
    with ctx.service() as service:
        reply = service.client.show(args.model, verbose=True if args.verbose else None)
    out = ctx.output
    part = next((name for name in _SHOW_PARTS if getattr(args, name)), None)
    if out.json_mode:
        out.json({part: getattr(reply, part)} if part else reply)
    elif part:
        out.text((getattr(reply, part) or "").rstrip("\n") + "\n")
    else:
        out.print(render_show(reply))
    return EXIT_OK


def pull(args: argparse.Namespace, ctx: Context) -> int:
    """`pull MODEL`: download with a progress bar per layer and an overall one."""
    display = pull_display(ctx.output)
    try:
        with ctx.service() as service:
            for progress in service.pull_model(args.model):
                display.update(progress)
    finally:
        display.close()
    return EXIT_OK


# --- Server --------------------------------------------------------------------------------


def health(args: argparse.Namespace, ctx: Context) -> int:
    """`health`: 0 when Ollama answers, 1 (and why) when it does not."""
    out = ctx.output
    with ctx.service() as service:
        try:
            service.client.with_options(max_retries=0).health()
        except OllamaConnectionError as exc:
            if out.json_mode:
                out.json({"base_url": ctx.base_url, "running": False, "error": str(exc)})
            out.error(str(exc))
            return EXIT_ERROR
    if out.json_mode:
        out.json({"base_url": ctx.base_url, "running": True})
    else:
        out.print(f"Ollama is running at {ctx.base_url}")
    return EXIT_OK


def version(args: argparse.Namespace, ctx: Context) -> int:
    """`version`: this package's version and the server's (a warning when it is unreachable)."""
    out = ctx.output
    server: str | None = None
    with ctx.service() as service:
        try:
            server = service.client.with_options(max_retries=0).version().version
        except OllamaConnectionError:
            out.warning(f"could not connect to a running Ollama at {ctx.base_url}")
    if out.json_mode:
        out.json({"client": __version__, "server": server, "base_url": ctx.base_url})
        return EXIT_OK
    out.print(f"ollama-service version {__version__}")
    if server is not None:
        out.print(f"ollama server version {server} at {ctx.base_url}")
    return EXIT_OK


def demo(args: argparse.Namespace, ctx: Context) -> int:
    """`demo`: the example scenarios, against Ollama or the bundled fake."""
    from ollama_service.cli._demo import run_demo

    return run_demo(ctx.output, ctx.settings)


COMMANDS: Final[dict[str, Callable[[argparse.Namespace, Context], int]]] = {
    "generate": generate,
    "chat": chat,
    "embed": embed,
    "list": list_models,
    "ps": ps,
    "show": show,
    "pull": pull,
    "health": health,
    "version": version,
    "demo": demo,
}
