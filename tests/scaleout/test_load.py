"""1,000 concurrent async streams through the balancer and a client pool of 10 connections.

Async only: a thousand threads would test the machine, not the client.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from ollama_service import AsyncClient
from ollama_service.testing import FakeOllamaServer

from .conftest import MODELS
from .proxies import Proxy

STREAMS = 1000
POOL = 5  # max_connections=5: ten connections at most, all kept alive
# A thousand requests queue for ten connections, so the last one waits for the whole run: how
# long that is depends on the machine, not on the client. The pool wait is therefore unbounded
# (what is under test is that every stream completes on the pool's connections); a stalled
# connection still fails at the read timeout, and HANG_GUARD only stops a run that never ends.
TIMEOUT = httpx.Timeout(60.0, pool=None)
HANG_GUARD = 900.0


@pytest.mark.anyio
async def test_1000_concurrent_streams_through_a_pool_of_10(
    proxy: Proxy, backends: list[FakeOllamaServer]
) -> None:
    async def one(client: AsyncClient, n: int) -> tuple[str, str]:
        prompt = f"stream {n}"
        stream = await client.generate(MODELS[4 + n % 26], prompt, stream=True)
        async with stream:
            return prompt, "".join([item.response async for item in stream])

    async with AsyncClient(
        proxy.url, max_connections=POOL, max_retries=0, timeout=TIMEOUT
    ) as client:
        replies = await asyncio.wait_for(
            asyncio.gather(*(one(client, n) for n in range(STREAMS))), HANG_GUARD
        )
    assert len(replies) == STREAMS
    for prompt, text in replies:
        assert text == FakeOllamaServer.reply_for(prompt)
    served = [
        r
        for b in backends
        for r in b.requests
        if r.path == "/api/generate" and "ollama-service" in r.headers.get("user-agent", "")
    ]
    assert len(served) == STREAMS
    assert all(len([r for r in b.requests if r.path == "/api/generate"]) for b in backends)
    proxy.stop()
    ports = proxy.client_ports()
    assert len(ports) == STREAMS
    # The pool's connections carried them all (a few may be replaced along the way).
    assert len(set(ports)) < 5 * POOL, len(set(ports))
