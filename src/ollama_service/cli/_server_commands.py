"""The server commands: `health`, `version`, `fake-server` and `demo`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Final

from ollama_service._errors import OllamaConnectionError
from ollama_service._version import __version__
from ollama_service.cli._context import Context

__all__ = ["SERVER_COMMANDS"]

EXIT_OK: Final = 0


def health(args: argparse.Namespace, ctx: Context) -> int:
    """`health`: 0 when Ollama answers, 1 (and why) when it does not."""
    out = ctx.output
    with ctx.client(max_retries=0) as client:
        try:
            client.health()
        except OllamaConnectionError as exc:
            if out.json_mode:
                out.json({"base_url": ctx.base_url, "running": False, "error": str(exc)})
            raise
    if out.json_mode:
        out.json({"base_url": ctx.base_url, "running": True})
    else:
        out.line(f"Ollama is running at {ctx.base_url}")
    return EXIT_OK


def version(args: argparse.Namespace, ctx: Context) -> int:
    """`version`: this package's version and the server's (a warning when it is unreachable)."""
    out = ctx.output
    server: str | None = None
    with ctx.client(max_retries=0) as client:
        try:
            server = client.version().version
        except OllamaConnectionError:
            out.warning(f"could not connect to a running Ollama at {ctx.base_url}")
    if out.json_mode:
        out.json({"client": __version__, "server": server, "base_url": ctx.base_url})
        return EXIT_OK
    out.line(f"ollama-service version {__version__}")
    if server is not None:
        out.line(f"ollama server version {server} at {ctx.base_url}")
    return EXIT_OK


def fake_server(args: argparse.Namespace, ctx: Context) -> int:
    """`fake-server`: serve `FakeOllamaServer` in the foreground until Ctrl+C."""
    from ollama_service.testing.__main__ import serve

    return serve(port=args.port, models=args.model or None, stream=ctx.output.stdout)


def demo(args: argparse.Namespace, ctx: Context) -> int:
    """`demo`: the example scenarios, against Ollama or the bundled fake."""
    from ollama_service.cli._demo import run_demo

    settings = ctx.settings
    if ctx.hosts.urls:
        settings = settings.model_copy(update={"base_url": ctx.base_url, "host": None})
    return run_demo(ctx.output, settings)


SERVER_COMMANDS: Final[dict[str, Callable[[argparse.Namespace, Context], int]]] = {
    "health": health,
    "version": version,
    "fake-server": fake_server,
    "demo": demo,
}
