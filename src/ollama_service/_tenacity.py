"""The tenacity side of the retry policy: the objects both clients loop over.

Imported on the first retry only (see `_retry_loop.retrying`), because tenacity and the asyncio it
imports are not needed by calls that succeed on their first attempt.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from typing import TypedDict

import tenacity
from tenacity.retry import retry_base
from tenacity.stop import stop_after_attempt
from tenacity.wait import wait_base

from ._errors import OllamaResponseError, OllamaServiceError
from ._retry import OnRetry, RetryPolicy, backoff_delay, should_retry

__all__ = ["build_async_retrying", "build_retrying"]


class _RetryIfShould(retry_base):
    """tenacity's retry predicate: ``should_retry``, plus attempt bookkeeping.

    It runs after every attempt, including the last and any that fails with a
    non-retryable error, which makes it the one hook that can stamp
    ``.attempts`` on whatever exception is finally raised (tenacity's ``after``
    runs only when another attempt follows).
    """

    def __init__(self, *, idempotent: bool, max_retry_after: float) -> None:
        self._idempotent = idempotent
        self._max_retry_after = max_retry_after

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        outcome = retry_state.outcome
        if outcome is None or not outcome.failed:
            return False
        exc = outcome.exception()
        if exc is None:
            return False
        if isinstance(exc, OllamaServiceError):
            exc.attempts = retry_state.attempt_number
        return should_retry(exc, idempotent=self._idempotent, max_retry_after=self._max_retry_after)


class _WaitBackoff(wait_base):
    """tenacity's wait: the server's ``Retry-After`` if it sent one, else backoff."""

    def __init__(self, policy: RetryPolicy, rand: Callable[[], float]) -> None:
        self._policy = policy
        self._rand = rand

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None and outcome.failed else None
        retry_after = exc.retry_after if isinstance(exc, OllamaResponseError) else None
        return backoff_delay(
            retry_state.attempt_number,
            min_backoff=self._policy.min_backoff,
            max_backoff=self._policy.max_backoff,
            retry_after=retry_after,
            rand=self._rand,
        )


class _RetryKwargs(TypedDict):
    stop: stop_after_attempt
    retry: retry_base
    wait: wait_base
    before_sleep: Callable[[tenacity.RetryCallState], None] | None
    reraise: bool


def _notifier(on_retry: OnRetry) -> Callable[[tenacity.RetryCallState], None]:
    def before_sleep(retry_state: tenacity.RetryCallState) -> None:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        action = retry_state.next_action
        delay = action.sleep if action is not None else 0.0
        if exc is not None:
            on_retry(retry_state.attempt_number, exc, delay)

    return before_sleep


def _retry_kwargs(
    policy: RetryPolicy,
    *,
    idempotent: bool,
    on_retry: OnRetry | None,
    rand: Callable[[], float],
) -> _RetryKwargs:
    """The arguments shared by the sync and async retrying objects."""
    return _RetryKwargs(
        stop=stop_after_attempt(policy.max_attempts),
        retry=_RetryIfShould(idempotent=idempotent, max_retry_after=policy.max_retry_after),
        wait=_WaitBackoff(policy, rand),
        before_sleep=_notifier(on_retry) if on_retry is not None else None,
        reraise=True,
    )


def build_retrying(
    policy: RetryPolicy,
    *,
    idempotent: bool,
    on_retry: OnRetry | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
) -> tenacity.Retrying:
    """See `_retry_loop.retrying`."""
    kwargs = _retry_kwargs(policy, idempotent=idempotent, on_retry=on_retry, rand=rand)
    return tenacity.Retrying(sleep=sleep, **kwargs)


def build_async_retrying(
    policy: RetryPolicy,
    *,
    idempotent: bool,
    on_retry: OnRetry | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    rand: Callable[[], float] = random.random,
) -> tenacity.AsyncRetrying:
    """See `_retry_loop.async_retrying`."""
    kwargs = _retry_kwargs(policy, idempotent=idempotent, on_retry=on_retry, rand=rand)
    if sleep is None:
        return tenacity.AsyncRetrying(**kwargs)
    return tenacity.AsyncRetrying(sleep=sleep, **kwargs)
