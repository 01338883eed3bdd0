"""Choosing an HTTP back-end, and the environment's proxies as httpx reads them: tables."""

from __future__ import annotations

import httpx
import pytest

from ollama_service import AsyncClient, Client, OllamaRequestError, OllamaService, SyncOllamaService
from ollama_service._backends import choose_backend, environment_proxy_mounts
from ollama_service._settings import load_settings
from ollama_service._transports._aiohttp import AiohttpTransport
from ollama_service._transports._urllib3 import Urllib3Transport

CHOICES = [
    # (backend=, kind, OLLAMA_HTTP_BACKEND, client kwargs, expected)
    (None, "sync", "", {}, "urllib3"),
    (None, "async", "", {}, "httpx"),
    (None, "sync", "aiohttp", {}, "urllib3"),
    (None, "async", "aiohttp", {}, "aiohttp"),
    (None, "sync", "urllib3", {}, "urllib3"),
    (None, "async", "urllib3", {}, "httpx"),
    (None, "sync", "httpx", {}, "httpx"),
    (None, "async", " HTTPX ", {}, "httpx"),
    ("httpx", "sync", "aiohttp", {}, "httpx"),
    ("aiohttp", "async", "httpx", {}, "aiohttp"),
    (None, "sync", "", {"http2": True}, "httpx"),
    (None, "async", "aiohttp", {"http2": True}, "httpx"),
    ("httpx", "async", "", {"http2": True}, "httpx"),
    (None, "sync", "", {"http2": False}, "urllib3"),
]


@pytest.mark.parametrize(("backend", "kind", "env", "kwargs", "expected"), CHOICES)
def test_choose_backend(
    backend: str | None, kind: str, env: str, kwargs: dict[str, object], expected: str
) -> None:
    environ = {"OLLAMA_HTTP_BACKEND": env}
    assert choose_backend(backend, kind=kind, client_kwargs=kwargs, environ=environ) == expected  # type: ignore[arg-type]


BAD_CHOICES = [
    (
        "aiohttp",
        "sync",
        "",
        {},
        "backend='aiohttp' is not a back-end of Client; choose one of 'urllib3', 'httpx'",
    ),
    (
        "urllib3",
        "async",
        "",
        {},
        "backend='urllib3' is not a back-end of AsyncClient; choose one of 'aiohttp', 'httpx'",
    ),
    ("requests", "sync", "", {}, "backend='requests' is not a back-end of Client"),
    (
        None,
        "sync",
        "curl",
        {},
        "OLLAMA_HTTP_BACKEND='curl' is not a back-end; choose one of 'urllib3', 'aiohttp', 'httpx'",
    ),
    ("urllib3", "sync", "", {"http2": True}, "http2=True needs backend='httpx'"),
]


@pytest.mark.parametrize(("backend", "kind", "env", "kwargs", "message"), BAD_CHOICES)
def test_choose_backend_rejects(
    backend: str | None, kind: str, env: str, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(
        OllamaRequestError, match="^" + message.replace("(", r"\(").replace(")", r"\)")
    ):
        choose_backend(
            backend,
            kind=kind,  # type: ignore[arg-type]
            client_kwargs=kwargs,
            environ={"OLLAMA_HTTP_BACKEND": env},
        )


PROXIES = [
    ({}, {}),
    ({"HTTP_PROXY": "proxy:3128"}, {"http://": "http://proxy:3128"}),
    (
        {"https_proxy": "http://p:1", "ALL_PROXY": "socks5://s:2"},
        {"https://": "http://p:1", "all://": "socks5://s:2"},
    ),
    (
        {"http_proxy": "http://lower:1", "HTTP_PROXY": "http://upper:2"},
        {"http://": "http://lower:1"},
    ),
    (
        {"HTTP_PROXY": "http://p:1", "NO_PROXY": "localhost, 127.0.0.1,::1,.example.com,ollama"},
        {
            "http://": "http://p:1",
            "all://localhost": None,
            "all://127.0.0.1": None,
            "all://[::1]": None,
            "all://*.example.com": None,
            "all://*ollama": None,
        },
    ),
    ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "*"}, {}),
    ({"NO_PROXY": "localhost"}, {}),
]


@pytest.mark.parametrize(("environ", "expected"), PROXIES)
def test_environment_proxy_mounts(environ: dict[str, str], expected: dict[str, str | None]) -> None:
    assert environment_proxy_mounts(environ) == expected


def test_defaults_and_what_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_HTTP_BACKEND", raising=False)
    with Client() as client:
        assert client.backend == "urllib3"
        assert isinstance(client._http._transport, Urllib3Transport)
    with Client(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as client:
        assert client.backend is None
    with httpx.Client() as http, Client(http_client=http, backend="urllib3") as client:
        assert client.backend is None
    assert AsyncClient().backend == "httpx"
    monkeypatch.setenv("OLLAMA_HTTP_BACKEND", "aiohttp")
    client_ = AsyncClient()
    assert client_.backend == "aiohttp"
    assert isinstance(client_._http._transport, AiohttpTransport)
    assert Client().backend == "urllib3"


def test_services_take_the_argument_and_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_HTTP_BACKEND", raising=False)
    assert OllamaService(backend="aiohttp", default_model="m").client.backend == "aiohttp"
    assert SyncOllamaService(backend="httpx", default_model="m").client.backend == "httpx"
    settings = load_settings(http_backend="aiohttp")
    assert OllamaService(settings=settings).client.backend == "aiohttp"
    assert SyncOllamaService(settings=settings).client.backend == "urllib3"
    assert SyncOllamaService(settings=load_settings(http_backend="HTTPX")).client.backend == "httpx"
    with pytest.raises(OllamaRequestError, match="OLLAMA_HTTP_BACKEND='curl'"):
        load_settings(http_backend="curl")


def test_a_proxy_from_the_environment_is_mounted_on_httpx_transport(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "localhost")
    with Client("http://ollama.invalid:11434") as client:
        proxied = client._http._transport_for_url(httpx.URL("http://ollama.invalid:11434/api/tags"))
        direct = client._http._transport_for_url(httpx.URL("http://localhost:11434/api/tags"))
        assert isinstance(proxied, httpx.HTTPTransport)
        assert isinstance(direct, Urllib3Transport)
    with Client("http://ollama.invalid:11434", trust_env=False) as client:
        assert isinstance(
            client._http._transport_for_url(httpx.URL("http://ollama.invalid:11434/")),
            Urllib3Transport,
        )
