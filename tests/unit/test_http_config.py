"""Pool limits, timeouts, TLS and headers (ollama_service._http_config)."""

from __future__ import annotations

import math
import re
import ssl

import httpx
import pytest

from ollama_service._constants import (
    CONNECT_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_TIMEOUT,
    KEEPALIVE_EXPIRY,
    POOL_TIMEOUT,
    WRITE_TIMEOUT,
)
from ollama_service._errors import OllamaRequestError
from ollama_service._http_config import (
    build_headers,
    build_limits,
    build_timeout,
    default_ssl_context,
    user_agent,
)
from ollama_service._redact import redact_headers
from ollama_service._version import __version__

# --- Limits --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "keepalive", "total"),
    [
        pytest.param(None, 2 * DEFAULT_MAX_CONNECTIONS, 2 * DEFAULT_MAX_CONNECTIONS, id="default"),
        pytest.param(1, 2, 2, id="one"),
        pytest.param(20, 40, 40, id="twenty"),
    ],
)
def test_build_limits(n: int | None, keepalive: int, total: int) -> None:
    """Twice n may be open at once, and all may stay alive (httpcore's keep-alive count).

    A keep-alive limit below the total makes httpcore <= 1.0.9 close idle connections whenever
    more than that many are open, so every request under load would open a new connection.
    """
    limits = build_limits() if n is None else build_limits(n)
    assert limits.max_keepalive_connections == keepalive
    assert limits.max_connections == total
    assert limits.keepalive_expiry == KEEPALIVE_EXPIRY


@pytest.mark.parametrize(
    "n",
    [
        pytest.param(0, id="zero"),
        pytest.param(-3, id="negative"),
        pytest.param(True, id="bool"),
        pytest.param(2.5, id="float"),
        pytest.param("4", id="string"),
    ],
)
def test_build_limits_rejects(n: object) -> None:
    """A bad pool size names the argument."""
    with pytest.raises(OllamaRequestError, match="max_connections must be a positive integer"):
        build_limits(n)  # type: ignore[arg-type]


# --- Timeouts ------------------------------------------------------------------


def test_build_timeout_defaults() -> None:
    """Each phase gets its own default bound."""
    timeout = build_timeout()
    assert timeout == httpx.Timeout(
        connect=CONNECT_TIMEOUT, read=DEFAULT_TIMEOUT, write=WRITE_TIMEOUT, pool=POOL_TIMEOUT
    )


@pytest.mark.parametrize(
    ("value", "read"),
    [
        pytest.param(5, 5.0, id="int"),
        pytest.param(2.5, 2.5, id="float"),
        pytest.param(0, 0.0, id="zero"),
        pytest.param(None, None, id="none-unbounded"),
        pytest.param(math.inf, None, id="infinity-unbounded"),
    ],
)
def test_build_timeout_read_bound(value: float | None, read: float | None) -> None:
    """`timeout` sets only the read bound; the others keep failing fast."""
    timeout = build_timeout(value)
    assert timeout.read == read
    assert timeout.connect == CONNECT_TIMEOUT
    assert timeout.write == WRITE_TIMEOUT
    assert timeout.pool == POOL_TIMEOUT


def test_build_timeout_other_bounds() -> None:
    """connect, write and pool are adjustable, None included."""
    timeout = build_timeout(60, connect=1, write=None, pool=2.5)
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (1.0, 60.0, None, 2.5)


def test_build_timeout_passes_httpx_timeout_through() -> None:
    """A ready httpx.Timeout is the caller's full choice."""
    given = httpx.Timeout(1.0)
    assert build_timeout(given) is given


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        pytest.param({"timeout": -1}, "timeout", id="negative-read"),
        pytest.param({"timeout": math.nan}, "timeout", id="nan-read"),
        pytest.param({"timeout": "30"}, "timeout", id="string-read"),
        pytest.param({"timeout": True}, "timeout", id="bool-read"),
        pytest.param({"connect": -0.1}, "connect", id="negative-connect"),
        pytest.param({"write": math.nan}, "write", id="nan-write"),
        pytest.param({"pool": -5}, "pool", id="negative-pool"),
    ],
)
def test_build_timeout_rejects(kwargs: dict[str, object], name: str) -> None:
    """A bad bound fails before any client exists, naming the argument."""
    with pytest.raises(OllamaRequestError, match=f"^{name} must be a"):
        build_timeout(**kwargs)  # type: ignore[arg-type]


