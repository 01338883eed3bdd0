"""Code written for the official `ollama` library runs on our client: same calls, same wire.

Every test talks to a real `FakeOllamaServer` and asserts the JSON that reached it and what
came back: the official library's extra arguments (image generation, web search and fetch),
its objects (`ollama.Message`, `ollama.Tool`, `ollama.Options`, `ollama.Image`), its httpx
keyword arguments, and the leniency it has where ours used to refuse (unknown options and
think levels are sent, with a warning).
"""

# These tests pass, on purpose, what the runtime accepts but the static types do not
# describe (the official library's objects, nested dicts, None for options, unknown keys).
# pyright: reportArgumentType=false, reportCallIssue=false

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import ollama
import pytest

from ollama_service import (
    AsyncClient,
    ChatResponse,
    GenerateResponse,
    OllamaRequestError,
    OllamaResponseError,
    WebFetchResponse,
    WebSearchResponse,
)
from ollama_service.testing import FakeOllamaServer

pytestmark = pytest.mark.anyio

ENV_VARS = ("OLLAMA_API_KEY", "OLLAMA_HOST", "OLLAMA_BASE_URL", "OLLAMA_WEB_BASE_URL")
MESSAGES = [{"role": "user", "content": "Why is the sky blue?"}]
IMAGE_BYTES = b"\x89PNG\r\n\x1a\nfake image bytes"
IMAGE_B64 = base64.b64encode(IMAGE_BYTES).decode()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[FakeOllamaServer]:
    with FakeOllamaServer() as fake:
        yield fake


@pytest.fixture
async def client(server: FakeOllamaServer) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(
        server.base_url, web_base_url=server.base_url, api_key="test-key", max_retries=0
    ) as c:
        yield c


def sent(server: FakeOllamaServer, path: str) -> dict[str, Any]:
    """The JSON body of the last request to `path`."""
    bodies = [r.json for r in server.requests if r.path == path]
    assert bodies, f"nothing was sent to {path}"
    body = bodies[-1]
    assert isinstance(body, dict)
    return body


# --- web_search / web_fetch -----------------------------------------------------------------


async def test_web_search_sends_what_the_official_client_sends(
    server: FakeOllamaServer, client: AsyncClient
) -> None:
    reply = await client.web_search("what is ollama?")
    request = [r for r in server.requests if r.path == "/api/web_search"][-1]
    assert request.method == "POST"
    assert request.json == {"query": "what is ollama?", "max_results": 3}
    assert request.headers["authorization"] == "Bearer test-key"
    assert type(reply) is WebSearchResponse
    assert [r.title for r in reply.results] == [
        f"Result {i} for what is ollama?" for i in (1, 2, 3)
    ]
    assert reply["results"][0]["url"] == "https://example.com/search/1"


async def test_web_search_max_results(server: FakeOllamaServer, client: AsyncClient) -> None:
    reply = await client.web_search("ollama", max_results=1)
    assert sent(server, "/api/web_search") == {"query": "ollama", "max_results": 1}
    assert len(reply.results) == 1


async def test_web_fetch(server: FakeOllamaServer, client: AsyncClient) -> None:
    page = await client.web_fetch("https://ollama.com")
    assert sent(server, "/api/web_fetch") == {"url": "https://ollama.com"}
    assert type(page) is WebFetchResponse
    assert page.title == "Page at https://ollama.com"
    assert page.links == ["https://ollama.com/about", "https://ollama.com/contact"]


@pytest.mark.parametrize("method", ["web_search", "web_fetch"])
async def test_web_calls_without_a_key_send_nothing(server: FakeOllamaServer, method: str) -> None:
    async with AsyncClient(server.base_url, web_base_url=server.base_url) as keyless:
        with pytest.raises(
            OllamaRequestError, match=f"{method} needs an ollama.com API key"
        ) as info:
            await getattr(keyless, method)("x")
    official = f"Authorization header with Bearer token is required for {method.replace('_', ' ')}"
    assert str(info.value).startswith(official)
    assert server.requests == []


