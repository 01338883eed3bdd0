"""Bounded decompression of whole replies: a gzip bomb costs at most the cap, not its size.

httpx decompresses each network read in one call, so one 64 KiB read of a gzip bomb becomes
64 MiB at once (and twice that while zlib grows its buffer). For gzip and deflate, the
encodings servers and proxies actually use, the client reads raw bytes and inflates them here
in pieces of at most `PIECE_BYTES`, stopping as soon as the total passes the cap. Other
encodings (br, zstd) go through httpx's decoders, capped after each piece.
"""

from __future__ import annotations

import zlib
from typing import Final

__all__ = ["PIECE_BYTES", "BoundedInflater", "InflateError", "TooLarge", "inflater_for"]

PIECE_BYTES: Final = 1024 * 1024

# zlib's window bits: gzip wrapper; zlib wrapper (deflate as RFC 9110 defines it).
_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS
_ZLIB_WBITS: Final = zlib.MAX_WBITS
_RAW_WBITS: Final = -zlib.MAX_WBITS


class TooLarge(Exception):
    """The inflated body passed the cap."""


class InflateError(Exception):
    """The body does not inflate (corrupt compression)."""


class BoundedInflater:
    """Inflate a gzip or deflate body piece by piece, never holding more than the cap."""

    def __init__(self, encoding: str, limit: int) -> None:
        self._encoding = encoding
        self._limit = limit
        self._size = 0
        self._first = True
        self._inflater = zlib.decompressobj(_GZIP_WBITS if encoding == "gzip" else _ZLIB_WBITS)

    def feed(self, data: bytes) -> list[bytes]:
        """The inflated pieces of the next raw bytes.

        Raises:
            TooLarge: The total passed the cap.
            InflateError: The bytes are not valid for the encoding.
        """
        if self._first and self._encoding == "deflate" and data:
            self._first = False
            # Some servers send raw deflate without the zlib wrapper, as httpx tolerates.
            if data[0] & 0x0F != zlib.DEFLATED:
                self._inflater = zlib.decompressobj(_RAW_WBITS)
        pieces: list[bytes] = []
        pending = data
        while pending:
            try:
                piece = self._inflater.decompress(pending, PIECE_BYTES)
            except zlib.error as exc:
                raise InflateError(str(exc)) from exc
            self._count(piece)
            pieces.append(piece)
            pending = self._inflater.unconsumed_tail
            if not piece and pending:  # pragma: no cover - zlib always progresses
                break
        return pieces

    def flush(self) -> bytes:
        """The last inflated bytes, at the end of the body."""
        try:
            piece = self._inflater.flush()
        except zlib.error as exc:  # pragma: no cover - flush after valid data does not fail
            raise InflateError(str(exc)) from exc
        self._count(piece)
        return piece

    def _count(self, piece: bytes) -> None:
        self._size += len(piece)
        if self._size > self._limit:
            raise TooLarge


def inflater_for(content_encoding: str | None, limit: int) -> BoundedInflater | None:
    """A bounded inflater for a single gzip or deflate encoding; None for anything else."""
    if content_encoding is None:
        return None
    encoding = content_encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return BoundedInflater("gzip", limit)
    if encoding == "deflate":
        return BoundedInflater("deflate", limit)
    return None
