"""FakeOllamaServer speaks Ollama's wire protocol over real sockets (checked with plain httpx)."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import ssl
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import anyio
import httpx
import pytest

from ollama_service.testing import FakeModel, FakeOllamaServer, Faults, ServerStats

pytestmark = pytest.mark.network

BUSY = "server busy, please try again.  maximum pending requests exceeded"
PIXEL = base64.b64encode(b"\x89PNG\r\n\x1a\n fake image bytes").decode()
WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_current_weather",
        "description": "Get the current weather for a location",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "format": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer"},
            },
            "required": ["location", "format", "days"],
        },
    },
}
USER_HI = [{"role": "user", "content": "hi there"}]
# The fake serves plain HTTP: give every client this context instead of letting httpx load
# the CA bundle for each client it builds (about 70 ms each).
PLAIN_HTTP = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def make_client(server: FakeOllamaServer, **options: Any) -> httpx.Client:
    """An httpx.Client for ``server`` (timeout 10 s unless given)."""
    options.setdefault("timeout", 10.0)
    return httpx.Client(base_url=server.base_url, verify=PLAIN_HTTP, **options)


@pytest.fixture
def server() -> Iterator[FakeOllamaServer]:
    with FakeOllamaServer() as fake:
        yield fake


@pytest.fixture
def client(server: FakeOllamaServer) -> Iterator[httpx.Client]:
    with make_client(server) as http:
        yield http


def ndjson(response: httpx.Response) -> list[dict[str, Any]]:
    """Every line of an NDJSON body, parsed."""
    return [json.loads(line) for line in response.text.splitlines() if line]


_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")


def parse_timestamp(text: str) -> datetime:
    """Parse Go's RFC 3339 (0-9 fractional digits, Z or an offset) on any Python >= 3.10."""
    match = _RFC3339.match(text)
    assert match is not None, text
    base, fraction, zone = match.groups()
    micros = (fraction or "").ljust(6, "0")[:6]
    offset = "+00:00" if zone == "Z" else zone
    return datetime.fromisoformat(f"{base}.{micros}{offset}")


def error_of(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"error"}
    message = body["error"]
    assert isinstance(message, str)
    return message


# -- lifecycle and transport ------------------------------------------------------------------


def test_base_url_is_loopback_with_an_ephemeral_port(server: FakeOllamaServer) -> None:
    """base_url is http://127.0.0.1:<port> and the port is not Ollama's 11434."""
    assert server.base_url == f"http://127.0.0.1:{server.port}"
    assert server.port not in (0, 11434)


def test_base_url_before_start_and_restart_after_stop_raise() -> None:
    """A server has no URL before start() and cannot start again after stop()."""
    fake = FakeOllamaServer()
    with pytest.raises(RuntimeError, match="not started"):
        _ = fake.base_url
    fake.start()
    fake.stop()
    fake.stop()  # idempotent
    with pytest.raises(RuntimeError, match="cannot be started again"):
        fake.start()


def test_stop_without_start_returns() -> None:
    """stop() on a server that never started does nothing."""
    FakeOllamaServer().stop()


def test_keep_alive_reuses_one_connection(server: FakeOllamaServer, client: httpx.Client) -> None:
    """Two requests on one httpx.Client use one TCP connection."""
    assert client.get("/api/version").status_code == 200
    assert (
        client.post("/api/generate", json={"model": "llama3.2", "prompt": "a"}).status_code == 200
    )
    stats = server.stats
    assert stats == ServerStats(
        connections_opened=1, connections_open=1, peak_open=1, requests_handled=2
    )


def test_wait_for_idle_reports_released_connections(server: FakeOllamaServer) -> None:
    """wait_for_idle() is False while a pooled connection stays open, True once it closes."""
    http = make_client(server)
    try:
        assert http.get("/").status_code == 200
        assert server.stats.connections_open == 1
        assert not server.wait_for_idle(timeout=0.05)
    finally:
        http.close()
    assert server.wait_for_idle(timeout=5.0)
    assert server.stats.connections_open == 0


def test_stop_with_an_open_keep_alive_connection_returns(server: FakeOllamaServer) -> None:
    """stop() closes idle keep-alive connections instead of waiting for the client."""
    with make_client(server) as http:
        assert http.get("/api/tags").status_code == 200
        server.stop()
        assert server.wait_for_idle(timeout=0)
        with pytest.raises(httpx.TransportError):
            http.get("/api/tags")


def test_stop_releases_a_stalled_response(server: FakeOllamaServer) -> None:
    """stop() does not hang on a response stalled after its headers."""
    server.faults.stall(after_headers=True)
    with (
        make_client(server, timeout=10.0) as http,
        http.stream("POST", "/api/generate", json={"model": "llama3.2", "prompt": "x"}) as response,
    ):
        assert response.status_code == 200
        server.stop()
        with pytest.raises(httpx.TransportError):
            response.read()
    assert server.stats.connections_open == 0


def test_reset_stats_restarts_the_counters(server: FakeOllamaServer, client: httpx.Client) -> None:
    """reset_stats() keeps the open connection and zeroes the request count."""
    client.get("/")
    server.reset_stats()
    assert server.stats == ServerStats(1, 1, 1, 0)


def test_chunked_request_bodies_are_accepted(client: httpx.Client) -> None:
    """A request body sent with Transfer-Encoding: chunked is read whole."""

    def parts() -> Iterator[bytes]:
        yield b'{"model": "llama3.2", '
        yield b'"prompt": "chunked", "stream": false}'

    response = client.post("/api/generate", content=parts())
    assert response.status_code == 200
    assert response.json()["response"] == FakeOllamaServer.reply_for("chunked")


# -- routing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status", "content_type", "body"),
    [
        ("GET", "/", 200, "text/plain; charset=utf-8", b"Ollama is running"),
        ("HEAD", "/", 200, "text/plain; charset=utf-8", b""),
        ("GET", "/api/version", 200, "application/json; charset=utf-8", b'{"version":"0.33.0"}'),
        ("HEAD", "/api/version", 200, "application/json; charset=utf-8", b""),
        ("HEAD", "/api/tags", 200, "application/json; charset=utf-8", b""),
        ("GET", "/api/nope", 404, "text/plain", b"404 page not found"),
        ("POST", "/api/blobs/", 404, "text/plain", b"404 page not found"),
        ("GET", "/api/generate", 405, "text/plain", b"405 method not allowed"),
        ("POST", "/", 405, "text/plain", b"405 method not allowed"),
        ("DELETE", "/api/tags", 405, "text/plain", b"405 method not allowed"),
        ("HEAD", "/api/ps", 405, "text/plain", b""),
        ("POST", "/api/delete", 405, "text/plain", b"405 method not allowed"),
        ("GET", "/api/blobs/sha256:" + "0" * 64, 405, "text/plain", b"405 method not allowed"),
    ],
)
def test_routes_statuses_and_plain_bodies(
    client: httpx.Client, method: str, path: str, status: int, content_type: str, body: bytes
) -> None:
    """Liveness, version, HEAD variants, and gin's plain-text 404 and 405."""
    response = client.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"] == content_type
    assert response.content == body


def test_head_reports_the_get_content_length(client: httpx.Client) -> None:
    """HEAD sends GET's Content-Length without a body."""
    get = client.get("/api/tags")
    head = client.head("/api/tags")
    assert head.headers["content-length"] == str(len(get.content))
    assert head.content == b""


