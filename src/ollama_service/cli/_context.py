"""What every command needs: the output, the settings, the servers, and clients for them.

Also the two bits of plumbing the command adds on top of the SDK, both through its public
hooks: retry notices on stderr (a handler for the SDK's `ollama.retry` log event), and upload
progress (an httpx transport that counts the bytes of blob uploads).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TextIO

import httpx

from ollama_service._retry import client_retries
from ollama_service._sync.client import Client
from ollama_service.cli._hosts import HostChoice, retry_reason
from ollama_service.cli._render import Output
from ollama_service.types._operations import OPERATIONS

if TYPE_CHECKING:
    from ollama_service._settings import OllamaSettings

__all__ = ["HOST_THREAD_PREFIX", "Context", "RetryNotices", "UploadCounter"]

_LOGGER: Final = "ollama_service"
_RETRY_EVENT: Final = "ollama.retry"
# Worker threads of multi-host commands are named after their server, so notices can say which.
HOST_THREAD_PREFIX: Final = "host "
_BLOBS: Final = "/api/blobs/"


class RetryNotices(logging.Handler):
    """Shows the SDK's retry events as `retrying in 1.0 s (attempt 2 of 3): connection refused`."""

    def __init__(self, output: Output, settings: OllamaSettings) -> None:
        super().__init__(logging.WARNING)
        self._output = output
        retries = client_retries(settings.max_retries)
        self._attempts = retries.policy.max_attempts
        # Operations with a retry budget of their own (the spec's x-max-retries), by path.
        self._attempts_by_path = {
            op.path: retries.for_operation(op.max_retries).max_attempts
            for op in OPERATIONS.values()
            if op.max_retries is not None
        }

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg != _RETRY_EVENT:
            return
        fields = record.__dict__
        attempt = int(fields.get("attempt", 1)) + 1
        delay = float(fields.get("delay", 0.0))
        of = self._attempts_by_path.get(str(fields.get("path")), self._attempts)
        reason = retry_reason(str(fields.get("error_message") or fields.get("error", "")))
        thread = threading.current_thread().name
        where = (
            thread.removeprefix(HOST_THREAD_PREFIX) + ": "
            if thread.startswith(HOST_THREAD_PREFIX)
            else ""
        )
        self._output.notice(
            f"{where}retrying in {delay:.1f} s (attempt {attempt} of {of}): {reason}"
        )

    def install(self) -> None:
        """Attach to the SDK's logger (the command is an application; the library never does)."""
        logger = logging.getLogger(_LOGGER)
        logger.addHandler(self)
        if logger.level == logging.NOTSET or logger.level > logging.WARNING:
            logger.setLevel(logging.WARNING)


class _CountedStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, on_bytes: Callable[[int], None]) -> None:
        self._inner = inner
        self._on_bytes = on_bytes

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            yield chunk
            self._on_bytes(len(chunk))

    def close(self) -> None:
        self._inner.close()


class UploadCounter(httpx.BaseTransport):
    """A transport that reports the bytes of each blob upload as they leave.

    Attributes:
        on_bytes: Called with (digest, bytes just sent) for every chunk of a blob upload.
    """

    def __init__(self, on_bytes: Callable[[str, int], None]) -> None:
        from ollama_service._http_config import default_ssl_context

        self._inner = httpx.HTTPTransport(verify=default_ssl_context())
        self.on_bytes = on_bytes

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and _BLOBS in path:
            digest = path[path.index(_BLOBS) + len(_BLOBS) :]
            stream = request.stream
            if isinstance(stream, httpx.SyncByteStream):
                request.stream = _CountedStream(stream, lambda n: self.on_bytes(digest, n))
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


@dataclass
class Context:
    """What every command needs.

    Attributes:
        output: Where to write.
        settings: The SDK settings, with `--timeout` applied.
        hosts: The servers from `--host`/`OLLAMA_HOSTS` (empty: the settings decide).
        stdin: Where `chat` and prompts are read from.
    """

    output: Output
    settings: OllamaSettings
    hosts: HostChoice
    stdin: TextIO

    @property
    def urls(self) -> list[str]:
        """The servers to run on: those given, else the one the settings name."""
        return list(self.hosts.urls) or [self.settings.resolved_base_url]

    @property
    def base_url(self) -> str:
        """The first (for most commands, the only) server."""
        return self.urls[0]

    def client(
        self,
        url: str | None = None,
        *,
        max_retries: int | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> Client:
        """A client for `url` (default: the first server) with the settings; close it."""
        settings = self.settings
        return Client(
            url or self.base_url,
            timeout=settings.timeout,
            max_retries=settings.max_retries if max_retries is None else max_retries,
            max_connections=settings.max_connections,
            api_key=settings.api_key_value(),
            transport=transport,
        )
