"""`ollama-service`: arguments, settings, dispatch, and what each failure exits with.

Exit codes: 0 success; 1 a runtime failure the SDK reports (server unreachable, model not
found, server error), as one `error: ...` line on stderr; 2 a usage error or invalid settings;
130 interrupted (Ctrl+C); 141 stdout closed early (`| head`), as for a tool killed by SIGPIPE.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

from ollama_service._errors import OllamaRequestError, OllamaServiceError
from ollama_service._version import __version__
from ollama_service.cli._chat import CHAT_COMMANDS
from ollama_service.cli._commands import MODEL_COMMANDS, MULTI_HOST_COMMANDS
from ollama_service.cli._context import Context, RetryNotices
from ollama_service.cli._generate import UsageError, add_generation_flags, rewrite_think_flags
from ollama_service.cli._hosts import ENV_HOSTS, HostChoice, choose_hosts, name_the_setting
from ollama_service.cli._options import OPTION_TYPES
from ollama_service.cli._render import Output, RichMissingError

if TYPE_CHECKING:
    from ollama_service._settings import OllamaSettings

__all__ = ["build_parser", "main"]

PROG: Final = "ollama-service"
EXIT_ERROR: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130
EXIT_BROKEN_PIPE: Final = 141

_DESCRIPTION: Final = """\
Talk to an Ollama server from the terminal, with the ollama-service SDK.

The server is --host, else OLLAMA_HOSTS (comma-separated, for list, ps, show,
pull and rm on several servers), else OLLAMA_BASE_URL, else OLLAMA_HOST, else
http://127.0.0.1:11434. Other settings (OLLAMA_TIMEOUT, OLLAMA_MAX_RETRIES,
OLLAMA_API_KEY, ...) are read as the SDK reads them."""

_EPILOG: Final = """\
examples:
  ollama-service run llama3.2
  ollama-service run qwen3 --think "Why is the sky blue?"
  ollama-service list | sort
  ollama-service create mario -f ./Modelfile
  ollama-service --host gpu1 --host gpu2 pull llama3.2
  ollama-service --json embed nomic-embed-text "first text" "second text"
  ollama-service fake-server --port 11434

exit codes: 0 success, 1 runtime error (unreachable server, unknown model,
server error), 2 usage error or invalid settings, 130 interrupted,
141 output closed early (| head)."""

Command = Callable[[argparse.Namespace, Context], int]
COMMANDS: Final[dict[str, Command]] = {**CHAT_COMMANDS, **MODEL_COMMANDS}


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


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0 (any free port) to 65535: {text!r}")
    return value


def _global_options(parser: argparse.ArgumentParser) -> None:
    """The options accepted before and after the subcommand.

    They default to SUPPRESS so a subcommand's parser never overwrites a value given before
    it (`--json list` and `list --json` both work).
    """
    parser.add_argument(
        "--host",
        metavar="URL",
        action="append",
        default=argparse.SUPPRESS,
        help="the Ollama server (overrides the variables); repeat it for list, ps, show, "
        "pull and rm on several servers",
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
    parser.add_argument(
        "--backend",
        choices=("urllib3", "httpx"),
        default=argparse.SUPPRESS,
        help="the HTTP library under httpx (overrides OLLAMA_HTTP_BACKEND; default urllib3)",
    )


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that keeps its subcommands' parsers, to report errors with theirs."""

    subcommands: dict[str, argparse.ArgumentParser]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `ollama-service`."""
    parser = _Parser(
        prog=PROG,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.subcommands = {}
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _global_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help: str, aliases: Sequence[str] = ()) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name, help=help, description=help, aliases=list(aliases), allow_abbrev=False
        )
        sub.set_defaults(command=name)
        _global_options(sub)
        for alias in (name, *aliases):
            parser.subcommands[alias] = sub
        return sub

    sub = command("run", "chat with a model: one answer to PROMPT, or a conversation without")
    sub.add_argument("model", metavar="MODEL")
    sub.add_argument(
        "prompt", metavar="PROMPT", nargs="*", help="the prompt (also read from a pipe)"
    )
    add_generation_flags(sub)

    sub = command("generate", "generate text for a prompt with /api/generate, streamed")
    sub.add_argument("model", metavar="MODEL")
    sub.add_argument(
        "prompt", metavar="PROMPT", nargs="*", help="the prompt (read from stdin when omitted)"
    )
    add_generation_flags(sub)

    sub = command(
        "chat", "a conversation: the prompt on a terminal, one message per line from a pipe"
    )
    sub.add_argument("model", metavar="MODEL")
    add_generation_flags(sub)

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

    for name, text in (("pull", "download a model"), ("push", "upload a model to a registry")):
        sub = command(name, f"{text}, with a progress bar per layer")
        sub.add_argument("model", metavar="MODEL")
        sub.add_argument("--insecure", action="store_true", help="allow a registry over plain HTTP")

    sub = command("create", "create a model from a Modelfile, uploading the files it names")
    sub.add_argument("model", metavar="MODEL")
    sub.add_argument(
        "-f", "--file", metavar="FILE", default="Modelfile", help="the Modelfile (./Modelfile)"
    )
    sub.add_argument(
        "-q", "--quantize", metavar="TYPE", help="quantize the model (q4_K_M, q8_0, ...)"
    )

    sub = command("cp", "copy a model under a new name")
    sub.add_argument("source", metavar="SOURCE")
    sub.add_argument("destination", metavar="DESTINATION")

    sub = command("rm", "remove models")
    sub.add_argument("model", metavar="MODEL", nargs="+")

    sub = command("stop", "unload a running model from memory")
    sub.add_argument("model", metavar="MODEL")

    sub = command("embed", "embed texts: one vector per TEXT")
    sub.add_argument("model", metavar="MODEL")
    sub.add_argument("text", metavar="TEXT", nargs="+")
    sub.add_argument(
        "--dimensions", metavar="N", type=_positive_int, help="cut the vectors to N values"
    )

    command("health", "check that the server answers (exit 0) or not (exit 1)")
    command("version", "show this package's version and the server's")
    command(
        "demo",
        "run the SDK's example scenarios (against the bundled fake Ollama if none answers)",
    )
    sub = command("fake-server", "serve the bundled fake Ollama until Ctrl+C")
    sub.add_argument(
        "--port", metavar="N", type=_port, default=11434, help="the port (11434; 0: any free)"
    )
    sub.add_argument(
        "--model",
        metavar="NAME",
        action="append",
        help="an installed model (repeatable; default: llama3.2, qwen3, nomic-embed-text, llava)",
    )
    return parser


def _flag_hint(extra: str) -> str:
    """A hint for an unknown flag that is a runtime option (`--temperature` → `-o`)."""
    name = extra.lstrip("-").split("=", 1)[0].replace("-", "_")
    if extra.startswith("--") and name in OPTION_TYPES:
        return f" (runtime options go through -o: -o {name}=VALUE)"
    close = difflib.get_close_matches(name, sorted(OPTION_TYPES), n=1)
    if extra.startswith("--") and close:
        return f" (a runtime option? -o {close[0]}=VALUE)"
    return ""


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse; an unknown argument is reported with the subcommand's own usage."""
    args, extras = parser.parse_known_args(rewrite_think_flags(argv))
    if extras and isinstance(getattr(args, "prompt", None), list):
        # A prompt after a flag (`run qwen3 --think Why?`): argparse leaves its words over.
        words = [word for word in extras if not word.startswith("-") or word == "-"]
        if len(words) == len(extras):
            args.prompt += words
            extras = []
    if extras:
        subcommands: dict[str, argparse.ArgumentParser] = getattr(parser, "subcommands", {})
        sub = subcommands.get(str(getattr(args, "command", "")), parser)
        sub.error(f"unrecognized arguments: {' '.join(extras)}{_flag_hint(extras[0])}")
    return args


