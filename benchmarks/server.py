"""A fast, Ollama-shaped HTTP/1.1 server for the benchmarks, run in its own process.

Every reply is built once, at start-up, as the exact bytes to send (status line, headers and
body, streams already framed as chunked NDJSON, one HTTP chunk per line as Ollama sends them),
so serving a request costs one header scan and one `transport.write`: the time the benchmark
measures is the client's.

Routing uses the path and a marker in the JSON body, the model name:

| request | model | reply |
| --- | --- | --- |
| POST /api/generate | `bench-once` | one generate reply (`stream: false`) |
| POST /api/generate | `bench-stream` | 2,000 generate chunks, the last with `done: true` |
| POST /api/generate | `bench-stream-16k` | the same 2,000 lines in 16 KiB HTTP chunks |
| POST /api/generate | `bench-long` / `bench-long-small` | 100,000 / 5,000 generate chunks |
| POST /api/chat | `bench-stream` | 2,000 chat chunks, the last with `done: true` |
| POST /api/chat | `bench-stream-16k` | the same 2,000 lines in 16 KiB HTTP chunks |
| POST /api/embed | any | 64 vectors of 768 floats |
| GET /api/tags | - | 50 models |

Run it with `python benchmarks/server.py`: it prints `PORT <n>` once listening on 127.0.0.1,
and exits by itself when its parent process exits, or after `--idle` seconds without a request.
It uses only the standard library, so it runs with any Python that runs the benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import struct
import subprocess
import sys
import time

STREAM_CHUNKS = 2_000
LONG_CHUNKS = 100_000
LONG_CHUNKS_SMALL = 5_000
SHORT_CHUNKS = 20
EMBED_INPUTS = 64
EMBED_DIMS = 768
LIST_MODELS = 50

MODEL_ONCE = "bench-once"
MODEL_STREAM = "bench-stream"
MODEL_STREAM_16K = "bench-stream-16k"
COALESCED_BYTES = 16 * 1024
MODEL_LONG = "bench-long"
MODEL_LONG_SMALL = "bench-long-small"
MODEL_SHORT = "bench-short"

_DATE = "Tue, 25 Nov 2025 09:00:00 GMT"
_WORDS = (
    " the", " quick", " brown", " fox", " jumps", " over", " a", " lazy", " dog", ",",
    " and", " then", " it", " runs", " into", " the", " forest", ".", "\n", " Once",
    " upon", " a", " time", " there", " was", " an", " old", " llama", " named", " Ol",
    "lama", " who", " loved", " JSON", " <", "tags", ">", " &", " caf\u00e9", " \u2014",
)  # fmt: skip
_METRICS = {
    "total_duration": 5_043_500_667,
    "load_duration": 5_025_959,
    "prompt_eval_count": 26,
    "prompt_eval_duration": 325_953_000,
    "eval_duration": 4_709_213_000,
}


def _json(obj: object) -> bytes:
    # Like Go's encoding/json: compact, with <, > and & escaped.
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


def _created_at(i: int) -> str:
    return f"2025-11-25T09:00:{i // 1000 % 60:02d}.{(i * 7_919_113) % 1_000_000_000:09d}Z"


def _plain(body: bytes, status: str = "200 OK") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\n"
        f"Date: {_DATE}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def _chunked(lines: list[bytes], coalesce: int = 0) -> bytes:
    """Frame NDJSON lines as a chunked reply.

    Ollama flushes after every line, so each line is one HTTP chunk. With `coalesce`, the
    same bytes go in chunks of that size instead, cutting lines anywhere, as a buffering
    proxy in front of Ollama forwards them.
    """
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
        f"Date: {_DATE}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    pieces = [line + b"\n" for line in lines]
    if coalesce:
        body = b"".join(pieces)
        pieces = [body[i : i + coalesce] for i in range(0, len(body), coalesce)]
    parts = [head.encode()]
    parts.extend(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces)
    parts.append(b"0\r\n\r\n")
    return b"".join(parts)


def _generate_lines(model: str, count: int) -> list[bytes]:
    lines = [
        _json(
            {
                "model": model,
                "created_at": _created_at(i),
                "response": _WORDS[i % len(_WORDS)],
                "done": False,
            }
        )
        for i in range(count - 1)
    ]
    final = {
        "model": model,
        "created_at": _created_at(count),
        "response": "",
        "done": True,
        "done_reason": "stop",
        "context": list(range(128_000, 128_000 + 64)),
        **_METRICS,
        "eval_count": count - 1,
    }
    lines.append(_json(final))
    return lines


def _chat_lines(model: str, count: int) -> list[bytes]:
    lines = [
        _json(
            {
                "model": model,
                "created_at": _created_at(i),
                "message": {"role": "assistant", "content": _WORDS[i % len(_WORDS)]},
                "done": False,
            }
        )
        for i in range(count - 1)
    ]
    final = {
        "model": model,
        "created_at": _created_at(count),
        "message": {"role": "assistant", "content": ""},
        "done": True,
        "done_reason": "stop",
        **_METRICS,
        "eval_count": count - 1,
    }
    lines.append(_json(final))
    return lines


def _generate_once() -> bytes:
    text = "".join(_WORDS[i % len(_WORDS)] for i in range(120))
    body = {
        "model": MODEL_ONCE,
        "created_at": _created_at(1),
        "response": text,
        "done": True,
        "done_reason": "stop",
        "context": list(range(128_000, 128_000 + 146)),
        **_METRICS,
        "eval_count": 120,
    }
    return _plain(_json(body))


def _float32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def _embed() -> bytes:
    rng = random.Random(7)
    vectors = []
    for _ in range(EMBED_INPUTS):
        raw = [rng.gauss(0.0, 1.0) for _ in range(EMBED_DIMS)]
        norm = sum(v * v for v in raw) ** 0.5
        vectors.append([_float32(v / norm) for v in raw])
    # Go writes float32 values with the shortest digits that round-trip (about 8 significant).
    rows = ",".join("[" + ",".join(f"{v:.8g}" for v in vec) + "]" for vec in vectors)
    body = (
        '{"model":"bench-embed","embeddings":['
        + rows
        + '],"total_duration":14143917,"load_duration":1019500,"prompt_eval_count":512}'
    )
    return _plain(body.encode())


def _tags() -> bytes:
    families = ["llama", "qwen2", "gemma3", "mistral", "phi3"]
    models = []
    for i in range(LIST_MODELS):
        family = families[i % len(families)]
        name = f"{family}-bench-{i}:latest"
        models.append(
            {
                "name": name,
                "model": name,
                "modified_at": f"2025-11-{1 + i % 28:02d}T10:{i % 60:02d}:03.0123456-07:00",
                "size": 2_019_393_189 + i * 1_000_003,
                "digest": f"{i:02x}"
                + "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b"[2:],
                "details": {
                    "parent_model": "",
                    "format": "gguf",
                    "family": family,
                    "families": [family],
                    "parameter_size": f"{1 + i % 70}.{i % 10}B",
                    "quantization_level": "Q4_K_M",
                },
                "capabilities": ["completion", "tools"] if i % 3 else ["completion"],
            }
        )
    return _plain(_json({"models": models}))


class Replies:
    """Every reply the server can send, as bytes ready for the socket."""

    def __init__(self) -> None:
        self.generate_once = _generate_once()
        self.generate_stream = _chunked(_generate_lines(MODEL_STREAM, STREAM_CHUNKS))
        self.generate_long = _chunked(_generate_lines(MODEL_LONG, LONG_CHUNKS))
        self.generate_long_small = _chunked(_generate_lines(MODEL_LONG_SMALL, LONG_CHUNKS_SMALL))
        self.chat_stream = _chunked(_chat_lines(MODEL_STREAM, STREAM_CHUNKS))
        self.generate_short = _chunked(_generate_lines(MODEL_SHORT, SHORT_CHUNKS))
        self.generate_stream_16k = _chunked(
            _generate_lines(MODEL_STREAM_16K, STREAM_CHUNKS), COALESCED_BYTES
        )
        self.chat_stream_16k = _chunked(
            _chat_lines(MODEL_STREAM_16K, STREAM_CHUNKS), COALESCED_BYTES
        )
        self.embed = _embed()
        self.tags = _tags()
        self.not_found = _plain(b'{"error":"not found"}', "404 Not Found")
        self.bad_request = _plain(b'{"error":"bad request"}', "400 Bad Request")

    def route(self, method: bytes, path: bytes, body: bytes) -> bytes:
        if path == b"/api/generate":
            if b'"bench-short"' in body:
                return self.generate_short
            if b'"bench-long-small"' in body:
                return self.generate_long_small
            if b'"bench-long"' in body:
                return self.generate_long
            if b'"bench-stream"' in body:
                return self.generate_stream
            if b'"bench-stream-16k"' in body:
                return self.generate_stream_16k
            return self.generate_once
        if path == b"/api/chat":
            if b'"bench-stream-16k"' in body:
                return self.chat_stream_16k
            return self.chat_stream
        if path == b"/api/embed":
            return self.embed
        if path == b"/api/tags" and method == b"GET":
            return self.tags
        return self.not_found


class _Activity:
    last = time.monotonic()


class HTTPProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive and pipelining; request bodies by Content-Length only."""

    def __init__(self, replies: Replies) -> None:
        self.replies = replies
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        _Activity.last = time.monotonic()
        buffer = self.buffer + data if self.buffer else data
        transport = self.transport
        assert transport is not None
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buffer[:end]
            length = 0
            lower = head.lower()
            at = lower.find(b"\r\ncontent-length:")
            if at >= 0:
                stop = lower.find(b"\r\n", at + 2)
                length = int(lower[at + 17 : stop if stop >= 0 else None])
            elif b"\r\ntransfer-encoding:" in lower:
                transport.write(self.replies.bad_request)
                transport.close()
                return
            start = end + 4
            if len(buffer) < start + length:
                break
            body = buffer[start : start + length]
            buffer = buffer[start + length :]
            line_end = head.find(b"\r\n")
            method, path, _ = (head[:line_end] if line_end >= 0 else head).split(b" ", 2)
            transport.write(self.replies.route(method, path, body))
        self.buffer = buffer


async def _watch(idle: float) -> None:
    parent = os.getppid()
    while True:
        await asyncio.sleep(0.5)
        if os.getppid() != parent or time.monotonic() - _Activity.last > idle:
            return


async def serve(idle: float) -> None:
    replies = Replies()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: HTTPProtocol(replies), "127.0.0.1", 0, backlog=1024, reuse_address=True
    )
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    _Activity.last = time.monotonic()
    async with server:
        await _watch(idle)


class ServerProcess:
    """The server in a child process; `url` once started. Use as a context manager."""

    def __init__(self, idle: float = 120.0) -> None:
        self.idle = idle
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> ServerProcess:
        self._proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--idle", str(self.idle)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line.startswith("PORT "):
            self._proc.kill()
            raise RuntimeError(f"benchmark server did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=120.0, help="exit after this idle time")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.idle))
    sys.exit(0)


if __name__ == "__main__":
    main()
