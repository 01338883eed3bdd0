"""No telemetry, and no cost, unless the application turns OpenTelemetry on.

Each case runs in a fresh interpreter, because what is imported and what is configured globally
(the OpenTelemetry providers can be set once per process) is the point.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

# A meta-path finder that makes `opentelemetry` (every part of it) impossible to import, as in an
# environment installed without the `otel` extra.
BLOCK_OPENTELEMETRY = """
import importlib.abc, sys

class _NoOpenTelemetry(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "opentelemetry" or name.startswith("opentelemetry."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _NoOpenTelemetry())
"""

# Calls of every kind against the fake server, with both clients; prints OK when all returned.
CALLS = """
import asyncio
from ollama_service import AsyncClient, Client, OllamaModelNotFoundError
from ollama_service.testing import FakeOllamaServer

def sync_calls(url):
    with Client(url) as client:
        assert client.generate("llama3.2", "hi").done
        assert [p for p in client.chat("llama3.2", [{"role": "user", "content": "hi"}], stream=True)]
        try:
            client.show("no-such-model")
        except OllamaModelNotFoundError:
            pass
        return client

async def async_calls(url):
    async with AsyncClient(url) as client:
        assert (await client.embed("nomic-embed-text", "x")).embeddings
        assert [p async for p in await client.generate("llama3.2", "hi", stream=True)]
        return client

with FakeOllamaServer() as server:
    clients = [sync_calls(server.base_url), asyncio.run(async_calls(server.base_url))]
print("OK")
"""


def run(*parts: str) -> str:
    code = "\n".join(textwrap.dedent(part) for part in parts)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def test_import_does_not_import_opentelemetry() -> None:
    out = run(
        "import sys, ollama_service",
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))",
    )
    assert out.strip() == "[]"


def test_without_the_api_calls_work_and_record_nothing() -> None:
    out = run(
        BLOCK_OPENTELEMETRY,
        CALLS,
        """
        import sys
        assert all(c._telemetry is None for c in clients)
        print(sorted(m for m in sys.modules if m.startswith("opentelemetry")))
        """,
    )
    assert out.split() == ["OK", "[]"]


def test_with_the_api_but_nothing_configured_nothing_is_imported_or_recorded() -> None:
    out = run(
        CALLS,
        """
        import sys
        from ollama_service import _telemetry
        assert all(c._telemetry is not None for c in clients)
        print(sorted(m for m in sys.modules if m.startswith("opentelemetry")))
        print(_telemetry._global_cache)
        """,
    )
    assert out.split() == ["OK", "[]", "None"]


def test_an_imported_api_without_providers_records_nothing() -> None:
    out = run(
        "import opentelemetry.trace, opentelemetry.metrics",
        CALLS,
        """
        from ollama_service import _telemetry
        from ollama_service.types._operations import CHAT
        print(_telemetry._global_cache)
        print(clients[0]._telemetry.start(CHAT, None, "m", False))
        """,
    )
    assert out.split() == ["OK", "None", "None"]


def test_global_providers_configured_after_the_client_is_built() -> None:
    out = run(
        """
        from ollama_service import Client
        from ollama_service.testing import FakeOllamaServer

        with FakeOllamaServer() as server:
            client = Client(server.base_url)
            client.list()  # before any provider: nothing to record

            from opentelemetry import metrics, trace
            from opentelemetry.sdk.metrics import MeterProvider
            from opentelemetry.sdk.metrics.export import InMemoryMetricReader
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import SimpleSpanProcessor
            from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

            exporter = InMemorySpanExporter()
            provider = TracerProvider()
            provider.add_span_processor(SimpleSpanProcessor(exporter))
            trace.set_tracer_provider(provider)
            reader = InMemoryMetricReader()
            metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))

            client.generate("llama3.2", "hi")
            client.close()
        print([s.name for s in exporter.get_finished_spans()])
        names = [
            m.name
            for r in reader.get_metrics_data().resource_metrics
            for s in r.scope_metrics
            for m in s.metrics
        ]
        print(sorted(names))
        """
    )
    spans, names = out.splitlines()
    assert spans == "['text_completion llama3.2']"
    assert names == "['gen_ai.client.operation.duration', 'gen_ai.client.token.usage']"


def test_the_observability_pages_snippets_run() -> None:
    """Each ```python block of docs/observability.md runs as written, in its own process
    (they configure global providers and logging), against a fake server."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "observability.md").read_text("utf-8")
    blocks = re.findall(r"^```python[ \t]*\n(.*?)^```[ \t]*$", text, re.MULTILINE | re.DOTALL)
    assert len(blocks) >= 4
    for block in blocks:
        out = run(
            """
            import os
            from ollama_service.testing import FakeOllamaServer
            _server = FakeOllamaServer().__enter__()
            os.environ["OLLAMA_BASE_URL"] = os.environ["OLLAMA_HOST"] = _server.base_url
            """,
            block,
            "print('SNIPPET-OK')",
        )
        assert "SNIPPET-OK" in out.splitlines()