# --- Headers -------------------------------------------------------------------


def test_user_agent() -> None:
    """Shaped like the official clients' User-Agent, with our name and version."""
    pattern = rf"ollama-service/{re.escape(__version__)} \(\S+ [a-z0-9_]+\) Python/\d+\.\d+\.\d+\S*"
    assert re.fullmatch(pattern, user_agent())


def test_user_agent_is_computed_once() -> None:
    """The platform lookups run once per process."""
    assert user_agent() is user_agent()


def test_build_headers_defaults() -> None:
    """JSON in, JSON out, our User-Agent, no Authorization without a key."""
    assert build_headers(api_key=None, headers=None) == {
        "accept": "application/json",
        "content-type": "application/json",
        "user-agent": user_agent(),
    }


@pytest.mark.parametrize(
    ("api_key", "headers", "expected"),
    [
        pytest.param("sk-1", None, {"authorization": "Bearer sk-1"}, id="api-key"),
        pytest.param(" sk-1\n", None, {"authorization": "Bearer sk-1"}, id="api-key-trimmed"),
        pytest.param("", None, {}, id="blank-api-key-ignored"),
        pytest.param("sk-1", {"Authorization": "Basic abc"}, {"authorization": "Basic abc"}, id="caller-auth-wins"),
        pytest.param(None, {"User-Agent": "mine/1"}, {"user-agent": "mine/1"}, id="caller-user-agent-wins"),
        pytest.param(None, {"ACCEPT": "application/x-ndjson"}, {"accept": "application/x-ndjson"}, id="case-insensitive"),
        pytest.param(None, {"X-Trace": "t1"}, {"x-trace": "t1"}, id="extra-header"),
    ],
)  # fmt: skip
def test_build_headers(
    api_key: str | None, headers: dict[str, str] | None, expected: dict[str, str]
) -> None:
    """The caller's headers are merged last and override ours whatever their case."""
    result = build_headers(api_key=api_key, headers=headers)
    for name, value in expected.items():
        assert result[name] == value
    if not api_key or not api_key.strip():
        assert "authorization" not in result
    assert all(name == name.lower() for name in result)


def test_build_headers_does_not_mutate_input() -> None:
    """The caller's mapping is read, never changed."""
    headers = {"X-A": "1"}
    build_headers(api_key="k", headers=headers)
    assert headers == {"X-A": "1"}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({"Authorization": "Bearer sk"}, {"Authorization": "***"}, id="authorization"),
        pytest.param({"authorization": "Basic x"}, {"authorization": "***"}, id="lower-case"),
        pytest.param({"Proxy-Authorization": "Basic x"}, {"Proxy-Authorization": "***"}, id="proxy"),
        pytest.param({"Cookie": "a=b"}, {"Cookie": "***"}, id="cookie"),
        pytest.param({"Set-Cookie": "a=b"}, {"Set-Cookie": "***"}, id="set-cookie"),
        pytest.param({"Accept": "application/json"}, {"Accept": "application/json"}, id="harmless-kept"),
        pytest.param({}, {}, id="empty"),
    ],
)  # fmt: skip
def test_redact_headers(headers: dict[str, str], expected: dict[str, str]) -> None:
    """Secrets are masked, names and everything else kept."""
    assert redact_headers(headers) == expected


def test_redact_headers_accepts_httpx_headers() -> None:
    """Works on the headers of a real httpx request, and never modifies them."""
    headers = httpx.Headers(build_headers(api_key="sk-secret", headers=None))
    redacted = redact_headers(headers)
    assert redacted["authorization"] == "***"
    assert "sk-secret" not in repr(redacted)
    assert headers["authorization"] == "Bearer sk-secret"


def test_default_ssl_context_is_built_once_and_verifies() -> None:
    """Clients share one verifying context instead of loading the CA bundle each time."""
    context = default_ssl_context()
    assert default_ssl_context() is context
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
