"""Run the benchmarks: `python -m benchmarks.run [--quick] [--rounds N] [--no-write]`.

Every client runs every scenario once per round, in the same order each round (A B C, A B C,
...), against one local Ollama-shaped server in its own process (`benchmarks/server.py`), so
slow drifts of the machine hit every client alike. The medians of the rounds are compared
with the official `ollama` library and with the floor (bare httpx + msgspec) of the same kind,
sync with sync and async with async.

Cold import times are measured in fresh interpreters, and memory on a 100,000-chunk stream in
a fresh process per client. Results go to `benchmarks/results.json` and the plot to
`docs/assets/benchmarks.png` unless `--no-write` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.clients import (
    ASYNC_BACKENDS,
    ASYNC_CLIENTS,
    BACKEND,
    NAMES,
    SYNC_BACKENDS,
    SYNC_CLIENTS,
    AsyncAdapter,
    SyncAdapter,
    available,
    make_adapter,
)
from benchmarks.server import (
    LONG_CHUNKS,
    LONG_CHUNKS_SMALL,
    MODEL_LONG,
    MODEL_LONG_SMALL,
    MODEL_SHORT,
    MODEL_STREAM,
    MODEL_STREAM_16K,
    SHORT_CHUNKS,
    STREAM_CHUNKS,
    ServerProcess,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.json"
PLOT = ROOT / "docs" / "assets" / "benchmarks.png"
TABLE_HEADER = (
    "| scenario | client | median | min | max | x official | x floor | x httpx back-end "
    "| CPU x official | CPU x floor |"
)
RSS_MARK = 1_000
MIB = 1024 * 1024


@dataclass(frozen=True)
class Sizes:
    """How much work one sample does, and how many samples there are."""

    rounds: int = 9
    generate_calls: int = 200
    stream_repeats: int = 2
    coalesced_repeats: int = 10
    embed_calls: int = 10
    list_calls: int = 100
    concurrency: int = 64
    concurrent_per_task: int = 2
    many_streams: int = 1_000
    many_pool: int = 10
    import_runs: int = 9
    long_chunks: int = LONG_CHUNKS
    long_model: str = MODEL_LONG


QUICK = Sizes(
    rounds=1,
    generate_calls=10,
    stream_repeats=1,
    coalesced_repeats=1,
    embed_calls=2,
    list_calls=10,
    concurrent_per_task=1,
    many_streams=100,
    import_runs=1,
    long_chunks=LONG_CHUNKS_SMALL,
    long_model=MODEL_LONG_SMALL,
)


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    unit: str
    sync: bool = True


SCENARIOS = [
    Scenario("generate", "non-streamed generate", "calls/s"),
    Scenario("stream_generate", "streamed generate (2,000 chunks)", "chunks/s"),
    Scenario("stream_chat", "streamed chat (2,000 chunks)", "chunks/s"),
    Scenario("stream_generate_16k", "streamed generate, 16 KiB HTTP chunks", "chunks/s"),
    Scenario("stream_chat_16k", "streamed chat, 16 KiB HTTP chunks", "chunks/s"),
    Scenario("embed", "embed 64 x 768 floats", "calls/s"),
    Scenario("list", "list 50 models", "calls/s"),
    Scenario("concurrent", "64 concurrent async generates", "calls/s", sync=False),
    Scenario(
        "many_streams",
        f"1,000 concurrent streams, pool of 10 ({SHORT_CHUNKS} chunks each)",
        "streams/s",
        sync=False,
    ),
]
# Scenarios that build a fresh client for each sample (see `run_rounds`).
FRESH = {"concurrent", "many_streams"}
IMPORTS = {
    "ollama_service": "import ollama_service",
    "ollama": "import ollama",
    "floor": "import httpx, msgspec",
}
# Stream scenarios: which call, which server reply (one line per HTTP chunk, or 16 KiB chunks).
STREAMS = {
    "stream_generate": ("generate", MODEL_STREAM),
    "stream_chat": ("chat", MODEL_STREAM),
    "stream_generate_16k": ("generate", MODEL_STREAM_16K),
    "stream_chat_16k": ("chat", MODEL_STREAM_16K),
}
SDK = "ollama_service"
OFFICIAL = {"sync": "official-client", "async": "official-async-client"}
FLOOR = {"sync": "floor-sync", "async": "floor-async"}


def kind(key: str) -> str:
    return "sync" if key in SYNC_CLIENTS else "async"


def library(key: str) -> str:
    return "ollama" if key.startswith("official") else "floor" if key.startswith("floor") else SDK


# --- One sample ----------------------------------------------------------------------------


def _check_stream(count: int, streams: int, chunks: int = STREAM_CHUNKS) -> None:
    # The services yield text pieces and skip the empty final one; clients yield every item.
    if count < streams * (chunks - 1):
        raise RuntimeError(f"streams delivered {count} items, expected {streams * chunks}")


def _repeats(scenario: str, sizes: Sizes) -> int:
    return sizes.coalesced_repeats if scenario.endswith("_16k") else sizes.stream_repeats


class Timer:
    """Wall-clock and process CPU time since creation; `rate(units)` gives both throughputs."""

    __slots__ = ("cpu", "wall")

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def rate(self, units: float) -> tuple[float, float]:
        wall = time.perf_counter() - self.wall
        cpu = time.process_time() - self.cpu
        return units / wall, units / max(cpu, 1e-9)


def sync_sample(adapter: SyncAdapter, scenario: str, sizes: Sizes) -> tuple[float, float]:
    """Run one sample of a scenario; return its throughput per wall second and per CPU second."""
    if scenario == "generate":
        n = sizes.generate_calls
        timer = Timer()
        for _ in range(n):
            adapter.generate_once()
        return timer.rate(n)
    if scenario in STREAMS:
        call, model = STREAMS[scenario]
        opener = adapter.generate_stream if call == "generate" else adapter.chat_stream
        repeats = _repeats(scenario, sizes)
        count = 0
        timer = Timer()
        for _ in range(repeats):
            for _item in opener(model):
                count += 1
        rates = timer.rate(repeats * STREAM_CHUNKS)
        _check_stream(count, repeats)
        return rates
    call: Callable[[], int] = adapter.embed if scenario == "embed" else adapter.list_models
    n = sizes.embed_calls if scenario == "embed" else sizes.list_calls
    timer = Timer()
    for _ in range(n):
        call()
    return timer.rate(n)


async def async_sample(adapter: AsyncAdapter, scenario: str, sizes: Sizes) -> tuple[float, float]:
    """Run one sample of a scenario; return its throughput per wall second and per CPU second."""
    if scenario == "generate":
        n = sizes.generate_calls
        timer = Timer()
        for _ in range(n):
            await adapter.generate_once()
        return timer.rate(n)
    if scenario in STREAMS:
        call, model = STREAMS[scenario]
        opener = adapter.generate_stream if call == "generate" else adapter.chat_stream
        repeats = _repeats(scenario, sizes)
        count = 0
        timer = Timer()
        for _ in range(repeats):
            async for _item in await opener(model):
                count += 1
        rates = timer.rate(repeats * STREAM_CHUNKS)
        _check_stream(count, repeats)
        return rates
    if scenario == "concurrent":
        per_task = sizes.concurrent_per_task

        async def worker() -> None:
            for _ in range(per_task):
                await adapter.generate_once()

        # An untimed burst first opens the pool's connections (one per task).
        await asyncio.gather(*(adapter.generate_once() for _ in range(sizes.concurrency)))
        timer = Timer()
        await asyncio.gather(*(worker() for _ in range(sizes.concurrency)))
        return timer.rate(sizes.concurrency * per_task)
    if scenario == "many_streams":

        async def one() -> int:
            return sum([1 async for _item in await adapter.generate_stream(MODEL_SHORT)])

        timer = Timer()
        try:
            counts = await asyncio.gather(*(one() for _ in range(sizes.many_streams)))
        except Exception as exc:  # a client that cannot complete it scores 0, the run goes on
            print(f"# many_streams failed: {exc!r}", file=sys.stderr, flush=True)
            return 0.0, 0.0
        rates = timer.rate(sizes.many_streams)
        _check_stream(sum(counts), sizes.many_streams, SHORT_CHUNKS)
        return rates
    n = sizes.embed_calls if scenario == "embed" else sizes.list_calls
    timer = Timer()
    for _ in range(n):
        await (adapter.embed() if scenario == "embed" else adapter.list_models())
    return timer.rate(n)


# --- Throughput rounds ---------------------------------------------------------------------


def run_rounds(url: str, keys: list[str], sizes: Sizes, log: Callable[[str], None]) -> dict:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    async def build(key: str, pool: int | None = None) -> AsyncAdapter:
        adapter = make_adapter(key, url, pool)
        assert isinstance(adapter, AsyncAdapter)
        return adapter

    adapters: dict[str, SyncAdapter | AsyncAdapter] = {}
    for key in keys:
        adapters[key] = (
            loop.run_until_complete(build(key)) if kind(key) == "async" else make_adapter(key, url)
        )
    warm = Sizes(
        rounds=1,
        generate_calls=2,
        stream_repeats=1,
        coalesced_repeats=1,
        embed_calls=1,
        list_calls=2,
        concurrent_per_task=1,
        concurrency=sizes.concurrency,
        many_streams=sizes.many_pool,
    )
    wall: dict[str, dict[str, list[float]]] = {s.key: {} for s in SCENARIOS}
    cpu: dict[str, dict[str, list[float]]] = {s.key: {} for s in SCENARIOS}

    def sample(key: str, scenario: str, work: Sizes) -> tuple[float, float]:
        gc.collect()
        if scenario in FRESH:
            # A fresh client per sample, so every pool starts alike. httpcore's pool does
            # work proportional to its open connections on every request, so a pool left with
            # 64 connections by an earlier burst (kept 30 s by ollama_service, 5 s by httpx's
            # default) would make this scenario, and the sequential ones after it, depend on
            # each client's keep-alive expiry and on timing instead of on the client.
            pool = sizes.many_pool if scenario == "many_streams" else None
            fresh = loop.run_until_complete(build(key, pool))
            try:
                return loop.run_until_complete(async_sample(fresh, scenario, work))
            finally:
                loop.run_until_complete(fresh.close())
        adapter = adapters[key]
        if isinstance(adapter, AsyncAdapter):
            return loop.run_until_complete(async_sample(adapter, scenario, work))
        return sync_sample(adapter, scenario, work)

    try:
        log("warming up every client")
        for scenario in SCENARIOS:
            for key in keys:
                if scenario.sync or kind(key) == "async":
                    sample(key, scenario.key, warm)
        for number in range(1, sizes.rounds + 1):
            started = time.perf_counter()
            for scenario in SCENARIOS:
                for key in keys:
                    if scenario.sync or kind(key) == "async":
                        per_wall, per_cpu = sample(key, scenario.key, sizes)
                        wall[scenario.key].setdefault(key, []).append(per_wall)
                        cpu[scenario.key].setdefault(key, []).append(per_cpu)
            log(f"round {number}/{sizes.rounds} done in {time.perf_counter() - started:.1f} s")
    finally:
        for adapter in adapters.values():
            if isinstance(adapter, AsyncAdapter):
                loop.run_until_complete(adapter.close())
            else:
                adapter.close()
        loop.close()
        asyncio.set_event_loop(None)
    return {"wall": wall, "cpu": cpu}


# --- Cold import ---------------------------------------------------------------------------


def _import_env() -> dict[str, str]:
    # Bytecode caches are what an installed package has; a warm-up run writes any missing.
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _import_once(statement: str) -> tuple[float, float]:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_import_env(),
    )
    wall = time.perf_counter() - start
    return float(out.stdout.strip()), wall


def run_imports(sizes: Sizes, log: Callable[[str], None]) -> dict:
    names = [name for name in IMPORTS if name != "ollama" or _has_official()]
    for name in names:  # compile bytecode and warm the file cache first
        _import_once(IMPORTS[name])
    result: dict[str, dict[str, list[float]]] = {n: {"import": [], "process": []} for n in names}
    for _ in range(sizes.import_runs):
        for name in names:
            inside, wall = _import_once(IMPORTS[name])
            result[name]["import"].append(inside)
            result[name]["process"].append(wall)
    log(f"cold import: {sizes.import_runs} fresh interpreters per library")
    return result


def _has_official() -> bool:
    return available("official-client")


# --- Memory on a long stream ---------------------------------------------------------------


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _rss() -> int:
    try:
        return _status_kib("VmRSS") * 1024
    except (OSError, KeyError):  # pragma: no cover - not Linux
        return 0


def _peak() -> int:
    try:
        return _status_kib("VmHWM") * 1024
    except (OSError, KeyError):  # pragma: no cover - not Linux
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def rss_child(key: str, url: str, model: str) -> None:
    """In a fresh process: stream `model` with one client, print RSS figures as JSON."""
    adapter = make_adapter(key, url)
    marks: dict[str, float] = {}
    count = 0

    def mark() -> None:
        marks["rss_at_mark"] = _rss()
        marks["peak_at_mark"] = _peak()

    start = time.perf_counter()
    if isinstance(adapter, AsyncAdapter):

        async def consume() -> int:
            n = 0
            async for _item in await adapter.generate_stream(model):
                n += 1
                if n == RSS_MARK:
                    mark()
            await adapter.close()
            return n

        count = asyncio.run(consume())
    else:
        for _item in adapter.generate_stream(model):
            count += 1
            if count == RSS_MARK:
                mark()
        adapter.close()
    elapsed = time.perf_counter() - start
    gc.collect()
    print(
        json.dumps(
            {
                "chunks": count,
                "seconds": elapsed,
                "rss_end": _rss(),
                "peak": _peak(),
                "ru_maxrss": _ru_maxrss(),
                **marks,
            }
        )
    )


def _ru_maxrss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_rss(url: str, keys: list[str], sizes: Sizes, log: Callable[[str], None]) -> dict:
    result: dict[str, dict[str, Any]] = {}
    for key in keys:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.run", "--rss-child", key, url, sizes.long_model],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        data = json.loads(out.stdout.strip().splitlines()[-1])
        data["growth"] = data["peak"] - data["rss_at_mark"]
        result[key] = data
        log(
            f"{sizes.long_chunks:,}-chunk stream, {NAMES[key]}: "
            f"{data['growth'] / MIB:+.2f} MiB peak over RSS at {RSS_MARK:,} chunks"
        )
    return result


# --- Report --------------------------------------------------------------------------------


@dataclass
class Row:
    scenario: str
    client: str
    key: str
    unit: str
    median: float
    low: float
    high: float
    vs_official: float | None
    vs_floor: float | None
    cpu_vs_official: float | None = None
    cpu_vs_floor: float | None = None
    vs_httpx: float | None = None
    backend: str | None = None


def _ratio(value: float, other: float | None, *, lower_is_better: bool = False) -> float | None:
    if other is None or other == 0 or value == 0:
        return None
    return other / value if lower_is_better else value / other


def on_httpx(key: str) -> str | None:
    """The same client on httpx's own transport, for a client on a faster back-end."""
    if BACKEND.get(key) in (None, "httpx"):
        return None
    return key.split("@", 1)[0] + "@httpx"


