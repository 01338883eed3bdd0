"""The httpx client's configuration: pool limits, timeouts, TLS context and default headers.

Pure builders shared by the sync and async clients, so both talk to the server
with the same limits, bounds and headers. Inputs are validated here, before a
client exists, so a bad value fails with a message naming the argument instead
of deep inside httpx.
"""

from __future__ import annotations

import functools
import math
import platform
import ssl
from collections.abc import Mapping

import httpx

from ._constants import (
    CONNECT_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_TIMEOUT,
    JSON_CONTENT_TYPE,
    KEEPALIVE_EXPIRY,
    POOL_TIMEOUT,
    TOTAL_CONNECTIONS_FACTOR,
    USER_AGENT_PRODUCT,
    WRITE_TIMEOUT,
)
from ._errors import OllamaRequestError
from ._version import __version__

__all__ = [
    "build_headers",
    "build_limits",
    "build_timeout",
    "check_deadline",
    "check_max_response_bytes",
    "user_agent",
]


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """httpx's default TLS verification context, built once per process.

    Building one loads the CA bundle (about 20 ms), which every client would otherwise pay,
    even for plain-HTTP servers. Environment variables it reads (`SSL_CERT_FILE`,
    `SSL_CERT_DIR`) are therefore read once, on first use.
    """
    return httpx.create_ssl_context()


def build_limits(max_connections: int = DEFAULT_MAX_CONNECTIONS) -> httpx.Limits:
    """Pool limits sized for an Ollama server.

    Twice ``max_connections`` may be open at once, so a burst does not wait on
    the pool, and all of them may stay alive between requests (idle ones close
    after the keep-alive expiry). The keep-alive limit is not the smaller
    ``max_connections``, because httpcore (up to 1.0.9 at least) counts every
    open connection, busy or idle, against that limit and closes an idle
    connection whenever more are open: under load that opens a new connection
    for almost every request.

    Args:
        max_connections: Connections to keep alive (at least 1).

    Returns:
        The httpx limits.

    Raises:
        OllamaRequestError: If ``max_connections`` is not a positive integer.
    """
    total = _positive_int("max_connections", max_connections) * TOTAL_CONNECTIONS_FACTOR
    return httpx.Limits(
        max_connections=total,
        max_keepalive_connections=total,
        keepalive_expiry=KEEPALIVE_EXPIRY,
    )


def _positive_int(name: str, value: object) -> int:
    """Validate a count given by a caller who may not run a type checker."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise OllamaRequestError(f"{name} must be a positive integer, got {value!r}")
    return value


def check_deadline(deadline: object) -> float | None:
    """Validate the total deadline of a call.

    Args:
        deadline: Seconds (positive), or None for no total bound.

    Returns:
        The deadline in seconds, or None.

    Raises:
        OllamaRequestError: Not a positive number of seconds (the message names `deadline`).
    """
    seconds = _seconds("deadline", deadline)
    if seconds is not None and seconds <= 0:
        raise OllamaRequestError(f"deadline must be a positive number of seconds, got {deadline!r}")
    return seconds


def check_max_response_bytes(limit: object) -> int:
    """Validate the cap on a whole reply's size.

    Raises:
        OllamaRequestError: Not a positive integer (the message names `max_response_bytes`).
    """
    return _positive_int("max_response_bytes", limit)


def _seconds(name: str, value: object) -> float | None:
    """Validate one bound: None stays unbounded, and so does infinity."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OllamaRequestError(f"{name} must be a number of seconds or None, got {value!r}")
    if math.isnan(value) or value < 0:
        raise OllamaRequestError(f"{name} must be a non-negative number of seconds, got {value!r}")
    if math.isinf(value):
        return None
    return float(value)


