"""`AsyncClientCore`: the configuration and the transport under every `AsyncClient` call.

A request is sent under the retry policy and the deadline, its status mapped to a typed error,
its body read (or, for a stream, left to the stream). What depends on the endpoint (retry
safety, retry budget, routing, ollama.com or the server) is read from the operation's
generated `Operation`, never from its name.

This file is the source of `ClientCore` too: `nox -s generate` derives `_sync/_core.py` from it
with unasync, so write nothing here that a token rename cannot turn into blocking code (the
exceptions live in `ollama_service._twins`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from time import perf_counter
from typing import Any

import httpx

from ollama_service import _env as env
from ollama_service._affinity import affinity_key, check_affinity_header
from ollama_service._async._reply_body import read_body
from ollama_service._backends import ASYNC_KIND, Backend, async_http_transport, choose_backend
from ollama_service._constants import (
    DEFAULT_AFFINITY_HEADER,
    DEFAULT_WEB_BASE_URL,
    MAX_RESPONSE_BYTES,
)
from ollama_service._deadline import DeadlineExpired, cap_timeout, expired, expiry
from ollama_service._error_builders import (
    deadline_error,
)
from ollama_service._error_mapping import error_from_response, map_transport_errors
from ollama_service._errors import (
    OllamaServiceError,
    OllamaTimeoutError,
)
from ollama_service._host import resolve_base_url, split_credentials
from ollama_service._http_config import (
    build_headers,
    build_limits,
    build_timeout,
    check_deadline,
    check_max_response_bytes,
    default_ssl_context,
    headers_for_foreign_client,
)
from ollama_service._httpcore_guard import guard_pool
from ollama_service._inputs import NOT_GIVEN, NotGiven
from ollama_service._logging import log_request, log_retry
from ollama_service._retry import client_retries, parse_retry_after, should_retry
from ollama_service._retry_loop import async_retrying, release_frames
from ollama_service._telemetry import CallRecord, Telemetry, client_telemetry
from ollama_service._twins import (
    AsyncHTTPClient,
    AsyncLoopPools,
    AsyncUpload,
    async_deadline,
    async_default_transport,
)
from ollama_service.types._base import Operation

__all__ = ["AsyncClientCore"]


class AsyncClientCore:
    """Configuration, connection pools and the send path shared by every call."""

    def __init__(
        self,
        host: str | None = None,
        *,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        deadline: float | None = None,
        max_response_bytes: int | None = None,
        max_retries: int | None = None,
        retry_min_backoff: float | None = None,
        retry_max_backoff: float | None = None,
        max_connections: int | None = None,
        headers: Mapping[str, str] | None = None,
        api_key: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        follow_redirects: bool = True,
        affinity_header: str | None = DEFAULT_AFFINITY_HEADER,
        telemetry: Telemetry | bool | None = None,
        backend: Backend | None = None,
        web_base_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._affinity_header = check_affinity_header(affinity_header)
        self._affinity_pin: str | None = None
        self._base_url, basic_auth = split_credentials(resolve_base_url(host))
        self._telemetry = client_telemetry(self._base_url, telemetry)
        self._web_base_url = (web_base_url or env.web_base_url() or DEFAULT_WEB_BASE_URL).rstrip(
            "/"
        )
        key = api_key if api_key is not None else env.api_key()
        all_headers = build_headers(api_key=key, headers=headers, basic_auth=basic_auth)
        self._deadline = check_deadline(deadline)
        self._max_response_bytes = (
            MAX_RESPONSE_BYTES
            if max_response_bytes is None
            else check_max_response_bytes(max_response_bytes)
        )
        self._retries = client_retries(
            max_retries, min_backoff=retry_min_backoff, max_backoff=retry_max_backoff
        )
        resolved_timeout = (
            build_timeout() if isinstance(timeout, NotGiven) else build_timeout(timeout)
        )
        if http_client is None:
            limits = kwargs.pop("limits", None)
            if limits is None:
                limits = (
                    build_limits() if max_connections is None else build_limits(max_connections)
                )
            if "verify" not in kwargs and "cert" not in kwargs:
                kwargs["verify"] = default_ssl_context()
            settings = dict(kwargs)
            self._backend: Backend | None = (
                None
                if transport is not None
                else choose_backend(backend, kind=ASYNC_KIND, client_kwargs=kwargs)
            )
            chosen = self._backend

            def new_pool() -> httpx.AsyncClient:
                options: dict[str, Any] = {"limits": limits, **settings}
                # Each pool gets a transport of its own (aiohttp's belongs to one event loop);
                # on httpx, the default one (the sync twin's bounds socket waits by the deadline).
                own = None if chosen is None else async_http_transport(chosen, options)
                if own is None:
                    own = async_default_transport(transport, limits, settings)
                pool = AsyncHTTPClient(
                    timeout=resolved_timeout,
                    headers=all_headers,
                    transport=own,
                    follow_redirects=follow_redirects,
                    **options,
                )
                if transport is None and chosen == "httpx":
                    guard_pool(pool)  # httpcore's pool race, see _httpcore_guard
                return pool

            http_client = new_pool()
            self._owns_http = True
            self._request_headers: dict[str, str] | None = None
            self._request_timeout: httpx.Timeout | None = None
            # A transport passed in holds its own connections: it cannot be cloned per loop.
            factory = new_pool if transport is None else None
        else:
            self._owns_http = False
            self._backend = None
            self._request_headers = headers_for_foreign_client(
                build_headers(api_key=key, headers=None, basic_auth=basic_auth),
                http_client.headers,
                headers,
            )
            self._request_timeout = None if isinstance(timeout, NotGiven) else resolved_timeout
            factory = None
        self._http = http_client
        if self._affinity_header is not None and (
            self._affinity_header.lower() in {k.lower() for k in headers or {}}
            or self._affinity_header in http_client.headers
        ):
            self._affinity_header = None  # the caller sets it themselves, for every request
        self._pools = AsyncLoopPools(http_client, factory)

    # --- Configuration ------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The server URL every request goes to."""
        return self._base_url

    @property
    def backend(self) -> Backend | None:
        """The HTTP back-end under httpx, or None on a caller's `http_client` or `transport`."""
        return self._backend

    # --- Transport ----------------------------------------------------------------------

    async def _send(
        self,
        op: Operation[Any],
        *,
        body: bytes | None = None,
        upload: Callable[[], AsyncUpload] | None = None,
        path: str | None = None,
        model: str | None = None,
        stream: bool = False,
        expires: float | NotGiven | None = NOT_GIVEN,
        keyed: Any = None,
        rec: CallRecord | None = None,
    ) -> tuple[httpx.Response, bytes]:
        """Send one request under the retry policy and the deadline.

        Returns the response and its body (read unless `stream`; a streamed response is
        returned before its first line, and nothing after that point is ever retried).
        Statuses >= 400 become typed errors here, inside the retry loop, so 503 and 429 are
        retried.

        A failure leaves no reference cycle behind: the frames it passed through are cleared,
        so the sockets and files they held are released at once, even with the garbage
        collector off.

        `keyed` (the request struct, or the path parameters) gives the routing key of the
        affinity header, as the operation's `affinity` fields say. `rec`, the call's telemetry,
        sees each retry and may add the trace context to the headers.
        """
        url = (self._web_base_url if op.web else self._base_url) + (path or op.path)
        headers = self._request_headers
        if self._affinity_header is not None:
            key = self._affinity_pin or affinity_key(op.affinity, keyed)
            if key is not None:
                headers = {**(headers or {}), self._affinity_header: key}
        if rec is not None:
            headers = rec.headers(headers)
        if isinstance(expires, NotGiven):
            expires = expiry(self._deadline)
        try:
            with async_deadline(expires):
                return await self._attempts(
                    op, url, body, upload, headers, model, stream, expires, rec
                )
        except DeadlineExpired:
            raise self._deadline_error(url) from None
        except OllamaServiceError as exc:
            release_frames(exc)
            raise

    def _deadline_error(self, url: str, *, stream: bool = False) -> OllamaTimeoutError:
        return deadline_error(url, self._deadline or 0.0, stream=stream)

    async def _attempts(
        self,
        op: Operation[Any],
        url: str,
        body: bytes | None,
        upload: Callable[[], AsyncUpload] | None,
        headers: dict[str, str] | None,
        model: str | None,
        stream: bool,
        expires: float | None,
        rec: CallRecord | None = None,
    ) -> tuple[httpx.Response, bytes]:
        policy = self._retries.for_operation(op.max_retries)
        # The first attempt runs outside tenacity, which costs more per call than a local
        # request takes; tenacity takes over only after a failure worth retrying.
        try:
            return await self._send_once(op, url, body, upload, headers, model, stream, 1, expires)
        except OllamaServiceError as exc:
            if policy.max_attempts == 1 or not should_retry(
                exc, idempotent=op.idempotent, max_retry_after=policy.max_retry_after
            ):
                raise
            first_failure = exc

        def on_retry(attempt: int, error: BaseException, delay: float) -> None:
            log_retry(method=op.method, path=op.path, attempt=attempt, delay=delay, error=error)
            if rec is not None:
                rec.retry(attempt, delay, error)

        async for attempt in async_retrying(policy, idempotent=op.idempotent, on_retry=on_retry):
            with attempt:
                number = attempt.retry_state.attempt_number
                if number == 1:
                    # Replay the failure already seen, so tenacity waits, logs and counts it.
                    raise first_failure
                return await self._send_once(
                    op, url, body, upload, headers, model, stream, number, expires
                )
        raise AssertionError("unreachable: the retry loop returns or raises")  # pragma: no cover

    async def _send_once(
        self,
        op: Operation[Any],
        url: str,
        body: bytes | None,
        upload: Callable[[], AsyncUpload] | None,
        headers: dict[str, str] | None,
        model: str | None,
        stream: bool,
        attempt: int,
        expires: float | None,
    ) -> tuple[httpx.Response, bytes]:
        started = perf_counter()
        status: int | None = None
        content = upload() if upload is not None else None
        try:
            with map_transport_errors(url):
                http = self._pools.get() or await self._pools.attach()
                request = http.build_request(
                    op.method,
                    url,
                    content=content if content is not None else body,
                    headers=headers,
                    timeout=(
                        httpx.USE_CLIENT_DEFAULT
                        if self._request_timeout is None
                        else self._request_timeout
                    )
                    if expires is None
                    # Each bound is cut to the time left before the deadline.
                    else cap_timeout(self._request_timeout or http.timeout, expires),
                )
                response = await http.send(request, stream=True)
                status = response.status_code
                if stream and status < 400:
                    return response, b""
                try:
                    data = await read_body(response, self._max_response_bytes, url, expires)
                finally:
                    await response.aclose()
        except OllamaTimeoutError as exc:
            # A bound cut short by the deadline ran out: that is the deadline's expiry.
            if expired(expires):
                raise self._deadline_error(url) from exc
            raise
        except DeadlineExpired:
            raise self._deadline_error(url) from None
        finally:
            if content is not None:
                # Whatever happened, the upload's file is closed now, not by the collector.
                await content.aclose()
            log_request(
                method=op.method,
                path=op.path,
                status=status,
                duration_ms=(perf_counter() - started) * 1000.0,
                attempt=attempt,
                model=model,
            )
        if response.status_code >= 400:
            reply = response.headers
            raise error_from_response(
                response.status_code,
                data,
                model=model,
                retry_after=parse_retry_after(reply.get("retry-after")),
                content_type=reply.get("content-type"),
                server=reply.get("server"),
            )
        return response, data

    # Each call goes through `_json`, `_streamable` or `_plain`, which open its telemetry record
    # (None unless OpenTelemetry is configured) and end it with the reply or the error. The
    # request struct (or the path parameters, `keyed`) also gives the affinity routing key.
    # The generated endpoint methods call `_streamable` for an operation that can stream and
    # `_json` for the others; what happens then is read from the operation, not its name.
