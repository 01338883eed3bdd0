"""Request bodies encoded to JSON bytes with one shared msgspec encoder."""

from __future__ import annotations

import typing
from typing import Any, cast

import msgspec

__all__ = ["JSON_ENCODER", "builtins_of", "encode_body"]


JSON_ENCODER: typing.Final = msgspec.json.Encoder()


def builtins_of(struct: msgspec.Struct) -> dict[str, Any]:
    return cast("dict[str, Any]", msgspec.to_builtins(struct))


def encode_body(request: msgspec.Struct) -> bytes:
    """Encode a request struct (only the fields the caller set) with the shared encoder."""
    return JSON_ENCODER.encode(request)
