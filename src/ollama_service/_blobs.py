"""Blob digests: computed from bytes, and checked before they go into a URL path."""

from __future__ import annotations

import hashlib
import re

from ._errors import OllamaRequestError

__all__ = ["blob_digest", "blob_path"]


def blob_digest(data: bytes) -> str:
    """Return the digest form the server compares byte for byte: `sha256:<lowercase hex>`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def blob_path(digest: object) -> str:
    """Return `/api/blobs/<digest>` for a digest in the exact form the server matches.

    Raises:
        OllamaRequestError: Not `sha256:` followed by 64 lowercase hex digits (the server
            compares the string as is, so `sha256-...` or uppercase would never match).
    """
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise OllamaRequestError(
            f"digest must be 'sha256:' and 64 lowercase hex digits, got {digest!r}"
        )
    return f"/api/blobs/{digest}"
