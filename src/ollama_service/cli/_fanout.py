"""Running a command on several servers (`--host` / `OLLAMA_HOSTS`): in parallel, one failure
reported per server while the others still run, results in one table or one JSON document.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

from ollama_service._errors import OllamaServiceError
from ollama_service._sync.client import Client
from ollama_service.cli._context import HOST_THREAD_PREFIX, Context
from ollama_service.cli._render import to_builtins
from ollama_service.cli._table import Column

__all__ = ["HOST_COLUMN", "json_per_host", "on_each", "report_failures", "tabulate"]

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
T = TypeVar("T")
HOST_COLUMN: Final = Column("HOST")


def on_each(ctx: Context, work: Callable[[Client], T]) -> list[tuple[str, T | OllamaServiceError]]:
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


def report_failures(ctx: Context, results: Sequence[tuple[str, object]]) -> int:
    failed = [(url, r) for url, r in results if isinstance(r, OllamaServiceError)]
    for url, exc in failed:
        ctx.output.error(f"{url}: {exc}")
    return EXIT_ERROR if failed else EXIT_OK


def json_per_host(ctx: Context, results: Sequence[tuple[str, object]]) -> None:
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


def tabulate(
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
            json_per_host(ctx, results)
        return report_failures(ctx, results)
    table: list[list[str]] = []
    for url, result in results:
        if not isinstance(result, OllamaServiceError):
            prefix = [url] if len(results) > 1 else []
            table += [prefix + row for row in rows(result)]
    out.table([HOST_COLUMN, *columns] if len(results) > 1 else columns, table)
    return report_failures(ctx, results)
