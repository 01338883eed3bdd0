"""Every default and fixed value of the SDK, in one place.

Other modules import from here instead of writing numbers inline, so a default
changes in exactly one line and the docs can point at one file. Comments state
the intent behind each value; the values speak for themselves.
"""

from __future__ import annotations

from typing import Final

# --- Where the server is -----------------------------------------------------

# Ollama's own default bind address and port: a local server started with
# `ollama serve` answers here without any configuration.
DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 11434
DEFAULT_SCHEME: Final = "http"
DEFAULT_BASE_URL: Final = f"{DEFAULT_SCHEME}://{DEFAULT_HOST}:{DEFAULT_PORT}"

# The ports an explicit scheme implies, as in any URL.
HTTP_DEFAULT_PORT: Final = 80
HTTPS_DEFAULT_PORT: Final = 443

# TCP's largest port; 0 is not a port a client can dial.
MAX_PORT: Final = 65535

# The hosted service: the bare name means its HTTPS API, as in the official clients.
OLLAMA_CLOUD_HOST: Final = "ollama.com"

# --- The hosted web API ----------------------------------------------------

# Where the official library sends `web_search` and `web_fetch`.
DEFAULT_WEB_BASE_URL: Final = "https://ollama.com"

# --- Timeouts (seconds) ------------------------------------------------------

# Read bound: generous because loading a large model before the first byte can
# take minutes; streamed responses reset it on every chunk.
DEFAULT_TIMEOUT: Final = 300.0
# A local or LAN server accepts a connection almost at once; waiting longer
# only delays the "is it running?" message.
CONNECT_TIMEOUT: Final = 10.0
# Request bodies are small, except images and blob uploads on slow links.
WRITE_TIMEOUT: Final = 30.0
# Waiting for a free pooled connection usually means streams were left open;
# fail clearly rather than hang.
POOL_TIMEOUT: Final = 30.0

# --- Connection pool ---------------------------------------------------------

# Ollama serves few requests in parallel (OLLAMA_NUM_PARALLEL), so a small pool
# is enough; the public `max_connections` names the steady-state size.
DEFAULT_MAX_CONNECTIONS: Final = 5
# Connections allowed open at once per `max_connections`, so short bursts do not
# wait on the pool (all may stay alive; see `_http_config.build_limits`).
TOTAL_CONNECTIONS_FACTOR: Final = 2
# Long enough to reuse a connection across a chat turn, short enough not to
# hold sockets a restarted server has forgotten.
KEEPALIVE_EXPIRY: Final = 30.0

# --- Retries -----------------------------------------------------------------

# Enough attempts to ride out a busy queue or a restarting server, few enough
# that a dead server fails fast.
DEFAULT_MAX_ATTEMPTS: Final = 3
# Exponential backoff bounds: the first wait, and the ceiling it doubles up to.
RETRY_MIN_BACKOFF: Final = 1.0
RETRY_MAX_BACKOFF: Final = 10.0
# A Retry-After longer than this means the server wants us gone for a while:
# report the error instead of sleeping.
RETRY_AFTER_CAP: Final = 60.0
# Statuses that may succeed on a second try: rate limit, bad gateway, busy
# queue, gateway timeout.
RETRYABLE_STATUSES: Final = frozenset({429, 502, 503, 504})
# The subset where the server refused before doing any work, so a retry is safe
# even for requests that are not idempotent.
PRE_PROCESSING_STATUSES: Final = frozenset({429, 503})

# httpx's own limit on redirects followed per request; more means a loop.
DEFAULT_MAX_REDIRECTS: Final = 20

# --- Whole replies -----------------------------------------------------------

# Cap on a non-streamed reply's body, after decompression: far above any real reply (a large
# embed batch is tens of MiB), low enough that a runaway or hostile body (a gzip bomb)
# cannot exhaust memory. `max_response_bytes` on the clients, OLLAMA_MAX_RESPONSE_BYTES.
MAX_RESPONSE_BYTES: Final = 128 * 1024 * 1024

# --- Streaming ---------------------------------------------------------------

# Cap on one NDJSON line: far above any real chunk (and above the Go client's
# own cap), low enough that a runaway line cannot exhaust memory.
MAX_LINE_BYTES: Final = 16 * 1024 * 1024
# How much of an offending line or body goes into an error message: enough to
# recognise it, short enough to read.
ERROR_SNIPPET_CHARS: Final = 200
# Appended where a snippet was cut.
ELLIPSIS: Final = "..."

# --- Headers and logging -----------------------------------------------------

# Product token at the start of our User-Agent.
USER_AGENT_PRODUCT: Final = "ollama-service"
JSON_CONTENT_TYPE: Final = "application/json"
# Header names (lower-case) whose values never appear in reprs or logs.
SENSITIVE_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie"}
)
# The header that carries a request's model (or blob digest), for load balancers that
# route by model; see _affinity.py and docs/scaling-out.md.
DEFAULT_AFFINITY_HEADER: Final = "X-Ollama-Model"
# What a redacted secret is replaced with.
REDACTED: Final = "***"
# The stdlib logger name applications configure to see our events.
LOGGER_NAME: Final = "ollama_service"

# --- Service -----------------------------------------------------------------

# The service's default model when a call names none: one most installs have heard of. (Its
# server is DEFAULT_BASE_URL, as for every other entry point.)
SERVICE_DEFAULT_MODEL: Final = "llama2"

# --- Request building --------------------------------------------------------

# Blob uploads and hashing read files in pieces this large, so a multi-gigabyte
# model file never sits in memory at once.
FILE_CHUNK_BYTES: Final = 1024 * 1024
# Longer strings passed as images are not worth a filesystem lookup: they can
# only be base64 data.
MAX_PATH_CHARS: Final = 4096
