"""`pull`, `push` and `create`: progress streams shown as bars per layer (a group per server)."""

from __future__ import annotations

import argparse
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final, Literal, cast

from ollama_service._errors import OllamaServiceError
from ollama_service._sync.client import Client
from ollama_service.cli._context import HOST_THREAD_PREFIX, Context, UploadCounter
from ollama_service.cli._format import human_bytes
from ollama_service.cli._generate import UsageError
from ollama_service.cli._modelfile import ModelfileError, local_files, parse_modelfile
from ollama_service.cli._progress import TransferDisplay, transfer_display
from ollama_service.types import Message, ProgressResponse

__all__ = ["create", "pull", "pull_into", "push"]

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
Role = Literal["system", "user", "assistant", "tool"]


def _elapsed(start: float) -> str:
    seconds = time.monotonic() - start
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)} min {int(seconds % 60)} s"


def _summary(verb: str, model: str, sizes: dict[str, int], start: float) -> str:
    layers = len(sizes)
    what = f" ({human_bytes(sum(sizes.values()))} in {layers} layer{'s' if layers != 1 else ''})"
    return f"{verb} {model}{what if layers else ''} in {_elapsed(start)}"


def _transfer(
    ctx: Context,
    model: str,
    start_stream: Callable[[Client], Iterator[ProgressResponse]],
    verb: str,
    done: str,
) -> int:
    """Stream progress from each server into one display (a group per server)."""
    urls = ctx.urls
    display = transfer_display(ctx.output, urls, verb)
    events: queue.Queue[tuple[int, ProgressResponse | OllamaServiceError | None]] = queue.Queue()
    begun = time.monotonic()

    def work(group: int, url: str) -> None:
        try:
            with ctx.client(url) as client:
                for item in start_stream(client):
                    events.put((group, item))
        except OllamaServiceError as exc:
            events.put((group, exc))
        finally:
            events.put((group, None))

    failures: list[tuple[int, OllamaServiceError]] = []
    sizes: list[dict[str, int]] = [{} for _ in urls]
    try:
        if len(urls) == 1:
            with ctx.client(urls[0]) as client:
                for item in start_stream(client):
                    _track(sizes[0], item)
                    display.update(0, item)
            display.finish(0, _summary(done, model, sizes[0], begun))
        else:
            for group, url in enumerate(urls):
                name = HOST_THREAD_PREFIX + url
                threading.Thread(target=work, args=(group, url), name=name, daemon=True).start()
            running = len(urls)
            while running:
                group, event = events.get()
                if event is None:
                    running -= 1
                    if not any(g == group for g, _ in failures):
                        display.finish(group, _summary(done, model, sizes[group], begun))
                elif isinstance(event, OllamaServiceError):
                    failures.append((group, event))
                else:
                    _track(sizes[group], event)
                    display.update(group, event)
    finally:
        display.close()
    for group, exc in failures:
        ctx.output.error(f"{urls[group]}: {exc}")
    return EXIT_ERROR if failures else EXIT_OK


def _track(sizes: dict[str, int], item: ProgressResponse) -> None:
    if item.digest and item.total:
        sizes[item.digest] = item.total


def pull_into(client: Client, model: str, ctx: Context) -> None:
    """Pull `model` with this client, showing progress (`run` does it for a missing model)."""
    display = transfer_display(ctx.output, [client.base_url], "pulling")
    sizes: dict[str, int] = {}
    begun = time.monotonic()
    try:
        with client.pull(model, stream=True) as stream:
            for item in stream:
                _track(sizes, item)
                display.update(0, item)
        display.finish(0, _summary("pulled", model, sizes, begun))
    finally:
        display.close()


def pull(args: argparse.Namespace, ctx: Context) -> int:
    """`pull MODEL`: download it (on each server), a bar per layer."""

    def start(client: Client) -> Iterator[ProgressResponse]:
        with client.pull(args.model, insecure=args.insecure, stream=True) as stream:
            yield from stream

    return _transfer(ctx, args.model, start, "pulling", "pulled")


def push(args: argparse.Namespace, ctx: Context) -> int:
    """`push MODEL`: upload it to its registry, a bar per layer."""

    def start(client: Client) -> Iterator[ProgressResponse]:
        with client.push(args.model, insecure=args.insecure, stream=True) as stream:
            yield from stream

    return _transfer(ctx, args.model, start, "pushing", "pushed")


def create(args: argparse.Namespace, ctx: Context) -> int:
    """`create NAME -f Modelfile`: upload the local files it names, then create the model."""
    path = Path(args.file).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"-f {args.file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"-f {args.file}: not a UTF-8 text file") from None
    try:
        modelfile = parse_modelfile(text)
        model_files, adapter_files = local_files(modelfile, path.resolve().parent)
    except ModelfileError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    out = ctx.output
    display: TransferDisplay = transfer_display(out, [ctx.base_url], "copying")
    begun = time.monotonic()
    current: dict[str, int] = {}

    def on_bytes(digest: str, count: int) -> None:
        sent, size = current.get(digest, 0) + count, current["size"]
        current[digest] = sent
        display.update(
            0,
            ProgressResponse(
                status=f"copying file {digest}", digest=digest, total=size, completed=sent
            ),
        )

    def upload(client: Client, files: list[Any]) -> dict[str, str]:
        digests: dict[str, str] = {}
        for local in files:
            size = local.path.stat().st_size
            current.clear()
            current["size"] = max(size, 1)
            digest = client.create_blob(local.path)
            # Already on the server (nothing was sent), or an empty file: shown as complete.
            display.update(
                0,
                ProgressResponse(
                    status=f"copying file {digest}",
                    digest=digest,
                    total=max(size, 1),
                    completed=max(size, 1),
                ),
            )
            digests[local.name] = digest
        return digests

    counter = UploadCounter(on_bytes)
    try:
        with ctx.client(transport=counter) as client:
            if model_files or adapter_files:
                display.update(0, ProgressResponse(status="gathering model components"))
            files = upload(client, model_files) if model_files else None
            adapters = upload(client, adapter_files) if adapter_files else None
            messages = [
                Message(role=cast("Role", role), content=content)
                for role, content in modelfile.messages
            ]
            licenses = modelfile.licenses
            with client.create(
                args.model,
                quantize=args.quantize,
                from_=None if files else modelfile.from_,
                files=files,
                adapters=adapters,
                template=modelfile.template,
                license=(licenses[0] if len(licenses) == 1 else licenses) or None,
                system=modelfile.system,
                parameters=modelfile.parameters or None,
                messages=messages or None,
                requires=modelfile.requires,
                stream=True,
            ) as progress:
                for item in progress:
                    display.update(0, item)
        display.finish(0, f"created {args.model} in {_elapsed(begun)}")
    finally:
        display.close()
    return EXIT_OK
