"""Structured output: decode a reply's JSON text into the Struct type that was sent as `format`."""

from __future__ import annotations

from typing import TypeVar

import msgspec

from ollama_service._error_builders import decode_error
from ollama_service.types import ChatResponse, GenerateResponse

__all__ = ["parse_structured"]

S = TypeVar("S")


def parse_structured(response: GenerateResponse | ChatResponse, into: type[S]) -> S:
    """Decode the text of a reply into `into`, the type passed as `format=` to the request.

    Args:
        response: A non-streamed `generate` or `chat` reply.
        into: A msgspec Struct type (or any type msgspec can decode, e.g. `dict[str, int]`).

    Returns:
        The decoded value.

    Raises:
        OllamaDecodeError: The text is not JSON of that shape; the message names the field.
    """
    text = response.response if isinstance(response, GenerateResponse) else response.message.content
    data = text.encode()
    try:
        return msgspec.json.decode(data, type=into)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        name = getattr(into, "__name__", repr(into))
        raise decode_error(data, name, exc) from exc
