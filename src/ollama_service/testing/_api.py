"""Ollama's native endpoints as the fake server implements them: the route table and dispatch.

Transport-free: :meth:`OllamaState.handle` maps an :class:`ApiRequest` to an
:class:`ApiResponse`; ``_handler.py`` puts those on the wire. The endpoints live in one module
per group (``_generate``, ``_chat``, ``_embed``, ``_manage``, ``_blobs``), on the registry in
``_state``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from ollama_service.testing import _web
from ollama_service.testing._blobs import BLOB_PREFIX, BlobEndpoints
from ollama_service.testing._chat import ChatEndpoints
from ollama_service.testing._embed import EmbedEndpoints
from ollama_service.testing._exchange import (
    TEXT_TYPE,
    ApiRequest,
    ApiResponse,
    decode_body,
    json_reply,
)
from ollama_service.testing._extras import systemone_reply
from ollama_service.testing._generate import GenerateEndpoints
from ollama_service.testing._manage import ManageEndpoints
from ollama_service.testing._models import FakeModel
from ollama_service.testing._params import keep_alive
from ollama_service.testing._render import details
from ollama_service.testing._validate import ApiError
from ollama_service.testing._wire import local_timestamp

__all__ = ["OllamaState"]

Handler = Callable[[ApiRequest], ApiResponse]


class OllamaState(GenerateEndpoints, ChatEndpoints, EmbedEndpoints, ManageEndpoints, BlobEndpoints):
    """The fake server's state and every endpoint, routed by path and method."""

    def __init__(
        self,
        models: Iterable[FakeModel],
        *,
        version: str,
        chunk_words: bool,
        embedding_size: int,
    ) -> None:
        super().__init__(
            models, version=version, chunk_words=chunk_words, embedding_size=embedding_size
        )
        self._routes: dict[str, dict[str, Handler]] = {
            "/": {"GET": self._root, "HEAD": self._root},
            "/api/version": {"GET": self._version, "HEAD": self._version},
            "/api/generate": {"POST": self._generate},
            "/api/chat": {"POST": self._chat},
            "/api/embed": {"POST": self._embed},
            "/api/embeddings": {"POST": self._embeddings},
            "/api/tags": {"GET": self._tags, "HEAD": self._tags},
            "/api/show": {"POST": self._show},
            "/api/create": {"POST": self._create},
            "/api/copy": {"POST": self._copy},
            "/api/delete": {"DELETE": self._delete},
            "/api/pull": {"POST": self._pull},
            "/api/push": {"POST": self._push},
            "/api/ps": {"GET": self._ps},
            "/v1/systemone": {"POST": self._systemone},
            # ollama.com's routes, for clients whose web base URL points here.
            _web.WEB_SEARCH_PATH: {"POST": self._web_search},
            _web.WEB_FETCH_PATH: {"POST": self._web_fetch},
        }
        self._blob_routes: dict[str, Handler] = {"HEAD": self._blob_head, "POST": self._blob_post}

    # -- dispatch ----------------------------------------------------------------------------

    def handle(self, request: ApiRequest) -> ApiResponse:
        """Route ``request`` and run its endpoint."""
        methods = self._routes.get(request.path)
        if methods is None:
            digest = request.path[len(BLOB_PREFIX) :]
            if request.path.startswith(BLOB_PREFIX) and digest and "/" not in digest:
                methods = self._blob_routes
            else:
                return ApiResponse(404, b"404 page not found", "text/plain")
        handler = methods.get(request.method)
        if handler is None:
            allow = ", ".join(sorted(methods))
            return ApiResponse(405, b"405 method not allowed", "text/plain", (("Allow", allow),))
        try:
            return handler(request)
        except ApiError as error:
            return json_reply(error.status, {"error": error.message})

    # -- simple endpoints --------------------------------------------------------------------

    def _web_search(self, request: ApiRequest) -> ApiResponse:
        return json_reply(
            200, _web.search_results(request.headers, request.json, request.json_error)
        )

    def _web_fetch(self, request: ApiRequest) -> ApiResponse:
        return json_reply(200, _web.fetch_page(request.headers, request.json, request.json_error))

    def _root(self, request: ApiRequest) -> ApiResponse:
        return ApiResponse(200, b"Ollama is running", TEXT_TYPE)

    def _version(self, request: ApiRequest) -> ApiResponse:
        return json_reply(200, {"version": self.version})

    def _tags(self, request: ApiRequest) -> ApiResponse:
        models = sorted(self.models(), key=lambda m: m.modified_at, reverse=True)
        entries: list[dict[str, Any]] = []
        for model in models:
            model_details = details(model)
            model_details["context_length"] = model.context_length
            entries.append(
                {
                    "name": model.name,
                    "model": model.name,
                    "modified_at": local_timestamp(model.modified_at),
                    "size": model.size,
                    "digest": model.digest,
                    "details": model_details,
                    "capabilities": list(model.capabilities),
                }
            )
        return json_reply(200, {"models": entries})

    def _ps(self, request: ApiRequest) -> ApiResponse:
        now = datetime.now(timezone.utc)
        with self._lock:
            loaded = [entry for entry in self._loaded.values() if entry.expires_at > now]
        loaded.sort(key=lambda entry: entry.expires_at, reverse=True)
        entries = [
            {
                "name": entry.model.name,
                "model": entry.model.name,
                "size": entry.model.size,
                "digest": entry.model.digest,
                "details": details(entry.model),
                "expires_at": local_timestamp(entry.expires_at),
                "size_vram": entry.model.size,
                "context_length": entry.context_length,
            }
            for entry in loaded
        ]
        return json_reply(200, {"models": entries})

    def _systemone(self, request: ApiRequest) -> ApiResponse:
        body = decode_body(request)
        name: str = body.get("model") or ""
        model = self._require_model(name, empty_status=400, empty_message="model is required")
        keep = keep_alive(body.get("keep_alive"))
        self._touch(model, keep, {})
        return json_reply(200, systemone_reply(name, body, len(request.body)))
