"""A failed upload holds nothing: no file handle, no socket, no reference cycle.

`create_blob` of a 50 MB file against a server that resets the upload used to leave two
descriptors open after the call (with retries on) until the garbage collector ran: the retried
failure and its traceback kept the attempts' frames, and their upload generators, alive. Here
the collector is off for the whole call, and the process's descriptors are counted before and
after; the blob file itself must not be open either.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

from ollama_service import OllamaConnectionError, OllamaRequestError

from ._support import Api, AsyncWaitIdle, CountingServer

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="descriptors read from /proc"),
]

SIZE = 50 * 1024 * 1024


@pytest.fixture(scope="module")
def blob_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("blobs") / "model.gguf"
    with path.open("wb") as fh:
        chunk = os.urandom(1024 * 1024)
        for _ in range(SIZE // len(chunk)):
            fh.write(chunk)
    return path


def open_descriptors() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            found[name] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:  # closed while listing (the listing's own descriptor)
            continue
    return found


@pytest.mark.parametrize("retries", [0, 2])
async def test_failed_upload_leaves_no_descriptor_open_with_the_collector_off(
    async_wait_idle: AsyncWaitIdle, retries: int, reset_uploads: CountingServer, blob_file: Path
) -> None:
    gc.collect()
    before = open_descriptors()
    gc.disable()
    try:
        async with Api("client", reset_uploads.base_url, max_retries=retries, timeout=30.0) as api:
            with pytest.raises(OllamaConnectionError) as info:
                await api.client.create_blob(blob_file)
            assert info.value.attempts == retries + 1
            del info
        assert await async_wait_idle(reset_uploads)
        after = open_descriptors()
    finally:
        gc.enable()
    leaked = {fd: target for fd, target in after.items() if before.get(fd) != target}
    assert str(blob_file) not in after.values()
    assert leaked == {}
    # One HEAD, then one POST per attempt (uploads are retried: the digest makes them safe).
    assert reset_uploads.stats.requests_handled == 1 + (retries + 1)


async def test_missing_file_is_a_request_error(tmp_path: Path) -> None:
    async with Api("client", "http://127.0.0.1:9") as api:
        with pytest.raises(OllamaRequestError, match="file not found"):
            await api.client.create_blob(tmp_path / "nope.gguf")
