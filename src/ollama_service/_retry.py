"""The retry policy: when to retry and how long to wait.

The policy is conservative because Ollama's work is expensive: a retried
generation runs the model again. So we retry only what cannot have done work,
or what is safe to repeat:

- failures before the request left (refused, DNS, connect or pool timeout);
- 429 and 503, where the server refused before processing;
- for idempotent requests also 502, 504, dropped connections and read or write
  timeouts;
- never a plain 500 (Ollama uses it for deterministic failures such as a model
  that cannot load), another 4xx, an error inside a stream, a decode error
  (corrupt compression and over-large replies included), a redirect loop, or
  a call past its total deadline.

A ``Retry-After`` is honoured exactly, and one above the cap means "give up".
The decisions are pure functions, tested with tables, and this module never
imports tenacity: ``_retry_loop`` runs the loops, and ``_tenacity`` (which depends
on this policy, never the reverse) adapts the policy to tenacity's hooks.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Final

from ._constants import (
    DEFAULT_MAX_ATTEMPTS,
    PRE_PROCESSING_STATUSES,
    RETRY_AFTER_CAP,
    RETRY_MAX_BACKOFF,
    RETRY_MIN_BACKOFF,
    RETRYABLE_STATUSES,
)
from ._errors import (
    OllamaConnectionError,
    OllamaRequestError,
    OllamaResponseError,
    OllamaStreamError,
    OllamaTimeoutError,
)

__all__ = [
    "ClientRetries",
    "OnRetry",
    "RetryPolicy",
    "backoff_delay",
    "client_retries",
    "is_retryable_status",
    "parse_retry_after",
    "should_retry",
]

OnRetry = Callable[[int, BaseException, float], None]
"""Called before each sleep with (failed attempt number, its exception, the delay)."""

_DELTA_SECONDS: Final = re.compile(r"\d+(?:\.\d+)?")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Read a ``Retry-After`` header as a number of seconds to wait.

    Args:
        value: The header value: delay-seconds (integer, or a decimal as some
            servers send) or an HTTP date.
        now: The current time, for dates; defaults to the clock (tests pin it).

    Returns:
        Seconds to wait (0.0 for a date in the past), or None when the header
        is absent, negative or unreadable, so the normal backoff applies.
    """
    if value is None:
        return None
    text = value.strip()
    if _DELTA_SECONDS.fullmatch(text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now if now is not None else datetime.now(timezone.utc)
    if current.tzinfo is None:
        current = current.replace(tzinfo=timezone.utc)
    return max(0.0, (when - current).total_seconds())


def is_retryable_status(status: int, *, idempotent: bool) -> bool:
    """Whether an HTTP error status is worth another attempt.

    Args:
        status: The HTTP status.
        idempotent: Whether repeating the request is harmless.

    Returns:
        True for 429 and 503 (refused before any work), for 502 and 504 only
        when idempotent (a proxy may have forwarded it), False otherwise.
    """
    if status not in RETRYABLE_STATUSES:
        return False
    return idempotent or status in PRE_PROCESSING_STATUSES


def should_retry(
    exc: BaseException, *, idempotent: bool, max_retry_after: float = RETRY_AFTER_CAP
) -> bool:
    """Whether a failed attempt should be tried again.

    Args:
        exc: What the attempt raised.
        idempotent: Whether repeating the request is harmless.
        max_retry_after: The longest ``Retry-After`` we are willing to wait.

    Returns:
        True when another attempt is safe and may succeed.
    """
    if isinstance(exc, OllamaTimeoutError):
        if exc.phase == "deadline":
            return False  # the call's whole time is spent
        return exc.phase in ("connect", "pool") or idempotent
    if isinstance(exc, OllamaConnectionError):
        return idempotent or not exc.sent
    if isinstance(exc, OllamaStreamError):
        return False
    if isinstance(exc, OllamaResponseError):
        if not is_retryable_status(exc.status_code, idempotent=idempotent):
            return False
        return exc.retry_after is None or exc.retry_after <= max_retry_after
    return False


def backoff_delay(
    attempt: int,
    *,
    min_backoff: float,
    max_backoff: float,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after a failed attempt.

    Exponential backoff with "equal jitter": half of the step is fixed, so
    waits still grow, and half is random, so many clients do not retry in step.

    Args:
        attempt: The attempt that just failed, starting at 1.
        min_backoff: The first step.
        max_backoff: The ceiling of the step.
        retry_after: The server's ``Retry-After``; when given it is returned
            as is, because the server said when it will be ready.
        rand: Source of uniform numbers in [0, 1); tests pass a constant.

    Returns:
        The delay in seconds.

    Raises:
        ValueError: If ``attempt`` is below 1.
    """
    if attempt < 1:
        raise ValueError(f"attempt numbers start at 1, got {attempt}")
    if retry_after is not None:
        return retry_after
    try:
        step = min(max_backoff, min_backoff * 2.0 ** (attempt - 1))
    except OverflowError:
        step = max_backoff
    half = step / 2
    return half + half * rand()


def _check_seconds(name: str, value: float) -> None:
    if math.isnan(value) or value < 0:
        raise OllamaRequestError(f"{name} must be a non-negative number of seconds, got {value!r}")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    Attributes:
        max_attempts: Total attempts including the first (1 disables retries).
        min_backoff: First backoff step in seconds.
        max_backoff: Ceiling of the backoff step in seconds.
        max_retry_after: Longest ``Retry-After`` worth waiting for; a longer
            one makes the error final.
    """

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    min_backoff: float = RETRY_MIN_BACKOFF
    max_backoff: float = RETRY_MAX_BACKOFF
    max_retry_after: float = RETRY_AFTER_CAP

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or self.max_attempts < 1:
            raise OllamaRequestError(f"max_attempts must be at least 1, got {self.max_attempts!r}")
        _check_seconds("min_backoff", self.min_backoff)
        _check_seconds("max_backoff", self.max_backoff)
        _check_seconds("max_retry_after", self.max_retry_after)
        if self.min_backoff > self.max_backoff:
            raise OllamaRequestError(
                f"min_backoff ({self.min_backoff!r}) must not exceed "
                f"max_backoff ({self.max_backoff!r})"
            )

    @property
    def max_retries(self) -> int:
        """Retries after the first attempt, the number the public API speaks of."""
        return self.max_attempts - 1

    @classmethod
    def from_max_retries(
        cls,
        max_retries: int,
        *,
        min_backoff: float = RETRY_MIN_BACKOFF,
        max_backoff: float = RETRY_MAX_BACKOFF,
        max_retry_after: float = RETRY_AFTER_CAP,
    ) -> RetryPolicy:
        """Build a policy from the public ``max_retries`` count.

        Args:
            max_retries: Retries after the first attempt (0 disables retries).
            min_backoff: First backoff step in seconds.
            max_backoff: Ceiling of the backoff step in seconds.
            max_retry_after: Longest ``Retry-After`` worth waiting for.

        Returns:
            The policy with ``max_attempts = max_retries + 1``.

        Raises:
            OllamaRequestError: If ``max_retries`` is negative or a bound is invalid.
        """
        if isinstance(max_retries, bool) or max_retries < 0:
            raise OllamaRequestError(f"max_retries must be 0 or more, got {max_retries!r}")
        return cls(
            max_attempts=max_retries + 1,
            min_backoff=min_backoff,
            max_backoff=max_backoff,
            max_retry_after=max_retry_after,
        )

    def with_attempts(self, max_attempts: int) -> RetryPolicy:
        """Copy the policy with another attempt count (pulls use fewer).

        Args:
            max_attempts: Total attempts including the first.

        Returns:
            A new, validated policy.
        """
        return replace(self, max_attempts=max_attempts)


@dataclass(frozen=True)
class ClientRetries:
    """A client's retry settings: its policy, and whether the caller chose the retry count.

    An operation may carry a smaller budget of its own in the spec (`x-max-retries`, e.g. pull:
    long and resumable); it applies only while the caller has not set `max_retries`.
    """

    policy: RetryPolicy
    explicit: bool

    def for_operation(self, max_retries: int | None) -> RetryPolicy:
        """The policy for an operation whose own budget is `max_retries` (None: no own budget)."""
        if max_retries is None or self.explicit:
            return self.policy
        return self.policy.with_attempts(min(max_retries + 1, self.policy.max_attempts))


def client_retries(
    max_retries: int | None,
    *,
    min_backoff: float | None = None,
    max_backoff: float | None = None,
) -> ClientRetries:
    """Return a client's retry settings from its public ones.

    Raises:
        OllamaRequestError: A negative count or an invalid backoff bound (named).
    """
    policy = RetryPolicy(
        min_backoff=RETRY_MIN_BACKOFF if min_backoff is None else min_backoff,
        max_backoff=RETRY_MAX_BACKOFF if max_backoff is None else max_backoff,
    )
    if max_retries is None:
        return ClientRetries(policy, explicit=False)
    if isinstance(max_retries, bool) or max_retries < 0:
        raise OllamaRequestError(f"max_retries must be 0 or more, got {max_retries!r}")
    return ClientRetries(policy.with_attempts(max_retries + 1), explicit=True)
