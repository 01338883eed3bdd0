"""The exceptions the SDK raises, and the pure functions that build them.

Everything we raise derives from one base, so ``except OllamaServiceError``
catches all of it, and no httpx or msgspec exception escapes the client::

    OllamaServiceError                        base of everything we raise; .attempts
    ├── OllamaRequestError (also ValueError)  bad caller input, raised before anything is sent
    ├── OllamaConnectionError                 refused / DNS / reset / dropped; .url, .sent
    │   │                                     (also ConnectionError)
    │   └── OllamaTimeoutError                a bound ran out; .phase, .timeout (also TimeoutError)
    ├── OllamaRedirectError                   too many redirects (a loop); .url, .max_redirects
    ├── OllamaResponseError                   HTTP status >= 400; .status_code, .error, .body,
    │   │                                     .retry_after
    │   ├── OllamaModelNotFoundError          404 about a model; .model
    │   ├── OllamaServerBusyError             503: the server's queue is full
    │   └── OllamaStreamError                 an {"error": ...} line inside a 200 stream, or a
    │                                         stream that ended early (.truncated); status 200
    │   └── OllamaStreamClosedError           reading a stream that was closed or had failed
    └── OllamaDecodeError                     a body or line that is not the JSON we expect;
        │                                     .line (a snippet), .type_name
        ├── OllamaContentDecodingError        a compressed body that does not decompress
        └── OllamaResponseTooLargeError       a whole reply above max_response_bytes; .limit

``ResponseError`` and ``RequestError`` are aliases with the official ``ollama``
library's names, so code migrating from it keeps its ``except`` clauses, and
``str(OllamaResponseError)`` reads ``"<error> (status code: N)"`` as there. The
official library raises the builtin ``ConnectionError`` when it cannot connect;
our connection errors are ``ConnectionError`` s too, and timeouts ``TimeoutError`` s,
so ``except (ConnectionError, TimeoutError)`` keeps working.

Constructors take the message first and everything else by keyword with a
default, so exceptions survive pickling (``BaseException`` rebuilds from
``args`` and then restores attributes).

httpx exceptions are translated at exactly one place, ``map_transport_errors``,
always with ``raise ... from exc`` so the original stays in ``__cause__``.
URLs in messages and in ``.url`` have any password replaced, and control
characters in every message and snippet are escaped (``_sanitize``), because
error messages end up in logs and on terminals.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Final, Literal, cast

import httpx
import msgspec

from ._constants import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_REDIRECTS,
    ELLIPSIS,
    ENV_BASE_URL,
    ENV_HOST,
    ERROR_SNIPPET_CHARS,
    REDACTED,
)
from ._proxy_page import is_router_text, looks_like_html, summarize_error_page
from ._sanitize import escape_controls

__all__ = [
    "CONNECTION_ERROR_MESSAGE",
    "JSON_DECODE_FAILURES",
    "JsonDecodeFailure",
    "OllamaConnectionError",
    "OllamaContentDecodingError",
    "OllamaDecodeError",
    "OllamaModelNotFoundError",
    "OllamaRedirectError",
    "OllamaRequestError",
    "OllamaResponseError",
    "OllamaResponseTooLargeError",
    "OllamaServerBusyError",
    "OllamaServiceError",
    "OllamaStreamClosedError",
    "OllamaStreamError",
    "OllamaTimeoutError",
    "RequestError",
    "ResponseError",
    "TimeoutPhase",
    "content_decoding_error",
    "deadline_error",
    "decode_error",
    "error_from_response",
    "error_text",
    "line_too_long_error",
    "map_transport_errors",
    "redact_url",
    "response_too_large_error",
    "stream_closed_error",
    "stream_error",
    "translate_transport_error",
    "truncated_stream_error",
]

TimeoutPhase = Literal["connect", "read", "write", "pool", "deadline"]

CONNECTION_ERROR_MESSAGE: Final = (
    "Failed to connect to Ollama. Please check that Ollama is downloaded, running and "
    "accessible. https://ollama.com/download"
)
"""The official library's message for a failed connection; ours starts with it, then names the
URL and the likely fix, so code matching the official text keeps matching."""

JsonDecodeFailure = msgspec.DecodeError | UnicodeDecodeError | RecursionError
"""What decoding untrusted JSON with msgspec can raise: malformed or mistyped
JSON (``msgspec.DecodeError``, including ``ValidationError``), invalid UTF-8 in
a string, or nesting too deep to follow. Invalid UTF-8 is a ``UnicodeDecodeError``
up to msgspec 0.22 and a ``msgspec.DecodeError`` from 0.23 on, so callers never
branch on the type: ``decode_error`` checks the bytes themselves."""

JSON_DECODE_FAILURES: Final = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)

# --- The tree ------------------------------------------------------------------


class OllamaServiceError(Exception):
    """Base of every exception this SDK raises.

    Attributes:
        message: The human-readable message.
        attempts: How many attempts were made before giving up (1 without retries).
    """

    def __init__(self, message: str = "", *, attempts: int = 1) -> None:
        # Messages quote servers and proxies: escaped, they cannot drive a terminal or
        # forge a log line (escaping is idempotent, so unpickling changes nothing).
        message = escape_controls(message)
        super().__init__(message)
        self.message = message
        self.attempts = attempts


class OllamaRequestError(OllamaServiceError, ValueError):
    """The caller's input is invalid; nothing was sent.

    Also a ``ValueError``, so generic input validation code catches it.

    Attributes:
        error: The reason, as on the official library's ``RequestError``.
    """

    def __init__(self, message: str = "", *, attempts: int = 1) -> None:
        super().__init__(message, attempts=attempts)
        self.error = message


class OllamaConnectionError(OllamaServiceError, ConnectionError):
    """The server could not be reached, or the connection broke mid-request.

    Also a builtin ``ConnectionError`` (what the official library raises), so
    ``except ConnectionError:`` written for it keeps working.

    Attributes:
        url: The URL we tried, with any password redacted.
        sent: False when the failure certainly happened before the request left
            (refused, DNS, no free connection); retrying is then safe even for
            requests that are not idempotent.
    """

    def __init__(
        self, message: str = "", *, url: str = "", sent: bool = True, attempts: int = 1
    ) -> None:
        super().__init__(message, attempts=attempts)
        self.url = redact_url(url)
        self.sent = sent


class OllamaTimeoutError(OllamaConnectionError, TimeoutError):
    """A configured time bound ran out.

    Also a builtin ``TimeoutError``, so ``except (ConnectionError, TimeoutError):``
    retry code written for the official library catches it.

    Attributes:
        phase: Which bound: ``connect``, ``read``, ``write`` or ``pool`` (httpx's four), or
            ``deadline``: the total time allowed for the whole call (the ``deadline``
            option) ran out, whatever the call was doing.
        timeout: The configured bound in seconds, when known.
    """

    def __init__(
        self,
        message: str = "",
        *,
        url: str = "",
        phase: TimeoutPhase = "read",
        timeout: float | None = None,
        sent: bool | None = None,
        attempts: int = 1,
    ) -> None:
        if sent is None:
            sent = phase not in ("connect", "pool")
        super().__init__(message, url=url, sent=sent, attempts=attempts)
        self.phase: TimeoutPhase = phase
        self.timeout = timeout


class OllamaResponseError(OllamaServiceError):
    """The server answered with an error.

    Attributes:
        error: The server's message (the ``error`` field of its JSON body), or
            the raw body text when the body is not JSON.
        status_code: The HTTP status (200 for errors inside a stream).
        body: The raw response body, for diagnosis.
        retry_after: The server's ``Retry-After`` in seconds, when it sent one.
    """

    def __init__(
        self,
        error: str = "",
        status_code: int = -1,
        *,
        body: bytes = b"",
        retry_after: float | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(error, attempts=attempts)
        self.error = self.message
        self.status_code = status_code
        self.body = body
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.error} (status code: {self.status_code})"


class OllamaModelNotFoundError(OllamaResponseError):
    """A 404 about a model: it is not installed (``ollama pull`` it) or misspelt.

    Attributes:
        model: The model the request named.
    """

    def __init__(
        self,
        error: str = "",
        status_code: int = 404,
        *,
        model: str | None = None,
        body: bytes = b"",
        retry_after: float | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(error, status_code, body=body, retry_after=retry_after, attempts=attempts)
        self.model = model


class OllamaServerBusyError(OllamaResponseError):
    """503: the server's queue is full (``OLLAMA_MAX_QUEUE``); worth retrying later."""

    def __init__(
        self,
        error: str = "",
        status_code: int = 503,
        *,
        body: bytes = b"",
        retry_after: float | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(error, status_code, body=body, retry_after=retry_after, attempts=attempts)


class OllamaStreamError(OllamaResponseError):
    """A stream failed after the server had already answered 200.

    Attributes:
        truncated: True when the stream simply ended before its final object;
            False when the server sent an ``{"error": ...}`` line.
    """

    def __init__(
        self,
        error: str = "",
        status_code: int = 200,
        *,
        truncated: bool = False,
        body: bytes = b"",
        retry_after: float | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(error, status_code, body=body, retry_after=retry_after, attempts=attempts)
        self.truncated = truncated


class OllamaStreamClosedError(OllamaStreamError, RuntimeError):
    """The caller read a stream that was closed before its end, or that had already failed.

    Reading a stream always continues where the last read stopped; a stream read to its end
    then yields nothing more. Anything else would lose items silently, so reading a stream
    after ``close()`` (or after leaving its ``with`` block early), or after it raised, raises
    this instead. Also a ``RuntimeError``, as reading a closed httpx stream is.
    """


class OllamaRedirectError(OllamaServiceError):
    """The server (or a proxy) redirected more times than allowed: a redirect loop.

    Not retried: asking again would follow the same loop.

    Attributes:
        url: The URL first requested, with any password redacted.
        max_redirects: The limit that was reached.
    """

    def __init__(
        self,
        message: str = "",
        *,
        url: str = "",
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        attempts: int = 1,
    ) -> None:
        super().__init__(message, attempts=attempts)
        self.url = redact_url(url)
        self.max_redirects = max_redirects


class OllamaDecodeError(OllamaServiceError):
    """A body or stream line is not the JSON we expect.

    Attributes:
        line: The start of the offending text, cut to a readable length.
        type_name: What we tried to decode it as.
    """

    def __init__(
        self, message: str = "", *, line: str = "", type_name: str = "", attempts: int = 1
    ) -> None:
        super().__init__(message, attempts=attempts)
        self.line = escape_controls(line)
        self.type_name = type_name


class OllamaContentDecodingError(OllamaDecodeError):
    """A compressed body (``Content-Encoding``) that does not decompress.

    Not retried: the server or a proxy sent a corrupt body, and would send it again.
    """


class OllamaResponseTooLargeError(OllamaDecodeError):
    """A whole (non-streamed) reply is larger than the cap, so reading it stopped.

    The cap bounds memory against a runaway or hostile server (a gzip bomb); streamed
    replies are bounded per line instead.

    Attributes:
        limit: The cap in bytes (after decompression).
        setting: The option that sets it (``max_response_bytes``).
    """

    def __init__(
        self,
        message: str = "",
        *,
        limit: int = 0,
        setting: str = "max_response_bytes",
        line: str = "",
        type_name: str = "",
        attempts: int = 1,
    ) -> None:
        super().__init__(message, line=line, type_name=type_name, attempts=attempts)
        self.limit = limit
        self.setting = setting


ResponseError = OllamaResponseError
RequestError = OllamaRequestError

# --- Helpers -------------------------------------------------------------------

_USERINFO: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@\s]*)@")

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


def redact_url(text: str) -> str:
    """Hide the passwords of URLs, since URLs end up in messages and logs.

    Args:
        text: A URL, or any text that may contain URLs.

    Returns:
        The text with each ``scheme://user:password@`` turned into
        ``scheme://user:***@``; anything else unchanged.
    """
    if "@" not in text:
        return text
    return _USERINFO.sub(_redact_userinfo, text)


def _redact_userinfo(match: re.Match[str]) -> str:
    user, has_password, _ = match.group(2).partition(":")
    userinfo = f"{user}:{REDACTED}" if has_password else user
    return f"{match.group(1)}{userinfo}@"


def _snippet(data: bytes) -> str:
    """Readable start of some bytes, on one line: invalid UTF-8 replaced, controls escaped."""
    # A UTF-8 character is at most 4 bytes: decode no more than the snippet can show.
    head = data[: ERROR_SNIPPET_CHARS * 4].decode("utf-8", errors="replace")
    if len(head) > ERROR_SNIPPET_CHARS or len(data) > ERROR_SNIPPET_CHARS * 4:
        return escape_controls(head[:ERROR_SNIPPET_CHARS]) + ELLIPSIS
    return escape_controls(head)


def error_text(value: object) -> str | None:
    """Turn the value of an ``error`` key into a message.

    Ollama sends a string; proxies and future servers may send an object, which
    is still an error and is shown as JSON rather than ignored.

    Args:
        value: The decoded value of the ``error`` key (None when absent).

    Returns:
        The message, or None when the value means "no error" (absent, null, "").
    """
    if isinstance(value, str):
        return value or None
    if value is None:
        return None
    return msgspec.json.encode(value).decode()


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


# --- Builders ------------------------------------------------------------------


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
        text = _snippet(body.strip()).strip()
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


def content_decoding_error(url: str, detail: str) -> OllamaContentDecodingError:
    """Build the exception for a body that does not match its Content-Encoding.

    Args:
        url: The URL requested.
        detail: What the decompressor said.

    Returns:
        An OllamaContentDecodingError, which is never retried.
    """
    return OllamaContentDecodingError(
        f"The response from {redact_url(url)} could not be decoded: its body does not match "
        f"its Content-Encoding ({detail}). The server or a proxy sent a corrupt compressed "
        "body. Not retried.",
        type_name="Content-Encoding",
    )


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


def stream_error(message: str) -> OllamaStreamError:
    """Build the exception for an ``{"error": ...}`` line inside a 200 stream.

    Args:
        message: The server's message.

    Returns:
        An OllamaStreamError with status 200.
    """
    return OllamaStreamError(message, 200)


def truncated_stream_error(items: int, *, reason: str | None = None) -> OllamaStreamError:
    """Build the exception for a stream that ended before its final object.

    A silent truncation would look like a short answer, so it is an error.

    Args:
        items: How many items the stream yielded before it ended.
        reason: What cut it, when known (a broken connection); None for a body
            that ended cleanly but early.

    Returns:
        An OllamaStreamError with status 200 and ``truncated`` set.
    """
    noun = "item" if items == 1 else "items"
    cause = f": {reason}" if reason else ""
    message = (
        f"stream ended after {items} {noun} without its final object{cause}; "
        "the connection was cut or the server stopped mid-response"
    )
    return OllamaStreamError(message, 200, truncated=True)


def stream_closed_error(items: int, *, failed: str | None) -> OllamaStreamClosedError:
    """Build the exception for reading a stream that was closed early or had failed.

    Args:
        items: How many items the stream had yielded.
        failed: The message of the error the stream raised, or None when it was closed.

    Returns:
        An OllamaStreamClosedError with status 200.
    """
    noun = "item" if items == 1 else "items"
    if failed is not None:
        message = (
            f"this stream already failed after {items} {noun} ({failed}); "
            "its remaining items cannot be read. Make the call again."
        )
    else:
        message = (
            f"this stream was closed after {items} {noun}, before its end; "
            "its remaining items cannot be read. Read it before closing it "
            "(or before leaving its with block)."
        )
    return OllamaStreamClosedError(message, 200)


def response_too_large_error(limit: int, url: str) -> OllamaResponseTooLargeError:
    """Build the exception for a whole reply larger than the cap.

    Args:
        limit: The cap in bytes.
        url: The URL requested.

    Returns:
        An OllamaResponseTooLargeError naming the cap and the setting.
    """
    message = (
        f"The response from {redact_url(url)} is larger than max_response_bytes={limit} "
        "bytes (after decompression); stopped reading it. Raise max_response_bytes "
        "(or OLLAMA_MAX_RESPONSE_BYTES) if such replies are expected."
    )
    return OllamaResponseTooLargeError(
        message, limit=limit, setting="max_response_bytes", type_name="response body"
    )


def deadline_error(url: str, seconds: float, *, stream: bool = False) -> OllamaTimeoutError:
    """Build the exception for a call that ran past its total deadline.

    Args:
        url: The URL requested.
        seconds: The deadline in seconds.
        stream: Whether the call was waiting for a stream's first item.

    Returns:
        An OllamaTimeoutError with phase ``deadline``.
    """
    what = "its first streamed item" if stream else "the whole reply"
    message = (
        f"The call to Ollama at {redact_url(url)} did not get {what} within its deadline of "
        f"{seconds:g}s (connect, send and read together, retries included). Raise the "
        "deadline, or pass deadline=None for no total bound."
    )
    return OllamaTimeoutError(message, url=url, phase="deadline", timeout=seconds)


def decode_error(line: bytes, type_name: str, exc: JsonDecodeFailure) -> OllamaDecodeError:
    """Build the exception for a body or line that is not the expected JSON.

    msgspec's message names the failing field path (such as ``$.done``), which
    is the useful part; the snippet shows what arrived.

    Args:
        line: The offending bytes (any length, any encoding).
        type_name: What we tried to decode them as.
        exc: What the decoder raised (see ``JsonDecodeFailure``).

    Returns:
        An OllamaDecodeError carrying the snippet and the type name.
    """
    snippet = _snippet(line)
    reason = _utf8_problem(line) or str(exc)
    message = (
        f"Ollama sent something that is not a valid {type_name}: {reason}. Received: {snippet}"
    )
    return OllamaDecodeError(message, line=snippet, type_name=type_name)


def _utf8_problem(data: bytes) -> str | None:
    """Describe the first invalid UTF-8 sequence of `data` in our own words, or None.

    Checked on the bytes, not inferred from the decoder's exception, because msgspec reports
    invalid UTF-8 differently across versions (see ``JsonDecodeFailure``). Runs only on the
    error path, so the whole line may be scanned.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.end].hex()
        return f"invalid UTF-8 at byte {exc.start} (0x{bad}: {exc.reason})"
    return None


def line_too_long_error(limit: int, head: bytes) -> OllamaDecodeError:
    """Build the exception for a stream line longer than the buffering cap.

    Args:
        limit: The cap in bytes.
        head: The start of the line.

    Returns:
        An OllamaDecodeError naming the cap.
    """
    snippet = _snippet(head)
    message = (
        f"A line of Ollama's streamed response is longer than max_line_bytes={limit} bytes; "
        f"stopped buffering it. Raise max_line_bytes if such lines are expected. "
        f"Received: {snippet}"
    )
    return OllamaDecodeError(message, line=snippet, type_name="NDJSON line")
