"""TLS termination and an API-key check at the balancer (`deploy/*/ollama-tls.*`), for both
clients: the key is required, checked, and never reaches the servers."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ollama_service import AsyncClient, Client, OllamaResponseError
from ollama_service.testing import FakeOllamaServer

from .conftest import TLS_CONFIGS, address
from .proxies import TOKEN, Proxy

PROMPT = "why is the sky blue"


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (the certificate is its own CA)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (needed to make a test certificate)")
    crt, key = tmp_path / "ollama.crt", tmp_path / "ollama.key"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(crt), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return crt, key


@pytest.fixture
def tls_proxy(
    kind: str, backends: list[FakeOllamaServer], tmp_path: Path, certificate: tuple[Path, Path]
) -> Iterator[Proxy]:
    crt, key = certificate
    if kind == "nginx":
        files = {"/etc/nginx/tls/ollama.crt": str(crt), "/etc/nginx/tls/ollama.key": str(key)}
    else:
        pem = tmp_path / "ollama.pem"
        pem.write_bytes(crt.read_bytes() + key.read_bytes())
        files = {"/etc/haproxy/tls/ollama.pem": str(pem)}
    servers = [address(b) for b in backends]
    with Proxy(kind, TLS_CONFIGS[kind], servers, tmp_path / kind, files) as proxy:
        yield proxy


def test_sync_client_with_the_key(
    tls_proxy: Proxy, backends: list[FakeOllamaServer], certificate: tuple[Path, Path]
) -> None:
    assert tls_proxy.url.startswith("https://127.0.0.1:")
    with Client(
        tls_proxy.url,
        api_key=TOKEN,
        verify=ssl.create_default_context(cafile=certificate[0]),
        max_retries=0,
    ) as c:
        assert c.generate("llama3.2", PROMPT).response == FakeOllamaServer.reply_for(PROMPT)
        parts = [p.response for p in c.generate("llama3.2", PROMPT, stream=True)]
        assert "".join(parts) == FakeOllamaServer.reply_for(PROMPT)
    received = [r for b in backends for r in b.requests if r.path == "/api/generate"]
    assert len(received) == 2
    assert all("authorization" not in r.headers for r in received)


@pytest.mark.anyio
async def test_async_client_with_the_key(
    tls_proxy: Proxy, backends: list[FakeOllamaServer], certificate: tuple[Path, Path]
) -> None:
    async with AsyncClient(
        tls_proxy.url,
        api_key=TOKEN,
        verify=ssl.create_default_context(cafile=certificate[0]),
        max_retries=0,
    ) as client:
        reply = await client.chat("llama3.2", [{"role": "user", "content": PROMPT}])
    assert reply.message.content == FakeOllamaServer.reply_for(PROMPT)
    assert all("authorization" not in r.headers for b in backends for r in b.requests)


@pytest.mark.parametrize("key", [None, "wrong-token"])
def test_a_missing_or_wrong_key_is_refused_at_the_balancer(
    tls_proxy: Proxy,
    backends: list[FakeOllamaServer],
    certificate: tuple[Path, Path],
    key: str | None,
) -> None:
    with (
        Client(
            tls_proxy.url,
            api_key=key,
            verify=ssl.create_default_context(cafile=certificate[0]),
            max_retries=2,
        ) as client,
        pytest.raises(OllamaResponseError) as info,
    ):
        client.generate("llama3.2", PROMPT)
    assert info.value.status_code == 401
    assert info.value.error == "unauthorized"
    assert info.value.attempts == 1  # a 401 is final
    assert not [r for b in backends for r in b.requests if r.path == "/api/generate"]
