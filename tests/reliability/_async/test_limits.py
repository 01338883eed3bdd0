"""A whole (non-streamed) reply has a size cap, as stream lines do: a gzip bomb stops there.

A 256 MiB gzip bomb for a non-streamed reply used to be decompressed whole (+527 MiB of RSS)
before any error. Now reading stops at `max_response_bytes` (128 MiB by default, after
decompression) with `OllamaResponseTooLargeError`, which names the cap and the setting, and is
not retried. Memory is traced with `tracemalloc`: the call never holds the whole bomb.
"""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import pytest

from ollama_service import OllamaDecodeError, OllamaResponseTooLargeError
from ollama_service._constants import MAX_RESPONSE_BYTES
from ollama_service.testing import FakeOllamaServer

from ._support import KINDS, Api, AsyncWaitIdle, expected_pieces

pytestmark = pytest.mark.anyio

BOMB_BYTES = 256 * 1024 * 1024


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """256 MiB of zeros, gzip-compressed (about 250 KiB), built without holding 256 MiB."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1024 * 1024)
    parts = [packer.compress(zeros) for _ in range(BOMB_BYTES // len(zeros))]
    return b"".join([*parts, packer.flush()])


@pytest.mark.parametrize("kind", KINDS)
async def test_gzip_bomb_stops_at_the_cap(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer, gzip_bomb: bytes
) -> None:
    fake.faults.fail_next(1, 200, gzip_bomb, headers={"Content-Encoding": "gzip"})
    async with Api(kind, fake.base_url, max_retries=2) as api:
        tracemalloc.start()
        try:
            with pytest.raises(OllamaResponseTooLargeError) as info:
                await api.generate("hello")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert await api.generate("next") == "".join(expected_pieces("next"))
    assert await async_wait_idle(fake)
    exc = info.value
    assert isinstance(exc, OllamaDecodeError)
    assert exc.limit == MAX_RESPONSE_BYTES
    assert exc.setting == "max_response_bytes"
    assert f"max_response_bytes={MAX_RESPONSE_BYTES}" in str(exc)
    assert "OLLAMA_MAX_RESPONSE_BYTES" in str(exc)
    assert exc.attempts == 1
    assert len(fake.requests) == 2
    assert peak < BOMB_BYTES, f"peak {peak / 2**20:.0f} MiB"


@pytest.mark.parametrize("encoded", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("kind", KINDS)
async def test_a_configured_cap_applies(
    async_wait_idle: AsyncWaitIdle, kind: str, encoded: bool, fake: FakeOllamaServer
) -> None:
    body = b'{"response":"' + b"x" * 4096 + b'","done":true}'
    headers = {"Content-Encoding": "gzip"} if encoded else {}
    payload = gzip.compress(body) if encoded else body  # zlib.compress(wbits=) is 3.11+
    fake.faults.fail_next(1, 200, payload, headers=headers)
    async with Api(kind, fake.base_url, max_response_bytes=1024) as api:
        with pytest.raises(OllamaResponseTooLargeError) as info:
            await api.generate("hello")
        # Replies under the cap are untouched.
        assert await api.generate("next") == "".join(expected_pieces("next"))
    assert info.value.limit == 1024
    assert "max_response_bytes=1024" in str(info.value)
    assert await async_wait_idle(fake)


async def test_error_pages_are_capped_too(
    async_wait_idle: AsyncWaitIdle, fake: FakeOllamaServer
) -> None:
    fake.faults.fail_next(1, 502, b"<html>" + b"x" * 4096 + b"</html>", content_type="text/html")
    async with Api("client", fake.base_url, max_response_bytes=1024, max_retries=0) as api:
        with pytest.raises(OllamaResponseTooLargeError):
            await api.generate("hello")
    assert await async_wait_idle(fake)
