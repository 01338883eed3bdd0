"""The few sync/async twins that a token rename cannot express.

The async client calls only the `async`-flavoured names below; `codegen/unasync_rules.py`
maps each to its sync twin when `_sync/` is generated. Keeping every such pair here means the
async source never spells `asyncio` or `httpx.AsyncClient` directly, so the sync twin cannot end
up with an un-awaited coroutine.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from ollama_service._constants import FILE_CHUNK_BYTES

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "AsyncHTTPClient",
    "HTTPClient",
    "async_iter_file",
    "async_release_abandoned",
    "iter_file",
    "release_abandoned",
]

AsyncHTTPClient = httpx.AsyncClient
HTTPClient = httpx.Client

# Tasks closing abandoned async streams; held so the event loop does not drop them early.
_closing: set[asyncio.Task[None]] = set()


async def async_iter_file(path: Path) -> AsyncIterator[bytes]:
    """Yield a file's bytes in chunks (the reads are short, local and unbuffered by us)."""
    with path.open("rb") as fh:
        while chunk := fh.read(FILE_CHUNK_BYTES):
            yield chunk


def iter_file(path: Path) -> Iterator[bytes]:
    """Yield a file's bytes in chunks."""
    with path.open("rb") as fh:
        while chunk := fh.read(FILE_CHUNK_BYTES):
            yield chunk


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
