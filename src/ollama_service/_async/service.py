"""`OllamaService`: the application-facing API, configured from the environment.

Text in, text out (`generate`, `chat`), plus model management and a health check that never
raises. Everything else is one attribute away on `.client`. The sync twin, `SyncOllamaService`,
is generated from this file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, TypeVar, overload

from ollama_service._async.client import AsyncClient
from ollama_service._async.streams import AsyncStream
from ollama_service._backends import ASYNC_KIND, Backend
from ollama_service._coerce import require_model
from ollama_service._errors import (
    OllamaModelNotFoundError,
    OllamaRequestError,
    OllamaServiceError,
    OllamaStreamError,
)
from ollama_service._inputs import MessageInput
from ollama_service._redact import redact_url
from ollama_service._service_kwargs import request_keywords, split_kwargs
from ollama_service._telemetry import Telemetry
from ollama_service.types import (
    ChatResponse,
    GenerateResponse,
    ListModel,
    ProgressResponse,
    ShowResponse,
)

if TYPE_CHECKING:
    from ollama_service._settings import OllamaSettings

__all__ = ["AsyncTextStream", "OllamaService"]

T = TypeVar("T")
_S = TypeVar("_S", bound="OllamaService")

# What the server says in a pull stream when the registry has no such model.
_PULL_NOT_FOUND = "file does not exist"

# The request fields each text method passes through `**kwargs`: what the client's generated
# method accepts, less what the service passes itself.
_GENERATE_KWARGS: Final = request_keywords(AsyncClient.generate, ("model", "prompt", "stream"))
_CHAT_KWARGS: Final = request_keywords(AsyncClient.chat, ("model", "messages", "stream"))
_EMBED_KWARGS: Final = request_keywords(AsyncClient.embed, ("model", "input"))


async def _pieces(stream: AsyncStream[T], text: Callable[[T], str]) -> AsyncIterator[str]:
    # Holds the stream, never the text stream around it: no reference cycle, so dropping a
    # half-read text stream releases the response at once.
    async for item in stream:
        piece = text(item)
        if piece:
            yield piece


class AsyncTextStream(Generic[T]):
    """The text pieces of a streamed reply; a context manager that releases the response.

    Like the `AsyncStream` it wraps, it has a single reader: every way of iterating it
    continues where the last read stopped, and reading it after `close()` (before its end)
    or after it failed raises `OllamaStreamClosedError`.
    """

    def __init__(self, stream: AsyncStream[T], text: Callable[[T], str]) -> None:
        self.stream = stream
        self._text = text
        self._iterator: AsyncIterator[str] | None = None

    def __aiter__(self) -> AsyncIterator[str]:
        # After a failure, a fresh reader asks the stream, which raises OllamaStreamClosedError.
        if self._iterator is None or not self.stream.readable:
            self._iterator = _pieces(self.stream, self._text)
        return self._iterator

    async def __anext__(self) -> str:
        return await self.__aiter__().__anext__()

    async def close(self) -> None:
        """Release the HTTP response."""
        await self.stream.close()

    async def __aenter__(self) -> AsyncTextStream[T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _generate_text(item: GenerateResponse) -> str:
    return item.response


def _chat_text(item: ChatResponse) -> str:
    return item.message.content


def _telemetry_from(settings: OllamaSettings) -> Telemetry:
    # True from the settings wins; otherwise the client reads the environment variables itself
    # (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT included).
    return Telemetry(
        capture_content=settings.otel_capture_content or None,
        propagate=settings.otel_propagate or None,
    )


class OllamaService:
    """Generate text, manage models and check health, with settings from the environment.

    Every argument left as None is taken from `OllamaSettings` (`OLLAMA_BASE_URL` or
    `OLLAMA_HOST`, `OLLAMA_TIMEOUT`, `OLLAMA_MAX_CONNECTIONS`, `OLLAMA_MAX_RETRIES`,
    `OLLAMA_API_KEY`, `OLLAMA_DEFAULT_MODEL`, `OLLAMA_AFFINITY`, `OLLAMA_AFFINITY_HEADER`,
    `OLLAMA_HTTP_BACKEND`); settings are read only when one is needed.

    Args:
        base_url: Server URL.
        timeout: Read timeout in seconds.
        max_connections: Pool size (twice this many may be open, all kept alive for reuse).
        default_model: The model used when a call passes `model=None`.
        max_retries: Retries after the first attempt (0 disables them).
        api_key: Bearer token (ollama.com or an authenticating proxy).
        headers: Extra headers for every request.
        deadline: Total seconds a call may take (see `AsyncClient`).
        max_response_bytes: Cap on a whole reply's size (see `AsyncClient`).
        affinity: Send each request's model in the affinity header, for a load balancer that
            routes by model (on by default; False turns it off).
        affinity_header: The header's name (default `X-Ollama-Model`).
        client: A ready client to use instead of building one (it is not closed by us).
        backend: The HTTP library under httpx (see `AsyncClient`); ignored with `client`.
        settings: Settings to use instead of reading the environment.
        telemetry: OpenTelemetry settings for the client we build, or False to record nothing;
            by default content capture and trace propagation follow `OLLAMA_OTEL_*`.

    Raises:
        OllamaRequestError: A setting or argument is invalid; the message names it.
    """

    def __init__(
        self,
        base_url: str | None = None,
        timeout: float | None = None,
        max_connections: int | None = None,
        *,
        default_model: str | None = None,
        max_retries: int | None = None,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        deadline: float | None = None,
        max_response_bytes: int | None = None,
        affinity: bool | None = None,
        affinity_header: str | None = None,
        client: AsyncClient | None = None,
        backend: Backend | None = None,
        settings: OllamaSettings | None = None,
        telemetry: Telemetry | bool | None = None,
    ) -> None:
        needs_settings = client is None or default_model is None
        if settings is None and needs_settings:
            from ollama_service._settings import get_settings

            settings = get_settings()
        self.settings = settings
        self.default_model = default_model or (settings.default_model if settings else "")
        self._owns_client = client is None
        if client is None:
            assert settings is not None
            client = AsyncClient(
                base_url or settings.resolved_base_url,
                timeout=settings.timeout if timeout is None else timeout,
                max_connections=(
                    settings.max_connections if max_connections is None else max_connections
                ),
                max_retries=settings.max_retries if max_retries is None else max_retries,
                api_key=api_key if api_key is not None else settings.api_key_value(),
                headers=headers,
                deadline=settings.deadline if deadline is None else deadline,
                max_response_bytes=(
                    settings.max_response_bytes
                    if max_response_bytes is None
                    else max_response_bytes
                ),
                affinity_header=(
                    None
                    if not (settings.affinity if affinity is None else affinity)
                    else affinity_header or settings.affinity_header
                ),
                telemetry=_telemetry_from(settings) if telemetry is None else telemetry,
                backend=backend if backend is not None else settings.backend_for(ASYNC_KIND),
            )
        self.client = client
        """The typed client, for every endpoint the service does not wrap."""

    def _model(self, model: str | None) -> str:
        """`None` means the default model; anything else is checked as given (so "" is an error)."""
        if model is not None:
            return require_model(model)
        if not self.default_model:
            raise OllamaRequestError("no model given and no default model configured")
        return self.default_model

    # --- Text -----------------------------------------------------------------------------

    @overload
    async def generate(
        self, model: str | None, prompt: str, stream: Literal[False] = False, **kwargs: Any
    ) -> str: ...
    @overload
    async def generate(
        self, model: str | None, prompt: str, stream: Literal[True], **kwargs: Any
    ) -> AsyncTextStream[GenerateResponse]: ...
    async def generate(
        self, model: str | None, prompt: str, stream: bool = False, **kwargs: Any
    ) -> str | AsyncTextStream[GenerateResponse]:
        """Generate text for a prompt.

        Args:
            model: Model name; None uses the default model.
            prompt: The prompt.
            stream: Return an async iterator of text pieces instead of the whole text.
            **kwargs: Runtime options by name (`temperature`, `top_p`, `num_predict`, ...) and
                request fields (`system`, `format`, `images`, `keep_alive`, `think`, `raw`,
                `suffix`, `template`, ...).

        Returns:
            The generated text, or with `stream=True` an `AsyncTextStream` of pieces.

        Raises:
            TypeError: An unknown keyword argument (named; nothing was sent).
            OllamaModelNotFoundError: The model is not installed.
            OllamaConnectionError: Ollama is not running or not reachable.
            OllamaServiceError: Any other failure.
        """
        request, _ = split_kwargs("generate", kwargs, _GENERATE_KWARGS)
        name = self._model(model)
        if stream:
            parts = await self.client.generate(name, prompt, stream=True, **request)
            return AsyncTextStream(parts, _generate_text)
        reply = await self.client.generate(name, prompt, stream=False, **request)
        return reply.response

    @overload
    async def chat(
        self,
        model: str | None,
        messages: Sequence[MessageInput],
        stream: Literal[False] = False,
        **kwargs: Any,
    ) -> str: ...
    @overload
    async def chat(
        self,
        model: str | None,
        messages: Sequence[MessageInput],
        stream: Literal[True],
        **kwargs: Any,
    ) -> AsyncTextStream[ChatResponse]: ...
    async def chat(
        self,
        model: str | None,
        messages: Sequence[MessageInput],
        stream: bool = False,
        **kwargs: Any,
    ) -> str | AsyncTextStream[ChatResponse]:
        """Reply to a conversation; like `generate`, with a message history.

        Args:
            model: Model name; None uses the default model.
            messages: The history, as dicts (`{"role": "user", "content": "..."}`) or `Message`.
            stream: Return an async iterator of text pieces instead of the whole text.
            **kwargs: Runtime options by name and request fields (`tools`, `format`,
                `keep_alive`, `think`, ...). For tool calls, use `.client.chat`.

        Returns:
            The assistant's text, or with `stream=True` an `AsyncTextStream` of pieces.

        Raises:
            TypeError: An unknown keyword argument (named; nothing was sent).
            OllamaModelNotFoundError: The model is not installed.
            OllamaConnectionError: Ollama is not running or not reachable.
            OllamaServiceError: Any other failure.
        """
        request, _ = split_kwargs("chat", kwargs, _CHAT_KWARGS)
        name = self._model(model)
        if stream:
            parts = await self.client.chat(name, messages, stream=True, **request)
            return AsyncTextStream(parts, _chat_text)
        reply = await self.client.chat(name, messages, stream=False, **request)
        return reply.message.content

    async def embed(
        self, model: str | None, input: str | Sequence[str], **kwargs: Any
    ) -> list[list[float]]:
        """Embed one text or several; returns one vector per text, in order.

        Raises:
            TypeError: An unknown keyword argument (named; nothing was sent).
            OllamaModelNotFoundError: The model is not installed.
            OllamaServiceError: Any other failure.
        """
        request, _ = split_kwargs("embed", kwargs, _EMBED_KWARGS)
        reply = await self.client.embed(self._model(model), input, **request)
        return reply.embeddings

    # --- Models ---------------------------------------------------------------------------

    async def list_models(self) -> list[ListModel]:
        """The installed models, each with `name`, `size`, `modified_at`, `digest`, `details`.

        Items support attribute and dict-style access (`m.name` and `m["name"]`).
        """
        return (await self.client.list()).models

    async def show_model(self, model: str | None = None) -> ShowResponse:
        """A model's modelfile, parameters, template, details, model_info and capabilities.

        Raises:
            OllamaModelNotFoundError: The model is not installed.
        """
        return await self.client.show(self._model(model))

    async def pull_model(self, model: str | None = None) -> AsyncIterator[ProgressResponse]:
        """Download a model, yielding progress items as they arrive.

        Each item has `status` and, when the server sends them, `digest`, `total` and
        `completed` (`"total" in progress` tells which).

        Raises:
            OllamaModelNotFoundError: The registry has no such model.
            OllamaConnectionError: Ollama is not running or not reachable.
            OllamaServiceError: Any other failure.
        """
        name = self._model(model)
        progress = await self.client.pull(name, stream=True)
        async with progress:
            try:
                async for item in progress:
                    yield item
            except OllamaStreamError as exc:
                if _PULL_NOT_FOUND in exc.error:
                    raise OllamaModelNotFoundError(
                        exc.error, 404, model=name, attempts=exc.attempts
                    ) from exc
                raise

    async def health_check(self) -> bool:
        """True when Ollama answers; False otherwise. Never raises.

        One attempt, without retries: a probe reports the state now, and a server that is down
        answers False at once instead of after the retry backoff.
        """
        try:
            return await self.client.with_options(max_retries=0).health()
        except OllamaServiceError:
            return False
        except Exception:
            return False

    # --- Lifecycle ------------------------------------------------------------------------

    async def close(self) -> None:
        """Close the connection pool (unless the client was passed in)."""
        if self._owns_client:
            await self.client.close()

    async def __aenter__(self: _S) -> _S:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} base_url={redact_url(self.client.base_url)!r} "
            f"default_model={self.default_model!r}>"
        )
