"""Fixtures of the reliability suite: real servers on loopback, and a clean environment."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from ollama_service._settings import get_settings
from ollama_service.testing import FakeOllamaServer

from . import helpers
from .helpers import RawServer, connect_black_hole, nginx_binary, nginx_in_front

_ENV = (
    "OLLAMA_API_KEY",
    "OLLAMA_HOST",
    "OLLAMA_BASE_URL",
    "OLLAMA_TIMEOUT",
    "OLLAMA_DEFAULT_MODEL",
    "OLLAMA_DEADLINE",
    "OLLAMA_MAX_RESPONSE_BYTES",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No OLLAMA_* variable leaks in from the shell, and cached settings are dropped."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("OLLAMA_MAX_CONNECTIONS", raising=False)
    monkeypatch.delenv("OLLAMA_MAX_RETRIES", raising=False)
    monkeypatch.delenv("OLLAMA_HTTP_BACKEND", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def every_backend(clean_env: None, http_backend: str) -> str:
    """Every reliability test runs on each HTTP back-end (see `http_backend` in tests/conftest)."""
    return http_backend


@pytest.fixture
def fake() -> Iterator[FakeOllamaServer]:
    """A running `FakeOllamaServer`, stopped after the test."""
    with FakeOllamaServer() as server:
        yield server


@pytest.fixture(params=["1.1", "1.0"], ids=["nginx-http1.1-upstream", "nginx-http1.0-upstream"])
def behind_nginx(
    request: pytest.FixtureRequest, fake: FakeOllamaServer, tmp_path: Path
) -> Iterator[str]:
    """The base URL of a real nginx (loopback, its own prefix) in front of `fake`, with an
    HTTP/1.1 or HTTP/1.0 upstream. Skipped when nginx is not installed."""
    if nginx_binary() is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    with nginx_in_front(fake.port, upstream_http=request.param, workdir=str(tmp_path)) as url:
        yield url


@pytest.fixture
def black_hole() -> Iterator[RawServer]:
    """A server that accepts connections, reads requests and never answers."""
    with RawServer("black_hole") as server:
        yield server


@pytest.fixture
def reset_after_request() -> Iterator[RawServer]:
    """A server that reads each request and then resets the connection."""
    with RawServer("reset_after_request") as server:
        yield server


@pytest.fixture
def trickle_headers() -> Iterator[RawServer]:
    """A server that sends its response head one byte at a time, for ever."""
    with RawServer("trickle_headers") as server:
        yield server


@pytest.fixture
def reset_uploads() -> Iterator[RawServer]:
    """A server that says a blob is missing (HEAD 404), then resets the upload mid-body."""
    with RawServer("reset_uploads") as server:
        yield server


@pytest.fixture
def connect_timeout_url() -> Iterator[str]:
    """A URL whose TCP connect never completes (see `connect_black_hole`)."""
    with connect_black_hole() as url:
        yield url


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A loopback URL that refuses connections: its port is bound (so nothing else takes it)
    but not listening, so the kernel answers every SYN with a reset."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


@pytest.fixture(name="wait_idle")
def wait_idle_fixture() -> Callable[..., bool]:
    """`helpers.wait_idle`: block until the server saw every connection closed."""
    return helpers.wait_idle


@pytest.fixture(name="async_wait_idle")
def async_wait_idle_fixture() -> Callable[..., Awaitable[bool]]:
    """`helpers.async_wait_idle`, the async twin (the generated sync tests ask for `wait_idle`)."""
    return helpers.async_wait_idle


@pytest.fixture(name="early_release")
def early_release_fixture() -> bool:
    """`helpers.early_release`: False on the sync back-ends."""
    return helpers.early_release()


@pytest.fixture(name="async_early_release")
def async_early_release_fixture() -> bool:
    """`helpers.async_early_release`: True on aiohttp, which frees a connection once its whole
    body has arrived, so the next request may reuse it while the stream is still open."""
    return helpers.async_early_release()
