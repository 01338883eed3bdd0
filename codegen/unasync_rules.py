"""The one table of async → sync renames that unasync applies.

unasync already drops `async`/`await` and renames `__aenter__`, `__aiter__`, `AsyncIterator`
and friends; this table adds only what it cannot guess. Every entry must be used by some
source file (the generator checks), so stale rules cannot pile up. Anything a token rename
cannot express belongs in `src/ollama_service/_twins.py`, never here.
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
    "AsyncClientBase": "ClientBase",
    "AsyncClientCore": "ClientCore",
    "AsyncEndpoints": "Endpoints",
    "AsyncStream": "Stream",
    "OllamaService": "SyncOllamaService",
    "AsyncTextStream": "TextStream",
    # httpx's twins, named through the shim so the source never spells `httpx.AsyncClient`.
    "AsyncHTTPClient": "HTTPClient",
    "AsyncBaseTransport": "BaseTransport",
    "AsyncHTTPTransport": "HTTPTransport",
    "aiter_bytes": "iter_bytes",
    "aiter_raw": "iter_raw",
    "aclose": "close",
    # The sync/async twins (see src/ollama_service/_twins.py) and the retry loop (_retry_loop).
    "async_iter_file": "iter_file",
    "async_file_digest": "file_digest",
    "async_http_transport": "http_transport",
    "ASYNC_KIND": "SYNC_KIND",
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
    "async_early_release": "early_release",
}

# Whole lines dropped from generated files (compared after stripping): they only make sense
# for async code, and a token rename cannot delete a line.
STRIP_LINES: Final[frozenset[str]] = frozenset({"pytestmark = pytest.mark.anyio"})

# Rewrites of prose (docstrings and comments) in generated files, applied in order before the
# names of REPLACEMENTS are renamed in the same prose: unasync renames code tokens only, and the
# sync twin's API reference must describe the sync API. Each rule must match somewhere (the
# generator checks), like the renames.
DOC_REWRITES: Final[tuple[tuple[str, str], ...]] = (
    # Module docstrings that describe the async file as the hand-written source.
    (
        r"The hand-written async source of the clients; `_sync/` is generated from it by unasync\.",
        "The sync clients, generated from `_async/` by unasync: edit those sources, not these.",
    ),
    (
        r"This file is the source of `\w+` too: `nox -s generate` derives `_sync/([\w./]+)` from it"
        r"\s+with unasync, so write nothing here that a token rename cannot turn into blocking code"
        r" \(the\s+exceptions live in `ollama_service\._twins`\)\.",
        r"Generated from `_async/\1` by unasync (`nox -s generate`): edit that file, not this one.",
    ),
    # What only an event loop needs.
    (
        r"The client's pool serves the event loop it is first used on; used from another loop"
        r" \(two\s+`asyncio\.run\(\)` calls in one script\), it opens a pool for that loop on"
        r" demand\.\s+",
        "A client (and its pool) may be shared by threads. ",
    ),
    (r"\bAn async client\b", "A client"),
    (r"\ban async iterator\b", "an iterator"),
    (r"\ban `Async", "a `Async"),
    (r"\basync (with|for)\b", r"\1"),
    (r"`await ", "`"),
)

# `python -m codegen --check` fails when generated prose or code still says `await ` or names
# something `Async...`, except these words (the async API named on purpose from the sync one).
ASYNC_WORDS_ALLOWED: Final[frozenset[str]] = frozenset()
