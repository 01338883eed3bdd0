"""Retry decisions, delays, the policy, and the tenacity wiring (ollama_service._retry)."""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest

from ollama_service._constants import (
    DEFAULT_MAX_ATTEMPTS,
    RETRY_AFTER_CAP,
    RETRY_MAX_BACKOFF,
    RETRY_MIN_BACKOFF,
)
from ollama_service._errors import (
    OllamaConnectionError,
    OllamaDecodeError,
    OllamaModelNotFoundError,
    OllamaRequestError,
    OllamaResponseError,
    OllamaServerBusyError,
    OllamaServiceError,
    OllamaStreamError,
    OllamaTimeoutError,
)
from ollama_service._retry import (
    RetryPolicy,
    backoff_delay,
    is_retryable_status,
    parse_retry_after,
    should_retry,
)
from ollama_service._retry_loop import async_retrying, retrying

NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=timezone.utc)

# --- parse_retry_after ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, None, id="absent"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param("5", 5.0, id="seconds"),
        pytest.param(" 12 ", 12.0, id="seconds-padded"),
        pytest.param("1.5", 1.5, id="decimal-seconds"),
        pytest.param("120", 120.0, id="above-cap-still-parsed"),
        pytest.param("Wed, 01 Jan 2025 12:00:30 GMT", 30.0, id="date-future"),
        pytest.param("Wed, 01 Jan 2025 11:59:00 GMT", 0.0, id="date-past"),
        pytest.param("Wed, 01 Jan 2025 12:00:00 GMT", 0.0, id="date-now"),
        pytest.param("Wed, 01 Jan 2025 13:00:10 +0100", 10.0, id="date-with-offset"),
        pytest.param("Wed, 01 Jan 2025 12:01:00 -0000", 60.0, id="date-naive-is-utc"),
        pytest.param("-5", None, id="negative"),
        pytest.param("-0.5", None, id="negative-decimal"),
        pytest.param("soon", None, id="garbage"),
        pytest.param("", None, id="empty"),
        pytest.param("1e3", None, id="exponent"),
        pytest.param("inf", None, id="infinity"),
        pytest.param("nan", None, id="nan"),
        pytest.param("Wed, 32 Jan 2025 12:00:00 GMT", None, id="impossible-date"),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    """Seconds or an HTTP date become seconds to wait; anything odd means no hint."""
    assert parse_retry_after(value, now=NOW) == expected


def test_parse_retry_after_naive_now_is_utc() -> None:
    """A naive `now` is read as UTC rather than crashing the subtraction."""
    naive = NOW.replace(tzinfo=None)
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:05 GMT", now=naive) == 5.0


def test_parse_retry_after_defaults_to_the_clock() -> None:
    """Without `now`, a date long past is simply 0."""
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT") == 0.0


# --- is_retryable_status -------------------------------------------------------

STATUSES = [
    pytest.param(429, False, True, id="429-always"),
    pytest.param(503, False, True, id="503-always"),
    pytest.param(502, False, False, id="502-not-when-unsafe"),
    pytest.param(502, True, True, id="502-when-idempotent"),
    pytest.param(504, False, False, id="504-not-when-unsafe"),
    pytest.param(504, True, True, id="504-when-idempotent"),
    pytest.param(500, True, False, id="500-never"),
    pytest.param(400, True, False, id="400-never"),
    pytest.param(401, True, False, id="401-never"),
    pytest.param(404, True, False, id="404-never"),
    pytest.param(408, True, False, id="408-never"),
    pytest.param(499, True, False, id="499-never"),
    pytest.param(200, True, False, id="200-never"),
]


@pytest.mark.parametrize(("status", "idempotent", "expected"), STATUSES)
def test_is_retryable_status(status: int, idempotent: bool, expected: bool) -> None:
    """Only statuses where the server did no work, or safe repeats, are retried."""
    assert is_retryable_status(status, idempotent=idempotent) is expected


# --- should_retry --------------------------------------------------------------


def _timeout(phase: str) -> OllamaTimeoutError:
    assert phase in ("connect", "read", "write", "pool")
    return OllamaTimeoutError("t", phase=phase)  # type: ignore[arg-type]


REFUSED = OllamaConnectionError("refused", sent=False)
DROPPED = OllamaConnectionError("dropped", sent=True)

