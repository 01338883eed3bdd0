"""Leaving a stream early: `break` inside a `with` block, and a stream dropped without close.

The pool has room for two connections in all (`max_connections=1`) and a short pool timeout,
and each case runs three times in a row: a connection that was not given back would make the
third round fail with a pool timeout. The server must see the connection closed (its body was
not read to the end, so it cannot be reused), and a following request must succeed.
"""

from __future__ import annotations

import gc

import httpx
import pytest

from ollama_service.testing import FakeOllamaServer

from ._support import KINDS, Api, AsyncWaitIdle, expected_pieces, text_of

pytestmark = pytest.mark.anyio

PROMPT = "tell me a long story about the sea"
ROUNDS = 3
TIGHT_POOL = {"max_connections": 1, "timeout": httpx.Timeout(5.0, pool=0.5), "max_retries": 0}


@pytest.mark.parametrize("kind", KINDS)
async def test_break_inside_with(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    async with Api(kind, fake.base_url, **TIGHT_POOL) as api:
        for _ in range(ROUNDS):
            got: list[str] = []
            stream = await api.stream(PROMPT)
            async with stream:
                async for item in stream:
                    got.append(text_of(item))
                    if len(got) == 2:
                        break
            assert got == expected_pieces(PROMPT)[:2]
            assert await async_wait_idle(fake)
        assert await api.generate("after") == "".join(expected_pieces("after"))
    assert await async_wait_idle(fake)
    assert fake.stats.requests_handled == ROUNDS + 1
    assert fake.stats.peak_open == 1


@pytest.mark.parametrize("read", [0, 1], ids=["unread", "one-item"])
@pytest.mark.parametrize("kind", KINDS)
async def test_abandoned_without_close(
    async_wait_idle: AsyncWaitIdle, kind: str, read: int, fake: FakeOllamaServer
) -> None:
    """The stream object is simply dropped; its finalizer releases the connection."""
    async with Api(kind, fake.base_url, **TIGHT_POOL) as api:
        for _ in range(ROUNDS):
            stream = await api.stream(PROMPT)
            got = [text_of(await stream.__anext__()) for _ in range(read)]
            assert got == expected_pieces(PROMPT)[:read]
            del stream
            gc.collect()
            assert await async_wait_idle(fake)
        assert await api.generate("after") == "".join(expected_pieces("after"))
    assert await async_wait_idle(fake)
    assert fake.stats.requests_handled == ROUNDS + 1
    assert fake.stats.peak_open == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_break_without_with_then_dropped(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    """The common slip: `break` out of a bare loop and let the stream go out of scope."""

    async def first_piece(api: Api) -> str:
        stream = await api.stream(PROMPT)
        async for item in stream:
            return text_of(item)
        raise AssertionError("the stream was empty")

    async with Api(kind, fake.base_url, **TIGHT_POOL) as api:
        for _ in range(ROUNDS):
            assert await first_piece(api) == expected_pieces(PROMPT)[0]
            gc.collect()
            assert await async_wait_idle(fake)
        assert await api.generate("after") == "".join(expected_pieces("after"))
    assert await async_wait_idle(fake)
    assert fake.stats.requests_handled == ROUNDS + 1