JSON_ENDPOINTS = [
    ("POST", "/api/generate"),
    ("POST", "/api/chat"),
    ("POST", "/api/embed"),
    ("POST", "/api/embeddings"),
    ("POST", "/api/show"),
    ("POST", "/api/create"),
    ("POST", "/api/copy"),
    ("DELETE", "/api/delete"),
    ("POST", "/api/pull"),
    ("POST", "/api/push"),
]


@pytest.mark.parametrize(("method", "path"), JSON_ENDPOINTS)
def test_missing_body_is_a_400(client: httpx.Client, method: str, path: str) -> None:
    """An empty body gives 400 {"error":"missing request body"}."""
    response = client.request(method, path)
    assert response.status_code == 400
    assert error_of(response) == "missing request body"


@pytest.mark.parametrize(("method", "path"), JSON_ENDPOINTS)
def test_invalid_json_is_a_400(client: httpx.Client, method: str, path: str) -> None:
    """A body that is not JSON gives 400 with Go's decoder message."""
    response = client.request(method, path, content=b"{not json")
    assert response.status_code == 400
    assert error_of(response).startswith("invalid character 'n'")


# -- generate ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [None, True, "absent"])
def test_generate_streams_word_by_word(client: httpx.Client, stream: object) -> None:
    """stream absent, null or true: chunked NDJSON, one word per line, then the final chunk."""
    body: dict[str, Any] = {"model": "llama3.2", "prompt": "Why is the sky blue?"}
    if stream != "absent":
        body["stream"] = stream
    response = client.post("/api/generate", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in response.headers
    assert response.text.endswith("}\n")
    lines = ndjson(response)
    chunks, final = lines[:-1], lines[-1]
    reply = FakeOllamaServer.reply_for("Why is the sky blue?")
    assert "".join(c["response"] for c in chunks) == reply
    assert [c["response"] for c in chunks] == [w + " " for w in reply.split(" ")[:-1]] + [
        reply.split(" ")[-1]
    ]
    for chunk in chunks:
        assert set(chunk) == {"model", "created_at", "response", "done"}
        assert chunk["done"] is False
        assert chunk["model"] == "llama3.2"
        assert chunk["created_at"].endswith("Z")
    assert final["done"] is True
    assert final["done_reason"] == "stop"
    assert final["response"] == ""
    assert final["eval_count"] == len(chunks)
    for metric in (
        "total_duration",
        "load_duration",
        "prompt_eval_count",
        "prompt_eval_duration",
        "eval_duration",
    ):
        assert type(final[metric]) is int
        assert final[metric] > 0
    assert final["context"]
    assert all(type(token) is int for token in final["context"])


def test_generate_without_streaming_returns_one_object(client: httpx.Client) -> None:
    """stream:false gives one application/json object with the whole reply and metrics."""
    response = client.post(
        "/api/generate", json={"model": "llama3.2", "prompt": "hello", "stream": False}
    )
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["content-length"] == str(len(response.content))
    body = response.json()
    assert body["response"] == FakeOllamaServer.reply_for("hello")
    assert body["done"] is True
    assert body["done_reason"] == "stop"
    assert isinstance(body["context"], list)
    assert body["eval_count"] == len(FakeOllamaServer.reply_for("hello").split(" "))
    assert body["created_at"].endswith("Z")
    assert parse_timestamp(body["created_at"]).tzinfo is not None


def test_generate_reply_is_deterministic(client: httpx.Client) -> None:
    """The same request gives the same reply, metrics and context."""
    body = {"model": "llama3.2", "prompt": "same", "stream": False}
    first, second = (client.post("/api/generate", json=body).json() for _ in range(2))
    for volatile in ("created_at",):
        first.pop(volatile)
        second.pop(volatile)
    assert first == second


def test_generate_raw_has_no_context(client: httpx.Client) -> None:
    """raw:true replies carry no context."""
    body = client.post(
        "/api/generate", json={"model": "llama3.2", "prompt": "[INST] x [/INST]", "raw": True}
    )
    assert "context" not in ndjson(body)[-1]


def test_generate_num_predict_stops_with_length(client: httpx.Client) -> None:
    """options.num_predict caps the number of chunks and sets done_reason "length"."""
    lines = ndjson(
        client.post(
            "/api/generate",
            json={"model": "llama3.2", "prompt": "count", "options": {"num_predict": 3}},
        )
    )
    assert len(lines) == 4
    assert lines[-1]["done_reason"] == "length"
    assert lines[-1]["eval_count"] == 3
    assert "".join(line["response"] for line in lines) == "You said: count. "


def test_generate_escapes_html_characters_like_go(client: httpx.Client) -> None:
    """<, > and & in strings are written as \\u003c, \\u003e and \\u0026."""
    response = client.post(
        "/api/generate", json={"model": "llama3.2", "prompt": "<b>&", "stream": False}
    )
    assert b"\\u003cb\\u003e\\u0026" in response.content
    assert response.json()["response"] == FakeOllamaServer.reply_for("<b>&")


def test_generate_thinking_comes_before_content(client: httpx.Client) -> None:
    """think:true on a thinking model streams thinking chunks, then content chunks."""
    lines = ndjson(
        client.post("/api/generate", json={"model": "qwen3", "prompt": "2+2", "think": True})
    )
    kinds = ["thinking" if line.get("thinking") else "content" for line in lines[:-1]]
    assert kinds == sorted(kinds, key=lambda kind: kind != "thinking")
    assert "thinking" in kinds
    assert "".join(line.get("thinking", "") for line in lines).startswith("The user wrote: 2+2.")
    assert "".join(line["response"] for line in lines) == FakeOllamaServer.reply_for("2+2")
    assert lines[-1]["eval_count"] == len(lines) - 1


@pytest.mark.parametrize(("think", "has_thinking"), [(False, False), (None, True), ("low", True)])
def test_generate_think_values_on_a_thinking_model(
    client: httpx.Client, think: object, has_thinking: bool
) -> None:
    """On qwen3 think defaults to on; false turns it off; levels are accepted."""
    body: dict[str, Any] = {"model": "qwen3", "prompt": "x", "stream": False}
    if think is not None:
        body["think"] = think
    reply = client.post("/api/generate", json=body).json()
    assert ("thinking" in reply) is has_thinking


def test_generate_format_json_and_schema(client: httpx.Client) -> None:
    """format "json" and a JSON Schema make the reply a JSON document of the right shape."""
    json_mode = client.post(
        "/api/generate",
        json={"model": "llama3.2", "prompt": "x", "format": "json", "stream": False},
    ).json()
    assert isinstance(json.loads(json_mode["response"]), dict)
    schema = {
        "type": "object",
        "properties": {
            "age": {"type": "integer"},
            "available": {"type": "boolean"},
            "name": {"type": "string"},
            "score": {"type": "number"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "countries": {
                "type": "array",
                "items": {"type": "object", "properties": {"population": {"type": "integer"}}},
            },
            "unit": {"enum": ["celsius", "fahrenheit"]},
        },
        "required": ["age", "available"],
    }
    streamed = ndjson(
        client.post("/api/generate", json={"model": "llama3.2", "prompt": "x", "format": schema})
    )
    value = json.loads("".join(line["response"] for line in streamed))
    assert list(value) == list(schema["properties"])
    assert type(value["age"]) is int
    assert type(value["available"]) is bool
    assert isinstance(value["name"], str)
    assert isinstance(value["score"], float)
    assert isinstance(value["tags"], list)
    assert isinstance(value["tags"][0], str)
    assert type(value["countries"][0]["population"]) is int
    assert value["unit"] == "celsius"


def test_generate_accepts_valid_images(client: httpx.Client) -> None:
    """Standard base64 images are accepted."""
    response = client.post(
        "/api/generate",
        json={"model": "llava", "prompt": "what is this?", "images": [PIXEL], "stream": False},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("image", "offset"),
    [("data:image/png;base64,AAAA", 4), ("AAA", 0), ("AA=A", 2), ("AAAA====", 4), ("A", 0)],
)
def test_invalid_base64_images_are_a_400(client: httpx.Client, image: str, offset: int) -> None:
    """Invalid base64 gives Go's message with the byte offset."""
    for path, body in (
        ("/api/generate", {"model": "llava", "prompt": "x", "images": [image]}),
        (
            "/api/chat",
            {"model": "llava", "messages": [{"role": "user", "content": "x", "images": [image]}]},
        ),
    ):
        response = client.post(path, json=body)
        assert response.status_code == 400
        assert error_of(response) == f"illegal base64 data at input byte {offset}"


# -- load and unload short-circuits ----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "reason"),
    [
        ("/api/generate", {"model": "llama3.2"}, "load"),
        ("/api/generate", {"model": "llama3.2", "prompt": ""}, "load"),
        ("/api/generate", {"model": "llama3.2", "keep_alive": 0}, "unload"),
        ("/api/generate", {"model": "llama3.2", "keep_alive": "0"}, "unload"),
        ("/api/chat", {"model": "llama3.2"}, "load"),
        ("/api/chat", {"model": "llama3.2", "messages": []}, "load"),
        ("/api/chat", {"model": "llama3.2", "messages": [], "keep_alive": 0}, "unload"),
    ],
)
def test_load_and_unload_reply_with_one_object_even_when_streaming(
    client: httpx.Client, path: str, body: dict[str, Any], reason: str
) -> None:
    """Empty prompt/messages give a single application/json object, not NDJSON."""
    response = client.post(path, json=body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    reply = response.json()
    assert reply["done"] is True
    assert reply["done_reason"] == reason
    assert "eval_count" not in reply
    if path == "/api/chat":
        assert reply["message"] == {"role": "assistant", "content": ""}
    else:
        assert reply["response"] == ""


def test_load_then_unload_updates_ps(server: FakeOllamaServer, client: httpx.Client) -> None:
    """A load puts the model in /api/ps; keep_alive 0 takes it out."""
    client.post("/api/generate", json={"model": "llama3.2"})
    assert [m["name"] for m in client.get("/api/ps").json()["models"]] == ["llama3.2:latest"]
    client.post("/api/generate", json={"model": "llama3.2", "keep_alive": 0})
    assert client.get("/api/ps").json() == {"models": []}
    assert server.loaded_models == []


def test_unload_of_a_missing_model_is_a_404(client: httpx.Client) -> None:
    """Unloading still needs the model to exist."""
    response = client.post("/api/generate", json={"model": "ghost", "keep_alive": 0})
    assert response.status_code == 404


# -- chat -------------------------------------------------------------------------------------


def test_chat_streams_assistant_messages(client: httpx.Client) -> None:
    """Chat streams message chunks and a final chunk with done_reason and metrics."""
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {"role": "USER", "content": "second"},
    ]
    response = client.post("/api/chat", json={"model": "llama3.2", "messages": messages})
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = ndjson(response)
    assert all(line["message"]["role"] == "assistant" for line in lines)
    assert "".join(line["message"]["content"] for line in lines) == FakeOllamaServer.reply_for(
        "second"
    )
    assert lines[-1]["done"] is True
    assert lines[-1]["done_reason"] == "stop"
    assert lines[-1]["message"] == {"role": "assistant", "content": ""}
    assert lines[-1]["eval_count"] == len(lines) - 1
    assert "context" not in lines[-1]


def test_chat_without_streaming(client: httpx.Client) -> None:
    """stream:false gives one object with the whole message."""
    reply = client.post(
        "/api/chat", json={"model": "llama3.2", "messages": USER_HI, "stream": False}
    ).json()
    assert reply["message"] == {
        "role": "assistant",
        "content": FakeOllamaServer.reply_for("hi there"),
    }
    assert reply["done_reason"] == "stop"


@pytest.mark.parametrize("stream", [True, False])
def test_chat_with_tools_calls_the_first_tool(client: httpx.Client, stream: bool) -> None:
    """Offered tools give one tool call with typed arguments for each required parameter."""
    response = client.post(
        "/api/chat",
        json={"model": "llama3.2", "messages": USER_HI, "tools": [WEATHER_TOOL], "stream": stream},
    )
    if stream:
        lines = ndjson(response)
        assert len(lines) == 2
        message = lines[0]["message"]
        assert lines[0]["done"] is False
        assert lines[1]["done_reason"] == "stop"
    else:
        message = response.json()["message"]
    assert message["content"] == ""
    (call,) = message["tool_calls"]
    assert call["id"].startswith("call_")
    assert len(call["id"]) == len("call_") + 8
    assert call["function"]["index"] == 0
    assert call["function"]["name"] == "get_current_weather"
    assert call["function"]["arguments"] == {
        "location": "fake location",
        "format": "celsius",
        "days": 42,
    }


def test_chat_after_a_tool_result_replies_with_text(client: httpx.Client) -> None:
    """When the last message is a tool result, the reply mentions it."""
    messages = [
        {"role": "user", "content": "What is the temperature in New York?"},
        {
            "role": "assistant",
            "tool_calls": [
                {"function": {"index": 0, "name": "get_temperature", "arguments": {"city": "NY"}}}
            ],
        },
        {"role": "tool", "tool_name": "get_temperature", "content": "22°C"},
    ]
    reply = client.post(
        "/api/chat",
        json={
            "model": "qwen3",
            "messages": messages,
            "tools": [WEATHER_TOOL],
            "think": False,
            "stream": False,
        },
    ).json()
    assert "tool_calls" not in reply["message"]
    assert "get_temperature returned 22°C" in reply["message"]["content"]


def test_chat_thinking_chunks_precede_content(client: httpx.Client) -> None:
    """think:true on qwen3 sends message.thinking chunks before content."""
    lines = ndjson(
        client.post("/api/chat", json={"model": "qwen3", "messages": USER_HI, "think": True})
    )
    first_content = next(i for i, line in enumerate(lines) if line["message"]["content"])
    assert all(line["message"].get("thinking") for line in lines[:first_content])
    assert first_content > 0


def test_chat_logprobs(client: httpx.Client) -> None:
    """logprobs:true adds one Logprob per content chunk, with top_logprobs alternatives."""
    lines = ndjson(
        client.post(
            "/api/chat",
            json={"model": "llama3.2", "messages": USER_HI, "logprobs": True, "top_logprobs": 2},
        )
    )
    entry = lines[0]["logprobs"][0]
    assert entry["token"] == lines[0]["message"]["content"]
    assert len(entry["top_logprobs"]) == 2


def test_model_names_match_case_insensitively(client: httpx.Client) -> None:
    """LLAMA3.2:Latest finds llama3.2:latest, and the response echoes the name as sent."""
    reply = client.post(
        "/api/chat", json={"model": "LLAMA3.2:Latest", "messages": USER_HI, "stream": False}
    ).json()
    assert reply["model"] == "LLAMA3.2:Latest"


# -- embeddings -------------------------------------------------------------------------------


def test_embed_returns_normalized_deterministic_vectors(
    server: FakeOllamaServer, client: httpx.Client
) -> None:
    """One unit-length vector per input, deterministic per text, of embedding_size floats."""
    body = client.post(
        "/api/embed", json={"model": "nomic-embed-text", "input": ["a", "b", "a"]}
    ).json()
    vectors = body["embeddings"]
    assert len(vectors) == 3
    assert vectors[0] == vectors[2] != vectors[1]
    for vector in vectors:
        assert len(vector) == server.embedding_size
        assert math.isclose(math.fsum(v * v for v in vector), 1.0, rel_tol=1e-9)
    assert vectors[0] == server.embedding_for("a")
    assert body["prompt_eval_count"] == 3
    single = client.post("/api/embed", json={"model": "nomic-embed-text", "input": "a"}).json()
    assert single["embeddings"] == [vectors[0]]


def test_embed_dimensions_and_any_model(client: httpx.Client) -> None:
    """dimensions sets the length; a completion model can embed too (as in Ollama)."""
    body = client.post(
        "/api/embed", json={"model": "llama3.2", "input": "x", "dimensions": 32}
    ).json()
    assert len(body["embeddings"][0]) == 32


@pytest.mark.parametrize("empty", ["", [], None])
def test_embed_with_empty_input_loads_only(client: httpx.Client, empty: object) -> None:
    """Empty or absent input returns {"model", "embeddings": []}."""
    body: dict[str, Any] = {"model": "nomic-embed-text"}
    if empty is not None:
        body["input"] = empty
    assert client.post("/api/embed", json=body).json() == {
        "model": "nomic-embed-text",
        "embeddings": [],
    }


def test_legacy_embeddings_are_not_normalized(
    server: FakeOllamaServer, client: httpx.Client
) -> None:
    """/api/embeddings returns one raw vector pointing the same way as /api/embed's."""
    vector = client.post(
        "/api/embeddings", json={"model": "nomic-embed-text", "prompt": "a"}
    ).json()["embedding"]
    norm = math.sqrt(math.fsum(v * v for v in vector))
    assert not math.isclose(norm, 1.0)
    assert [v / norm for v in vector] == pytest.approx(server.embedding_for("a"))
    assert client.post(
        "/api/embeddings", json={"model": "nomic-embed-text", "prompt": ""}
    ).json() == {"embedding": []}


def test_embed_truncate_false_rejects_long_input() -> None:
    """truncate:false with an input longer than the context gives 400."""
    model = FakeModel("tiny-embed", capabilities=("embedding",), context_length=3)
    with FakeOllamaServer([model]) as fake, make_client(fake) as http:
        response = http.post(
            "/api/embed", json={"model": "tiny-embed", "input": "a b c d", "truncate": False}
        )
        assert response.status_code == 400
        assert error_of(response) == "the input length exceeds the context length"


# -- error spellings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "/api/generate", {"model": "nope", "prompt": "x"}, 404, "model 'nope' not found"),
        (
            "POST",
            "/api/chat",
            {"model": "nope", "messages": USER_HI},
            404,
            "model 'nope' not found",
        ),
        ("DELETE", "/api/delete", {"model": "nope"}, 404, "model 'nope' not found"),
        ("POST", "/api/show", {"model": "nope"}, 404, "model 'nope:latest' not found"),
        ("POST", "/api/show", {"model": "nope:7b"}, 404, "model 'nope:7b' not found"),
        (
            "POST",
            "/api/embed",
            {"model": "nope", "input": "x"},
            404,
            'model "nope" not found, try pulling it first',
        ),
        (
            "POST",
            "/api/embeddings",
            {"model": "nope", "prompt": "x"},
            404,
            'model "nope" not found, try pulling it first',
        ),
        (
            "POST",
            "/api/copy",
            {"source": "nope", "destination": "b"},
            404,
            'model "nope" not found',
        ),
        ("POST", "/api/generate", {"model": "", "prompt": "x"}, 404, "model '' not found"),
        ("POST", "/api/embed", {"model": "", "input": "x"}, 404, "model '' not found"),
        ("POST", "/api/chat", {"model": "", "messages": USER_HI}, 400, "model is required"),
        ("POST", "/api/show", {"model": ""}, 400, "model is required"),
        ("POST", "/api/embeddings", {"model": "", "prompt": "x"}, 400, "model is required"),
        ("DELETE", "/api/delete", {"model": ""}, 400, "model is required"),
        ("POST", "/api/push", {"model": ""}, 400, "model is required"),
        ("POST", "/api/pull", {"model": ""}, 400, "invalid model name"),
        ("POST", "/api/pull", {"model": "bad name!"}, 400, "invalid model name"),
        ("POST", "/api/create", {"model": "x"}, 400, "neither 'from' or 'files' was specified"),
        ("POST", "/api/create", {"model": "", "from": "llama3.2"}, 400, "invalid model name"),
        ("POST", "/api/copy", {"source": "", "destination": "b"}, 400, 'source "" is invalid'),
        (
            "POST",
            "/api/copy",
            {"source": "llama3.2", "destination": "a b"},
            400,
            'destination "a b" is invalid',
        ),
        ("DELETE", "/api/delete", {"model": "a b"}, 400, 'name "a b" is invalid'),
        (
            "POST",
            "/api/chat",
            {"model": "llava", "messages": USER_HI, "tools": [WEATHER_TOOL]},
            400,
            "registry.ollama.ai/library/llava:latest does not support tools",
        ),
        (
            "POST",
            "/api/generate",
            {"model": "llama3.2", "prompt": "x", "think": True},
            400,
            '"llama3.2" does not support thinking',
        ),
        (
            "POST",
            "/api/chat",
            {"model": "llama3.2", "messages": USER_HI, "think": "high"},
            400,
            '"llama3.2" does not support thinking',
        ),
        (
            "POST",
            "/api/generate",
            {"model": "qwen3", "prompt": "x", "think": "extreme"},
            400,
            'invalid think value: "extreme" (must be "high", "medium", "low", "max", true, or false)',
        ),
        (
            "POST",
            "/api/generate",
            {"model": "nomic-embed-text", "prompt": "x"},
            400,
            '"nomic-embed-text" does not support generate',
        ),
        (
            "POST",
            "/api/chat",
            {"model": "nomic-embed-text", "messages": USER_HI},
            400,
            '"nomic-embed-text" does not support chat',
        ),
        (
            "POST",
            "/api/generate",
            {"model": "llama3.2", "prompt": "x", "suffix": "y"},
            400,
            "registry.ollama.ai/library/llama3.2:latest does not support insert",
        ),
        (
            "POST",
            "/api/generate",
            {"model": "llama3.2", "prompt": "x", "raw": True, "system": "s"},
            400,
            "raw mode does not support template, system, or context",
        ),
        (
            "POST",
            "/api/generate",
            {"model": "llama3.2", "prompt": "x", "top_logprobs": 21},
            400,
            "top_logprobs must be between 0 and 20",
        ),
        (
            "POST",
            "/api/generate",
            {"model": "llama3.2", "prompt": "x", "keep_alive": "300"},
            400,
            'time: missing unit in duration "300"',
        ),
        (
            "POST",
            "/api/generate",
            {"model": "llama3.2", "prompt": "x", "keep_alive": "5x"},
            400,
            'time: unknown unit "x" in duration "5x"',
        ),
        (
            "POST",
            "/api/generate",
            {"model": "llama3.2", "prompt": 1},
            400,
            "json: cannot unmarshal number into Go struct field GenerateRequest.prompt of type string",
        ),
        (
            "POST",
            "/api/generate",
            [1],
            400,
            "json: cannot unmarshal array into Go value of type api.GenerateRequest",
        ),
        (
            "POST",
            "/api/chat",
            {"model": "llama3.2", "messages": "hi"},
            400,
            "json: cannot unmarshal string into Go struct field ChatRequest.messages of type []api.Message",
        ),
        (
            "POST",
            "/api/generate",
            {"model": "llama3.2", "prompt": "x", "options": {"top_k": "a"}},
            500,
            'option "top_k" must be of type integer',
        ),
        (
            "POST",
            "/api/generate",
            {"model": "llama3.2", "prompt": "x", "options": {"stop": "a"}},
            500,
            'option "stop" must be of type array',
        ),
        (
            "POST",
            "/api/generate",
            {"model": "llama3.2", "prompt": "x", "format": "xml"},
            500,
            'invalid format: "\\"xml\\""; expected "json" or a valid JSON Schema object',
        ),
        (
            "POST",
            "/api/embed",
            {"model": "nomic-embed-text", "input": [1]},
            400,
            "invalid input type",
        ),
        (
            "POST",
            "/api/embed",
            {"model": "nomic-embed-text", "input": 5},
            400,
            "invalid input type",
        ),
        (
            "POST",
            "/api/create",
            {"model": "m", "files": {"/abs.gguf": "sha256:" + "0" * 64}},
            400,
            "file path must be relative",
        ),
        (
            "POST",
            "/api/create",
            {"model": "m", "files": {"m.gguf": ""}},
            400,
            "invalid digest format",
        ),
        # Fields the field tables (testing/_fields.py) gained from the spec are type-checked.
        (
            "POST",
            "/api/create",
            {"model": "m", "from": "llama3.2", "renderer": 1},
            400,
            "json: cannot unmarshal number into Go struct field CreateRequest.renderer of type string",
        ),
        (
            "POST",
            "/api/create",
            {"model": "m", "from": "llama3.2", "draft_files": {"d.gguf": 1}},
            400,
            "json: cannot unmarshal number into Go struct field CreateRequest.draft_files of type string",
        ),
        (
            "POST",
            "/api/create",
            {"model": "m", "from": "llama3.2", "info": "x"},
            400,
            "json: cannot unmarshal string into Go struct field CreateRequest.info of type map[string]interface {}",
        ),
        (
            "POST",
            "/api/chat",
            {"model": "llama3.2", "messages": USER_HI, "_debug_render_only": "yes"},
            400,
            "json: cannot unmarshal string into Go struct field ChatRequest._debug_render_only of type bool",
        ),
        ("POST", "/api/blobs/sha256:abc", None, 400, "invalid digest format"),
    ],
)
def test_error_statuses_and_messages(
    client: httpx.Client, method: str, path: str, body: Any, status: int, message: str
) -> None:
    """Each endpoint answers errors with Ollama's status and exact message."""
    response = (
        client.request(method, path, json=body)
        if body is not None
        else client.request(method, path)
    )
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert error_of(response) == message


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/api/web_search", {"query": 1}, "query must be a JSON string"),
        (
            "/api/web_search",
            {"query": "q", "max_results": "3"},
            "max_results must be an integral JSON number",
        ),
        (
            "/api/web_search",
            {"query": "q", "max_results": True},
            "max_results must be an integral JSON number",
        ),
        ("/api/web_fetch", {"url": ["https://example.com"]}, "url must be a JSON string"),
    ],
)
def test_web_fields_of_the_wrong_type(
    client: httpx.Client, path: str, body: dict[str, Any], message: str
) -> None:
    """ollama.com's endpoints type-check the fields of their tables too."""
    response = client.post(path, json=body, headers={"Authorization": "Bearer key"})
    assert response.status_code == 400
    assert error_of(response) == message


