"""``FakeOllamaServer``: a real HTTP/1.1 server on 127.0.0.1 that speaks Ollama's REST API."""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import struct
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from types import TracebackType
from typing import Any, cast
from urllib.parse import unquote

from ollama_service.testing import _responses
from ollama_service.testing._api import (
    JSON_TYPE,
    NDJSON_TYPE,
    STREAMING_PATHS,
    ApiRequest,
    ApiResponse,
    OllamaState,
)
from ollama_service.testing._faults import (
    Faults,
    FaultState,
    close,
    take_request,
    take_reset,
    take_stream,
)
from ollama_service.testing._models import FakeModel, default_models, model_for_name
from ollama_service.testing._wire import dumps, json_syntax_error

__all__ = ["FakeOllamaServer", "RecordedRequest", "ServerStats"]

_HOST = "127.0.0.1"
_STOP_TIMEOUT = 5.0  # bound on waiting for handler threads in stop()
_MAX_LINE = 65_536
_PHRASES = {status.value: status.phrase for status in HTTPStatus}
_TERMINATOR = b"0\r\n\r\n"
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "date"})


@dataclass(frozen=True)
class RecordedRequest:
    """A request the fake server received.

    Attributes:
        method: ``GET``, ``POST``, ...
        path: the URL path, percent-decoded, without the query string.
        headers: the request headers, with lower-case names.
        body: the raw body (de-chunked).
        json: the parsed JSON body, or ``None`` (no body, not JSON, or a blob upload).
        query: the raw query string (without ``?``), usually empty.
    """

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any | None
    query: str = ""


@dataclass(frozen=True)
class ServerStats:
    """Connection and request counters (a snapshot).

    Attributes:
        connections_opened: TCP connections accepted since start (or ``reset_stats()``),
            including those closed at once by ``faults.reset_on_connect``.
        connections_open: connections open right now.
        peak_open: the most connections open at once.
        requests_handled: requests received (counted as soon as a request has been read, so it
            is up to date by the time the client sees the response).
    """

    connections_opened: int
    connections_open: int
    peak_open: int
    requests_handled: int


class _Connections:
    """Open client sockets and the counters, under one condition variable."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._open: set[socket.socket] = set()
        self._opened = 0
        self._peak = 0
        self._handled = 0

    def opened(self, sock: socket.socket) -> None:
        with self._cond:
            self._open.add(sock)
            self._opened += 1
            self._peak = max(self._peak, len(self._open))

    def closed(self, sock: socket.socket) -> None:
        with self._cond:
            self._open.discard(sock)
            if not self._open:
                self._cond.notify_all()

    def count_request(self) -> None:
        with self._cond:
            self._handled += 1

    def snapshot(self) -> ServerStats:
        with self._cond:
            return ServerStats(self._opened, len(self._open), self._peak, self._handled)

    def reset(self) -> None:
        with self._cond:
            self._opened = len(self._open)
            self._peak = len(self._open)
            self._handled = 0

    def wait_idle(self, timeout: float | None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._open, timeout)

    def shutdown_all(self) -> None:
        """Shut every open socket down, which wakes handler threads blocked reading it."""
        with self._cond:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Core:
    """What the server and handler threads share."""

    def __init__(self, state: OllamaState) -> None:
        self.state = state
        self.faults = FaultState()
        self.connections = _Connections()
        self.records: list[RecordedRequest] = []
        self.records_lock = threading.Lock()
        self.stopping = threading.Event()

    def record(self, request: RecordedRequest) -> None:
        with self.records_lock:
            self.records.append(request)


def _abort(sock: socket.socket) -> None:
    """Close ``sock`` with a TCP reset (SO_LINGER 0) rather than a FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # we track connections ourselves; stop() closes them
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, core: _Core, port: int = 0) -> None:
        self.core = core
        # Before binding: a failed bind calls server_close(), which closes these.
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._closing = False
        super().__init__((_HOST, port), _Handler)
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
        self.server_name = _HOST
        self.server_port = self.server_address[1]

    def process_request(self, request: Any, client_address: Any) -> None:
        sock = cast("socket.socket", request)
        connections = self.core.connections
        connections.opened(sock)
        if take_reset(self.core.faults):
            _abort(sock)
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


