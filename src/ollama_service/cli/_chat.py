"""`run`, `generate` and `chat`: one-shot answers, and the REPL (`>>> `) as `ollama run` has it.

The REPL reads with readline (line editing, history kept across sessions), takes multi-line
input between `\"\"\"`, and the slash commands `/set`, `/show`, `/clear`, `/load`, `/save`,
`/bye` and `/?`. Ctrl+C at the prompt prints a hint and stays; Ctrl+C during an answer stops it
and keeps what came in the history; Ctrl+D leaves on a line of its own. From a pipe, `chat`
reads one message per line (or per `\"\"\"` block) without prompts.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final, TextIO, cast

from ollama_service._errors import OllamaModelNotFoundError, OllamaServiceError
from ollama_service._sync.client import Client
from ollama_service.cli._context import Context
from ollama_service.cli._generate import (
    Generation,
    UsageError,
    generation_from_args,
    parse_think,
    stream_chat,
    stream_generate,
)
from ollama_service.cli._options import OptionError, add_option, parse_option
from ollama_service.cli._render import Output, show_lines
from ollama_service.types import Message, ShowResponse

__all__ = ["CHAT_COMMANDS", "HISTORY_ENV", "Repl", "read_messages"]

EXIT_OK: Final = 0
EXIT_USAGE: Final = 2
HISTORY_ENV: Final = "OLLAMA_SERVICE_HISTORY"
_MULTILINE: Final = '"""'
_EXIT_HINT: Final = "Use Ctrl + d or /bye to exit."

HELP: Final = """\
Available Commands:
  /set            Set session variables
  /show           Show model information
  /load <model>   Load a session or model
  /save <model>   Save your current session
  /clear          Clear session context
  /bye            Exit
  /?, /help       Help for a command
  /? set          Help for /set
  /? show         Help for /show
  /? shortcuts    Help for keyboard shortcuts

Use \"\"\" to begin a multi-line message."""
HELP_SET: Final = """\
Available Commands:
  /set parameter <name> <value>   Set a parameter (temperature, num_ctx, stop, ...)
  /set system <string>            Set the system message
  /set think [low|medium|high]    Enable thinking (or at a level)
  /set nothink                    Disable thinking
  /set hidethinking               Think, but do not show the thinking
  /set nohidethinking             Show the thinking
  /set format json                Answer in JSON
  /set noformat                   Answer in free text
  /set verbose                    Show timings after each answer
  /set quiet                      Do not show timings"""
HELP_SHOW: Final = """\
Available Commands:
  /show info         Details for this model
  /show license      The model's licence
  /show modelfile    The model's Modelfile
  /show parameters   Parameters for this model (yours and the model's)
  /show system       The system message
  /show template     The prompt template"""
HELP_SHORTCUTS: Final = """\
Available keyboard shortcuts:
  Up/Down             Walk through the history
  Left/Right          Move in the line
  Ctrl + a / Ctrl + e Start / end of the line
  Ctrl + w            Delete the word before the cursor
  Ctrl + l            Clear the screen
  Ctrl + c            Stop the answer (at the prompt: keep going)
  Ctrl + d            Exit"""

LineReader = Callable[[str], "str | None"]


# --- Reading --------------------------------------------------------------------------------


def _stream_reader(stream: TextIO) -> LineReader:
    """A pipe or a file: plain lines, no prompt; None at EOF."""

    def read(prompt: str) -> str | None:
        line = stream.readline()
        return line.rstrip("\r\n") if line else None

    return read