def test_unknown_fields_are_ignored(client: httpx.Client) -> None:
    """Extra keys never cause an error (Go ignores unknown fields)."""
    response = client.post(
        "/api/generate",
        json={"model": "llama3.2", "prompt": "x", "stream": False, "whatever": [1, 2]},
    )
    assert response.status_code == 200


# -- model registry ---------------------------------------------------------------------------


def tag_names(client: httpx.Client) -> list[str]:
    return [model["name"] for model in client.get("/api/tags").json()["models"]]


def test_tags_lists_the_default_models(client: httpx.Client) -> None:
    """The default registry has four models with details, digests and capabilities."""
    models = client.get("/api/tags").json()["models"]
    by_name = {model["name"]: model for model in models}
    assert set(by_name) == {
        "llama3.2:latest",
        "qwen3:latest",
        "nomic-embed-text:latest",
        "llava:latest",
    }
    llama = by_name["llama3.2:latest"]
    assert llama["model"] == llama["name"]
    assert len(llama["digest"]) == 64
    assert not llama["digest"].startswith("sha256:")
    assert llama["details"]["parent_model"] == ""
    assert llama["details"]["family"] == "llama"
    assert llama["capabilities"] == ["completion", "tools"]
    assert by_name["qwen3:latest"]["capabilities"] == ["completion", "tools", "thinking"]
    assert by_name["nomic-embed-text:latest"]["capabilities"] == ["embedding"]
    assert by_name["llava:latest"]["capabilities"] == ["completion", "vision"]
    modified = [parse_timestamp(m["modified_at"]) for m in models]
    assert modified == sorted(modified, reverse=True)


