"""The model and server commands: list, ps, show, pull, push, create, cp, rm, stop, embed,
health, version, fake-server and demo.

Each takes the parsed arguments and a `Context` and returns an exit code. SDK errors are not
caught here (`main` prints them as one line), except where a command runs on several servers:
then each server's failure is reported with its URL and the others still run.
"""

from __future__ import annotations

import argparse
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, Literal, TypeVar, cast

from ollama_service._errors import (
    OllamaConnectionError,
    OllamaModelNotFoundError,
    OllamaServiceError,
)
from ollama_service._sync.client import Client
from ollama_service._version import __version__
from ollama_service.cli._context import HOST_THREAD_PREFIX, Context, UploadCounter
from ollama_service.cli._format import human_bytes
from ollama_service.cli._generate import UsageError
from ollama_service.cli._modelfile import ModelfileError, local_files, parse_modelfile
from ollama_service.cli._progress import TransferDisplay, transfer_display
from ollama_service.cli._render import (
    EMBED_COLUMNS,
    MODEL_COLUMNS,
    PROCESS_COLUMNS,
    embedding_rows,
    model_rows,
    process_rows,
    show_lines,
    to_builtins,
)
from ollama_service.cli._table import Column
from ollama_service.types import Message, ProgressResponse

__all__ = ["MODEL_COMMANDS", "MULTI_HOST_COMMANDS"]

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
T = TypeVar("T")
Role = Literal["system", "user", "assistant", "tool"]
# The commands that run on every server given with --host / OLLAMA_HOSTS.
MULTI_HOST_COMMANDS: Final = frozenset({"list", "pull", "ps", "show", "rm"})
_HOST: Final = Column("HOST")
_SHOW_PARTS: Final = ("modelfile", "parameters", "template", "system", "license")


# --- Several servers -----------------------------------------------------------------------


