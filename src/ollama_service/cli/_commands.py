"""The model commands: list, ps, show, embed, cp, rm and stop; with the transfers (`_transfer`:
pull, push, create) and the server commands (`_server_commands`), the table `MODEL_COMMANDS`.

Each takes the parsed arguments and a `Context` and returns an exit code. SDK errors are not
caught here (`main` prints them as one line), except where a command runs on several servers:
then each server's failure is reported with its URL and the others still run.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Final

from ollama_service._errors import OllamaModelNotFoundError, OllamaServiceError
from ollama_service._sync.client import Client
from ollama_service.cli._context import Context
from ollama_service.cli._fanout import (
    HOST_COLUMN,
    json_per_host,
    on_each,
    report_failures,
    tabulate,
)
from ollama_service.cli._render import (
    EMBED_COLUMNS,
    MODEL_COLUMNS,
    PROCESS_COLUMNS,
    embedding_rows,
    model_rows,
    process_rows,
    show_lines,
)
from ollama_service.cli._server_commands import SERVER_COMMANDS
from ollama_service.cli._table import Column
from ollama_service.cli._transfer import create, pull, push

__all__ = ["MODEL_COMMANDS", "MULTI_HOST_COMMANDS"]

EXIT_OK: Final = 0
EXIT_ERROR: Final = 1
# The commands that run on every server given with --host / OLLAMA_HOSTS.
MULTI_HOST_COMMANDS: Final = frozenset({"list", "pull", "ps", "show", "rm"})
_SHOW_PARTS: Final = ("modelfile", "parameters", "template", "system", "license")


# --- Listing -------------------------------------------------------------------------------


def list_models(args: argparse.Namespace, ctx: Context) -> int:
    """`list`/`ls`: the installed models, as `ollama list` shows them."""
    results = on_each(ctx, lambda client: client.list())
    return tabulate(ctx, MODEL_COLUMNS, results, lambda reply: model_rows(reply.models))


def ps(args: argparse.Namespace, ctx: Context) -> int:
    """`ps`: the models loaded in memory."""
    results = on_each(ctx, lambda client: client.ps())
    return tabulate(ctx, PROCESS_COLUMNS, results, lambda reply: process_rows(reply.models))


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
    results = on_each(ctx, lambda client: client.show(args.model, verbose=verbose))
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
        json_per_host(ctx, results)
        return report_failures(ctx, results)
    if part:
        for url, result in results:
            if not isinstance(result, OllamaServiceError):
                out.line(f"# {url}")
                out.text((getattr(result, part) or "").rstrip("\n") + "\n")
        return report_failures(ctx, results)
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
    out.table([HOST_COLUMN, *_SHOW_COLUMNS], table)
    return report_failures(ctx, results)


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

    results = on_each(ctx, delete_all)
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
        out.table([HOST_COLUMN, Column("MODEL"), Column("RESULT")], table)
    failed = report_failures(ctx, results)
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
    **SERVER_COMMANDS,
}