def test_custom_models_and_names() -> None:
    """Models given as names or FakeModel are normalized to name:tag."""
    custom = FakeModel(
        "Acme/Coder:7B", capabilities=("completion", "insert"), modified_at=datetime(2025, 1, 1)
    )
    with FakeOllamaServer(["phi4", custom, "my-embedder"]) as fake:
        assert {m.name for m in fake.models} == {
            "phi4:latest",
            "Acme/Coder:7B",
            "my-embedder:latest",
        }
        assert fake.get_model("acme/coder:7b") is custom
        assert custom.modified_at.tzinfo is timezone.utc
        embedder = fake.get_model("my-embedder")
        assert embedder is not None
        assert embedder.capabilities == ("embedding",)
        with make_client(fake) as http:
            response = http.post(
                "/api/generate",
                json={"model": "acme/coder:7b", "prompt": "def", "suffix": "end", "stream": False},
            )
            assert response.status_code == 200


def test_fake_model_rejects_invalid_names() -> None:
    """FakeModel validates names."""
    with pytest.raises(ValueError, match="invalid model name"):
        FakeModel("not a name")


def test_show_describes_a_model(client: httpx.Client) -> None:
    """show has modelfile, parameters, template, details, model_info, capabilities."""
    body = client.post("/api/show", json={"model": "llama3.2"}).json()
    assert body["modelfile"].startswith('# Modelfile generated by "ollama show"')
    assert body["parameters"].splitlines()[0] == "stop" + " " * 27 + '"<|start_header_id|>"'
    assert "{{ .Content }}" in body["template"]
    assert body["details"]["quantization_level"] == "Q4_K_M"
    assert body["model_info"]["general.architecture"] == "llama"
    assert body["model_info"]["llama.context_length"] == 131072
    assert body["model_info"]["general.parameter_count"] == 3_200_000_000
    assert body["model_info"]["tokenizer.ggml.tokens"] == []
    assert body["capabilities"] == ["completion", "tools"]
    assert body["license"]
    assert parse_timestamp(body["modified_at"])
    verbose = client.post("/api/show", json={"model": "llama3.2", "verbose": True}).json()
    assert len(verbose["model_info"]["tokenizer.ggml.tokens"]) > 5
    override = client.post("/api/show", json={"name": "llama3.2", "system": "Be terse."}).json()
    assert override["system"] == "Be terse."
    assert 'SYSTEM """Be terse."""' in override["modelfile"]


