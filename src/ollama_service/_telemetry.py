"""OpenTelemetry for both clients: a client span and the GenAI metrics for every call.

Off at no cost. Nothing here imports OpenTelemetry at import time. A client gets a
`ClientTelemetry` only when the `opentelemetry` package is installed (and telemetry is not
switched off); each call then asks it for a `CallRecord`, which is None, after a dictionary
lookup, until the application has imported the OpenTelemetry API and configured a tracer or
meter provider (or passed one in `Telemetry`). The clients' request loop and streams call the
record's few hooks only when they got one.

What a span holds is computed by the pure functions of `_genai`; this module only decides
whether to record, times the call, and hands attributes to the API.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import traceback
from dataclasses import dataclass
from time import perf_counter
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from ollama_service import _genai as g
from ollama_service._env import ENV_CAPTURE_CONTENT, ENV_OTEL_CAPTURE_CONTENT, ENV_PROPAGATE, flag
from ollama_service._redact import redact_url
from ollama_service._version import __version__

if TYPE_CHECKING:
    from opentelemetry.metrics import Histogram, MeterProvider
    from opentelemetry.trace import Span, Tracer, TracerProvider

    from ollama_service.types._base import Operation

__all__ = [
    "ENV_CAPTURE_CONTENT",
    "ENV_PROPAGATE",
    "CallRecord",
    "ClientTelemetry",
    "Telemetry",
    "client_telemetry",
]

# Our switch for recording prompts and completions, and the one the GenAI instrumentations read.
# Inject the current trace context (`traceparent`) into request headers.

INSTRUMENTATION_NAME: Final = "ollama_service"

# The conventions' advice for the histograms' buckets.
_DURATION_BUCKETS: Final = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
_TOKEN_BUCKETS: Final = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip


@dataclass(frozen=True)
class Telemetry:
    """How a client reports to OpenTelemetry; the defaults suit most applications.

    Tracing needs only the `otel` extra (the OpenTelemetry API) and an application that
    configures the SDK: then every call is a client span with the GenAI metrics. Without a
    configured provider nothing is recorded and nothing is imported.

    Attributes:
        enabled: False switches telemetry off for this client, whatever is configured.
        capture_content: Record prompts, messages and completions on spans. None reads
            `OLLAMA_OTEL_CAPTURE_CONTENT` (or `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`);
            off by default, because they are your users' data. Images are never recorded.
        propagate: Send the trace context (`traceparent`, by the global propagator) with each
            request, so a tracing proxy joins the trace. None reads `OLLAMA_OTEL_PROPAGATE`.
        tracer_provider: A tracer provider to use instead of the global one.
        meter_provider: A meter provider to use instead of the global one.
    """

    enabled: bool = True
    capture_content: bool | None = None
    propagate: bool | None = None
    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None


_api_found: bool | None = None


def _api_available() -> bool:
    """Whether the OpenTelemetry API can be imported (looked up once, nothing imported)."""
    global _api_found
    if _api_found is None:
        try:
            _api_found = importlib.util.find_spec("opentelemetry") is not None
        except (ImportError, ValueError):
            _api_found = False
    return _api_found


def client_telemetry(base_url: str, telemetry: Telemetry | bool | None) -> ClientTelemetry | None:
    """The client's telemetry, or None when it can never record (off, or no API installed)."""
    if telemetry is False or (isinstance(telemetry, Telemetry) and not telemetry.enabled):
        return None
    config = telemetry if isinstance(telemetry, Telemetry) else Telemetry()
    explicit = config.tracer_provider is not None or config.meter_provider is not None
    if not explicit and not _api_available():
        return None
    return ClientTelemetry(base_url, config)