DECISIONS = [
    pytest.param(_timeout("connect"), False, True, id="connect-timeout-unsafe"),
    pytest.param(_timeout("pool"), False, True, id="pool-timeout-unsafe"),
    pytest.param(_timeout("read"), False, False, id="read-timeout-unsafe"),
    pytest.param(_timeout("read"), True, True, id="read-timeout-idempotent"),
    pytest.param(_timeout("write"), False, False, id="write-timeout-unsafe"),
    pytest.param(_timeout("write"), True, True, id="write-timeout-idempotent"),
    pytest.param(REFUSED, False, True, id="refused-unsafe"),
    pytest.param(REFUSED, True, True, id="refused-idempotent"),
    pytest.param(DROPPED, False, False, id="dropped-unsafe"),
    pytest.param(DROPPED, True, True, id="dropped-idempotent"),
    pytest.param(OllamaServerBusyError("busy"), False, True, id="503-unsafe"),
    pytest.param(OllamaResponseError("slow down", 429), False, True, id="429-unsafe"),
    pytest.param(OllamaResponseError("bad gateway", 502), False, False, id="502-unsafe"),
    pytest.param(OllamaResponseError("bad gateway", 502), True, True, id="502-idempotent"),
    pytest.param(OllamaResponseError("boom", 500), True, False, id="500-idempotent"),
    pytest.param(OllamaModelNotFoundError("gone"), True, False, id="404-model"),
    pytest.param(OllamaServerBusyError("busy", retry_after=RETRY_AFTER_CAP), False, True, id="retry-after-at-cap"),
    pytest.param(OllamaServerBusyError("busy", retry_after=RETRY_AFTER_CAP + 1), False, False, id="retry-after-above-cap"),
    pytest.param(OllamaStreamError("oom"), True, False, id="stream-error"),
    pytest.param(OllamaStreamError("busy", 503), True, False, id="stream-error-even-with-503"),
    pytest.param(OllamaDecodeError("bad"), True, False, id="decode-error"),
    pytest.param(OllamaRequestError("bad"), True, False, id="request-error"),
    pytest.param(OllamaServiceError("base"), True, False, id="base-error"),
    pytest.param(ValueError("bug"), True, False, id="foreign-error"),
    pytest.param(KeyboardInterrupt(), True, False, id="keyboard-interrupt"),
]  # fmt: skip


@pytest.mark.parametrize(("exc", "idempotent", "expected"), DECISIONS)
def test_should_retry(exc: BaseException, idempotent: bool, expected: bool) -> None:
    """Retry only what cannot have done work, or what is safe to repeat."""
    assert should_retry(exc, idempotent=idempotent) is expected


def test_should_retry_custom_cap() -> None:
    """The Retry-After cap is the caller's to choose."""
    error = OllamaServerBusyError("busy", retry_after=5.0)
    assert should_retry(error, idempotent=False, max_retry_after=10.0)
    assert not should_retry(error, idempotent=False, max_retry_after=4.0)


# --- backoff_delay -------------------------------------------------------------

DELAYS = [
    pytest.param(1, 0.0, None, 0.5, id="first-low"),
    pytest.param(1, 0.999, None, 0.9995, id="first-high"),
    pytest.param(2, 0.0, None, 1.0, id="second-low"),
    pytest.param(3, 0.5, None, 3.0, id="third-mid"),
    pytest.param(4, 1.0, None, 8.0, id="fourth-top"),
    pytest.param(5, 0.0, None, 5.0, id="capped-low"),
    pytest.param(5, 1.0, None, 10.0, id="capped-top"),
    pytest.param(5000, 0.0, None, 5.0, id="huge-attempt-capped"),
    pytest.param(3, 0.5, 42.0, 42.0, id="retry-after-exact"),
    pytest.param(1, 0.5, 0.0, 0.0, id="retry-after-zero"),
]


@pytest.mark.parametrize(("attempt", "rand", "retry_after", "expected"), DELAYS)
def test_backoff_delay(
    attempt: int, rand: float, retry_after: float | None, expected: float
) -> None:
    """Doubling steps with equal jitter, capped; Retry-After wins exactly."""
    delay = backoff_delay(
        attempt, min_backoff=1.0, max_backoff=10.0, retry_after=retry_after, rand=lambda: rand
    )
    assert math.isclose(delay, expected)


def test_backoff_delay_rejects_attempt_zero() -> None:
    """Attempts are counted from 1, as tenacity does."""
    with pytest.raises(ValueError, match="start at 1"):
        backoff_delay(0, min_backoff=1.0, max_backoff=10.0)


def test_backoff_delay_bounds_with_real_jitter() -> None:
    """With real randomness the delay stays within [step/2, step]."""
    for _ in range(200):
        delay = backoff_delay(2, min_backoff=1.0, max_backoff=10.0)
        assert 1.0 <= delay <= 2.0


# --- RetryPolicy ---------------------------------------------------------------


