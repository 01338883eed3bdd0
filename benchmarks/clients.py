"""One adapter per client under test, all with the same interface per scenario.

Each adapter makes the call a user of that library would write, and nothing more:

- `generate_once()`: a non-streamed `generate`, reading the reply's text.
- `generate_stream(model)` / `chat_stream(model)`: the streamed reply as an iterable of items, which
  the benchmark iterates with the same bare loop for every client.
- `embed()`: 64 texts embedded in one call (the server answers 64 x 768 floats).
- `list_models()`: the installed models (the server answers 50).

Sync adapters have plain methods and async adapters have coroutines (and async iterables).
The floor is what a hand-written client would be: one bare `httpx.Client` / `httpx.AsyncClient`,
request bodies encoded and replies decoded by msgspec into plain structs defined here, stream
lines split by httpx's `iter_lines` / `aiter_lines`, and `raise_for_status()` as the only check.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec

from benchmarks.server import EMBED_INPUTS, MODEL_ONCE, MODEL_STREAM

__all__ = [
    "ASYNC_BACKENDS",
    "ASYNC_CLIENTS",
    "BACKEND",
    "SYNC_BACKENDS",
    "SYNC_CLIENTS",
    "AsyncAdapter",
    "SyncAdapter",
    "available",
    "make_adapter",
]

PROMPT = "Why is the sky blue? Answer in one paragraph."
MESSAGES = [
    {"role": "system", "content": "You are a concise assistant."},
    {"role": "user", "content": PROMPT},
]
EMBED_TEXTS = [
    f"Document {i}: the quick brown fox jumps over the lazy dog." for i in range(EMBED_INPUTS)
]
EMBED_MODEL = "bench-embed"
# Async clients get a pool as large as the concurrency scenario, so no client waits on its pool.
ASYNC_POOL = 64


# A scenario that queues many requests on a small pool waits for the pool by design: the time
# limit for that wait is raised (every client alike), so the pool wait is never what fails.
POOL_WAIT = httpx.Timeout(60.0, pool=300.0)


def _pool_wait(pool: int | None) -> dict[str, Any]:
    return {} if pool is None else {"timeout": POOL_WAIT}


# --- The floor's own structs (what a hand-written client would declare) ---------------------


class FloorGenerate(msgspec.Struct):
    model: str
    created_at: str
    response: str
    done: bool
    done_reason: str | None = None
    context: list[int] | None = None
    total_duration: int | None = None
    load_duration: int | None = None
    prompt_eval_count: int | None = None
    prompt_eval_duration: int | None = None
    eval_count: int | None = None
    eval_duration: int | None = None


class FloorMessage(msgspec.Struct):
    role: str
    content: str


class FloorChat(msgspec.Struct):
    model: str
    created_at: str
    message: FloorMessage
    done: bool
    done_reason: str | None = None
    total_duration: int | None = None
    load_duration: int | None = None
    prompt_eval_count: int | None = None
    prompt_eval_duration: int | None = None
    eval_count: int | None = None
    eval_duration: int | None = None


class FloorEmbed(msgspec.Struct):
    model: str
    embeddings: list[list[float]]
    total_duration: int | None = None
    load_duration: int | None = None
    prompt_eval_count: int | None = None


class FloorDetails(msgspec.Struct):
    parent_model: str
    format: str
    family: str
    families: list[str] | None
    parameter_size: str
    quantization_level: str


class FloorModel(msgspec.Struct):
    name: str
    model: str
    modified_at: str
    size: int
    digest: str
    details: FloorDetails
    capabilities: list[str] | None = None


class FloorList(msgspec.Struct):
    models: list[FloorModel]


_GENERATE = msgspec.json.Decoder(FloorGenerate)
_CHAT = msgspec.json.Decoder(FloorChat)
_EMBED = msgspec.json.Decoder(FloorEmbed)
_LIST = msgspec.json.Decoder(FloorList)
_encode = msgspec.json.encode
_HEADERS = {"content-type": "application/json", "accept": "application/json"}


def _generate_body(model: str, stream: bool) -> bytes:
    return _encode({"model": model, "prompt": PROMPT, "stream": stream})


def _chat_body(model: str) -> bytes:
    return _encode({"model": model, "messages": MESSAGES, "stream": True})


# --- Sync adapters -------------------------------------------------------------------------


class SyncAdapter:
    """A sync client under test."""

    name = ""
    library = ""

    def generate_once(self) -> str:
        raise NotImplementedError

    def generate_stream(self, model: str = MODEL_STREAM) -> Iterable[object]:
        raise NotImplementedError

    def chat_stream(self, model: str = MODEL_STREAM) -> Iterable[object]:
        raise NotImplementedError

    def embed(self) -> int:
        raise NotImplementedError

    def list_models(self) -> int:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class SdkClient(SyncAdapter):
    name = "ollama_service.Client"
    library = "ollama_service"

    def __init__(self, url: str, backend: str, pool: int | None = None) -> None:
        from ollama_service import Client

        self.client = Client(url, backend=backend)  # type: ignore[arg-type]

    def generate_once(self) -> str:
        return self.client.generate(MODEL_ONCE, PROMPT).response

    def generate_stream(self, model: str = MODEL_STREAM) -> Iterable[object]:
        return self.client.generate(model, PROMPT, stream=True)

    def chat_stream(self, model: str = MODEL_STREAM) -> Iterable[object]:
        return self.client.chat(model, MESSAGES, stream=True)

    def embed(self) -> int:
        return len(self.client.embed(EMBED_MODEL, EMBED_TEXTS).embeddings)

    def list_models(self) -> int:
        return len(self.client.list().models)

    def close(self) -> None:
        self.client.close()


def _sync_service_class() -> Any:
    try:
        from ollama_service import SyncOllamaService  # type: ignore[attr-defined]
    except ImportError:
        from ollama_service._sync.service import SyncOllamaService
    return SyncOllamaService


def _async_service_class() -> Any:
    try:
        from ollama_service import OllamaService  # type: ignore[attr-defined]
    except ImportError:
        from ollama_service._async.service import OllamaService
    return OllamaService


class SdkSyncService(SyncAdapter):
    name = "ollama_service.SyncOllamaService"
    library = "ollama_service"

    def __init__(self, url: str, backend: str, pool: int | None = None) -> None:
        self.service = _sync_service_class()(
            base_url=url, default_model=MODEL_ONCE, backend=backend
        )

    def generate_once(self) -> str:
        text: str = self.service.generate(MODEL_ONCE, PROMPT)
        return text

    def generate_stream(self, model: str = MODEL_STREAM) -> Iterable[object]:
        stream: Iterable[object] = self.service.generate(model, PROMPT, stream=True)
        return stream

    def chat_stream(self, model: str = MODEL_STREAM) -> Iterable[object]:
        stream: Iterable[object] = self.service.chat(model, MESSAGES, stream=True)
        return stream

    def embed(self) -> int:
        return len(self.service.embed(EMBED_MODEL, EMBED_TEXTS))

    def list_models(self) -> int:
        return len(self.service.list_models())

    def close(self) -> None:
        self.service.close()


class OfficialClient(SyncAdapter):
    name = "ollama.Client"
    library = "ollama"

    def __init__(self, url: str, pool: int | None = None) -> None:
        import ollama

        self.client = ollama.Client(host=url)

    def generate_once(self) -> str:
        return self.client.generate(MODEL_ONCE, PROMPT).response

    def generate_stream(self, model: str = MODEL_STREAM) -> Iterable[object]:
        return self.client.generate(model, PROMPT, stream=True)

    def chat_stream(self, model: str = MODEL_STREAM) -> Iterable[object]:
        return self.client.chat(model, MESSAGES, stream=True)

    def embed(self) -> int:
        return len(self.client.embed(EMBED_MODEL, EMBED_TEXTS).embeddings)

    def list_models(self) -> int:
        return len(self.client.list().models)

    def close(self) -> None:
        self.client.close()


class FloorClient(SyncAdapter):
    name = "floor (httpx + msgspec)"
    library = "floor"

    def __init__(self, url: str, pool: int | None = None) -> None:
        self.http = httpx.Client(base_url=url, headers=_HEADERS)

    def _lines(self, path: str, body: bytes, decoder: msgspec.json.Decoder[Any]) -> Iterator[Any]:
        with self.http.stream("POST", path, content=body) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if line:
                    yield decoder.decode(line)

    def generate_once(self) -> str:
        response = self.http.post("/api/generate", content=_generate_body(MODEL_ONCE, False))
        response.raise_for_status()
        return _GENERATE.decode(response.content).response

    def generate_stream(self, model: str = MODEL_STREAM) -> Iterable[object]:
        return self._lines("/api/generate", _generate_body(model, True), _GENERATE)

    def chat_stream(self, model: str = MODEL_STREAM) -> Iterable[object]:
        return self._lines("/api/chat", _chat_body(model), _CHAT)

    def embed(self) -> int:
        body = _encode({"model": EMBED_MODEL, "input": EMBED_TEXTS})
        response = self.http.post("/api/embed", content=body)
        response.raise_for_status()
        return len(_EMBED.decode(response.content).embeddings)

    def list_models(self) -> int:
        response = self.http.get("/api/tags")
        response.raise_for_status()
        return len(_LIST.decode(response.content).models)

    def close(self) -> None:
        self.http.close()


# --- Async adapters ------------------------------------------------------------------------


class AsyncAdapter:
    """An async client under test."""

    name = ""
    library = ""

    async def generate_once(self) -> str:
        raise NotImplementedError

    async def generate_stream(self, model: str = MODEL_STREAM) -> AsyncIterable[object]:
        raise NotImplementedError

    async def chat_stream(self, model: str = MODEL_STREAM) -> AsyncIterable[object]:
        raise NotImplementedError

    async def embed(self) -> int:
        raise NotImplementedError

    async def list_models(self) -> int:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class SdkAsyncClient(AsyncAdapter):
    name = "ollama_service.AsyncClient"
    library = "ollama_service"

    def __init__(self, url: str, backend: str, pool: int | None = None) -> None:
        from ollama_service import AsyncClient

        self.client = AsyncClient(
            url,
            max_connections=pool or ASYNC_POOL,
            backend=backend,  # type: ignore[arg-type]
            **_pool_wait(pool),
        )

    async def generate_once(self) -> str:
        return (await self.client.generate(MODEL_ONCE, PROMPT)).response

    async def generate_stream(self, model: str = MODEL_STREAM) -> AsyncIterable[object]:
        return await self.client.generate(model, PROMPT, stream=True)

    async def chat_stream(self, model: str = MODEL_STREAM) -> AsyncIterable[object]:
        return await self.client.chat(model, MESSAGES, stream=True)

    async def embed(self) -> int:
        return len((await self.client.embed(EMBED_MODEL, EMBED_TEXTS)).embeddings)

    async def list_models(self) -> int:
        return len((await self.client.list()).models)

    async def close(self) -> None:
        await self.client.close()


class SdkService(AsyncAdapter):
    name = "ollama_service.OllamaService"
    library = "ollama_service"

    def __init__(self, url: str, backend: str, pool: int | None = None) -> None:
        self.service = _async_service_class()(
            base_url=url,
            default_model=MODEL_ONCE,
            max_connections=pool or ASYNC_POOL,
            backend=backend,
            **_pool_wait(pool),
        )

    async def generate_once(self) -> str:
        text: str = await self.service.generate(MODEL_ONCE, PROMPT)
        return text

    async def generate_stream(self, model: str = MODEL_STREAM) -> AsyncIterable[object]:
        stream: AsyncIterable[object] = await self.service.generate(model, PROMPT, stream=True)
        return stream

    async def chat_stream(self, model: str = MODEL_STREAM) -> AsyncIterable[object]:
        stream: AsyncIterable[object] = await self.service.chat(model, MESSAGES, stream=True)
        return stream

    async def embed(self) -> int:
        return len(await self.service.embed(EMBED_MODEL, EMBED_TEXTS))

    async def list_models(self) -> int:
        return len(await self.service.list_models())

    async def close(self) -> None:
        await self.service.close()


class OfficialAsyncClient(AsyncAdapter):
    name = "ollama.AsyncClient"
    library = "ollama"

    def __init__(self, url: str, pool: int | None = None) -> None:
        import ollama

        size = pool or ASYNC_POOL
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        self.client = ollama.AsyncClient(host=url, limits=limits, **_pool_wait(pool))

    async def generate_once(self) -> str:
        return (await self.client.generate(MODEL_ONCE, PROMPT)).response

    async def generate_stream(self, model: str = MODEL_STREAM) -> AsyncIterable[object]:
        return await self.client.generate(model, PROMPT, stream=True)

    async def chat_stream(self, model: str = MODEL_STREAM) -> AsyncIterable[object]:
        return await self.client.chat(model, MESSAGES, stream=True)

    async def embed(self) -> int:
        return len((await self.client.embed(EMBED_MODEL, EMBED_TEXTS)).embeddings)

    async def list_models(self) -> int:
        return len((await self.client.list()).models)

    async def close(self) -> None:
        await self.client.close()


class FloorAsyncClient(AsyncAdapter):
    name = "floor async (httpx + msgspec)"
    library = "floor"

    def __init__(self, url: str, pool: int | None = None) -> None:
        size = pool or ASYNC_POOL
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        self.http = httpx.AsyncClient(
            base_url=url, headers=_HEADERS, limits=limits, **_pool_wait(pool)
        )

    async def _lines(
        self, path: str, body: bytes, decoder: msgspec.json.Decoder[Any]
    ) -> AsyncIterator[Any]:
        async with self.http.stream("POST", path, content=body) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if line:
                    yield decoder.decode(line)

    async def generate_once(self) -> str:
        response = await self.http.post("/api/generate", content=_generate_body(MODEL_ONCE, False))
        response.raise_for_status()
        return _GENERATE.decode(response.content).response

    async def generate_stream(self, model: str = MODEL_STREAM) -> AsyncIterable[object]:
        return self._lines("/api/generate", _generate_body(model, True), _GENERATE)

    async def chat_stream(self, model: str = MODEL_STREAM) -> AsyncIterable[object]:
        return self._lines("/api/chat", _chat_body(model), _CHAT)

    async def embed(self) -> int:
        body = _encode({"model": EMBED_MODEL, "input": EMBED_TEXTS})
        response = await self.http.post("/api/embed", content=body)
        response.raise_for_status()
        return len(_EMBED.decode(response.content).embeddings)

    async def list_models(self) -> int:
        response = await self.http.get("/api/tags")
        response.raise_for_status()
        return len(_LIST.decode(response.content).models)

    async def close(self) -> None:
        await self.http.aclose()


# --- Registry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One client under test: how to build it, its display name, library and back-end."""

    factory: Callable[..., SyncAdapter | AsyncAdapter]
    name: str
    library: str
    backend: str | None = None

    def build(self, url: str, pool: int | None = None) -> SyncAdapter | AsyncAdapter:
        if self.backend is None:
            return self.factory(url, pool=pool)
        return self.factory(url, self.backend, pool=pool)


