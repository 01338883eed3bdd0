"""`OllamaService` against `FakeOllamaServer`, over real sockets on 127.0.0.1.

Every method of the application-facing service: what it returns, the JSON the server received
(`server.requests`), how `**kwargs` split into request fields and `options`, streaming, the pull
progress snippet of the docs, the default model, the typed errors, retries, health checks that
never raise, and connection release on `close()` and by the context manager.

`tests/_sync/test_service.py` is generated from this file by `python -m codegen`, so the same
assertions hold for `SyncOllamaService`. No test sleeps: retries are driven with
`Retry-After: 0` or a client whose backoff is zero.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from ollama_service import (
    AsyncClient,
    Message,
    OllamaConnectionError,
    OllamaDecodeError,
    OllamaModelNotFoundError,
    OllamaRequestError,
    OllamaResponseError,
    OllamaServerBusyError,
    OllamaService,
    OllamaServiceError,
    OllamaStreamError,
    Options,
    ShowResponse,
    get_settings,
)
from ollama_service.testing import FakeModel, FakeOllamaServer

pytestmark = pytest.mark.anyio

PROMPT = "Why is the sky blue?"
USER = [{"role": "user", "content": PROMPT}]
SECRET = "sk-test-0123456789abcdef"
IMAGE = base64.b64encode(b"\x89PNG\r\n\x1a\nfake image bytes").decode()

# One value of the right type for every runtime option; a new field of `Options` must be
# added here (test_sample_options_cover_every_option_field checks it).
SAMPLE_OPTIONS: dict[str, Any] = {
    "num_ctx": 4096,
    "num_batch": 256,
    "num_gpu": 1,
    "main_gpu": 0,
    "use_mmap": True,
    "num_thread": 4,
    "draft_num_predict": 2,
    "num_keep": 5,
    "seed": 42,
    "num_predict": 64,
    "top_k": 40,
    "top_p": 0.5,
    "min_p": 0.25,
    "typical_p": 0.75,
    "repeat_last_n": 64,
    "temperature": 0.5,
    "repeat_penalty": 1.5,
    "presence_penalty": 0.25,
    "frequency_penalty": 0.125,
    "stop": ["\n\n", "User:"],
    # Keys of the official library's Options that current servers ignore.
    "numa": False,
    "low_vram": True,
    "f16_kv": True,
    "logits_all": False,
    "vocab_only": False,
    "use_mlock": True,
    "embedding_only": False,
    "tfs_z": 0.5,
    "mirostat": 2,
    "mirostat_tau": 5.0,
    "mirostat_eta": 0.125,
    "penalize_newline": True,
}

# generate()'s request fields: (keyword, value, model that accepts it).
GENERATE_FIELDS: list[tuple[str, Any, str]] = [
    ("system", "Answer in one word.", "llama3.2"),
    ("format", "json", "llama3.2"),
    ("format", {"type": "object", "properties": {"a": {"type": "string"}}}, "llama3.2"),
    ("images", [IMAGE], "llava"),
    ("keep_alive", "5m", "llama3.2"),
    ("keep_alive", 0, "llama3.2"),
    ("think", True, "qwen3"),
    ("raw", True, "llama3.2"),
    ("suffix", "return result", "coder"),
    ("template", "{{ .Prompt }}", "llama3.2"),
    ("context", [1, 2, 3], "llama3.2"),
    ("logprobs", True, "llama3.2"),
    ("top_logprobs", 2, "llama3.2"),
    ("truncate", True, "llama3.2"),
    ("shift", False, "llama3.2"),
    # Accepted because the client's generated `generate` has them (not listed by hand).
    ("width", 512, "llama3.2"),
    ("height", 256, "llama3.2"),
    ("steps", 4, "llama3.2"),
]


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clean_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[None]:
    """No OLLAMA_* variable, no `.env` file in the working directory, no cached settings."""
    for name in list(os.environ):
        if name.startswith("OLLAMA_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def every_backend(clean_settings: None, http_backend: str) -> str:
    """Every test runs on each HTTP back-end: they talk to a real `FakeOllamaServer`."""
    return http_backend


@pytest.fixture
def server() -> Iterator[FakeOllamaServer]:
    with FakeOllamaServer() as fake:
        # A completion model that supports `suffix` (fill-in-the-middle).
        fake.add_model(FakeModel("coder", capabilities=("completion", "insert")))
        yield fake


@pytest.fixture
def closed_url() -> str:
    """The URL of a port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def junk_url() -> Iterator[str]:
    """A server that answers every connection with bytes that are not HTTP, then hangs up."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # the listener was shut down: stop
                return
            with conn:
                try:
                    conn.recv(65536)
                    conn.sendall(b"SSH-2.0-OpenSSH_9.6 this is not HTTP\r\n\r\n\x00\xff")
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    with contextlib.suppress(OSError):
        listener.shutdown(socket.SHUT_RDWR)
    listener.close()
    thread.join(5)


def make_service(server: FakeOllamaServer, **options: Any) -> OllamaService:
    """A service for `server` whose default model is llama3.2."""
    options.setdefault("default_model", "llama3.2")
    return OllamaService(server.base_url, **options)


def zero_backoff_client(url: str, **options: Any) -> AsyncClient:
    """A client whose retries do not wait (for faults without Retry-After)."""
    return AsyncClient(url, retry_min_backoff=0, retry_max_backoff=0, **options)


async def collect(stream: Any, into: list[str]) -> None:
    """Append every piece of `stream` to `into` (what arrived before an error stays there)."""
    async for piece in stream:
        into.append(piece)


def sent(server: FakeOllamaServer) -> dict[str, Any]:
    """The JSON body of the last request the server received."""
    body = server.requests[-1].json
    assert isinstance(body, dict)
    return body


def paths(server: FakeOllamaServer) -> list[str]:
    return [request.path for request in server.requests]


def pool_size(service: OllamaService) -> int:
    """The pool's connection limit, twice `max_connections`: our transports' `limits`, or
    httpcore internals on httpx's own (no public accessor)."""
    transport: Any = service.client._http._transport
    if hasattr(transport, "limits"):
        limit: int = transport.limits.max_connections
        return limit
    return transport._pool._max_connections  # type: ignore[no-any-return]


