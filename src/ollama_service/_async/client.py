"""`AsyncClient`: every native Ollama endpoint, typed, with retries, timeouts and typed errors.

This file is the source of `Client` too: `nox -s generate` derives `_sync/client.py` from it
with unasync, so write nothing here that a token rename cannot turn into blocking code (the
exceptions live in `ollama_service._twins`).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from time import perf_counter
from types import TracebackType
from typing import Any, Literal, TypeVar, overload

import httpx
import msgspec

from ollama_service import _env as env
from ollama_service._affinity import affinity_key, check_affinity_header, routing_key
from ollama_service._async.streams import AsyncStream
from ollama_service._backends import ASYNC_KIND, Backend, async_http_transport, choose_backend
from ollama_service._constants import (
    DEFAULT_AFFINITY_HEADER,
    DEFAULT_WEB_BASE_URL,
    MAX_RESPONSE_BYTES,
)
from ollama_service._deadline import DeadlineExpired, cap_timeout, expired, expiry
from ollama_service._decode import decode_body
from ollama_service._error_builders import (
    content_decoding_error,
    deadline_error,
    response_too_large_error,
)
from ollama_service._error_mapping import error_from_response, map_transport_errors
from ollama_service._errors import (
    OllamaRequestError,
    OllamaResponseError,
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
from ollama_service._inflate import InflateError, TooLarge, inflater_for
from ollama_service._inputs import MessageInput, OptionsInput
from ollama_service._logging import log_request, log_retry
from ollama_service._redact import redact_headers, redact_url
from ollama_service._request import (
    NOT_GIVEN,
    FormatInput,
    ImageInput,
    KeepAliveInput,
    NotGiven,
    ThinkInput,
    ToolInput,
    blob_digest,
    blob_path,
    encode_body,
    encode_images,
    normalize_format,
    normalize_input,
    normalize_keep_alive,
    normalize_messages,
    normalize_options,
    normalize_think,
    normalize_tools,
    require_model,
    require_text,
    unset_if_none,
)
from ollama_service._retry import parse_retry_after, retry_policies, should_retry
from ollama_service._retry_loop import async_retrying, release_frames
from ollama_service._systemone import QuestionInput, normalize_questions, normalize_state
from ollama_service._telemetry import CallRecord, Telemetry, client_telemetry
from ollama_service._twins import (
    AsyncHTTPClient,
    AsyncLoopPools,
    AsyncUpload,
    async_deadline,
    async_default_transport,
    async_file_digest,
    async_iter_file,
)
from ollama_service.types import (
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
    ProcessResponse,
    ProgressResponse,
    PullRequest,
    PushRequest,
    ShowRequest,
    ShowResponse,
    StatusResponse,
    SystemOneContent,
    SystemOneRequest,
    SystemOneResponse,
    VersionResponse,
    WebFetchRequest,
    WebFetchResponse,
    WebSearchRequest,
    WebSearchResponse,
)
from ollama_service.types._base import Operation
from ollama_service.types._operations import (
    BLOB_EXISTS,
    CHAT,
    COPY,
    CREATE,
    CREATE_BLOB,
    DELETE,
    EMBED,
    EMBEDDINGS,
    GENERATE,
    HEALTH,
    LIST,
    PS,
    PULL,
    PUSH,
    SHOW,
    SYSTEMONE,
    VERSION,
    WEB_FETCH,
    WEB_SEARCH,
)

__all__ = ["AsyncClient"]

T = TypeVar("T")
_C = TypeVar("_C", bound="AsyncClient")
_SUCCESS = StatusResponse(status="success")
# What Ollama's root answers: a 200 with another body came from something else.
_HEALTHY_BODY = b"Ollama is running"


async def _read_body(
    response: httpx.Response, limit: int, url: str, expires: float | None
) -> bytes:
    """Read a whole body, decompressed, stopping at `limit` bytes and at the deadline."""
    headers = response.headers
    encoding = headers.get("content-encoding")
    if encoding is None:
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise response_too_large_error(limit, url)
    parts: list[bytes] = []
    size = 0
    inflater = inflater_for(encoding, limit)
    try:
        if inflater is not None:
            # gzip and deflate are inflated here in small pieces: a bomb stops at the cap.
            async for raw in response.aiter_raw():
                parts.extend(inflater.feed(raw))
                if expires is not None and expired(expires):
                    raise DeadlineExpired
            parts.append(inflater.flush())
            return b"".join(parts)
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise TooLarge
            parts.append(chunk)
            if expires is not None and expired(expires):
                raise DeadlineExpired
    except TooLarge:
        raise response_too_large_error(limit, url) from None
    except InflateError as exc:
        raise content_decoding_error(url, str(exc)) from None
    return parts[0] if len(parts) == 1 else b"".join(parts)


class AsyncClient:
    """An async client for one Ollama server, with a pooled connection per client.

    Method names and arguments are those of the official `ollama.AsyncClient`, so switching
    is an import change. Unlike it, calls have timeouts and retries by default, every failure
    is an `OllamaServiceError` subclass, and replies are msgspec structs (which still support
    `resp["field"]`).

    The client's pool serves the event loop it is first used on; used from another loop (two
    `asyncio.run()` calls in one script), it opens a pool for that loop on demand. Close it
    with `await client.close()` or `async with AsyncClient() as client:`.

    Args:
        host: Server URL; `OLLAMA_BASE_URL`, then `OLLAMA_HOST`, then `http://127.0.0.1:11434`
            when omitted. Parsed as the official clients parse `OLLAMA_HOST`. User-info
            (`http://user:password@host`) is sent as a `Basic` Authorization header and kept
            out of every URL that is sent or logged.
        timeout: Read timeout in seconds (None: wait forever), or an `httpx.Timeout` for every
            phase. Connect, write and pool bounds have their own defaults.
        deadline: Total seconds a call may take (None, the default: no total bound): connect,
            send and read of a whole reply, retries and backoff included; for a stream, the
            time to its first item. Its expiry is `OllamaTimeoutError(phase="deadline")`.
        max_response_bytes: Cap on a whole (non-streamed) reply after decompression; a larger
            one raises `OllamaResponseTooLargeError`. Default: 128 MiB.
        max_retries: Retries after the first attempt (0 disables them). Default: 2 (1 for
            `pull`).
        retry_min_backoff: First backoff delay in seconds; it doubles up to `retry_max_backoff`.
        retry_max_backoff: Ceiling of the backoff delay in seconds.
        max_connections: Pool size: twice this many connections may be open at once, and
            all of them are kept alive for reuse (idle ones close after 30 s).
        headers: Extra headers for every request; they override ours.
        api_key: Sent as `Authorization: Bearer ...`; defaults to `OLLAMA_API_KEY`.
        http_client: Your own `httpx.AsyncClient` (proxies, mTLS, tests). It is used as is,
            and never closed by us.
        transport: An httpx transport for the client we create (ignored with `http_client`).
        backend: The HTTP library under httpx: `"httpx"` (its own transport; the default, and
            the one for trio and HTTP/2), `"aiohttp"` (faster, asyncio only, needs the
            `aiohttp` extra) or, for `Client`, `"urllib3"` (its default). Defaults to
            `OLLAMA_HTTP_BACKEND` when that names one for this client. Ignored when
            `http_client` or `transport` is given.
        follow_redirects: As in httpx; on by default, as in the official client.
        affinity_header: The header that carries each request's model (or blob digest), so a
            load balancer can send each model to one server (see "Scaling out" in the docs);
            None turns it off. A header of the same name in `headers` wins.
        telemetry: OpenTelemetry settings (`Telemetry`), or False to record nothing. By
            default every call is a GenAI client span, with metrics, as soon as the
            application configures OpenTelemetry (see the observability guide).
        web_base_url: Where `web_search` and `web_fetch` go; `OLLAMA_WEB_BASE_URL`, then
            `https://ollama.com` (as in the official client) when omitted.
        **kwargs: Passed to the `httpx.AsyncClient` we create, as the official client does
            (`limits`, `verify`, `cert`, `proxy`, `auth`, `mounts`, ...); `limits` replaces the
            pool limits `max_connections` would set.

    Raises:
        OllamaRequestError: A bad host, timeout, retry or pool setting (the message names it).
    """

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
        self._policy, self._pull_policy = retry_policies(
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
            clone._policy, clone._pull_policy = retry_policies(
                max_retries,
                min_backoff=self._policy.min_backoff,
                max_backoff=self._policy.max_backoff,
            )
        return clone

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
        policy = self._pull_policy if op is PULL else self._policy
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
                    data = await _read_body(response, self._max_response_bytes, url, expires)
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

    @overload
    async def _streamable(
        self, op: Operation[T], request: msgspec.Struct, model: str | None, stream: Literal[True]
    ) -> AsyncStream[T]: ...
    @overload
    async def _streamable(
        self, op: Operation[T], request: msgspec.Struct, model: str | None, stream: Literal[False]
    ) -> T: ...
    @overload
    async def _streamable(
        self, op: Operation[T], request: msgspec.Struct, model: str | None, stream: bool
    ) -> T | AsyncStream[T]: ...
    async def _streamable(
        self, op: Operation[T], request: msgspec.Struct, model: str | None, stream: bool
    ) -> T | AsyncStream[T]:
        if not stream:
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

    # --- Generation -----------------------------------------------------------------------

    @overload
    async def generate(
        self,
        model: str = "",
        prompt: str | None = None,
        suffix: str | None = None,
        *,
        system: str | None = None,
        template: str | None = None,
        context: Sequence[int] | None = None,
        stream: Literal[False] = False,
        think: ThinkInput | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        raw: bool | None = None,
        format: FormatInput | None = None,
        images: Sequence[ImageInput] | None = None,
        options: OptionsInput | None = None,
        keep_alive: KeepAliveInput | None = None,
        truncate: bool | None = None,
        shift: bool | None = None,
        width: int | None = None,
        height: int | None = None,
        steps: int | None = None,
    ) -> GenerateResponse: ...
    @overload
    async def generate(
        self,
        model: str = "",
        prompt: str | None = None,
        suffix: str | None = None,
        *,
        system: str | None = None,
        template: str | None = None,
        context: Sequence[int] | None = None,
        stream: Literal[True],
        think: ThinkInput | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        raw: bool | None = None,
        format: FormatInput | None = None,
        images: Sequence[ImageInput] | None = None,
        options: OptionsInput | None = None,
        keep_alive: KeepAliveInput | None = None,
        truncate: bool | None = None,
        shift: bool | None = None,
        width: int | None = None,
        height: int | None = None,
        steps: int | None = None,
    ) -> AsyncStream[GenerateResponse]: ...
    async def generate(
        self,
        model: str = "",
        prompt: str | None = None,
        suffix: str | None = None,
        *,
        system: str | None = None,
        template: str | None = None,
        context: Sequence[int] | None = None,
        stream: bool = False,
        think: ThinkInput | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        raw: bool | None = None,
        format: FormatInput | None = None,
        images: Sequence[ImageInput] | None = None,
        options: OptionsInput | None = None,
        keep_alive: KeepAliveInput | None = None,
        truncate: bool | None = None,
        shift: bool | None = None,
        width: int | None = None,
        height: int | None = None,
        steps: int | None = None,
    ) -> GenerateResponse | AsyncStream[GenerateResponse]:
        """Generate a completion for a prompt (POST /api/generate).

        With no prompt, the server only loads the model (and unloads it with `keep_alive=0`).

        Args:
            model: Model name, e.g. `llama3.2`.
            prompt: The prompt.
            suffix: Text after the completion (fill-in-the-middle models).
            system: Overrides the model's system prompt.
            template: Overrides the model's prompt template.
            context: Token context from an earlier reply (deprecated by the server).
            stream: Return an `AsyncStream` of partial replies instead of one reply.
            think: Thinking on/off, or a level (`low`, `medium`, `high`, `max`).
            logprobs: Return log probabilities of the output tokens.
            top_logprobs: How many alternatives per token (0-20) with `logprobs`.
            raw: Send the prompt without templating.
            format: `"json"`, a JSON Schema dict, or a msgspec Struct type (its schema is sent;
                decode the reply with `ollama_service.parse_structured`).
            images: Paths, bytes or base64 strings, for vision models.
            options: Runtime options (dict or `Options`); an unknown key is sent with a warning.
            keep_alive: How long the model stays loaded: seconds, a duration like `"5m"`, or a
                `timedelta`; negative keeps it loaded, 0 unloads it.
            truncate: Truncate the prompt to fit the context (server default: true).
            shift: Shift the context instead of failing at its limit (server default: true).
            width: Experimental: width in pixels of a generated image (image models).
            height: Experimental: height in pixels of a generated image (image models).
            steps: Experimental: diffusion steps of a generated image (image models).

        Returns:
            The whole reply, or with `stream=True` an `AsyncStream[GenerateResponse]`. Image
            models put the image in `image` (base64) and their progress in `completed`/`total`.

        Raises:
            OllamaRequestError: An argument is invalid (nothing was sent).
            OllamaModelNotFoundError: The model is not installed.
            OllamaConnectionError: The server could not be reached (or timed out).
            OllamaResponseError: Any other error status.
            OllamaStreamError: The stream reported an error or ended early.
        """
        name = require_model(model)
        request = GenerateRequest(
            model=name,
            prompt=unset_if_none(prompt),
            suffix=unset_if_none(suffix),
            system=unset_if_none(system),
            template=unset_if_none(template),
            context=unset_if_none(None if context is None else list(context)),
            stream=stream,
            think=normalize_think(think),
            logprobs=unset_if_none(logprobs),
            top_logprobs=unset_if_none(top_logprobs),
            raw=unset_if_none(raw),
            format=normalize_format(format),
            images=encode_images(images),
            options=normalize_options(options),
            keep_alive=normalize_keep_alive(keep_alive),
            truncate=unset_if_none(truncate),
            shift=unset_if_none(shift),
            width=unset_if_none(width),
            height=unset_if_none(height),
            steps=unset_if_none(steps),
        )
        return await self._streamable(GENERATE, request, name, stream)

    @overload
    async def chat(
        self,
        model: str = "",
        messages: Sequence[MessageInput] | None = None,
        *,
        tools: Sequence[ToolInput] | None = None,
        stream: Literal[False] = False,
        think: ThinkInput | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        format: FormatInput | None = None,
        options: OptionsInput | None = None,
        keep_alive: KeepAliveInput | None = None,
        truncate: bool | None = None,
        shift: bool | None = None,
    ) -> ChatResponse: ...
    @overload
    async def chat(
        self,
        model: str = "",
        messages: Sequence[MessageInput] | None = None,
        *,
        tools: Sequence[ToolInput] | None = None,
        stream: Literal[True],
        think: ThinkInput | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        format: FormatInput | None = None,
        options: OptionsInput | None = None,
        keep_alive: KeepAliveInput | None = None,
        truncate: bool | None = None,
        shift: bool | None = None,
    ) -> AsyncStream[ChatResponse]: ...
    async def chat(
        self,
        model: str = "",
        messages: Sequence[MessageInput] | None = None,
        *,
        tools: Sequence[ToolInput] | None = None,
        stream: bool = False,
        think: ThinkInput | None = None,
        logprobs: bool | None = None,
        top_logprobs: int | None = None,
        format: FormatInput | None = None,
        options: OptionsInput | None = None,
        keep_alive: KeepAliveInput | None = None,
        truncate: bool | None = None,
        shift: bool | None = None,
    ) -> ChatResponse | AsyncStream[ChatResponse]:
        """Generate the next message of a chat (POST /api/chat).

        With no messages, the server only loads the model (and unloads it with `keep_alive=0`).

        Args:
            model: Model name.
            messages: The history: dicts or `Message` structs; message images may be paths,
                bytes or base64 strings.
            tools: Tools the model may call: JSON-schema dicts, `Tool` structs, or plain Python
                functions (their signature and Google-style docstring become the schema).
            stream: Return an `AsyncStream` of partial replies instead of one reply.
            think: Thinking on/off, or a level (`low`, `medium`, `high`, `max`).
            logprobs: Return log probabilities of the output tokens.
            top_logprobs: How many alternatives per token (0-20) with `logprobs`.
            format: `"json"`, a JSON Schema dict, or a msgspec Struct type.
            options: Runtime options (dict or `Options`); an unknown key is sent with a warning.
            keep_alive: How long the model stays loaded (see `generate`).
            truncate: Truncate the history to fit the context (server default: true).
            shift: Shift the context instead of failing at its limit (server default: true).

        Returns:
            The reply, or with `stream=True` an `AsyncStream[ChatResponse]`. Tool-call
            arguments are always objects, even when a model sends them as a JSON string.

        Raises:
            OllamaRequestError: An argument is invalid (nothing was sent).
            OllamaModelNotFoundError: The model is not installed.
            OllamaConnectionError: The server could not be reached (or timed out).
            OllamaResponseError: Any other error status.
            OllamaStreamError: The stream reported an error or ended early.
        """
        name = require_model(model)
        request = ChatRequest(
            model=name,
            messages=normalize_messages(messages),
            # The official client always sends a list; so do we, to put the same JSON on the wire.
            tools=normalize_tools(tools or []),
            stream=stream,
            think=normalize_think(think),
            logprobs=unset_if_none(logprobs),
            top_logprobs=unset_if_none(top_logprobs),
            format=normalize_format(format),
            options=normalize_options(options),
            keep_alive=normalize_keep_alive(keep_alive),
            truncate=unset_if_none(truncate),
            shift=unset_if_none(shift),
        )
        return await self._streamable(CHAT, request, name, stream)

    async def embed(
        self,
        model: str = "",
        input: str | Sequence[str] = "",
        truncate: bool | None = None,
        options: OptionsInput | None = None,
        keep_alive: KeepAliveInput | None = None,
        dimensions: int | None = None,
    ) -> EmbedResponse:
        """Embed one text or a list of texts (POST /api/embed); vectors are L2-normalized.

        Args:
            model: An embedding model.
            input: A string, or a list of strings (one vector each, in order).
            truncate: Truncate inputs to the context length (server default: true); with
                false, an over-long input is an error.
            options: Runtime options.
            keep_alive: How long the model stays loaded (see `generate`).
            dimensions: Cut vectors to this size (re-normalized by the server).

        Returns:
            The embeddings.

        Raises:
            OllamaRequestError: An argument is invalid (nothing was sent).
            OllamaModelNotFoundError: The model is not installed.
            OllamaConnectionError: The server could not be reached (or timed out).
            OllamaResponseError: Any other error status.
        """
        name = require_model(model)
        request = EmbedRequest(
            model=name,
            input=normalize_input(input),
            truncate=unset_if_none(truncate),
            options=normalize_options(options),
            keep_alive=normalize_keep_alive(keep_alive),
            dimensions=unset_if_none(dimensions),
        )
        return await self._json(EMBED, request, name)

    async def embeddings(
        self,
        model: str = "",
        prompt: str | None = None,
        options: OptionsInput | None = None,
        keep_alive: KeepAliveInput | None = None,
    ) -> EmbeddingsResponse:
        """Embed one prompt with the legacy endpoint (POST /api/embeddings); prefer `embed`.

        Args:
            model: An embedding model.
            prompt: The text to embed.
            options: Runtime options.
            keep_alive: How long the model stays loaded (see `generate`).

        Raises:
            OllamaRequestError: An argument is invalid (nothing was sent).
            OllamaModelNotFoundError: The model is not installed.
            OllamaConnectionError: The server could not be reached (or timed out).
            OllamaResponseError: Any other error status.
        """
        name = require_model(model)
        request = EmbeddingsRequest(
            model=name,
            prompt=unset_if_none(prompt),
            options=normalize_options(options),
            keep_alive=normalize_keep_alive(keep_alive),
        )
        return await self._json(EMBEDDINGS, request, name)

    async def systemone(
        self,
        model: str,
        state: SystemOneContent,
        questions: Mapping[str, QuestionInput],
        keep_alive: KeepAliveInput | None = None,
    ) -> SystemOneResponse:
        """Score choice, noul and score questions about `state` (POST /v1/systemone).

        Needs Ollama v0.35.0 or later and a local System One model such as `nimble`. One JSON
        reply; streaming and cloud models are not supported.

        Args:
            model: A System One model.
            state: What the questions are about: text, a JSON object (dict) or array (list).
            questions: Names mapped to questions, evaluated in this order: our
                `SystemOneChoiceQuestion`/`SystemOneNoulQuestion`/`SystemOneScoreQuestion`,
                the official library's, or mappings with `type` `choice`, `noul` or `score`.
            keep_alive: How long the model stays loaded (see `generate`).

        Returns:
            One answer per question under its name (`SystemOneChoiceAnswer`, ...), and usage.

        Raises:
            OllamaRequestError: An argument is invalid, e.g. a question of an unknown type
                (nothing was sent).
            OllamaModelNotFoundError: The model is not installed.
            OllamaConnectionError: The server could not be reached (or timed out).
            OllamaResponseError: Any other error status (400 for a body the server refuses,
                413 for one over 64 KiB).
        """
        name = require_model(model)
        request = SystemOneRequest(
            model=name,
            state=normalize_state(state),
            questions=normalize_questions(questions),
            keep_alive=normalize_keep_alive(keep_alive),
        )
        return await self._json(SYSTEMONE, request, name)

    # --- Models ---------------------------------------------------------------------------

    async def list(self) -> ListResponse:
        """List the models installed on the server (GET /api/tags)."""
        return await self._json(LIST)

    async def ps(self) -> ProcessResponse:
        """List the models loaded in memory (GET /api/ps)."""
        return await self._json(PS)

    async def show(self, model: str, *, verbose: bool | None = None) -> ShowResponse:
        """Show a model's details, template, parameters and capabilities (POST /api/show).

        Args:
            model: Model name.
            verbose: Include large arrays (tokenizer vocabularies) in `model_info`.

        Raises:
            OllamaModelNotFoundError: The model is not installed.
        """
        name = require_model(model)
        request = ShowRequest(model=name, verbose=unset_if_none(verbose))
        return await self._json(SHOW, request, name)

    @overload
    async def pull(
        self, model: str, *, insecure: bool = False, stream: Literal[False] = False
    ) -> ProgressResponse: ...
    @overload
    async def pull(
        self, model: str, *, insecure: bool = False, stream: Literal[True]
    ) -> AsyncStream[ProgressResponse]: ...
    async def pull(
        self, model: str, *, insecure: bool = False, stream: bool = False
    ) -> ProgressResponse | AsyncStream[ProgressResponse]:
        """Download a model from a registry (POST /api/pull).

        Args:
            model: Model name.
            insecure: Allow a registry over plain HTTP.
            stream: Return an `AsyncStream` of progress items instead of the last one.

        Returns:
            The final progress item (`status == "success"`), or the stream of them.

        Raises:
            OllamaStreamError: The registry has no such model (reported inside the stream).
            OllamaResponseError: The server refused the request.
        """
        name = require_model(model)
        request = PullRequest(model=name, insecure=insecure, stream=stream)
        return await self._streamable(PULL, request, name, stream)

    @overload
    async def push(
        self, model: str, *, insecure: bool = False, stream: Literal[False] = False
    ) -> ProgressResponse: ...
    @overload
    async def push(
        self, model: str, *, insecure: bool = False, stream: Literal[True]
    ) -> AsyncStream[ProgressResponse]: ...
    async def push(
        self, model: str, *, insecure: bool = False, stream: bool = False
    ) -> ProgressResponse | AsyncStream[ProgressResponse]:
        """Upload a model to a registry (POST /api/push); needs an ollama.com key.

        Args:
            model: Model name, `<namespace>/<model>:<tag>`.
            insecure: Allow a registry over plain HTTP.
            stream: Return an `AsyncStream` of progress items instead of the last one.

        Returns:
            The final progress item, or with `stream=True` the stream of them.
        """
        name = require_model(model)
        request = PushRequest(model=name, insecure=insecure, stream=stream)
        return await self._streamable(PUSH, request, name, stream)

    @overload
    async def create(
        self,
        model: str,
        quantize: str | None = None,
        from_: str | None = None,
        files: Mapping[str, str] | None = None,
        adapters: Mapping[str, str] | None = None,
        template: str | None = None,
        license: str | Sequence[str] | None = None,
        system: str | None = None,
        parameters: OptionsInput | None = None,
        messages: Sequence[MessageInput] | None = None,
        *,
        requires: str | None = None,
        stream: Literal[False] = False,
    ) -> ProgressResponse: ...
    @overload
    async def create(
        self,
        model: str,
        quantize: str | None = None,
        from_: str | None = None,
        files: Mapping[str, str] | None = None,
        adapters: Mapping[str, str] | None = None,
        template: str | None = None,
        license: str | Sequence[str] | None = None,
        system: str | None = None,
        parameters: OptionsInput | None = None,
        messages: Sequence[MessageInput] | None = None,
        *,
        requires: str | None = None,
        stream: Literal[True],
    ) -> AsyncStream[ProgressResponse]: ...
    async def create(
        self,
        model: str,
        quantize: str | None = None,
        from_: str | None = None,
        files: Mapping[str, str] | None = None,
        adapters: Mapping[str, str] | None = None,
        template: str | None = None,
        license: str | Sequence[str] | None = None,
        system: str | None = None,
        parameters: OptionsInput | None = None,
        messages: Sequence[MessageInput] | None = None,
        *,
        requires: str | None = None,
        stream: bool = False,
    ) -> ProgressResponse | AsyncStream[ProgressResponse]:
        """Create a model from another model, from uploaded blobs, or by quantizing (POST /api/create).

        Args:
            model: Name of the new model.
            quantize: Quantization type such as `q4_K_M` (source must be F16/BF16/F32).
            from_: An existing model to build on (sent as `from`; pulled if missing).
            files: File name → blob digest, uploaded beforehand with `create_blob`.
            adapters: LoRA adapter file name → blob digest.
            template: Prompt template.
            license: Licence text, or several.
            system: System prompt.
            parameters: Default runtime options of the new model.
            messages: A conversation baked into the model.
            requires: The minimum Ollama version needed to run the new model (a Modelfile's
                `REQUIRES`).
            stream: Return an `AsyncStream` of progress items instead of the last one.

        Returns:
            The final progress item (`status == "success"`), or the stream of them.
        """
        name = require_model(model)
        if from_ is None and not files:
            raise OllamaRequestError("create needs from_ (a base model) or files (uploaded blobs)")
        request = CreateRequest(
            model=name,
            quantize=unset_if_none(quantize),
            from_=unset_if_none(from_),
            files=unset_if_none(None if files is None else dict(files)),
            adapters=unset_if_none(None if adapters is None else dict(adapters)),
            template=unset_if_none(template),
            license=unset_if_none(
                license if license is None or isinstance(license, str) else list(license)
            ),
            system=unset_if_none(system),
            parameters=normalize_options(parameters),
            messages=normalize_messages(messages),
            requires=unset_if_none(requires),
            stream=stream,
        )
        return await self._streamable(CREATE, request, name, stream)

    async def copy(self, source: str, destination: str) -> StatusResponse:
        """Copy a model under a new name (POST /api/copy).

        Args:
            source: The model to copy.
            destination: The new name.

        Returns:
            `StatusResponse(status="success")` (the server's reply has no body).

        Raises:
            OllamaModelNotFoundError: `source` is not installed.
        """
        request = CopyRequest(
            source=require_model(source, "source"),
            destination=require_model(destination, "destination"),
        )
        await self._plain(COPY, request, source)
        return _SUCCESS

    async def delete(self, model: str) -> StatusResponse:
        """Delete a model and the layers nothing else uses (DELETE /api/delete).

        Args:
            model: Model name.

        Returns:
            `StatusResponse(status="success")` (the server's reply has no body).

        Raises:
            OllamaModelNotFoundError: The model is not installed.
        """
        name = require_model(model)
        await self._plain(DELETE, DeleteRequest(model=name), name)
        return _SUCCESS

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

    # --- ollama.com ---------------------------------------------------------------------

    async def web_search(self, query: str, max_results: int = 3) -> WebSearchResponse:
        """Search the web through ollama.com's API (POST https://ollama.com/api/web_search).

        Args:
            query: What to search for.
            max_results: How many results at most (3, as in the official client).

        Returns:
            The results, each with `title`, `url` and `content`.

        Raises:
            OllamaRequestError: No ollama.com API key (`api_key=` or `OLLAMA_API_KEY`), or an
                empty query; nothing was sent.
            OllamaResponseError: ollama.com refused the request (401: a bad key).
        """
        self._require_bearer("web_search")
        request = WebSearchRequest(
            query=require_text(query, "web_search: query"), max_results=max_results
        )
        return await self._json(WEB_SEARCH, request)

    async def web_fetch(self, url: str) -> WebFetchResponse:
        """Fetch one web page through ollama.com's API (POST https://ollama.com/api/web_fetch).

        Args:
            url: The page to fetch.

        Returns:
            Its `title`, text `content` and `links`.

        Raises:
            OllamaRequestError: No ollama.com API key (`api_key=` or `OLLAMA_API_KEY`), or an
                empty URL; nothing was sent.
            OllamaResponseError: ollama.com refused the request (401: a bad key).
        """
        self._require_bearer("web_fetch")
        request = WebFetchRequest(url=require_text(url, "web_fetch: url"))
        return await self._json(WEB_FETCH, request)

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

    async def version(self) -> VersionResponse:
        """The server's version (GET /api/version)."""
        return await self._json(VERSION)

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
