"""Decoding alone, ours next to the official library's: `python -m benchmarks.decode`.

Issue 10 made our replies read like the official pydantic models (datetime fields, nested
dicts converted when a struct is built in Python, the mapping view) and promised that
decoding does not pay for it. This measures that, with no HTTP at all: the same reply bodies
(as the benchmark server sends them) decoded by

- `ours`: what our clients run on a body (`_decode.decode_body` for a reply, `decode_item`
  for a stream line) with the operation's generated decoder;
- `ours decoder`: that generated `msgspec.json.Decoder` alone (the error-line check and the
  call around it left out);
- `official`: what the official client runs (`Model(**json.loads(body))`, as its `_request`
  and stream loop do);
- `official json`: pydantic's fastest path, `Model.model_validate_json(body)`;
- `floor`: hand-written msgspec structs with dates left as strings (no base class, no
  datetime parsing): the cost of decoding these bytes at all.

Bodies: a chat stream line and the final chat line (metrics), `list` with 20 models (each a
`modified_at` datetime), `ps` with 5 models (`expires_at`), and `show` (model_info with 40
keys, `modified_at`). In every round each decoder decodes each body `--number` times, always
in the same order, after one untimed warm-up, timed in the process's CPU time (other jobs on
a shared machine disturb it far less than wall time); the table gives the best (least
disturbed, as `timeit` reports) of the rounds' times per decode and the ratios (above 1: ours is faster);
the JSON keeps every sample and the medians too. Before timing, every body is
checked to decode to the same `model_dump()` in both libraries, so the comparison is of the
same result. Results go to stdout (Markdown) and, unless `--no-write`, to
`benchmarks/decode-results.json`; docs/performance.md quotes a run.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from benchmarks.server import _chat_lines, _tags
from ollama_service._decode import decode_body, decode_item
from ollama_service.types import _operations as ops

RESULTS = Path(__file__).with_name("decode-results.json")
LIST_MODELS = 20


# --- The bodies ------------------------------------------------------------------------------


def _list_body() -> bytes:
    body = _tags().split(b"\r\n\r\n", 1)[1]  # the server keeps whole HTTP replies
    models = json.loads(body)["models"][:LIST_MODELS]
    return msgspec.json.encode({"models": models})


def _ps_body() -> bytes:
    models = [
        {
            "name": f"llama3.2-{i}:latest",
            "model": f"llama3.2-{i}:latest",
            "size": 3_825_819_519 + i,
            "digest": f"{i:02x}"
            + "fe938a131f40e6f6d40083c9f0f430a515233eb2edaa6d72eb85c50d64f2300e"[2:],
            "details": {
                "parent_model": "",
                "format": "gguf",
                "family": "llama",
                "families": ["llama"],
                "parameter_size": "3.2B",
                "quantization_level": "Q4_K_M",
            },
            "expires_at": f"2025-11-0{1 + i}T10:{i:02d}:03.0123456-07:00",
            "size_vram": 3_825_819_519 + i,
            "context_length": 4096,
        }
        for i in range(5)
    ]
    return msgspec.json.encode({"models": models})


def _show_body() -> bytes:
    info: dict[str, Any] = {"general.architecture": "llama", "general.parameter_count": 3212749888}
    info.update({f"llama.block_{i}.weight_count": 1000 + i for i in range(30)})
    info.update({f"tokenizer.ggml.key_{i}": f"value {i}" for i in range(8)})
    body = {
        "license": "LLAMA 3.2 COMMUNITY LICENSE AGREEMENT\n" * 20,
        "modelfile": "FROM /models/blobs/sha256-abc\nTEMPLATE {{ .Prompt }}\n" * 5,
        "parameters": 'stop "<|start_header_id|>"\nstop "<|end_header_id|>"',
        "template": "<|start_header_id|>system<|end_header_id|>\n{{ .System }}" * 4,
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": "llama",
            "families": ["llama"],
            "parameter_size": "3.2B",
            "quantization_level": "Q4_K_M",
        },
        "model_info": info,
        "capabilities": ["completion", "tools"],
        "modified_at": "2025-11-01T10:00:03.0123456-07:00",
    }
    return msgspec.json.encode(body)


# --- The floor's structs ---------------------------------------------------------------------


class _Message(msgspec.Struct):
    role: str
    content: str


class _Chat(msgspec.Struct):
    model: str
    created_at: str
    message: _Message
    done: bool
    done_reason: str | None = None
    total_duration: int | None = None
    load_duration: int | None = None
    prompt_eval_count: int | None = None
    prompt_eval_duration: int | None = None
    eval_count: int | None = None
    eval_duration: int | None = None


class _Details(msgspec.Struct):
    parent_model: str
    format: str
    family: str
    families: list[str] | None
    parameter_size: str
    quantization_level: str


class _Model(msgspec.Struct):
    name: str
    model: str
    size: int
    digest: str
    details: _Details
    modified_at: str | None = None
    expires_at: str | None = None
    size_vram: int | None = None
    context_length: int | None = None
    capabilities: list[str] | None = None


class _Models(msgspec.Struct):
    models: list[_Model]


class _Show(msgspec.Struct):
    license: str
    modelfile: str
    parameters: str
    template: str
    details: _Details
    model_info: dict[str, Any]
    capabilities: list[str]
    modified_at: str


# --- The cases -------------------------------------------------------------------------------

Decode = Callable[[bytes], Any]


def cases() -> list[tuple[str, bytes, dict[str, Decode]]]:
    """(body name, bytes, {decoder name: function}) for every body."""
    import ollama._types as official

    chat_line, chat_final = _chat_lines("bench-stream", 2)

    def ours_line(decoder: Any) -> Decode:
        return lambda data: decode_item(data, decoder)

    def ours_body(decoder: Any) -> Decode:
        return lambda data: decode_body(data, decoder)

    def official_call(model: Any) -> Decode:
        return lambda data: model(**json.loads(data))

    def official_json(model: Any) -> Decode:
        return model.model_validate_json  # type: ignore[no-any-return]

    def floor(struct: type) -> Decode:
        return msgspec.json.Decoder(struct).decode

    chat = {
        "ours": ours_line(ops.CHAT.decoder),
        "ours decoder": ops.CHAT.decoder.decode,
        "official": official_call(official.ChatResponse),
        "official json": official_json(official.ChatResponse),
        "floor": floor(_Chat),
    }
    return [
        ("chat stream line", chat_line, chat),
        ("chat final line", chat_final, chat),
        (
            f"list, {LIST_MODELS} models",
            _list_body(),
            {
                "ours": ours_body(ops.LIST.decoder),
                "ours decoder": ops.LIST.decoder.decode,
                "official": official_call(official.ListResponse),
                "official json": official_json(official.ListResponse),
                "floor": floor(_Models),
            },
        ),
        (
            "ps, 5 models",
            _ps_body(),
            {
                "ours": ours_body(ops.PS.decoder),
                "ours decoder": ops.PS.decoder.decode,
                "official": official_call(official.ProcessResponse),
                "official json": official_json(official.ProcessResponse),
                "floor": floor(_Models),
            },
        ),
        (
            "show",
            _show_body(),
            {
                "ours": ours_body(ops.SHOW.decoder),
                "ours decoder": ops.SHOW.decoder.decode,
                "official": official_call(official.ShowResponse),
                "official json": official_json(official.ShowResponse),
                "floor": floor(_Show),
            },
        ),
    ]


def check_same(name: str, body: bytes, decoders: dict[str, Decode]) -> None:
    """Both libraries decode `body` to the same `model_dump()`, on the official keys (ours
    adds fields the official models lack, such as `name`), datetimes to the microsecond (a
    7-digit fraction is rounded by msgspec, truncated by pydantic)."""
    ours = decoders["ours"](body).model_dump()
    official = decoders["official"](body).model_dump()
    if not _same(ours, official):
        raise SystemExit(f"{name}: ours and the official library decode it differently")
    if "line" not in name and not any(isinstance(v, datetime) for v in _walk(ours)):
        raise SystemExit(f"{name}: no datetime decoded")


def _walk(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _walk(v)]
    if isinstance(value, list):
        return [x for v in value for x in _walk(v)]
    return [value]


def _same(ours: Any, official: Any) -> bool:
    if isinstance(official, dict):
        return isinstance(ours, dict) and all(_same(ours.get(k), v) for k, v in official.items())
    if isinstance(official, list):
        return (
            isinstance(ours, list)
            and len(ours) == len(official)
            and all(_same(a, b) for a, b in zip(ours, official, strict=True))
        )
    if isinstance(official, datetime):
        return isinstance(ours, datetime) and abs((ours - official).total_seconds()) <= 1e-6
    return bool(ours == official)


def measure(rounds: int, number: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Seconds per decode (every sample, the best and the median), per body and decoder."""
    table = cases()
    for name, body, decoders in table:
        check_same(name, body, decoders)
    samples: dict[str, dict[str, list[float]]] = {name: {} for name, _, _ in table}
    for round_no in range(rounds):
        log(f"round {round_no + 1}/{rounds}")
        for name, body, decoders in table:
            for decoder_name, decode in decoders.items():
                decode(body)  # warm-up
                gc.collect()
                start = time.process_time()
                for _ in range(number):
                    decode(body)
                elapsed = (time.process_time() - start) / number
                samples[name].setdefault(decoder_name, []).append(elapsed)
    medians = {
        name: {d: statistics.median(v) for d, v in per.items()} for name, per in samples.items()
    }
    best = {name: {d: min(v) for d, v in per.items()} for name, per in samples.items()}
    sizes = {name: len(body) for name, body, _ in table}
    return {"samples": samples, "best": best, "medians": medians, "sizes": sizes}


