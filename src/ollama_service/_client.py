"""The public names of the official library's `ollama._client`, for code importing from it.

`_copy_images`, `_copy_messages` and `_copy_tools` are the official library's private
helpers; ours return our structs (what our client sends), for code that calls them anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ollama_service._async.client import AsyncClient
from ollama_service._errors import CONNECTION_ERROR_MESSAGE
from ollama_service._images import Image
from ollama_service._normalize import normalize_messages
from ollama_service._sync.client import Client
from ollama_service._tools import normalize_tools
from ollama_service.types import Message, Tool

__all__ = [
    "CONNECTION_ERROR_MESSAGE",
    "AsyncClient",
    "Client",
    "_copy_images",
    "_copy_messages",
    "_copy_tools",
]


def _copy_images(images: Iterable[Any] | None = None) -> Iterator[Image]:
    for image in images or ():
        yield image if isinstance(image, Image) else Image(value=image)


def _copy_messages(messages: Any = None) -> Iterator[Message]:
    yield from normalize_messages(list(messages or [])) or []


def _copy_tools(tools: Any = None) -> Iterator[Tool]:
    yield from normalize_tools(list(tools or [])) or []
