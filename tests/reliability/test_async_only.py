"""Async-only cases, which need asyncio itself: task cancellation and 1,000 concurrent streams.

(The files under `_async/` must not call asyncio, or their generated sync twins would break.)
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
import httpx
import pytest

from ollama_service import AsyncClient
from ollama_service._constants import FILE_CHUNK_BYTES
from ollama_service.testing import FakeOllamaServer, ServerStats

from ._async._support import KINDS, MODEL, Api, expected_pieces, text_of
from .helpers import RawServer, async_wait_idle

PROMPT = "tell me a long story about the sea"
STREAMS = 1_000
POOL_TOTAL = 10
# Generous: 1,000 streams queue for 10 connections; a pool wait must never be what fails.
LOAD_TIMEOUT = httpx.Timeout(60.0, pool=120.0)


# --- Cancellation -----------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("with_block", [True, False], ids=["async-with", "bare-loop"])
@pytest.mark.parametrize("kind", KINDS)
async def test_task_cancelled_mid_stream(
    kind: str, with_block: bool, fake: FakeOllamaServer
) -> None:
    """The consumer task is blocked reading a stalled stream when it is cancelled. The
    connection is closed (not returned to the pool half-read), the items already received
    stay received, and the pool (one connection kept, two in all) serves the next call."""
    fake.faults.stall_mid_stream(after=2)
    got: list[str] = []
    two_received = asyncio.Event()

    async with Api(
        kind, fake.base_url, max_connections=1, timeout=httpx.Timeout(30.0, pool=0.5)
    ) as api:

        async def consume() -> None:
            stream = await api.stream(PROMPT)
            if with_block:
                async with stream:
                    async for item in stream:
                        got.append(text_of(item))
                        if len(got) == 2:
                            two_received.set()
            else:
                async for item in stream:
                    got.append(text_of(item))
                    if len(got) == 2:
                        two_received.set()

        task = asyncio.create_task(consume())
        await two_received.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert got == expected_pieces(PROMPT)[:2]

        # Let the server finish writing: had the client kept the connection, the server would
        # now complete the response and the connection would stay open; it must close instead.
        fake.faults.release()
        assert await async_wait_idle(fake)
        assert await api.generate("after") == "".join(expected_pieces("after"))
    assert await async_wait_idle(fake)
    assert fake.stats.requests_handled == 2


@pytest.mark.anyio
@pytest.mark.parametrize("kind", KINDS)
async def test_cancelled_while_waiting_for_headers(kind: str, black_hole: RawServer) -> None:
    """Cancelled after the request reached a server that never answers. Each round closes its
    connection; with two connections in all and a short pool timeout, a leaked one would turn
    the third round into a pool timeout before the request could reach the server."""
    async with Api(
        kind,
        black_hole.base_url,
        max_connections=1,
        max_retries=0,
        timeout=httpx.Timeout(30.0, pool=0.5),
    ) as api:
        for round_ in range(1, 4):
            black_hole.request_seen.clear()
            task = asyncio.create_task(api.generate(PROMPT))
            assert await anyio.to_thread.run_sync(black_hole.request_seen.wait, 5.0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert await async_wait_idle(black_hole)
            assert black_hole.stats.requests_handled == round_
    assert black_hole.stats.connections_opened == 3
    assert black_hole.stats.peak_open == 1


# --- 1,000 concurrent streams ----------------------------------------------------------


async def _run_streams(client: AsyncClient) -> list[str]:
    async def one(index: int) -> str:
        stream = await client.generate(MODEL, f"stream {index}", stream=True)
        async with stream:
            return "".join([item.response async for item in stream])

    return await asyncio.gather(*(one(index) for index in range(STREAMS)))


def _check_replies(replies: list[str]) -> None:
    assert len(replies) == STREAMS
    for index, reply in enumerate(replies):
        assert reply == "".join(expected_pieces(f"stream {index}"))


@pytest.mark.slow
@pytest.mark.anyio
async def test_1000_streams_through_a_caller_pool_of_10(fake: FakeOllamaServer) -> None:
    # No keep-alive expiry: httpx's default (5 s) is wall-clock time, and on a busy machine the
    # event loop can be busy longer than that starting 1,000 requests (httpcore's pool scans its
    # whole queue on every request), so an idle connection expired and was replaced: 11 opened.
    limits = httpx.Limits(max_connections=POOL_TOTAL, keepalive_expiry=None)
    async with (
        httpx.AsyncClient(limits=limits, timeout=LOAD_TIMEOUT) as http,
        AsyncClient(fake.base_url, http_client=http, max_retries=0) as client,
    ):
        replies = await _run_streams(client)
    _check_replies(replies)
    assert await async_wait_idle(fake)
    stats = fake.stats
    print(f"caller pool of {POOL_TOTAL}: {stats}")  # shown with -s or -rP
    assert stats.requests_handled == STREAMS
    assert stats.peak_open <= POOL_TOTAL
    assert stats.connections_opened <= POOL_TOTAL


@dataclass(frozen=True)
class _Load:
    replies: list[str]
    stats: ServerStats
    idle: bool


@pytest.fixture(scope="module", params=["aiohttp", "httpx"])
def client_pool_load(request: pytest.FixtureRequest) -> Iterator[_Load]:
    """1,000 concurrent streams through `AsyncClient(max_connections=5)` (10 in all), run once
    per back-end for the two tests below (module-scoped, so the back-end is named here rather
    than taken from the per-test `http_backend`)."""
    backend = request.param

    async def run(server: FakeOllamaServer) -> list[str]:
        async with AsyncClient(
            server.base_url,
            max_connections=5,
            timeout=LOAD_TIMEOUT,
            max_retries=0,
            backend=backend,
        ) as client:
            return await _run_streams(client)

    with FakeOllamaServer() as server:
        replies = asyncio.run(run(server))
        idle = server.wait_for_idle(5.0)
        yield _Load(replies, server.stats, idle)


@pytest.mark.slow
def test_1000_streams_through_the_client_pool_all_complete(client_pool_load: _Load) -> None:
    print(f"AsyncClient(max_connections=5): {client_pool_load.stats}")  # shown with -s or -rP
    _check_replies(client_pool_load.replies)
    assert client_pool_load.stats.requests_handled == STREAMS
    assert client_pool_load.idle


@pytest.mark.slow
def test_1000_streams_through_the_client_pool_reuse_10_connections(
    client_pool_load: _Load,
) -> None:
    assert client_pool_load.stats.connections_opened <= POOL_TOTAL
    assert client_pool_load.stats.peak_open <= POOL_TOTAL


# --- The event loop stays free during file work -----------------------------------------


@pytest.mark.anyio
async def test_blob_hashing_does_not_block_the_event_loop(
    fake: FakeOllamaServer, tmp_path: Path
) -> None:
    """A concurrent task keeps running while `create_blob` hashes a file: it ticks at least
    once per chunk before the first request leaves (hashing on the loop itself gave 0 ticks,
    since nothing awaited until the HEAD request). Counted, not timed."""
    chunks = 16
    path = tmp_path / "model.gguf"
    path.write_bytes(os.urandom(FILE_CHUNK_BYTES) * chunks)
    ticks_before_request = 0
    sent = False

    async def on_request(request: httpx.Request) -> None:
        nonlocal sent
        sent = True

    async def ticker() -> None:
        nonlocal ticks_before_request
        while not sent:
            ticks_before_request += 1
            await asyncio.sleep(0)

    http = httpx.AsyncClient(event_hooks={"request": [on_request]})
    async with http, AsyncClient(fake.base_url, http_client=http) as client:
        task = asyncio.create_task(ticker())
        try:
            digest = await client.create_blob(path)
        finally:
            sent = True
            await task
    assert fake.has_blob(digest)
    assert ticks_before_request >= chunks


# --- One client, several event loops ----------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_client_keeps_working_across_event_loops(kind: str, fake: FakeOllamaServer) -> None:
    """Two `asyncio.run()` calls in one script: the second used to fail with a raw
    `RuntimeError: Event loop is closed` (the pool's connections belonged to the first loop).
    Each loop now gets a pool of its own, created on demand."""
    api = Api(kind, fake.base_url)

    async def round_trip(prompt: str) -> tuple[str, str]:
        whole = await api.generate(prompt)
        streamed = await api.run(prompt, stream=True)
        return whole, streamed

    expected = "".join(expected_pieces("hello"))
    assert asyncio.run(round_trip("hello")) == (expected, expected)
    assert asyncio.run(round_trip("hello")) == (expected, expected)
    assert asyncio.run(round_trip("hello")) == (expected, expected)
    asyncio.run(api.close())
    assert fake.stats.requests_handled == 6
    # Each loop's pool was closed as its loop shut down: no socket outlived its loop.
    assert fake.wait_for_idle(5.0)
