"""Failures from below mapped onto the exception tree: httpx's exceptions and HTTP error statuses.

Two entry points, each the only one for its kind of failure:

- ``map_transport_errors``: the one boundary where httpx exceptions become ours, always with
  ``raise ... from exc`` so the original stays in ``__cause__``;
- ``error_from_response``: the exception for an HTTP status of 400 or above, chosen by the
  status (never the message text), with a one-line summary of a proxy's page.

Messages name the URL (password redacted), what failed and the likely fix (the advice texts
below), because the first reader of a connection error is usually someone whose server is not
running.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Final, cast

import httpx
import msgspec

from ._constants import DEFAULT_BASE_URL, DEFAULT_MAX_REDIRECTS
from ._env import ENV_BASE_URL, ENV_HOST
from ._error_builders import (
    JSON_DECODE_FAILURES,
    content_decoding_error,
    error_text,
    truncated_stream_error,
)
from ._errors import (
    CONNECTION_ERROR_MESSAGE,
    OllamaConnectionError,
    OllamaModelNotFoundError,
    OllamaRedirectError,
    OllamaRequestError,
    OllamaResponseError,
    OllamaServerBusyError,
    OllamaServiceError,
    OllamaStreamError,
    OllamaTimeoutError,
    TimeoutPhase,
)
from ._proxy_page import is_router_text, looks_like_html, summarize_error_page
from ._redact import redact_url, snippet_of

__all__ = ["error_from_response", "map_transport_errors", "translate_transport_error"]

_START_HINT: Final = f"Is it running? Start it with `ollama serve`, or set {ENV_HOST}."
_BASE_URL_HINT: Final = (
    f"Check the base URL ({ENV_BASE_URL} or {ENV_HOST}): it should be the server's root, "
    f"such as {DEFAULT_BASE_URL}, without /api."
)

# Texts of resolver failures on Linux, macOS, Windows and anyio.
_DNS_MARKERS: Final = (
    "name or service not known",
    "nodename nor servname",
    "getaddrinfo",
    "name resolution",
    "no address associated",
    "no such host",
)

_TIMEOUT_PHASES: Final[Mapping[type[httpx.TimeoutException], TimeoutPhase]] = {
    httpx.ConnectTimeout: "connect",
    httpx.ReadTimeout: "read",
    httpx.WriteTimeout: "write",
    httpx.PoolTimeout: "pool",
}

_TIMEOUT_ACTIVITY: Final[Mapping[TimeoutPhase, str]] = {
    "connect": "connecting to",
    "read": "waiting for a response from",
    "write": "sending the request to",
    "pool": "waiting for a free connection to",
}

_TIMEOUT_ADVICE: Final[Mapping[TimeoutPhase, str]] = {
    "connect": f"Is it running and reachable? Start it with `ollama serve`, or set {ENV_HOST}.",
    "read": (
        "Loading a large model can take minutes: raise the timeout, "
        "or pass timeout=None to wait without a bound."
    ),
    "write": "The request body may be large or the link slow: raise the timeout.",
    "pool": (
        "Every pooled connection is busy, often because streams were left open: "
        "close finished streams, or raise max_connections."
    ),
}


class _ErrorBody(msgspec.Struct):
    """The shape of Ollama's JSON error bodies; other keys are ignored."""

    error: object = None


_ERROR_BODY_DECODER: Final = msgspec.json.Decoder(_ErrorBody)


def _json_error(body: bytes) -> str | None:
    """The message of a JSON ``{"error": ...}`` body, or None for any other body."""
    try:
        decoded = _ERROR_BODY_DECODER.decode(body)
    except JSON_DECODE_FAILURES:
        return None
    return error_text(decoded.error)


def _empty_body_message(status_code: int) -> str:
    if status_code == 403:
        return (
            "HTTP 403 with an empty body: the server refused this request's Host or Origin "
            "(see OLLAMA_HOST and OLLAMA_ORIGINS on the server)"
        )
    return f"HTTP {status_code} with an empty body"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything chained below it, each once."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _connect_failure(exc: httpx.ConnectError) -> tuple[str, str]:
    """Why a connection failed, and what to do about it."""
    resolve_advice = f"Check the host name in {ENV_HOST} or the base URL."
    for cause in _causes(exc):
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused", _START_HINT
        if isinstance(cause, socket.gaierror):
            return "the host name could not be resolved", resolve_advice
    text = str(exc)
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused", _START_HINT
    if any(marker in lowered for marker in _DNS_MARKERS):
        return "the host name could not be resolved", resolve_advice
    return text or type(exc).__name__, _START_HINT