def _header_dict(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")


def _parse_json(body: bytes) -> tuple[Any, str | None]:
    try:
        return json.loads(body, parse_constant=_reject_constant), None
    except json.JSONDecodeError as error:
        return None, json_syntax_error(error)
    except UnicodeDecodeError:
        return None, "invalid character '\\ufffd' looking for beginning of value"
    except ValueError as error:
        return None, str(error)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Stay silent."""

    def _core(self) -> _Core:
        return cast("_HTTPServer", self.server).core

    def handle_one_request(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(_MAX_LINE + 1)
            if len(self.raw_requestline) > _MAX_LINE:
                self.requestline = ""
                self.request_version = ""
                self.command = ""
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            self._serve()
        except OSError:
            self.close_connection = True

    # -- reading ------------------------------------------------------------------------------

    def _read_body(self) -> bytes | None:
        """The request body, or ``None`` when it cannot be read (the connection is closed)."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            return None
        if length < 0:
            return None
        data = self.rfile.read(length)
        return data if len(data) == length else None

    def _read_chunked(self) -> bytes | None:
        parts: list[bytes] = []
        while True:
            line = self.rfile.readline(_MAX_LINE + 1)
            if not line:
                return None
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                return None
            if size == 0:
                while True:  # trailers, up to the blank line
                    trailer = self.rfile.readline(_MAX_LINE + 1)
                    if not trailer:
                        return None
                    if trailer in (b"\r\n", b"\n"):
                        return b"".join(parts)
            data = self.rfile.read(size)
            if len(data) < size:
                return None
            parts.append(data)
            self.rfile.readline(_MAX_LINE + 1)

    # -- serving ------------------------------------------------------------------------------

    def _serve(self) -> None:
        core = self._core()
        method = self.command
        raw_path, _, query = self.path.partition("?")
        path = unquote(raw_path)
        body = self._read_body()
        if body is None:
            self.close_connection = True
            return
        parsed: Any = None
        json_error: str | None = None
        if body.strip() and not path.startswith("/api/blobs/"):
            parsed, json_error = _parse_json(body)
        headers = _header_dict(self.headers.items())
        core.record(RecordedRequest(method, path, headers, body, parsed, query))
        core.connections.count_request()

        latency = core.faults.latency
        if latency > 0 and core.stopping.wait(latency):
            self._drop_connection()
            return

        stall_after_headers: threading.Event | None = None
        fault = take_request(core.faults)
        if fault is not None and fault.kind == "stall":
            released = fault.released or threading.Event()
            if fault.after_headers:
                stall_after_headers = released
            elif not self._wait(released):
                return
            fault = None

        if fault is not None:
            content_type = fault.content_type
            if content_type is None:
                streaming = (
                    path in STREAMING_PATHS
                    and isinstance(parsed, dict)
                    and cast("dict[str, Any]", parsed).get("stream") is not False
                )
                content_type = NDJSON_TYPE if streaming else JSON_TYPE
            response = ApiResponse(fault.status, fault.body, content_type, fault.headers)
        else:
            request = ApiRequest(method, path, body, parsed, json_error, headers)
            try:
                response = core.state.handle(request)
            except Exception as error:  # a bug in the fake: answer rather than hang up
                response = ApiResponse(
                    500, dumps({"error": f"fake server error: {error!r}"}), JSON_TYPE
                )
        self._send(response, head_only=method == "HEAD", stall=stall_after_headers)

    # -- writing ------------------------------------------------------------------------------

    def _head(self, status: int, headers: list[tuple[str, str]]) -> bytes:
        parts = [
            f"HTTP/1.1 {status} {_PHRASES.get(status, '')}\r\n",
            f"Date: {self.date_time_string()}\r\n",
        ]
        parts += [f"{name}: {value}\r\n" for name, value in headers]
        if self.close_connection:
            parts.append("Connection: close\r\n")
        parts.append("\r\n")
        return "".join(parts).encode("latin-1", "replace")

    def _send(
        self, response: ApiResponse, *, head_only: bool, stall: threading.Event | None
    ) -> None:
        headers = [(k, v) for k, v in response.headers if k.lower() not in _FRAMING_HEADERS]
        if response.lines is not None and not head_only:
            self._send_stream(response, headers, stall)
            return
        body = response.body if response.lines is None else b"".join(response.lines)
        if response.content_type:
            headers.append(("Content-Type", response.content_type))
        headers.append(("Content-Length", str(len(body))))
        head = self._head(response.status, headers)
        if head_only:
            self.wfile.write(head)
        elif stall is not None:
            self.wfile.write(head)
            if self._wait(stall):
                self.wfile.write(body)
        else:
            self.wfile.write(head + body)

    def _send_stream(
        self,
        response: ApiResponse,
        headers: list[tuple[str, str]],
        stall: threading.Event | None,
    ) -> None:
        lines = response.lines or [b""]
        fault = take_stream(self._core().faults)
        chunked = self.request_version != "HTTP/1.0"
        if not chunked:
            self.close_connection = True  # the end of an HTTP/1.0 body is the end of the socket
        headers.append(("Content-Type", response.content_type or NDJSON_TYPE))
        if chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        head = self._head(response.status, headers)
        if stall is not None:
            self.wfile.write(head)
            if not self._wait(stall):
                return
            head = b""

        # One NDJSON object per chunk. The fake has no token delay, so the whole stream goes out
        # in one send (split only where a fault cuts it): a thousand concurrent streams then
        # cost a thousand sends, not fifteen thousand GIL hand-offs.
        def frames(part: list[bytes]) -> bytes:
            if not chunked:
                return b"".join(part)
            return b"".join(b"%x\r\n%s\r\n" % (len(data), data) for data in part)

        terminator = _TERMINATOR if chunked else b""
        if fault is None:
            if response.before_last is not None:
                response.before_last()
            self.wfile.write(head + frames(lines) + terminator)
            return
        cut = min(fault.after, len(lines) - 1)
        before = head + frames(lines[:cut])
        if fault.kind == "error":
            error_line = dumps({"error": fault.message}) + b"\n"
            self.wfile.write(before + frames([error_line]) + terminator)
            return
        if fault.kind == "truncate":
            self.wfile.write(before + terminator)
            return
        if before:
            self.wfile.write(before)
        if fault.kind == "drop":
            self._drop_connection()
            return
        if fault.released is not None and not self._wait(fault.released):  # stall
            return
        if response.before_last is not None:
            response.before_last()
        self.wfile.write(frames(lines[cut:]) + terminator)

    def _wait(self, released: threading.Event) -> bool:
        """Wait for a stall to be released. ``False`` (and the connection dropped) when the
        release came from ``stop()`` or the client has gone: nothing more is sent then."""
        released.wait()
        if self._core().stopping.is_set() or self._client_gone():
            self._drop_connection()
            return False
        return True

    def _client_gone(self) -> bool:
        """Whether the client closed the connection (it timed out while we were stalled)."""
        sock = self.connection
        timeout = sock.gettimeout()
        try:
            sock.settimeout(0.0)
            return bool(sock.recv(1, socket.MSG_PEEK) == b"")
        except BlockingIOError:
            return False
        except OSError:
            return True
        finally:
            with contextlib.suppress(OSError):
                sock.settimeout(timeout)

    def _drop_connection(self) -> None:
        """Close the connection mid-body: the client sees an incomplete chunked message."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class FakeOllamaServer:
    """A fake Ollama server for tests: real sockets, deterministic replies, fault switches.

    It listens on ``127.0.0.1`` on a free port and serves from a background thread. Use it as
    a context manager, or call :meth:`start` and :meth:`stop`::

        with FakeOllamaServer() as server:
            client = Client(host=server.base_url)

    It also answers ollama.com's ``/api/web_search`` and ``/api/web_fetch`` (a Bearer key is
    required, any will do), for a client whose web base URL points at it:
    ``Client(host=server.base_url, web_base_url=server.base_url, api_key="test")``.

    Args:
        models: the installed models, as :class:`FakeModel` objects or names. A name of a
            well-known model (``llama3.2``, ``qwen3``, ``nomic-embed-text``, ``llava``) gets that
            model's profile; another name gets a completion model with tools (or an embedding
            model if the name contains ``embed``). ``None`` installs those four models.
        version: what ``/api/version`` reports.
        chunk_words: stream replies word by word (``True``) or in a single chunk.
        embedding_size: the length of ``/api/embed`` vectors when ``dimensions`` is not given.
        port: the port to listen on; 0 (the default) picks a free one. ``start`` raises
            ``OSError`` when a given port is taken.
    """

    def __init__(
        self,
        models: Iterable[FakeModel | str] | None = None,
        *,
        version: str = "0.33.0",
        chunk_words: bool = True,
        embedding_size: int = 8,
        port: int = 0,
    ) -> None:
        if embedding_size < 1:
            raise ValueError(f"embedding_size must be >= 1, got {embedding_size!r}")
        resolved = (
            default_models()
            if models is None
            else [m if isinstance(m, FakeModel) else model_for_name(m) for m in models]
        )
        state = OllamaState(
            resolved, version=version, chunk_words=chunk_words, embedding_size=embedding_size
        )
        self._core = _Core(state)
        self._state = state
        self._connections = self._core.connections
        self.faults = Faults(self._core.faults)
        """The fault switches (see :class:`Faults`)."""
        self._lifecycle = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._port = port

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeOllamaServer:
        """Bind a free port on 127.0.0.1 and start serving. Returns ``self``.

        Raises:
            RuntimeError: if the server was stopped (a server runs once).
        """
        with self._lifecycle:
            if self._stopped:
                raise RuntimeError("a stopped FakeOllamaServer cannot be started again")
            if self._httpd is None:
                httpd = _HTTPServer(self._core, self._port)
                thread = threading.Thread(
                    target=httpd.serve,
                    name=f"FakeOllamaServer-{httpd.server_address[1]}",
                    daemon=True,
                )
                thread.start()
                self._httpd, self._thread = httpd, thread
        return self

    def stop(self) -> None:
        """Stop serving, close every client connection and join the server thread.

        Stalled responses and latency waits are released. Idempotent; never hangs.
        """
        with self._lifecycle:
            if self._stopped:
                return
            self._stopped = True
            httpd, thread = self._httpd, self._thread
        self._core.stopping.set()
        if httpd is None or thread is None:
            close(self._core.faults)
            return
        httpd.stop_serving()
        thread.join(_STOP_TIMEOUT)
        httpd.server_close()
        self._connections.shutdown_all()
        close(self._core.faults)  # after the sockets: released stalls must not answer
        self._connections.wait_idle(_STOP_TIMEOUT)

    def __enter__(self) -> FakeOllamaServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self._httpd is not None else "not started"
        return f"<FakeOllamaServer {where}>"

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._httpd is None:
            raise RuntimeError("the server is not started; call start() or use it in a with block")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, for ``Client(host=...)``."""
        return f"http://{_HOST}:{self.port}"

    # -- configuration -----------------------------------------------------------------------

    @property
    def version(self) -> str:
        """What ``/api/version`` reports."""
        return self._state.version

    @version.setter
    def version(self, value: str) -> None:
        self._state.version = value

    @property
    def chunk_words(self) -> bool:
        """Whether replies stream word by word (else in one chunk)."""
        return self._state.chunk_words

    @chunk_words.setter
    def chunk_words(self, value: bool) -> None:
        self._state.chunk_words = value

    @property
    def embedding_size(self) -> int:
        """The length of embedding vectors when ``dimensions`` is not given."""
        return self._state.embedding_size

    @property
    def unknown_registry_models(self) -> set[str]:
        """Names the fake registry does not have: pulling them fails with
        ``pull model manifest: file does not exist``. Mutable; default ``{"does-not-exist"}``."""
        return self._state.unknown_registry_models

    @unknown_registry_models.setter
    def unknown_registry_models(self, names: set[str]) -> None:
        self._state.unknown_registry_models = set(names)

    # -- models and blobs --------------------------------------------------------------------

    @property
    def models(self) -> list[FakeModel]:
        """The installed models (a snapshot)."""
        return self._state.models()

    def add_model(self, model: FakeModel | str) -> FakeModel:
        """Install (or replace) a model. Returns the installed record."""
        record = model if isinstance(model, FakeModel) else model_for_name(model)
        self._state.add_model(record)
        return record

    def remove_model(self, name: str) -> bool:
        """Uninstall a model. Returns whether it was installed."""
        return self._state.remove_model(name)

    def get_model(self, name: str) -> FakeModel | None:
        """The installed model called ``name`` (case-insensitive, ``:latest`` implied)."""
        return self._state.get_model(name)

    @property
    def loaded_models(self) -> list[str]:
        """Names of the models ``/api/ps`` lists now."""
        return self._state.loaded_models()

    def add_blob(self, data: bytes) -> str:
        """Store a blob as if uploaded; returns its digest ``sha256:<hex>``."""
        return self._state.add_blob(data)

    def has_blob(self, digest: str) -> bool:
        """Whether a blob with this ``sha256:<hex>`` digest was uploaded."""
        return self._state.has_blob(digest)

    # -- expected content --------------------------------------------------------------------

    @staticmethod
    def reply_for(text: str) -> str:
        """The full reply to a prompt or last user message ``text`` (without ``format``)."""
        return _responses.reply_text(text)

    def embedding_for(self, text: str, dimensions: int | None = None) -> list[float]:
        """The normalized vector ``/api/embed`` returns for ``text``."""
        size = dimensions if dimensions else self.embedding_size
        return _responses.embedding(text, size, normalize=True)

    # -- recording and accounting ------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        core = self._core
        with core.records_lock:
            return list(core.records)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        core = self._core
        with core.records_lock:
            core.records.clear()

    @property
    def stats(self) -> ServerStats:
        """Connection and request counters (a snapshot)."""
        return self._connections.snapshot()

    def reset_stats(self) -> None:
        """Restart the counters from the connections open now."""
        self._connections.reset()

    def wait_for_idle(self, timeout: float = 5.0) -> bool:
        """Block until no client connection is open. Returns ``False`` on timeout.

        Use it to check that a client released its connections (closed them, rather than
        keeping them in its pool).
        """
        return self._connections.wait_idle(timeout)