def _settings(args: argparse.Namespace, hosts: HostChoice) -> OllamaSettings:
    """The SDK settings from the environment, with the first server, --timeout and --backend
    applied."""
    from ollama_service._settings import load_settings

    overrides: dict[str, Any] = {}
    if hosts.urls:
        # Both, so that an invalid OLLAMA_HOST cannot break a command given a good --host.
        overrides.update(base_url=hosts.urls[0], host=None)
    timeout: float | None = getattr(args, "timeout", None)
    if timeout is not None:
        overrides["timeout"] = timeout
    backend: str | None = getattr(args, "backend", None)
    if backend is not None:
        overrides["http_backend"] = backend
    return load_settings(**overrides)


def _run(args: argparse.Namespace, output: Output, hosts: HostChoice) -> int:
    command: str = args.command
    if command == "demo":
        if output.json_mode:
            raise UsageError("demo writes for people; it has no --json output")
        from ollama_service.cli._render import require_rich

        require_rich("the demo")
    if len(hosts.urls) > 1 and command not in MULTI_HOST_COMMANDS:
        several = ", ".join(sorted(MULTI_HOST_COMMANDS))
        raise UsageError(
            f"{command} runs on one server, but {hosts.source} names {len(hosts.urls)} "
            f"(several work with {several})"
        )
    settings = _settings(args, hosts)
    RetryNotices(output, settings).install()
    context = Context(output=output, settings=settings, hosts=hosts, stdin=sys.stdin)
    return COMMANDS[command](args, context)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    return EXIT_USAGE


def _quiet_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null, so the flush at exit stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    """Run `ollama-service` with these arguments (default: the process's).

    Returns:
        The exit code (see the module docstring); nothing is raised for expected failures.
    """
    parser = build_parser()
    try:
        args = _parse(parser, list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help, --version, and usage errors (argparse printed them)
        return _exit_code(exc.code)
    output = Output(json_mode=bool(getattr(args, "json", False)))
    source = "--host" if getattr(args, "host", None) else ENV_HOSTS
    try:
        hosts = choose_hosts(getattr(args, "host", None))
        source = hosts.source
        return _run(args, output, hosts)
    except (UsageError, RichMissingError, OllamaRequestError) as exc:
        output.error(name_the_setting(str(exc), source))
        return EXIT_USAGE
    except OllamaServiceError as exc:
        output.error(name_the_setting(str(exc), source))
        return EXIT_ERROR
    except KeyboardInterrupt:
        output.text("\n") if output.is_terminal else None
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`ollama-service list | head -1`): stop quietly.
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
