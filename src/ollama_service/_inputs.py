"""Input types that take the official library's pydantic models as well as ours.

Code mixing both libraries passes `ollama.Message`, `ollama.Options`, `ollama.Tool` and
`ollama.Image` where ours are expected. `_request` accepts them at run time (it reads their
`model_dump()`); these aliases let type checkers accept them too, through a protocol that
still rejects anything without `model_dump()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeAlias

from ollama_service.types import Message, Options

__all__ = ["MessageInput", "OptionsInput", "SupportsModelDump"]


class SupportsModelDump(Protocol):
    """A model object with pydantic's `model_dump()`, such as `Image` or the official `ollama.Image`."""

    def model_dump(self) -> Any: ...


MessageInput: TypeAlias = "Mapping[str, Any] | Message | SupportsModelDump"
OptionsInput: TypeAlias = "Mapping[str, Any] | Options | SupportsModelDump"