@pytest.mark.parametrize("stream", [True, False])
def test_pull_registers_the_model(client: httpx.Client, stream: bool) -> None:
    """Pull streams manifest, layer progress, verify, write, cleanup, success; then lists it."""
    response = client.post("/api/pull", json={"model": "mistral", "stream": stream})
    assert response.status_code == 200
    if not stream:
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert response.json() == {"status": "success"}
    else:
        lines = ndjson(response)
        statuses = [line["status"] for line in lines]
        assert statuses[0] == "pulling manifest"
        assert statuses[-4:] == [
            "verifying sha256 digest",
            "writing manifest",
            "removing unused layers",
            "success",
        ]
        layers = [
            line for line in lines if line["status"].startswith("pulling ") and "digest" in line
        ]
        digests = list(dict.fromkeys(line["digest"] for line in layers))
        assert 2 <= len(digests) <= 3
        for digest in digests:
            progress = [line for line in layers if line["digest"] == digest]
            assert progress[0]["status"] == f"pulling {digest[7:19]}"
            assert digest.startswith("sha256:")
            assert "completed" not in progress[0]
            completed = [line["completed"] for line in progress[1:]]
            assert completed == sorted(completed)
            assert completed[-1] == progress[0]["total"]
    assert "mistral:latest" in tag_names(client)


