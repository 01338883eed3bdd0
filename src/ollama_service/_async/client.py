"""`AsyncClient`: every native Ollama endpoint, typed, with retries, timeouts and typed errors.

The endpoint methods are generated from the spec into `_endpoints.py`; transport, retries and
lifecycle are in `_base.py`; this class adds the constructor's documentation (and any endpoint
written by hand for one client only).

This file is the source of `Client` too: `nox -s generate` derives `_sync/client.py` from it
with unasync, so write nothing here that a token rename cannot turn into blocking code (the
exceptions live in `ollama_service._twins`).
"""

from __future__ import annotations

from collections.abc import Mapping

from ollama_service._async._endpoints import AsyncEndpoints
from ollama_service._coerce import require_model
from ollama_service._inputs import KeepAliveInput
from ollama_service._normalize import normalize_keep_alive
from ollama_service._systemone import QuestionInput, normalize_questions, normalize_state
from ollama_service.types import SystemOneContent, SystemOneRequest, SystemOneResponse
from ollama_service.types._operations import SYSTEMONE

__all__ = ["AsyncClient"]


class AsyncClient(AsyncEndpoints):
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

    # --- Written by hand: questions need the official models' shapes (_systemone.py) ------

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
