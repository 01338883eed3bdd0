"""The listening socket: accepts connections, one handler thread each, and stops at once."""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import threading
from http.server import ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any, cast

from ollama_service.testing._core import Core
from ollama_service.testing._faults import take_reset
from ollama_service.testing._handler import Handler

__all__ = ["HOST", "Listener", "abort"]

HOST = "127.0.0.1"


def abort(sock: socket.socket) -> None:
    """Close ``sock`` with a TCP reset (SO_LINGER 0) rather than a FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class Listener(ThreadingHTTPServer):
    """The server socket; each accepted connection gets a :class:`Handler` thread."""

    daemon_threads = True
    block_on_close = False  # we track connections ourselves; stop() closes them
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, core: Core, port: int = 0) -> None:
        self.core = core
        # Before binding: a failed bind calls server_close(), which closes these.
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._closing = False
        super().__init__((HOST, port), Handler)
        self.socket.setblocking(False)  # accept() must never block the serving loop

    def serve(self) -> None:
        """Accept connections until :meth:`stop_serving` (instant, unlike ``serve_forever``)."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            while not self._closing:
                for key, _ in selector.select():
                    if key.fileobj is self.socket and not self._closing:
                        self._accept()

    def _accept(self) -> None:
        try:
            request, client_address = self.get_request()
        except OSError:  # nothing to accept after all (the client gave up)
            return
        try:
            self.process_request(request, client_address)
        except Exception:
            self.shutdown_request(request)

    def stop_serving(self) -> None:
        """Make :meth:`serve` return (from another thread)."""
        self._closing = True
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"\0")

    def server_close(self) -> None:
        super().server_close()
        self._wake_reader.close()
        self._wake_writer.close()

    def server_bind(self) -> None:
        # HTTPServer.server_bind() does a reverse DNS lookup (getfqdn); skip it.
        TCPServer.server_bind(self)
        self.server_name = HOST
        self.server_port = self.server_address[1]

    def process_request(self, request: Any, client_address: Any) -> None:
        sock = cast("socket.socket", request)
        connections = self.core.connections
        connections.opened(sock)
        if take_reset(self.core.faults):
            abort(sock)
            connections.closed(sock)
            return
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="FakeOllamaServer-connection",
            daemon=True,
        )
        try:
            thread.start()
        except RuntimeError:
            self.shutdown_request(request)
            connections.closed(sock)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # the client went away, or stop() shut the socket: nothing to report
            pass
        finally:
            self.shutdown_request(request)
            self.core.connections.closed(cast("socket.socket", request))

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay silent (the default prints a traceback)."""
