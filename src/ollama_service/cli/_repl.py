"""The REPL (`>>> `) as `ollama run` has it: turns, `/set`, `/show`, `/load`, `/save`, `/clear`,
`/bye` and `/?`, Ctrl+C to stop an answer.
"""

from __future__ import annotations

from typing import Final, cast

from ollama_service._errors import OllamaServiceError
from ollama_service._sync.client import Client
from ollama_service.cli._generate import Generation, UsageError, parse_think, stream_chat
from ollama_service.cli._input import LineReader, read_messages
from ollama_service.cli._options import OptionError, add_option, parse_option
from ollama_service.cli._render import Output, show_lines
from ollama_service.types import Message, ShowResponse

__all__ = ["EXIT_HINT", "Repl"]

EXIT_HINT: Final = "Use Ctrl + d or /bye to exit."

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
                self.out.line(EXIT_HINT)
                inputs = read_messages(read, interactive)
                continue
            if not self.handle(text):
                return
