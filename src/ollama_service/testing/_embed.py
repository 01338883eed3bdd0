"""``/api/embed`` and the older ``/api/embeddings``: deterministic vectors."""

from __future__ import annotations

from ollama_service.testing import _responses as content
from ollama_service.testing._exchange import ApiRequest, ApiResponse, decode_body, json_reply
from ollama_service.testing._generation import LOAD_NS, PROMPT_TOKEN_NS
from ollama_service.testing._params import keep_alive
from ollama_service.testing._state import StateBase
from ollama_service.testing._validate import ApiError, as_list, check_options
from ollama_service.testing._wire import go_quote

__all__ = ["EmbedEndpoints"]


class EmbedEndpoints(StateBase):
    """``/api/embed`` and ``/api/embeddings``."""

    def _embed(self, request: ApiRequest) -> ApiResponse:
        body = decode_body(request)
        name: str = body.get("model") or ""
        raw_input = body.get("input")
        inputs: list[str]
        if raw_input is None or raw_input == "":
            inputs = []
        elif isinstance(raw_input, str):
            inputs = [raw_input]
        else:
            items = as_list(raw_input)
            if items is None or not all(isinstance(item, str) for item in items):
                raise ApiError(400, "invalid input type")
            inputs = [str(item) for item in items]
        if not name:
            raise ApiError(404, "model '' not found")
        model = self._lookup(name)
        if model is None:
            raise ApiError(404, f"model {go_quote(name)} not found, try pulling it first")
        options = check_options(body.get("options"))
        self._touch(model, keep_alive(body.get("keep_alive")), options)
        if not inputs:
            return json_reply(200, {"model": name, "embeddings": []})
        if body.get("truncate") is False and any(
            len(text.split()) > model.context_length for text in inputs
        ):
            raise ApiError(400, "the input length exceeds the context length")
        dimensions = body.get("dimensions")
        size = dimensions if isinstance(dimensions, int) and dimensions > 0 else self.embedding_size
        vectors = [content.embedding(text, size, normalize=True) for text in inputs]
        tokens = sum(max(1, len(text.split())) for text in inputs)
        return json_reply(
            200,
            {
                "model": name,
                "embeddings": vectors,
                "total_duration": LOAD_NS + tokens * PROMPT_TOKEN_NS,
                "load_duration": LOAD_NS,
                "prompt_eval_count": tokens,
            },
        )

    def _embeddings(self, request: ApiRequest) -> ApiResponse:
        body = decode_body(request)
        name: str = body.get("model") or ""
        if not name:
            raise ApiError(400, "model is required")
        model = self._lookup(name)
        if model is None:
            raise ApiError(404, f"model {go_quote(name)} not found, try pulling it first")
        options = check_options(body.get("options"))
        self._touch(model, keep_alive(body.get("keep_alive")), options)
        prompt: str = body.get("prompt") or ""
        if not prompt:
            return json_reply(200, {"embedding": []})
        vector = content.embedding(prompt, self.embedding_size, normalize=False)
        return json_reply(200, {"embedding": vector})