def _timeout_phase(exc: httpx.TimeoutException) -> TimeoutPhase:
    for cls, phase in _TIMEOUT_PHASES.items():
        if isinstance(exc, cls):
            return phase
    return "read"


def _configured_timeout(exc: httpx.TimeoutException, phase: TimeoutPhase) -> float | None:
    """The bound httpx applied for ``phase``, read from the failed request."""
    try:
        request = exc.request
    except RuntimeError:
        return None
    config: object = request.extensions.get("timeout")
    if not isinstance(config, Mapping):
        return None
    timeouts = cast("Mapping[str, object]", config)
    value = timeouts.get(phase)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def error_from_response(
    status_code: int,
    body: bytes,
    *,
    model: str | None = None,
    retry_after: float | None = None,
    content_type: str | None = None,
    server: str | None = None,
) -> OllamaResponseError:
    """Build the exception for an HTTP error response.

    The class depends on the status, never on the message text: Ollama spells
    "model not found" three ways. A 404 whose body is not JSON comes from the
    router (``404 page not found``), which means a wrong path or base URL, not
    a missing model, so it gets a hint about the base URL instead. Any other
    HTML or text body comes from a proxy in front of Ollama, and is summarised
    in one line (``502 Bad Gateway from nginx/1.22.1, a proxy in front of
    Ollama``); the raw body stays in ``.body``.

    Args:
        status_code: The HTTP status, 400 or above.
        body: The full response body.
        model: The model the request named, if any; enables the model-not-found class.
        retry_after: The parsed ``Retry-After`` header, if any.
        content_type: The response's Content-Type, to recognise an HTML page.
        server: The response's Server header, to name the proxy.

    Returns:
        OllamaModelNotFoundError for a JSON 404 when ``model`` is given,
        OllamaServerBusyError for 503, otherwise OllamaResponseError.
    """
    message = _json_error(body)
    if message is not None and status_code == 404 and model is not None:
        return OllamaModelNotFoundError(
            message, status_code, model=model, body=body, retry_after=retry_after
        )
    if message is None:
        text = snippet_of(body.strip()).strip()
        if not text:
            message = _empty_body_message(status_code)
        elif status_code == 404 and not looks_like_html(body, content_type):
            # Ollama's router (`404 page not found`), or a proxy's text: a wrong path.
            message = f"{text}: this URL path does not exist on the server. {_BASE_URL_HINT}"
        elif is_router_text(body):
            message = text
        else:
            message = summarize_error_page(
                status_code, body, content_type=content_type, server=server
            )
            if status_code == 404:
                message = f"{message}. {_BASE_URL_HINT}"
    if status_code == 503:
        return OllamaServerBusyError(message, status_code, body=body, retry_after=retry_after)
    return OllamaResponseError(message, status_code, body=body, retry_after=retry_after)


def translate_transport_error(exc: httpx.TransportError, *, url: str) -> OllamaConnectionError:
    """Turn an httpx transport failure into our exception, with advice.

    Args:
        exc: The httpx exception.
        url: The URL the request went to (a password in it is redacted).

    Returns:
        OllamaTimeoutError for the four timeouts; otherwise OllamaConnectionError,
        whose ``sent`` is False only for failures to connect.
    """
    shown = redact_url(url)
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        phase = _timeout_phase(exc)
        bound = _configured_timeout(exc, phase)
        limit = f" (the {phase} timeout is {bound:g}s)" if bound is not None else ""
        message = (
            f"Timed out {_TIMEOUT_ACTIVITY[phase]} Ollama at {shown}{limit}. "
            f"{_TIMEOUT_ADVICE[phase]}"
        )
        return OllamaTimeoutError(message, url=url, phase=phase, timeout=bound)
    if isinstance(exc, httpx.ConnectError):
        reason, advice = _connect_failure(exc)
        # The official library's sentence first, so code matching it keeps matching.
        message = f"{CONNECTION_ERROR_MESSAGE} Could not connect to {shown}: {reason}. {advice}"
        return OllamaConnectionError(message, url=url, sent=False)
    if isinstance(exc, (httpx.NetworkError, httpx.RemoteProtocolError)):
        message = (
            f"The connection to Ollama at {shown} closed unexpectedly ({detail}). "
            "The server may have stopped or restarted; check its logs."
        )
        return OllamaConnectionError(message, url=url, sent=True)
    return OllamaConnectionError(
        f"Request to Ollama at {shown} failed: {detail}", url=url, sent=True
    )


