"""`run`, `generate` and `chat`: one-shot answers, and the REPL (`>>> `) as `ollama run` has it.

The REPL reads with readline (line editing, history kept across sessions), takes multi-line
input between `\"\"\"`, and the slash commands `/set`, `/show`, `/clear`, `/load`, `/save`,
`/bye` and `/?`. Ctrl+C at the prompt prints a hint and stays; Ctrl+C during an answer stops it
and keeps what came in the history; Ctrl+D leaves on a line of its own. From a pipe, `chat`
reads one message per line (or per `\"\"\"` block) without prompts.

The REPL itself is `_repl.Repl`; reading input is `_input`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Final

from ollama_service._errors import OllamaModelNotFoundError
from ollama_service._sync.client import Client
from ollama_service.cli._context import Context
from ollama_service.cli._generate import (
    UsageError,
    generation_from_args,
    stream_chat,
    stream_generate,
)
from ollama_service.cli._input import (
    HISTORY_ENV,
    ReadlineHistory,
    read_messages,
    stream_reader,
    terminal_reader,
)
from ollama_service.cli._repl import Repl
from ollama_service.types import Message, ShowResponse

__all__ = ["CHAT_COMMANDS", "HISTORY_ENV", "Repl", "read_messages"]

EXIT_OK: Final = 0


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
        from ollama_service.cli._transfer import pull_into

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
        repl.loop(stream_reader(ctx.stdin), interactive=False)
    return EXIT_OK


def _interactive(repl: Repl, ctx: Context) -> int:
    history = ReadlineHistory()
    try:
        repl.loop(terminal_reader(ctx.output), interactive=True)
    finally:
        history.save()
    return EXIT_OK


CHAT_COMMANDS: Final[dict[str, Callable[[argparse.Namespace, Context], int]]] = {
    "run": run,
    "generate": generate,
    "chat": chat,
}
