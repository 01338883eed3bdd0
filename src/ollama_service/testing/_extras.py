"""Replies of the experimental endpoints: image generation and ``/v1/systemone``.

Pure functions of the request, so tests can compute what the fake server answers.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib
from collections.abc import Mapping
from typing import Any, cast

from ollama_service.testing._validate import ApiError, as_dict, as_list

__all__ = [
    "DEFAULT_IMAGE_STEPS",
    "MAX_IMAGE_STEPS",
    "MAX_SYSTEMONE_BODY",
    "fake_png",
    "image_steps",
    "systemone_reply",
]

DEFAULT_IMAGE_STEPS = 4
MAX_IMAGE_STEPS = 100  # bounds the progress stream, whatever a test asks for
MAX_SYSTEMONE_BODY = 64 * 1024
_MAX_IMAGE_SIDE = 64  # the fake draws a small image, whatever size was asked for


def image_steps(value: object) -> int:
    """The number of progress updates for an image request's ``steps``."""
    if value is None:
        return DEFAULT_IMAGE_STEPS
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ApiError(400, f"steps must be a positive integer, got {value!r}")
    return min(value, MAX_IMAGE_STEPS)


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def fake_png(prompt: str, width: object = None, height: object = None) -> str:
    """A valid grey-scale PNG (base64) whose shade derives from ``prompt``.

    Its size is ``width`` x ``height`` capped at 64 pixels a side (8 x 8 when not given).
    """

    def side(value: object) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return min(value, _MAX_IMAGE_SIDE)
        return 8

    w, h = side(width), side(height)
    shade = hashlib.sha256(prompt.encode("utf-8", "replace")).digest()[0]
    rows = b"".join(b"\x00" + bytes([shade]) * w for _ in range(h))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(rows))
        + _chunk(b"IEND", b"")
    )
    return base64.b64encode(png).decode("ascii")


def _score(*parts: str) -> float:
    """A deterministic number in [0, 1) from ``parts``, rounded to 3 places."""
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "replace")).digest()
    return round(int.from_bytes(digest[:4], "big") / 2**32, 3)


def _answer(model: str, name: str, question: Mapping[str, Any]) -> dict[str, Any]:
    kind = question.get("type")
    if kind == "noul":
        return {"type": "noul", "noul": _score(model, name)}
    if kind == "choice":
        criteria = as_dict(question.get("criteria"))
        if not criteria:
            raise ApiError(400, f"question {name!r}: criteria must name at least one choice")
        keys = list(criteria)
        weights = [1.0 + _score(model, name, key) for key in keys]
        total = sum(weights)
        probabilities = {key: round(w / total, 3) for key, w in zip(keys, weights, strict=True)}
        choice = max(keys, key=lambda key: probabilities[key])
        return {
            "type": "choice",
            "choice": choice,
            "probabilities": probabilities,
            "confidence": probabilities[choice],
        }
    if kind == "score":
        levels = as_list(question.get("criteria"))
        if not levels:
            raise ApiError(400, f"question {name!r}: criteria must list at least one level")
        weights = [1.0 + _score(model, name, str(i)) for i in range(len(levels))]
        total = sum(weights)
        probabilities = {str(i): round(w / total, 3) for i, w in enumerate(weights)}
        expected = sum(i * w / total for i, w in enumerate(weights))
        return {
            "type": "score",
            "score": round(expected, 3),
            "legend": {str(i): str(level) for i, level in enumerate(levels)},
            "probabilities": probabilities,
            "confidence": max(probabilities.values()),
        }
    raise ApiError(400, f"question {name!r}: unknown type {kind!r} (choice, noul or score)")


def systemone_reply(model: str, body: Mapping[str, Any], size: int) -> dict[str, Any]:
    """The ``/v1/systemone`` reply to a ``size``-byte request: one answer per question, in the
    questions' order."""
    if size > MAX_SYSTEMONE_BODY:
        raise ApiError(413, "request body must not exceed 64 KiB")
    if body.get("state") in (None, "", [], {}):
        raise ApiError(400, "state must not be empty")
    questions = as_dict(body.get("questions"))
    if not questions:
        raise ApiError(400, "questions must name at least one question")
    answers: dict[str, Any] = {}
    for name, question in questions.items():
        mapping = as_dict(question)
        if mapping is None:
            raise ApiError(400, f"question {name!r} must be an object")
        answers[name] = _answer(model, name, cast("Mapping[str, Any]", mapping))
    state_words = len(str(body.get("state")).split())
    return {
        "model": model,
        "answers": answers,
        "usage": {
            "input_tokens": state_words + 8 * len(questions),
            "output_tokens": len(questions),
        },
    }