async def test_web_key_from_the_environment(
    server: FakeOllamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_API_KEY", "env-key")
    monkeypatch.setenv("OLLAMA_WEB_BASE_URL", server.base_url)
    async with AsyncClient(server.base_url) as env_client:
        await env_client.web_fetch("https://example.com")
    assert server.requests[-1].headers["authorization"] == "Bearer env-key"


async def test_web_search_rejected_key_is_a_response_error(server: FakeOllamaServer) -> None:
    """A key the service refuses comes back as its 401 (the fake checks only the scheme)."""
    async with AsyncClient(
        server.base_url, web_base_url=server.base_url, headers={"Authorization": "Token x"}
    ) as wrong_scheme:
        with pytest.raises(OllamaRequestError):
            await wrong_scheme.web_search("x")
    http = httpx.AsyncClient(headers={"Authorization": "Bearer bad"})
    async with (
        http,
        AsyncClient(server.base_url, web_base_url=server.base_url, http_client=http) as c,
    ):
        reply = await c.web_search("x", max_results=2)
    assert len(reply.results) == 2


@pytest.mark.parametrize(("method", "arg"), [("web_search", "  "), ("web_fetch", "")])
async def test_web_calls_need_text(
    server: FakeOllamaServer, client: AsyncClient, method: str, arg: str
) -> None:
    with pytest.raises(OllamaRequestError, match="must be a non-empty string"):
        await getattr(client, method)(arg)
    assert server.requests == []


async def test_web_error_status_is_typed(server: FakeOllamaServer, client: AsyncClient) -> None:
    server.faults.fail_next(1, 401, b'{"error": "unauthorized"}')
    with pytest.raises(OllamaResponseError) as info:
        await client.web_search("x")
    assert info.value.status_code == 401
    assert info.value.error == "unauthorized"


# --- Image generation (experimental) ---------------------------------------------------------


async def test_image_generation_arguments_are_sent(
    server: FakeOllamaServer, client: AsyncClient
) -> None:
    await client.generate("llama3.2", "a cat", width=512, height=256, steps=20)
    body = sent(server, "/api/generate")
    assert (body["width"], body["height"], body["steps"]) == (512, 256, 20)


async def test_image_generation_arguments_left_out_when_not_given(
    server: FakeOllamaServer, client: AsyncClient
) -> None:
    await client.generate("llama3.2", "a cat")
    assert not {"width", "height", "steps"} & set(sent(server, "/api/generate"))


def test_image_generation_reply_fields_decode() -> None:
    reply = GenerateResponse.model_validate_json(
        b'{"model":"flux","created_at":"2026-01-01T00:00:00Z","done":false,"completed":3,"total":20}'
    )
    assert (reply.completed, reply.total, reply.image) == (3, 20, None)
    final = GenerateResponse.model_validate_json(b'{"done":true,"image":"aGk="}')
    assert final.image == "aGk="


# --- Options and think: unknown values are sent ----------------------------------------------


async def test_unknown_option_is_sent_with_a_typo_warning(
    server: FakeOllamaServer, client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="ollama_service")
    await client.generate("llama3.2", "hi", options={"temprature": 0.5, "top_k": 3})
    assert sent(server, "/api/generate")["options"] == {"top_k": 3, "temprature": 0.5}
    assert "unknown option 'temprature'; did you mean 'temperature'?" in caplog.text


async def test_options_with_none_are_dropped(server: FakeOllamaServer, client: AsyncClient) -> None:
    """langchain-ollama passes every option it knows, most of them None."""
    options = {"mirostat": None, "mirostat_eta": None, "tfs_z": None, "temperature": 0.2}
    await client.chat("llama3.2", MESSAGES, options=options)
    assert sent(server, "/api/chat")["options"] == {"temperature": 0.2}


async def test_official_option_keys_are_sent(server: FakeOllamaServer, client: AsyncClient) -> None:
    await client.embed("nomic-embed-text", "x", options={"mirostat": 2, "numa": False})
    assert sent(server, "/api/embed")["options"] == {"numa": False, "mirostat": 2}


async def test_unknown_think_level_is_sent(
    server: FakeOllamaServer, client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="ollama_service")
    with pytest.raises(OllamaResponseError, match="invalid think value"):
        # Whether the level exists is the server's call (this one refuses it), not ours.
        await client.chat("qwen3", MESSAGES, think="extreme")  # pyright: ignore[reportArgumentType]
    assert sent(server, "/api/chat")["think"] == "extreme"
    assert "unknown think level 'extreme'" in caplog.text


# --- The official library's own objects ------------------------------------------------------


async def test_official_message_tool_options_and_image_objects(
    server: FakeOllamaServer, client: AsyncClient
) -> None:
    tool = ollama.Tool(
        type="function",
        function=ollama.Tool.Function(
            name="get_weather",
            description="Weather of a city",
            parameters=ollama.Tool.Function.Parameters(  # pyright: ignore[reportCallIssue]
                type="object",
                required=["city"],
                properties={
                    "city": ollama.Tool.Function.Parameters.Property(
                        type="string", description="The city"
                    )
                },
            ),
        ),
    )
    await client.chat(
        "llava",
        [
            ollama.Message(
                role="user", content="what is this?", images=[ollama.Image(value=IMAGE_BYTES)]
            )
        ],
    )
    body = sent(server, "/api/chat")
    assert body["messages"] == [{"role": "user", "content": "what is this?", "images": [IMAGE_B64]}]
    reply = await client.chat(
        "llama3.2",
        [ollama.Message(role="user", content="weather?")],
        tools=[tool],
        options=ollama.Options(temperature=0.0, mirostat=None),
    )
    body = sent(server, "/api/chat")
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather of a city",
                "parameters": {
                    "type": "object",
                    "required": ["city"],
                    "properties": {"city": {"type": "string", "description": "The city"}},
                },
            },
        }
    ]
    assert body["options"] == {"temperature": 0.0}
    assert type(reply) is ChatResponse


