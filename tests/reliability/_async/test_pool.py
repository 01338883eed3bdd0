"""Pool exhaustion: more open streams than connections, with a short pool timeout.

The extra request fails with a typed timeout that names the pool, after the configured
attempts, without deadlocking; the server never sees more connections than the pool allows,
and once the streams are closed the pool serves requests again.
"""

from __future__ import annotations

import logging

import httpx
import pytest

from ollama_service import OllamaTimeoutError
from ollama_service.testing import FakeOllamaServer

from ._support import KINDS, Api, AsyncWaitIdle, expected_pieces, retry_records, text_of

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("kind", KINDS)
async def test_pool_exhaustion_is_a_typed_pool_timeout(
    async_wait_idle: AsyncWaitIdle,
    async_early_release: bool,
    kind: str,
    fake: FakeOllamaServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="ollama_service")
    timeout = httpx.Timeout(5.0, pool=0.2)
    # max_connections=1 keeps one connection alive and allows two in all.
    async with Api(kind, fake.base_url, max_connections=1, timeout=timeout, max_retries=1) as api:
        first = await api.stream("one")
        second = await api.stream("two")
        with pytest.raises(OllamaTimeoutError) as info:
            await api.generate("three")

        exc = info.value
        assert exc.phase == "pool"
        assert exc.timeout == 0.2
        assert exc.sent is False
        assert exc.attempts == 2
        assert str(exc) == (
            f"Timed out waiting for a free connection to Ollama at {fake.base_url}/api/generate "
            "(the pool timeout is 0.2s). Every pooled connection is busy, often because streams "
            "were left open: close finished streams, or raise max_connections."
        )
        assert [(r.attempt, r.error_type) for r in retry_records(caplog)] == [
            (1, "OllamaTimeoutError")
        ]
        # On aiohttp the second stream may reuse the first one's connection once its whole
        # body has arrived; the pool slots are still both taken until the streams close.
        assert fake.stats.peak_open == 2 or (async_early_release and fake.stats.peak_open == 1)
        assert fake.stats.requests_handled == 2

        # The open streams are intact and can still be read to the end.
        async with first:
            assert "".join([text_of(i) async for i in first]) == "".join(expected_pieces("one"))
        async with second:
            assert "".join([text_of(i) async for i in second]) == "".join(expected_pieces("two"))
        assert await api.generate("three") == "".join(expected_pieces("three"))
        assert fake.stats.peak_open <= 2
    assert await async_wait_idle(fake)
