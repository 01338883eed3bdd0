"""Model records (:class:`FakeModel`) and Ollama's model-name rules."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "FakeModel",
    "default_models",
    "full_name",
    "is_valid_name",
    "model_for_name",
    "model_key",
    "normalize_name",
]

_DEFAULT_HOST = "registry.ollama.ai"
_DEFAULT_NAMESPACE = "library"
_PART = r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,79}"
_NAME = re.compile(
    rf"^(?:[A-Za-z0-9][A-Za-z0-9_.\-]*(?::[0-9]+)?/)?(?:{_PART}/)?{_PART}(?::{_PART})?$"
)


def _split_tag(name: str) -> tuple[str, str | None]:
    colon = name.rfind(":")
    if colon > name.rfind("/"):
        return name[:colon], name[colon + 1 :]
    return name, None


def normalize_name(name: str) -> str:
    """``name`` as ``model:tag``: the tag defaults to ``latest`` and the default registry
    (``registry.ollama.ai/library/``) is dropped, as ``ollama list`` shows names."""
    base, tag = _split_tag(name)
    lowered = base.lower()
    prefix = f"{_DEFAULT_HOST}/"
    if lowered.startswith(prefix):
        base = base[len(prefix) :]
        lowered = lowered[len(prefix) :]
    if lowered.startswith(f"{_DEFAULT_NAMESPACE}/") and base.count("/") == 1:
        base = base[len(_DEFAULT_NAMESPACE) + 1 :]
    return f"{base}:{tag or 'latest'}"


def model_key(name: str) -> str:
    """The registry key for ``name``: normalized and lower-cased (names match case-insensitively)."""
    return normalize_name(name).lower()


def full_name(name: str) -> str:
    """``name`` with host and namespace, as in ``registry.ollama.ai/library/x:latest``."""
    short = normalize_name(name)
    base, _ = _split_tag(short)
    parts = base.split("/")
    if len(parts) == 1:
        return f"{_DEFAULT_HOST}/{_DEFAULT_NAMESPACE}/{short}"
    if len(parts) == 2 and not ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        return f"{_DEFAULT_HOST}/{short}"
    return short


def is_valid_name(name: str) -> bool:
    """Whether ``name`` is a valid ``[host/][namespace/]model[:tag]`` reference."""
    return bool(name) and _NAME.match(name) is not None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _no_parameters() -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class FakeModel:
    """A model installed on the fake server.

    Only ``name`` is required. The name is normalized to ``name:tag`` (tag ``latest`` by default)
    and matched case-insensitively. ``digest`` defaults to a SHA-256 of the name (hex, without
    the ``sha256:`` prefix, as ``/api/tags`` shows it).

    ``capabilities`` decide what the fake allows: ``completion`` for generate and chat, ``tools``
    for chat with tools, ``thinking`` for ``think``, ``insert`` for ``suffix``, ``vision`` and
    ``embedding`` are informative (any model can embed, as in Ollama).
    """

    name: str
    size: int = 2_019_393_189
    digest: str = ""
    modified_at: datetime = field(default_factory=_now)
    family: str = "llama"
    parameter_size: str = "3.2B"
    quantization_level: str = "Q4_K_M"
    capabilities: tuple[str, ...] = ("completion", "tools")
    template: str = "{{ .Prompt }}"
    parameters: Mapping[str, Any] = field(default_factory=_no_parameters)
    system: str = ""
    license: str = ""
    context_length: int = 131_072

    def __post_init__(self) -> None:
        if not is_valid_name(self.name):
            raise ValueError(f"invalid model name: {self.name!r}")
        name = normalize_name(self.name)
        object.__setattr__(self, "name", name)
        if not self.digest:
            digest = hashlib.sha256(f"fake-ollama/{name}".encode()).hexdigest()
            object.__setattr__(self, "digest", digest)
        if self.modified_at.tzinfo is None:
            object.__setattr__(self, "modified_at", self.modified_at.replace(tzinfo=timezone.utc))
        object.__setattr__(self, "capabilities", tuple(self.capabilities))
        object.__setattr__(self, "parameters", dict(self.parameters))

    @property
    def key(self) -> str:
        """The case-insensitive registry key."""
        return self.name.lower()

    def renamed(self, name: str, **changes: Any) -> FakeModel:
        """A copy under another name (used by copy, create and pull)."""
        return dataclasses.replace(self, name=name, modified_at=_now(), **changes)


_LLAMA_TEMPLATE = (
    "<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>"
    "{{ range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n"
    "{{ .Content }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n"
)
_QWEN_TEMPLATE = (
    "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}"
    "<|im_start|>assistant\n"
)

# Profiles of well-known models, by base name (without tag).
_PROFILES: dict[str, dict[str, Any]] = {
    "llama3.2": {
        "size": 2_019_393_189,
        "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
        "modified_at": datetime(2025, 5, 5, 0, 37, 44, 706015, tzinfo=timezone.utc),
        "family": "llama",
        "parameter_size": "3.2B",
        "quantization_level": "Q4_K_M",
        "capabilities": ("completion", "tools"),
        "template": _LLAMA_TEMPLATE,
        "parameters": {"stop": ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]},
        "license": "LLAMA 3.2 COMMUNITY LICENSE AGREEMENT",
        "context_length": 131_072,
    },
    "qwen3": {
        "size": 5_225_388_164,
        "modified_at": datetime(2025, 5, 4, 12, 0, 0, tzinfo=timezone.utc),
        "family": "qwen3",
        "parameter_size": "8.2B",
        "quantization_level": "Q4_K_M",
        "capabilities": ("completion", "tools", "thinking"),
        "template": _QWEN_TEMPLATE,
        "parameters": {
            "repeat_penalty": 1,
            "stop": ["<|im_start|>", "<|im_end|>"],
            "temperature": 0.6,
            "top_k": 20,
            "top_p": 0.95,
        },
        "license": "Apache License Version 2.0",
        "context_length": 40_960,
    },
    "nomic-embed-text": {
        "size": 274_302_450,
        "modified_at": datetime(2025, 5, 3, 12, 0, 0, tzinfo=timezone.utc),
        "family": "nomic-bert",
        "parameter_size": "137M",
        "quantization_level": "F16",
        "capabilities": ("embedding",),
        "template": "{{ .Prompt }}",
        "parameters": {"num_ctx": 8192},
        "license": "Apache License Version 2.0",
        "context_length": 2048,
    },
    "llava": {
        "size": 4_733_363_377,
        "modified_at": datetime(2025, 5, 2, 12, 0, 0, tzinfo=timezone.utc),
        "family": "llama",
        "parameter_size": "7B",
        "quantization_level": "Q4_0",
        "capabilities": ("completion", "vision"),
        "template": "[INST] {{ if .System }}{{ .System }} {{ end }}{{ .Prompt }} [/INST]",
        "parameters": {"stop": ["[INST]", "[/INST]"]},
        "license": "Apache License Version 2.0",
        "context_length": 32_768,
    },
}

_EMBEDDING_PROFILE = _PROFILES["nomic-embed-text"]


def model_for_name(name: str) -> FakeModel:
    """A model for ``name``: a known profile (``qwen3:8b`` gets qwen3's), an embedding model
    when the name contains ``embed``, else a generic completion model with tools."""
    base, _ = _split_tag(normalize_name(name))
    profile = _PROFILES.get(base.lower())
    if profile is None and "embed" in base.lower():
        profile = {k: v for k, v in _EMBEDDING_PROFILE.items() if k != "digest"}
    if profile is None:
        return FakeModel(name)
    if not normalize_name(name).lower().endswith(":latest"):
        profile = {k: v for k, v in profile.items() if k != "digest"}
    return FakeModel(name, **profile)


def default_models() -> list[FakeModel]:
    """The models installed by default."""
    return [model_for_name(base) for base in _PROFILES]
