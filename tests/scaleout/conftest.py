"""Fixtures of the scale-out suite: three fake Ollama servers behind a real nginx or HAProxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ollama_service._settings import get_settings
from ollama_service.testing import FakeOllamaServer

from .proxies import HAPROXY_DIR, KINDS, NGINX_DIR, Proxy, skip_reason

# Every backend has every model, so a request lands anywhere and the tests can see where.
MODELS = ["llama3.2", "qwen3", "nomic-embed-text", "llava"] + [f"model-{n}" for n in range(26)]
CONFIGS = {"nginx": NGINX_DIR / "ollama.conf", "haproxy": HAPROXY_DIR / "ollama.cfg"}
TLS_CONFIGS = {"nginx": NGINX_DIR / "ollama-tls.conf", "haproxy": HAPROXY_DIR / "ollama-tls.cfg"}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No OLLAMA_* variable leaks in from the shell; no proxy variable reroutes loopback."""
    for name in (
        "OLLAMA_API_KEY",
        "OLLAMA_HOST",
        "OLLAMA_BASE_URL",
        "OLLAMA_AFFINITY",
        "OLLAMA_AFFINITY_HEADER",
        "OLLAMA_MAX_RETRIES",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """`nginx` or `haproxy`; skipped, with the reason, where it is not installed."""
    name = str(request.param)
    reason = skip_reason(name)
    if reason is not None:
        pytest.skip(reason)
    return name


@pytest.fixture
def backends() -> Iterator[list[FakeOllamaServer]]:
    """Three running fake servers with the same models."""
    servers = [FakeOllamaServer(MODELS) for _ in range(3)]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


def address(server: FakeOllamaServer) -> str:
    """`127.0.0.1:<port>`, as a proxy configuration names a server."""
    return server.base_url.removeprefix("http://")


@pytest.fixture
def proxy(kind: str, backends: list[FakeOllamaServer], tmp_path: Path) -> Iterator[Proxy]:
    """The repository's plain-HTTP configuration of `kind`, running in front of `backends`."""
    with Proxy(kind, CONFIGS[kind], [address(b) for b in backends], tmp_path / kind) as running:
        yield running


def owners(backends: list[FakeOllamaServer], path: str | None = None) -> dict[str, set[int]]:
    """Affinity key -> the indexes of the backends that received requests with it."""
    seen: dict[str, set[int]] = {}
    for index, server in enumerate(backends):
        for request in server.requests:
            key = request.headers.get("x-ollama-model")
            if key is not None and (path is None or request.path == path):
                seen.setdefault(key, set()).add(index)
    return seen
