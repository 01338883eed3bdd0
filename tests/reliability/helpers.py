"""Helpers shared by the reliability tests (not unasynced, so they may use threads and anyio).

- `RawServer`: a bare TCP listener on 127.0.0.1 for faults an HTTP server cannot show (a
  server that accepts and never answers, a reset right after the request), with the same
  connection counters as `FakeOllamaServer.stats`.
- `connect_black_hole`: a listening socket whose accept queue is full, so a connect never
  completes.
- `wait_idle` / `async_wait_idle`: the sync and async twins the unasync table maps onto each
  other, waiting for the server to see every connection closed. Tests under `_async/` get
  them as fixtures of the same names (see conftest), so they import nothing from here.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Protocol

import anyio.to_thread

__all__ = [
    "RawServer",
    "RawStats",
    "async_early_release",
    "async_wait_idle",
    "connect_black_hole",
    "early_release",
    "wait_idle",
]

_HOST = "127.0.0.1"
_IDLE_TIMEOUT = 5.0


class _Idle(Protocol):
    def wait_for_idle(self, timeout: float = ...) -> bool: ...


def wait_idle(server: _Idle, within: float = _IDLE_TIMEOUT) -> bool:
    """True once the server has seen every client connection closed (False on timeout)."""
    return server.wait_for_idle(within)


async def async_wait_idle(server: _Idle, within: float = _IDLE_TIMEOUT) -> bool:
    """`wait_idle` for async tests: the wait runs in a worker thread, so the event loop keeps
    running (and can finish closing sockets, or run a finalizer's scheduled close)."""
    return await anyio.to_thread.run_sync(server.wait_for_idle, within)


def early_release() -> bool:
    """Whether a finished body frees its connection before it is read: never on the sync
    back-ends."""
    return False


def async_early_release() -> bool:
    """Whether a finished body frees its connection before it is read: on aiohttp, whose pool
    takes a connection back as soon as the whole body has arrived, so the next request may
    reuse it while that stream is still open (unread)."""
    return os.environ.get("OLLAMA_HTTP_BACKEND") == "aiohttp"


# --- Raw servers ------------------------------------------------------------------------

RawMode = Literal[
    "black_hole", "reset_on_accept", "reset_after_request", "trickle_headers", "reset_uploads"
]

# A status line and headers that never end: one byte every few milliseconds.
_TRICKLE_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Trickle: " + b"a" * 4000
_TRICKLE_PAUSE = 0.01


@dataclass(frozen=True)
class RawStats:
    """Counters of a `RawServer`, as `FakeOllamaServer.stats` has them."""

    connections_opened: int
    connections_open: int
    peak_open: int
    requests_handled: int


def _abort(sock: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER 0) instead of a FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


def _read_request(sock: socket.socket, buffer: bytearray) -> bool:
    """Read one whole HTTP request (head and Content-Length body) into `buffer`, consuming it.

    Returns False when the peer closed the connection first.
    """
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(65536)
        if not data:
            return False
        buffer += data
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        data = sock.recv(65536)
        if not data:
            return False
        rest += data
    buffer[:] = rest[length:]
    return True


class RawServer:
    """A TCP server on 127.0.0.1 that misbehaves below HTTP. Use it as a context manager.

    Modes:
        black_hole: accept, read requests, never answer; the socket is closed only when the
            client closes it.
        reset_on_accept: reset (RST) each connection as soon as it is accepted, before reading.
        reset_after_request: read one whole request, then reset the connection.
        trickle_headers: read the request, then send a response head one byte at a time
            (a few ms apart), never finishing it; every read gets a byte in time, so only a
            total deadline ends the call. Stops when the client goes (or after the head).
        reset_uploads: answer HEAD with 404 (the blob is missing), and reset any other
            request right after its head, while the client is still sending the body.
    """

    def __init__(self, mode: RawMode) -> None:
        self.mode: RawMode = mode
        self._listener = socket.create_server((_HOST, 0), backlog=128)
        self.port: int = self._listener.getsockname()[1]
        self._cond = threading.Condition()
        self._open: set[socket.socket] = set()
        self._opened = 0
        self._peak = 0
        self._requests = 0
        self._stopping = False
        self.request_seen = threading.Event()
        """Set each time a whole request has been read (tests clear it between rounds)."""
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{_HOST}:{self.port}"

    @property
    def stats(self) -> RawStats:
        with self._cond:
            return RawStats(self._opened, len(self._open), self._peak, self._requests)

    def wait_for_idle(self, timeout: float = _IDLE_TIMEOUT) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._open, timeout)

    def __enter__(self) -> RawServer:
        self._acceptor.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            sockets = list(self._open)
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._acceptor.join(5)
        for thread in self._threads:
            thread.join(5)

    def _reset_uploads(self, sock: socket.socket) -> None:
        buffer = b""
        while True:
            while b"\r\n\r\n" not in buffer:
                data = sock.recv(65536)
                if not data:
                    return
                buffer += data
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            with self._cond:
                self._requests += 1
            self.request_seen.set()
            if not head.startswith(b"HEAD "):
                return  # reset while the body is still coming
            sock.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")

    def _accept_loop(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with self._cond:
                if self._stopping:
                    _abort(sock)
                    return
                self._open.add(sock)
                self._opened += 1
                self._peak = max(self._peak, len(self._open))
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        buffer = bytearray()
        try:
            if self.mode == "reset_on_accept":
                return
            if self.mode == "reset_uploads":
                self._reset_uploads(sock)
                return
            while _read_request(sock, buffer):
                with self._cond:
                    self._requests += 1
                self.request_seen.set()
                if self.mode == "reset_after_request":
                    return
                if self.mode == "trickle_headers":
                    for byte in _TRICKLE_HEAD:
                        if self._stopping:
                            return
                        sock.sendall(bytes([byte]))
                        time.sleep(_TRICKLE_PAUSE)  # the server's behaviour, not a sync
                    return
        except OSError:
            pass
        finally:
            _abort(sock)
            with self._cond:
                self._open.discard(sock)
                self._cond.notify_all()


@contextlib.contextmanager
def connect_black_hole() -> Iterator[str]:
    """Yield a base URL whose connects never complete: the listener's accept queue is full.

    A listening socket with backlog 0 holds one finished handshake; the filler connections
    take it, so the kernel drops the client's SYN and the connect timeout fires. Nothing is
    ever accepted, so no request can arrive.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    fillers: list[socket.socket] = []
    try:
        listener.bind((_HOST, 0))
        listener.listen(0)
        address = listener.getsockname()
        for _ in range(3):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            fillers.append(filler)
            with contextlib.suppress(BlockingIOError):
                filler.connect(address)
        yield f"http://{_HOST}:{address[1]}"
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


# --- nginx in front of a server ------------------------------------------------------------

_NGINX_CONF = """\
worker_processes 1;
{user}
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream ollama {{ server 127.0.0.1:{backend}; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://ollama;
            proxy_http_version {version};
            proxy_set_header Connection "";
            proxy_buffering off;
        }}
    }}
}}
"""


def nginx_binary() -> str | None:
    """The nginx executable (Debian installs it in /usr/sbin, often outside PATH)."""
    import shutil

    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


@contextlib.contextmanager
def nginx_in_front(backend_port: int, *, upstream_http: str, workdir: str) -> Iterator[str]:
    """Run nginx on loopback in front of `backend_port`; yield its base URL.

    Its own prefix, config and pid file live in `workdir`. nginx opens its listening socket
    before it daemonizes, so the port accepts connections as soon as the command returns (no
    readiness polling); `-s stop` ends it.
    """
    import os
    import subprocess

    binary = nginx_binary()
    if binary is None:  # pragma: no cover - callers skip first
        raise RuntimeError("nginx is not installed")
    probe = socket.socket()
    probe.bind((_HOST, 0))
    port = probe.getsockname()[1]
    probe.close()
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        os.makedirs(f"{workdir}/{sub}", exist_ok=True)
    conf = f"{workdir}/nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""
    with open(conf, "w", encoding="utf-8") as fh:
        fh.write(
            _NGINX_CONF.format(
                user=user, prefix=workdir, backend=backend_port, port=port, version=upstream_http
            )
        )
    command = [binary, "-p", workdir, "-c", conf]
    subprocess.run(command, check=True, capture_output=True, timeout=30)
    try:
        yield f"http://{_HOST}:{port}"
    finally:
        subprocess.run([*command, "-s", "stop"], check=False, capture_output=True, timeout=30)
