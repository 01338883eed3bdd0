"""What a call's telemetry says, as pure functions of data the client already holds.

The attribute names follow the OpenTelemetry GenAI semantic conventions; each constant here is
equal to the one of `opentelemetry-semantic-conventions` (`tests/unit/test_genai.py` checks them
against the package, which the SDK needs only in the tests: the `otel` extra is the API alone).
Ollama's own figures, which the conventions have no names for, live under `ollama.`.

Nothing here imports OpenTelemetry: these functions build plain dicts from the request struct,
the `Operation`, the reply struct and the exception, and `_telemetry` hands them to a span.
Content (prompts, messages, completions) is built only by the `*_messages` functions, which the
recorder calls only when capture was asked for; images are never included.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final, cast

import msgspec

from ollama_service._errors import OllamaResponseError, OllamaServiceError
from ollama_service._redact import redact_url
from ollama_service.types._base import Operation

__all__ = [
    "ERROR_TYPE",
    "GEN_AI_INPUT_MESSAGES",
    "GEN_AI_OPERATION_NAME",
    "GEN_AI_OUTPUT_MESSAGES",
    "GEN_AI_PROVIDER_NAME",
    "GEN_AI_REQUEST_MODEL",
    "GEN_AI_RESPONSE_MODEL",
    "GEN_AI_SYSTEM",
    "GEN_AI_SYSTEM_INSTRUCTIONS",
    "GEN_AI_TOKEN_TYPE",
    "PROVIDER",
    "SERVER_ADDRESS",
    "SERVER_PORT",
    "Attributes",
    "error_attributes",
    "error_type",
    "input_messages",
    "metric_attributes",
    "operation_name",
    "output_messages",
    "request_attributes",
    "response_attributes",
    "span_name",
    "system_instructions",
]

Attributes = dict[str, Any]
"""Span or metric attributes: str keys, values str, bool, int, float or tuples of them."""

# --- Names of the GenAI semantic conventions (opentelemetry.semconv._incubating) ------------

GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME: Final = "gen_ai.provider.name"
# Replaced by gen_ai.provider.name in semantic-conventions 0.58b0 (conventions 1.37); still set,
# with the same value, for back-ends and dashboards that read the older name.
GEN_AI_SYSTEM: Final = "gen_ai.system"
GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
GEN_AI_REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
GEN_AI_REQUEST_TOP_P: Final = "gen_ai.request.top_p"
GEN_AI_REQUEST_TOP_K: Final = "gen_ai.request.top_k"
GEN_AI_REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_SEED: Final = "gen_ai.request.seed"
GEN_AI_REQUEST_STOP_SEQUENCES: Final = "gen_ai.request.stop_sequences"
GEN_AI_REQUEST_FREQUENCY_PENALTY: Final = "gen_ai.request.frequency_penalty"
GEN_AI_REQUEST_PRESENCE_PENALTY: Final = "gen_ai.request.presence_penalty"
GEN_AI_REQUEST_STREAM: Final = "gen_ai.request.stream"
GEN_AI_OUTPUT_TYPE: Final = "gen_ai.output.type"
GEN_AI_RESPONSE_MODEL: Final = "gen_ai.response.model"
GEN_AI_RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"
GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
GEN_AI_EMBEDDINGS_DIMENSION_COUNT: Final = "gen_ai.embeddings.dimension.count"
GEN_AI_INPUT_MESSAGES: Final = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS: Final = "gen_ai.system_instructions"
GEN_AI_TOKEN_TYPE: Final = "gen_ai.token.type"
SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"
ERROR_TYPE: Final = "error.type"
HTTP_RESPONSE_STATUS_CODE: Final = "http.response.status_code"

# The value of gen_ai.provider.name: lower case, like the conventions' own values.
PROVIDER: Final = "ollama"

# --- Our own namespace, for what only Ollama reports ----------------------------------------

OLLAMA_TOTAL_DURATION: Final = "ollama.response.total_duration"
OLLAMA_LOAD_DURATION: Final = "ollama.response.load_duration"
OLLAMA_PROMPT_EVAL_DURATION: Final = "ollama.response.prompt_eval_duration"
OLLAMA_EVAL_DURATION: Final = "ollama.response.eval_duration"
OLLAMA_ATTEMPTS: Final = "ollama.request.attempts"
OLLAMA_STREAM_ITEMS: Final = "ollama.stream.items"
OLLAMA_STREAM_COMPLETED: Final = "ollama.stream.completed"
OLLAMA_TIMEOUT_PHASE: Final = "ollama.timeout.phase"
OLLAMA_RETRY_EVENT: Final = "ollama.retry"
OLLAMA_RETRY_ATTEMPT: Final = "ollama.retry.attempt"
OLLAMA_RETRY_DELAY: Final = "ollama.retry.delay"
OLLAMA_RETRY_REASON: Final = "ollama.retry.reason"

# Ollama's runtime option -> the conventions' request attribute.
_OPTION_ATTRIBUTES: Final = (
    ("temperature", GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", GEN_AI_REQUEST_TOP_P),
    ("top_k", GEN_AI_REQUEST_TOP_K),
    ("num_predict", GEN_AI_REQUEST_MAX_TOKENS),
    ("seed", GEN_AI_REQUEST_SEED),
    ("stop", GEN_AI_REQUEST_STOP_SEQUENCES),
    ("frequency_penalty", GEN_AI_REQUEST_FREQUENCY_PENALTY),
    ("presence_penalty", GEN_AI_REQUEST_PRESENCE_PENALTY),
)

# Ollama's durations (nanoseconds) -> ours, in seconds as OpenTelemetry measures time.
_DURATIONS: Final = (
    ("total_duration", OLLAMA_TOTAL_DURATION),
    ("load_duration", OLLAMA_LOAD_DURATION),
    ("prompt_eval_duration", OLLAMA_PROMPT_EVAL_DURATION),
    ("eval_duration", OLLAMA_EVAL_DURATION),
)

# The attributes a metric point carries (the conventions' list for the client metrics).
_METRIC_KEYS: Final = (
    GEN_AI_OPERATION_NAME,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_REQUEST_MODEL,
    SERVER_ADDRESS,
    SERVER_PORT,
)


def _is_set(value: object) -> bool:
    return value is not None and value is not msgspec.UNSET


def _as_list(value: object) -> list[object]:
    return cast("list[object]", value) if isinstance(value, list) else []


def _field(obj: object, name: str) -> Any:
    """A struct field or mapping key, or None when it is absent or unset."""
    if obj is None or obj is msgspec.UNSET:
        return None
    if isinstance(obj, Mapping):
        value: Any = cast("Mapping[str, Any]", obj).get(name)
    else:
        value = getattr(obj, name, None)
    return value if _is_set(value) else None


def operation_name(op: Operation[Any]) -> str:
    """`gen_ai.operation.name`: the spec's `x-genai-operation`, else the operationId."""
    return op.genai_operation or op.name


