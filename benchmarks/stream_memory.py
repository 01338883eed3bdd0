"""Flat memory on a long stream: `python -m benchmarks.stream_memory [--client sync|async]`.

A tiny threaded socket server in this process answers one `POST /api/generate` with a chunked
NDJSON body of `--lines` generate chunks (default 1,000,000) and a final `done` line, written
from bytes prepared once, so the server costs next to nothing and allocates nothing per line.
The SDK's `Client` (or `AsyncClient`) reads the stream item by item; the resident set size
(`VmRSS` in /proc/self/status) is sampled after line 10,000 (the baseline, once every buffer
and cache is warm) and then every 10,000 lines, and at the end.

It prints the numbers and exits with status 1 when RSS grew by `--max-growth-mib` (10) or more
between line 10,000 and the end, or when the stream did not deliver every line; 0 otherwise.
Linux only (it reads /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from ollama_service import AsyncClient, Client, GenerateResponse

MODEL = "bench-memory"
BASELINE_LINE = 10_000
SAMPLE_EVERY = 10_000
LINES_PER_CHUNK = 256  # lines per HTTP chunk: few h11 events, realistic line sizes
MIB = 1024 * 1024
STATUS = Path("/proc/self/status")

_LINE = (
    b'{"model":"bench-memory","created_at":"2025-11-25T09:00:00.123456789Z",'
    b'"response":" llama","done":false}\n'
)
_LAST = (
    b'{"model":"bench-memory","created_at":"2025-11-25T09:00:00.123456789Z","response":"",'
    b'"done":true,"done_reason":"stop","total_duration":1,"load_duration":1,'
    b'"prompt_eval_count":1,"prompt_eval_duration":1,"eval_count":1,"eval_duration":1}\n'
)
_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
    b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
)


def rss_bytes() -> int:
    """The process's resident set size, from /proc/self/status."""
    for line in STATUS.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS line in /proc/self/status")


def _frame(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _body(lines: int) -> Iterator[bytes]:
    """The framed body: full chunks of identical lines (one prepared block), then the rest."""
    block = _frame(_LINE * LINES_PER_CHUNK)
    full, rest = divmod(lines, LINES_PER_CHUNK)
    for _ in range(full):
        yield block
    yield _frame(_LINE * rest + _LAST)
    yield b"0\r\n\r\n"


def _read_request(conn: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return
        body += chunk


class StreamServer:
    """Answers every request on 127.0.0.1 with the prepared stream, one thread per connection."""

    def __init__(self, lines: int) -> None:
        self.lines = lines
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> StreamServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        self._thread.join(5)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            _read_request(conn)
            conn.sendall(_HEAD)
            pending: list[bytes] = []
            size = 0
            for piece in _body(self.lines):
                pending.append(piece)
                size += len(piece)
                if size >= 256 * 1024:
                    conn.sendall(b"".join(pending))
                    pending.clear()
                    size = 0
            conn.sendall(b"".join(pending))


class Meter:
    """Samples RSS at the baseline line and every SAMPLE_EVERY lines after it.

    With `keep=True` it also holds on to every item: a deliberate leak, to show that the
    measurement does catch one.
    """

    def __init__(self, keep: bool = False) -> None:
        self.count = 0
        self.baseline = 0
        self.peak = 0
        self.kept: list[GenerateResponse] | None = [] if keep else None

    def seen(self, item: GenerateResponse) -> None:
        self.count += 1
        if self.kept is not None:
            self.kept.append(item)
        if self.count % SAMPLE_EVERY == 0:
            rss = rss_bytes()
            if self.count == BASELINE_LINE:
                self.baseline = rss
            elif self.count > BASELINE_LINE:
                self.peak = max(self.peak, rss)


def consume_sync(base_url: str, meter: Meter) -> None:
    with Client(base_url, max_retries=0) as client:
        stream = client.generate(MODEL, "remember nothing", stream=True)
        with stream:
            for item in stream:
                meter.seen(item)


async def consume_async(base_url: str, meter: Meter) -> None:
    async with AsyncClient(base_url, max_retries=0) as client:
        stream = await client.generate(MODEL, "remember nothing", stream=True)
        async with stream:
            async for item in stream:
                meter.seen(item)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="stream lines (default 1e6)")
    parser.add_argument("--client", choices=["sync", "async"], default="sync")
    parser.add_argument("--max-growth-mib", type=float, default=10.0)
    parser.add_argument(
        "--keep-items", action="store_true", help="leak every item on purpose (self-check)"
    )
    args = parser.parse_args(argv)
    if args.lines < 2 * BASELINE_LINE:
        parser.error(f"--lines must be at least {2 * BASELINE_LINE}")

    meter = Meter(keep=args.keep_items)
    started = time.perf_counter()
    with StreamServer(args.lines) as server:
        base_url = f"http://127.0.0.1:{server.port}"
        if args.client == "sync":
            consume_sync(base_url, meter)
        else:
            asyncio.run(consume_async(base_url, meter))
    elapsed = time.perf_counter() - started
    final = rss_bytes()
    peak = max(meter.peak, final)
    growth = peak - meter.baseline
    expected = args.lines + 1  # and the done line
    ok = growth < args.max_growth_mib * MIB and meter.count == expected

    print(f"client: {args.client}" + (" (keeping every item)" if args.keep_items else ""))
    print(f"lines: {meter.count} (expected {expected})")
    print(f"seconds: {elapsed:.1f} ({meter.count / elapsed:,.0f} lines/s)")
    print(f"rss at line {BASELINE_LINE}: {meter.baseline / MIB:.2f} MiB")
    print(f"rss peak after it: {peak / MIB:.2f} MiB (final {final / MIB:.2f} MiB)")
    print(f"growth: {growth / MIB:.2f} MiB (bound {args.max_growth_mib:g} MiB)")
    print("result: " + ("ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
