"""What the values of a decoded request body mean to the endpoints: ``keep_alive`` in seconds,
whether to stream, ``format``, the paths and digests ``create`` names, and logprobs.

Errors carry Ollama's status and message, as in ``_validate``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, cast

from ollama_service.testing._validate import ApiError
from ollama_service.testing._wire import go_quote, parse_go_duration

__all__ = [
    "DIGEST",
    "check_top_logprobs",
    "format_value",
    "is_relative_path",
    "keep_alive",
    "logprobs_request",
    "stream_requested",
]

DIGEST = re.compile(r"^sha256[:-][0-9a-fA-F]{64}$")


def keep_alive(value: object) -> float | None:
    """``keep_alive`` in seconds: ``None`` for the default, negative values for "forever"."""
    if value is None:
        return None
    if isinstance(value, str):
        seconds = parse_go_duration(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        return None
    return -1.0 if seconds < 0 else seconds


def stream_requested(body: Mapping[str, Any]) -> bool:
    """``stream`` absent or null means stream; only an explicit ``false`` turns it off."""
    return body.get("stream") is not False


def format_value(value: object) -> object:
    """``format``: ``None`` when off, ``"json"`` or a schema dict; anything else is a 500."""
    if value is None or value == "":
        return None
    if value == "json" or isinstance(value, dict):
        return cast("object", value)
    raw = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    raise ApiError(
        500, f'invalid format: {go_quote(raw)}; expected "json" or a valid JSON Schema object'
    )


def is_relative_path(path: str) -> bool:
    if not path or path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        return False
    parts = path.replace("\\", "/").split("/")
    return all(part not in ("", ".", "..") for part in parts)


def check_top_logprobs(body: Mapping[str, Any]) -> None:
    top = body.get("top_logprobs")
    if isinstance(top, int) and not 0 <= top <= 20:
        raise ApiError(400, "top_logprobs must be between 0 and 20")


def logprobs_request(body: Mapping[str, Any]) -> int | None:
    """``None`` when logprobs are off, else the number of alternatives per token."""
    if body.get("logprobs") is not True:
        return None
    top = body.get("top_logprobs")
    return top if isinstance(top, int) else 0
