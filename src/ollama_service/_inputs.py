"""The types callers may pass for richer inputs, and the NOT_GIVEN sentinel.

The aliases (`ImageInput`, `ToolInput`, `MessageInput`, ...) are what the client's signatures
accept; the normalisers (`_normalize`, `_images`, `_tools`) turn each into the wire type. They
take the official library's pydantic models as well as ours: code mixing both libraries passes
`ollama.Message`, `ollama.Options`, `ollama.Tool` and `ollama.Image` where ours are expected;
the normalisers read their `model_dump()` at run time, and `SupportsModelDump` lets type
checkers accept them while still rejecting anything without `model_dump()`. `NOT_GIVEN` tells
"argument omitted" apart from an explicit None where the two mean different things.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Literal, Protocol, TypeAlias

import msgspec
from msgspec import UNSET, UnsetType

from ollama_service.types import Message, Options, Tool

__all__ = [
    "NOT_GIVEN",
    "FormatInput",
    "ImageInput",
    "KeepAliveInput",
    "MessageInput",
    "NotGiven",
    "OptionsInput",
    "SupportsModelDump",
    "ThinkInput",
    "ToolInput",
    "unset_if_none",
]


class SupportsModelDump(Protocol):
    """A model object with pydantic's `model_dump()`, such as `Image` or the official `ollama.Image`."""

    def model_dump(self) -> Any: ...


MessageInput: TypeAlias = "Mapping[str, Any] | Message | SupportsModelDump"
OptionsInput: TypeAlias = "Mapping[str, Any] | Options | SupportsModelDump"
ImageInput: TypeAlias = "str | bytes | os.PathLike[str] | SupportsModelDump"
KeepAliveInput: TypeAlias = "float | str | timedelta"
ThinkInput: TypeAlias = "bool | Literal['low', 'medium', 'high', 'max']"
FormatInput: TypeAlias = "Literal['', 'json'] | Mapping[str, Any] | type[msgspec.Struct]"
ToolInput: TypeAlias = "Mapping[str, Any] | Tool | SupportsModelDump | Callable[..., Any]"


_V = typing.TypeVar("_V")


class NotGiven:
    """The type of `NOT_GIVEN`: "use the client's setting", as distinct from `None`.

    `timeout=None` means "no read timeout" and `max_retries=None` means "the default", so a
    third value is needed for "not passed at all" in `with_options`.
    """

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: typing.Final = NotGiven()


def unset_if_none(value: _V | None) -> _V | UnsetType:
    """Map the official library's `None` ("not given") to UNSET ("leave out of the JSON")."""
    return UNSET if value is None else value
