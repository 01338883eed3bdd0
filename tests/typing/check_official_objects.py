"""Static proof that the official library's objects are accepted where ours are (never run).

Code that mixes both libraries passes `ollama.Message`, `ollama.Options`, `ollama.Tool` and
`ollama.Image` to our clients; they are accepted at run time (their `model_dump()` is read),
and the signatures say so through the `SupportsModelDump` protocol, so mypy --strict and
pyright (strict) accept the calls below. The last function shows the types did not become
loose: a wrong type is still an error (mypy's `warn_unused_ignores`, part of --strict, fails if
one of those ignores stops being needed). `tests/unit/test_typing.py` runs both checkers.
"""

from __future__ import annotations

import ollama

from ollama_service import AsyncClient, Client, OllamaService, SyncOllamaService


def official_objects_sync(client: Client, service: SyncOllamaService) -> None:
    image = ollama.Image(value=b"\x89PNG")
    message = ollama.Message(role="user", content="hi", images=[image])
    tool = ollama.Tool(function=ollama.Tool.Function(name="f", description="d"))
    options = ollama.Options(temperature=0.1, seed=1)
    mixed: list[ollama.Message | dict[str, str]] = [message, {"role": "assistant", "content": "yo"}]
    client.chat("m", messages=mixed, tools=[tool], options=options)
    client.chat("m", messages=[message], tools=[tool], options=options, stream=True)
    client.generate("m", "p", images=[image], options=options)
    client.generate("m", "p", images=[image], options=options, stream=True)
    client.embed("m", "x", options=options)
    client.embeddings("m", "x", options=options)
    client.create("m", from_="b", messages=[message], parameters=options)
    service.chat("m", [message])


async def official_objects_async(client: AsyncClient, service: OllamaService) -> None:
    message = ollama.Message(role="user", content="hi")
    tool = ollama.Tool(function=ollama.Tool.Function(name="f"))
    options = ollama.Options(num_ctx=4096)
    await client.chat("m", messages=[message], tools=[tool], options=options)
    await client.generate("m", "p", options=options)
    await client.embed("m", ["a", "b"], options=options)
    await client.create("m", from_="b", messages=[message], parameters=options)
    await service.chat("m", [message])


def still_strict(client: Client) -> None:
    client.chat("m", messages=[42])  # type: ignore[list-item]
    client.generate("m", "p", options=42)  # type: ignore[call-overload]
    client.chat("m", tools=[42])  # type: ignore[list-item]
