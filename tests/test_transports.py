"""What a transport must get right on every HTTP back-end, on real loopback sockets: gzip,
redirects across origins, TLS verification, the write timeout, and proxies from the environment.

Each test names its back-ends (sync: urllib3 and httpx; async: aiohttp and httpx); the
reliability suite covers the fault cases on every back-end through `OLLAMA_HTTP_BACKEND`.
"""

from __future__ import annotations

import gzip
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from ollama_service import AsyncClient, Client, OllamaConnectionError, OllamaTimeoutError
from ollama_service._backends import Backend

SYNC = ["urllib3", "httpx"]
ASYNC = ["aiohttp", "httpx"]
VERSION = {"version": "0.12.0"}

Reply = Callable[[BaseHTTPRequestHandler], None]


class Server:
    """A threaded HTTP server on 127.0.0.1 whose every request is answered by `reply`, and
    which records what it was sent (request line and headers)."""

    def __init__(self, reply: Reply, tls: ssl.SSLContext | None = None) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def handle_one(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                server.seen.append(
                    (self.requestline, {k.lower(): v for k, v in self.headers.items()})
                )
                reply(self)

            do_GET = do_POST = do_HEAD = handle_one

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def send_json(handler: BaseHTTPRequestHandler, value: object, *, compress: bool = False) -> None:
    body = json.dumps(value).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    if compress:
        body = gzip.compress(body)
        handler.send_header("Content-Encoding", "gzip")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def redirect_to(location: str) -> Reply:
    def reply(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(307)
        handler.send_header("Location", location + handler.path)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return reply


@pytest.fixture(autouse=True)
def _no_backend_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "OLLAMA_HTTP_BACKEND",
        "OLLAMA_API_KEY",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


# --- gzip --------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", SYNC)
def test_gzip_body_is_decoded_sync(backend: Backend) -> None:
    with Server(lambda h: send_json(h, VERSION, compress=True)) as server:
        with Client(server.url, backend=backend) as client:
            assert client.version().version == "0.12.0"
        assert "gzip" in server.seen[0][1]["accept-encoding"]


@pytest.mark.anyio
@pytest.mark.parametrize("backend", ASYNC)
async def test_gzip_body_is_decoded_async(backend: Backend) -> None:
    with Server(lambda h: send_json(h, VERSION, compress=True)) as server:
        async with AsyncClient(server.url, backend=backend) as client:
            assert (await client.version()).version == "0.12.0"
        assert "gzip" in server.seen[0][1]["accept-encoding"]


# --- redirects ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", SYNC)
def test_redirect_to_another_origin_drops_authorization_sync(backend: Backend) -> None:
    with Server(lambda h: send_json(h, VERSION)) as target:
        with Server(redirect_to(target.url)) as origin:
            with Client(origin.url, api_key="secret", backend=backend) as client:
                assert client.version().version == "0.12.0"
            assert origin.seen[0][1]["authorization"] == "Bearer secret"
        assert target.seen[0][0] == "GET /api/version HTTP/1.1"
        assert "authorization" not in target.seen[0][1]


@pytest.mark.anyio
@pytest.mark.parametrize("backend", ASYNC)
async def test_redirect_to_another_origin_drops_authorization_async(backend: Backend) -> None:
    with Server(lambda h: send_json(h, VERSION)) as target:
        with Server(redirect_to(target.url)) as origin:
            async with AsyncClient(origin.url, api_key="secret", backend=backend) as client:
                assert (await client.version()).version == "0.12.0"
            assert origin.seen[0][1]["authorization"] == "Bearer secret"
        assert "authorization" not in target.seen[0][1]


# --- TLS ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[Server]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with Server(lambda h: send_json(h, VERSION), tls=context) as server:
        yield server


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.mark.parametrize("backend", SYNC)
def test_tls_verify_sync(
    backend: Backend, tls_server: Server, ca_file: str, ca: trustme.CA
) -> None:
    with Client(
        tls_server.url, backend=backend, verify=ssl.create_default_context(cafile=ca_file)
    ) as client:
        assert client.version().version == "0.12.0"
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with Client(tls_server.url, backend=backend, verify=context) as client:
        assert client.version().version == "0.12.0"
    with Client(tls_server.url, backend=backend, verify=False) as client:
        assert client.version().version == "0.12.0"
    with (
        Client(tls_server.url, backend=backend, max_retries=0) as client,
        pytest.raises(OllamaConnectionError) as info,
    ):
        client.version()
    assert info.value.sent is False
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)


@pytest.mark.anyio
@pytest.mark.parametrize("backend", ASYNC)
async def test_tls_verify_async(backend: Backend, tls_server: Server, ca_file: str) -> None:
    async with AsyncClient(
        tls_server.url, backend=backend, verify=ssl.create_default_context(cafile=ca_file)
    ) as client:
        assert (await client.version()).version == "0.12.0"
    async with AsyncClient(tls_server.url, backend=backend, verify=False) as client:
        assert (await client.version()).version == "0.12.0"
    async with AsyncClient(tls_server.url, backend=backend, max_retries=0) as client:
        with pytest.raises(OllamaConnectionError) as info:
            await client.version()
    assert info.value.sent is False
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)


