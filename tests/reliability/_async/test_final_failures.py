"""Failures that are not a dropped connection: each is typed at once and never retried.

A redirect loop used to be retried as if the connection had dropped (63 requests reached the
server, then `OllamaConnectionError`), and so did a corrupt gzip body. Both are answers that
another attempt would get again. Also here: `health()`/`health_check()` are true only when
Ollama itself answered, and a proxy's HTML page reads as one line.
"""

from __future__ import annotations

import gzip
import logging

import msgspec
import pytest

from ollama_service import (
    OllamaContentDecodingError,
    OllamaDecodeError,
    OllamaRedirectError,
    OllamaResponseError,
    OllamaService,
)
from ollama_service.testing import FakeOllamaServer

from ._support import KINDS, MODEL, Api, AsyncWaitIdle, retry_records

pytestmark = pytest.mark.anyio

HTTPX_MAX_REDIRECTS = 20


@pytest.fixture(autouse=True)
def _capture_retries(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="ollama_service")


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("kind", KINDS)
async def test_redirect_loop_is_not_retried(
    async_wait_idle: AsyncWaitIdle,
    kind: str,
    stream: bool,
    fake: FakeOllamaServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    loops = HTTPX_MAX_REDIRECTS + 1
    fake.faults.fail_next(loops * 3, 307, b"", headers={"Location": "/api/generate"})
    async with Api(kind, fake.base_url, max_retries=2) as api:
        with pytest.raises(OllamaRedirectError) as info:
            await api.run("hello", stream=stream)
    assert await async_wait_idle(fake)
    exc = info.value
    assert exc.attempts == 1
    assert exc.url == f"{fake.base_url}/api/generate"
    assert str(exc).startswith(
        f"Too many redirects requesting {fake.base_url}/api/generate (more than 20)"
    )
    assert "Not retried" in str(exc)
    assert retry_records(caplog) == []
    assert len(fake.requests) == loops


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("kind", KINDS)
async def test_corrupt_gzip_is_not_retried(
    async_wait_idle: AsyncWaitIdle,
    kind: str,
    stream: bool,
    fake: FakeOllamaServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = b"this is not gzip at all"
    content_type = "application/x-ndjson" if stream else "application/json"
    fake.faults.fail_next(
        3, 200, body, content_type=content_type, headers={"Content-Encoding": "gzip"}
    )
    async with Api(kind, fake.base_url, max_retries=2) as api:
        with pytest.raises(OllamaContentDecodingError) as info:
            await api.run("hello", stream=stream)
    assert await async_wait_idle(fake)
    exc = info.value
    assert isinstance(exc, OllamaDecodeError)
    assert exc.attempts == 1
    assert "does not match its Content-Encoding" in str(exc)
    assert "Not retried" in str(exc)
    assert retry_records(caplog) == []
    assert len(fake.requests) == 1


async def test_valid_gzip_still_decodes(fake: FakeOllamaServer) -> None:
    """Control case: a well-formed gzip body decodes as usual."""
    reply = (
        b'{"model":"llama3.2","created_at":"2025-11-25T09:00:00Z","response":"zipped","done":true}'
    )
    fake.faults.fail_next(1, 200, gzip.compress(reply), headers={"Content-Encoding": "gzip"})
    async with Api("client", fake.base_url) as api:
        assert await api.generate("hello") == "zipped"


@pytest.mark.parametrize(
    ("status", "body", "healthy"),
    [
        (200, b"Ollama is running", True),
        (200, b"\x00\xff garbage", False),
        (200, b"<html><title>Welcome to nginx!</title></html>", False),
        (200, b"", False),
    ],
    ids=["ollama", "garbage", "nginx-welcome", "empty"],
)
async def test_health_check_true_only_when_ollama_answered(
    status: int, body: bytes, healthy: bool, fake: FakeOllamaServer
) -> None:
    async with Api("client", fake.base_url) as api:
        if body != b"Ollama is running":
            fake.faults.fail_next(2, status, body, content_type="text/html")
        service = OllamaService(client=api.client, default_model=MODEL)
        assert await service.health_check() is healthy
        assert await api.client.health() is healthy


FORGED = "\x1b[2J\x1b[31mboom\r\n2024-01-01 INFO forged log line"


@pytest.mark.parametrize("content_type", ["text/plain", "application/json"])
@pytest.mark.parametrize("kind", KINDS)
async def test_control_characters_in_error_bodies_are_escaped(
    kind: str, content_type: str, fake: FakeOllamaServer
) -> None:
    if content_type == "application/json":
        body = msgspec.json.encode({"error": FORGED})
    else:
        body = FORGED.encode()
    fake.faults.fail_next(1, 500, body, content_type=content_type)
    async with Api(kind, fake.base_url) as api:
        with pytest.raises(OllamaResponseError) as info:
            await api.generate("hello")
    text = str(info.value)
    assert text.isprintable(), repr(text)
    assert "\x1b" not in text
    assert "\\x1b[2J\\x1b[31mboom" in text
    assert "2024-01-01 INFO forged log line" in text
    assert info.value.body == body
