"""Unit-level checks of the delay the retry policy computes from Retry-After, where a live
server would make the test really wait: non-zero seconds, a decimal, an HTTP date in the
future, and the cap. A recording `sleep` stands in for time.sleep."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from ollama_service import OllamaServerBusyError
from ollama_service._retry import RetryPolicy, backoff_delay, parse_retry_after
from ollama_service._retry_loop import retrying

NOW = datetime(2025, 11, 25, 9, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("0", 0.0),
        ("7", 7.0),
        (" 2.5 ", 2.5),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


@pytest.mark.parametrize("retry_after", [0.0, 7.0, 30.0])
def test_backoff_yields_to_retry_after(retry_after: float) -> None:
    delay = backoff_delay(1, min_backoff=30.0, max_backoff=60.0, retry_after=retry_after)
    assert delay == retry_after


def test_backoff_without_retry_after_is_jittered_exponential() -> None:
    delays = [
        backoff_delay(n, min_backoff=1.0, max_backoff=10.0, rand=lambda: 0.5)
        for n in (1, 2, 3, 4, 5)
    ]
    assert delays == [0.75, 1.5, 3.0, 6.0, 7.5]


def _run(policy: RetryPolicy, errors: list[BaseException]) -> tuple[list[float], int]:
    """Run a call that raises `errors` in turn and then succeeds; return the sleeps and calls."""
    slept: list[float] = []
    calls = 0
    for attempt in retrying(policy, idempotent=True, sleep=slept.append):
        with attempt:
            calls += 1
            if errors:
                raise errors.pop(0)
    return slept, calls


def test_policy_waits_exactly_retry_after() -> None:
    busy: list[BaseException] = [
        OllamaServerBusyError("busy", retry_after=7.0),
        OllamaServerBusyError("busy", retry_after=45.0),
    ]
    slept, calls = _run(RetryPolicy(max_attempts=3, min_backoff=30, max_backoff=60), busy)
    assert slept == [7.0, 45.0]
    assert calls == 3


def test_policy_gives_up_on_retry_after_over_the_cap() -> None:
    policy = RetryPolicy(max_attempts=3, min_backoff=0, max_backoff=0, max_retry_after=60)
    with pytest.raises(OllamaServerBusyError) as info:
        _run(policy, [OllamaServerBusyError("busy", retry_after=61.0)])
    assert info.value.attempts == 1
