"""NDJSON for Ollama's streams: split bytes into lines, decode each line.

Ollama streams ``generate``, ``chat``, ``pull``, ``push`` and ``create`` as
newline-delimited JSON. Lines arrive cut at arbitrary byte boundaries, so the
splitter works on bytes (no text decoding, no per-character work) and is the
hot loop of every stream: a chunk with no pending partial line is split with one
``bytes.split`` and filtered with one comprehension.

An error can arrive in the middle of a 200 stream as ``{"error": "..."}``;
``decode_line`` checks for it before the typed decode.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final, TypeVar

import msgspec

from ._constants import MAX_LINE_BYTES
from ._error_builders import (
    JSON_DECODE_FAILURES,
    decode_error,
    error_text,
    line_too_long_error,
    stream_error,
)
from ._errors import OllamaRequestError

__all__ = ["ERROR_KEY", "LineSplitter", "decode_line", "is_terminal", "split_lines"]

# A line holding this may be an error object (see `decode_line`); any other line is decoded
# straight into its type.
ERROR_KEY: Final = b'"error"'

T = TypeVar("T")


class LineSplitter:
    """Incremental, byte-level NDJSON line splitter.

    Feed it chunks as they arrive; it returns the complete lines, without their
    ``\\n`` or ``\\r\\n``, skipping blank lines. A partial line is kept as a
    list of pieces and joined once when its newline arrives, so one long line
    delivered in many small chunks costs linear, not quadratic, time.

    Lines longer than ``max_line_bytes`` (not counting the ``\n`` or ``\r\n``)
    raise OllamaDecodeError as soon as the buffered part passes the cap, which
    bounds memory for a misbehaving server. Whether a line is too long depends
    only on the line, never on where the chunks were cut: a partial line may hold
    one byte more than the cap while that byte is a ``\r`` that the next chunk's
    ``\n`` could turn into the line's terminator.
    """

    __slots__ = ("_max_line_bytes", "_pending", "_pending_size")

    def __init__(self, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        if max_line_bytes < 1:
            raise OllamaRequestError(f"max_line_bytes must be at least 1, got {max_line_bytes!r}")
        self._max_line_bytes = max_line_bytes
        self._pending: list[bytes] = []
        self._pending_size = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        """Add a chunk and collect the lines it completes.

        Args:
            chunk: The next bytes of the stream (may be empty).

        Returns:
            The completed, non-blank lines, in order.

        Raises:
            OllamaDecodeError: If a line grows beyond ``max_line_bytes``.
        """
        # Fast path: Ollama writes one line per chunk.
        if not self._pending and chunk.find(b"\n") == len(chunk) - 1:
            line = chunk[:-1]
            if line.endswith(b"\r"):
                line = line[:-1]
            if len(line) > self._max_line_bytes:
                raise line_too_long_error(self._max_line_bytes, line)
            return [line] if line and not line.isspace() else []
        parts = chunk.split(b"\n")
        tail = parts.pop()
        if len(chunk) > self._max_line_bytes:
            # Only a chunk bigger than the cap can hold a whole line over it.
            for part in parts:
                if _content_size(part) > self._max_line_bytes:
                    raise line_too_long_error(self._max_line_bytes, part)
        has_cr = b"\r" in chunk
        if self._pending:
            if not parts:
                if tail:
                    self._hold(tail)
                return []
            first = self._complete(parts[0])
            parts[0] = first
            has_cr = has_cr or first.endswith(b"\r")
        if tail:
            self._hold(tail)
        if has_cr:
            parts = [part[:-1] if part.endswith(b"\r") else part for part in parts]
        return [part for part in parts if part and not part.isspace()]

    def flush(self) -> bytes | None:
        """Return the last line when the stream ends without a newline.

        Returns:
            The final non-blank line, or None. The splitter is empty afterwards.
        """
        if not self._pending:
            return None
        line = b"".join(self._pending)
        self._pending.clear()
        self._pending_size = 0
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line or line.isspace():
            return None
        return line

    def _hold(self, piece: bytes) -> None:
        """Buffer a non-empty piece of a line whose newline has not arrived yet."""
        self._pending.append(piece)
        self._pending_size += len(piece)
        # A trailing \r may still become part of the terminator (\r\n): do not count it yet.
        if self._pending_size - piece.endswith(b"\r") > self._max_line_bytes:
            head = self._pending[0]
            self._pending.clear()
            self._pending_size = 0
            raise line_too_long_error(self._max_line_bytes, head)

    def _complete(self, piece: bytes) -> bytes:
        """Join the pending pieces with the piece that ends the line."""
        last = piece or self._pending[-1]
        if self._pending_size + len(piece) - last.endswith(b"\r") > self._max_line_bytes:
            head = self._pending[0]
            self._pending.clear()
            self._pending_size = 0
            raise line_too_long_error(self._max_line_bytes, head)
        self._pending.append(piece)
        line = b"".join(self._pending)
        self._pending.clear()
        self._pending_size = 0
        return line


def _content_size(raw: bytes) -> int:
    """The length of a line cut at its ``\n``, not counting the ``\r`` of a ``\r\n``."""
    return len(raw) - raw.endswith(b"\r")


def split_lines(chunks: Iterable[bytes], max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """Split a whole chunked byte stream into lines (for tests and recorded fixtures).

    Args:
        chunks: The stream's chunks.
        max_line_bytes: The per-line cap, as for ``LineSplitter``.

    Yields:
        Each non-blank line, including a final one without a newline.
    """
    splitter = LineSplitter(max_line_bytes)
    for chunk in chunks:
        yield from splitter.feed(chunk)
    last = splitter.flush()
    if last is not None:
        yield last


class _ErrorLine(msgspec.Struct):
    """An ``{"error": ...}`` stream line; other keys are ignored."""

    error: object = None


_ERROR_LINE_DECODER: Final = msgspec.json.Decoder(_ErrorLine)


def decode_line(line: bytes, decoder: msgspec.json.Decoder[T], type_name: str) -> T:
    """Decode one stream line, raising the server's error if the line is one.

    The error check runs first but costs one substring search per line:
    ``b'"error"'`` with both quotes bare can only be an object key or a whole
    string value, because a quote inside a JSON string is escaped (``\\"``). A
    line that contains it is decoded once more as ``{"error": ...}`` to confirm
    (a chunk whose text is exactly "error" has no such key and passes).

    Args:
        line: One complete NDJSON line.
        decoder: The reusable decoder of the expected type.
        type_name: The type's name, for error messages.

    Returns:
        The decoded item.

    Raises:
        OllamaStreamError: If the line carries a non-empty ``error``.
        OllamaDecodeError: If the line is not valid JSON of the expected type.
    """
    if ERROR_KEY in line:
        try:
            message = error_text(_ERROR_LINE_DECODER.decode(line).error)
        except JSON_DECODE_FAILURES:
            message = None
        if message is not None:
            raise stream_error(message)
    try:
        return decoder.decode(line)
    except JSON_DECODE_FAILURES as exc:
        raise decode_error(line, type_name, exc) from exc


def is_terminal(item: object, field: str, equals: object) -> bool:
    """Whether a stream item is the stream's final object.

    Streams end with a marker field (``done: true`` for generate and chat,
    ``status: "success"`` for pull, push and create); a stream that stops
    without it was cut short.

    Args:
        item: A decoded stream item.
        field: The marker field's name.
        equals: The value that marks the end.

    Returns:
        True when ``item.<field> == equals``.
    """
    return bool(getattr(item, field, None) == equals)