@pytest.mark.parametrize("stream", [True, False])
def test_pull_of_an_unknown_model_fails(
    server: FakeOllamaServer, client: httpx.Client, stream: bool
) -> None:
    """A model the registry lacks: in-stream error after "pulling manifest", or a 500."""
    server.unknown_registry_models.add("ghost-model")
    response = client.post("/api/pull", json={"model": "ghost-model", "stream": stream})
    if stream:
        assert response.status_code == 200
        assert ndjson(response) == [
            {"status": "pulling manifest"},
            {"error": "pull model manifest: file does not exist"},
        ]
    else:
        assert response.status_code == 500
        assert error_of(response) == "pull model manifest: file does not exist"
    assert "ghost-model:latest" not in tag_names(client)
    default = client.post("/api/pull", json={"model": "does-not-exist", "stream": False})
    assert default.status_code == 500


@pytest.mark.parametrize("stream", [True, False])
def test_push_progress(client: httpx.Client, stream: bool) -> None:
    """Push streams retrieving manifest, pushing <digest> lines, pushing manifest, success."""
    response = client.post("/api/push", json={"model": "llama3.2", "stream": stream})
    if not stream:
        assert response.json() == {"status": "success"}
        return
    statuses = [line["status"] for line in ndjson(response)]
    assert statuses[0] == "retrieving manifest"
    assert statuses[-2:] == ["pushing manifest", "success"]
    assert all(status.startswith("pushing ") for status in statuses[1:-1])


def test_copy_and_delete_change_the_registry(
    server: FakeOllamaServer, client: httpx.Client
) -> None:
    """copy and delete answer 200 with an empty body and change /api/tags."""
    copied = client.post("/api/copy", json={"source": "llama3.2", "destination": "my-llama"})
    assert copied.status_code == 200
    assert copied.content == b""
    assert "my-llama:latest" in tag_names(client)
    copy = server.get_model("my-llama")
    original = server.get_model("llama3.2")
    assert copy is not None
    assert original is not None
    assert copy.digest == original.digest
    deleted = client.request("DELETE", "/api/delete", json={"model": "my-llama"})
    assert deleted.status_code == 200
    assert deleted.content == b""
    assert "my-llama:latest" not in tag_names(client)
    again = client.request("DELETE", "/api/delete", json={"model": "my-llama"})
    assert again.status_code == 404


def test_delete_unloads_a_running_model(client: httpx.Client) -> None:
    """A deleted model disappears from /api/ps too."""
    client.post("/api/generate", json={"model": "llava"})
    client.request("DELETE", "/api/delete", json={"name": "llava"})
    assert client.get("/api/ps").json() == {"models": []}


def test_create_from_a_model(server: FakeOllamaServer, client: httpx.Client) -> None:
    """create from an installed model streams layer statuses and registers the new model."""
    response = client.post(
        "/api/create",
        json={
            "model": "mario",
            "from": "llama3.2",
            "system": "You are Mario.",
            "parameters": {"temperature": 0.5},
        },
    )
    statuses = [line["status"] for line in ndjson(response)]
    assert statuses[-2:] == ["writing manifest", "success"]
    assert any(status.startswith("using existing layer sha256:") for status in statuses)
    assert any(status.startswith("creating new layer sha256:") for status in statuses)
    mario = server.get_model("mario")
    assert mario is not None
    assert mario.system == "You are Mario."
    assert mario.parameters["temperature"] == 0.5
    assert "stop" in mario.parameters
    assert mario.capabilities == ("completion", "tools")
    shown = client.post("/api/show", json={"model": "mario"}).json()
    assert shown["system"] == "You are Mario."


def test_create_without_streaming_returns_the_last_status(client: httpx.Client) -> None:
    """stream:false returns only the last progress object."""
    response = client.post("/api/create", json={"model": "q", "from": "llama3.2", "stream": False})
    assert response.json() == {"status": "success"}
    assert "q:latest" in tag_names(client)


def test_create_from_a_missing_model_pulls_it_first(client: httpx.Client) -> None:
    """A missing `from` model is pulled (pull statuses appear), then both are registered."""
    lines = ndjson(client.post("/api/create", json={"model": "derived", "from": "gemma3"}))
    assert lines[0] == {"status": "pulling manifest"}
    assert lines[-1] == {"status": "success"}
    assert {"gemma3:latest", "derived:latest"} <= set(tag_names(client))


def test_create_quantize(client: httpx.Client, server: FakeOllamaServer) -> None:
    """quantize needs an F16 source and reports quantizing progress."""
    bad = client.post(
        "/api/create",
        json={"model": "q", "from": "llama3.2", "quantize": "q4_K_M", "stream": False},
    )
    assert bad.status_code == 500
    assert error_of(bad) == "quantization is only supported for F16, BF16 and F32 models"
    server.add_model(FakeModel("big", quantization_level="F16"))
    lines = ndjson(
        client.post("/api/create", json={"model": "small", "from": "big", "quantize": "q4_K_M"})
    )
    assert lines[0]["status"] == "quantizing F16 model to Q4_K_M"
    small = server.get_model("small")
    assert small is not None
    assert small.quantization_level == "Q4_K_M"


def test_blob_upload_and_create_from_files(server: FakeOllamaServer, client: httpx.Client) -> None:
    """HEAD 404, POST 201, POST again 200, HEAD 200; then create from the uploaded GGUF."""
    data = b"GGUF fake weights"
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    assert client.head(f"/api/blobs/{digest}").status_code == 404
    created = client.post(f"/api/blobs/{digest}", content=data)
    assert created.status_code == 201
    assert created.content == b""
    assert client.post(f"/api/blobs/{digest}", content=data).status_code == 200
    assert client.head(f"/api/blobs/{digest}").status_code == 200
    assert server.has_blob(digest)
    assert server.requests[-3].json is None
    lines = ndjson(
        client.post("/api/create", json={"model": "from-gguf", "files": {"model.gguf": digest}})
    )
    assert lines == [
        {"status": "parsing GGUF"},
        {"status": f"using existing layer {digest}"},
        {"status": "writing manifest"},
        {"status": "success"},
    ]
    assert "from-gguf:latest" in tag_names(client)


