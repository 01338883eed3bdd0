"""The affinity layer: routing keys, header-safe values, header names, keys from requests."""

from __future__ import annotations

from typing import Any

import pytest

from ollama_service import OllamaRequestError
from ollama_service._affinity import (
    affinity_key,
    check_affinity_header,
    header_value,
    routing_key,
)
from ollama_service.types import CopyRequest, CreateRequest, GenerateRequest
from ollama_service.types._operations import OPERATIONS

DIGEST = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("llama3.2", "llama3.2:latest"),
        ("llama3.2:latest", "llama3.2:latest"),
        ("Llama3.2", "llama3.2:latest"),
        ("LLAMA3.2:LATEST", "llama3.2:latest"),
        ("registry.ollama.ai/library/llama3.2", "llama3.2:latest"),
        ("library/llama3.2:1b", "llama3.2:1b"),
        ("qwen3:0.6b", "qwen3:0.6b"),
        ("user/model", "user/model:latest"),
        ("example.com:5000/team/model", "example.com:5000/team/model:latest"),
        ("example.com:5000/team/model:v2", "example.com:5000/team/model:v2"),
        ("gpt-oss:20b-cloud", "gpt-oss:20b-cloud"),
        ("model@sha256:" + "ab" * 32, "model@sha256:" + "ab" * 32),
        (DIGEST, DIGEST),
        ("café", "caf%C3%A9:latest"),
        ("a b", "a%20b:latest"),
        ("x\r\nX-Evil: 1", "x%0D%0Ax-evil:%201"),
        ("100%", "100%25:latest"),
        ("  llama3.2  ", "llama3.2:latest"),
    ],
)
def test_routing_key(value: str, key: str) -> None:
    assert routing_key(value) == key


def test_routing_key_values_are_visible_ascii() -> None:
    for value in ["\x00", "\t", "\x7f", "ü", "😀", "a\nb", '"quoted"', "semi;colon"]:
        key = routing_key(value)
        assert key.isascii()
        assert all(0x21 <= ord(c) <= 0x7E for c in key), key


def test_header_value_is_one_to_one() -> None:
    values = ["a%20b", "a b", "a%2520b", "é", "%C3%A9"]
    assert len({header_value(v) for v in values}) == len(values)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("X-Ollama-Model", "X-Ollama-Model"),
        ("x-route", "x-route"),
        ("X_Model.1", "X_Model.1"),
        (None, None),
        ("", None),
    ],
)
def test_check_affinity_header_accepts(name: str | None, expected: str | None) -> None:
    assert check_affinity_header(name) == expected


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("X Model", "'X Model' is not a valid HTTP header name"),
        ("X-Model:", "'X-Model:' is not a valid HTTP header name"),
        ("X-Model\r\n", "is not a valid HTTP header name"),
        ("Modèle", "is not a valid HTTP header name"),
        ("Host", "'Host' is a header HTTP or the client already uses"),
        ("authorization", "'authorization' is a header HTTP or the client already uses"),
        ("Content-Length", "already uses"),
        ("Transfer-Encoding", "already uses"),
        (5, "affinity_header must be a header name or None, not int"),
    ],
)
def test_check_affinity_header_rejects(name: object, message: str) -> None:
    with pytest.raises(OllamaRequestError, match="affinity_header") as info:
        check_affinity_header(name)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("fields", "source", "key"),
    [
        (("model",), GenerateRequest(model="llama3.2"), "llama3.2:latest"),
        (("source",), CopyRequest(source="Qwen3", destination="b"), "qwen3:latest"),
        (("digest",), {"digest": DIGEST}, DIGEST),
        (
            ("files", "adapters", "model"),
            CreateRequest(model="new", files={"model.gguf": DIGEST, "b": OTHER}),
            DIGEST,
        ),
        (
            ("files", "adapters", "model"),
            CreateRequest(model="new", adapters={"lora.gguf": OTHER}),
            OTHER,
        ),
        (
            ("files", "adapters", "model"),
            CreateRequest(model="new", from_="llama3.2"),
            "new:latest",
        ),
        (("files", "adapters", "model"), CreateRequest(model="new", files={}), "new:latest"),
        ((), GenerateRequest(model="llama3.2"), None),
        (("model",), None, None),
        (("model",), {"model": ""}, None),
        (("model",), {"model": 3}, None),
    ],
)
def test_affinity_key(fields: tuple[str, ...], source: Any, key: str | None) -> None:
    assert affinity_key(fields, source) == key


# The spec's `x-affinity`, as generated into the Operation table (HEAD probes no method sends are
# not generated).
EXPECTED_AFFINITY = {
    "webSearch": (),
    "webFetch": (),
    "systemone": ("model",),
    "health": (),
    "version": (),
    "list": (),
    "ps": (),
    "generate": ("model",),
    "chat": ("model",),
    "embed": ("model",),
    "embeddings": ("model",),
    "show": ("model",),
    "pull": ("model",),
    "push": ("model",),
    "delete": ("model",),
    "copy": ("source",),
    "create": ("files", "adapters", "model"),
    "blobExists": ("digest",),
    "createBlob": ("digest",),
}


def test_operation_table_affinity() -> None:
    assert {name: op.affinity for name, op in OPERATIONS.items()} == EXPECTED_AFFINITY