def _on_each(ctx: Context, work: Callable[[Client], T]) -> list[tuple[str, T | OllamaServiceError]]:
    """Run `work` with a client for each server, in parallel; results in the servers' order."""
    urls = ctx.urls

    def one(url: str) -> T | OllamaServiceError:
        with ctx.client(url) as client:
            try:
                return work(client)
            except OllamaServiceError as exc:
                if len(urls) == 1:
                    raise
                return exc

    if len(urls) == 1:
        return [(urls[0], one(urls[0]))]
    results: dict[str, T | OllamaServiceError] = {}

    def run(url: str) -> None:
        results[url] = one(url)

    threads = [
        threading.Thread(target=run, args=(url,), name=HOST_THREAD_PREFIX + url, daemon=True)
        for url in urls
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [(url, results[url]) for url in urls]


def _report_failures(ctx: Context, results: Sequence[tuple[str, object]]) -> int:
    failed = [(url, r) for url, r in results if isinstance(r, OllamaServiceError)]
    for url, exc in failed:
        ctx.output.error(f"{url}: {exc}")
    return EXIT_ERROR if failed else EXIT_OK


def _json_per_host(ctx: Context, results: Sequence[tuple[str, object]]) -> None:
    documents: list[dict[str, Any]] = []
    for url, result in results:
        if isinstance(result, OllamaServiceError):
            documents.append({"host": url, "error": str(result)})
        else:
            value = to_builtins(result)
            documents.append(
                {"host": url, **(value if isinstance(value, dict) else {"result": value})}
            )
    ctx.output.json(documents)


def _tabulate(
    ctx: Context,
    columns: Sequence[Column],
    results: Sequence[tuple[str, T | OllamaServiceError]],
    rows: Callable[[T], list[list[str]]],
) -> int:
    """One table; with several servers a HOST column first. JSON: the reply, or one per host."""
    out = ctx.output
    if out.json_mode:
        if len(results) == 1:
            out.json(results[0][1])
        else:
            _json_per_host(ctx, results)
        return _report_failures(ctx, results)
    table: list[list[str]] = []
    for url, result in results:
        if not isinstance(result, OllamaServiceError):
            prefix = [url] if len(results) > 1 else []
            table += [prefix + row for row in rows(result)]
    out.table([_HOST, *columns] if len(results) > 1 else columns, table)
    return _report_failures(ctx, results)


# --- Listing -------------------------------------------------------------------------------


def list_models(args: argparse.Namespace, ctx: Context) -> int:
    """`list`/`ls`: the installed models, as `ollama list` shows them."""
    results = _on_each(ctx, lambda client: client.list())
    return _tabulate(ctx, MODEL_COLUMNS, results, lambda reply: model_rows(reply.models))


def ps(args: argparse.Namespace, ctx: Context) -> int:
    """`ps`: the models loaded in memory."""
    results = _on_each(ctx, lambda client: client.ps())
    return _tabulate(ctx, PROCESS_COLUMNS, results, lambda reply: process_rows(reply.models))


_SHOW_COLUMNS: Final = (
    Column("ARCHITECTURE"),
    Column("PARAMETERS"),
    Column("QUANTIZATION", drop=2),
    Column("CONTEXT", drop=1),
    Column("CAPABILITIES", wrap=True, drop=3),
)


def show(args: argparse.Namespace, ctx: Context) -> int:
    """`show MODEL`: details, capabilities, parameters, licence; or one part with a flag."""
    verbose = True if args.verbose else None
    results = _on_each(ctx, lambda client: client.show(args.model, verbose=verbose))
    out = ctx.output
    part = next((name for name in _SHOW_PARTS if getattr(args, name)), None)
    if len(results) == 1:
        reply = results[0][1]
        assert not isinstance(reply, OllamaServiceError)
        if out.json_mode:
            out.json({part: getattr(reply, part)} if part else reply)
        elif part:
            out.text((getattr(reply, part) or "").rstrip("\n") + "\n")
        else:
            for line in show_lines(reply):
                out.line(line)
        return EXIT_OK
    if out.json_mode:
        _json_per_host(ctx, results)
        return _report_failures(ctx, results)
    if part:
        for url, result in results:
            if not isinstance(result, OllamaServiceError):
                out.line(f"# {url}")
                out.text((getattr(result, part) or "").rstrip("\n") + "\n")
        return _report_failures(ctx, results)
    table: list[list[str]] = []
    for url, result in results:
        if isinstance(result, OllamaServiceError):
            continue
        info = result.model_info or {}
        arch = str(info.get("general.architecture") or result.details.family or "")
        context = info.get(f"{arch}.context_length") or result.details.context_length or ""
        table.append(
            [
                url,
                arch,
                result.details.parameter_size,
                result.details.quantization_level,
                str(context),
                " ".join(result.capabilities or []),
            ]
        )
    out.table([_HOST, *_SHOW_COLUMNS], table)
    return _report_failures(ctx, results)


def embed(args: argparse.Namespace, ctx: Context) -> int:
    """`embed MODEL TEXT...`: one vector per text (the full vectors with --json)."""
    texts: list[str] = list(args.text)
    with ctx.client() as client:
        reply = client.embed(args.model, texts, dimensions=args.dimensions)
    if ctx.output.json_mode:
        ctx.output.json(reply)
    else:
        ctx.output.table(EMBED_COLUMNS, embedding_rows(texts, reply.embeddings))
    return EXIT_OK


# --- Changing models ----------------------------------------------------------------------


def copy(args: argparse.Namespace, ctx: Context) -> int:
    """`cp SOURCE DESTINATION`."""
    with ctx.client() as client:
        client.copy(args.source, args.destination)
    if ctx.output.json_mode:
        ctx.output.json(
            {"status": "success", "source": args.source, "destination": args.destination}
        )
    else:
        ctx.output.line(f"copied '{args.source}' to '{args.destination}'")
    return EXIT_OK


def remove(args: argparse.Namespace, ctx: Context) -> int:
    """`rm MODEL...`: delete models (on each server given)."""
    models: list[str] = list(args.model)

    def delete_all(client: Client) -> list[tuple[str, str]]:
        done: list[tuple[str, str]] = []
        for name in models:
            try:
                client.delete(name)
            except OllamaModelNotFoundError:
                done.append((name, "not found"))
            else:
                done.append((name, "deleted"))
        return done

    results = _on_each(ctx, delete_all)
    out = ctx.output
    missing = any(
        status != "deleted"
        for _, result in results
        if not isinstance(result, OllamaServiceError)
        for _, status in result
    )
    if out.json_mode:
        documents = [
            {"host": url, "error": str(result)}
            if isinstance(result, OllamaServiceError)
            else {"host": url, "models": [{"model": m, "status": s} for m, s in result]}
            for url, result in results
        ]
        out.json(documents if len(results) > 1 else {"models": documents[0]["models"]})
    elif len(results) == 1:
        result = results[0][1]
        assert not isinstance(result, OllamaServiceError)
        for name, status in result:
            if status == "deleted":
                out.line(f"deleted '{name}'")
            else:
                out.error(f"model '{name}' not found")
    else:
        table = [
            [url, name, status]
            for url, result in results
            if not isinstance(result, OllamaServiceError)
            for name, status in result
        ]
        out.table([_HOST, Column("MODEL"), Column("RESULT")], table)
    failed = _report_failures(ctx, results)
    return EXIT_ERROR if failed or missing else EXIT_OK


def stop(args: argparse.Namespace, ctx: Context) -> int:
    """`stop MODEL`: unload it from memory now (a request with `keep_alive=0`)."""
    with ctx.client() as client:
        running = client.ps().models
        loaded = {m.name for m in running} | {m.model for m in running}
        if args.model not in loaded and f"{args.model}:latest" not in loaded:
            ctx.output.error(f"couldn't find a running model named '{args.model}'")
            return EXIT_ERROR
        client.generate(args.model, keep_alive=0)
    if ctx.output.json_mode:
        ctx.output.json({"status": "success", "model": args.model})
    return EXIT_OK


# --- Transfers ------------------------------------------------------------------------------


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


# --- Server ---------------------------------------------------------------------------------


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


MODEL_COMMANDS: Final[dict[str, Callable[[argparse.Namespace, Context], int]]] = {
    "list": list_models,
    "ps": ps,
    "show": show,
    "embed": embed,
    "cp": copy,
    "rm": remove,
    "stop": stop,
    "pull": pull,
    "push": push,
    "create": create,
    "health": health,
    "version": version,
    "fake-server": fake_server,
    "demo": demo,
}
