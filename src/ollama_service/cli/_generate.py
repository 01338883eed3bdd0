"""Generation for people: the flags of `run`/`generate`/`chat`, and a streamed answer on screen.

The flags are those of `ollama run`: `--think[=LEVEL]`, `--hidethinking`, `--format`,
`--system`, `--keepalive`, `-o/--option KEY=VALUE` and `--verbose`. An answer shows the
model's thinking first (dimmed on a terminal, each line prefixed with `thinking: ` elsewhere),
then the reply; `--verbose` adds the timings on stderr, as `ollama run --verbose` does.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from ollama_service._sync.client import Client
from ollama_service.cli._options import OptionError, add_option, split_assignment
from ollama_service.cli._render import Output
from ollama_service.types import ChatResponse, GenerateResponse, Message

__all__ = [
    "THINK_LEVELS",
    "Answer",
    "Generation",
    "UsageError",
    "add_generation_flags",
    "generation_from_args",
    "parse_think",
    "rewrite_think_flags",
    "stream_chat",
    "stream_generate",
    "timings",
]

THINK_LEVELS: Final = ("low", "medium", "high", "max")
_THINK_PREFIX: Final = "thinking: "


class UsageError(ValueError):
    """A flag or command value that cannot be used (exit status 2)."""


@dataclass
class Generation:
    """How to ask for an answer, from the flags (and changed by `/set` in the REPL).

    Attributes:
        think: True/False, a level, or None to let the server decide.
        hide_thinking: Think, but do not show the thinking.
        format: `"json"`, a JSON Schema, or None.
        system: The system prompt.
        keep_alive: How long the model stays loaded (`5m`, `0`, seconds).
        options: Runtime options, typed.
        verbose: Print timings after each answer.
    """

    think: bool | str | None = None
    hide_thinking: bool = False
    format: str | dict[str, Any] | None = None
    system: str | None = None
    keep_alive: str | float | None = None
    options: dict[str, Any] = field(default_factory=dict[str, Any])
    verbose: bool = False

    def request_fields(self) -> dict[str, Any]:
        """The keyword arguments for `Client.chat`/`Client.generate` (unset ones left out)."""
        fields: dict[str, Any] = {}
        if self.think is not None:
            fields["think"] = self.think
        if self.format is not None:
            fields["format"] = self.format
        if self.keep_alive is not None:
            fields["keep_alive"] = self.keep_alive
        if self.options:
            fields["options"] = dict(self.options)
        return fields

    def copy(self) -> Generation:
        """An independent copy (the REPL changes its own)."""
        return replace(self, options=dict(self.options))


def parse_think(text: str) -> bool | str:
    """`--think=VALUE`: true/false, or a level.

    Raises:
        UsageError: Neither.
    """
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "on", "1", ""):
        return True
    if lowered in ("false", "no", "off", "0"):
        return False
    if lowered in THINK_LEVELS:
        return lowered
    levels = ", ".join(THINK_LEVELS)
    raise UsageError(f"--think: {text!r} is not true, false or a level ({levels})")


def rewrite_think_flags(argv: list[str]) -> list[str]:
    """`--think=LEVEL` as `--think-level LEVEL`, so a bare `--think` never eats the prompt."""
    out: list[str] = []
    for arg in argv:
        if arg == "--":
            out.extend(argv[len(out) :])
            break
        if arg.startswith("--think="):
            out += ["--think-level", arg.removeprefix("--think=")]
        else:
            out.append(arg)
    return out


def add_generation_flags(parser: argparse.ArgumentParser) -> None:
    """The generation flags shared by `run`, `generate` and `chat`."""
    parser.add_argument(
        "--think",
        action="store_true",
        default=None,
        help="let a thinking model think (--think=LEVEL: low, medium, high, max; --think=false)",
    )
    parser.add_argument("--think-level", metavar="LEVEL", help=argparse.SUPPRESS)
    parser.add_argument(
        "--hidethinking", action="store_true", help="think, but show only the answer"
    )
    parser.add_argument(
        "--format", metavar="json|FILE.json", help="answer in JSON, or as the JSON Schema in FILE"
    )
    parser.add_argument("--system", metavar="TEXT", help="the system prompt")
    parser.add_argument(
        "--keepalive", metavar="DURATION", help="how long the model stays loaded (5m, 1h, 0)"
    )
    parser.add_argument(
        "-o",
        "--option",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="a runtime option such as temperature=0.2 (repeatable)",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show timings and tokens/s after the answer"
    )


def _format(value: str) -> str | dict[str, Any]:
    if value.strip().lower() == "json":
        return "json"
    path = Path(value).expanduser()
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"--format: {value!r} is neither 'json' nor a JSON Schema file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--format: cannot read {value}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"--format: {value} is not JSON: {exc}") from None
    if not isinstance(schema, dict):
        raise UsageError(f"--format: {value} must hold a JSON Schema object")
    return schema  # pyright: ignore[reportUnknownVariableType]


def _keep_alive(value: str) -> str | float:
    try:
        return float(value)
    except ValueError:
        return value.strip()


def generation_from_args(args: argparse.Namespace) -> Generation:
    """The `Generation` the flags ask for.

    Raises:
        UsageError: A flag's value is invalid (an unknown option, a bad level, an unreadable
            schema file); the message names the flag.
    """
    think: bool | str | None = True if args.think else None
    if args.think_level is not None:
        think = parse_think(args.think_level)
    if args.hidethinking and think is None:
        think = True
    options: dict[str, Any] = {}
    for assignment in args.option:
        try:
            key, value = split_assignment(assignment)
            add_option(options, key, value)
        except OptionError as exc:
            raise UsageError(f"-o/--option: {exc}") from None
    return Generation(
        think=think,
        hide_thinking=bool(args.hidethinking),
        format=_format(args.format) if args.format else None,
        system=args.system,
        keep_alive=_keep_alive(args.keepalive) if args.keepalive else None,
        options=options,
        verbose=bool(args.verbose),
    )


class Answer:
    """Writes one answer as it streams: thinking first, then the reply."""

    def __init__(self, out: Output, *, hide_thinking: bool = False) -> None:
        self._out = out
        self._hide = hide_thinking
        self._thinking = False
        self._at_line_start = True
        self._wrote = False

    def thinking(self, piece: str) -> None:
        if self._hide or not piece:
            return
        out = self._out
        if not self._thinking:
            self._thinking = True
            if out.is_terminal:
                out.dim("Thinking...\n")
        if out.is_terminal:
            out.dim(piece)
            self._at_line_start = piece.endswith("\n")
        else:
            out.text(self._prefixed(piece))
        self._wrote = True

    def _prefixed(self, piece: str) -> str:
        parts: list[str] = []
        for part in piece.splitlines(keepends=True):
            if self._at_line_start:
                parts.append(_THINK_PREFIX.rstrip() if part in ("\n", "\r\n") else _THINK_PREFIX)
            parts.append(part)
            self._at_line_start = part.endswith("\n")
        return "".join(parts)

    def content(self, piece: str) -> None:
        if not piece:
            return
        if self._thinking:
            self._thinking = False
            end = "" if self._at_line_start else "\n"
            if self._out.is_terminal:
                self._out.dim(f"{end}...done thinking.\n\n")
            else:
                self._out.text(end)
            self._at_line_start = True
        self._out.text(piece)
        self._at_line_start = piece.endswith("\n")
        self._wrote = True

    def end(self) -> None:
        """End the answer on a line of its own (also after an error or Ctrl+C)."""
        if self._wrote and not self._at_line_start:
            self._out.text("\n")
            self._at_line_start = True


@dataclass
class Reply:
    """What came back, also when interrupted: the text, the thinking, the last chunk."""

    content: str = ""
    thinking: str = ""
    final: ChatResponse | GenerateResponse | None = None
    interrupted: bool = False

    def message(self) -> Message:
        """The reply as an assistant message for the history."""
        if self.thinking:
            return Message(role="assistant", content=self.content, thinking=self.thinking)
        return Message(role="assistant", content=self.content)


def _show(
    chunks: Iterable[tuple[str, str, Any]], out: Output, gen: Generation, *, catch: bool
) -> Reply:
    reply = Reply()
    answer = Answer(out, hide_thinking=gen.hide_thinking)
    content: list[str] = []
    thinking: list[str] = []
    try:
        for think, text, chunk in chunks:
            thinking.append(think)
            content.append(text)
            answer.thinking(think)
            answer.content(text)
            if chunk.done:
                reply.final = chunk
    except KeyboardInterrupt:
        if not catch:
            raise
        reply.interrupted = True
    finally:
        answer.end()
        reply.content, reply.thinking = "".join(content), "".join(thinking)
    if reply.final is not None and gen.verbose:
        for line in timings(reply.final):
            out.report(line)
    return reply


def stream_chat(
    client: Client,
    model: str,
    messages: list[Message],
    gen: Generation,
    out: Output,
    *,
    catch_interrupt: bool = False,
) -> Reply:
    """Ask for a chat answer and show it as it streams.

    Args:
        client: The client.
        model: The model.
        messages: The history, ending with the user's message.
        gen: The flags.
        out: Where to show it (NDJSON chunks in JSON mode).
        catch_interrupt: Ctrl+C stops the answer and returns what came (the REPL); else
            KeyboardInterrupt propagates.

    Returns:
        The reply (partial when interrupted).
    """
    with client.chat(model, messages, stream=True, **gen.request_fields()) as stream:
        if out.json_mode:
            reply = Reply()
            for chunk in stream:
                out.ndjson(chunk)
                reply.content += chunk.message.content
                reply.thinking += chunk.message.thinking or ""
                if chunk.done:
                    reply.final = chunk
            return reply

        def pieces() -> Iterator[tuple[str, str, Any]]:
            for chunk in stream:
                yield chunk.message.thinking or "", chunk.message.content, chunk

        return _show(pieces(), out, gen, catch=catch_interrupt)


def stream_generate(client: Client, model: str, prompt: str, gen: Generation, out: Output) -> Reply:
    """Ask /api/generate for an answer and show it as it streams (NDJSON in JSON mode)."""
    fields = gen.request_fields()
    if gen.system:
        fields["system"] = gen.system
    with client.generate(model, prompt, stream=True, **fields) as stream:
        if out.json_mode:
            reply = Reply()
            for chunk in stream:
                out.ndjson(chunk)
                reply.content += chunk.response
                if chunk.done:
                    reply.final = chunk
            return reply

        def pieces() -> Iterator[tuple[str, str, Any]]:
            for chunk in stream:
                yield chunk.thinking or "", chunk.response, chunk

        return _show(pieces(), out, gen, catch=False)


def _duration(nanoseconds: int) -> str:
    seconds = nanoseconds / 1e9
    if seconds >= 1:
        return f"{seconds:.2f}s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f}ms"
    return f"{seconds * 1e6:.2f}µs"


def _rate(count: int | None, nanoseconds: int | None) -> str | None:
    if not count or not nanoseconds:
        return None
    return f"{count / (nanoseconds / 1e9):.2f} tokens/s"


def timings(final: ChatResponse | GenerateResponse) -> list[str]:
    """`ollama run --verbose`'s summary lines, from an answer's last chunk."""
    rows: list[tuple[str, str | None]] = [
        ("total duration", _duration(final.total_duration) if final.total_duration else None),
        ("load duration", _duration(final.load_duration) if final.load_duration else None),
        (
            "prompt eval count",
            f"{final.prompt_eval_count} token(s)" if final.prompt_eval_count else None,
        ),
        (
            "prompt eval duration",
            _duration(final.prompt_eval_duration) if final.prompt_eval_duration else None,
        ),
        ("prompt eval rate", _rate(final.prompt_eval_count, final.prompt_eval_duration)),
        ("eval count", f"{final.eval_count} token(s)" if final.eval_count else None),
        ("eval duration", _duration(final.eval_duration) if final.eval_duration else None),
        ("eval rate", _rate(final.eval_count, final.eval_duration)),
    ]
    return [f"{f'{label}:':<22}{value}" for label, value in rows if value is not None]
