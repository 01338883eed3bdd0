"""ollama-service: a typed, fast, fault-tolerant SDK for the Ollama REST API.

Two layers:

- `AsyncClient` / `Client`: every native endpoint, with the official `ollama` library's method
  names and arguments, msgspec structs in and out, retries, timeouts and typed errors.
- `OllamaService` / `SyncOllamaService`: the application-facing API (text in, text out),
  configured from the environment.

As in the official library, `ollama_service.chat(...)`, `generate`, `embed`, `list`, ... call
one default `Client`, created on first use.

Importing the package does no I/O, reads no environment variable and does not import
pydantic; settings load when first needed, and the default client on the first call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ollama_service._async.client import AsyncClient
from ollama_service._async.service import OllamaService
from ollama_service._async.streams import AsyncStream
from ollama_service._default import (
    chat as chat,
    copy as copy,
    create as create,
    delete as delete,
    embed as embed,
    embeddings as embeddings,
    generate as generate,
    list as list,
    ps as ps,
    pull as pull,
    push as push,
    show as show,
    systemone as systemone,
    web_fetch as web_fetch,
    web_search as web_search,
)
from ollama_service._errors import (
    OllamaConnectionError,
    OllamaContentDecodingError,
    OllamaDecodeError,
    OllamaFileNotFoundError,
    OllamaModelNotFoundError,
    OllamaRedirectError,
    OllamaRequestError,
    OllamaResponseError,
    OllamaResponseTooLargeError,
    OllamaServerBusyError,
    OllamaServiceError,
    OllamaStreamClosedError,
    OllamaStreamError,
    OllamaTimeoutError,
    RequestError,
    ResponseError,
)
from ollama_service._images import Image
from ollama_service._structured import parse_structured
from ollama_service._sync.client import Client
from ollama_service._sync.service import SyncOllamaService
from ollama_service._sync.streams import Stream
from ollama_service._telemetry import Telemetry
from ollama_service._version import __version__
from ollama_service.types import (
    ChatResponse,
    EmbeddingsResponse,
    EmbedResponse,
    GenerateResponse,
    ListResponse,
    Message,
    Options,
    ProcessResponse,
    ProgressResponse,
    ShowResponse,
    StatusResponse,
    SystemOneAnswer,
    SystemOneChoiceAnswer,
    SystemOneChoiceQuestion,
    SystemOneContent,
    SystemOneNoulAnswer,
    SystemOneNoulQuestion,
    SystemOneQuestion,
    SystemOneRequest,
    SystemOneResponse,
    SystemOneScoreAnswer,
    SystemOneScoreQuestion,
    SystemOneUsage,
    Tool,
    ToolCall,
    VersionResponse,
    WebFetchResponse,
    WebSearchResponse,
)

if TYPE_CHECKING:
    from ollama_service._settings import OllamaSettings, get_settings

# The module-level functions (`chat`, `generate`, `list`, ...) are public but, as in the
# official library, not in `__all__`: `from ollama_service import *` must not shadow the
# builtins `list` and `copy`. The `name as name` imports above mark them as re-exported, so
# type checkers accept `ollama_service.chat(...)`.

__all__ = [
    "AsyncClient",
    "AsyncStream",
    "ChatResponse",
    "Client",
    "EmbedResponse",
    "EmbeddingsResponse",
    "GenerateResponse",
    "Image",
    "ListResponse",
    "Message",
    "OllamaConnectionError",
    "OllamaContentDecodingError",
    "OllamaDecodeError",
    "OllamaFileNotFoundError",
    "OllamaModelNotFoundError",
    "OllamaRedirectError",
    "OllamaRequestError",
    "OllamaResponseError",
    "OllamaResponseTooLargeError",
    "OllamaServerBusyError",
    "OllamaService",
    "OllamaServiceError",
    "OllamaSettings",
    "OllamaStreamClosedError",
    "OllamaStreamError",
    "OllamaTimeoutError",
    "Options",
    "ProcessResponse",
    "ProgressResponse",
    "RequestError",
    "ResponseError",
    "ShowResponse",
    "StatusResponse",
    "Stream",
    "SyncOllamaService",
    "SystemOneAnswer",
    "SystemOneChoiceAnswer",
    "SystemOneChoiceQuestion",
    "SystemOneContent",
    "SystemOneNoulAnswer",
    "SystemOneNoulQuestion",
    "SystemOneQuestion",
    "SystemOneRequest",
    "SystemOneResponse",
    "SystemOneScoreAnswer",
    "SystemOneScoreQuestion",
    "SystemOneUsage",
    "Telemetry",
    "Tool",
    "ToolCall",
    "VersionResponse",
    "WebFetchResponse",
    "WebSearchResponse",
    "__version__",
    "get_settings",
    "parse_structured",
]

# Names whose modules import pydantic: loaded on first access, so `import ollama_service`
# stays cheap for code that never reads settings.
_LAZY = {"OllamaSettings": "ollama_service._settings", "get_settings": "ollama_service._settings"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ollama_service' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
