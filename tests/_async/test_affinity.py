"""The affinity header on the wire: which requests carry it, with what value, and how to turn
it off, rename it or pin it, on the client and the service alike.

Against a real `FakeOllamaServer`, so the header is read from the bytes the server received.
`tests/_sync/test_affinity.py` is generated from this file.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from ollama_service import AsyncClient, OllamaRequestError, OllamaResponseError, OllamaService
from ollama_service._settings import get_settings, load_settings
from ollama_service._twins import AsyncHTTPClient
from ollama_service.testing import FakeOllamaServer

pytestmark = pytest.mark.anyio

HEADER = "x-ollama-model"
BLOB = b"GGUF affinity test weights"
DIGEST = "sha256:" + hashlib.sha256(BLOB).hexdigest()


@pytest.fixture
def server() -> Iterator[FakeOllamaServer]:
    with FakeOllamaServer() as fake:
        yield fake


@pytest.fixture
async def client(server: FakeOllamaServer) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(server.base_url, max_retries=0) as c:
        yield c


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("OLLAMA_AFFINITY", "OLLAMA_AFFINITY_HEADER", "OLLAMA_HOST", "OLLAMA_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def sent(server: FakeOllamaServer, name: str = HEADER) -> list[tuple[str, str, str | None]]:
    """(method, path, header value) of every request the server received, oldest first."""
    return [(r.method, r.path, r.headers.get(name)) for r in server.requests]


async def test_every_endpoint_carries_its_model_or_digest(
    server: FakeOllamaServer, client: AsyncClient
) -> None:
    await client.generate("llama3.2", "hi")
    async with await client.generate("Llama3.2:latest", "hi", stream=True) as stream:
        async for _ in stream:
            pass
    await client.chat("qwen3", [{"role": "user", "content": "hi"}])
    await client.embed("nomic-embed-text", "hi")
    await client.embeddings("nomic-embed-text", "hi")
    await client.show("llama3.2")
    await client.pull("tinyllama")
    await client.copy("llama3.2", "mine")
    await client.delete("mine")
    await client.list()
    await client.ps()
    await client.version()
    await client.health()
    assert sent(server) == [
        ("POST", "/api/generate", "llama3.2:latest"),
        ("POST", "/api/generate", "llama3.2:latest"),
        ("POST", "/api/chat", "qwen3:latest"),
        ("POST", "/api/embed", "nomic-embed-text:latest"),
        ("POST", "/api/embeddings", "nomic-embed-text:latest"),
        ("POST", "/api/show", "llama3.2:latest"),
        ("POST", "/api/pull", "tinyllama:latest"),
        ("POST", "/api/copy", "llama3.2:latest"),
        ("DELETE", "/api/delete", "mine:latest"),
        ("GET", "/api/tags", None),
        ("GET", "/api/ps", None),
        ("GET", "/api/version", None),
        ("GET", "/", None),
    ]


async def test_blob_requests_and_their_create_carry_the_digest(
    server: FakeOllamaServer, client: AsyncClient
) -> None:
    assert await client.blob_exists(DIGEST) is False
    assert await client.create_blob(BLOB) == DIGEST
    await client.create("from-blob", files={"model.gguf": DIGEST})
    await client.create("from-base", from_="llama3.2")
    assert sent(server) == [
        ("HEAD", f"/api/blobs/{DIGEST}", DIGEST),
        ("HEAD", f"/api/blobs/{DIGEST}", DIGEST),
        ("POST", f"/api/blobs/{DIGEST}", DIGEST),
        ("POST", "/api/create", DIGEST),
        ("POST", "/api/create", "from-base:latest"),
    ]


async def test_a_name_that_is_not_ascii_is_percent_encoded(
    server: FakeOllamaServer, client: AsyncClient
) -> None:
    # Ollama refuses such a name, but the request must still be well-formed HTTP.
    with pytest.raises(OllamaResponseError):
        await client.generate("café", "hi")
    assert sent(server) == [("POST", "/api/generate", "caf%C3%A9:latest")]
    assert server.requests[0].json is not None
    assert server.requests[0].json["model"] == "café"  # the body keeps the name as given


async def test_off_with_none(server: FakeOllamaServer) -> None:
    async with AsyncClient(server.base_url, affinity_header=None) as client:
        await client.generate("llama3.2", "hi")
        await client.blob_exists(DIGEST)
    assert [value for _, _, value in sent(server)] == [None, None]
    assert all(not k.startswith("x-") for r in server.requests for k in r.headers)


async def test_another_header_name(server: FakeOllamaServer) -> None:
    async with AsyncClient(server.base_url, affinity_header="X-Route") as client:
        await client.generate("llama3.2", "hi")
    assert sent(server, "x-route") == [("POST", "/api/generate", "llama3.2:latest")]
    assert sent(server) == [("POST", "/api/generate", None)]


async def test_a_bad_header_name_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(OllamaRequestError, match="'X Model' is not a valid HTTP header name"):
        AsyncClient("http://127.0.0.1:9", affinity_header="X Model")
    with pytest.raises(OllamaRequestError, match="'Authorization' is a header HTTP"):
        AsyncClient("http://127.0.0.1:9", affinity_header="Authorization")


async def test_the_callers_own_header_wins(server: FakeOllamaServer) -> None:
    async with AsyncClient(server.base_url, headers={"x-ollama-model": "pinned"}) as client:
        await client.generate("llama3.2", "hi")
        await client.list()
    assert [value for _, _, value in sent(server)] == ["pinned", "pinned"]


async def test_through_a_foreign_http_client(server: FakeOllamaServer) -> None:
    async with AsyncHTTPClient() as http:
        client = AsyncClient(server.base_url, http_client=http)
        await client.generate("llama3.2", "hi")
    assert sent(server) == [("POST", "/api/generate", "llama3.2:latest")]
    async with AsyncHTTPClient(headers={"X-Ollama-Model": "theirs"}) as http:
        client = AsyncClient(server.base_url, http_client=http)
        await client.generate("qwen3", "hi")
    assert sent(server)[-1] == ("POST", "/api/generate", "theirs")


async def test_with_options_pins_one_key_for_every_request(
    server: FakeOllamaServer, client: AsyncClient
) -> None:
    pinned = client.with_options(affinity_key="My-Model")
    await pinned.blob_exists(DIGEST)
    await pinned.create_blob(BLOB)
    await pinned.create("my-model", files={"model.gguf": DIGEST})
    await pinned.list()
    unpinned = pinned.with_options(affinity_key=None)
    await unpinned.generate("llama3.2", "hi")
    await client.generate("qwen3", "hi")  # the original is untouched
    assert [value for _, _, value in sent(server)] == [
        "my-model:latest",
        "my-model:latest",
        "my-model:latest",
        "my-model:latest",
        "my-model:latest",
        "llama3.2:latest",
        "qwen3:latest",
    ]


async def test_with_options_rejects_a_bad_key(client: AsyncClient) -> None:
    with pytest.raises(OllamaRequestError, match="affinity_key must not be empty"):
        client.with_options(affinity_key=" ")
    async with AsyncClient("http://127.0.0.1:9", affinity_header=None) as off:
        with pytest.raises(OllamaRequestError, match="affinity header, which is off"):
            off.with_options(affinity_key="llama3.2")


async def test_service_on_by_default_and_off_with_one_argument(server: FakeOllamaServer) -> None:
    async with OllamaService(server.base_url, max_retries=0) as service:
        await service.generate("llama3.2", "hi")
    async with OllamaService(server.base_url, max_retries=0, affinity=False) as service:
        await service.generate("llama3.2", "hi")
    async with OllamaService(server.base_url, max_retries=0, affinity_header="X-Route") as service:
        await service.generate("llama3.2", "hi")
    assert [r.headers.get(HEADER) for r in server.requests] == ["llama3.2:latest", None, None]
    assert server.requests[2].headers.get("x-route") == "llama3.2:latest"


@pytest.mark.parametrize(
    ("env", "header", "value"),
    [
        ({}, HEADER, "llama3.2:latest"),
        ({"OLLAMA_AFFINITY": "false"}, HEADER, None),
        ({"OLLAMA_AFFINITY": "0"}, HEADER, None),
        ({"OLLAMA_AFFINITY_HEADER": "X-Backend-Key"}, "x-backend-key", "llama3.2:latest"),
        ({"OLLAMA_AFFINITY_HEADER": ""}, HEADER, "llama3.2:latest"),
    ],
)
async def test_service_from_the_environment(
    server: FakeOllamaServer,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    header: str,
    value: str | None,
) -> None:
    for name, text in env.items():
        monkeypatch.setenv(name, text)
    async with OllamaService(server.base_url, max_retries=0) as service:
        await service.generate("llama3.2", "hi")
    assert server.requests[0].headers.get(header) == value


async def test_a_bad_header_in_the_environment_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_AFFINITY_HEADER", "Bad Header")
    with pytest.raises(OllamaRequestError, match="OLLAMA_AFFINITY_HEADER='Bad Header'"):
        load_settings()


async def test_the_header_is_never_retried_differently(server: FakeOllamaServer) -> None:
    server.faults.busy(1)
    async with AsyncClient(server.base_url, retry_min_backoff=0, retry_max_backoff=0) as client:
        await client.generate("llama3.2", "hi")
    assert sent(server) == [("POST", "/api/generate", "llama3.2:latest")] * 2


async def test_httpx_sees_one_header_per_request(server: FakeOllamaServer) -> None:
    seen: list[list[str]] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.headers.get_list("x-ollama-model"))

    async with AsyncClient(server.base_url, event_hooks={"request": [hook]}) as client:
        await client.generate("llama3.2", "hi")
        await client.generate("qwen3", "hi")
    assert seen == [["llama3.2:latest"], ["qwen3:latest"]]
