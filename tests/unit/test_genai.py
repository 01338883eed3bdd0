"""The telemetry's pure layer (ollama_service._genai): names, attributes, content, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as semconv_gen_ai
from opentelemetry.semconv._incubating.metrics import gen_ai_metrics as semconv_metrics
from opentelemetry.semconv.attributes import (
    error_attributes,
    http_attributes as semconv_http,
    server_attributes,
)

from ollama_service import _genai as g, _telemetry
from ollama_service._errors import (
    OllamaConnectionError,
    OllamaModelNotFoundError,
    OllamaServerBusyError,
    OllamaStreamError,
    OllamaTimeoutError,
)
from ollama_service.types import (
    ChatRequest,
    ChatResponse,
    EmbeddingsResponse,
    EmbedRequest,
    EmbedResponse,
    GenerateRequest,
    GenerateResponse,
    Message,
    Options,
    ToolCall,
    ToolCallFunction,
)
from ollama_service.types._operations import CHAT, GENERATE, LIST, OPERATIONS, PULL

# Each of our names -> the module of opentelemetry-semantic-conventions that defines it.
SEMCONV_NAMES = [
    (name, module)
    for module, names in [
        (
            semconv_gen_ai,
            [
                "GEN_AI_OPERATION_NAME",
                "GEN_AI_PROVIDER_NAME",
                "GEN_AI_SYSTEM",
                "GEN_AI_REQUEST_MODEL",
                "GEN_AI_REQUEST_TEMPERATURE",
                "GEN_AI_REQUEST_TOP_P",
                "GEN_AI_REQUEST_TOP_K",
                "GEN_AI_REQUEST_MAX_TOKENS",
                "GEN_AI_REQUEST_SEED",
                "GEN_AI_REQUEST_STOP_SEQUENCES",
                "GEN_AI_REQUEST_FREQUENCY_PENALTY",
                "GEN_AI_REQUEST_PRESENCE_PENALTY",
                "GEN_AI_REQUEST_STREAM",
                "GEN_AI_OUTPUT_TYPE",
                "GEN_AI_RESPONSE_MODEL",
                "GEN_AI_RESPONSE_FINISH_REASONS",
                "GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK",
                "GEN_AI_USAGE_INPUT_TOKENS",
                "GEN_AI_USAGE_OUTPUT_TOKENS",
                "GEN_AI_EMBEDDINGS_DIMENSION_COUNT",
                "GEN_AI_INPUT_MESSAGES",
                "GEN_AI_OUTPUT_MESSAGES",
                "GEN_AI_SYSTEM_INSTRUCTIONS",
                "GEN_AI_TOKEN_TYPE",
            ],
        ),
        (server_attributes, ["SERVER_ADDRESS", "SERVER_PORT"]),
        (error_attributes, ["ERROR_TYPE"]),
        (semconv_http, ["HTTP_RESPONSE_STATUS_CODE"]),
    ]
    for name in names
]


@pytest.mark.parametrize(("name", "module"), SEMCONV_NAMES, ids=[n for n, _ in SEMCONV_NAMES])
def test_attribute_names_are_the_conventions(name: str, module: Any) -> None:
    assert getattr(g, name) == getattr(module, name)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("gen_ai.client.operation.duration", "GEN_AI_CLIENT_OPERATION_DURATION"),
        ("gen_ai.client.token.usage", "GEN_AI_CLIENT_TOKEN_USAGE"),
        (
            "gen_ai.client.operation.time_to_first_chunk",
            "GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK",
        ),
    ],
)
def test_metric_names_are_the_conventions(ours: str, theirs: str) -> None:
    assert getattr(semconv_metrics, theirs) == ours
    source = Path(_telemetry.__file__).read_text(encoding="utf-8")
    assert f'"{ours}"' in source


def test_every_operation_has_a_genai_name() -> None:
    names = {op.name: g.operation_name(op) for op in OPERATIONS.values()}
    assert names["generate"] == "text_completion"
    assert names["chat"] == "chat"
    assert names["embed"] == names["embeddings"] == "embeddings"
    assert all(name and " " not in name for name in names.values())


@pytest.mark.parametrize(
    ("op", "model", "name"),
    [
        (CHAT, "llama3.2", "chat llama3.2"),
        (GENERATE, "m:7b", "text_completion m:7b"),
        (LIST, None, "list_models"),
    ],
)
def test_span_name(op: Any, model: str | None, name: str) -> None:
    assert g.span_name(op, model) == name


BASE = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "ollama",
    "gen_ai.system": "ollama",
}

REQUESTS: list[tuple[str, Any, Any, dict[str, Any]]] = [
    ("no-options", CHAT, ChatRequest(model="m", messages=[]), {}),
    (
        "every-option",
        CHAT,
        ChatRequest(
            model="m",
            messages=[],
            options=Options(
                temperature=0.1,
                top_p=0.2,
                top_k=3,
                num_predict=4,
                seed=5,
                stop=["a", "b"],
                frequency_penalty=0.6,
                presence_penalty=0.7,
                num_ctx=4096,
            ),
        ),
        {
            "gen_ai.request.temperature": 0.1,
            "gen_ai.request.top_p": 0.2,
            "gen_ai.request.top_k": 3,
            "gen_ai.request.max_tokens": 4,
            "gen_ai.request.seed": 5,
            "gen_ai.request.stop_sequences": ("a", "b"),
            "gen_ai.request.frequency_penalty": 0.6,
            "gen_ai.request.presence_penalty": 0.7,
        },
    ),
    (
        "options-as-a-dict",
        CHAT,
        {"options": {"temperature": 0.5, "stop": "x", "seed": None}},
        {"gen_ai.request.temperature": 0.5, "gen_ai.request.stop_sequences": ("x",)},
    ),
    (
        "json-format",
        CHAT,
        ChatRequest(model="m", messages=[], format="json"),
        {"gen_ai.output.type": "json"},
    ),
    ("no-request", CHAT, None, {}),
]


@pytest.mark.parametrize(
    ("case", "op", "request_", "extra"), REQUESTS, ids=[c for c, *_ in REQUESTS]
)
def test_request_attributes(case: str, op: Any, request_: Any, extra: dict[str, Any]) -> None:
    got = g.request_attributes(op, request_, "m", stream=True, address="h", port=1)
    expected = {
        **BASE,
        "gen_ai.request.model": "m",
        "server.address": "h",
        "server.port": 1,
        "gen_ai.request.stream": True,
        **extra,
    }
    assert got == expected


def test_request_attributes_without_model_server_or_stream_flag() -> None:
    got = g.request_attributes(LIST, None, None, stream=False, address=None, port=None)
    assert got == {**BASE, "gen_ai.operation.name": "list_models"}
    assert "gen_ai.request.stream" in g.request_attributes(
        PULL, None, "m", stream=False, address=None, port=None
    )


RESPONSES: list[tuple[str, Any, dict[str, Any]]] = [
    (
        "generate-final",
        GenerateResponse(
            model="m",
            done=True,
            done_reason="length",
            prompt_eval_count=3,
            eval_count=4,
            total_duration=2_000_000_000,
            load_duration=1_000,
            prompt_eval_duration=500_000,
            eval_duration=1_500_000_000,
        ),
        {
            "gen_ai.response.model": "m",
            "gen_ai.response.finish_reasons": ("length",),
            "gen_ai.usage.input_tokens": 3,
            "gen_ai.usage.output_tokens": 4,
            "ollama.response.total_duration": 2.0,
            "ollama.response.load_duration": 1e-6,
            "ollama.response.prompt_eval_duration": 0.0005,
            "ollama.response.eval_duration": 1.5,
        },
    ),
    (
        "chunk",
        ChatResponse(model="m", message=Message(role="assistant")),
        {"gen_ai.response.model": "m"},
    ),
    ("empty-model", GenerateResponse(model=""), {}),
    (
        "embed",
        EmbedResponse(model="e", embeddings=[[0.1, 0.2, 0.3]], prompt_eval_count=2),
        {
            "gen_ai.response.model": "e",
            "gen_ai.usage.input_tokens": 2,
            "gen_ai.embeddings.dimension.count": 3,
        },
    ),
    (
        "legacy-embeddings",
        EmbeddingsResponse(embedding=[0.5, 0.5]),
        {"gen_ai.embeddings.dimension.count": 2},
    ),
    ("nothing", None, {}),
]


@pytest.mark.parametrize(
    ("case", "response", "expected"), RESPONSES, ids=[c for c, *_ in RESPONSES]
)
def test_response_attributes(case: str, response: Any, expected: dict[str, Any]) -> None:
    assert g.response_attributes(response) == expected


def _timeout() -> OllamaTimeoutError:
    return OllamaTimeoutError("Timed out", url="http://h:1", phase="connect")


ERRORS: list[tuple[BaseException, dict[str, Any]]] = [
    (
        OllamaModelNotFoundError("model 'x' not found", 404, model="x"),
        {"error.type": "OllamaModelNotFoundError", "http.response.status_code": 404},
    ),
    (
        OllamaServerBusyError("busy"),
        {"error.type": "OllamaServerBusyError", "http.response.status_code": 503},
    ),
    (
        OllamaStreamError("runner failed"),
        {"error.type": "OllamaStreamError", "http.response.status_code": 200},
    ),
    (OllamaConnectionError("refused", url="http://h:1"), {"error.type": "OllamaConnectionError"}),
    (_timeout(), {"error.type": "OllamaTimeoutError", "ollama.timeout.phase": "connect"}),
    (KeyError("k"), {"error.type": "KeyError"}),
    (httpx.ReadError("x"), {"error.type": "httpx.ReadError"}),
]


@pytest.mark.parametrize(("error", "expected"), ERRORS, ids=[type(e).__name__ for e, _ in ERRORS])
def test_error_attributes(error: BaseException, expected: dict[str, Any]) -> None:
    assert g.error_attributes(error) == expected


def test_error_description_masks_passwords() -> None:
    error = OllamaConnectionError(
        "Could not connect to http://me:hunter2@h:1", url="http://me:hunter2@h:1"
    )
    assert "hunter2" not in g.error_description(error)
    assert "hunter2" not in str(g.retry_attributes(1, 0.5, error))


def test_metric_attributes_keep_only_low_cardinality_keys() -> None:
    span = {
        **BASE,
        "gen_ai.request.model": "m",
        "server.address": "h",
        "server.port": 1,
        "gen_ai.response.model": "m",
        "error.type": "X",
        "gen_ai.usage.input_tokens": 3,
        "gen_ai.request.temperature": 0.1,
        "gen_ai.input.messages": "[...]",
    }
    assert g.metric_attributes(span) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "ollama",
        "gen_ai.request.model": "m",
        "server.address": "h",
        "server.port": 1,
        "gen_ai.response.model": "m",
        "error.type": "X",
    }


def test_input_messages_of_a_chat_with_tools() -> None:
    call = ToolCall(id="c1", function=ToolCallFunction(name="add", arguments={"a": 1}))
    request = ChatRequest(
        model="m",
        messages=[
            Message(role="system", content="be terse"),
            Message(role="user", content="1+1?", images=["aGVsbG8="]),
            Message(role="assistant", content="", thinking="hmm", tool_calls=[call]),
            Message(role="tool", content="2", tool_call_id="c1"),
        ],
    )
    got = json.loads(g.input_messages(request) or "")
    assert got == [
        {"role": "system", "parts": [{"type": "text", "content": "be terse"}]},
        # Images are never recorded.
        {"role": "user", "parts": [{"type": "text", "content": "1+1?"}]},
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": "hmm"},
                {"type": "tool_call", "name": "add", "id": "c1", "arguments": {"a": 1}},
            ],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "response": "2", "id": "c1"}]},
    ]


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (
            GenerateRequest(model="m", prompt="hi"),
            [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}],
        ),
        (GenerateRequest(model="m"), None),
        (
            EmbedRequest(model="m", input=["a", "b"]),
            [
                {
                    "role": "user",
                    "parts": [{"type": "text", "content": "a"}, {"type": "text", "content": "b"}],
                }
            ],
        ),
        (
            EmbedRequest(model="m", input="a"),
            [{"role": "user", "parts": [{"type": "text", "content": "a"}]}],
        ),
    ],
)
def test_input_messages_of_prompts(request_: Any, expected: Any) -> None:
    got = g.input_messages(request_)
    assert (None if got is None else json.loads(got)) == expected


def test_system_instructions() -> None:
    assert (
        g.system_instructions(GenerateRequest(model="m", system="s"))
        == '[{"type":"text","content":"s"}]'
    )
    assert g.system_instructions(GenerateRequest(model="m")) is None
    assert g.system_instructions(ChatRequest(model="m", messages=[])) is None


def test_output_messages_and_pieces() -> None:
    chat = ChatResponse(model="m", message=Message(role="assistant", content="hi", thinking="t"))
    assert g.output_pieces(chat) == ("hi", "t", [])
    assert g.output_pieces(GenerateResponse(response="yo")) == ("yo", "", [])
    out = json.loads(g.output_messages("hi", "t", [], "stop"))
    assert out == [
        {
            "role": "assistant",
            "parts": [{"type": "reasoning", "content": "t"}, {"type": "text", "content": "hi"}],
            "finish_reason": "stop",
        }
    ]


def test_unset_fields_count_as_absent() -> None:
    assert g.response_attributes(GenerateResponse()) == {}
    unset = GenerateRequest(model="m", options=msgspec.UNSET, format=msgspec.UNSET)
    assert g.request_attributes(GENERATE, unset, "m", stream=False, address=None, port=None) == {
        **BASE,
        "gen_ai.operation.name": "text_completion",
        "gen_ai.request.model": "m",
        "gen_ai.request.stream": False,
    }