def test_policy_defaults() -> None:
    """Defaults come from _constants."""
    policy = RetryPolicy()
    assert policy.max_attempts == DEFAULT_MAX_ATTEMPTS
    assert policy.min_backoff == RETRY_MIN_BACKOFF
    assert policy.max_backoff == RETRY_MAX_BACKOFF
    assert policy.max_retry_after == RETRY_AFTER_CAP
    assert policy.max_retries == DEFAULT_MAX_ATTEMPTS - 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"max_attempts": 0}, "max_attempts must be at least 1, got 0", id="zero-attempts"),
        pytest.param({"max_attempts": True}, "max_attempts must be at least 1, got True", id="bool-attempts"),
        pytest.param({"min_backoff": -1.0}, "min_backoff must be a non-negative", id="negative-min"),
        pytest.param({"max_backoff": math.nan}, "max_backoff must be a non-negative", id="nan-max"),
        pytest.param({"max_retry_after": -0.1}, "max_retry_after must be a non-negative", id="negative-cap"),
        pytest.param({"min_backoff": 5.0, "max_backoff": 1.0}, "min_backoff (5.0) must not exceed max_backoff (1.0)", id="min-above-max"),
    ],
)  # fmt: skip
def test_policy_validation(kwargs: dict[str, float], message: str) -> None:
    """A bad policy fails at construction, naming the field."""
    with pytest.raises(OllamaRequestError, match=message.replace("(", r"\(").replace(")", r"\)")):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_policy_from_max_retries() -> None:
    """The public max_retries count is attempts minus one."""
    assert RetryPolicy.from_max_retries(0).max_attempts == 1
    assert RetryPolicy.from_max_retries(4, min_backoff=0.1).max_attempts == 5
    with pytest.raises(OllamaRequestError, match="max_retries must be 0 or more, got -1"):
        RetryPolicy.from_max_retries(-1)


def test_policy_with_attempts() -> None:
    """with_attempts copies, validates, and keeps the other fields."""
    policy = RetryPolicy(min_backoff=0.2)
    fewer = policy.with_attempts(2)
    assert fewer == RetryPolicy(max_attempts=2, min_backoff=0.2)
    assert policy.max_attempts == DEFAULT_MAX_ATTEMPTS
    with pytest.raises(OllamaRequestError, match="max_attempts"):
        policy.with_attempts(0)


def test_policy_is_frozen() -> None:
    """A shared policy cannot be changed under another client's feet."""
    policy = RetryPolicy()
    with pytest.raises(AttributeError):
        policy.max_attempts = 5  # type: ignore[misc]


# --- tenacity integration ------------------------------------------------------

FAST = RetryPolicy(max_attempts=3, min_backoff=1.0, max_backoff=10.0)


def busy(retry_after: float | None = None) -> OllamaServerBusyError:
    return OllamaServerBusyError("server busy", retry_after=retry_after)


def refused() -> OllamaConnectionError:
    return OllamaConnectionError("connection refused", sent=False)


@dataclass
class Run:
    """What happened when a scripted operation ran under a retry loop."""

    calls: int = 0
    delays: list[float] = field(default_factory=list[float])
    notified: list[tuple[int, str, float]] = field(default_factory=list[tuple[int, str, float]])
    result: object = None
    error: BaseException | None = None

    def on_retry(self, attempt: int, exc: BaseException, delay: float) -> None:
        self.notified.append((attempt, type(exc).__name__, delay))

    def step(self, script: Sequence[object]) -> object:
        outcome = script[self.calls]
        self.calls += 1
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


# (script of outcomes, policy, idempotent, expected calls, expected delays with rand=0)
SCENARIOS = [
    pytest.param([busy(7.0), "ok"], FAST, False, 2, [7.0], id="503-retry-after-then-ok"),
    pytest.param([OllamaResponseError("boom", 500)], FAST, True, 1, [], id="500-not-retried"),
    pytest.param([refused(), refused(), refused()], FAST, False, 3, [0.5, 1.0], id="refused-3x"),
    pytest.param([busy(), OllamaResponseError("boom", 500)], FAST, False, 2, [0.5], id="503-then-500"),
    pytest.param([busy(RETRY_AFTER_CAP + 1)], FAST, False, 1, [], id="retry-after-above-cap"),
    pytest.param([_timeout("read")], FAST, False, 1, [], id="read-timeout-unsafe"),
    pytest.param([_timeout("read"), _timeout("read"), "ok"], FAST, True, 3, [0.5, 1.0], id="read-timeout-idempotent"),
    pytest.param([OllamaStreamError("oom")], FAST, True, 1, [], id="stream-error"),
    pytest.param([refused()], RetryPolicy(max_attempts=1), True, 1, [], id="retries-disabled"),
    pytest.param(["ok"], FAST, False, 1, [], id="first-try"),
]  # fmt: skip


