"""The names of the official library's `ollama._types`, for `from ollama._types import X`.

Code that imports from the official library's private modules keeps working with only the
package name changed. Every name is one of ours: the structs, `Image` and the exceptions; the
official base classes (`SubscriptableBaseModel`, `BaseRequest`, ...) all name `BaseStruct`.
"""

from __future__ import annotations

from ollama_service._errors import RequestError, ResponseError
from ollama_service._image import Image
from ollama_service.types import (
    BaseStruct,
    ChatRequest,
    ChatResponse,
    CopyRequest,
    CreateRequest,
    DeleteRequest,
    EmbeddingsRequest,
    EmbeddingsResponse,
    EmbedRequest,
    EmbedResponse,
    GenerateRequest,
    GenerateResponse,
    ListResponse,
    Logprob,
    Message,
    ModelDetails,
    Options,
    ProcessResponse,
    ProgressResponse,
    PullRequest,
    PushRequest,
    ShowRequest,
    ShowResponse,
    StatusResponse,
    TokenLogprob,
    Tool,
    WebFetchRequest,
    WebFetchResponse,
    WebSearchRequest,
    WebSearchResponse,
    WebSearchResult,
)

__all__ = [
    "BaseGenerateRequest",
    "BaseGenerateResponse",
    "BaseRequest",
    "BaseStreamableRequest",
    "ChatRequest",
    "ChatResponse",
    "CopyRequest",
    "CreateRequest",
    "DeleteRequest",
    "EmbedRequest",
    "EmbedResponse",
    "EmbeddingsRequest",
    "EmbeddingsResponse",
    "GenerateRequest",
    "GenerateResponse",
    "Image",
    "ListResponse",
    "Logprob",
    "Message",
    "ModelDetails",
    "Options",
    "ProcessResponse",
    "ProgressResponse",
    "PullRequest",
    "PushRequest",
    "RequestError",
    "ResponseError",
    "ShowRequest",
    "ShowResponse",
    "StatusResponse",
    "SubscriptableBaseModel",
    "TokenLogprob",
    "Tool",
    "WebFetchRequest",
    "WebFetchResponse",
    "WebSearchRequest",
    "WebSearchResponse",
    "WebSearchResult",
]

SubscriptableBaseModel = BaseStruct
BaseRequest = BaseStruct
BaseStreamableRequest = BaseStruct
BaseGenerateRequest = BaseStruct
BaseGenerateResponse = BaseStruct