# --- construction and settings ----------------------------------------------------------------


async def test_every_argument_left_none_comes_from_the_settings(
    server: FakeOllamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_BASE_URL", server.base_url)
    monkeypatch.setenv("OLLAMA_DEFAULT_MODEL", "qwen3")
    monkeypatch.setenv("OLLAMA_TIMEOUT", "12.5")
    monkeypatch.setenv("OLLAMA_MAX_CONNECTIONS", "3")
    async with OllamaService() as service:
        assert service.client.base_url == server.base_url
        assert service.default_model == "qwen3"
        assert service.settings is get_settings()
        assert service.client._http.timeout.read == 12.5
        assert pool_size(service) == 2 * 3
        assert await service.generate(None, PROMPT) == server.reply_for(PROMPT)
    assert sent(server)["model"] == "qwen3"


async def test_explicit_arguments_win_over_the_settings(
    server: FakeOllamaServer, closed_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_BASE_URL", closed_url)
    monkeypatch.setenv("OLLAMA_TIMEOUT", "12.5")
    monkeypatch.setenv("OLLAMA_MAX_CONNECTIONS", "3")
    async with OllamaService(server.base_url, 7.0, 2, default_model="qwen3") as service:
        assert service.client.base_url == server.base_url
        assert service.client._http.timeout.read == 7.0
        assert pool_size(service) == 2 * 2
        assert await service.generate(None, PROMPT) == server.reply_for(PROMPT)
    assert sent(server)["model"] == "qwen3"


async def test_base_url_beats_host_and_host_is_the_fallback(
    server: FakeOllamaServer, closed_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_BASE_URL", server.base_url)
    monkeypatch.setenv("OLLAMA_HOST", closed_url)
    async with OllamaService() as service:
        assert service.client.base_url == server.base_url
    monkeypatch.delenv("OLLAMA_BASE_URL")
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{server.port}")  # no scheme, as the CLI has it
    get_settings.cache_clear()
    async with OllamaService() as service:
        assert service.client.base_url == server.base_url
        assert await service.health_check() is True


async def test_without_any_setting_the_service_targets_the_default_server() -> None:
    async with OllamaService() as service:
        assert service.client.base_url == "http://127.0.0.1:11434"
        assert service.default_model == "llama2"


async def test_extras_are_keyword_only(server: FakeOllamaServer) -> None:
    with pytest.raises(TypeError):
        OllamaService(server.base_url, 10.0, 2, "llama3.2")  # type: ignore[misc]


async def test_explicit_settings_object_is_used_instead_of_the_environment(
    server: FakeOllamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ollama_service import OllamaSettings

    monkeypatch.setenv("OLLAMA_DEFAULT_MODEL", "not-this-one")
    settings = OllamaSettings(base_url=server.base_url, default_model="qwen3")
    async with OllamaService(settings=settings) as service:
        assert service.settings is settings
        assert service.default_model == "qwen3"
        assert service.client.base_url == server.base_url


@pytest.mark.parametrize(
    ("options", "name"),
    [({"max_connections": 0}, "max_connections"), ({"timeout": -1.0}, "timeout")],
)
async def test_an_invalid_explicit_argument_is_an_error_naming_it(
    server: FakeOllamaServer, options: dict[str, Any], name: str
) -> None:
    # An explicit 0 is not "unset": it must not silently fall back to the settings.
    with pytest.raises(OllamaRequestError, match=name):
        OllamaService(server.base_url, **options)


async def test_api_key_and_headers_are_sent(server: FakeOllamaServer) -> None:
    async with make_service(server, api_key=SECRET, headers={"X-Trace": "abc"}) as service:
        await service.list_models()
    headers = server.requests[-1].headers
    assert headers["authorization"] == f"Bearer {SECRET}"
    assert headers["x-trace"] == "abc"


async def test_api_key_comes_from_the_settings(
    server: FakeOllamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_API_KEY", SECRET)
    async with make_service(server) as service:
        await service.list_models()
        assert SECRET not in repr(service)
        assert SECRET not in repr(service.settings)
        assert SECRET not in str(service.settings)
        assert SECRET not in repr(service.client)
    assert server.requests[-1].headers["authorization"] == f"Bearer {SECRET}"


async def test_api_key_never_reaches_the_logs(
    server: FakeOllamaServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ollama_service")
    server.faults.busy(1, retry_after="0")
    async with make_service(server, api_key=SECRET) as service:
        await service.generate(None, PROMPT)
        with pytest.raises(OllamaModelNotFoundError):
            await service.generate("missing-model", PROMPT)
    records = [r for r in caplog.records if r.name.startswith("ollama_service")]
    assert records  # the requests were logged, so the check below means something
    for record in records:
        assert SECRET not in record.getMessage()
        assert SECRET not in repr(vars(record))
    assert SECRET not in caplog.text


async def test_repr_names_url_and_default_model(server: FakeOllamaServer) -> None:
    async with make_service(server, api_key=SECRET) as service:
        text = repr(service)
    assert server.base_url in text
    assert "llama3.2" in text
    assert SECRET not in text


# --- generate ---------------------------------------------------------------------------------


async def test_generate_returns_the_text(server: FakeOllamaServer) -> None:
    async with make_service(server) as service:
        text = await service.generate("llama3.2", PROMPT)
    assert isinstance(text, str)
    assert text == server.reply_for(PROMPT)
    assert sent(server) == {"model": "llama3.2", "prompt": PROMPT, "stream": False}
    assert paths(server) == ["/api/generate"]


async def test_generate_stream_yields_text_pieces_that_join_to_the_text(
    server: FakeOllamaServer,
) -> None:
    async with make_service(server) as service:
        whole = await service.generate("llama3.2", PROMPT)
        stream = await service.generate("llama3.2", PROMPT, stream=True)
        pieces = [piece async for piece in stream]
    assert len(pieces) > 1
    assert all(isinstance(piece, str) and piece for piece in pieces)
    assert "".join(pieces) == whole
    assert server.requests[-1].json["stream"] is True


async def test_generate_stream_as_a_context_manager_releases_the_response(
    server: FakeOllamaServer,
) -> None:
    async with make_service(server) as service:
        async with await service.generate("llama3.2", PROMPT, stream=True) as stream:
            async for piece in stream:
                assert piece
                break
        # The connection is usable again at once.
        assert await service.generate("llama3.2", PROMPT) == server.reply_for(PROMPT)
    assert server.wait_for_idle()


async def test_generate_maps_every_option_name_into_options(server: FakeOllamaServer) -> None:
    async with make_service(server) as service:
        await service.generate("llama3.2", PROMPT, **SAMPLE_OPTIONS)
    body = sent(server)
    assert body["options"] == SAMPLE_OPTIONS
    assert set(body) == {"model", "prompt", "stream", "options"}


async def test_sample_options_cover_every_option_field() -> None:
    assert set(SAMPLE_OPTIONS) == set(Options.__struct_fields__)


@pytest.mark.parametrize("name", sorted(SAMPLE_OPTIONS))
async def test_generate_maps_each_option(server: FakeOllamaServer, name: str) -> None:
    async with make_service(server) as service:
        await service.generate(None, PROMPT, **{name: SAMPLE_OPTIONS[name]})
    body = sent(server)
    assert body["options"] == {name: SAMPLE_OPTIONS[name]}
    assert name not in body


@pytest.mark.parametrize(
    ("name", "value", "model"),
    GENERATE_FIELDS,
    ids=[f"{name}-{i}" for i, (name, _, _) in enumerate(GENERATE_FIELDS)],
)
async def test_generate_passes_request_fields_through(
    server: FakeOllamaServer, name: str, value: Any, model: str
) -> None:
    async with make_service(server) as service:
        text = await service.generate(model, PROMPT, **{name: value})
    assert isinstance(text, str)
    body = sent(server)
    assert body[name] == value
    assert "options" not in body


async def test_generate_mixes_fields_and_options(server: FakeOllamaServer) -> None:
    async with make_service(server) as service:
        await service.generate(
            None,
            PROMPT,
            system="Be brief.",
            keep_alive="10m",
            temperature=0.25,
            top_p=0.5,
            top_k=20,
            options={"seed": 7, "temperature": 1.0},
        )
    assert sent(server) == {
        "model": "llama3.2",
        "prompt": PROMPT,
        "system": "Be brief.",
        "keep_alive": "10m",
        "stream": False,
        # Named options are merged over the options dict.
        "options": {"seed": 7, "temperature": 0.25, "top_p": 0.5, "top_k": 20},
    }


async def test_generate_stream_sends_the_same_mapping(server: FakeOllamaServer) -> None:
    async with make_service(server) as service:
        stream = await service.generate(None, PROMPT, stream=True, temperature=0.5, system="s")
        async with stream:
            text = "".join([piece async for piece in stream])
    assert text == server.reply_for(PROMPT)
    body = sent(server)
    assert body["options"] == {"temperature": 0.5}
    assert body["system"] == "s"
    assert body["stream"] is True


@pytest.mark.parametrize("stream", [False, True])
async def test_generate_unknown_keyword_is_a_type_error_and_nothing_is_sent(
    server: FakeOllamaServer, stream: bool
) -> None:
    async with make_service(server) as service:
        with pytest.raises(
            TypeError, match=r"generate\(\) got an unexpected keyword argument 'colour'"
        ):
            await service.generate(None, PROMPT, stream=stream, colour="blue")
    assert server.requests == []


async def test_a_misspelt_keyword_suggests_the_right_name(server: FakeOllamaServer) -> None:
    async with make_service(server) as service:
        with pytest.raises(TypeError, match=r"'temprature'; did you mean 'temperature'\?"):
            await service.generate(None, PROMPT, temprature=0.5)
    assert server.requests == []


async def test_generate_with_model_none_uses_the_default_model_from_the_settings(
    server: FakeOllamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_DEFAULT_MODEL", "qwen3")
    async with OllamaService(server.base_url) as service:
        assert service.default_model == "qwen3"
        await service.generate(None, PROMPT)
        stream = await service.generate(None, PROMPT, stream=True)
        async with stream:
            assert [piece async for piece in stream]
        await service.chat(None, USER)
        await service.show_model(None)
    assert [request.json["model"] for request in server.requests] == ["qwen3"] * 4


async def test_an_empty_model_name_is_an_error_not_the_default(server: FakeOllamaServer) -> None:
    async with make_service(server) as service:
        with pytest.raises(OllamaRequestError, match="model"):
            await service.generate("", PROMPT)
        with pytest.raises(OllamaRequestError, match="model"):
            await service.chat("", USER)
    assert server.requests == []


async def test_the_built_in_default_model_is_llama2(server: FakeOllamaServer) -> None:
    async with (
        zero_backoff_client(server.base_url) as client,
        OllamaService(client=client) as service,
    ):
        assert service.default_model == "llama2"
        with pytest.raises(OllamaModelNotFoundError) as caught:
            await service.generate(None, PROMPT)
    assert caught.value.model == "llama2"
    assert sent(server)["model"] == "llama2"


# --- chat and embed ---------------------------------------------------------------------------


async def test_chat_returns_the_assistant_text(server: FakeOllamaServer) -> None:
    async with make_service(server) as service:
        text = await service.chat("llama3.2", USER)
        typed = await service.chat(None, [Message(role="user", content=PROMPT)])
    assert text == typed == server.reply_for(PROMPT)
    body = sent(server)
    assert body["messages"] == USER
    assert body["model"] == "llama3.2"
    assert body["stream"] is False


async def test_chat_stream_pieces_join_to_the_text(server: FakeOllamaServer) -> None:
    async with make_service(server) as service:
        whole = await service.chat(None, USER)
        async with await service.chat(None, USER, stream=True) as stream:
            pieces = [piece async for piece in stream]
    assert len(pieces) > 1
    assert "".join(pieces) == whole


async def test_chat_maps_options_and_fields(server: FakeOllamaServer) -> None:
    async with make_service(server) as service:
        text = await service.chat(
            "qwen3", USER, temperature=0.5, num_ctx=2048, keep_alive="1m", think=True
        )
        await service.chat(None, USER, format="json", **SAMPLE_OPTIONS)
    assert text == server.reply_for(PROMPT)
    first, second = (request.json for request in server.requests)
    assert first["options"] == {"temperature": 0.5, "num_ctx": 2048}
    assert first["keep_alive"] == "1m"
    assert first["think"] is True
    assert second["format"] == "json"
    assert second["options"] == SAMPLE_OPTIONS


async def test_chat_unknown_keyword_is_a_type_error_and_nothing_is_sent(
    server: FakeOllamaServer,
) -> None:
    async with make_service(server) as service:
        with pytest.raises(
            TypeError, match=r"chat\(\) got an unexpected keyword argument 'system'"
        ):
            await service.chat(None, USER, system="not a chat field")
    assert server.requests == []


async def test_embed_returns_one_vector_per_text(server: FakeOllamaServer) -> None:
    async with make_service(server, default_model="nomic-embed-text") as service:
        one = await service.embed(None, "hello")
        two = await service.embed("nomic-embed-text", ["hello", "world"])
    assert one == [pytest.approx(server.embedding_for("hello"))]
    assert two == [
        pytest.approx(server.embedding_for("hello")),
        pytest.approx(server.embedding_for("world")),
    ]
    assert sent(server) == {"model": "nomic-embed-text", "input": ["hello", "world"]}


async def test_embed_maps_fields_and_options(server: FakeOllamaServer) -> None:
    async with make_service(server) as service:
        vectors = await service.embed(
            "nomic-embed-text", "hi", dimensions=4, truncate=True, keep_alive="1m", num_ctx=512
        )
    assert len(vectors) == 1
    assert len(vectors[0]) == 4
    assert sent(server) == {
        "model": "nomic-embed-text",
        "input": "hi",
        "dimensions": 4,
        "truncate": True,
        "keep_alive": "1m",
        "options": {"num_ctx": 512},
    }


async def test_embed_unknown_keyword_is_a_type_error_and_nothing_is_sent(
    server: FakeOllamaServer,
) -> None:
    async with make_service(server) as service:
        with pytest.raises(TypeError, match="'dimension'; did you mean 'dimensions'"):
            await service.embed("nomic-embed-text", "hi", dimension=4)
    assert server.requests == []


# --- models -----------------------------------------------------------------------------------


async def test_list_models(server: FakeOllamaServer) -> None:
    async with make_service(server) as service:
        models = await service.list_models()
    names = [m.name for m in models]
    for expected in ("llama3.2:latest", "qwen3:latest", "nomic-embed-text:latest", "llava:latest"):
        assert expected in names
    for model in models:
        assert model.name == model["name"]
        assert model.size == model["size"] > 0
        assert model.digest == model["digest"]
        assert model.modified_at == model["modified_at"]
        assert model.details == model["details"]
        assert model.details.family
        assert "name" in model
    assert paths(server) == ["/api/tags"]


async def test_show_model(server: FakeOllamaServer) -> None:
    async with make_service(server) as service:
        shown = await service.show_model("llama3.2")
        default = await service.show_model()
    assert isinstance(shown, ShowResponse)
    assert shown == default
    assert "FROM" in (shown.modelfile or "")
    assert isinstance(shown.parameters, str)
    assert "stop" in shown.parameters
    assert shown.template
    assert shown.details.family == "llama"
    assert "general.architecture" in shown.model_info
    assert "completion" in (shown.capabilities or [])
    for field in ("modelfile", "parameters", "template", "details", "model_info", "capabilities"):
        assert shown[field] == getattr(shown, field)
    assert [request.json["model"] for request in server.requests] == ["llama3.2"] * 2


async def test_pull_model_snippet_from_the_docs(server: FakeOllamaServer) -> None:
    statuses: list[str | None] = []
    percents: list[float] = []
    async with make_service(server) as service:
        # The snippet, exactly as the issue and docs/service.md write it.
        async for progress in service.pull_model("tinyllama"):
            status = progress.get("status")
            if "total" in progress:
                percent = progress["completed"] / progress["total"] * 100
                percents.append(percent)
                assert progress["digest"].startswith("sha256:")
            statuses.append(status)
        names = [m.name for m in await service.list_models()]
    assert statuses[0] == "pulling manifest"
    assert statuses[-1] == "success"
    assert percents
    assert all(0 <= p <= 100 for p in percents)
    assert 100.0 in percents
    assert "tinyllama:latest" in names
    assert server.requests[0].path == "/api/pull"
    assert server.requests[0].json["model"] == "tinyllama"


async def test_pull_model_items_are_typed(server: FakeOllamaServer) -> None:
    async with make_service(server) as service:
        items = [item async for item in service.pull_model("tinyllama")]
    with_total = [item for item in items if "total" in item]
    assert with_total
    for item in with_total:
        assert item.total == item["total"]
        assert item.completed == item["completed"]
        assert item.digest == item["digest"]
    assert "total" not in items[0]
    assert items[0].get("total") is None


async def test_pull_model_none_pulls_the_default_model(server: FakeOllamaServer) -> None:
    async with make_service(server, default_model="tinyllama") as service:
        items = [item async for item in service.pull_model()]
    assert items[-1].status == "success"
    assert sent(server)["model"] == "tinyllama"


async def test_pull_unknown_registry_model_is_model_not_found(server: FakeOllamaServer) -> None:
    async with make_service(server) as service:
        with pytest.raises(OllamaModelNotFoundError) as caught:
            async for _ in service.pull_model("does-not-exist"):
                pass
    error = caught.value
    assert error.model == "does-not-exist"
    assert "file does not exist" in str(error)
    assert isinstance(error.__cause__, OllamaStreamError)


async def test_pull_other_stream_error_stays_a_stream_error(server: FakeOllamaServer) -> None:
    server.faults.error_mid_stream(2, "disk full")
    async with make_service(server) as service:
        with pytest.raises(OllamaStreamError, match="disk full") as caught:
            async for _ in service.pull_model("tinyllama"):
                pass
    assert not isinstance(caught.value, OllamaModelNotFoundError)


# --- errors -----------------------------------------------------------------------------------


async def test_unknown_model_is_model_not_found_everywhere(server: FakeOllamaServer) -> None:
    async with make_service(server) as service:
        with pytest.raises(OllamaModelNotFoundError) as generate_error:
            await service.generate("no-such-model", PROMPT)
        with pytest.raises(OllamaModelNotFoundError):
            await service.generate("no-such-model", PROMPT, stream=True)  # at the call
        with pytest.raises(OllamaModelNotFoundError):
            await service.chat("no-such-model", USER)
        with pytest.raises(OllamaModelNotFoundError):
            await service.embed("no-such-model", "hi")
        with pytest.raises(OllamaModelNotFoundError):
            await service.show_model("no-such-model")
    assert generate_error.value.model == "no-such-model"
    assert generate_error.value.status_code == 404


async def test_not_running_is_a_connection_error(closed_url: str) -> None:
    async with OllamaService(closed_url, max_retries=0, default_model="llama3.2") as service:
        with pytest.raises(OllamaConnectionError, match="connection refused") as caught:
            await service.generate(None, PROMPT)
        assert isinstance(caught.value, OllamaServiceError)
        with pytest.raises(OllamaConnectionError):
            await service.generate(None, PROMPT, stream=True)
        with pytest.raises(OllamaConnectionError):
            await service.chat(None, USER)
        with pytest.raises(OllamaConnectionError):
            await service.embed(None, "hi")
        with pytest.raises(OllamaConnectionError):
            await service.list_models()
        with pytest.raises(OllamaConnectionError):
            await service.show_model()
        with pytest.raises(OllamaConnectionError):
            async for _ in service.pull_model("tinyllama"):
                pass
        assert await service.health_check() is False


async def test_other_failures_are_service_errors(server: FakeOllamaServer) -> None:
    async with make_service(server, max_retries=0) as service:
        server.faults.fail_next(1, 500, '{"error":"model runner crashed"}')
        with pytest.raises(OllamaResponseError, match="model runner crashed") as caught:
            await service.generate(None, PROMPT)
        assert isinstance(caught.value, OllamaServiceError)
        assert not isinstance(caught.value, OllamaModelNotFoundError)

        server.faults.garbage(b"<html>502 Bad Gateway</html>", status=200)
        with pytest.raises(OllamaDecodeError):
            await service.generate(None, PROMPT)

        server.faults.error_mid_stream(2)
        pieces: list[str] = []
        async with await service.generate(None, PROMPT, stream=True) as stream:
            with pytest.raises(OllamaStreamError):
                await collect(stream, pieces)
        assert len(pieces) == 2


async def test_non_http_server_is_a_service_error(junk_url: str) -> None:
    async with OllamaService(junk_url, max_retries=0, default_model="llama3.2") as service:
        with pytest.raises(OllamaServiceError):
            await service.generate(None, PROMPT)


# --- retries ----------------------------------------------------------------------------------


async def test_generate_makes_three_attempts(server: FakeOllamaServer) -> None:
    server.faults.busy(2, retry_after="0")
    async with make_service(server) as service:
        assert await service.generate(None, PROMPT) == server.reply_for(PROMPT)
    assert paths(server) == ["/api/generate"] * 3


async def test_generate_gives_up_after_three_attempts(server: FakeOllamaServer) -> None:
    server.faults.busy(3, retry_after="0")
    async with make_service(server) as service:
        with pytest.raises(OllamaServerBusyError) as caught:
            await service.generate(None, PROMPT)
    assert caught.value.attempts == 3
    assert paths(server) == ["/api/generate"] * 3


async def test_chat_retries_with_a_zero_backoff_client(server: FakeOllamaServer) -> None:
    server.faults.busy(3)  # no Retry-After: the client's own (zero) backoff applies
    async with (
        zero_backoff_client(server.base_url) as client,
        OllamaService(client=client, default_model="llama3.2") as service,
    ):
        with pytest.raises(OllamaServerBusyError) as caught:
            await service.chat(None, USER)
        server.faults.busy(2)
        assert await service.chat(None, USER) == server.reply_for(PROMPT)
    assert caught.value.attempts == 3
    assert paths(server) == ["/api/chat"] * 6


async def test_pull_makes_two_attempts(server: FakeOllamaServer) -> None:
    server.faults.busy(1, retry_after="0")
    async with make_service(server) as service:
        items = [item async for item in service.pull_model("tinyllama")]
    assert items[-1].status == "success"
    assert paths(server) == ["/api/pull"] * 2


async def test_pull_gives_up_after_two_attempts(server: FakeOllamaServer) -> None:
    server.faults.busy(2, retry_after="0")
    async with make_service(server) as service:
        with pytest.raises(OllamaServerBusyError) as caught:
            async for _ in service.pull_model("tinyllama"):
                pass
    assert caught.value.attempts == 2
    assert paths(server) == ["/api/pull"] * 2


async def test_max_retries_from_the_settings_and_the_argument(
    server: FakeOllamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_MAX_RETRIES", "0")
    server.faults.busy(1, retry_after="0")
    async with make_service(server) as service:
        with pytest.raises(OllamaServerBusyError) as caught:
            await service.generate(None, PROMPT)
    assert caught.value.attempts == 1
    assert len(server.requests) == 1

    server.clear_requests()
    server.faults.busy(1, retry_after="0")
    async with make_service(server, max_retries=1) as service:  # the argument wins
        assert await service.generate(None, PROMPT) == server.reply_for(PROMPT)
    assert len(server.requests) == 2


# --- health_check -----------------------------------------------------------------------------


async def test_health_check_true_when_the_server_answers(server: FakeOllamaServer) -> None:
    async with make_service(server) as service:
        assert await service.health_check() is True
    assert [(r.method, r.path) for r in server.requests] == [("GET", "/")]


async def test_health_check_false_when_nothing_listens(closed_url: str) -> None:
    # Default retries: the health check still makes one attempt and answers False.
    async with OllamaService(closed_url) as service:
        assert await service.health_check() is False


async def test_health_check_makes_one_attempt(server: FakeOllamaServer) -> None:
    server.faults.busy(1, retry_after="0")
    async with make_service(server) as service:
        assert await service.health_check() is False
        assert await service.health_check() is True
    assert len(server.requests) == 2


async def test_health_check_false_on_an_error_page(server: FakeOllamaServer) -> None:
    server.faults.garbage(b"<html>502 Bad Gateway</html>", status=502, content_type="text/html")
    async with make_service(server) as service:
        assert await service.health_check() is False


async def test_health_check_on_a_garbage_200_body_does_not_raise(server: FakeOllamaServer) -> None:
    server.faults.garbage(b"\x00\xff not what Ollama says", status=200)
    async with make_service(server) as service:
        # A 200 is not enough: only Ollama's own reply counts as healthy.
        assert await service.health_check() is False


async def test_health_check_false_on_a_reset_connection(server: FakeOllamaServer) -> None:
    server.faults.reset_on_connect(1)
    async with make_service(server) as service:
        assert await service.health_check() is False
        assert await service.health_check() is True


async def test_health_check_false_when_the_server_speaks_no_http(junk_url: str) -> None:
    async with OllamaService(junk_url) as service:
        assert await service.health_check() is False


# --- lifecycle and the client -----------------------------------------------------------------


async def test_context_manager_closes_the_pool(server: FakeOllamaServer) -> None:
    async with make_service(server) as service:
        await service.list_models()
        assert server.stats.connections_open == 1  # kept alive in the pool
    assert server.wait_for_idle()


async def test_close_closes_the_pool_and_can_be_repeated(server: FakeOllamaServer) -> None:
    service = make_service(server)
    try:
        assert await service.generate(None, PROMPT)
        assert server.stats.connections_open == 1
    finally:
        await service.close()
    assert server.wait_for_idle()
    await service.close()


async def test_a_client_passed_in_is_not_closed(server: FakeOllamaServer) -> None:
    async with zero_backoff_client(server.base_url) as client:
        async with OllamaService(client=client, default_model="llama3.2") as service:
            assert service.client is client
            await service.list_models()
        # The service is closed; the client still works.
        assert (await client.version()).version == server.version
        assert server.stats.connections_open == 1
    assert server.wait_for_idle()


async def test_client_exposes_every_endpoint(server: FakeOllamaServer) -> None:
    async with make_service(server) as service:
        assert isinstance(service.client, AsyncClient)
        assert service.client.base_url == server.base_url
        assert (await service.client.version()).version == server.version
        reply = await service.client.generate("llama3.2", PROMPT)
        assert reply.done is True
        assert reply.response == server.reply_for(PROMPT)
        await service.client.ps()
    assert paths(server) == ["/api/version", "/api/generate", "/api/ps"]
