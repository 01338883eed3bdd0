"""Keep-alive reuse as the server sees it: one connection serves a whole session of calls.

Every kind of exchange (a whole reply, a fully read stream, a listing, an embedding, a pull)
leaves its connection clean for the next request, so ten calls in a row open one connection;
closing the client closes it.
"""

from __future__ import annotations

import pytest

from ollama_service import AsyncClient
from ollama_service.testing import FakeOllamaServer

from ._support import AsyncWaitIdle

pytestmark = pytest.mark.anyio


async def test_one_connection_serves_every_kind_of_call(
    async_wait_idle: AsyncWaitIdle, fake: FakeOllamaServer
) -> None:
    async with AsyncClient(fake.base_url, max_retries=0) as client:
        for _ in range(2):
            reply = await client.generate("llama3.2", "hi")
            assert reply.done
            stream = await client.chat("llama3.2", [{"role": "user", "content": "hi"}], stream=True)
            async with stream:
                assert [part.done async for part in stream][-1]
            assert (await client.list()).models
            assert (await client.embed("nomic-embed-text", ["a", "b"])).embeddings
            progress = await client.pull("llama3.2")
            assert progress.status == "success"
        assert fake.stats.requests_handled == 10
        assert fake.stats.connections_opened == 1
    assert await async_wait_idle(fake)
    assert fake.stats.connections_open == 0