def build_rows(samples: dict, imports: dict) -> list[Row]:
    rows: list[Row] = []
    for scenario in SCENARIOS:
        per_client = samples["wall"].get(scenario.key, {})
        medians = {key: statistics.median(values) for key, values in per_client.items()}
        cpu = {k: statistics.median(v) for k, v in samples["cpu"].get(scenario.key, {}).items()}
        for key, values in per_client.items():
            official = medians.get(OFFICIAL[kind(key)])
            floor = medians.get(FLOOR[kind(key)])
            rows.append(
                Row(
                    scenario=scenario.title,
                    client=NAMES[key],
                    key=key,
                    unit=scenario.unit,
                    median=medians[key],
                    low=min(values),
                    high=max(values),
                    vs_official=_ratio(medians[key], official),
                    vs_floor=_ratio(medians[key], floor),
                    cpu_vs_official=_ratio(cpu[key], cpu.get(OFFICIAL[kind(key)])),
                    cpu_vs_floor=_ratio(cpu[key], cpu.get(FLOOR[kind(key)])),
                    vs_httpx=_ratio(medians[key], medians.get(on_httpx(key) or "")),
                    backend=BACKEND.get(key),
                )
            )
    medians = {name: statistics.median(v["import"]) for name, v in imports.items()}
    for name, values in imports.items():
        rows.append(
            Row(
                scenario="cold import (s, lower is better)",
                client=IMPORTS[name],
                key=name,
                unit="s",
                median=medians[name],
                low=min(values["import"]),
                high=max(values["import"]),
                vs_official=_ratio(medians[name], medians.get("ollama"), lower_is_better=True),
                vs_floor=_ratio(medians[name], medians.get("floor"), lower_is_better=True),
            )
        )
    return rows


