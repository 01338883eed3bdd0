"""``/api/blobs/<digest>``: whether a blob exists, and uploads checked against their digest."""

from __future__ import annotations

import hashlib

from ollama_service.testing._exchange import ApiRequest, ApiResponse, empty_reply
from ollama_service.testing._params import DIGEST
from ollama_service.testing._state import StateBase, blob_key
from ollama_service.testing._validate import ApiError
from ollama_service.testing._wire import go_quote

__all__ = ["BLOB_PREFIX", "BlobEndpoints"]

BLOB_PREFIX = "/api/blobs/"


class BlobEndpoints(StateBase):
    """``HEAD`` and ``POST /api/blobs/<digest>``."""

    def _blob_digest(self, request: ApiRequest) -> str:
        digest = request.path[len(BLOB_PREFIX) :]
        if not DIGEST.match(digest):
            raise ApiError(400, "invalid digest format")
        return digest

    def _blob_head(self, request: ApiRequest) -> ApiResponse:
        digest = self._blob_digest(request)
        if not self.has_blob(digest):
            raise ApiError(404, f"blob {go_quote(digest)} not found")
        return empty_reply()

    def _blob_post(self, request: ApiRequest) -> ApiResponse:
        digest = self._blob_digest(request)
        if self.has_blob(digest):
            return empty_reply(200)
        computed = "sha256:" + hashlib.sha256(request.body).hexdigest()
        if computed != digest:
            raise ApiError(
                400, f"digest mismatch, expected {go_quote(digest)}, got {go_quote(computed)}"
            )
        with self._lock:
            self._blobs[blob_key(digest)] = len(request.body)
        return empty_reply(201)