def test_blob_digest_mismatch(client: httpx.Client) -> None:
    """The uploaded bytes must hash to the digest in the path."""
    claimed = "sha256:" + "a" * 64
    actual = "sha256:" + hashlib.sha256(b"other").hexdigest()

    def body() -> Iterator[bytes]:
        yield b"oth"
        yield b"er"

    response = client.post(f"/api/blobs/{claimed}", content=body())
    assert response.status_code == 400
    assert error_of(response) == f'digest mismatch, expected "{claimed}", got "{actual}"'


def test_ps_reports_expiry_and_keep_alive(client: httpx.Client) -> None:
    """/api/ps lists used models with expires_at, size_vram and context_length."""
    client.post(
        "/api/chat",
        json={
            "model": "llama3.2",
            "messages": USER_HI,
            "keep_alive": -1,
            "options": {"num_ctx": 8192},
        },
    )
    client.post("/api/embed", json={"model": "nomic-embed-text", "input": "x", "keep_alive": "1m"})
    models = client.get("/api/ps").json()["models"]
    assert [m["name"] for m in models] == ["llama3.2:latest", "nomic-embed-text:latest"]
    forever, minute = (parse_timestamp(m["expires_at"]) for m in models)
    assert forever.year - datetime.now(timezone.utc).year >= 290
    assert minute > datetime.now(timezone.utc)
    assert models[0]["context_length"] == 8192
    assert models[0]["size_vram"] == models[0]["size"]
    assert models[0]["details"]["parent_model"] == ""


# -- recording --------------------------------------------------------------------------------


def test_requests_are_recorded(server: FakeOllamaServer, client: httpx.Client) -> None:
    """Each request is recorded with method, path, lower-case headers, raw body and JSON."""
    client.post(
        "/api/chat?x=1",
        json={"model": "llama3.2", "messages": USER_HI},
        headers={"X-Trace": "abc"},
    )
    client.get("/api/tags")
    first, second = server.requests
    assert (first.method, first.path, first.query) == ("POST", "/api/chat", "x=1")
    assert first.headers["x-trace"] == "abc"
    assert first.headers["content-type"] == "application/json"
    assert first.json == {"model": "llama3.2", "messages": USER_HI}
    assert json.loads(first.body) == first.json
    assert (second.method, second.path, second.body, second.json) == ("GET", "/api/tags", b"", None)
    server.clear_requests()
    assert server.requests == []


# -- fault switches ---------------------------------------------------------------------------


def test_busy_answers_503_with_retry_after(server: FakeOllamaServer, client: httpx.Client) -> None:
    """busy(n) gives n 503s with Ollama's message (two spaces) and Retry-After, then recovers."""
    server.faults.busy(2, retry_after="1")
    assert server.faults.pending == 2
    for _ in range(2):
        response = client.post("/api/generate", json={"model": "llama3.2", "prompt": "x"})
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert response.json() == {"error": BUSY}
    assert server.faults.pending == 0
    ok = client.post("/api/generate", json={"model": "llama3.2", "prompt": "x", "stream": False})
    assert ok.status_code == 200
    assert "retry-after" not in ok.headers
    assert server.stats.connections_opened == 1


def test_busy_without_retry_after(server: FakeOllamaServer, client: httpx.Client) -> None:
    """busy() without retry_after sends no Retry-After header."""
    server.faults.busy(1)
    response = client.get("/api/tags")
    assert response.status_code == 503
    assert "retry-after" not in response.headers


def test_fail_next_sends_the_given_response(server: FakeOllamaServer, client: httpx.Client) -> None:
    """fail_next sends status, body, content type and headers verbatim and changes nothing."""
    server.faults.fail_next(1, 500, "boom", content_type="text/plain", headers={"X-Fault": "1"})
    response = client.post("/api/pull", json={"model": "mistral", "stream": False})
    assert response.status_code == 500
    assert response.text == "boom"
    assert response.headers["content-type"] == "text/plain"
    assert response.headers["x-fault"] == "1"
    assert "mistral:latest" not in tag_names(client)
    assert server.requests[0].path == "/api/pull"


@pytest.mark.parametrize(
    ("body", "status", "content_type", "request_body", "expected_type"),
    [
        (b"<html><body>502 Bad Gateway</body></html>", 502, "text/html", None, "text/html"),
        (
            b"\xff\xfe not utf-8\n",
            200,
            None,
            {"model": "llama3.2", "prompt": "x"},
            "application/x-ndjson",
        ),
        (
            b'{"response":"' + b"a" * 100_000 + b'"}',
            200,
            None,
            {"model": "llama3.2", "stream": False},
            "application/json; charset=utf-8",
        ),
    ],
)
def test_garbage_replaces_the_body(
    server: FakeOllamaServer,
    client: httpx.Client,
    body: bytes,
    status: int,
    content_type: str | None,
    request_body: dict[str, Any] | None,
    expected_type: str,
) -> None:
    """garbage() sends its bytes verbatim with a correct Content-Length."""
    server.faults.garbage(body, status=status, content_type=content_type)
    response = client.post("/api/generate", json=request_body or {"model": "llama3.2"})
    assert response.status_code == status
    assert response.content == body
    assert response.headers["content-length"] == str(len(body))
    assert response.headers["content-type"] == expected_type


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/generate", {"model": "llama3.2", "prompt": "one two three four five"}),
        ("/api/chat", {"model": "llama3.2", "messages": USER_HI}),
        ("/api/pull", {"model": "mistral"}),
    ],
)
def test_error_mid_stream(
    server: FakeOllamaServer, client: httpx.Client, path: str, body: dict[str, Any]
) -> None:
    """error_mid_stream(n): n normal lines, then {"error": ...}, HTTP 200, no done line."""
    server.faults.error_mid_stream(3)
    response = client.post(path, json=body)
    assert response.status_code == 200
    lines = ndjson(response)
    assert len(lines) == 4
    assert lines[-1] == {"error": "an error was encountered while running the model"}
    assert all("error" not in line and line.get("done") is not True for line in lines[:-1])
    assert "mistral:latest" not in tag_names(client)
    assert server.stats.connections_opened == 1


def test_error_mid_stream_custom_message_and_clamping(
    server: FakeOllamaServer, client: httpx.Client
) -> None:
    """A large `after` is clamped: the error replaces the final done line."""
    server.faults.error_mid_stream(10_000, message="runner crashed")
    lines = ndjson(client.post("/api/generate", json={"model": "llama3.2", "prompt": "x"}))
    assert lines[-1] == {"error": "runner crashed"}
    assert len(lines) - 1 == len(FakeOllamaServer.reply_for("x").split(" "))


def test_stream_faults_skip_plain_responses(server: FakeOllamaServer, client: httpx.Client) -> None:
    """Stream faults wait for the next NDJSON stream; plain JSON responses don't use them."""
    server.faults.truncate_stream(1)
    assert client.get("/api/tags").status_code == 200
    assert client.post("/api/generate", json={"model": "llama3.2"}).json()["done"] is True
    assert server.faults.pending == 1
    lines = ndjson(client.post("/api/generate", json={"model": "llama3.2", "prompt": "x"}))
    assert len(lines) == 1
    assert server.faults.pending == 0