def _check(run: Run, script: Sequence[object], calls: int, delays: list[float]) -> None:
    assert run.calls == calls
    assert run.delays == delays
    assert [(a, d) for a, _, d in run.notified] == [(i + 1, d) for i, d in enumerate(delays)]
    final = script[calls - 1]
    if isinstance(final, BaseException):
        assert run.error is final, "the last exception is re-raised as is, not wrapped"
        assert isinstance(final, OllamaServiceError)
        assert final.attempts == calls
    else:
        assert run.error is None
        assert run.result == final


@pytest.mark.parametrize(("script", "policy", "idempotent", "calls", "delays"), SCENARIOS)
def test_retrying(
    script: list[object], policy: RetryPolicy, idempotent: bool, calls: int, delays: list[float]
) -> None:
    """The sync loop retries per policy, sleeps the computed delays, stamps .attempts."""
    script = copy.deepcopy(script)
    run = Run()
    try:
        for attempt in retrying(
            policy,
            idempotent=idempotent,
            on_retry=run.on_retry,
            sleep=run.delays.append,
            rand=lambda: 0.0,
        ):
            with attempt:
                run.result = run.step(script)
    except BaseException as exc:
        run.error = exc
    _check(run, script, calls, delays)


@pytest.mark.anyio
@pytest.mark.parametrize(("script", "policy", "idempotent", "calls", "delays"), SCENARIOS)
async def test_async_retrying(
    script: list[object], policy: RetryPolicy, idempotent: bool, calls: int, delays: list[float]
) -> None:
    """The async loop behaves exactly like the sync one."""
    script = copy.deepcopy(script)
    run = Run()

    async def sleep(seconds: float) -> None:
        run.delays.append(seconds)

    try:
        async for attempt in async_retrying(
            policy, idempotent=idempotent, on_retry=run.on_retry, sleep=sleep, rand=lambda: 0.0
        ):
            with attempt:
                run.result = run.step(script)
    except BaseException as exc:
        run.error = exc
    _check(run, script, calls, delays)


def test_retrying_notifies_with_the_exception() -> None:
    """on_retry gets the failed attempt, its exception and the coming delay."""
    run = Run()
    script: list[object] = [busy(3.0), refused(), "ok"]
    for attempt in retrying(
        FAST, idempotent=False, on_retry=run.on_retry, sleep=run.delays.append, rand=lambda: 1.0
    ):
        with attempt:
            run.result = run.step(script)
    assert run.notified == [(1, "OllamaServerBusyError", 3.0), (2, "OllamaConnectionError", 2.0)]


def test_retrying_without_on_retry() -> None:
    """on_retry is optional."""
    delays: list[float] = []
    script: list[object] = [refused(), "ok"]
    run = Run()
    for attempt in retrying(FAST, idempotent=False, sleep=delays.append, rand=lambda: 0.0):
        with attempt:
            run.result = run.step(script)
    assert run.result == "ok"
    assert delays == [0.5]


def test_retrying_lets_foreign_exceptions_through_once() -> None:
    """A bug in the wrapped code is raised at once, unchanged."""
    run = Run()

    def divide() -> None:
        for attempt in retrying(FAST, idempotent=True, sleep=run.delays.append):
            with attempt:
                run.calls += 1
                _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        divide()
    assert run.calls == 1
    assert run.delays == []


@pytest.mark.anyio
async def test_async_retrying_default_sleep() -> None:
    """Without an injected sleep, tenacity's own async sleep is kept."""
    result = None
    async for attempt in async_retrying(FAST, idempotent=True):
        with attempt:
            result = "ok"
    assert result == "ok"


def test_each_call_gets_a_fresh_loop() -> None:
    """Two requests never share attempt counts."""
    first = retrying(FAST, idempotent=True)
    second = retrying(FAST, idempotent=True)
    assert first is not second


# --- Per-operation budgets (the spec's x-max-retries) ------------------------------------------


@pytest.mark.parametrize(
    ("max_retries", "op_budget", "attempts"),
    [
        (None, None, 3),  # the default: 2 retries
        (None, 1, 2),  # pull's own budget applies while the caller sets none
        (None, 5, 3),  # an operation's budget never raises the client's
        (0, 1, 1),
        (4, 1, 5),  # an explicit max_retries applies to every operation
        (4, None, 5),
    ],
)
def test_client_retries_for_operation(
    max_retries: int | None, op_budget: int | None, attempts: int
) -> None:
    from ollama_service._retry import client_retries

    assert client_retries(max_retries).for_operation(op_budget).max_attempts == attempts


def test_pull_budget_comes_from_the_spec() -> None:
    from ollama_service._retry import client_retries
    from ollama_service.types._operations import OPERATIONS, PULL

    assert PULL.max_retries == 1
    assert [name for name, op in OPERATIONS.items() if op.max_retries is not None] == ["pull"]
    assert client_retries(None).for_operation(PULL.max_retries).max_attempts == 2
