"""One HTTP/1.1 connection: reads requests, runs the endpoints, writes replies and streams,
and applies the armed faults (stalls, latency, cut or failing streams) on the way.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, cast
from urllib.parse import unquote

from ollama_service.testing._core import Core, HasCore, RecordedRequest
from ollama_service.testing._exchange import (
    JSON_TYPE,
    NDJSON_TYPE,
    STREAMING_PATHS,
    ApiRequest,
    ApiResponse,
)
from ollama_service.testing._faults import take_request, take_stream
from ollama_service.testing._wire import dumps, json_syntax_error

__all__ = ["Handler"]

_MAX_LINE = 65_536
_PHRASES = {status.value: status.phrase for status in HTTPStatus}
_TERMINATOR = b"0\r\n\r\n"
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "date"})


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


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Stay silent."""

    def _core(self) -> Core:
        return cast("HasCore", self.server).core

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
