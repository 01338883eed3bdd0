"""The public names of the official library's `ollama._client`, for code importing from it."""

from __future__ import annotations

from ollama_service._async.client import AsyncClient
from ollama_service._errors import CONNECTION_ERROR_MESSAGE
from ollama_service._sync.client import Client

__all__ = ["CONNECTION_ERROR_MESSAGE", "AsyncClient", "Client"]