def _num(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:.1f} ms"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _x3(value: float | None) -> str:
    # Targets show a third decimal, so that 0.899 is not printed as a failing "0.90x".
    return "-" if value is None else f"{value:.3f}x"


def format_table(rows: list[Row]) -> str:
    lines = [TABLE_HEADER, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        scenario = f"{row.scenario} ({row.unit})" if row.unit != "s" else row.scenario
        lines.append(
            f"| {scenario} | {row.client} | {_num(row.median, row.unit)} | "
            f"{_num(row.low, row.unit)} | {_num(row.high, row.unit)} | "
            f"{_x(row.vs_official)} | {_x(row.vs_floor)} | {_x(row.vs_httpx)} | "
            f"{_x(row.cpu_vs_official)} | {_x(row.cpu_vs_floor)} |"
        )
    return "\n".join(lines)


def format_rss(rss: dict) -> str:
    lines = [
        f"| client | RSS after {RSS_MARK:,} chunks | peak RSS | peak - RSS at {RSS_MARK:,} | chunks |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for key, data in rss.items():
        lines.append(
            f"| {NAMES[key]} | {data['rss_at_mark'] / MIB:.1f} MiB | {data['peak'] / MIB:.1f} MiB | "
            f"{data['growth'] / MIB:+.2f} MiB | {data['chunks']:,} |"
        )
    return "\n".join(lines)


@dataclass
class Check:
    target: str
    subject: str
    value: str
    met: bool


# The targets for the fast back-ends, as ratios in this run (see docs/performance.md).
FAST = {"urllib3", "aiohttp"}
LINE_STREAMS = {"stream_generate", "stream_chat"}
SEQUENTIAL = {"generate", "embed", "list"}


def _check(target: str, subject: str, value: float | None, met: bool) -> Check:
    return Check(target, subject, _x3(value), value is not None and met)


def check_targets(rows: list[Row], rss: dict) -> list[Check]:
    checks: list[Check] = []
    for row in rows:
        if row.unit == "s" or library(row.key) != SDK:
            continue
        key = next(s.key for s in SCENARIOS if s.title == row.scenario)
        subject = f"{row.scenario}, {row.client}"
        fast = row.backend in FAST
        if key in STREAMS:
            checks.append(_check("≥ 1.0x floor", subject, row.vs_floor, (row.vs_floor or 0) >= 1.0))
        if fast and key in LINE_STREAMS:
            checks.append(
                _check("≥ 5x official", subject, row.vs_official, (row.vs_official or 0) >= 5)
            )
        if fast and key == "concurrent":
            checks.append(
                _check("≥ 10x official", subject, row.vs_official, (row.vs_official or 0) >= 10)
            )
        if fast and key == "many_streams":
            checks.append(
                _check(
                    "completes, > 1.0x httpx back-end",
                    subject,
                    row.vs_httpx,
                    row.low > 0 and (row.vs_httpx or 0) > 1.0,
                )
            )
        if fast and key in SEQUENTIAL:
            checks.append(
                _check("≥ 1.0x httpx back-end", subject, row.vs_httpx, (row.vs_httpx or 0) >= 1.0)
            )
    imp = {r.key: r for r in rows if r.unit == "s"}
    if SDK in imp and "ollama" in imp:
        share = imp[SDK].median / imp["ollama"].median
        checks.append(
            Check(
                "≤ 0.5x the time of `import ollama`",
                "import ollama_service",
                f"{share:.3f}x ({imp[SDK].median * 1000:.1f} ms vs {imp['ollama'].median * 1000:.1f} ms)",
                share <= 0.5,
            )
        )
    for key, data in rss.items():
        if library(key) == SDK:
            checks.append(
                Check(
                    f"peak ≤ RSS at {RSS_MARK:,} chunks + 5 MiB",
                    f"long stream, {NAMES[key]}",
                    f"{data['growth'] / MIB:+.2f} MiB",
                    data["growth"] <= 5 * MIB,
                )
            )
    return checks


def format_checks(checks: list[Check]) -> str:
    lines = ["| target | scenario, client | measured | met |", "| --- | --- | ---: | --- |"]
    for c in checks:
        lines.append(f"| {c.target} | {c.subject} | {c.value} | {'yes' if c.met else '**no**'} |")
    return "\n".join(lines)


# --- Machine and versions ------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:  # pragma: no cover - not Linux
        pass
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
    }


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for dist in (
        "ollama-service",
        "ollama",
        "httpx",
        "httpcore",
        "h11",
        "urllib3",
        "aiohttp",
        "msgspec",
        "pydantic",
    ):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = None
    return out


# --- Plot ----------------------------------------------------------------------------------


SHORT = {
    "generate": "generate",
    "stream_generate": "stream generate\n(line per chunk)",
    "stream_chat": "stream chat\n(line per chunk)",
    "stream_generate_16k": "stream generate\n(16 KiB chunks)",
    "stream_chat_16k": "stream chat\n(16 KiB chunks)",
    "embed": "embed\n64 x 768",
    "list": "list\n50 models",
    "concurrent": "64 concurrent\ngenerates (async)",
    "many_streams": "1,000 streams,\npool of 10 (async)",
}
COLORS = {
    "sdk-client": "#1f6feb",
    "sdk-sync-service": "#79b8ff",
    "sdk-async-client": "#0a3069",
    "sdk-service": "#8250df",
    "official-client": "#cf222e",
    "official-async-client": "#fb8f44",
    "floor-sync": "#8c959f",
    "floor-async": "#57606a",
}


def _color(key: str) -> str:
    # One hue per client; its httpx-transport twin is drawn hatched (see `plot`).
    return COLORS[key.split("@", 1)[0]]


def plot(rows: list[Row], rss: dict, path: Path) -> None:
    """Grouped bars of throughput over the floor, plus cold import and long-stream memory."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by = {(r.scenario, r.key): r for r in rows}
    present = {r.key for r in rows}
    clients = [
        k
        for k in list(SYNC_CLIENTS) + list(ASYNC_CLIENTS)
        if library(k) != "ollama" and k in present
    ]
    fig = plt.figure(figsize=(14, 9))
    grid = fig.add_gridspec(2, 2, height_ratios=[1.25, 1], width_ratios=[1, 2.2])
    top = fig.add_subplot(grid[0, :])
    width = 0.8 / len(clients)
    for i, key in enumerate(clients):
        values = [
            (by[(s.title, key)].vs_official or 0.0) if (s.title, key) in by else 0.0
            for s in SCENARIOS
        ]
        xs = [j + (i - (len(clients) - 1) / 2) * width for j in range(len(SCENARIOS))]
        top.bar(
            xs,
            values,
            width,
            label=NAMES[key],
            color=_color(key),
            hatch="//" if BACKEND.get(key) == "httpx" else None,
            edgecolor="white",
        )
    top.axhline(1.0, color="black", linewidth=1, linestyle="--")
    top.set_xticks(range(len(SCENARIOS)))
    top.set_xticklabels([SHORT[s.key] for s in SCENARIOS], fontsize=8)
    top.set_ylabel("throughput / official client of the same kind")
    top.set_yscale("log")
    top.set_title(
        "Throughput relative to the official ollama client, same run (dashed line = official;"
        " hatched = httpx back-end; log scale; higher is better)"
    )
    top.legend(fontsize=8, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.16))

    left = fig.add_subplot(grid[1, 0])
    imports = [r for r in rows if r.unit == "s"]
    left.bar(
        [r.client.replace("import ", "") for r in imports],
        [r.median * 1000 for r in imports],
        color=[
            COLORS["sdk-client"]
            if r.key == SDK
            else COLORS["official-client"]
            if r.key == "ollama"
            else COLORS["floor-sync"]
            for r in imports
        ],
    )
    for x, r in enumerate(imports):
        left.annotate(
            f"{r.median * 1000:.0f} ms", (x, r.median * 1000), ha="center", va="bottom", fontsize=8
        )
    left.set_ylabel("ms (lower is better)")
    left.set_title("Cold import in a fresh interpreter", fontsize=10)
    left.tick_params(axis="x", labelsize=8)

    right = fig.add_subplot(grid[1, 1])
    keys = list(rss)
    growth = [rss[k]["growth"] / MIB for k in keys]
    right.bar(range(len(keys)), growth, color=[_color(k) for k in keys])
    for x, value in enumerate(growth):
        right.annotate(f"{value:+.2f}", (x, value), ha="center", va="bottom", fontsize=8)
    right.axhline(5.0, color="black", linewidth=1, linestyle="--")
    right.set_ylim(0, 6)
    right.set_xticks(range(len(keys)))
    right.set_xticklabels(
        [NAMES[k].replace(" (httpx + msgspec)", "").replace("ollama_service.", "") for k in keys],
        fontsize=7,
        rotation=25,
        ha="right",
    )
    right.set_ylabel("MiB")
    right.set_title(
        "Long stream: peak RSS minus RSS after 1,000 chunks (target <= 5 MiB, dashed)",
        fontsize=10,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


# --- Main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one tiny round of everything")
    parser.add_argument("--rounds", type=int, help="rounds of the throughput scenarios")
    parser.add_argument("--no-write", action="store_true", help="do not write results or plot")
    parser.add_argument(
        "--backend",
        action="append",
        choices=sorted({*SYNC_BACKENDS, *ASYNC_BACKENDS}),
        help="run ollama_service only on this HTTP back-end (repeatable; default: every one)."
        " The official library and the floor always run.",
    )
    parser.add_argument(
        "--rss-child", nargs=3, metavar=("CLIENT", "URL", "MODEL"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.rss_child:
        rss_child(*args.rss_child)
        return 0

    sizes = QUICK if args.quick else Sizes()
    if args.rounds is not None:
        if args.rounds < 1:
            parser.error("--rounds must be at least 1")
        sizes = Sizes(**{**asdict(sizes), "rounds": args.rounds})

    def log(message: str) -> None:
        print(f"# {message}", file=sys.stderr, flush=True)

    chosen = set(args.backend or [*SYNC_BACKENDS, *ASYNC_BACKENDS])
    wanted = [
        k
        for k in list(SYNC_CLIENTS) + list(ASYNC_CLIENTS)
        if BACKEND[k] is None or BACKEND[k] in chosen
    ]
    keys = [k for k in wanted if available(k)]
    for key in sorted(set(wanted) - set(keys)):
        log(f"{NAMES[key]}: its library is not installed, its columns are left empty")
    started = time.perf_counter()
    host = machine()  # before the run: the load average shows whether the machine was busy
    with ServerProcess() as server:
        log(f"server at {server.url}")
        samples = run_rounds(server.url, keys, sizes, log)
        rss = run_rss(server.url, keys, sizes, log)
    imports = run_imports(sizes, log)
    rows = build_rows(samples, imports)
    checks = check_targets(rows, rss)
    total = time.perf_counter() - started

    print(format_table(rows))
    print()
    print(format_rss(rss))
    print()
    print(format_checks(checks))
    print()
    print(
        f"{sizes.rounds} round(s); ratios are medians over the official library and the floor "
        f"of the same kind (sync or async); higher is better. Total {total:.0f} s."
    )

    if not args.no_write:
        results = {
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "machine": host,
            "versions": versions(),
            "sizes": asdict(sizes),
            "clients": {key: NAMES[key] for key in keys},
            "backends": {key: BACKEND[key] for key in keys},
            "samples": samples,
            "imports": imports,
            "rss": rss,
            "medians": [asdict(row) for row in rows],
            "targets": [asdict(check) for check in checks],
            "table": format_table(rows),
            "seconds": total,
        }
        RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        plot(rows, rss, PLOT)
        log(f"wrote {RESULTS.relative_to(ROOT)} and {PLOT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
