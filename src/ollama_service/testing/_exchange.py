"""The values the endpoints and the HTTP layer exchange: requests, responses, content types.

Transport-free: an endpoint maps an :class:`ApiRequest` to an :class:`ApiResponse`; the
handler (``_handler.py``) reads the one off the socket and writes the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ollama_service.testing._fields import BODIES
from ollama_service.testing._validate import decode
from ollama_service.testing._wire import dumps

__all__ = [
    "ApiRequest",
    "ApiResponse",
    "JSON_TYPE",
    "NDJSON_TYPE",
    "STREAMING_PATHS",
    "TEXT_TYPE",
    "decode_body",
    "empty_reply",
    "json_reply",
    "stream_reply",
]

JSON_TYPE = "application/json; charset=utf-8"
NDJSON_TYPE = "application/x-ndjson"
TEXT_TYPE = "text/plain; charset=utf-8"
STREAMING_PATHS = frozenset({"/api/generate", "/api/chat", "/api/pull", "/api/push", "/api/create"})


@dataclass(frozen=True)
class ApiRequest:
    """A request as the endpoints see it."""

    method: str
    path: str
    body: bytes
    json: Any
    json_error: str | None
    headers: Mapping[str, str] = field(default_factory=dict[str, str])
    """Request headers, with lower-case names."""


@dataclass
class ApiResponse:
    """A response: a plain body, or NDJSON ``lines`` sent with chunked encoding.

    ``before_last`` runs just before a stream's final line is written (it commits registry
    changes, so a stream cut by a fault changes nothing).
    """

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    lines: list[bytes] | None = None
    before_last: Callable[[], None] | None = None


def decode_body(request: ApiRequest) -> dict[str, Any]:
    """The body of ``request``, checked against the field table of its path."""
    body = BODIES[request.path]
    return decode(request.body, request.json, request.json_error, body.struct, body.fields)


def json_reply(status: int, value: object) -> ApiResponse:
    return ApiResponse(status, dumps(value), JSON_TYPE)


def empty_reply(status: int = 200) -> ApiResponse:
    return ApiResponse(status)


def stream_reply(
    objects: Iterable[object], before_last: Callable[[], None] | None = None
) -> ApiResponse:
    lines = [dumps(obj) + b"\n" for obj in objects]
    return ApiResponse(200, content_type=NDJSON_TYPE, lines=lines, before_last=before_last)
