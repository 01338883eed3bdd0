"""Shared pytest fixtures."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable, Iterator

import httpx
import pytest

# What the `http_backend` fixture puts in OLLAMA_HTTP_BACKEND, which every client reads:
# "aiohttp" moves AsyncClient and leaves Client on its default, urllib3 (pinned by
# tests/unit/test_backends.py), so "fast" is each client's fast back-end.
_BACKEND_ENV = {"fast": "aiohttp", "httpx": "httpx"}


@pytest.fixture
def anyio_backend() -> str:
    """Run ``@pytest.mark.anyio`` tests on asyncio only."""
    return "asyncio"


class ChunkedBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body delivered in the given chunks, to sync and async clients alike.

    `tests/_async` cannot define it (unasync would turn `__aiter__` into a second `__iter__`),
    so it lives here and reaches tests through the `chunked_body` fixture. It records how many
    chunks were handed out and whether the body was closed, so tests can prove a stream stops
    reading and releases the connection.
    """

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = list(chunks)
        self.sent = 0
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            if self.closed:
                return
            self.sent += 1
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.__iter__():
            yield chunk

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


@pytest.fixture
def chunked_body() -> type[ChunkedBody]:
    """The `ChunkedBody` class: `httpx.Response(200, stream=chunked_body([b"..", b".."]))`."""
    return ChunkedBody


# tests/compat/ runs the official library's sources and three downstream libraries in
# subprocesses; it needs the `compat` extra and has its own session (`nox -s compat`).
collect_ignore = [] if os.environ.get("OLLAMA_SERVICE_COMPAT") == "1" else ["compat"]


@pytest.fixture(params=sorted(_BACKEND_ENV))
def http_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test once per HTTP back-end: "fast" (urllib3 under `Client`, aiohttp under
    `AsyncClient`) and "httpx" (httpx's own transport), through `OLLAMA_HTTP_BACKEND`.

    Suites that open real sockets use it for every test (an autouse fixture asking for it), so
    any test added there runs on every back-end. A caller's `transport=` or `http_client=`
    still wins, as it does for users.
    """
    param: str = request.param
    monkeypatch.setenv("OLLAMA_HTTP_BACKEND", _BACKEND_ENV[param])
    return param