async def test_our_image_object_in_generate(server: FakeOllamaServer, client: AsyncClient) -> None:
    from ollama_service import Image

    await client.generate("llava", "what is this?", images=[Image(value=IMAGE_BYTES)])
    assert sent(server, "/api/generate")["images"] == [IMAGE_B64]


async def test_a_reply_message_goes_back_into_the_history(
    server: FakeOllamaServer, client: AsyncClient
) -> None:
    """`messages.append(response.message)`, as every official tool example does."""
    first = await client.chat("llama3.2", MESSAGES)
    history: list[Any] = [*MESSAGES, first.message, {"role": "user", "content": "And at night?"}]
    await client.chat("llama3.2", history)
    roles = [m["role"] for m in sent(server, "/api/chat")["messages"]]
    assert roles == ["user", "assistant", "user"]


# --- httpx keyword arguments, as the official client passes them ------------------------------


async def test_limits_keyword_is_passed_to_httpx(server: FakeOllamaServer) -> None:
    limits = httpx.Limits(max_connections=3, max_keepalive_connections=1)
    async with AsyncClient(server.base_url, limits=limits) as c:
        assert (await c.version()).version
        # The httpx pool (other back-ends map limits onto their own pools).
        pool: Any = getattr(getattr(c._http, "_transport", None), "_pool", None)
        if hasattr(pool, "_max_connections"):
            assert pool._max_connections == 3
            assert pool._max_keepalive_connections == 1


async def test_official_client_keywords_are_accepted(server: FakeOllamaServer) -> None:
    transport = httpx.AsyncHTTPTransport(retries=0)
    async with AsyncClient(
        host=server.base_url,
        timeout=30,
        headers={"X-Test": "1"},
        verify=False,
        follow_redirects=False,
        transport=transport,
        limits=httpx.Limits(max_connections=2),
    ) as c:
        await c.list()
    assert server.requests[-1].headers["x-test"] == "1"


async def test_proxy_keyword_is_passed_to_httpx() -> None:
    async with AsyncClient("http://127.0.0.1:9", proxy="http://127.0.0.1:9") as c:
        mounts = c._http._mounts  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
        assert mounts, "the proxy transport was not mounted"
