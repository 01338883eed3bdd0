"""The retry loops both clients run after a first attempt fails, and what they leave behind.

The first attempt of every call runs without tenacity (see ``_async/client.py``); only after a
failure worth retrying does the client enter ``async_retrying`` (sync: ``retrying``), which
imports ``_tenacity``, and with it tenacity and the asyncio it pulls in, on first use. So most
processes never import tenacity. The decisions inside the loop are ``_retry``'s pure policy.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

from ._deadline import current as current_deadline, remaining
from ._retry import OnRetry, RetryPolicy

if TYPE_CHECKING:
    import tenacity

__all__ = ["async_retrying", "release_frames", "retrying"]


# Modules whose finished frames a failure of ours may pass through; the caller's own frames
# (an exception they were handling is our failure's `__context__`) are never touched.
_OWN_FRAMES: Final = (
    "ollama_service",
    "httpx",
    "httpcore",
    "h11",
    "h2",
    "anyio",
    "sniffio",
    "tenacity",
    "asyncio",
    "concurrent",
    "contextlib",
    "socket",
    "ssl",
    "selectors",
)


def release_frames(exc: BaseException) -> None:
    """Clear the local variables of the finished frames a failure passed through.

    A failure that was retried is kept (tenacity replays it, stores it in its state, chains
    it), and an exception's traceback holds the frames it passed through, whose locals hold
    the exception and the retry state again: reference cycles, which keep the attempts'
    sockets and upload files open until the garbage collector runs, or for ever with it
    off. Tracebacks still print in full; only the variables of finished frames of this
    package and its transport are dropped (running frames and the caller's are kept).

    Args:
        exc: The exception about to leave the client; its causes and contexts are cleared
            too.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        tb = current.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            module = str(frame.f_globals.get("__name__", ""))
            if module.partition(".")[0] in _OWN_FRAMES:
                # A frame still running (our caller's) raises, and is kept.
                with contextlib.suppress(RuntimeError):
                    frame.clear()
            tb = tb.tb_next
        current = current.__cause__ or current.__context__


def _sleep_within_deadline(seconds: float) -> None:
    """`time.sleep`, cut to the time left before the current call's deadline."""
    expires = current_deadline()
    time.sleep(seconds if expires is None else min(seconds, remaining(expires)))


def retrying(
    policy: RetryPolicy,
    *,
    idempotent: bool,
    on_retry: OnRetry | None = None,
    sleep: Callable[[float], None] = _sleep_within_deadline,
    rand: Callable[[], float] = random.random,
) -> tenacity.Retrying:
    """A tenacity loop applying ``policy`` to a blocking call.

    Use as ``for attempt in retrying(...): with attempt: ...``. The last
    exception is re-raised as is (not wrapped in ``RetryError``), with
    ``.attempts`` set to the number of attempts made.

    Args:
        policy: Attempt count and backoff bounds.
        idempotent: Whether repeating the request is harmless.
        on_retry: Called before each sleep with (attempt, exception, delay).
        sleep: How to wait; tests pass a recorder so nothing really sleeps.
        rand: Jitter source; tests pass a constant.

    Returns:
        A fresh ``tenacity.Retrying``.
    """
    from ._tenacity import build_retrying

    return build_retrying(policy, idempotent=idempotent, on_retry=on_retry, sleep=sleep, rand=rand)


def async_retrying(
    policy: RetryPolicy,
    *,
    idempotent: bool,
    on_retry: OnRetry | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    rand: Callable[[], float] = random.random,
) -> tenacity.AsyncRetrying:
    """A tenacity loop applying ``policy`` to an async call.

    Use as ``async for attempt in async_retrying(...): with attempt: ...``.
    Same behaviour as ``retrying``.

    Args:
        policy: Attempt count and backoff bounds.
        idempotent: Whether repeating the request is harmless.
        on_retry: Called before each sleep with (attempt, exception, delay).
        sleep: How to wait; None keeps tenacity's own async sleep. Tests pass
            a recorder so nothing really sleeps.
        rand: Jitter source; tests pass a constant.

    Returns:
        A fresh ``tenacity.AsyncRetrying``.
    """
    from ._tenacity import build_async_retrying

    return build_async_retrying(
        policy, idempotent=idempotent, on_retry=on_retry, sleep=sleep, rand=rand
    )
