"""The few sync/async twins that a token rename cannot express.

The async client calls only the `async`-flavoured names below; `codegen/unasync_rules.py`
maps each to its sync twin when `_sync/` is generated. Keeping every such pair here means the
async source never spells `asyncio` or `httpx.AsyncClient` directly, so the sync twin cannot end
up with an un-awaited coroutine.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
import weakref
from collections.abc import AsyncGenerator, Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

import httpx

from ollama_service._constants import FILE_CHUNK_BYTES
from ollama_service._deadline import DeadlineExpired, bounded, remaining
from ollama_service._errors import OllamaFileNotFoundError, OllamaRequestError

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "AsyncHTTPClient",
    "AsyncLoopPools",
    "AsyncUpload",
    "HTTPClient",
    "LoopPools",
    "Upload",
    "async_deadline",
    "async_default_transport",
    "async_file_digest",
    "async_iter_file",
    "async_release_abandoned",
    "deadline",
    "default_transport",
    "file_digest",
    "iter_file",
    "release_abandoned",
]

AsyncHTTPClient = httpx.AsyncClient
HTTPClient = httpx.Client

# A request body produced piece by piece; the client closes it after every attempt.
AsyncUpload = AsyncGenerator[bytes, None]
Upload = Generator[bytes, None, None]

# Tasks closing abandoned async streams; held so the event loop does not drop them early.
_closing: set[asyncio.Task[None]] = set()


# --- Files -------------------------------------------------------------------------------
# The async twins do every open, read and hash in a worker thread, one chunk per hop, so a
# multi-gigabyte blob never blocks the event loop; the sync twins do the same work in place.


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise OllamaFileNotFoundError(
            f"create_blob: file not found: {str(path)!r}", str(path)
        ) from None
    except OSError as exc:
        raise OllamaRequestError(f"create_blob: cannot read {str(path)!r}: {exc}") from exc


def _read(fh: BinaryIO, path: Path) -> bytes:
    try:
        return fh.read(FILE_CHUNK_BYTES)
    except OSError as exc:
        raise OllamaRequestError(f"create_blob: cannot read {str(path)!r}: {exc}") from exc


class _Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...


def _hash_chunk(fh: BinaryIO, path: Path, digest: _Digest) -> bool:
    chunk = _read(fh, path)
    digest.update(chunk)
    return bool(chunk)


async def async_file_digest(path: Path) -> str:
    """Hash a file in chunks, in a worker thread, and return `sha256:<hex>`.

    Raises:
        OllamaRequestError: The file does not exist or cannot be read.
    """
    import anyio.to_thread

    digest = hashlib.sha256()
    fh = await anyio.to_thread.run_sync(_open, path)
    try:
        while await anyio.to_thread.run_sync(_hash_chunk, fh, path, digest):
            pass
    finally:
        fh.close()
    return "sha256:" + digest.hexdigest()


def file_digest(path: Path) -> str:
    """Hash a file in chunks and return `sha256:<hex>`."""
    digest = hashlib.sha256()
    with _open(path) as fh:
        while _hash_chunk(fh, path, digest):
            pass
    return "sha256:" + digest.hexdigest()


async def async_iter_file(path: Path) -> AsyncGenerator[bytes, None]:
    """Yield a file's bytes in chunks, each read in a worker thread.

    The caller closes the generator when the upload ends (`aclose()`), whatever happened, so
    the file never stays open waiting for the garbage collector.
    """
    import anyio.to_thread

    fh = await anyio.to_thread.run_sync(_open, path)
    try:
        while chunk := await anyio.to_thread.run_sync(_read, fh, path):
            yield chunk
    finally:
        fh.close()


def iter_file(path: Path) -> Generator[bytes, None, None]:
    """Yield a file's bytes in chunks; the caller closes the generator when done."""
    with _open(path) as fh:
        while chunk := _read(fh, path):
            yield chunk


# --- Deadlines ---------------------------------------------------------------------------


@contextlib.contextmanager
def async_deadline(expires: float | None) -> Generator[None, None, None]:
    """Cancel the block when the monotonic clock passes `expires`; raise `DeadlineExpired`.

    A cancel scope interrupts any await (connect, send, a server trickling bytes), so the
    bound is exact. None means no bound.
    """
    if expires is None:
        yield
        return
    import anyio

    with anyio.move_on_after(remaining(expires)) as scope:
        yield
    if scope.cancelled_caught:
        raise DeadlineExpired


@contextlib.contextmanager
def deadline(expires: float | None) -> Generator[None, None, None]:
    """Bound the blocking block by `expires`: every socket wait is capped (see `_deadline`)."""
    with bounded(expires):
        yield


