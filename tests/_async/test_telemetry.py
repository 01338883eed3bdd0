"""OpenTelemetry spans and metrics of `AsyncClient` and `OllamaService` against `FakeOllamaServer`.

Each test gets its own SDK tracer and meter providers (an in-memory span exporter and metric
reader) passed in `Telemetry`, so nothing global is configured. Covered: every endpoint's span
name and attributes, streams (the span lasts until the end, a close or a failure), retries as
span events, every error class with `error.type` and status, content capture off and on,
`traceparent` injection, the three histograms, and that no secret reaches any attribute.

`tests/_sync/test_telemetry.py` is generated from this file, so `Client` and
`SyncOllamaService` are held to the same assertions.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from ollama_service import (
    AsyncClient,
    OllamaConnectionError,
    OllamaDecodeError,
    OllamaModelNotFoundError,
    OllamaResponseError,
    OllamaServerBusyError,
    OllamaService,
    OllamaServiceError,
    OllamaStreamError,
    OllamaTimeoutError,
    Telemetry,
)
from ollama_service.testing import FakeOllamaServer

pytestmark = pytest.mark.anyio

PROMPT = "Why is the sky blue?"
SYSTEM = "Answer in one sentence."
SECRET = "sk-telemetry-0123456789"


@dataclass
class Otel:
    """The in-memory SDK pipeline of one test."""

    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader
    telemetry: Telemetry

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def only(self) -> ReadableSpan:
        spans = self.spans()
        assert len(spans) == 1, [s.name for s in spans]
        return spans[0]

    def points(self, name: str) -> list[HistogramDataPoint]:
        data = self.reader.get_metrics_data()
        found: list[HistogramDataPoint] = []
        for resource in data.resource_metrics if data is not None else []:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found.extend(
                            p for p in metric.data.data_points if isinstance(p, HistogramDataPoint)
                        )
        return found


def make_otel(**options: Any) -> Otel:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    telemetry = Telemetry(tracer_provider=tracer_provider, meter_provider=meter_provider, **options)
    return Otel(exporter, reader, telemetry)


@pytest.fixture
def otel() -> Otel:
    return make_otel()


@pytest.fixture
def server() -> Iterator[FakeOllamaServer]:
    with FakeOllamaServer() as fake:
        yield fake


@pytest.fixture(autouse=True)
def no_otel_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "OLLAMA_OTEL_CAPTURE_CONTENT",
        "OLLAMA_OTEL_PROPAGATE",
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
    ):
        monkeypatch.delenv(name, raising=False)


def make_client(url: str, telemetry: Telemetry | bool, **options: Any) -> AsyncClient:
    """A client whose retries do not wait."""
    return AsyncClient(
        url, telemetry=telemetry, retry_min_backoff=0, retry_max_backoff=0, **options
    )


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


async def drain(stream: Any, into: list[object]) -> None:
    async for item in stream:
        into.append(item)


def everything(otel: Otel) -> str:
    """Every attribute and event of every span, as one string to search for leaks."""
    parts: list[str] = []
    for span in otel.spans():
        parts.append(span.name + repr(attrs(span)))
        parts.extend(event.name + repr(dict(event.attributes or {})) for event in span.events)
        parts.append(str(span.status.description))
    return "\n".join(parts)


# --- Every endpoint -----------------------------------------------------------------------


async def call_generate(client: AsyncClient) -> object:
    return await client.generate(
        "llama3.2",
        PROMPT,
        system=SYSTEM,
        options={"temperature": 0.25, "top_p": 0.5, "top_k": 7, "num_predict": 64, "seed": 42},
    )


async def call_chat(client: AsyncClient) -> object:
    messages = [{"role": "user", "content": PROMPT}]
    return await client.chat("llama3.2", messages, options={"stop": ["\n\n", "User:"]})


async def call_embed(client: AsyncClient) -> object:
    return await client.embed("nomic-embed-text", ["one", "two"])


async def call_embeddings(client: AsyncClient) -> object:
    return await client.embeddings("nomic-embed-text", "one")


async def call_list(client: AsyncClient) -> object:
    return await client.list()


async def call_ps(client: AsyncClient) -> object:
    return await client.ps()


async def call_show(client: AsyncClient) -> object:
    return await client.show("llama3.2")


async def call_pull(client: AsyncClient) -> object:
    return await client.pull("tinyllama")


async def call_push(client: AsyncClient) -> object:
    return await client.push("llama3.2")


async def call_create(client: AsyncClient) -> object:
    return await client.create("mine", from_="llama3.2", system=SYSTEM)


async def call_copy(client: AsyncClient) -> object:
    return await client.copy("llama3.2", "llama-copy")


async def call_delete(client: AsyncClient) -> object:
    return await client.delete("llama3.2")


async def call_blob_exists(client: AsyncClient) -> object:
    return await client.blob_exists("sha256:" + "0" * 64)


async def call_create_blob(client: AsyncClient) -> object:
    return await client.create_blob(b"some bytes")


async def call_version(client: AsyncClient) -> object:
    return await client.version()


async def call_health(client: AsyncClient) -> object:
    return await client.health()


# (call, span names in order, attributes of the last span beyond the common ones)
ENDPOINTS: list[tuple[Any, list[str], dict[str, Any]]] = [
    (
        call_generate,
        ["text_completion llama3.2"],
        {
            "gen_ai.operation.name": "text_completion",
            "gen_ai.request.model": "llama3.2",
            "gen_ai.request.stream": False,
            "gen_ai.request.temperature": 0.25,
            "gen_ai.request.top_p": 0.5,
            "gen_ai.request.top_k": 7,
            "gen_ai.request.max_tokens": 64,
            "gen_ai.request.seed": 42,
            "gen_ai.response.model": "llama3.2",
            "gen_ai.response.finish_reasons": ("stop",),
        },
    ),
    (
        call_chat,
        ["chat llama3.2"],
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "llama3.2",
            "gen_ai.request.stream": False,
            "gen_ai.request.stop_sequences": ("\n\n", "User:"),
            "gen_ai.response.model": "llama3.2",
            "gen_ai.response.finish_reasons": ("stop",),
        },
    ),
    (
        call_embed,
        ["embeddings nomic-embed-text"],
        {
            "gen_ai.operation.name": "embeddings",
            "gen_ai.request.model": "nomic-embed-text",
            "gen_ai.response.model": "nomic-embed-text",
        },
    ),
    (
        call_embeddings,
        ["embeddings nomic-embed-text"],
        {"gen_ai.operation.name": "embeddings", "gen_ai.request.model": "nomic-embed-text"},
    ),
    (call_list, ["list_models"], {"gen_ai.operation.name": "list_models"}),
    (call_ps, ["list_running_models"], {"gen_ai.operation.name": "list_running_models"}),
    (call_show, ["show_model llama3.2"], {"gen_ai.request.model": "llama3.2"}),
    (
        call_pull,
        ["pull_model tinyllama"],
        {"gen_ai.operation.name": "pull_model", "gen_ai.request.stream": False},
    ),
    (call_push, ["push_model llama3.2"], {"gen_ai.operation.name": "push_model"}),
    (call_create, ["create_model mine"], {"gen_ai.operation.name": "create_model"}),
    (call_copy, ["copy_model llama3.2"], {"gen_ai.operation.name": "copy_model"}),
    (call_delete, ["delete_model llama3.2"], {"gen_ai.operation.name": "delete_model"}),
    (call_version, ["version"], {"gen_ai.operation.name": "version"}),
    (call_health, ["health"], {"gen_ai.operation.name": "health"}),
    # create_blob asks whether the server has the blob (HEAD), then uploads it.
    (
        call_create_blob,
        ["check_blob", "push_blob"],
        {"gen_ai.operation.name": "push_blob", "http.response.status_code": 201},
    ),
]


@pytest.mark.parametrize(
    ("call", "names", "expected"), ENDPOINTS, ids=[c.__name__[5:] for c, _, _ in ENDPOINTS]
)
async def test_every_endpoint_is_a_client_span(
    server: FakeOllamaServer,
    otel: Otel,
    call: Any,
    names: list[str],
    expected: dict[str, Any],
) -> None:
    async with make_client(server.base_url, otel.telemetry) as client:
        await call(client)
    spans = otel.spans()
    assert [s.name for s in spans] == names
    span = spans[-1]
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    got = attrs(span)
    host, port = server.base_url.removeprefix("http://").split(":")
    common = {
        "gen_ai.provider.name": "ollama",
        "gen_ai.system": "ollama",
        "server.address": host,
        "server.port": int(port),
        "http.response.status_code": expected.get("http.response.status_code", 200),
        "ollama.request.attempts": 1,
    }
    assert got | common == got, "a common attribute is missing or differs"
    assert {k: got.get(k) for k in expected} == expected
    assert "error.type" not in got


async def test_generation_reports_usage_and_ollama_timings(
    server: FakeOllamaServer, otel: Otel
) -> None:
    async with make_client(server.base_url, otel.telemetry) as client:
        reply = await client.generate("llama3.2", PROMPT)
    got = attrs(otel.only())
    assert got["gen_ai.usage.input_tokens"] == reply.prompt_eval_count
    assert got["gen_ai.usage.output_tokens"] == reply.eval_count
    for field in ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration"):
        nanoseconds = getattr(reply, field)
        assert isinstance(nanoseconds, int)
        assert got[f"ollama.response.{field}"] == pytest.approx(nanoseconds / 1e9)


async def test_embed_reports_the_dimension_count(server: FakeOllamaServer, otel: Otel) -> None:
    async with make_client(server.base_url, otel.telemetry) as client:
        reply = await client.embed("nomic-embed-text", "one")
    assert attrs(otel.only())["gen_ai.embeddings.dimension.count"] == len(reply.embeddings[0])


async def test_json_format_sets_the_output_type(server: FakeOllamaServer, otel: Otel) -> None:
    async with make_client(server.base_url, otel.telemetry) as client:
        await client.generate("llama3.2", PROMPT, format="json")
    assert attrs(otel.only())["gen_ai.output.type"] == "json"


# --- Streams ------------------------------------------------------------------------------


async def test_a_stream_span_lasts_until_the_stream_ends(
    server: FakeOllamaServer, otel: Otel
) -> None:
    async with make_client(server.base_url, otel.telemetry) as client:
        stream = await client.chat("llama3.2", [{"role": "user", "content": PROMPT}], stream=True)
        assert otel.spans() == []  # sent, but not read yet
        items = [item async for item in stream]
    span = otel.only()
    got = attrs(span)
    assert span.name == "chat llama3.2"
    assert got["gen_ai.request.stream"] is True
    assert got["ollama.stream.items"] == len(items)
    assert got["ollama.stream.completed"] is True
    assert got["gen_ai.response.finish_reasons"] == (items[-1].done_reason,)
    assert got["gen_ai.usage.output_tokens"] == items[-1].eval_count
    assert got["http.response.status_code"] == 200
    assert got["gen_ai.response.time_to_first_chunk"] > 0
    assert span.status.status_code is StatusCode.UNSET


async def test_a_stream_closed_early_ends_its_span_without_an_error(
    server: FakeOllamaServer, otel: Otel
) -> None:
    async with make_client(server.base_url, otel.telemetry) as client:
        stream = await client.generate("llama3.2", PROMPT, stream=True)
        async with stream:
            async for _ in stream:
                break
        assert stream.response.is_closed
    span = otel.only()
    got = attrs(span)
    assert got["ollama.stream.completed"] is False
    assert got["ollama.stream.items"] == 1
    assert "error.type" not in got
    assert span.status.status_code is StatusCode.UNSET


async def test_a_stream_closed_unread_ends_its_span(server: FakeOllamaServer, otel: Otel) -> None:
    async with make_client(server.base_url, otel.telemetry) as client:
        stream = await client.generate("llama3.2", PROMPT, stream=True)
        await stream.close()
        await stream.close()
    got = attrs(otel.only())
    assert got["ollama.stream.items"] == 0
    assert got["ollama.stream.completed"] is False
    assert "gen_ai.response.time_to_first_chunk" not in got


@pytest.mark.parametrize("fault", ["error", "truncate"])
async def test_a_failing_stream_ends_its_span_with_the_error(
    server: FakeOllamaServer, otel: Otel, fault: str
) -> None:
    if fault == "error":
        server.faults.error_mid_stream(after=2, message="runner crashed")
    else:
        server.faults.truncate_stream(after=2)
    async with make_client(server.base_url, otel.telemetry) as client:
        stream = await client.generate("llama3.2", PROMPT, stream=True)
        got_items: list[object] = []
        with pytest.raises(OllamaStreamError):
            await drain(stream, got_items)
    span = otel.only()
    got = attrs(span)
    assert got["error.type"] == "OllamaStreamError"
    assert got["ollama.stream.items"] == len(got_items) == 2
    assert span.status.status_code is StatusCode.ERROR
    assert [e.name for e in span.events] == ["exception"]
    assert span.events[0].attributes is not None
    assert span.events[0].attributes["exception.type"] == "OllamaStreamError"


async def test_the_streams_time_to_first_chunk_is_a_metric(
    server: FakeOllamaServer, otel: Otel
) -> None:
    async with make_client(server.base_url, otel.telemetry) as client:
        async for _ in await client.generate("llama3.2", PROMPT, stream=True):
            pass
        await client.generate("llama3.2", PROMPT)
    [point] = otel.points("gen_ai.client.operation.time_to_first_chunk")
    assert point.count == 1
    assert point.sum == pytest.approx(attrs(otel.spans()[0])["gen_ai.response.time_to_first_chunk"])
    assert dict(point.attributes or {})["gen_ai.operation.name"] == "text_completion"


# --- Retries and errors -------------------------------------------------------------------


async def test_retries_are_span_events(server: FakeOllamaServer, otel: Otel) -> None:
    server.faults.busy(2, retry_after="0")
    async with make_client(server.base_url, otel.telemetry) as client:
        await client.generate("llama3.2", PROMPT)
    span = otel.only()
    assert [e.name for e in span.events] == ["ollama.retry", "ollama.retry"]
    events = [dict(e.attributes or {}) for e in span.events]
    assert [(e["ollama.retry.attempt"], e["ollama.retry.delay"]) for e in events] == [
        (1, 0.0),
        (2, 0.0),
    ]
    assert {str(e["error.type"]) for e in events} == {"OllamaServerBusyError"}
    assert "server busy" in str(events[0]["ollama.retry.reason"])
    got = attrs(span)
    assert got["ollama.request.attempts"] == 3
    assert span.status.status_code is StatusCode.UNSET


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def test_a_connection_error(otel: Otel) -> None:
    async with make_client(closed_port_url(), otel.telemetry, max_retries=1) as client:
        with pytest.raises(OllamaConnectionError):
            await client.list()
    span = otel.only()
    got = attrs(span)
    assert got["error.type"] == "OllamaConnectionError"
    assert got["ollama.request.attempts"] == 2
    assert [e.name for e in span.events] == ["ollama.retry", "exception"]
    assert span.status.status_code is StatusCode.ERROR
    assert "http.response.status_code" not in got


async def test_a_timeout_names_its_phase(server: FakeOllamaServer, otel: Otel) -> None:
    server.faults.stall()
    try:
        async with make_client(server.base_url, otel.telemetry, timeout=0.05, max_retries=0) as c:
            with pytest.raises(OllamaTimeoutError):
                await c.list()
    finally:
        server.faults.release()
    got = attrs(otel.only())
    assert got["error.type"] == "OllamaTimeoutError"
    assert got["ollama.timeout.phase"] == "read"


# (set the fault, the error class, its HTTP status)
RESPONSE_ERRORS: list[tuple[str, type[OllamaServiceError], int | None]] = [
    ("not-found", OllamaModelNotFoundError, 404),
    ("busy", OllamaServerBusyError, 503),
    ("server-error", OllamaResponseError, 500),
    ("garbage", OllamaDecodeError, None),
]


@pytest.mark.parametrize(
    ("fault", "error", "status"), RESPONSE_ERRORS, ids=[f for f, _, _ in RESPONSE_ERRORS]
)
async def test_response_errors(
    server: FakeOllamaServer,
    otel: Otel,
    fault: str,
    error: type[OllamaServiceError],
    status: int | None,
) -> None:
    model = "no-such-model" if fault == "not-found" else "llama3.2"
    if fault == "busy":
        server.faults.busy(1)
    elif fault == "server-error":
        server.faults.fail_next(1, 500, '{"error":"boom"}')
    elif fault == "garbage":
        server.faults.garbage(b"<html>not json</html>")
    async with make_client(server.base_url, otel.telemetry, max_retries=0) as client:
        with pytest.raises(error) as info:
            await client.generate(model, PROMPT)
    assert type(info.value) is error
    span = otel.only()
    got = attrs(span)
    assert got["error.type"] == error.__name__
    assert got.get("http.response.status_code") == status
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description
    exception = [e for e in span.events if e.name == "exception"]
    assert len(exception) == 1
    assert dict(exception[0].attributes or {})["exception.type"] == error.__name__
    [point] = otel.points("gen_ai.client.operation.duration")
    assert dict(point.attributes or {})["error.type"] == error.__name__


async def test_bad_input_sends_nothing_and_opens_no_span(
    server: FakeOllamaServer, otel: Otel
) -> None:
    async with make_client(server.base_url, otel.telemetry) as client:
        with pytest.raises(ValueError, match="options"):
            await client.generate("llama3.2", PROMPT, options={"temperature": "hot"})
    assert otel.spans() == []
    assert server.requests == []


# --- Metrics ------------------------------------------------------------------------------


async def test_duration_and_token_usage_metrics(server: FakeOllamaServer, otel: Otel) -> None:
    async with make_client(server.base_url, otel.telemetry) as client:
        reply = await client.chat("llama3.2", [{"role": "user", "content": PROMPT}])
    [duration] = otel.points("gen_ai.client.operation.duration")
    assert duration.count == 1
    point_attrs = dict(duration.attributes or {})
    host, port = server.base_url.removeprefix("http://").split(":")
    assert point_attrs == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "ollama",
        "gen_ai.request.model": "llama3.2",
        "gen_ai.response.model": "llama3.2",
        "server.address": host,
        "server.port": int(port),
    }
    usage = {
        dict(p.attributes or {})["gen_ai.token.type"]: p.sum
        for p in otel.points("gen_ai.client.token.usage")
    }
    assert usage == {"input": reply.prompt_eval_count, "output": reply.eval_count}
    assert otel.points("gen_ai.client.operation.time_to_first_chunk") == []


# --- Content and secrets -------------------------------------------------------------------


async def test_content_is_not_captured_by_default(server: FakeOllamaServer, otel: Otel) -> None:
    async with make_client(server.base_url, otel.telemetry) as client:
        reply = await client.generate("llama3.2", PROMPT, system=SYSTEM)
        chat = await client.chat("llama3.2", [{"role": "user", "content": PROMPT}], stream=True)
        async for _ in chat:
            pass
    dumped = everything(otel)
    for text in (PROMPT, SYSTEM, reply.response):
        assert text not in dumped
    for key in ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions"):
        assert key not in dumped


async def test_content_is_captured_when_asked(server: FakeOllamaServer) -> None:
    otel = make_otel(capture_content=True)
    async with make_client(server.base_url, otel.telemetry) as client:
        reply = await client.generate("llama3.2", PROMPT, system=SYSTEM)
    got = attrs(otel.only())
    assert json.loads(got["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": PROMPT}]}
    ]
    assert json.loads(got["gen_ai.system_instructions"]) == [{"type": "text", "content": SYSTEM}]
    assert json.loads(got["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": reply.response}],
            "finish_reason": "stop",
        }
    ]


async def test_streamed_content_is_assembled_when_captured(
    server: FakeOllamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_OTEL_CAPTURE_CONTENT", "true")
    otel = make_otel()
    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": PROMPT},
    ]
    async with make_client(server.base_url, otel.telemetry) as client:
        pieces = [
            item.message.content
            async for item in await client.chat("llama3.2", messages, stream=True)
        ]
    got = attrs(otel.only())
    assert json.loads(got["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": SYSTEM}]},
        {"role": "user", "parts": [{"type": "text", "content": PROMPT}]},
    ]
    [output] = json.loads(got["gen_ai.output.messages"])
    assert output["parts"] == [{"type": "text", "content": "".join(pieces)}]


async def test_no_secret_reaches_any_attribute(server: FakeOllamaServer, otel: Otel) -> None:
    url = server.base_url.replace("http://", "http://me:hunter2@")
    server.faults.busy(1, retry_after="0")
    async with make_client(url, otel.telemetry, api_key=SECRET) as client:
        await client.list()
    with pytest.raises(OllamaConnectionError):
        async with make_client(
            closed_port_url().replace("http://", "http://me:hunter2@"),
            otel.telemetry,
            max_retries=0,
            api_key=SECRET,
        ) as client:
            await client.list()
    assert len(otel.spans()) == 2
    dumped = everything(otel)
    for secret in (SECRET, "Bearer", "hunter2"):
        assert secret not in dumped


# --- Trace context on the wire ------------------------------------------------------------


async def test_traceparent_is_sent_when_asked(server: FakeOllamaServer) -> None:
    otel = make_otel(propagate=True)
    async with make_client(server.base_url, otel.telemetry) as client:
        await client.list()
    span = otel.only()
    header = {k.lower(): v for k, v in server.requests[-1].headers.items()}["traceparent"]
    version, trace_id, span_id, _flags = header.split("-")
    assert version == "00"
    assert int(trace_id, 16) == span.context.trace_id
    assert int(span_id, 16) == span.context.span_id


async def test_no_traceparent_by_default(server: FakeOllamaServer, otel: Otel) -> None:
    async with make_client(server.base_url, otel.telemetry) as client:
        await client.list()
    assert "traceparent" not in {k.lower() for k in server.requests[-1].headers}


# --- Switched off -------------------------------------------------------------------------


async def test_telemetry_false_records_nothing(server: FakeOllamaServer, otel: Otel) -> None:
    disabled = Telemetry(
        enabled=False,
        tracer_provider=otel.telemetry.tracer_provider,
        meter_provider=otel.telemetry.meter_provider,
    )
    for telemetry in (False, disabled):
        async with make_client(server.base_url, telemetry) as client:
            await client.generate("llama3.2", PROMPT)
    assert otel.spans() == []
    assert otel.points("gen_ai.client.operation.duration") == []


# --- The service --------------------------------------------------------------------------


async def test_the_service_traces_its_calls(server: FakeOllamaServer, otel: Otel) -> None:
    async with OllamaService(
        server.base_url, default_model="llama3.2", telemetry=otel.telemetry
    ) as service:
        await service.generate(None, PROMPT, temperature=0.5)
        pieces = [
            p
            async for p in await service.chat(
                None, [{"role": "user", "content": PROMPT}], stream=True
            )
        ]
        assert pieces
        async for _ in service.pull_model("tinyllama"):
            pass
        await service.embed("nomic-embed-text", "one")
        assert await service.health_check() is True
    spans = otel.spans()
    assert [s.name for s in spans] == [
        "text_completion llama3.2",
        "chat llama3.2",
        "pull_model tinyllama",
        "embeddings nomic-embed-text",
        "health",
    ]
    assert attrs(spans[0])["gen_ai.request.temperature"] == 0.5
    assert attrs(spans[1])["ollama.stream.completed"] is True
    assert attrs(spans[2])["gen_ai.request.stream"] is True


async def test_the_service_records_a_failed_health_check(otel: Otel) -> None:
    async with OllamaService(
        closed_port_url(), default_model="llama3.2", telemetry=otel.telemetry
    ) as service:
        assert await service.health_check() is False
    assert attrs(otel.only())["error.type"] == "OllamaConnectionError"


@pytest.mark.parametrize("variable", ["OLLAMA_OTEL_CAPTURE_CONTENT", "OLLAMA_OTEL_PROPAGATE"])
async def test_the_service_takes_its_switches_from_the_settings(
    server: FakeOllamaServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, variable: str
) -> None:
    from ollama_service import get_settings

    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv(variable, "true")
    get_settings.cache_clear()
    try:
        async with OllamaService(server.base_url) as service:
            telemetry = service.client._telemetry  # pyright: ignore[reportPrivateUsage]
            assert telemetry is not None
            switches = {"capture": telemetry.capture, "propagate": telemetry.propagate}
    finally:
        get_settings.cache_clear()
    expected = variable.removeprefix("OLLAMA_OTEL_").lower().replace("capture_content", "capture")
    assert switches == {k: k == expected for k in switches}
