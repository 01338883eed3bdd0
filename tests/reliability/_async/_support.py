"""The two public layers behind one small interface, so every fault case runs against both.

`Api("client", url)` drives `AsyncClient` directly; `Api("service", url)` drives an
`OllamaService` built on such a client (the service has no backoff setting of its own, and
retries must not really sleep). Exceptions pass through untouched: only successful results
are reduced to text, so one assertion fits both layers.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol

import pytest

from ollama_service import AsyncClient, AsyncStream, GenerateResponse, OllamaService
from ollama_service._async.service import AsyncTextStream
from ollama_service.testing import FakeOllamaServer

__all__ = [
    "KINDS",
    "MODEL",
    "Api",
    "AsyncWaitIdle",
    "CountingServer",
    "drain",
    "drain_bare",
    "expected_pieces",
    "retry_records",
    "text_of",
]

MODEL = "llama3.2"
KINDS = ("client", "service")


class CountingServer(Protocol):
    """What the tests read from a server: `FakeOllamaServer` and `helpers.RawServer` alike."""

    @property
    def base_url(self) -> str: ...

    @property
    def stats(self) -> Any: ...

    def wait_for_idle(self, timeout: float = ...) -> bool: ...


class AsyncWaitIdle(Protocol):
    """The `async_wait_idle` fixture: True once the server saw every connection closed."""

    async def __call__(self, server: CountingServer, within: float = ...) -> bool: ...


def expected_pieces(prompt: str) -> list[str]:
    """The text chunks `FakeOllamaServer` streams for `prompt`: one word each, with its space."""
    words = FakeOllamaServer.reply_for(prompt).split(" ")
    return [word + " " for word in words[:-1]] + [words[-1]]


def retry_records(caplog: pytest.LogCaptureFixture) -> list[Any]:
    """The `ollama.retry` WARNING records the SDK logged, oldest first.

    Typed `Any`: the retry's fields (`attempt`, `method`, `path`, `error_type`, `delay`) are
    extra attributes of each `logging.LogRecord`, which its type cannot name.
    """
    return [
        record
        for record in caplog.records
        if record.name == "ollama_service" and record.msg == "ollama.retry"
    ]


def text_of(item: GenerateResponse | str) -> str:
    """The text of one stream item: a client's `GenerateResponse` or a service's piece."""
    return item if isinstance(item, str) else item.response


Streamed = AsyncStream[GenerateResponse] | AsyncTextStream[GenerateResponse]


async def drain(stream: Streamed, got: list[str]) -> None:
    """Read a stream to its end inside `async with`, appending each item's text to `got`."""
    async with stream:
        async for item in stream:
            got.append(text_of(item))


async def drain_bare(stream: Streamed, got: list[str]) -> None:
    """Read a stream to its end with a bare loop (no `with`), appending each item's text."""
    async for item in stream:
        got.append(text_of(item))


class Api:
    """A client, or a service over a client, configured for tests (no backoff by default)."""

    def __init__(self, kind: str, base_url: str, **client_kwargs: Any) -> None:
        client_kwargs.setdefault("retry_min_backoff", 0)
        client_kwargs.setdefault("retry_max_backoff", 0)
        self.kind = kind
        self.client = AsyncClient(base_url, **client_kwargs)
        self.service = (
            OllamaService(client=self.client, default_model=MODEL) if kind == "service" else None
        )

    async def generate(self, prompt: str, **kwargs: Any) -> str:
        """One non-streamed generation; returns its text."""
        if self.service is not None:
            return await self.service.generate(MODEL, prompt, **kwargs)
        reply = await self.client.generate(MODEL, prompt, **kwargs)
        return reply.response

    async def stream(self, prompt: str, **kwargs: Any) -> Streamed:
        """A streamed generation: the client's `AsyncStream`, or the service's text stream."""
        if self.service is not None:
            return await self.service.generate(MODEL, prompt, stream=True, **kwargs)
        return await self.client.generate(MODEL, prompt, stream=True, **kwargs)

    async def run(self, prompt: str, *, stream: bool, got: list[str] | None = None) -> str:
        """One generation, streamed or not; returns its text (streamed pieces also go to
        `got` as they arrive, so they survive an error)."""
        if not stream:
            return await self.generate(prompt)
        pieces: list[str] = [] if got is None else got
        await drain(await self.stream(prompt), pieces)
        return "".join(pieces)

    async def close(self) -> None:
        if self.service is not None:
            await self.service.close()
        await self.client.close()

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