def async_release_abandoned(response: httpx.Response) -> None:
    """Close a response whose stream was garbage-collected unconsumed.

    Finalizers cannot await, so the close is scheduled on the running loop. Without a running
    loop there is nothing to schedule on; the loop's own shutdown closes its transports.
    """
    import asyncio  # only async code reaches here, and it has imported asyncio already

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    task = loop.create_task(response.aclose())
    _closing.add(task)
    task.add_done_callback(_closing.discard)


def release_abandoned(response: httpx.Response) -> None:
    """Close a response whose stream was garbage-collected unconsumed."""
    response.close()


# --- Transports --------------------------------------------------------------------------

# Client settings that configure httpx's default transport rather than the client.
_TRANSPORT_SETTINGS = ("verify", "cert", "trust_env", "http1", "http2")


def async_default_transport(
    transport: httpx.AsyncBaseTransport | None,
    limits: httpx.Limits,
    settings: dict[str, Any],
) -> httpx.AsyncBaseTransport | None:
    """The transport of a client we create: the caller's, else httpx's default (None)."""
    return transport


def default_transport(
    transport: httpx.BaseTransport | None,
    limits: httpx.Limits,
    settings: dict[str, Any],
) -> httpx.BaseTransport | None:
    """The caller's transport, else httpx's own with socket waits bounded by the deadline."""
    if transport is not None or "mounts" in settings or "uds" in settings:
        return transport
    from ollama_service._deadline_transport import deadline_transport

    options = {name: settings[name] for name in _TRANSPORT_SETTINGS if name in settings}
    return deadline_transport(limits=limits, **options)


# --- Pools and event loops ---------------------------------------------------------------


def _running_loop() -> object | None:
    """The running asyncio loop, or None (no loop, or another library such as trio)."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:  # pragma: no cover - async code runs under asyncio or trio
        return None
    try:
        loop: object = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return loop


async def _close_with_loop(pool: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    """Suspended for the life of its loop; `asyncio.run()` closes it (`shutdown_asyncgens`)
    while the loop still runs, which closes the loop's pool and its sockets."""
    try:
        yield
    finally:
        await pool.aclose()


class AsyncLoopPools:
    """One httpx pool per asyncio event loop, created on demand.

    An async pool's connections belong to the loop that opened them: used from a second loop
    (two `asyncio.run()` calls in one script), they fail with `Event loop is closed`. The
    client's own pool serves the loop it is first used on; any other loop gets a pool of its
    own, built with the same settings. Each pool is closed when its loop shuts down (an
    async generator `asyncio.run()` finalizes), so no socket outlives its loop. A pool
    passed in by the caller (`factory` None) is always used as is.
    """

    def __init__(
        self, primary: httpx.AsyncClient, factory: Callable[[], httpx.AsyncClient] | None
    ) -> None:
        self.primary = primary
        self._factory = factory
        self._home: weakref.ref[object] | None = None
        # loop -> (its pool, the generator that closes the pool with the loop)
        self._pools: weakref.WeakKeyDictionary[
            object, tuple[httpx.AsyncClient, AsyncGenerator[None, None]]
        ] = weakref.WeakKeyDictionary()

    def get(self) -> httpx.AsyncClient | None:
        """The pool of the running loop, or None when `attach` must make it first."""
        if self._factory is None:
            return self.primary
        loop = _running_loop()
        if loop is None:
            return self.primary
        entry = self._pools.get(loop)
        return None if entry is None else entry[0]

    async def attach(self) -> httpx.AsyncClient:
        """Make the pool of the running loop (the client's own on the first loop)."""
        loop = _running_loop()
        assert loop is not None
        assert self._factory is not None
        if self._home is None:
            self._home = weakref.ref(loop)
            pool = self.primary
        else:
            pool = self._factory()
        closer = _close_with_loop(pool)
        await closer.__anext__()
        self._pools[loop] = (pool, closer)
        return pool

    async def aclose(self) -> None:
        """Close the running loop's pool and the client's own; other loops close theirs
        when they shut down."""
        current = _running_loop()
        entry = self._pools.pop(current, None) if current is not None else None
        if entry is not None:
            await entry[0].aclose()
        if self._home is None or self._home() is current:
            await self.primary.aclose()


class LoopPools:
    """The sync twin of `AsyncLoopPools`: one pool, used from any thread."""

    def __init__(self, primary: httpx.Client, factory: Callable[[], httpx.Client] | None) -> None:
        self.primary = primary

    def get(self) -> httpx.Client:
        """The pool."""
        return self.primary

    def attach(self) -> httpx.Client:
        """The pool (there is nothing to attach without event loops)."""
        return self.primary

    def close(self) -> None:
        """Close the pool."""
        self.primary.close()
