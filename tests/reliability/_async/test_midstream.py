"""A stream cut before its final object: an error, never a silent success.

The server drops the connection, ends the body cleanly without `done`, or sends Ollama's
in-stream `{"error": ...}` line. A drop and a clean early end are the same error,
`OllamaStreamError(truncated=True)` (the transport error in `__cause__`), because a proxy in
between turns one into the other. In every case the items already yielded stay with the caller,
nothing is retried (the request ran once) and nothing is yielded twice; the pool stays usable.
"""

from __future__ import annotations

import logging

import httpx
import pytest

from ollama_service import OllamaServiceError, OllamaStreamError
from ollama_service.testing import FakeOllamaServer

from ._support import KINDS, Api, AsyncWaitIdle, drain_bare, expected_pieces, retry_records, text_of

pytestmark = pytest.mark.anyio

PROMPT = "why is the sky blue"
RUNNER_ERROR = "llama runner process has terminated: CUDA error: out of memory"


@pytest.fixture(autouse=True)
def _capture_retries(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="ollama_service")


def arm(fake: FakeOllamaServer, fault: str, after: int) -> None:
    if fault == "drop":
        fake.faults.drop_mid_stream(after)
    elif fault == "truncate":
        fake.faults.truncate_stream(after)
    else:
        fake.faults.error_mid_stream(after, RUNNER_ERROR)


def check(fault: str, exc: OllamaServiceError, after: int) -> None:
    assert exc.attempts == 1
    if fault == "drop":
        # A broken connection after the 200 is a truncated stream, like a clean early end.
        assert type(exc) is OllamaStreamError
        assert exc.truncated is True
        assert isinstance(exc.__cause__, httpx.RemoteProtocolError)
        noun = "item" if after == 1 else "items"
        assert exc.error == (
            f"stream ended after {after} {noun} without its final object: the connection "
            "broke (peer closed connection without sending complete message body (incomplete "
            "chunked read)); the connection was cut or the server stopped mid-response"
        )
    elif fault == "truncate":
        assert type(exc) is OllamaStreamError
        assert exc.truncated is True
        assert exc.status_code == 200
        noun = "item" if after == 1 else "items"
        assert exc.error == (
            f"stream ended after {after} {noun} without its final object; the connection was "
            "cut or the server stopped mid-response"
        )
    else:
        assert type(exc) is OllamaStreamError
        assert exc.truncated is False
        assert exc.status_code == 200
        assert exc.error == RUNNER_ERROR
        assert str(exc) == f"{RUNNER_ERROR} (status code: 200)"


@pytest.mark.parametrize("after", [1, 3])
@pytest.mark.parametrize("fault", ["drop", "truncate", "error"])
@pytest.mark.parametrize("kind", KINDS)
async def test_stream_cut_before_done(
    async_wait_idle: AsyncWaitIdle,
    kind: str,
    fault: str,
    after: int,
    fake: FakeOllamaServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    arm(fake, fault, after)
    async with Api(kind, fake.base_url, max_retries=2) as api:
        stream = await api.stream(PROMPT)
        got: list[str] = []
        with pytest.raises(OllamaServiceError) as info:
            await drain_bare(stream, got)
        inner = stream.stream if api.service is not None else stream  # pyright: ignore[reportAttributeAccessIssue]
        assert "closed" in repr(inner)

        check(fault, info.value, after)
        assert got == expected_pieces(PROMPT)[:after]
        assert retry_records(caplog) == []
        assert fake.stats.requests_handled == 1
        if fault == "drop":
            assert await async_wait_idle(fake)

        # The pool is still usable.
        assert await api.generate("next") == "".join(expected_pieces("next"))
    assert await async_wait_idle(fake)
    assert fake.stats.requests_handled == 2


@pytest.mark.parametrize("kind", KINDS)
async def test_complete_stream_for_reference(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    """Control case: the same stream without a fault ends quietly with every piece."""
    async with Api(kind, fake.base_url) as api:
        stream = await api.stream(PROMPT)
        async with stream:
            got = [text_of(item) async for item in stream]
    assert "".join(got) == "".join(expected_pieces(PROMPT))
    assert await async_wait_idle(fake)