def build_timeout(
    timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
    *,
    connect: float | None = CONNECT_TIMEOUT,
    write: float | None = WRITE_TIMEOUT,
    pool: float | None = POOL_TIMEOUT,
) -> httpx.Timeout:
    """The four httpx time bounds, from the one most callers care about.

    ``timeout`` bounds each wait for response bytes (the first byte can take
    minutes while a model loads). The other bounds stay short so an unreachable
    server or an exhausted pool fails fast even when ``timeout`` is None.

    Args:
        timeout: Read bound in seconds; None waits without a bound. An
            ``httpx.Timeout`` is used as is.
        connect: Bound on opening a connection.
        write: Bound on sending each piece of the request body.
        pool: Bound on waiting for a free pooled connection.

    Returns:
        The httpx timeout. Infinity means no bound, like None.

    Raises:
        OllamaRequestError: If a bound is negative, NaN or not a number; the
            message names the argument.
    """
    if isinstance(timeout, httpx.Timeout):
        return timeout
    return httpx.Timeout(
        connect=_seconds("connect", connect),
        read=_seconds("timeout", timeout),
        write=_seconds("write", write),
        pool=_seconds("pool", pool),
    )


@functools.cache
def user_agent() -> str:
    """Our User-Agent, shaped like the official clients' so server logs read alike.

    Returns:
        For example ``ollama-service/0.1.0 (x86_64 linux) Python/3.12.4``.
    """
    machine = platform.machine() or "unknown"
    system = (platform.system() or "unknown").lower()
    return (
        f"{USER_AGENT_PRODUCT}/{__version__} ({machine} {system}) "
        f"Python/{platform.python_version()}"
    )


def build_headers(
    *,
    api_key: str | None,
    headers: Mapping[str, str] | None,
    basic_auth: str | None = None,
) -> dict[str, str]:
    """The default headers of every request.

    Keys are lower-case so the caller's headers replace ours whatever their
    spelling (``authorization`` overrides the Bearer token built from
    ``api_key``).

    Args:
        api_key: Bearer token for ollama.com or a proxy; blank means none.
        headers: Extra headers, merged last.
        basic_auth: The ``Basic ...`` value built from the URL's user-info (see
            ``_host.split_credentials``). It wins over ``api_key``, as the
            user-info did when httpx sent it from the URL; ``headers`` win over both.

    Returns:
        A new dict with lower-case keys.
    """
    result = {
        "accept": JSON_CONTENT_TYPE,
        "content-type": JSON_CONTENT_TYPE,
        "user-agent": user_agent(),
    }
    if api_key is not None and api_key.strip():
        result["authorization"] = f"Bearer {api_key.strip()}"
    if basic_auth is not None:
        result["authorization"] = basic_auth
    if headers:
        result.update({name.lower(): value for name, value in headers.items()})
    return result


def headers_for_foreign_client(
    ours: Mapping[str, str], client_headers: Mapping[str, str], explicit: Mapping[str, str] | None
) -> dict[str, str]:
    """The per-request headers to send through a caller's own httpx client.

    The caller configured that client on purpose, so a header it sets wins over our defaults;
    httpx's own defaults (`User-Agent: python-httpx/...`, `Accept: */*`) do not count as set.
    Headers passed to our constructor (`headers=`) are explicit, and win over both.

    Args:
        ours: Our default headers (see `build_headers`), lower-case keys.
        client_headers: The caller's client's headers.
        explicit: The `headers=` argument, if any.

    Returns:
        A new dict with lower-case keys.
    """
    theirs = {name.lower(): value for name, value in client_headers.items()}
    result = {
        name: value
        for name, value in ours.items()
        if name not in theirs or theirs[name] == _HTTPX_DEFAULTS.get(name, theirs[name] + "\0")
    }
    if explicit:
        result.update({name.lower(): value for name, value in explicit.items()})
    return result


# What httpx puts on every client unless told otherwise.
_HTTPX_DEFAULTS: dict[str, str] = {
    "accept": "*/*",
    "user-agent": f"python-httpx/{httpx.__version__}",
}