def format_table(result: dict[str, Any]) -> str:
    lines = [
        "| body | bytes | ours µs | ours decoder µs | official µs | official json µs | floor µs "
        "| x official | x official json | x floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, med in result["best"].items():
        ours = med["ours"]
        lines.append(
            f"| {name} | {result['sizes'][name]:,} | {ours * 1e6:.2f} | "
            f"{med['ours decoder'] * 1e6:.2f} | "
            f"{med['official'] * 1e6:.2f} | {med['official json'] * 1e6:.2f} | "
            f"{med['floor'] * 1e6:.2f} | {med['official'] / ours:.2f}x | "
            f"{med['official json'] / ours:.2f}x | {med['floor'] / ours:.2f}x |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--number", type=int, default=500, help="decodes per sample")
    parser.add_argument("--quick", action="store_true", help="one tiny round (a smoke run)")
    parser.add_argument("--no-write", action="store_true", help=f"do not write {RESULTS.name}")
    args = parser.parse_args(argv)
    rounds, number = (1, 20) if args.quick else (args.rounds, args.number)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    result = measure(rounds, number, log)
    table = format_table(result)
    print(table)
    if not args.no_write and not args.quick:
        import pydantic

        import ollama_service

        result.update(
            {
                "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "rounds": rounds,
                "number": number,
                "python": sys.version.split()[0],
                "versions": {
                    "ollama_service": ollama_service.__version__,
                    "ollama": importlib.metadata.version("ollama"),
                    "pydantic": pydantic.VERSION,
                    "msgspec": msgspec.__version__,
                },
                "table": table,
            }
        )
        RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
