"""Reading a whole reply body: decompressed in small pieces, capped, and bounded by the deadline.

This file is the source of `read_body` too: `nox -s generate` derives `_sync/_reply_body.py` from it
with unasync, so write nothing here that a token rename cannot turn into blocking code (the
exceptions live in `ollama_service._twins`).
"""

from __future__ import annotations

import httpx

from ollama_service._deadline import DeadlineExpired, expired
from ollama_service._error_builders import content_decoding_error, response_too_large_error
from ollama_service._inflate import InflateError, TooLarge, inflater_for

__all__ = ["read_body"]


async def read_body(response: httpx.Response, limit: int, url: str, expires: float | None) -> bytes:
    """Read a whole body, decompressed, stopping at `limit` bytes and at the deadline."""
    headers = response.headers
    encoding = headers.get("content-encoding")
    if encoding is None:
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise response_too_large_error(limit, url)
    parts: list[bytes] = []
    size = 0
    inflater = inflater_for(encoding, limit)
    try:
        if inflater is not None:
            # gzip and deflate are inflated here in small pieces: a bomb stops at the cap.
            async for raw in response.aiter_raw():
                parts.extend(inflater.feed(raw))
                if expires is not None and expired(expires):
                    raise DeadlineExpired
            parts.append(inflater.flush())
            return b"".join(parts)
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise TooLarge
            parts.append(chunk)
            if expires is not None and expired(expires):
                raise DeadlineExpired
    except TooLarge:
        raise response_too_large_error(limit, url) from None
    except InflateError as exc:
        raise content_decoding_error(url, str(exc)) from None
    return parts[0] if len(parts) == 1 else b"".join(parts)
