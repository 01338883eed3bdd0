"""What OpenTelemetry costs per call: `python -m benchmarks.telemetry [--rounds N] [--calls N]`.

The sync client runs a non-streamed generate and a 2,000-chunk streamed generate against the
benchmark server (`benchmarks/server.py`), in five set-ups, each in a fresh interpreter so that
what is imported and configured is exactly that set-up's:

- `off`: `Client(telemetry=False)`, the floor;
- `default`: `Client()` with the API installed and nothing configured (the application never
  imported OpenTelemetry; the SDK's state is untouched);
- `api-imported`: the application imported `opentelemetry.trace` but set no provider;
- `sdk`: the SDK configured globally: a `BatchSpanProcessor` whose exporter drops every span,
  and a `MeterProvider` with an in-memory reader (the histograms aggregate, nothing is sent);
- `sdk+content`: the same, with content capture on.

Set-ups run in the same order every round and the medians of the rounds are compared with
`off`; the difference is the telemetry's cost per call. The table shows the client process's CPU
time per call (the span processor's thread included), which other load on a shared machine
disturbs far less than wall time; wall times are in the JSON printed to stderr. Results are printed as a Markdown table
(docs/performance.md quotes a run).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import textwrap

from benchmarks.server import MODEL_ONCE, MODEL_STREAM, STREAM_CHUNKS, ServerProcess

MODES = ("off", "default", "api-imported", "sdk", "sdk+content")

SETUP = {
    "off": "from ollama_service import Client\nclient = Client(URL, telemetry=False)",
    "default": "from ollama_service import Client\nclient = Client(URL)",
    "api-imported": (
        "import opentelemetry.trace, opentelemetry.metrics\n"
        "from ollama_service import Client\nclient = Client(URL)"
    ),
    "sdk": "CONFIGURE\nclient = Client(URL)",
    "sdk+content": "CONFIGURE\nclient = Client(URL, telemetry=Telemetry(capture_content=True))",
}

CONFIGURE = """
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from ollama_service import Client, Telemetry

class Drop(SpanExporter):
    def export(self, spans):
        return SpanExportResult.SUCCESS

provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(Drop()))
trace.set_tracer_provider(provider)
metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))
"""

BODY = """
import json, time
def once():
    client.generate(MODEL_ONCE, "Why is the sky blue?")
def stream():
    for _ in client.generate(MODEL_STREAM, "Why is the sky blue?", stream=True):
        pass
out = {}
for name, fn, calls in (("once", once, CALLS), ("stream", stream, max(CALLS // 20, 5))):
    for _ in range(max(calls // 10, 3)):
        fn()  # warm the pool and the caches
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        fn()
    out[name] = (time.perf_counter() - started) / calls * 1e6
    out[name + "_cpu"] = (time.process_time() - cpu) / calls * 1e6
print(json.dumps(out))
"""


def run_mode(mode: str, url: str, calls: int) -> dict[str, float]:
    setup = SETUP[mode].replace("CONFIGURE", CONFIGURE)
    code = "\n".join(
        [
            f"URL = {url!r}; CALLS = {calls}",
            f"MODEL_ONCE = {MODEL_ONCE!r}; MODEL_STREAM = {MODEL_STREAM!r}",
            textwrap.dedent(setup),
            textwrap.dedent(BODY),
        ]
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600
    )
    parsed: dict[str, float] = json.loads(result.stdout)
    return parsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000, help="non-streamed calls per sample")
    args = parser.parse_args(argv)
    keys = ("once", "once_cpu", "stream", "stream_cpu")
    samples: dict[str, dict[str, list[float]]] = {m: {k: [] for k in keys} for m in MODES}
    with ServerProcess() as server:
        for round_ in range(args.rounds):
            for mode in MODES:
                got = run_mode(mode, server.url, args.calls)
                for key, value in got.items():
                    samples[mode][key].append(value)
            print(f"round {round_ + 1}/{args.rounds} done", file=sys.stderr)
    medians = {m: {k: statistics.median(v) for k, v in s.items()} for m, s in samples.items()}
    print(
        "| set-up | non-streamed generate, µs/call (CPU) | overhead (CPU) "
        f"| streamed generate, {STREAM_CHUNKS:,} chunks, µs/call (CPU) | overhead (CPU) |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    base = medians["off"]
    for mode in MODES:
        row = medians[mode]
        cells = []
        for key in ("once_cpu", "stream_cpu"):
            delta = row[key] - base[key]
            cells += [f"{row[key]:,.0f}", f"{delta:+,.0f} µs ({delta / base[key]:+.1%})"]
        print(f"| `{mode}` | " + " | ".join(cells) + " |")
    print(json.dumps({"samples": samples, "medians": medians}), file=sys.stderr)


if __name__ == "__main__":
    main()
