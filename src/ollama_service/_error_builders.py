"""The exceptions our own checks raise, each built with its message and advice.

The client, the stream reader and the decoders find these conditions themselves (nothing
failed in httpx): an ``{"error": ...}`` line inside a stream, a stream that ended early or is
read after closing, a body that is not the JSON we expect, a reply over its size cap, a call
past its deadline. Each builder returns the exception; the caller raises it, so the message
text lives here once. Pure functions, tested with tables.
"""

from __future__ import annotations

from typing import Final

import msgspec

from ._errors import (
    OllamaContentDecodingError,
    OllamaDecodeError,
    OllamaResponseTooLargeError,
    OllamaStreamClosedError,
    OllamaStreamError,
    OllamaTimeoutError,
)
from ._redact import redact_url, snippet_of

__all__ = [
    "JSON_DECODE_FAILURES",
    "JsonDecodeFailure",
    "content_decoding_error",
    "deadline_error",
    "decode_error",
    "error_text",
    "line_too_long_error",
    "response_too_large_error",
    "stream_closed_error",
    "stream_error",
    "truncated_stream_error",
]

JsonDecodeFailure = msgspec.DecodeError | UnicodeDecodeError | RecursionError
"""What decoding untrusted JSON with msgspec can raise: malformed or mistyped
JSON (``msgspec.DecodeError``, including ``ValidationError``), invalid UTF-8 in
a string, or nesting too deep to follow. Invalid UTF-8 is a ``UnicodeDecodeError``
up to msgspec 0.22 and a ``msgspec.DecodeError`` from 0.23 on, so callers never
branch on the type: ``decode_error`` checks the bytes themselves."""

JSON_DECODE_FAILURES: Final = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)


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
    snippet = snippet_of(line)
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
    snippet = snippet_of(head)
    message = (
        f"A line of Ollama's streamed response is longer than max_line_bytes={limit} bytes; "
        f"stopped buffering it. Raise max_line_bytes if such lines are expected. "
        f"Received: {snippet}"
    )
    return OllamaDecodeError(message, line=snippet, type_name="NDJSON line")
