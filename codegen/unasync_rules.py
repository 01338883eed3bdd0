"""The one table of async → sync renames that unasync applies.

unasync already drops `async`/`await` and renames `__aenter__`, `__aiter__`, `AsyncIterator`
and friends; this table adds only what it cannot guess. Every entry must be used by some
source file (the generator checks), so stale rules cannot pile up. Anything a token rename
cannot express belongs in `src/ollama_service/_compat.py`, never here.
"""

from __future__ import annotations

from typing import Final

# (source folder, generated folder), relative to the repository root.
TREES: Final[tuple[tuple[str, str], ...]] = (
    ("src/ollama_service/_async", "src/ollama_service/_sync"),
    ("tests/_async", "tests/_sync"),
    ("tests/reliability/_async", "tests/reliability/_sync"),
    ("tests/scaleout/_async", "tests/scaleout/_sync"),
)

REPLACEMENTS: Final[dict[str, str]] = {
    # Public class names: default unasync would produce `SyncClient`, `SyncStream`, ...
    "AsyncClient": "Client",
    "AsyncStream": "Stream",
    "OllamaService": "SyncOllamaService",
    "AsyncTextStream": "TextStream",
    # httpx's twins, named through the shim so the source never spells `httpx.AsyncClient`.
    "AsyncHTTPClient": "HTTPClient",
    "AsyncBaseTransport": "BaseTransport",
    "aiter_bytes": "iter_bytes",
    "aiter_raw": "iter_raw",
    "aclose": "close",
    # The shim's twins (see src/ollama_service/_compat.py) and the retry layer's tenacity loop.
    "async_iter_file": "iter_file",
    "async_file_digest": "file_digest",
    "async_release_abandoned": "release_abandoned",
    "async_deadline": "deadline",
    "async_default_transport": "default_transport",
    "AsyncLoopPools": "LoopPools",
    "AsyncUpload": "Upload",
    "async_retrying": "retrying",
    # Module paths inside the package and the tests.
    "_async": "_sync",
    # tests/reliability: the fixture that waits for the server to see every connection closed
    # (the async one runs the wait in a thread so the event loop keeps going).
    "async_wait_idle": "wait_idle",
}

# Whole lines dropped from generated files (compared after stripping): they only make sense
# for async code, and a token rename cannot delete a line.
STRIP_LINES: Final[frozenset[str]] = frozenset({"pytestmark = pytest.mark.anyio"})