# --- the write timeout -------------------------------------------------------------------


class NeverReads:
    """A server that accepts connections and never reads from them."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.held: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.held.append(conn)

    def hang_up(self) -> None:
        for conn in self.held:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.hang_up()
        self.listener.close()


@pytest.fixture
def never_reads() -> Iterator[NeverReads]:
    server = NeverReads()
    try:
        yield server
    finally:
        server.close()


BIG_PROMPT = "x" * (64 * 1024 * 1024)  # far more than the socket buffers hold
WRITE_BOUND = httpx.Timeout(5.0, write=0.3)


@pytest.mark.parametrize("backend", SYNC)
def test_a_stalled_upload_is_a_write_timeout_sync(
    backend: Backend, never_reads: NeverReads
) -> None:
    with (
        Client(never_reads.url, backend=backend, timeout=WRITE_BOUND, max_retries=0) as client,
        pytest.raises(OllamaTimeoutError) as info,
    ):
        client.generate("m", BIG_PROMPT)
    assert info.value.phase == "write"
    assert info.value.timeout == 0.3
    assert info.value.sent is True


@pytest.mark.anyio
@pytest.mark.parametrize("backend", ASYNC)
async def test_a_stalled_upload_is_a_write_timeout_async(
    backend: Backend, never_reads: NeverReads
) -> None:
    async with AsyncClient(
        never_reads.url, backend=backend, timeout=WRITE_BOUND, max_retries=0
    ) as client:
        with pytest.raises(OllamaTimeoutError) as info:
            await client.generate("m", BIG_PROMPT)
    assert info.value.phase == "write"
    assert info.value.timeout == 0.3
    assert info.value.sent is True


# --- proxies from the environment --------------------------------------------------------


@pytest.mark.parametrize("backend", SYNC)
def test_proxy_from_the_environment_sync(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    with Server(lambda h: send_json(h, VERSION)) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        with Client("http://ollama.invalid:11434", backend=backend) as client:
            assert client.version().version == "0.12.0"
    assert proxy.seen[0][0] == "GET http://ollama.invalid:11434/api/version HTTP/1.1"


@pytest.mark.anyio
@pytest.mark.parametrize("backend", ASYNC)
async def test_proxy_from_the_environment_async(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (
        Server(lambda h: send_json(h, VERSION)) as proxy,
        Server(lambda h: send_json(h, VERSION)) as direct,
    ):
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with AsyncClient("http://ollama.invalid:11434", backend=backend) as client:
            assert (await client.version()).version == "0.12.0"
        async with AsyncClient(direct.url, backend=backend) as client:
            assert (await client.version()).version == "0.12.0"
    assert [line for line, _ in proxy.seen] == [
        "GET http://ollama.invalid:11434/api/version HTTP/1.1"
    ]
    assert [line for line, _ in direct.seen] == ["GET /api/version HTTP/1.1"]