def span_name(op: Operation[Any], model: str | None) -> str:
    """`{operation} {model}` as the conventions ask (`chat llama3.2`), or the operation alone."""
    name = operation_name(op)
    return f"{name} {model}" if model else name


def request_attributes(
    op: Operation[Any],
    request: object,
    model: str | None,
    *,
    stream: bool,
    address: str | None,
    port: int | None,
) -> Attributes:
    """The span's attributes known before sending: operation, model, server, sampling options.

    Args:
        op: The endpoint.
        request: The request struct (or None for calls without a body); its `options` give
            the sampling parameters the conventions name, `format` the output type.
        model: The model the call names, if any.
        stream: Whether the reply is streamed.
        address: The server's host name or address.
        port: The server's port.
    """
    attrs: Attributes = {
        GEN_AI_OPERATION_NAME: operation_name(op),
        GEN_AI_PROVIDER_NAME: PROVIDER,
        GEN_AI_SYSTEM: PROVIDER,
    }
    if model:
        attrs[GEN_AI_REQUEST_MODEL] = model
    if address:
        attrs[SERVER_ADDRESS] = address
    if port is not None:
        attrs[SERVER_PORT] = port
    if op.stream_field is not None:
        attrs[GEN_AI_REQUEST_STREAM] = stream
    options = _field(request, "options")
    if options is not None:
        for key, name in _OPTION_ATTRIBUTES:
            value = _field(options, key)
            if value is None:
                continue
            if key == "stop":
                value = (value,) if isinstance(value, str) else tuple(map(str, _as_list(value)))
            attrs[name] = value
    if _field(request, "format") is not None:
        attrs[GEN_AI_OUTPUT_TYPE] = "json"
    return attrs


