"""`AsyncClientBase`: the calls every endpoint method makes, and the hand-written endpoints.

The generated endpoint methods (`_endpoints.py`) build a request struct and call `_json` or
`_streamable`; whether the reply streams, has no body, or is decoded is read from the
operation's `Operation` (the spec's vendor extensions). Blobs and health need more than a
request struct, so they are written here; so are `with_options` and the lifecycle.

This file is the source of `ClientBase` too: `nox -s generate` derives `_sync/_base.py` from it
with unasync, so write nothing here that a token rename cannot turn into blocking code (the
exceptions live in `ollama_service._twins`).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
import msgspec

from ollama_service._affinity import routing_key
from ollama_service._async._core import AsyncClientCore
from ollama_service._async.streams import AsyncStream
from ollama_service._blobs import blob_digest, blob_path
from ollama_service._coerce import require_model
from ollama_service._deadline import expiry
from ollama_service._decode import decode_body
from ollama_service._encode import encode_body
from ollama_service._errors import (
    OllamaRequestError,
    OllamaResponseError,
)
from ollama_service._http_config import (
    build_timeout,
    check_deadline,
    check_max_response_bytes,
)
from ollama_service._inputs import NOT_GIVEN, NotGiven
from ollama_service._redact import redact_headers, redact_url
from ollama_service._retry import client_retries
from ollama_service._twins import (
    AsyncUpload,
    async_file_digest,
    async_iter_file,
)
from ollama_service.types._base import Operation
from ollama_service.types._operations import (
    BLOB_EXISTS,
    CREATE_BLOB,
    HEALTH,
)

__all__ = ["AsyncClientBase"]

T = TypeVar("T")
_C = TypeVar("_C", bound="AsyncClientBase")
# What Ollama's root answers: a 200 with another body came from something else.
_HEALTHY_BODY = b"Ollama is running"


class AsyncClientBase(AsyncClientCore):
    """What the endpoint methods are generated onto: the call helpers, blobs, health, options
    and lifecycle of a client."""

    # --- Configuration ------------------------------------------------------------------

    def with_options(
        self: _C,
        *,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | NotGiven | None = NOT_GIVEN,
        deadline: float | NotGiven | None = NOT_GIVEN,
        max_response_bytes: int | NotGiven = NOT_GIVEN,
        affinity_key: str | NotGiven | None = NOT_GIVEN,
    ) -> _C:
        """Return a client with other timeout, deadline, retry, size or routing settings that
        shares this one's pool.

        Use it per call (`await client.with_options(deadline=30).generate(...)`). Closing
        the copy does not close the pool; closing the original does.

        `affinity_key` sends every request of the copy with this routing key (a model name)
        in the affinity header, instead of each request's own model or digest; None goes back
        to per-request keys. Upload the blobs of a new model with the new model's name, so the
        model is created where later calls by its name go.

        Raises:
            OllamaRequestError: A bad value; or `affinity_key` while affinity is off.
        """
        clone = copy.copy(self)
        clone._owns_http = False
        if not isinstance(affinity_key, NotGiven):
            if affinity_key is not None:
                if self._affinity_header is None:
                    raise OllamaRequestError(
                        "affinity_key needs the affinity header, which is off for this client"
                    )
                affinity_key = routing_key(require_model(affinity_key, "affinity_key"))
            clone._affinity_pin = affinity_key
        if not isinstance(timeout, NotGiven):
            clone._request_timeout = build_timeout(timeout)
        if not isinstance(deadline, NotGiven):
            clone._deadline = check_deadline(deadline)
        if not isinstance(max_response_bytes, NotGiven):
            clone._max_response_bytes = check_max_response_bytes(max_response_bytes)
        if not isinstance(max_retries, NotGiven):
            clone._retries = client_retries(
                max_retries,
                min_backoff=self._retries.policy.min_backoff,
                max_backoff=self._retries.policy.max_backoff,
            )
        return clone

    # --- Calls --------------------------------------------------------------------------

    async def _json(
        self,
        op: Operation[T],
        request: msgspec.Struct | None = None,
        model: str | None = None,
    ) -> T:
        body = None if request is None else encode_body(request)
        rec = None if self._telemetry is None else self._telemetry.start(op, request, model, False)
        try:
            response, data = await self._send(op, body=body, model=model, keyed=request, rec=rec)
            if op.empty_body:
                # The reply has no body: the result is the spec's constant (copy, delete).
                assert op.empty_result is not None
                result = op.empty_result
            else:
                assert op.decoder is not None
                result = decode_body(data, op.decoder)
        except BaseException as exc:
            if rec is not None:
                rec.fail(exc)
            raise
        if rec is not None:
            rec.succeed(result, response.status_code)
        return result

    async def _plain(
        self,
        op: Operation[Any],
        request: msgspec.Struct | None = None,
        model: str | None = None,
        *,
        path: str | None = None,
        upload: Callable[[], AsyncUpload] | None = None,
        keyed: Any = None,
    ) -> tuple[httpx.Response, bytes]:
        """A call whose reply has no body to decode."""
        body = None if request is None else encode_body(request)
        rec = None if self._telemetry is None else self._telemetry.start(op, request, model, False)
        try:
            response, data = await self._send(
                op,
                body=body,
                upload=upload,
                path=path,
                model=model,
                keyed=request if keyed is None else keyed,
                rec=rec,
            )
        except BaseException as exc:
            if rec is not None:
                rec.fail(exc)
            raise
        if rec is not None:
            rec.succeed(None, response.status_code)
        return response, data

    async def _streamable(
        self, op: Operation[T], request: msgspec.Struct, model: str | None
    ) -> T | AsyncStream[T]:
        """One reply, or a stream of them when the request's stream field asks for one."""
        if not op.streams(request):
            return await self._json(op, request, model)
        body = encode_body(request)
        rec = None if self._telemetry is None else self._telemetry.start(op, request, model, True)
        expires = expiry(self._deadline)
        try:
            response, _ = await self._send(
                op, body=body, model=model, stream=True, expires=expires, keyed=request, rec=rec
            )
        except BaseException as exc:
            if rec is not None:
                rec.fail(exc)
            raise
        if rec is not None:
            # The span stays open until the stream ends, but is no longer the current one.
            rec.detach(response.status_code)
        if expires is None:
            return AsyncStream(response, op, model=model, telemetry=rec)
        # The deadline also bounds the wait for the stream's first item.
        return AsyncStream(
            response,
            op,
            model=model,
            first_item_by=expires,
            deadline_error=self._deadline_error(str(response.url), stream=True),
            telemetry=rec,
        )

    # --- Blobs ----------------------------------------------------------------------------

    async def blob_exists(self, digest: str) -> bool:
        """Whether this server already has a blob (HEAD /api/blobs/{digest})."""
        try:
            await self._plain(BLOB_EXISTS, path=blob_path(digest), keyed={"digest": digest})
        except OllamaResponseError as exc:
            if exc.status_code == 404:
                return False
            raise
        return True

    async def create_blob(self, path: str | os.PathLike[str] | bytes) -> str:
        """Upload a file (or bytes) as a blob, unless the server has it already.

        The file is hashed, checked with HEAD, and streamed in chunks only when missing (or
        when the HEAD gets an answer other than 200, 404 or "busy").

        Args:
            path: A file path, or the blob's bytes.

        Returns:
            The digest, `sha256:<hex>`, to use in `create(files=...)`.

        Raises:
            OllamaRequestError: The file does not exist or cannot be read.
        """
        if isinstance(path, bytes):
            data = path
            digest = blob_digest(data)

            async def upload() -> AsyncUpload:
                yield data

        else:
            file = Path(path)
            # Hashing and reading run in a worker thread, so the event loop never blocks.
            digest = await async_file_digest(file)

            def upload() -> AsyncUpload:
                return async_iter_file(file)

        try:
            present = await self.blob_exists(digest)
        except OllamaResponseError as exc:
            if exc.status_code in (429, 503):
                raise
            # HEAD only saves an upload: a server or proxy that answers it with anything but
            # 200 or 404 (405, 500, ...) gets the upload, whose own answer is what counts.
            present = False
        if not present:
            await self._plain(
                CREATE_BLOB, path=blob_path(digest), upload=upload, keyed={"digest": digest}
            )
        return digest

    def _require_bearer(self, method: str) -> None:
        headers = {k.lower(): v for k, v in self._http.headers.items()}
        headers.update({k.lower(): v for k, v in (self._request_headers or {}).items()})
        if not headers.get("authorization", "").startswith("Bearer "):
            # The official library's sentence first, so code matching it keeps matching.
            raise OllamaRequestError(
                f"Authorization header with Bearer token is required for "
                f"{method.replace('_', ' ')}: {method} needs an ollama.com API key; pass "
                "api_key=... or set OLLAMA_API_KEY (create one at https://ollama.com/settings/keys)"
            )

    # --- Server ---------------------------------------------------------------------------

    async def health(self) -> bool:
        """Whether Ollama answers its liveness check (GET /).

        Returns:
            True when it answers 200 with Ollama's own reply (`Ollama is running`); False for
            a 200 with any other body, which came from something else (a proxy's page, another
            service on the port).

        Raises:
            OllamaConnectionError: It cannot be reached (use `OllamaService.health_check` for a
                version that never raises).
            OllamaResponseError: It answered with an error status.
        """
        response, data = await self._plain(HEALTH)
        return response.status_code == 200 and data.strip() == _HEALTHY_BODY

    # --- Lifecycle ------------------------------------------------------------------------

    async def close(self) -> None:
        """Close the connection pool, unless it belongs to an `http_client` you passed in."""
        if self._owns_http:
            await self._pools.aclose()

    async def __aenter__(self: _C) -> _C:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        headers = redact_headers(self._request_headers or dict(self._http.headers))
        auth = " authorization=***" if "authorization" in {k.lower() for k in headers} else ""
        return f"<{type(self).__name__} base_url={redact_url(self._base_url)!r}{auth}>"