class _Instruments:
    """The tracer, the three histograms and the API functions a record uses."""

    def __init__(self, tracer_provider: Any, meter_provider: Any) -> None:
        from opentelemetry import context, metrics, propagate, trace

        tracer_provider = tracer_provider or trace.get_tracer_provider()
        meter_provider = meter_provider or metrics.get_meter_provider()
        self.tracer: Tracer = tracer_provider.get_tracer(INSTRUMENTATION_NAME, __version__)
        meter = meter_provider.get_meter(INSTRUMENTATION_NAME, __version__)
        self.duration: Histogram = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self.tokens: Histogram = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=_TOKEN_BUCKETS,
        )
        self.first_chunk: Histogram = meter.create_histogram(
            "gen_ai.client.operation.time_to_first_chunk",
            unit="s",
            description="Time to receive the first chunk of a streamed reply.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self.client_kind = trace.SpanKind.CLIENT
        self.error_status = trace.Status(trace.StatusCode.ERROR)
        self.status = trace.Status
        self.error_code = trace.StatusCode.ERROR
        self.in_context = trace.set_span_in_context
        self.attach = context.attach
        self.detach = context.detach
        self.inject = propagate.inject


_global_cache: _Instruments | None = None


def _noop(provider: object) -> bool:
    # The API's stand-ins until an application sets a provider (ProxyTracerProvider,
    # _ProxyMeterProvider) and its explicit no-ops.
    return type(provider).__name__ in {
        "ProxyTracerProvider",
        "NoOpTracerProvider",
        "_ProxyMeterProvider",
        "NoOpMeterProvider",
    }


def _global_instruments() -> _Instruments | None:
    """The instruments of the global providers, once the application has configured one."""
    global _global_cache
    if _global_cache is not None:
        return _global_cache
    # An application that configured OpenTelemetry has imported its API; until then there is
    # nothing to report to, and nothing of it is imported here.
    modules = sys.modules
    if "opentelemetry.trace" not in modules and "opentelemetry.metrics" not in modules:
        return None
    from opentelemetry import metrics, trace

    if _noop(trace.get_tracer_provider()) and _noop(metrics.get_meter_provider()):
        return None
    # The global tracer and meter are proxies that follow a provider set later, so these
    # instruments stay valid for the life of the process.
    _global_cache = _Instruments(None, None)
    return _global_cache


class ClientTelemetry:
    """One client's telemetry settings; `start` opens the record of one call."""

    __slots__ = ("_config", "_instruments", "address", "capture", "port", "propagate")

    def __init__(self, base_url: str, config: Telemetry) -> None:
        parts = urlsplit(base_url)
        self.address = parts.hostname
        self.port: int | None = parts.port or (443 if parts.scheme == "https" else 80)
        self.capture = (
            config.capture_content
            if config.capture_content is not None
            else flag(ENV_CAPTURE_CONTENT, ENV_OTEL_CAPTURE_CONTENT)
        )
        self.propagate = config.propagate if config.propagate is not None else flag(ENV_PROPAGATE)
        self._config = config
        self._instruments: _Instruments | None = None

    def _resolve(self) -> _Instruments | None:
        config = self._config
        if config.tracer_provider is None and config.meter_provider is None:
            return _global_instruments()
        self._instruments = _Instruments(config.tracer_provider, config.meter_provider)
        return self._instruments

    def start(
        self, op: Operation[Any], request: object, model: str | None, stream: bool
    ) -> CallRecord | None:
        """Open a call's span (made current until `detach`), or None when nothing records."""
        instruments = self._instruments or self._resolve()
        if instruments is None:
            return None
        try:
            return CallRecord(instruments, self, op, request, model, stream)
        except Exception:  # a failing tracer costs the call its span, never the call itself
            return None


class CallRecord:
    """The span and measurements of one call, from the first attempt to the end of the reply.

    Every hook is safe to call after the record ended: the first end wins, so a stream that
    fails, is closed and is then collected ends its span once.
    """

    def __init__(
        self,
        instruments: _Instruments,
        telemetry: ClientTelemetry,
        op: Operation[Any],
        request: object,
        model: str | None,
        stream: bool,
    ) -> None:
        self._i = instruments
        self._telemetry = telemetry
        self._stream = stream
        self._attrs = g.request_attributes(
            op, request, model, stream=stream, address=telemetry.address, port=telemetry.port
        )
        self.span: Span = instruments.tracer.start_span(
            g.span_name(op, model), kind=instruments.client_kind, attributes=self._attrs
        )
        self._capture = telemetry.capture and self.span.is_recording()
        if self._capture:
            for name, value in (
                (g.GEN_AI_INPUT_MESSAGES, g.input_messages(request)),
                (g.GEN_AI_SYSTEM_INSTRUCTIONS, g.system_instructions(request)),
            ):
                if value is not None:
                    self.span.set_attribute(name, value)
        self._started = perf_counter()
        self._token: object | None = instruments.attach(instruments.in_context(self.span))
        self._retries = 0
        self._ended = False
        self._items = 0
        self._last: object = None
        self._text: list[str] = []
        self._thinking: list[str] = []
        self._calls: list[Any] = []

    # --- The request ----------------------------------------------------------------------

    def headers(self, base: dict[str, str] | None) -> dict[str, str] | None:
        """The request's headers, with the trace context when propagation is on."""
        if not self._telemetry.propagate:
            return base
        carrier = dict(base or {})
        self._i.inject(carrier, context=self._i.in_context(self.span))
        return carrier

    def retry(self, attempt: int, delay: float, error: BaseException) -> None:
        """A failed attempt that will be retried: an `ollama.retry` span event."""
        self._retries += 1
        self.span.add_event(g.OLLAMA_RETRY_EVENT, g.retry_attributes(attempt, delay, error))

    def detach(self, status: int | None = None) -> None:
        """Stop being the current span (the reply may still be streaming, with `status`)."""
        if status is not None:
            self._attrs[g.HTTP_RESPONSE_STATUS_CODE] = status
        token, self._token = self._token, None
        if token is not None:
            self._i.detach(token)  # type: ignore[arg-type]

    # --- The end of a call ------------------------------------------------------------------

    def succeed(self, response: object, status: int | None) -> None:
        """The call returned (`response` is the decoded reply, or None for an empty one)."""
        self.detach(status)
        if response is not None and self._capture:
            self._collect(response)
        self._end(response, None)

    def fail(self, exc: BaseException) -> None:
        """The call, or its stream, raised `exc`."""
        self.detach()
        if isinstance(exc, GeneratorExit):
            self.stream_closed()
            return
        self._end(self._last, exc)

    # --- Streams --------------------------------------------------------------------------

    def item(self, item: object) -> None:
        """A stream item was decoded (the first one times the first chunk)."""
        self._items += 1
        self._last = item
        if self._items == 1:
            elapsed = perf_counter() - self._started
            self._attrs[g.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = elapsed
            # A broken metrics pipeline must not break the caller's loop.
            with contextlib.suppress(Exception):
                self._i.first_chunk.record(elapsed, g.metric_attributes(self._attrs))
        if self._capture:
            self._collect(item)

    def stream_done(self) -> None:
        """The stream ended with its final item."""
        self._attrs[g.OLLAMA_STREAM_COMPLETED] = True
        self._end(self._last, None)

    def stream_closed(self) -> None:
        """The stream was closed (or dropped) by its reader; no-op after its end."""
        if not self._ended:
            self._attrs[g.OLLAMA_STREAM_COMPLETED] = False
            self._end(self._last, None)

    # --- Internals ------------------------------------------------------------------------

    def _collect(self, item: object) -> None:
        text, thinking, calls = g.output_pieces(item)
        if text:
            self._text.append(text)
        if thinking:
            self._thinking.append(thinking)
        self._calls.extend(calls)

    def _end(self, response: object, error: BaseException | None) -> None:
        if self._ended:
            return
        self._ended = True
        duration = perf_counter() - self._started
        # Telemetry must never break the call, nor hide its own error behind another.
        with contextlib.suppress(Exception):
            self._finish(response, error, duration)

    def _finish(self, response: object, error: BaseException | None, duration: float) -> None:
        attrs = self._attrs
        if response is not None:
            attrs.update(g.response_attributes(response))
        attrs[g.OLLAMA_ATTEMPTS] = self._retries + 1
        if self._stream:
            attrs[g.OLLAMA_STREAM_ITEMS] = self._items
        if error is not None:
            attrs.update(g.error_attributes(error))
        span = self.span
        if span.is_recording():
            if self._capture and (self._text or self._thinking or self._calls):
                reason = attrs.get(g.GEN_AI_RESPONSE_FINISH_REASONS, (None,))[0]
                attrs[g.GEN_AI_OUTPUT_MESSAGES] = g.output_messages(
                    "".join(self._text), "".join(self._thinking), self._calls, reason
                )
            span.set_attributes(attrs)
            if error is not None:
                self._record_exception(error)
                span.set_status(self._i.status(self._i.error_code, g.error_description(error)))
        span.end()
        point = g.metric_attributes(attrs)
        self._i.duration.record(duration, point)
        for key, kind in ((g.GEN_AI_USAGE_INPUT_TOKENS, "input"), (g.GEN_AI_USAGE_OUTPUT_TOKENS, "output")):  # fmt: skip
            if key in attrs:
                self._i.tokens.record(attrs[key], {**point, g.GEN_AI_TOKEN_TYPE: kind})

    def _record_exception(self, error: BaseException) -> None:
        # The SDK would put str(error) and a traceback on the event as they are; ours carry no
        # secret, but a foreign message might hold a URL with a password, so both are masked.
        stack = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        self.span.record_exception(
            error,
            attributes={
                "exception.type": g.error_type(error),
                "exception.message": g.error_description(error),
                "exception.stacktrace": redact_url(stack),
            },
        )