def _terminal_reader(out: Output) -> LineReader:
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
    configured = os.environ.get(HISTORY_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".ollama-service" / "history"


class _ReadlineHistory:
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


# --- The REPL -------------------------------------------------------------------------------


class Repl:
    """A conversation: the model, the session settings, the history, and the slash commands.

    Args:
        client: The client.
        model: The model to talk to.
        gen: The session's settings, changed by `/set`.
        out: Where to write.
        info: The model's `show` reply, when known (for `/show`).
    """

    def __init__(
        self, client: Client, model: str, gen: Generation, out: Output, info: ShowResponse | None
    ) -> None:
        self.client = client
        self.model = model
        self.gen = gen
        self.out = out
        self.info = info
        self.history: list[Message] = []

    def messages(self) -> list[Message]:
        """What the next turn sends: the system prompt, then the history."""
        system = [Message(role="system", content=self.gen.system)] if self.gen.system else []
        return system + self.history

    def send(self, text: str) -> None:
        """One turn: the user's message and the streamed answer (partial if interrupted)."""
        self.history.append(Message(role="user", content=text))
        if self.out.json_mode:
            # One JSON document per turn: the whole reply.
            fields = self.gen.request_fields()
            try:
                response = self.client.chat(self.model, self.messages(), stream=False, **fields)
            except OllamaServiceError:
                self.history.pop()
                raise
            self.out.ndjson(response)
            self.history.append(response.message)
            return
        try:
            reply = stream_chat(
                self.client,
                self.model,
                self.messages(),
                self.gen,
                self.out,
                catch_interrupt=True,
            )
        except OllamaServiceError as exc:
            self.history.pop()
            self.out.error(str(exc))
            return
        self.history.append(reply.message())
        self.out.text("\n")

    def handle(self, text: str) -> bool:
        """Run a slash command or send a message; False when the session should end."""
        command = text.strip()
        if not command:
            return True
        if not command.startswith("/"):
            self.send(text)
            return True
        word, _, rest = command.partition(" ")
        rest = rest.strip()
        if word in ("/bye", "/exit"):
            return False
        if word in ("/?", "/help"):
            self._help(rest)
        elif word == "/set":
            self._set(rest)
        elif word == "/show":
            self._show(rest)
        elif word == "/clear":
            self.history.clear()
            self.out.line("Cleared session context")
        elif word == "/load":
            self._load(rest)
        elif word == "/save":
            self._save(rest)
        else:
            self.out.line(f"Unknown command '{word}'. Type /? for help")
        return True

    def _help(self, topic: str) -> None:
        texts = {"": HELP, "set": HELP_SET, "show": HELP_SHOW, "shortcuts": HELP_SHORTCUTS}
        self.out.line(texts.get(topic.lower(), HELP))

    def _set(self, rest: str) -> None:
        what, _, value = rest.partition(" ")
        value = value.strip()
        gen = self.gen
        try:
            if what == "parameter":
                name, _, raw = value.partition(" ")
                if not name or not raw.strip():
                    self.out.line("Usage: /set parameter <name> <value>")
                    return
                if name == "stop":
                    add_option(gen.options, name, raw)
                else:
                    gen.options[name] = parse_option(name, raw)
                self.out.line(f"Set parameter '{name}' to '{raw.strip()}'")
            elif what == "system":
                if not value:
                    self.out.line("Usage: /set system <string>")
                    return
                gen.system = value.strip('"') if value.startswith('"') else value
                self.out.line("Set system message.")
            elif what == "think":
                gen.think = parse_think(value) if value else True
                level = f" (level {gen.think})" if isinstance(gen.think, str) else ""
                self.out.line(f"Set 'think' mode{level}.")
            elif what == "nothink":
                gen.think = False
                self.out.line("Set 'nothink' mode.")
            elif what == "hidethinking":
                gen.hide_thinking = True
                self.out.line("Set 'hidethinking' mode.")
            elif what == "nohidethinking":
                gen.hide_thinking = False
                self.out.line("Set 'nohidethinking' mode.")
            elif what == "format":
                if value != "json":
                    self.out.line("Usage: /set format json")
                    return
                gen.format = "json"
                self.out.line("Set format to 'json' mode.")
            elif what == "noformat":
                gen.format = None
                self.out.line("Disabled format.")
            elif what == "verbose":
                gen.verbose = True
                self.out.line("Set 'verbose' mode.")
            elif what == "quiet":
                gen.verbose = False
                self.out.line("Set 'quiet' mode.")
            else:
                self.out.line(HELP_SET)
        except (OptionError, UsageError) as exc:
            self.out.line(f"Couldn't set: {exc}")

    def _model_info(self) -> ShowResponse | None:
        if self.info is None:
            try:
                self.info = self.client.show(self.model)
            except OllamaServiceError as exc:
                self.out.error(str(exc))
                return None
        return self.info

    def _show(self, rest: str) -> None:
        what = rest.lower()
        if what not in ("info", "license", "modelfile", "parameters", "system", "template"):
            self.out.line(HELP_SHOW)
            return
        if what == "system" and self.gen.system:
            self.out.line(self.gen.system)
            return
        if what == "parameters" and self.gen.options:
            self.out.line("User defined parameters:")
            for name, value in self.gen.options.items():
                items: list[object] = (
                    cast("list[object]", value) if isinstance(value, list) else [value]
                )
                for item in items:
                    self.out.line(f"{name:<30} {item}")
            self.out.line()
        info = self._model_info()
        if info is None:
            return
        if what == "info":
            for line in show_lines(info):
                self.out.line(line)
            return
        if what == "parameters":
            if info.parameters:
                self.out.line("Model defined parameters:")
                self.out.line(info.parameters.rstrip("\n"))
            elif not self.gen.options:
                self.out.line("No parameters were specified for this model.")
            return
        text = getattr(info, what) or ""
        if not text:
            labels = {"system": "system message", "license": "license", "template": "template"}
            self.out.line(f"No {labels.get(what, what)} was specified for this model.")
        else:
            self.out.line(text.rstrip("\n"))

    def _load(self, name: str) -> None:
        if not name:
            self.out.line("Usage: /load <modelname>")
            return
        try:
            info = self.client.show(name)
        except OllamaServiceError as exc:
            self.out.error(str(exc))
            return
        self.model, self.info = name, info
        self.history.clear()
        self.out.line(f"Loading model '{name}'")

    def _save(self, name: str) -> None:
        if not name:
            self.out.line("Usage: /save <modelname>")
            return
        try:
            self.client.create(
                name,
                from_=self.model,
                system=self.gen.system,
                parameters=self.gen.options or None,
                messages=self.history or None,
            )
        except OllamaServiceError as exc:
            self.out.error(str(exc))
            return
        self.out.line(f"Created new model '{name}'")

    def loop(self, read: LineReader, interactive: bool) -> None:
        """Read and handle inputs until /bye or EOF; Ctrl+C at the prompt only warns."""
        inputs = read_messages(read, interactive)
        while True:
            try:
                text = next(inputs)
            except StopIteration:
                return
            except KeyboardInterrupt:
                self.out.text("\n")
                self.out.line(_EXIT_HINT)
                inputs = read_messages(read, interactive)
                continue
            if not self.handle(text):
                return


# --- Commands -------------------------------------------------------------------------------


def _prompt(args: argparse.Namespace, ctx: Context) -> str | None:
    """The prompt from the arguments, else from stdin when it is not a terminal."""
    prompt = " ".join(args.prompt)
    if not prompt and not ctx.stdin.isatty():
        piped = ctx.stdin.read()
        # A trailing newline is the end of the file, not part of the question.
        prompt = piped.rstrip("\r\n")
    return prompt or None


def _ensure_model(client: Client, model: str, ctx: Context) -> ShowResponse:
    """The model's details, pulling it first when it is not installed (as `ollama run`)."""
    try:
        return client.show(model)
    except OllamaModelNotFoundError:
        from ollama_service.cli._commands import pull_into

        pull_into(client, model, ctx)
        return client.show(model)


def generate(args: argparse.Namespace, ctx: Context) -> int:
    """`generate MODEL [PROMPT]`: stream the answer to /api/generate (NDJSON with --json)."""
    gen = generation_from_args(args)
    prompt = _prompt(args, ctx)
    if prompt is None or not prompt.strip():
        raise UsageError("no prompt: pass it as an argument or on stdin")
    with ctx.client() as client:
        stream_generate(client, args.model, prompt, gen, ctx.output)
    return EXIT_OK


def run(args: argparse.Namespace, ctx: Context) -> int:
    """`run MODEL [PROMPT]`: a one-shot answer with a prompt (or piped text), else the REPL."""
    gen = generation_from_args(args)
    prompt = _prompt(args, ctx)
    out = ctx.output
    with ctx.client() as client:
        if prompt is not None:
            messages = [Message(role="user", content=prompt)]
            if gen.system:
                messages.insert(0, Message(role="system", content=gen.system))
            stream_chat(client, args.model, messages, gen, out)
            return EXIT_OK
        info = _ensure_model(client, args.model, ctx)
        return _interactive(Repl(client, args.model, gen, out, info), ctx)


def chat(args: argparse.Namespace, ctx: Context) -> int:
    """`chat MODEL`: the REPL on a terminal; from a pipe, one message per line.

    With --json, each turn prints its chunks as NDJSON.
    """
    gen = generation_from_args(args)
    out = ctx.output
    interactive = ctx.stdin.isatty() and ctx.stdin is sys.stdin and not out.json_mode
    with ctx.client() as client:
        if interactive:
            info = _ensure_model(client, args.model, ctx)
            return _interactive(Repl(client, args.model, gen, out, info), ctx)
        repl = Repl(client, args.model, gen, out, None)
        repl.loop(_stream_reader(ctx.stdin), interactive=False)
    return EXIT_OK


def _interactive(repl: Repl, ctx: Context) -> int:
    history = _ReadlineHistory()
    try:
        repl.loop(_terminal_reader(ctx.output), interactive=True)
    finally:
        history.save()
    return EXIT_OK


CHAT_COMMANDS: Final[dict[str, Callable[[argparse.Namespace, Context], int]]] = {
    "run": run,
    "generate": generate,
    "chat": chat,
}
