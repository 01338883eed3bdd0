"""Hand-written foundations of the generated types: the mapping-style base struct and `Operation`.

Code written against the official `ollama` library (or plain dicts) indexes responses
(`resp["message"]["content"]`, `"total" in progress`, `progress.get("status")`). The base
class keeps that working on msgspec Structs, with dict semantics: a key is present exactly
when its value is set (not `None`, not `UNSET`), so `k in s` is true exactly when `s[k]`
does not raise.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

import msgspec

__all__ = ["BaseStruct", "Operation"]

_T = TypeVar("_T")
_D = TypeVar("_D")


def _is_set(value: object) -> bool:
    return value is not None and value is not msgspec.UNSET


class BaseStruct(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Base of every generated struct: keyword-only, compact on the wire, readable as a mapping."""

    def __getitem__(self, key: str) -> Any:
        """Return the field named `key` (its Python name or its JSON name).

        Raises:
            KeyError: `key` is not a field, or the field is not set.
        """
        value = getattr(self, _python_name(type(self), key), None)
        if not _is_set(value):
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        return _is_set(getattr(self, _python_name(type(self), key), None))

    @overload
    def get(self, key: str) -> Any | None: ...
    @overload
    def get(self, key: str, default: _D) -> Any | _D: ...
    def get(self, key: str, default: object = None) -> Any:
        """Return the field's value when it is set, else `default` (like `dict.get`)."""
        value = getattr(self, _python_name(type(self), key), None)
        return value if _is_set(value) else default

    def keys(self) -> Iterator[str]:
        """The JSON names of the fields that are set."""
        return iter(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        """Return the set fields as plain JSON-ready builtins, keyed by their JSON names."""
        out: dict[str, Any] = {}
        encode_names = self.__struct_encode_fields__
        for name, wire in zip(self.__struct_fields__, encode_names, strict=True):
            value = getattr(self, name)
            if _is_set(value):
                out[wire] = _builtins(value)
        return out


def _builtins(value: Any) -> Any:
    if isinstance(value, BaseStruct):
        return value.to_dict()
    if isinstance(value, list):
        return [_builtins(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, dict):
        return {k: _builtins(v) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
    return msgspec.to_builtins(value)


_NAME_CACHE: dict[type[BaseStruct], dict[str, str]] = {}


def _python_name(cls: type[BaseStruct], key: str) -> str:
    names = _NAME_CACHE.get(cls)
    if names is None:
        names = dict(zip(cls.__struct_encode_fields__, cls.__struct_fields__, strict=True))
        names.update({n: n for n in cls.__struct_fields__})
        _NAME_CACHE[cls] = names
    # Unknown keys map to a name no struct has, so lookups fall through to "not set".
    return names.get(key, "\0")


@dataclass(frozen=True, slots=True)
class Operation(Generic[_T]):
    """What the client needs to know about one endpoint, generated from the spec.

    Attributes:
        name: The operationId.
        method: HTTP method.
        path: Path template, e.g. `/api/blobs/{digest}`.
        idempotent: Whether repeating it after an ambiguous failure is harmless.
        decoder: The reusable typed decoder of its JSON reply, or None when there is no body.
        stream_field: The request field that switches NDJSON streaming, if it streams.
        stream_default: What the server does when that field is absent.
        terminal_field: The field of the final stream item that marks the end...
        terminal_value: ...and the value it has there.
        empty_body: Success replies carry no body.
        raw_body: The request body is raw bytes, not JSON.
        affinity: The request fields or path parameters whose first set value is the routing
            key of the affinity header (see `ollama_service._affinity`); empty: no header.
        genai_operation: `gen_ai.operation.name` of its telemetry span (`chat`,
            `text_completion`, `embeddings`, or our name for a model-management call); None
            means the operationId.
    """

    name: str
    method: str
    path: str
    idempotent: bool
    decoder: msgspec.json.Decoder[_T] | None
    stream_field: str | None = None
    stream_default: bool | None = None
    terminal_field: str | None = None
    terminal_value: object = None
    empty_body: bool = False
    raw_body: bool = False
    affinity: tuple[str, ...] = ()
    genai_operation: str | None = None
