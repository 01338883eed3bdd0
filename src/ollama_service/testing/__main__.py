"""`python -m ollama_service.testing`: serve a `FakeOllamaServer` in the foreground.

For trying the command line or an application without Ollama: any Ollama client (this SDK,
the official `ollama` library, curl) can talk to it. It runs until Ctrl+C (or SIGTERM). Also
available as `ollama-service fake-server`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Final, TextIO

from ollama_service.testing._server import FakeOllamaServer

__all__ = ["main", "serve"]

DEFAULT_PORT: Final = 11434


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(
    port: int = DEFAULT_PORT,
    models: Sequence[str] | None = None,
    stream: TextIO | None = None,
) -> int:
    """Serve until Ctrl+C; return the exit code (0, or 1 when the port is taken).

    Args:
        port: The port on 127.0.0.1 (0: any free port).
        models: The installed models' names (default: the fake's four well-known models).
        stream: Where to say where it listens (default: stdout).
    """
    out = sys.stdout if stream is None else stream
    try:
        server = FakeOllamaServer(models=list(models) if models else None, port=port).start()
    except OSError as exc:
        sys.stderr.write(
            f"error: cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}; "
            "pass --port N (0 picks a free port)\n"
        )
        return 1
    except ValueError as exc:  # an invalid model name
        sys.stderr.write(f"error: --model: {exc}\n")
        return 2
    previous = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        names = ", ".join(model.name for model in server.models)
        out.write(f"Fake Ollama listening at {server.base_url}\n")
        out.write(f"models: {names}\n")
        out.write(f"try: OLLAMA_HOST={server.base_url} ollama-service list\n")
        out.write("Press Ctrl+C to stop.\n")
        out.flush()
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)
    out.write("stopped\n")
    out.flush()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: `[--port N] [--model NAME]...`."""
    parser = argparse.ArgumentParser(
        prog="python -m ollama_service.testing",
        description="Serve the bundled fake Ollama on 127.0.0.1 until Ctrl+C.",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"the port ({DEFAULT_PORT}; 0: any free)"
    )
    parser.add_argument(
        "--model", action="append", metavar="NAME", help="an installed model (repeatable)"
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be 0 to 65535, not {args.port}")
    return serve(args.port, args.model)


if __name__ == "__main__":
    raise SystemExit(main())
