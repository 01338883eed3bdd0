"""Decode one reply body or stream line into its typed struct, tolerating one known quirk.

Some models (and proxies in front of Ollama) send tool-call `arguments` as a JSON *string*
rather than an object. The typed decode rejects that; only then, off the hot path, the line
is decoded loosely, each string argument parsed into an object, and the result converted to
the struct. Well-formed lines cost one decode, as before.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from ollama_service._error_builders import JSON_DECODE_FAILURES
from ollama_service._errors import OllamaDecodeError
from ollama_service._ndjson import ERROR_KEY, decode_line

__all__ = ["decode_body", "decode_item", "repair_tool_arguments"]

T = TypeVar("T")


def decode_item(data: bytes, decoder: msgspec.json.Decoder[T]) -> T:
    """Decode `data` with the operation's decoder.

    Raises:
        OllamaStreamError: The line is an `{"error": ...}` object.
        OllamaDecodeError: The data is not valid JSON of the expected shape (the message names
            the field path and shows the start of the data).
    """
    if ERROR_KEY not in data:
        # The hot path of every stream line: one substring search and one typed decode. The
        # full path below (error line, type name for the message, repair) runs only when that
        # fails; building its arguments per line cost as much as the decode itself.
        try:
            return decoder.decode(data)
        except JSON_DECODE_FAILURES:
            pass
    try:
        return decode_line(data, decoder, _type_name(decoder))
    except OllamaDecodeError:
        loose = _loads(data)
        if loose is None or not repair_tool_arguments(loose):
            raise
        converted: T = msgspec.convert(loose, decoder.type)
        return converted


def decode_body(data: bytes, decoder: msgspec.json.Decoder[T]) -> T:
    """Decode a whole (non-streamed) 2xx reply.

    Unlike a stream line, a large body (an embedding batch is megabytes) is not scanned for an
    error key first: Ollama sends errors of non-streamed calls with an error status, so a 2xx
    body is only checked when it starts like an error object, or when it fails to decode.
    """
    if not data.startswith(b'{"error"'):
        try:
            return decoder.decode(data)
        except JSON_DECODE_FAILURES:
            pass
    return decode_item(data, decoder)


def _type_name(decoder: msgspec.json.Decoder[Any]) -> str:
    return getattr(decoder.type, "__name__", str(decoder.type))


def _loads(data: bytes) -> Any:
    try:
        return msgspec.json.decode(data)
    except JSON_DECODE_FAILURES:
        return None


def repair_tool_arguments(obj: Any) -> bool:
    """Parse string tool-call arguments (in `message.tool_calls` or `tool_calls`) in place.

    Returns:
        True when at least one argument string was turned into an object.
    """
    body = _mapping(obj)
    calls = [
        *_list(body.get("tool_calls")),
        *_list(_mapping(body.get("message")).get("tool_calls")),
    ]
    repaired = False
    for call in calls:
        function = _mapping(_mapping(call).get("function"))
        args = function.get("arguments")
        if isinstance(args, str):
            parsed = _loads(args.encode())
            if isinstance(parsed, dict):
                function["arguments"] = parsed
                repaired = True
    return repaired


def _mapping(value: object) -> dict[str, Any]:
    # Loose JSON from msgspec: dict keys are str by construction.
    return value if isinstance(value, dict) else {}  # pyright: ignore[reportUnknownVariableType]


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []  # pyright: ignore[reportUnknownVariableType]
