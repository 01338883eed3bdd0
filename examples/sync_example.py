"""ollama-service in four scenarios, without asyncio (`SyncOllamaService`).

1. Generate text, whole and streamed.
2. Use the service as a context manager, so its connections are closed.
3. Handle errors: an unknown model, and a server that is not there.
4. Pull a model and show its progress.

Run it from the repository root, either way:

    python examples/sync_example.py
    python -m examples.sync_example

It talks to the Ollama server your settings name (OLLAMA_BASE_URL or OLLAMA_HOST, default
http://127.0.0.1:11434) when one answers there. Otherwise it starts the fake Ollama that ships
with the package (`ollama_service.testing.FakeOllamaServer`), so it runs anywhere.

`examples/ollama_example.py` does the same with asyncio; the code is line for line the same,
minus `async` and `await`.
"""

from __future__ import annotations

import contextlib

import httpx

from ollama_service import (
    Client,
    OllamaConnectionError,
    OllamaModelNotFoundError,
    ProgressResponse,
    SyncOllamaService,
    get_settings,
)
from ollama_service.testing import FakeOllamaServer

PROMPT = "Why is the sky blue? Answer in one sentence."


# --- 1. Generate text ---------------------------------------------------------------------


def basic_generate(base_url: str, model: str) -> None:
    print("\n== 1. Generate text ==")
    service = SyncOllamaService(base_url)
    try:
        # The whole reply at once. Runtime options (num_predict, temperature, ...) are
        # plain keyword arguments; num_predict caps the reply's length in tokens.
        answer = service.generate(model, PROMPT, num_predict=60)
        print(f"{model}: {answer.strip()}")

        # The same, streamed: text pieces arrive as the model writes them.
        # `with` releases the HTTP response even if the loop stops early.
        print(f"{model} (streamed): ", end="", flush=True)
        with service.generate(model, PROMPT, stream=True, num_predict=60) as stream:
            for piece in stream:
                print(piece, end="", flush=True)
        print()
    finally:
        # Without `with`, close the service yourself.
        service.close()


# --- 2. The context manager ---------------------------------------------------------------


def context_manager(base_url: str, model: str) -> None:
    print("\n== 2. The context manager ==")
    with SyncOllamaService(base_url) as service:
        models = service.list_models()
        print(f"{len(models)} models installed: {', '.join(m.name for m in models)}")

        # chat() takes the conversation so far and returns the assistant's reply.
        messages = [{"role": "user", "content": "Hello! Who are you?"}]
        reply = service.chat(model, messages, num_predict=60)
        print(f"{model}: {reply.strip()}")
    # Leaving the block closed the connection pool.
    print("The connection pool is closed.")


# --- 3. Error handling --------------------------------------------------------------------


def error_handling(base_url: str) -> None:
    print("\n== 3. Error handling ==")

    # A model the server does not have: OllamaModelNotFoundError (an HTTP 404).
    with SyncOllamaService(base_url) as service:
        try:
            service.generate("no-such-model", "Hi")
        except OllamaModelNotFoundError as exc:
            print(f"OllamaModelNotFoundError: {exc}")
            print(f"  model={exc.model!r}, status_code={exc.status_code}")

    # A server that is not there: OllamaConnectionError, whose message says what to do.
    # Nothing listens on port 9, so this fails at once; max_retries=0 skips the retries
    # and the 2-second bound keeps it short even where connections hang instead.
    client = Client("http://127.0.0.1:9", max_retries=0, timeout=httpx.Timeout(2.0))
    with client, SyncOllamaService(client=client) as service:
        try:
            service.generate("llama3.2", "Hi")
        except OllamaConnectionError as exc:
            print(f"OllamaConnectionError: {exc}")


# --- 4. Pull a model, with progress -------------------------------------------------------


def size(n: int) -> str:
    """A byte count for people: 2.0 GB, 274.3 MB, 1.4 kB."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


class ProgressPrinter:
    """Prints a pull's progress: each status once, and each layer as it passes each quarter."""

    def __init__(self) -> None:
        self.statuses: set[str] = set()
        self.quarters: dict[str, int] = {}

    def show(self, progress: ProgressResponse) -> None:
        if progress.digest and progress.total:
            # A layer being downloaded: `completed` of `total` bytes.
            percent = 100 * progress.completed // progress.total
            quarter = percent // 25
            if quarter > self.quarters.get(progress.digest, -1):
                self.quarters[progress.digest] = quarter
                print(f"  {progress.status}: {percent:3d}% of {size(progress.total)}")
        elif progress.status not in self.statuses:
            # A step without bytes: "pulling manifest", "verifying sha256 digest", "success"...
            self.statuses.add(progress.status)
            print(f"  {progress.status}")


def pull_with_progress(base_url: str, model: str) -> None:
    print("\n== 4. Pull a model, with progress ==")
    # The model is installed already, so on a real server this only checks its layers.
    printer = ProgressPrinter()
    with SyncOllamaService(base_url) as service:
        for progress in service.pull_model(model):
            printer.show(progress)


# --- Putting it together ------------------------------------------------------------------


def ollama_is_running(base_url: str) -> bool:
    """One quick try: no retries, at most 2 seconds for each step."""
    with Client(base_url, max_retries=0, timeout=httpx.Timeout(2.0)) as client:
        return SyncOllamaService(client=client).health_check()


def pick_model(base_url: str) -> str | None:
    """The default model (OLLAMA_DEFAULT_MODEL) when installed, else the first that writes text."""
    with SyncOllamaService(base_url) as service:
        installed = [
            m.name
            for m in service.list_models()
            if m.capabilities is None or "completion" in m.capabilities
        ]
        for name in (service.default_model, f"{service.default_model}:latest"):
            if name in installed:
                return name
        return installed[0] if installed else None


def main() -> None:
    base_url = get_settings().resolved_base_url
    # The ExitStack stops the fake server (if we start one) when the examples are done.
    with contextlib.ExitStack() as stack:
        if ollama_is_running(base_url):
            print(f"Using the Ollama server at {base_url}.")
        else:
            server = stack.enter_context(FakeOllamaServer())
            print(
                f"No Ollama server answered at {base_url}; starting the bundled fake Ollama "
                f"(ollama_service.testing.FakeOllamaServer) at {server.base_url}."
            )
            base_url = server.base_url

        model = pick_model(base_url)
        if model is None:
            print("No model that writes text is installed: try `ollama pull llama3.2`.")
            return
        basic_generate(base_url, model)
        context_manager(base_url, model)
        error_handling(base_url)
        pull_with_progress(base_url, model)


if __name__ == "__main__":
    main()
