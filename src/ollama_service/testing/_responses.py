"""Deterministic content: reply text, thinking, structured output, tool calls and embeddings.

Everything here is a pure function of its arguments, so tests can compute the exact reply the
fake server will send.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

__all__ = [
    "REPLY_SUFFIX",
    "call_id",
    "embedding",
    "logprob_entry",
    "reply_text",
    "schema_value",
    "split_words",
    "structured_reply",
    "thinking_text",
    "token_ids",
    "tool_call_arguments",
    "tool_results_reply",
]

REPLY_SUFFIX = "This is a deterministic reply from the fake Ollama."
_ALNUM = "0123456789abcdefghijklmnopqrstuvwxyz"
_VOCABULARY_SIZE = 128_256
_MAX_SCHEMA_DEPTH = 8


def reply_text(text: str) -> str:
    """The reply to a prompt or to the last user message."""
    return f"You said: {text}. {REPLY_SUFFIX}"


def thinking_text(text: str) -> str:
    """The reasoning trace sent before the reply when thinking is on."""
    return f"The user wrote: {text}. I will answer in one sentence."


def tool_results_reply(results: Sequence[tuple[str, str]]) -> str:
    """The reply after ``role: tool`` messages: mentions each ``(tool name, result)`` pair."""
    joined = "; ".join(f"{name} returned {content}" for name, content in results)
    return f"Tool results: {joined}. {REPLY_SUFFIX}"


def split_words(text: str) -> list[str]:
    """Split ``text`` into chunks of one word plus its following space.

    Joining the chunks gives ``text`` back exactly.
    """
    words = text.split(" ")
    chunks = [word + " " for word in words[:-1]]
    if words[-1]:
        chunks.append(words[-1])
    return chunks or [text]


def _hash_int(text: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=8).digest(), "big"
    )


def token_ids(text: str) -> list[int]:
    """Fake token ids for ``text``: one per whitespace-separated word."""
    return [_hash_int(word) % _VOCABULARY_SIZE for word in text.split()]


def embedding(text: str, size: int, *, normalize: bool) -> list[float]:
    """A deterministic vector of ``size`` floats derived from a SHA-256 of ``text``.

    The first ``n`` values never depend on ``size``, so a shorter vector is a prefix of a longer
    one before normalization (as ``dimensions`` behaves in Ollama).
    """
    seed = text.encode("utf-8", "replace")
    values: list[float] = []
    block = 0
    while len(values) < size:
        digest = hashlib.sha256(seed + block.to_bytes(4, "big")).digest()
        for offset in range(0, 32, 4):
            raw = int.from_bytes(digest[offset : offset + 4], "big")
            values.append(raw / 2_147_483_647.5 - 1.0)
        block += 1
    del values[size:]
    if normalize:
        norm = math.sqrt(math.fsum(v * v for v in values))
        if norm > 0:
            values = [v / norm for v in values]
    return values


def call_id(seed: str) -> str:
    """A tool-call id like Ollama's: ``call_`` and 8 lowercase alphanumerics."""
    number = _hash_int(seed)
    chars: list[str] = []
    for _ in range(8):
        number, index = divmod(number, 36)
        chars.append(_ALNUM[index])
    return "call_" + "".join(chars)


def logprob_entry(token: str, top: int) -> dict[str, Any]:
    """A ``Logprob`` object for ``token`` with ``top`` alternatives."""
    logprob = -round((_hash_int(token) % 1000) / 1000, 3)
    entry: dict[str, Any] = {
        "token": token,
        "logprob": logprob,
        "bytes": list(token.encode("utf-8", "replace")),
    }
    if top > 0:
        alternatives: list[dict[str, Any]] = [
            {"token": token, "logprob": logprob, "bytes": entry["bytes"]}
        ]
        for rank in range(1, top):
            alternative = f"alt{rank}"
            alternatives.append(
                {
                    "token": alternative,
                    "logprob": logprob - rank,
                    "bytes": list(alternative.encode()),
                }
            )
        entry["top_logprobs"] = alternatives
    return entry


def _as_mapping(value: object) -> Mapping[str, Any] | None:
    if isinstance(value, dict):
        return cast("dict[str, Any]", value)
    return None


def _resolve_ref(ref: str, root: Mapping[str, Any]) -> Mapping[str, Any] | None:
    if not ref.startswith("#/"):
        return None
    node: object = root
    for part in ref[2:].split("/"):
        mapping = _as_mapping(node)
        if mapping is None:
            return None
        node = mapping.get(part.replace("~1", "/").replace("~0", "~"))
    return _as_mapping(node)


def _schema_type(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        names = [k for k in cast("list[object]", kind) if isinstance(k, str) and k != "null"]
        return names[0] if names else "null"
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def schema_value(schema: object, key: str, root: object = None, depth: int = 0) -> Any:
    """A value that fits the JSON Schema ``schema`` (the property is named ``key``).

    Objects get every property in ``properties``; arrays get one item; enums give their first
    value; ``$ref``, ``anyOf`` and ``oneOf`` are followed.
    """
    node = _as_mapping(schema)
    root_node = _as_mapping(root) or node
    if node is None or root_node is None or depth > _MAX_SCHEMA_DEPTH:
        return f"fake {key}"
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = _resolve_ref(ref, root_node)
        return schema_value(target, key, root_node, depth + 1)
    if "const" in node:
        return node["const"]
    enum = node.get("enum")
    if isinstance(enum, list) and enum:
        return cast("list[object]", enum)[0]
    for combinator in ("anyOf", "oneOf", "allOf"):
        options = node.get(combinator)
        if isinstance(options, list):
            for option in cast("list[object]", options):
                option_map = _as_mapping(option)
                if option_map is not None and option_map.get("type") != "null":
                    return schema_value(option_map, key, root_node, depth + 1)
    kind = _schema_type(node)
    if kind == "object":
        properties = _as_mapping(node.get("properties")) or {}
        return {
            name: schema_value(sub, name, root_node, depth + 1) for name, sub in properties.items()
        }
    if kind == "array":
        return [schema_value(node.get("items"), key, root_node, depth + 1)]
    if kind == "integer":
        return 42
    if kind == "number":
        return 4.2
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return f"fake {key}"


def tool_call_arguments(parameters: object) -> dict[str, Any]:
    """Arguments for a tool call: a value of the right type for each required parameter."""
    schema = _as_mapping(parameters)
    if schema is None:
        return {}
    properties = _as_mapping(schema.get("properties")) or {}
    required = schema.get("required")
    names = (
        [n for n in cast("list[object]", required) if isinstance(n, str)]
        if isinstance(required, list)
        else []
    )
    return {name: schema_value(properties.get(name), name, schema, 1) for name in names}


def structured_reply(format_value: object, text: str) -> str:
    """The reply text for ``format``: a JSON document (``"json"`` mode or a JSON Schema)."""
    schema = _as_mapping(format_value)
    if schema is not None:
        return json.dumps(schema_value(schema, "value"), ensure_ascii=False)
    return json.dumps({"reply": reply_text(text)}, ensure_ascii=False)
