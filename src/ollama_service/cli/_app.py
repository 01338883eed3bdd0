"""`ollama-service`: arguments, settings, dispatch, and what each failure exits with.

Exit codes: 0 success; 1 a runtime failure the SDK reports (server unreachable, model not
found, server error), as one `error: ...` line on stderr; 2 a usage error or invalid settings;
130 interrupted (Ctrl+C).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from ollama_service._errors import OllamaRequestError, OllamaServiceError
from ollama_service._version import __version__
from ollama_service.cli._commands import COMMANDS, Context
from ollama_service.cli._render import Output, RichMissingError, require_rich

if TYPE_CHECKING:
    from ollama_service._settings import OllamaSettings

__all__ = ["build_parser", "main"]

PROG: Final = "ollama-service"
EXIT_ERROR: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130

_DESCRIPTION: Final = """\
Talk to an Ollama server from the terminal, with the ollama-service SDK.

The server is OLLAMA_BASE_URL, else OLLAMA_HOST, else http://localhost:11434;
--host overrides them. Other settings (OLLAMA_TIMEOUT, OLLAMA_MAX_RETRIES,
OLLAMA_API_KEY, ...) are read as the SDK reads them."""

_EPILOG: Final = """\
examples:
  ollama-service list
  ollama-service generate llama3.2 "Why is the sky blue?"
  ollama-service chat llama3.2 < questions.txt
  ollama-service --json embed nomic-embed-text "first text" "second text"
  ollama-service demo

exit codes: 0 success, 1 runtime error (unreachable server, unknown model,
server error), 2 usage error or invalid settings, 130 interrupted."""


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _global_options(parser: argparse.ArgumentParser) -> None:
    """The options accepted before and after the subcommand.

    They default to SUPPRESS so a subcommand's parser never overwrites a value given before
    it (`--json list` and `list --json` both work).
    """
    parser.add_argument(
        "--host",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="the Ollama server (overrides OLLAMA_BASE_URL and OLLAMA_HOST)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="machine output on stdout: one JSON document, or NDJSON for streams",
    )
    parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=_positive_seconds,
        default=argparse.SUPPRESS,
        help="read timeout in seconds (overrides OLLAMA_TIMEOUT)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `ollama-service`."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _global_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help: str, aliases: Sequence[str] = ()) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name, help=help, description=help, aliases=list(aliases), allow_abbrev=False
        )
        sub.set_defaults(command=name)
        _global_options(sub)
        return sub

    sub = command("generate", "generate text for a prompt, streamed to the terminal")
    sub.add_argument("model", metavar="MODEL")
    sub.add_argument(
        "prompt", metavar="PROMPT", nargs="*", help="the prompt (read from stdin when omitted)"
    )
    sub.add_argument("--system", metavar="TEXT", help="system prompt")

    sub = command("chat", "chat with a model: one message per line on stdin; /bye or EOF ends")
    sub.add_argument("model", metavar="MODEL")
    sub.add_argument("--system", metavar="TEXT", help="system prompt")

    sub = command("embed", "embed texts: one vector per TEXT")
    sub.add_argument("model", metavar="MODEL")
    sub.add_argument("text", metavar="TEXT", nargs="+")
    sub.add_argument(
        "--dimensions", metavar="N", type=_positive_int, help="cut the vectors to N values"
    )

    command("list", "list the installed models", aliases=["ls"])
    command("ps", "list the models loaded in memory")

    sub = command("show", "show a model's details, capabilities, parameters and licence")
    sub.add_argument("model", metavar="MODEL")
    part = sub.add_mutually_exclusive_group()
    for name in ("modelfile", "parameters", "template", "system", "license"):
        part.add_argument(f"--{name}", action="store_true", help=f"show only the {name}")
    sub.add_argument(
        "-v", "--verbose", action="store_true", help="include large fields (tokenizer data)"
    )

    sub = command("pull", "download a model, with a progress bar per layer")
    sub.add_argument("model", metavar="MODEL")

    command("health", "check that the server answers (exit 0) or not (exit 1)")
    command("version", "show this package's version and the server's")
    command(
        "demo",
        "run the SDK's example scenarios (against the bundled fake Ollama if none answers)",
    )
    return parser


def _settings(args: argparse.Namespace) -> OllamaSettings:
    """The SDK settings from the environment, with --host and --timeout applied.

    Raises:
        OllamaRequestError: --host or a variable is invalid (the message names which).
    """
    from ollama_service._host import parse_host
    from ollama_service._settings import load_settings

    overrides: dict[str, Any] = {}
    host: str | None = getattr(args, "host", None)
    if host is not None:
        try:
            parse_host(host)
        except OllamaRequestError as exc:
            raise OllamaRequestError(f"--host: {exc}") from None
        # Both, so that an invalid OLLAMA_HOST cannot break a command given a good --host.
        overrides.update(base_url=host, host=None)
    timeout: float | None = getattr(args, "timeout", None)
    if timeout is not None:
        overrides["timeout"] = timeout
    return load_settings(**overrides)


def _run(args: argparse.Namespace, output: Output) -> int:
    if not output.json_mode:
        require_rich()
    elif args.command == "demo":
        output.error("demo writes for people; it has no --json output")
        return EXIT_USAGE
    context = Context(output=output, settings=_settings(args), stdin=sys.stdin)
    return COMMANDS[args.command](args, context)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    return EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    """Run `ollama-service` with these arguments (default: the process's).

    Returns:
        The exit code (see the module docstring); nothing is raised for expected failures.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, and usage errors (argparse printed them)
        return _exit_code(exc.code)
    output = Output(json_mode=bool(getattr(args, "json", False)))
    try:
        return _run(args, output)
    except RichMissingError as exc:
        output.error(str(exc))
        return EXIT_USAGE
    except OllamaRequestError as exc:
        output.error(str(exc))
        return EXIT_USAGE
    except OllamaServiceError as exc:
        output.error(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`ollama-service list --json | head -1`): stop quietly, and
        # keep Python from complaining while it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