def test_drop_mid_stream_breaks_the_body(server: FakeOllamaServer, client: httpx.Client) -> None:
    """drop_mid_stream(n): n lines arrive, then the connection closes mid-body."""
    server.faults.drop_mid_stream(2)
    received: list[str] = []
    with (  # noqa: PT012
        pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)),
        client.stream(
            "POST", "/api/generate", json={"model": "llama3.2", "prompt": "a b c d"}
        ) as response,
    ):
        assert response.status_code == 200
        received.extend(response.iter_lines())
    assert len(received) <= 2
    assert server.wait_for_idle(timeout=5.0)
    assert client.get("/").status_code == 200
    assert server.stats.connections_opened == 2


def test_truncate_stream_ends_cleanly_without_done(
    server: FakeOllamaServer, client: httpx.Client
) -> None:
    """truncate_stream(n): n lines, a clean end of body, and the connection stays usable."""
    server.faults.truncate_stream(2)
    lines = ndjson(client.post("/api/chat", json={"model": "llama3.2", "messages": USER_HI}))
    assert len(lines) == 2
    assert all(line["done"] is False for line in lines)
    assert client.get("/api/version").status_code == 200
    assert server.stats.connections_opened == 1


def test_stall_is_released_by_release(server: FakeOllamaServer) -> None:
    """stall(): the client times out reading; after release() the server answers again."""
    server.faults.stall()
    with make_client(server, timeout=httpx.Timeout(10.0, read=0.2)) as http:
        with pytest.raises(httpx.ReadTimeout):
            http.get("/api/tags")
        server.faults.release()
        assert server.wait_for_idle(timeout=5.0)
        assert http.get("/api/tags").status_code == 200


def test_stall_after_headers(server: FakeOllamaServer) -> None:
    """stall(after_headers=True): status and headers arrive, the body waits for release()."""
    server.faults.stall(after_headers=True)
    with (
        make_client(server, timeout=10.0) as http,
        http.stream(
            "POST", "/api/generate", json={"model": "llama3.2", "prompt": "x", "stream": False}
        ) as response,
    ):
        assert response.status_code == 200
        server.faults.release()
        assert response.read()
        assert response.json()["done"] is True


def test_stall_mid_stream(server: FakeOllamaServer) -> None:
    """stall_mid_stream(n): n lines arrive, then nothing until release(), then the rest."""
    server.faults.stall_mid_stream(2)
    with (
        make_client(server, timeout=10.0) as http,
        http.stream("POST", "/api/generate", json={"model": "llama3.2", "prompt": "x"}) as response,
    ):
        lines = response.iter_lines()
        first = [json.loads(next(lines)) for _ in range(2)]
        assert all(line["done"] is False for line in first)
        server.faults.release()
        rest = [json.loads(line) for line in lines if line]
    assert rest[-1]["done"] is True
    assert "".join(line["response"] for line in first + rest) == FakeOllamaServer.reply_for("x")


def test_stall_mid_stream_times_out_the_client(server: FakeOllamaServer) -> None:
    """A client read timeout fires during a mid-stream stall."""
    server.faults.stall_mid_stream(1)
    with make_client(server, timeout=httpx.Timeout(10.0, read=0.2)) as http:
        with (
            pytest.raises(httpx.ReadTimeout),
            http.stream("POST", "/api/pull", json={"model": "mistral"}) as response,
        ):
            for _ in response.iter_lines():
                pass
        server.faults.release()
    assert server.wait_for_idle(timeout=5.0)


def test_reset_on_connect(server: FakeOllamaServer) -> None:
    """reset_on_connect(n): the next n connections are reset; the one after works."""
    server.faults.reset_on_connect(1)
    with make_client(server) as http:
        with pytest.raises(httpx.TransportError):
            http.get("/api/version")
        assert http.get("/api/version").status_code == 200
    stats = server.stats
    assert stats.connections_opened == 2
    assert stats.requests_handled == 1


def test_latency_delays_but_answers(server: FakeOllamaServer, client: httpx.Client) -> None:
    """latency adds a server-side delay; the response is unchanged."""
    server.faults.latency = 0.01
    assert server.faults.latency == 0.01
    assert client.get("/api/version").json() == {"version": "0.33.0"}
    with pytest.raises(ValueError, match="latency"):
        server.faults.latency = -1


def test_faults_queue_in_order_and_reset_clears(
    server: FakeOllamaServer, client: httpx.Client
) -> None:
    """Request faults apply first in, first out; reset() clears everything."""
    server.faults.busy(1)
    server.faults.fail_next(1, 418, b'{"error":"teapot"}')
    assert client.get("/").status_code == 503
    assert client.get("/").status_code == 418
    assert client.get("/").status_code == 200
    server.faults.busy(3)
    server.faults.drop_mid_stream(0)
    server.faults.reset_on_connect(2)
    server.faults.latency = 5.0
    server.faults.reset()
    assert server.faults.pending == 0
    assert server.faults.latency == 0.0
    assert client.get("/").status_code == 200


BAD_FAULTS: list[Callable[[Faults], None]] = [
    lambda faults: faults.busy(-1),
    lambda faults: faults.fail_next(1, 1000, b""),
    lambda faults: faults.garbage(b"", status=99),
    lambda faults: faults.error_mid_stream(-1),
    lambda faults: faults.reset_on_connect(-2),
]


@pytest.mark.parametrize("arm", BAD_FAULTS)
def test_fault_arguments_are_validated(arm: Callable[[Faults], None]) -> None:
    """Negative counts and impossible statuses raise ValueError."""
    with pytest.raises(ValueError, match="must be"):
        arm(Faults())


# -- concurrency ------------------------------------------------------------------------------


def test_many_threads_share_the_server(server: FakeOllamaServer) -> None:
    """Concurrent clients get correct answers and every request is counted."""
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            with make_client(server, timeout=30.0) as http:
                for call in range(25):
                    prompt = f"w{index} c{call}"
                    reply = http.post(
                        "/api/generate",
                        json={"model": "llama3.2", "prompt": prompt, "stream": False},
                    ).json()
                    assert reply["response"] == FakeOllamaServer.reply_for(prompt)
        except BaseException as error:  # collected and re-raised in the main thread
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert server.stats.requests_handled == 200
    assert server.stats.connections_opened == 8
    assert server.wait_for_idle(timeout=5.0)


@pytest.mark.anyio
async def test_concurrent_async_streams(server: FakeOllamaServer) -> None:
    """100 concurrent streams over httpx.AsyncClient all complete."""
    limits = httpx.Limits(max_connections=100)
    results: list[str] = []
    async with httpx.AsyncClient(
        base_url=server.base_url, timeout=30.0, limits=limits, verify=PLAIN_HTTP
    ) as http:

        async def one(index: int) -> None:
            text = ""
            async with http.stream(
                "POST",
                "/api/chat",
                json={"model": "llama3.2", "messages": [{"role": "user", "content": str(index)}]},
            ) as response:
                async for line in response.aiter_lines():
                    if line:
                        text += json.loads(line)["message"]["content"]
            results.append(text)

        async with anyio.create_task_group() as group:
            for index in range(100):
                group.start_soon(one, index)
    assert sorted(results) == sorted(FakeOllamaServer.reply_for(str(i)) for i in range(100))
    assert server.stats.peak_open > 1
    assert server.wait_for_idle(timeout=5.0)
