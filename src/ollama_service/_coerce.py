"""The small checks and conversions every input normaliser shares.

Each raises `OllamaRequestError` naming the argument, before anything is sent: a required
string that is blank, a list that is a string, a mapping or a foreign (pydantic) model taken
apart into a dict, and msgspec's paths (`$.x`) said in the caller's words (`options.x`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import msgspec

from ._errors import OllamaRequestError

__all__ = [
    "as_dict",
    "as_list",
    "fields_of",
    "foreign_dump",
    "path_message",
    "require_model",
    "require_text",
]


def require_model(model: object, argument: str = "model") -> str:
    """Return `model` if it is a non-empty string, else raise naming the argument."""
    if not isinstance(model, str):
        raise OllamaRequestError(f"{argument} must be a string, not {type(model).__name__}")
    if not model.strip():
        raise OllamaRequestError(f"{argument} must not be empty: name a model, e.g. 'llama3.2'")
    return model


def as_list(value: object, argument: str, expected: str) -> list[object]:
    """Accept any sequence except strings, bytes and mappings (a common slip)."""
    kind = _kind(value)
    if isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(value, Sequence):
        raise OllamaRequestError(f"{argument} must be {expected}, not {kind}")
    return list(cast("Sequence[object]", value))


def _kind(value: object) -> str:
    return type(value).__name__


def as_dict(value: object) -> dict[str, Any]:
    return dict(cast("Mapping[str, Any]", value))


def foreign_dump(value: object) -> dict[str, Any] | None:
    """A foreign pydantic model (e.g. the official `ollama.Options`) as a dict, else None."""
    if isinstance(value, msgspec.Struct):
        return None
    dump = getattr(type(value), "model_dump", None)
    if dump is None:
        return None
    return cast("dict[str, Any]", dump(value, by_alias=True, exclude_none=True))


def fields_of(value: object) -> dict[str, Any] | None:
    """A dict of a mapping or of a foreign model (e.g. `ollama.Message`); None for anything else."""
    if isinstance(value, Mapping):
        return as_dict(cast(object, value))
    return foreign_dump(value)


def require_text(value: object, argument: str) -> str:
    """Return `value` if it is a non-blank string, else raise naming the argument."""
    if not isinstance(value, str) or not value.strip():
        raise OllamaRequestError(f"{argument} must be a non-empty string, not {value!r}")
    return value


def path_message(exc: msgspec.ValidationError, root: str) -> str:
    """msgspec names paths like `$.top_k`; say `options.top_k` instead."""
    return str(exc).replace("`$.", f"`{root}.").replace("`$`", f"`{root}`")
