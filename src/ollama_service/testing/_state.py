"""The fake server's registry: installed models, loaded models (for ``/api/ps``) and blobs."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from ollama_service.testing._models import FakeModel, is_valid_name, model_key, normalize_name
from ollama_service.testing._validate import ApiError
from ollama_service.testing._wire import MAX_DURATION_SECONDS

__all__ = ["DEFAULT_KEEP_ALIVE", "Loaded", "StateBase", "blob_key"]

DEFAULT_KEEP_ALIVE = 300.0
_DEFAULT_NUM_CTX = 4096


@dataclass(frozen=True)
class Loaded:
    model: FakeModel
    expires_at: datetime
    context_length: int


class StateBase:
    """The fake server's models, loaded models and blobs, and the lookups endpoints share.

    All shared state is guarded by one lock; lookups are dictionary lookups. The endpoint
    mixins (``_generate``, ``_chat``, ``_embed``, ``_manage``, ``_blobs``) build on it and
    ``_api.OllamaState`` combines them with the route table.
    """

    def __init__(
        self,
        models: Iterable[FakeModel],
        *,
        version: str,
        chunk_words: bool,
        embedding_size: int,
    ) -> None:
        self.version = version
        self.chunk_words = chunk_words
        self.embedding_size = embedding_size
        self.unknown_registry_models: set[str] = {"does-not-exist"}
        self._lock = threading.Lock()
        self._models: dict[str, FakeModel] = {}
        self._loaded: dict[str, Loaded] = {}
        self._blobs: dict[str, int] = {}
        for model in models:
            self._models[model.key] = model

    # -- registry ----------------------------------------------------------------------------

    def models(self) -> list[FakeModel]:
        with self._lock:
            return list(self._models.values())

    def get_model(self, name: str) -> FakeModel | None:
        with self._lock:
            return self._models.get(model_key(name))

    def add_model(self, model: FakeModel) -> None:
        with self._lock:
            self._models[model.key] = model

    def remove_model(self, name: str) -> bool:
        key = model_key(name)
        with self._lock:
            self._loaded.pop(key, None)
            return self._models.pop(key, None) is not None

    def loaded_models(self) -> list[str]:
        now = datetime.now(timezone.utc)
        with self._lock:
            return [e.model.name for e in self._loaded.values() if e.expires_at > now]

    def add_blob(self, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        with self._lock:
            self._blobs[digest] = len(data)
        return digest

    def has_blob(self, digest: str) -> bool:
        with self._lock:
            return blob_key(digest) in self._blobs

    def _lookup(self, name: str) -> FakeModel | None:
        with self._lock:
            return self._models.get(model_key(name))

    def _touch(self, model: FakeModel, keep: float | None, options: Mapping[str, Any]) -> None:
        """Record that ``model`` ran (for ``/api/ps``); a ``keep_alive`` of 0 unloads it."""
        if keep == 0:
            with self._lock:
                self._loaded.pop(model.key, None)
            return
        seconds = DEFAULT_KEEP_ALIVE if keep is None else keep
        if seconds < 0:
            seconds = MAX_DURATION_SECONDS
        expires_at = datetime.now(timezone.utc) + timedelta(seconds=seconds)
        num_ctx = options.get("num_ctx")
        if isinstance(num_ctx, (int, float)) and not isinstance(num_ctx, bool) and num_ctx > 0:
            context_length = int(num_ctx)
        else:
            context_length = min(model.context_length, _DEFAULT_NUM_CTX)
        with self._lock:
            self._loaded[model.key] = Loaded(model, expires_at, context_length)

    def _is_unknown_upstream(self, name: str) -> bool:
        unknown = self.unknown_registry_models
        base = normalize_name(name).rsplit(":", 1)[0]
        return any(
            candidate in unknown
            for candidate in (name, name.lower(), base, base.lower(), normalize_name(name))
        )

    def _require_model(self, name: str, *, empty_status: int, empty_message: str) -> FakeModel:
        if not name:
            raise ApiError(empty_status, empty_message)
        if not is_valid_name(name):
            raise ApiError(400, "invalid model name")
        model = self._lookup(name)
        if model is None:
            raise ApiError(404, f"model '{name}' not found")
        return model


def blob_key(digest: str) -> str:
    return "sha256:" + digest[7:]