def _sdk(prefix: str, cls: type, backends: tuple[str, ...]) -> dict[str, Entry]:
    return {
        f"{prefix}@{backend}": Entry(cls, f"{cls.name} [{backend}]", cls.library, backend)  # type: ignore[attr-defined]
        for backend in backends
    }


def _plain_entry(cls: type) -> Entry:
    return Entry(cls, cls.name, cls.library)  # type: ignore[attr-defined]


# Every back-end of each kind; the official library and the floor run on httpx's transport.
SYNC_BACKENDS = ("urllib3", "httpx")
ASYNC_BACKENDS = ("aiohttp", "httpx")
SYNC_CLIENTS: dict[str, Entry] = {
    **_sdk("sdk-client", SdkClient, SYNC_BACKENDS),
    **_sdk("sdk-sync-service", SdkSyncService, SYNC_BACKENDS),
    "official-client": _plain_entry(OfficialClient),
    "floor-sync": _plain_entry(FloorClient),
}
ASYNC_CLIENTS: dict[str, Entry] = {
    **_sdk("sdk-async-client", SdkAsyncClient, ASYNC_BACKENDS),
    **_sdk("sdk-service", SdkService, ASYNC_BACKENDS),
    "official-async-client": _plain_entry(OfficialAsyncClient),
    "floor-async": _plain_entry(FloorAsyncClient),
}
ENTRIES = {**SYNC_CLIENTS, **ASYNC_CLIENTS}
LIBRARY = {key: entry.library for key, entry in ENTRIES.items()}
NAMES = {key: entry.name for key, entry in ENTRIES.items()}
BACKEND = {key: entry.backend for key, entry in ENTRIES.items()}


def available(key: str) -> bool:
    """Whether the library behind a client is installed (the official one, aiohttp optional)."""
    needed = {"ollama": "ollama"}.get(LIBRARY[key]) or (
        "aiohttp" if BACKEND[key] == "aiohttp" else None
    )
    if needed is None:
        return True
    try:
        __import__(needed)
    except ImportError:
        return False
    return True


def make_adapter(key: str, url: str, pool: int | None = None) -> SyncAdapter | AsyncAdapter:
    """Build the adapter named `key` for the server at `url` (`pool`: a small pool instead)."""
    return ENTRIES[key].build(url, pool)
