"""The optional total deadline of a call: pure arithmetic on the monotonic clock.

httpx bounds each phase (connect, each write, each read, the pool wait), so a server that
trickles bytes, or answers each retry just in time, can hold a call for ever. A deadline
bounds the whole call: connect, send and read of a whole reply (retries and their backoff
included), or the time to a stream's first item.

The async client enforces it with a cancel scope (`_twins.async_deadline`), which interrupts
any await. Blocking code cannot be interrupted, so the sync client caps every bound it hands
to httpx at the time left (`cap_timeout`), checks the clock after every chunk it reads, and
shortens retry backoffs to the time left. The expiry of the call in progress is kept in a
context variable (`bounded`, `current`), so the retry layer's sleep can read it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Generator
from contextvars import ContextVar
from typing import Final

import httpx

__all__ = [
    "DeadlineExpired",
    "bounded",
    "cap_timeout",
    "current",
    "expired",
    "expiry",
    "remaining",
]

_EXPIRES: Final[ContextVar[float | None]] = ContextVar("ollama_service_deadline", default=None)


class DeadlineExpired(Exception):
    """The call's deadline passed; the client turns this into `OllamaTimeoutError`."""


def expiry(seconds: float | None, *, now: float | None = None) -> float | None:
    """The monotonic time at which a deadline of `seconds` from now passes (None: never)."""
    if seconds is None:
        return None
    return (time.monotonic() if now is None else now) + seconds


def remaining(expires: float, *, now: float | None = None) -> float:
    """Seconds left before `expires`, never below zero."""
    return max(0.0, expires - (time.monotonic() if now is None else now))


def expired(expires: float | None, *, now: float | None = None) -> bool:
    """Whether `expires` has passed (never, for None)."""
    return expires is not None and remaining(expires, now=now) <= 0.0


def current() -> float | None:
    """The expiry of the sync call in progress in this context, if it has one."""
    return _EXPIRES.get()


@contextlib.contextmanager
def bounded(expires: float | None) -> Generator[None, None, None]:
    """Make `expires` the current expiry inside the block (an outer, earlier one wins)."""
    outer = _EXPIRES.get()
    if expires is None or (outer is not None and outer <= expires):
        yield
        return
    token = _EXPIRES.set(expires)
    try:
        yield
    finally:
        _EXPIRES.reset(token)


def _cap(bound: float | None, left: float) -> float:
    return left if bound is None else min(bound, left)


def cap_timeout(
    timeout: httpx.Timeout, expires: float | None, *, now: float | None = None
) -> httpx.Timeout:
    """httpx's four bounds, each cut to the time left before `expires`.

    Args:
        timeout: The bounds the call would use without a deadline.
        expires: The call's expiry (None: no deadline; `timeout` is returned as is).
        now: The current monotonic time (tests pin it).

    Returns:
        The capped bounds.

    Raises:
        DeadlineExpired: No time is left.
    """
    if expires is None:
        return timeout
    left = remaining(expires, now=now)
    if left <= 0.0:
        raise DeadlineExpired
    return httpx.Timeout(
        connect=_cap(timeout.connect, left),
        read=_cap(timeout.read, left),
        write=_cap(timeout.write, left),
        pool=_cap(timeout.pool, left),
    )
