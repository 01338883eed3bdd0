"""The exceptions the SDK raises, and the pure functions that build them.

Everything we raise derives from one base, so ``except OllamaServiceError``
catches all of it, and no httpx or msgspec exception escapes the client::

    OllamaServiceError                        base of everything we raise; .attempts
    ├── OllamaRequestError (also ValueError)  bad caller input, raised before anything is sent
    ├── OllamaConnectionError                 refused / DNS / reset / dropped; .url, .sent
    │   └── OllamaTimeoutError                a bound ran out; .phase, .timeout
    ├── OllamaResponseError                   HTTP status >= 400; .status_code, .error, .body,
    │   │                                     .retry_after
    │   ├── OllamaModelNotFoundError          404 about a model; .model
    │   ├── OllamaServerBusyError             503: the server's queue is full
    │   └── OllamaStreamError                 an {"error": ...} line inside a 200 stream, or a
    │                                         stream that ended early (.truncated); status 200
    └── OllamaDecodeError                     a body or line that is not the JSON we expect;
                                              .line (a snippet), .type_name

``ResponseError`` and ``RequestError`` are aliases with the official ``ollama``
library's names, so code migrating from it keeps its ``except`` clauses, and
``str(OllamaResponseError)`` reads ``"<error> (status code: N)"`` as there.

Constructors take the message first and everything else by keyword with a
default, so exceptions survive pickling (``BaseException`` rebuilds from
``args`` and then restores attributes).

httpx exceptions are translated at exactly one place, ``map_transport_errors``,
always with ``raise ... from exc`` so the original stays in ``__cause__``.
URLs in messages and in ``.url`` have any password replaced, because error
messages end up in logs.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Final, Literal, cast

import httpx
import msgspec

from ._constants import (
    DEFAULT_BASE_URL,
    ELLIPSIS,
    ENV_BASE_URL,
    ENV_HOST,
    ERROR_SNIPPET_CHARS,
    REDACTED,
)

__all__ = [
    "JSON_DECODE_FAILURES",
    "JsonDecodeFailure",
    "OllamaConnectionError",
    "OllamaDecodeError",
    "OllamaModelNotFoundError",
    "OllamaRequestError",
    "OllamaResponseError",
    "OllamaServerBusyError",
    "OllamaServiceError",
    "OllamaStreamError",
    "OllamaTimeoutError",
    "RequestError",
    "ResponseError",
    "TimeoutPhase",
    "decode_error",
    "error_from_response",
    "error_text",
    "line_too_long_error",
    "map_transport_errors",
    "redact_url",
    "stream_error",
    "translate_transport_error",
    "truncated_stream_error",
]

TimeoutPhase = Literal["connect", "read", "write", "pool"]

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
        super().__init__(message)
        self.message = message
        self.attempts = attempts


class OllamaRequestError(OllamaServiceError, ValueError):
    """The caller's input is invalid; nothing was sent.

    Also a ``ValueError``, so generic input validation code catches it.
    """


class OllamaConnectionError(OllamaServiceError):
    """The server could not be reached, or the connection broke mid-request.

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


class OllamaTimeoutError(OllamaConnectionError):
    """A configured time bound ran out.

    Attributes:
        phase: Which bound: ``connect``, ``read``, ``write`` or ``pool``.
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
        self.error = error
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
        self.line = line
        self.type_name = type_name


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
    """Readable start of some bytes; invalid UTF-8 is replaced, never fatal."""
    # A UTF-8 character is at most 4 bytes: decode no more than the snippet can show.
    head = data[: ERROR_SNIPPET_CHARS * 4].decode("utf-8", errors="replace")
    if len(head) > ERROR_SNIPPET_CHARS or len(data) > ERROR_SNIPPET_CHARS * 4:
        return head[:ERROR_SNIPPET_CHARS] + ELLIPSIS
    return head


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
) -> OllamaResponseError:
    """Build the exception for an HTTP error response.

    The class depends on the status, never on the message text: Ollama spells
    "model not found" three ways. A 404 whose body is not JSON comes from the
    router (``404 page not found``), which means a wrong path or base URL, not
    a missing model, so it gets a hint about the base URL instead.

    Args:
        status_code: The HTTP status, 400 or above.
        body: The full response body.
        model: The model the request named, if any; enables the model-not-found class.
        retry_after: The parsed ``Retry-After`` header, if any.

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
        elif status_code == 404:
            message = f"{text}: this URL path does not exist on the server. {_BASE_URL_HINT}"
        else:
            message = text
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
        message = f"Could not connect to Ollama at {shown}: {reason}. {advice}"
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


class _TransportErrorMap(AbstractContextManager[None]):
    """The context manager behind ``map_transport_errors``.

    A class rather than ``@contextmanager``: it wraps every chunk read of a
    stream, and a plain ``__exit__`` costs a fraction of a generator.
    """

    __slots__ = ("_url",)

    def __init__(self, url: str) -> None:
        self._url = url

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
        if isinstance(exc, httpx.TransportError):
            raise translate_transport_error(exc, url=self._url) from exc
        if isinstance(exc, httpx.RequestError):
            message = f"Request to Ollama at {redact_url(self._url)} failed: {exc}"
            raise OllamaConnectionError(message, url=self._url, sent=True) from exc


def map_transport_errors(url: str) -> AbstractContextManager[None]:
    """The single boundary where httpx exceptions become ours.

    - ``httpx.TransportError`` becomes what ``translate_transport_error`` says.
    - ``httpx.InvalidURL`` and ``httpx.UnsupportedProtocol`` become
      OllamaRequestError: the URL the caller configured is unusable, nothing was
      sent, and retrying cannot help.
    - Other ``httpx.RequestError`` (a corrupt compressed body, too many
      redirects) becomes OllamaConnectionError with httpx's message.

    Everything else passes through untouched: our own exceptions, httpx's
    programming errors (``StreamConsumed``...), ``HTTPStatusError`` (we never
    call ``raise_for_status``) and cancellation.

    Args:
        url: The URL being requested, for the messages.

    Returns:
        A context manager to wrap sending a request and reading its body.
    """
    return _TransportErrorMap(url)


def stream_error(message: str) -> OllamaStreamError:
    """Build the exception for an ``{"error": ...}`` line inside a 200 stream.

    Args:
        message: The server's message.

    Returns:
        An OllamaStreamError with status 200.
    """
    return OllamaStreamError(message, 200)


def truncated_stream_error(items: int) -> OllamaStreamError:
    """Build the exception for a stream that ended before its final object.

    A silent truncation would look like a short answer, so it is an error.

    Args:
        items: How many items the stream yielded before it ended.

    Returns:
        An OllamaStreamError with status 200 and ``truncated`` set.
    """
    noun = "item" if items == 1 else "items"
    message = (
        f"stream ended after {items} {noun} without its final object; "
        "the connection was cut or the server stopped mid-response"
    )
    return OllamaStreamError(message, 200, truncated=True)


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