def response_attributes(response: object) -> Attributes:
    """What the reply (or a stream's final item) tells: model, finish reason, tokens, timings."""
    attrs: Attributes = {}
    model = _field(response, "model")
    if isinstance(model, str) and model:
        attrs[GEN_AI_RESPONSE_MODEL] = model
    reason = _field(response, "done_reason")
    if isinstance(reason, str) and reason:
        attrs[GEN_AI_RESPONSE_FINISH_REASONS] = (reason,)
    input_tokens = _field(response, "prompt_eval_count")
    if isinstance(input_tokens, int):
        attrs[GEN_AI_USAGE_INPUT_TOKENS] = input_tokens
    output_tokens = _field(response, "eval_count")
    if isinstance(output_tokens, int):
        attrs[GEN_AI_USAGE_OUTPUT_TOKENS] = output_tokens
    for key, name in _DURATIONS:
        nanoseconds = _field(response, key)
        if isinstance(nanoseconds, int):
            attrs[name] = nanoseconds / 1e9
    vectors = _as_list(_field(response, "embeddings"))
    vector = vectors[0] if vectors else _field(response, "embedding")
    if isinstance(vector, list):
        attrs[GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = len(cast("list[float]", vector))
    return attrs


def error_type(exc: BaseException) -> str:
    """`error.type`: our exception's class name, else the fully qualified class name."""
    cls = type(exc)
    if isinstance(exc, OllamaServiceError) or cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def error_attributes(exc: BaseException) -> Attributes:
    """`error.type`, and the HTTP status or timeout phase when the error has one."""
    attrs: Attributes = {ERROR_TYPE: error_type(exc)}
    if isinstance(exc, OllamaResponseError) and exc.status_code > 0:
        attrs[HTTP_RESPONSE_STATUS_CODE] = exc.status_code
    phase = getattr(exc, "phase", None)
    if isinstance(phase, str):
        attrs[OLLAMA_TIMEOUT_PHASE] = phase
    return attrs


def error_description(exc: BaseException) -> str:
    """The span status description: the message, with any URL password masked."""
    return redact_url(str(exc)) or error_type(exc)


def metric_attributes(span_attributes: Mapping[str, Any]) -> Attributes:
    """The subset of a span's attributes that metric points carry (low cardinality)."""
    attrs = {k: span_attributes[k] for k in _METRIC_KEYS if k in span_attributes}
    for key in (GEN_AI_RESPONSE_MODEL, ERROR_TYPE):
        if key in span_attributes:
            attrs[key] = span_attributes[key]
    return attrs


def retry_attributes(attempt: int, delay: float, error: BaseException) -> Attributes:
    """The `ollama.retry` span event: which attempt failed, the wait, and why."""
    return {
        OLLAMA_RETRY_ATTEMPT: attempt,
        OLLAMA_RETRY_DELAY: delay,
        ERROR_TYPE: error_type(error),
        OLLAMA_RETRY_REASON: error_description(error),
    }


# --- Content, built only when capture is on --------------------------------------------------


def _text_parts(text: object) -> list[dict[str, Any]]:
    return [{"type": "text", "content": text}] if isinstance(text, str) and text else []


def _tool_call_parts(calls: object) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for call in _as_list(calls):
        function = _field(call, "function")
        part: dict[str, Any] = {"type": "tool_call", "name": _field(function, "name") or ""}
        call_id = _field(call, "id")
        if call_id is not None:
            part["id"] = call_id
        part["arguments"] = _field(function, "arguments") or {}
        parts.append(part)
    return parts


def _message(message: object) -> dict[str, Any]:
    role = _field(message, "role") or "user"
    if role == "tool":
        part: dict[str, Any] = {
            "type": "tool_call_response",
            "response": _field(message, "content"),
        }
        call_id = _field(message, "tool_call_id")
        if call_id is not None:
            part["id"] = call_id
        return {"role": role, "parts": [part]}
    parts = [
        *(
            [{"type": "reasoning", "content": _field(message, "thinking")}]
            if _field(message, "thinking")
            else []
        ),
        *_text_parts(_field(message, "content")),
        *_tool_call_parts(_field(message, "tool_calls")),
    ]
    return {"role": role, "parts": parts}


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def input_messages(request: object) -> str | None:
    """`gen_ai.input.messages` as the conventions' JSON: a chat's history, or the prompt."""
    messages: object = _field(request, "messages")
    if isinstance(messages, list):
        return _dumps([_message(m) for m in cast("list[object]", messages)])
    prompt = _field(request, "prompt")
    if prompt is None:
        prompt = _field(request, "input")
    if isinstance(prompt, str):
        return _dumps([{"role": "user", "parts": _text_parts(prompt)}])
    if isinstance(prompt, list):
        texts = cast("list[object]", prompt)
        parts = [part for text in texts for part in _text_parts(text)]
        return _dumps([{"role": "user", "parts": parts}])
    return None


def system_instructions(request: object) -> str | None:
    """`gen_ai.system_instructions`: generate's `system` prompt, when one is given."""
    system = _field(request, "system")
    return _dumps(_text_parts(system)) if isinstance(system, str) and system else None


def output_messages(
    text: str, thinking: str, tool_calls: Sequence[object], finish_reason: str | None
) -> str:
    """`gen_ai.output.messages`: the reply, assembled from one response or a stream's pieces."""
    parts = [
        *([{"type": "reasoning", "content": thinking}] if thinking else []),
        *_text_parts(text),
        *_tool_call_parts(list(tool_calls)),
    ]
    message: dict[str, Any] = {"role": "assistant", "parts": parts}
    message["finish_reason"] = finish_reason or ""
    return _dumps([message])


def output_pieces(item: object) -> tuple[str, str, list[Any]]:
    """(text, thinking, tool calls) of one reply or stream item, for `output_messages`."""
    message = _field(item, "message")
    source = message if message is not None else item
    text = _field(source, "content") if message is not None else _field(item, "response")
    calls = _field(source, "tool_calls")
    return (
        text if isinstance(text, str) else "",
        _field(source, "thinking") or "",
        _as_list(calls),
    )