def _not_transient(exc: httpx.HTTPError, url: str) -> OllamaServiceError | None:
    """Failures that another attempt would meet again: typed, and never retried."""
    shown = redact_url(url)
    if isinstance(exc, httpx.TooManyRedirects):
        return OllamaRedirectError(
            f"Too many redirects requesting {shown} (more than {DEFAULT_MAX_REDIRECTS}): the "
            "server or a proxy in front of it redirects in a loop. Check the base URL and the "
            "proxy's configuration. Not retried.",
            url=url,
        )
    if isinstance(exc, httpx.DecodingError):
        return content_decoding_error(url, str(exc))
    return None


def _cut_stream(exc: httpx.TransportError, items: int) -> OllamaStreamError | None:
    """A stream whose connection broke after its 200: truncated, whatever broke it.

    Behind a proxy the same dead backend shows as a broken connection (HTTP/1.1 upstream)
    or as a clean early end (HTTP/1.0 upstream); both are the one truncated-stream error.
    Timeouts keep their own type: the stream was not cut, it stalled.
    """
    if isinstance(exc, httpx.TimeoutException):
        return None
    if isinstance(exc, (httpx.NetworkError, httpx.RemoteProtocolError)):
        detail = str(exc) or type(exc).__name__
        return truncated_stream_error(items, reason=f"the connection broke ({detail})")
    return None


class _TransportErrorMap(AbstractContextManager[None]):
    """The context manager behind ``map_transport_errors``.

    A class rather than ``@contextmanager``: it wraps every chunk read of a
    stream, and a plain ``__exit__`` costs a fraction of a generator.
    """

    __slots__ = ("_items", "_url")

    def __init__(self, url: str, items: Callable[[], int] | None = None) -> None:
        self._url = url
        self._items = items

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None or not isinstance(exc, (httpx.HTTPError, httpx.InvalidURL)):
            return
        if isinstance(exc, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
            message = f"Invalid URL for Ollama ({redact_url(self._url)}): {exc}"
            raise OllamaRequestError(message) from exc
        final = _not_transient(exc, self._url)
        if final is not None:
            raise final from exc
        if isinstance(exc, httpx.TransportError):
            if self._items is not None:
                cut = _cut_stream(exc, self._items())
                if cut is not None:
                    raise cut from exc
            raise translate_transport_error(exc, url=self._url) from exc
        if isinstance(exc, httpx.RequestError):
            message = f"Request to Ollama at {redact_url(self._url)} failed: {exc}"
            raise OllamaConnectionError(message, url=self._url, sent=True) from exc


def map_transport_errors(
    url: str, *, stream_items: Callable[[], int] | None = None
) -> AbstractContextManager[None]:
    """The single boundary where httpx exceptions become ours.

    - ``httpx.TransportError`` becomes what ``translate_transport_error`` says;
      while reading a stream's body (``stream_items`` given), a broken connection
      becomes ``OllamaStreamError(truncated=True)`` instead, so a stream cut
      mid-way raises one type whatever sits between us and the server.
    - ``httpx.InvalidURL`` and ``httpx.UnsupportedProtocol`` become
      OllamaRequestError: the URL the caller configured is unusable, nothing was
      sent, and retrying cannot help.
    - ``httpx.TooManyRedirects`` becomes OllamaRedirectError and
      ``httpx.DecodingError`` (a corrupt compressed body) OllamaContentDecodingError:
      neither is transient, so neither is retried.
    - Other ``httpx.RequestError`` becomes OllamaConnectionError with httpx's message.

    Everything else passes through untouched: our own exceptions, httpx's
    programming errors (``StreamConsumed``...), ``HTTPStatusError`` (we never
    call ``raise_for_status``) and cancellation.

    Args:
        url: The URL being requested, for the messages.
        stream_items: For a stream's body: how many items it has yielded so far.

    Returns:
        A context manager to wrap sending a request and reading its body.
    """
    return _TransportErrorMap(url, stream_items)
