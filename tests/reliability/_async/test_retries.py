"""Status codes: 503 (busy) is retried and logged, honouring Retry-After; 500 and 400 are not.

Backoff is zero unless a case needs it to be large: then the only thing that can make the
logged delay 0 is the server's Retry-After, which proves it was honoured without sleeping.
Non-zero Retry-After values are checked through a recording `sleep` given to the retry loop,
so nothing really waits.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from ollama_service import OllamaResponseError, OllamaServerBusyError
from ollama_service._async import _core as core_module  # where the send path retries
from ollama_service.testing import FakeOllamaServer

from ._support import KINDS, Api, AsyncWaitIdle, expected_pieces, retry_records

pytestmark = pytest.mark.anyio

BUSY = "server busy, please try again.  maximum pending requests exceeded"
PAST_DATE = "Wed, 21 Oct 2015 07:28:00 GMT"


@pytest.fixture(autouse=True)
def _capture_retries(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="ollama_service")


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("kind", KINDS)
async def test_busy_then_success(
    async_wait_idle: AsyncWaitIdle,
    kind: str,
    stream: bool,
    fake: FakeOllamaServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.faults.busy(2)
    async with Api(kind, fake.base_url, max_retries=2) as api:
        assert await api.run("hello", stream=stream) == "".join(expected_pieces("hello"))
    assert await async_wait_idle(fake)

    records = retry_records(caplog)
    assert [r.levelno for r in records] == [logging.WARNING, logging.WARNING]
    assert [(r.attempt, r.method, r.path, r.error_type, r.delay) for r in records] == [
        (1, "POST", "/api/generate", "OllamaServerBusyError", 0.0),
        (2, "POST", "/api/generate", "OllamaServerBusyError", 0.0),
    ]
    assert records[0].error_message == f"{BUSY} (status code: 503)"
    assert fake.stats.requests_handled == 3


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("kind", KINDS)
async def test_busy_for_good(
    async_wait_idle: AsyncWaitIdle,
    kind: str,
    stream: bool,
    fake: FakeOllamaServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.faults.busy(3)
    async with Api(kind, fake.base_url, max_retries=2) as api:
        with pytest.raises(OllamaServerBusyError) as info:
            await api.run("hello", stream=stream)
        # The pool is still usable once the server has room again.
        assert await api.generate("later") == "".join(expected_pieces("later"))
    assert await async_wait_idle(fake)

    exc = info.value
    assert exc.status_code == 503
    assert exc.error == BUSY
    assert str(exc) == f"{BUSY} (status code: 503)"
    assert exc.retry_after is None
    assert exc.attempts == 3
    assert [r.attempt for r in retry_records(caplog)] == [1, 2]
    assert fake.stats.requests_handled == 4


@pytest.mark.parametrize("retry_after", ["0", PAST_DATE], ids=["seconds", "http-date"])
@pytest.mark.parametrize("kind", KINDS)
async def test_retry_after_replaces_the_backoff(
    async_wait_idle: AsyncWaitIdle,
    kind: str,
    retry_after: str,
    fake: FakeOllamaServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With a 30-60 s backoff, a zero delay can only come from the server's Retry-After."""
    fake.faults.busy(2, retry_after=retry_after)
    async with Api(
        kind, fake.base_url, max_retries=2, retry_min_backoff=30, retry_max_backoff=60
    ) as api:
        assert await api.generate("hello") == "".join(expected_pieces("hello"))
    assert await async_wait_idle(fake)
    assert [(r.attempt, r.delay) for r in retry_records(caplog)] == [(1, 0.0), (2, 0.0)]
    assert fake.stats.requests_handled == 3


@pytest.mark.parametrize("retry_after", ["0", PAST_DATE], ids=["seconds", "http-date"])
@pytest.mark.parametrize("kind", KINDS)
async def test_busy_for_good_reports_retry_after(
    async_wait_idle: AsyncWaitIdle, kind: str, retry_after: str, fake: FakeOllamaServer
) -> None:
    fake.faults.busy(2, retry_after=retry_after)
    async with Api(kind, fake.base_url, max_retries=1) as api:
        with pytest.raises(OllamaServerBusyError) as info:
            await api.generate("hello")
    assert await async_wait_idle(fake)
    assert info.value.retry_after == 0.0
    assert info.value.attempts == 2


@pytest.mark.parametrize("kind", KINDS)
async def test_retry_after_nonzero_values_are_waited_exactly(
    async_wait_idle: AsyncWaitIdle,
    kind: str,
    fake: FakeOllamaServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seconds and an HTTP date in the future (both under the 60 s cap), through the real
    client, with a recording sleep in place of the real one."""
    slept: list[float] = []

    async def record_sleep(seconds: float) -> None:
        slept.append(seconds)

    real = core_module.async_retrying  # pyright: ignore[reportPrivateImportUsage] - patched on purpose
    monkeypatch.setattr(core_module, "async_retrying", functools.partial(real, sleep=record_sleep))
    future = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=45), usegmt=True)
    fake.faults.busy(1, retry_after="7")
    fake.faults.busy(1, retry_after=future)
    async with Api(kind, fake.base_url, max_retries=2) as api:
        assert await api.generate("hello") == "".join(expected_pieces("hello"))

    assert await async_wait_idle(fake)
    assert slept[0] == 7.0
    # The date has one-second resolution and a little time passes before it is read.
    assert 40.0 <= slept[1] <= 45.0
    assert [r.delay for r in retry_records(caplog)] == slept
    assert fake.stats.requests_handled == 3


@pytest.mark.parametrize("kind", KINDS)
async def test_retry_after_beyond_the_cap_is_final(
    async_wait_idle: AsyncWaitIdle,
    kind: str,
    fake: FakeOllamaServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A Retry-After above the 60 s cap means "go away": no retry, no sleep."""
    fake.faults.busy(1, retry_after="3600")
    async with Api(kind, fake.base_url, max_retries=2) as api:
        with pytest.raises(OllamaServerBusyError) as info:
            await api.generate("hello")
    assert await async_wait_idle(fake)
    assert info.value.retry_after == 3600.0
    assert info.value.attempts == 1
    assert retry_records(caplog) == []
    assert fake.stats.requests_handled == 1


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (500, "llama runner process has terminated: exit status 2"),
        (400, "invalid model name"),
    ],
)
@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("kind", KINDS)
async def test_500_and_400_are_not_retried(
    async_wait_idle: AsyncWaitIdle,
    kind: str,
    stream: bool,
    status: int,
    message: str,
    fake: FakeOllamaServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = '{"error":"' + message + '"}'
    fake.faults.fail_next(1, status, body)
    async with Api(kind, fake.base_url, max_retries=2) as api:
        with pytest.raises(OllamaResponseError) as info:
            await api.run("hello", stream=stream)
        assert await api.generate("next") == "".join(expected_pieces("next"))
    assert await async_wait_idle(fake)

    exc = info.value
    assert type(exc) is OllamaResponseError
    assert exc.status_code == status
    assert exc.error == message
    assert str(exc) == f"{message} (status code: {status})"
    assert exc.body == body.encode()
    assert exc.attempts == 1
    assert retry_records(caplog) == []
    assert fake.stats.requests_handled == 2
