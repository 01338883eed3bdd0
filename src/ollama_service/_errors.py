"""The exceptions the SDK raises: the tree, and nothing else.

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

Where they come from lives elsewhere: httpx failures and HTTP error statuses are
mapped onto the tree at exactly one boundary, ``_error_mapping.map_transport_errors``
(always ``raise ... from exc``, so the original stays in ``__cause__``); the
exceptions our own checks raise (streams, decoding, size caps, deadlines) are
built with their messages in ``_error_builders``. URLs in messages and in
``.url`` have any password replaced, and control characters in every message and
snippet are escaped (``_redact``), because error messages end up in logs and on
terminals.
"""

from __future__ import annotations

import errno
import os
from typing import Final, Literal

from ._constants import DEFAULT_MAX_REDIRECTS
from ._redact import escape_controls, redact_url

__all__ = [
    "CONNECTION_ERROR_MESSAGE",
    "OllamaConnectionError",
    "OllamaContentDecodingError",
    "OllamaDecodeError",
    "OllamaFileNotFoundError",
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
]

TimeoutPhase = Literal["connect", "read", "write", "pool", "deadline"]

CONNECTION_ERROR_MESSAGE: Final = (
    "Failed to connect to Ollama. Please check that Ollama is downloaded, running and "
    "accessible. https://ollama.com/download"
)
"""The official library's message for a failed connection; ours starts with it, then names the
URL and the likely fix, so code matching the official text keeps matching."""


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


class OllamaFileNotFoundError(OllamaRequestError, FileNotFoundError):
    """A file the call must read (an image, a blob) does not exist; nothing was sent.

    Also a builtin ``FileNotFoundError``, as the official library raises for a missing
    ``Path``, and still a ``ValueError`` through ``OllamaRequestError``.

    Attributes:
        filename: The path as given.
    """

    def __init__(self, message: str = "", filename: str = "", *, attempts: int = 1) -> None:
        super().__init__(message, attempts=attempts)
        self.errno = errno.ENOENT
        self.strerror = os.strerror(errno.ENOENT)
        self.filename = filename

    def __str__(self) -> str:
        # Our message names the argument and the file; OSError's own format would not.
        return self.message

    def __reduce__(self) -> tuple[object, ...]:
        # OSError keeps `filename` in a slot that pickling by `args` alone would lose.
        return (type(self), (self.message, self.filename), dict(self.__dict__))


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
