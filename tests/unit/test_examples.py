"""Every documented example body decodes into its generated struct, with nothing lost.

Two sources:

- `openapi/examples/`: the spec's own examples. `INDEX.yaml` names the schema of each file;
  every JSON body (and every line of an NDJSON stream) is decoded with that struct, then
  checked twice: spot values per file (the model name and a content field, at least), and a
  generic comparison with the raw JSON (every known key kept, nothing invented).
- `../shared/ollama-api-examples/`: the bodies shown in Ollama's own docs (present in CI; or set
  `OLLAMA_API_EXAMPLES`). `openapi/shared-examples.yaml` maps each file name to its schema and
  lists the files that are no HTTP body.

Request bodies decode with `msgspec.json.decode(data, type=...)`; unknown keys (such as the
removed `numa` option the docs still send) are ignored, as the server ignores them.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml
from msgspec import UNSET

from ollama_service import types
from ollama_service.types import BaseStruct, ErrorResponse

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "openapi" / "examples"
INDEX: dict[str, dict[str, Any]] = yaml.safe_load((EXAMPLES / "INDEX.yaml").read_text("utf-8"))
SHARED = Path(
    os.environ.get("OLLAMA_API_EXAMPLES") or ROOT.parent / "shared" / "ollama-api-examples"
)
SHARED_MAP: dict[str, Any] = yaml.safe_load(
    (ROOT / "openapi" / "shared-examples.yaml").read_text("utf-8")
)


@dataclass(frozen=True)
class StartsWith:
    """Expect a string that starts with `prefix` (for long texts)."""

    prefix: str


@dataclass(frozen=True)
class Len:
    """Expect a sized value of length `n` (for long lists and dicts)."""

    n: int


@dataclass(frozen=True)
class NonEmpty:
    """Expect a non-empty container."""


_PART = re.compile(r"[^.\[\]]+|\[-?\d+\]")


def resolve(root: Any, path: str) -> Any:
    """Follow `a.b[0].c` through struct attributes (Python names), dict keys and list indexes."""
    value = root
    for part in _PART.findall(path):
        if part.startswith("["):
            value = value[int(part[1:-1])]
        else:
            value = value[part] if isinstance(value, dict) else getattr(value, part)
    return value


def check(actual: Any, expected: Any, where: str) -> None:
    if isinstance(expected, StartsWith):
        assert isinstance(actual, str), where
        assert actual.startswith(expected.prefix), where
    elif isinstance(expected, Len):
        assert len(actual) == expected.n, where
    elif isinstance(expected, NonEmpty):
        assert len(actual) > 0, where
    elif expected is UNSET:
        assert actual is UNSET, where
    else:
        assert actual == expected, where
        numbers = (int, float)
        assert type(actual) is type(expected) or (
            type(actual) in numbers and type(expected) in numbers
        ), where


def _default(field: msgspec.structs.FieldInfo) -> Any:
    if field.default is not msgspec.NODEFAULT:
        return field.default
    if field.default_factory is not msgspec.NODEFAULT:
        return field.default_factory()
    raise AssertionError(f"required field {field.name} was not in the body")


def assert_faithful(value: Any, raw: Any, where: str = "$") -> None:
    """`value` (decoded) holds exactly what `raw` (plain JSON) says, field by field.

    Every key of `raw` that the struct knows is kept with its value (null as None, or as the
    field's default when the type has no None); every key `raw` lacks has the field default,
    so decoding invented nothing. Unknown keys in `raw` are ignored, as the server ignores them.
    """
    if isinstance(value, BaseStruct):
        assert isinstance(raw, dict), f"{where}: expected an object"
        for field in msgspec.structs.fields(value):
            decoded = getattr(value, field.name)
            inner = f"{where}.{field.encode_name}"
            if field.encode_name not in raw:
                assert decoded == _default(field), f"{inner}: invented {decoded!r}"
            elif raw[field.encode_name] is None:
                assert decoded is None or decoded == _default(field), inner
            else:
                assert_faithful(decoded, raw[field.encode_name], inner)
    elif isinstance(value, list):
        assert isinstance(raw, list), where
        assert len(value) == len(raw), where
        for i, (item, raw_item) in enumerate(zip(value, raw, strict=True)):
            assert_faithful(item, raw_item, f"{where}[{i}]")
    elif isinstance(value, dict):
        assert isinstance(raw, dict), where
        assert list(value) == list(raw), f"{where}: keys or their order changed"
        for key, item in value.items():
            assert_faithful(item, raw[key], f"{where}.{key}")
    elif isinstance(value, datetime):
        # Dates decode to datetimes, to the microsecond (Go sends up to 9 fractional digits).
        assert isinstance(raw, str), where
        assert value == msgspec.convert(raw, datetime), f"{where}: {value!r} != {raw!r}"
    else:
        assert value == raw, f"{where}: {value!r} != {raw!r}"


def decode_body(data: bytes, struct_type: type[Any], stream: bool) -> list[tuple[Any, Any]]:
    """(decoded, raw) for the body, or for each line of a stream ("error" lines as errors)."""
    lines = [line for line in data.splitlines() if line.strip()] if stream else [data]
    out: list[tuple[Any, Any]] = []
    for line in lines:
        raw = json.loads(line)
        line_type = ErrorResponse if stream and "error" in raw else struct_type
        out.append((msgspec.json.decode(line, type=line_type), raw))
    return out


# --- openapi/examples ------------------------------------------------------------------------

# file name -> {path: expected}; "#items" is the number of NDJSON lines, "[i]." indexes them.
EXPECTED: dict[str, dict[str, Any]] = {
    "version-response.json": {"version": "0.33.0"},
    "generate-request-minimal.json": {
        "model": "llama3.2",
        "prompt": "Name the three primary colours of light.",
    },
    "generate-request-no-stream.json": {
        "model": "gemma4",
        "prompt": "Summarise the plot of Hamlet in two sentences.",
    },
    "generate-request-all-options.json": {
        "model": "llama3.2:3b",
        "prompt": "Write a haiku about autumn rain.",
        "options.num_ctx": 4096,
        "options.stop": ["\n\n", "User:"],
    },
    "generate-request-structured.json": {
        "model": "qwen3:8b",
        "prompt": StartsWith("Extract the city and the temperature: 'I"),
    },
    "generate-request-json-mode.json": {
        "model": "llama3.2",
        "prompt": "List two planets and their number of moons as JSON.",
        "format": "json",
    },
    "generate-request-suffix.json": {
        "model": "qwen2.5-coder:7b",
        "prompt": "def fahrenheit_to_celsius(f: float) -> float:\n",
    },
    "generate-request-raw.json": {
        "model": "mistral:7b",
        "prompt": "[INST] Translate 'good morning' into Italian. [/INST]",
    },
    "generate-request-images.json": {
        "model": "gemma4",
        "prompt": "What colours are the four pixels of this image?",
        "images": Len(1),
    },
    "generate-request-think-level.json": {
        "model": "gpt-oss:20b",
        "prompt": "Is 2027 a prime number?",
        "think": "high",
    },
    "generate-request-logprobs.json": {"model": "llama3.2", "prompt": "The capital of France is"},
    "generate-request-debug-render.json": {
        "model": "llama3.2",
        "prompt": "Hello there",
        "debug_render_only": True,
    },
    "generate-request-context.json": {"model": "llama3.2", "prompt": "And what is its population?"},
    "generate-request-cloud.json": {
        "model": "gpt-oss:120b-cloud",
        "prompt": "Give me one fun fact about octopuses.",
    },
    "generate-request-load.json": {"model": "llama3.2", "prompt": UNSET, "stream": UNSET},
    "generate-request-unload.json": {"model": "llama3.2", "keep_alive": 0, "prompt": UNSET},
    "generate-request-keep-forever.json": {"model": "llama3.2", "keep_alive": -1},
    "generate-response-stream.ndjson": {
        "#items": 7,
        "[0].model": "llama3.2",
        "[0].response": "Red",
        "[0].done": False,
        "[-1].model": "llama3.2",
        "[-1].response": "",
        "[-1].done": True,
    },
    "generate-response-thinking-stream.ndjson": {
        "#items": 6,
        "[0].model": "gpt-oss:20b",
        "[0].response": "",
        "[0].done": False,
        "[-1].model": "gpt-oss:20b",
        "[-1].response": "",
        "[-1].done": True,
        "[0].thinking": "We need",
    },
    "generate-response-older-server.json": {
        # Before v0.1.35 there was no `done_reason`.
        "model": "llama2",
        "done": True,
        "done_reason": None,
        "context": Len(9),
        "eval_count": 11,
    },
    "generate-response-newer-server.json": {
        # Keys a newer server adds are ignored; the known ones decode as before.
        "model": "gemma4:latest",
        "response": "Hello! How can I help you today?",
        "done_reason": "stop",
        "eval_duration": 329868375,
    },
    "generate-response.json": {
        "model": "gemma4",
        "response": StartsWith("Prince Hamlet seeks revenge on his uncle"),
        "done": True,
    },
    "generate-response-structured.json": {
        "model": "qwen3:8b",
        "response": '{"city": "Seville", "temperature_c": 31}',
        "done": True,
    },
    "generate-response-logprobs.json": {"model": "llama3.2", "response": " Paris.", "done": True},
    "generate-response-debug-render.json": {
        "model": "llama3.2",
        "response": "",
        "done": True,
        "debug_info.rendered_template": StartsWith("<|start_header_id|>system"),
    },
    "generate-response-tool-calls.json": {
        "model": "qwen3:8b",
        "response": "",
        "done": True,
        "tool_calls[0].function.name": "get_time",
        "tool_calls[0].function.arguments": {"timezone": "Europe/Madrid"},
    },
    "generate-response-remote.json": {
        "model": "gpt-oss:120b-cloud",
        "response": "An octopus has three hearts and blue, copper-based blood.",
        "done": True,
        "remote_model": "gpt-oss:120b",
        "thinking": "Pick a short, well-known fact.",
    },
    "generate-response-load.json": {
        "model": "llama3.2",
        "response": "",
        "done": True,
        "done_reason": "load",
    },
    "generate-response-unload.json": {
        "model": "llama3.2",
        "response": "",
        "done": True,
        "done_reason": "unload",
    },
    "generate-response-midstream-error.ndjson": {
        "#items": 4,
        "[0].model": "gemma4",
        "[0].response": "Once",
        "[0].done": False,
        "[-1].error": StartsWith("model runner has unexpectedly stopped, t"),
    },
    "generate-error-model-not-found.json": {"error": "model 'llama3.3' not found"},
    "generate-error-empty-model.json": {"error": "model '' not found"},
    "generate-error-think-unsupported.json": {"error": '"llama3.2" does not support thinking'},
    "generate-error-raw-with-system.json": {
        "error": "raw mode does not support template, system, or context"
    },
    "generate-error-missing-body.json": {"error": "missing request body"},
    "generate-error-invalid-format.json": {
        "error": StartsWith('invalid format: "yaml"; expected "json" ')
    },
    "generate-error-bad-option.json": {"error": 'option "stop" must be of type array'},
    "generate-error-busy.json": {"error": StartsWith("server busy, please try again.  maximum ")},
    "chat-request-minimal.json": {"model": "llama3.2", "messages[-1].content": "Why do cats purr?"},
    "chat-request-history.json": {
        "model": "qwen3:8b",
        "messages[-1].content": "And 17 cubed?",
        "messages[2].role": "assistant",
        "messages[2].thinking": "17*17 = 289.",
        "keep_alive": "30m",
    },
    "chat-request-tools.json": {
        "model": "qwen3:8b",
        "messages[-1].content": StartsWith("Book a table for 4 at Casa Lucio tomorro"),
        "tools[0].function.name": "get_weather",
    },
    "chat-request-tool-results.json": {
        "model": "qwen3:8b",
        "messages[-1].content": '{"temp_c": 22, "sky": "cloudy"}',
    },
    "chat-request-think.json": {
        "model": "qwen3:8b",
        "messages[-1].content": "How many times does the letter r appear in 'strawberry'?",
    },
    "chat-request-think-level.json": {
        "model": "gpt-oss:20b",
        "messages[-1].content": "Plan a three-day trip to Kyoto.",
        "think": "low",
    },
    "chat-request-images.json": {"model": "gemma4", "messages[-1].content": "Describe this image."},
    "chat-request-structured.json": {
        "model": "llama3.1:8b",
        "messages[-1].content": StartsWith("Give me the name, capital and official l"),
    },
    "chat-request-json-mode.json": {
        "model": "llama3.2",
        "messages[-1].content": "Describe Canada in one line as JSON with keys name and fact.",
    },
    "chat-request-logprobs.json": {
        "model": "llama3.2",
        "messages[-1].content": "Answer yes or no: is water wet?",
    },
    "chat-request-debug-render.json": {"model": "llama3.2", "messages[-1].content": "Hi!"},
    "chat-request-load.json": {"model": "qwen3:8b", "messages": []},
    "chat-request-unload.json": {"model": "qwen3:8b", "messages": [], "keep_alive": 0},
    "chat-request-keep-alive-seconds.json": {
        "model": "llama3.2",
        "messages[-1].content": "Ping",
        "keep_alive": 90.5,
    },
    "chat-response-stream.ndjson": {
        "#items": 6,
        "[0].model": "llama3.2",
        "[0].message.content": "Cats",
        "[0].done": False,
        "[-1].model": "llama3.2",
        "[-1].message.content": "",
        "[-1].done": True,
    },
    "chat-response-thinking-stream.ndjson": {
        "#items": 6,
        "[0].model": "qwen3:8b",
        "[0].message.content": "",
        "[0].done": False,
        "[-1].model": "qwen3:8b",
        "[-1].message.content": "",
        "[-1].done": True,
    },
    "chat-response-tool-calls-stream.ndjson": {
        "#items": 2,
        "[0].model": "qwen3:8b",
        "[0].message.content": "",
        "[0].done": False,
        "[-1].model": "qwen3:8b",
        "[-1].message.content": "",
        "[-1].done": True,
        "[0].message.tool_calls[1].id": "call_p0x4c8re",
    },
    "chat-response.json": {
        "model": "llama3.1:8b",
        "message.content": StartsWith('{"name": "Switzerland", "capital": "Bern'),
        "done": True,
    },
    "chat-response-thinking.json": {
        "model": "qwen3:8b",
        "message.content": 'There are three r\'s in "strawberry".',
        "done": True,
        "message.thinking": StartsWith("Spell it: s-t-r-a-w-b-e-r-r-y."),
    },
    "chat-response-tool-calls-older-server.json": {
        # Before v0.12.6 the server omitted `index` while 0 (and before v0.4.7 always), and sent no id.
        "message.tool_calls[0].function.index": 0,
        "message.tool_calls[0].id": None,
        "message.tool_calls[1].function.index": 1,
        "message.tool_calls[1].function.arguments": {"city": "Lisbon"},
    },
    "chat-response-stream-older-server.ndjson": {
        # Before v0.1.17 the final chunk had no `message`: it decodes as an empty assistant one.
        "#items": 4,
        "[0].message.content": "The",
        "[-1].done": True,
        "[-1].message.role": "assistant",
        "[-1].message.content": "",
        "[-1].done_reason": None,
        "[-1].eval_count": 4,
    },
    "chat-response-newer-server.json": {
        "model": "gemma4:latest",
        "message.content": "Paris.",
        "done_reason": "stop",
        "eval_count": 3,
    },
    "chat-request-tool-history-no-content.json": {
        "messages[1].role": "assistant",
        "messages[1].content": "",
        "messages[1].tool_calls[0].function.name": "get_weather",
        "messages[1].tool_calls[0].function.index": 0,
        "messages[2].tool_name": "get_weather",
    },
    "chat-response-tool-calls.json": {
        "model": "qwen3:8b",
        "message.content": "",
        "done": True,
        "message.tool_calls[0].function.name": "book_table",
        "message.tool_calls[1].function.arguments": {"city": "Madrid", "unit": "celsius"},
    },
    "chat-response-after-tools.json": {
        "model": "qwen3:8b",
        "message.content": "Madrid is clear at 29 °C, while Lisbon is cloudy at 22 °C.",
        "done": True,
    },
    "chat-response-images.json": {
        "model": "gemma4",
        "message.content": StartsWith("A tiny 2x2 image: red and green pixels o"),
        "done": True,
    },
    "chat-response-logprobs.json": {
        "model": "llama3.2",
        "message.content": "Yes",
        "done": True,
        "logprobs[0].token": "Yes",
        "logprobs[0].top_logprobs[1].token": "No",
    },
    "chat-response-debug-render.json": {"model": "llama3.2", "message.content": "", "done": True},
    "chat-response-debug-render-images.json": {
        "model": "gemma4",
        "message.content": "",
        "done": True,
    },
    "chat-response-load.json": {
        "model": "qwen3:8b",
        "message.content": "",
        "done": True,
        "done_reason": "load",
    },
    "chat-response-unload.json": {
        "model": "qwen3:8b",
        "message.content": "",
        "done": True,
        "done_reason": "unload",
    },
    "chat-response-midstream-error.ndjson": {
        "#items": 3,
        "[0].model": "qwen3:8b",
        "[0].message.content": "",
        "[0].done": False,
        "[-1].error": StartsWith("an error was encountered while running t"),
    },
    "chat-error-model-required.json": {"error": "model is required"},
    "chat-error-tools-unsupported.json": {
        "error": "registry.ollama.ai/library/gemma3:1b does not support tools"
    },
    "chat-error-model-not-found.json": {"error": "model 'qwen3:14b' not found"},
    "chat-error-unauthorized.json": {
        "error": "unauthorized",
        "signin_url": StartsWith("https://ollama.com/connect?"),
    },
    "chat-error-busy.json": {"error": StartsWith("server busy, please try again.  maximum ")},
    "embed-request-single.json": {
        "model": "nomic-embed-text",
        "input": "Ollama runs large language models locally.",
    },
    "embed-request-batch.json": {"model": "embeddinggemma", "input": Len(3)},
    "embed-request-dimensions.json": {
        "model": "embeddinggemma",
        "input": "Matryoshka embeddings can be shortened.",
        "dimensions": 8,
        "keep_alive": 300,
    },
    "embed-request-load.json": {"model": "nomic-embed-text", "input": UNSET},
    "embed-response-single.json": {
        "model": "nomic-embed-text",
        "embeddings": Len(1),
        "embeddings[0][0]": 0.410580635,
    },
    "embed-response-batch.json": {"model": "embeddinggemma", "embeddings": Len(3)},
    "embed-response-dimensions.json": {"model": "embeddinggemma", "embeddings": Len(1)},
    "embed-response-load.json": {"model": "nomic-embed-text", "embeddings": []},
    "embed-error-model-not-found.json": {
        "error": 'model "mxbai-embed-large" not found, try pulling it first'
    },
    "embed-error-input-too-long.json": {"error": "the input length exceeds the context length"},
    "embed-error-invalid-input.json": {"error": "invalid input type"},
    "embeddings-request.json": {
        "model": "nomic-embed-text",
        "prompt": "Llamas are members of the camelid family.",
    },
    "embeddings-request-load.json": {"model": "nomic-embed-text", "prompt": UNSET},
    "embeddings-response.json": {"embedding": Len(12), "embedding[0]": 0.7040162086486816},
    "embeddings-response-load.json": {"embedding": []},
    "embeddings-error-model-required.json": {"error": "model is required"},
    "embeddings-error-model-not-found.json": {
        "error": 'model "all-minilm" not found, try pulling it first'
    },
    "list-response-older-server.json": {
        # Before v0.1.21: no `model`, no `details.parent_model`.
        "models[0].name": "llama2:latest",
        "models[0].model": "",
        "models[0].details.parent_model": "",
        "models[0].details.families": None,
        "models[0].capabilities": None,
    },
    "list-response.json": {
        "models[0].name": "qwen3:8b",
        "models[0].details.family": "qwen3",
        "models[0].size": 5225388164,
    },
    "list-response-empty.json": {"models": []},
    "show-request.json": {"model": "qwen3:8b", "verbose": UNSET},
    "show-request-verbose.json": {"model": "llama3.2", "verbose": True, "options.num_ctx": 8192},
    "show-response-older-server.json": {
        # Before v0.1.45: no `model_info`, no `modified_at`; before v0.6.4 no `capabilities`.
        "license": "LLAMA 2 COMMUNITY LICENSE AGREEMENT",
        "modelfile": StartsWith('# Modelfile generated by "ollama show"'),
        "details.family": "llama",
        "model_info": {},
        "modelinfo": {},
        "modified_at": None,
        "capabilities": None,
    },
    "show-response.json": {
        "details.family": "qwen3",
        "capabilities": ["completion", "tools", "thinking"],
        "model_info": NonEmpty(),
    },
    "show-response-vision.json": {
        "details.family": "gemma4",
        "capabilities": ["completion", "vision"],
    },
    "show-response-remote.json": {
        "details.family": "gptoss",
        "capabilities": ["completion", "tools", "thinking"],
    },
    "show-error-not-found.json": {"error": "model 'llama9:latest' not found"},
    "show-error-model-required.json": {"error": "model is required"},
    "create-request-from.json": {
        "model": "sommelier",
        "from_": "llama3.2",
        "parameters.temperature": 0.6,
    },
    "create-request-quantize.json": {
        "model": "llama3.2:3b-q4km",
        "from_": "llama3.2:3b-instruct-fp16",
        "quantize": "q4_K_M",
    },
    "create-request-gguf.json": {
        "model": "my-org/tinyllama-chat",
        "files": Len(1),
        "adapters": Len(1),
        "license": "Apache-2.0",
    },
    "create-request-safetensors.json": {"model": "granite-local", "files": Len(5)},
    "create-request-renderer.json": {"model": "qwen3-strict", "from_": "qwen3:8b"},
    "create-request-remote.json": {"model": "lab-llama", "from_": "llama3.3:70b"},
    "create-request-draft.json": {"model": "qwen3-spec", "from_": "qwen3:32b"},
    "create-response-stream.ndjson": {
        "#items": 7,
        "[0].status": StartsWith("using existing layer sha256:56ab95364163"),
        "[-1].status": "success",
    },
    "create-response-quantize-stream.ndjson": {
        "#items": 8,
        "[0].status": "quantizing F16 model to Q4_K_M",
        "[-1].status": "success",
        "[1].completed": 1610612736,
    },
    "create-response-gguf-stream.ndjson": {
        "#items": 6,
        "[0].status": "parsing GGUF",
        "[-1].status": "success",
    },
    "create-response-safetensors-stream.ndjson": {
        "#items": 6,
        "[0].status": "converting model",
        "[-1].status": "success",
    },
    "create-response.json": {"status": "success"},
    "create-response-midstream-error.ndjson": {
        "#items": 2,
        "[0].status": StartsWith("using existing layer sha256:56ab95364163"),
        "[-1].error": "quantization is only supported for F16, BF16 and F32 models",
    },
    "create-error-no-source.json": {"error": "neither 'from' or 'files' was specified"},
    "create-error-file-path.json": {"error": "file path must be relative"},
    "create-error-invalid-name.json": {"error": "invalid model name"},
    "copy-request.json": {"source": "llama3.2", "destination": "llama3.2-backup:2026-08-22"},
    "copy-error-not-found.json": {"error": 'model "lama3.2" not found'},
    "copy-error-invalid-destination.json": {"error": 'destination "bad name!" is invalid'},
    "delete-request.json": {"model": "sommelier:latest"},
    "delete-error-not-found.json": {"error": "model 'sommelier:latest' not found"},
    "delete-error-model-required.json": {"error": "model is required"},
    "pull-request.json": {"model": "qwen3:8b", "stream": UNSET},
    "pull-request-no-stream.json": {
        "model": "registry.internal.example:5000/team/llama3.2:3b",
        "stream": False,
    },
    "pull-response-stream.ndjson": {
        "#items": 10,
        "[0].status": "pulling manifest",
        "[-1].status": "success",
        "[1].total": 5225375072,
    },
    "pull-response.json": {"status": "success"},
    "pull-response-midstream-error.ndjson": {
        "#items": 2,
        "[0].status": "pulling manifest",
        "[-1].error": "pull model manifest: file does not exist",
    },
    "pull-error-invalid-name.json": {"error": "invalid model name"},
    "pull-error-not-found.json": {"error": "pull model manifest: file does not exist"},
    "pull-error-insecure.json": {"error": "insecure protocol http"},
    "push-request.json": {"model": "alice/sommelier:latest", "stream": UNSET},
    "push-request-no-stream.json": {"model": "alice/sommelier:v2", "stream": False},
    "push-response-stream.ndjson": {
        "#items": 7,
        "[0].status": "retrieving manifest",
        "[-1].status": "success",
    },
    "push-response.json": {"status": "success"},
    "push-error-model-required.json": {"error": "model is required"},
    "ps-response-older-server.json": {
        # Before v0.10.0 there was no `context_length`: it decodes as 0 (unknown).
        "models[0].model": "mistral:latest",
        "models[0].size_vram": 5137025024,
        "models[0].context_length": 0,
    },
    "ps-response-cpu-older-server.json": {
        # v0.1.38 to v0.1.41 omitted `size_vram` while 0 (a CPU-only load).
        "models[0].model": "phi3:latest",
        "models[0].size_vram": 0,
        "models[0].context_length": 0,
        "models[0].size": 4120000000,
    },
    "ps-response.json": {"models[0].model": "llama3.2:latest", "models[0].size_vram": 3480000000},
    "ps-response-empty.json": {"models": []},
    "create-blob-error-digest-mismatch.json": {
        "error": StartsWith('digest mismatch, expected "sha256:3c7851')
    },
    "create-blob-error-invalid-digest.json": {"error": "invalid digest format"},
    "web-search-request.json": {"query": "what is ollama?", "max_results": 3},
    "web-search-response.json": {
        "results[0].title": "Ollama",
        "results[1].url": "https://github.com/ollama/ollama",
    },
    "web-search-error-unauthorized.json": {"error": "unauthorized"},
    "web-fetch-request.json": {"url": "https://ollama.com"},
    "web-fetch-response.json": {"title": "Ollama", "links[0]": "https://ollama.com/download"},
    "systemone-request.json": {
        "model": "nimble",
        "state.ticket": StartsWith("I was charged twice"),
        "questions.team.criteria.other": None,
        "questions.urgency.criteria[2]": "Urgent",
        "keep_alive": "5m",
    },
    "systemone-response.json": {
        "answers.team.choice": "billing",
        "answers.refund.noul": 0.97,
        "answers.urgency.legend.2": "Urgent",
        "usage.input_tokens": 212,
    },
    "systemone-error-state-empty.json": {"error": "state must not be empty"},
    "systemone-error-too-large.json": {"error": "request body must not exceed 64 KiB"},
}

DECODABLE = sorted(name for name, meta in INDEX.items() if meta["schema"] is not None)


def test_index_matches_the_folder() -> None:
    files = {path.name for path in EXAMPLES.iterdir() if path.name != "INDEX.yaml"}
    assert files == set(INDEX)


def test_every_decodable_example_has_expectations() -> None:
    assert sorted(EXPECTED) == DECODABLE


@pytest.mark.parametrize("name", sorted(n for n, m in INDEX.items() if m["schema"] is None))
def test_examples_without_a_schema_are_not_json(name: str) -> None:
    """The skipped files are the non-JSON bodies: empty replies and plain-text errors."""
    data = (EXAMPLES / name).read_bytes()
    assert name.endswith(".txt")
    if data.strip():
        with pytest.raises(json.JSONDecodeError):
            json.loads(data)


@pytest.mark.parametrize("name", DECODABLE)
def test_openapi_example_decodes(name: str) -> None:
    meta = INDEX[name]
    struct_type = getattr(types, meta["schema"])
    decoded = decode_body((EXAMPLES / name).read_bytes(), struct_type, meta["stream"])
    for i, (value, raw) in enumerate(decoded):
        expected_type = ErrorResponse if meta["stream"] and "error" in raw else struct_type
        assert type(value) is expected_type, f"line {i}"
        assert_faithful(value, raw, f"{name}[{i}]" if meta["stream"] else name)
    items = [value for value, _ in decoded]
    root: Any = items if meta["stream"] else items[0]
    for path, expected in EXPECTED[name].items():
        if path == "#items":
            assert len(items) == expected
        else:
            check(resolve(root, path), expected, f"{name}: {path}")


@pytest.mark.parametrize("name", [n for n in DECODABLE if INDEX[n]["kind"] == "request"])
def test_openapi_request_example_round_trips(name: str) -> None:
    """Re-encoding a decoded request keeps every field the server knows."""
    struct_type = getattr(types, INDEX[name]["schema"])
    decoded = msgspec.json.decode((EXAMPLES / name).read_bytes(), type=struct_type)
    again = msgspec.json.decode(msgspec.json.encode(decoded), type=struct_type)
    assert again == decoded


# --- ../shared/ollama-api-examples --------------------------------------------------------------

# Files in the folder that are not HTTP bodies (shared-examples.yaml says why).
NOT_BODIES = {
    name for name, entry in SHARED_MAP["not_valid"].items() if entry.get("body", True) is False
}


def shared_struct(name: str) -> type[Any] | None:
    """The struct of the first rule of shared-examples.yaml whose fragment is in the name."""
    rule = next((r for r in SHARED_MAP["rules"] if r["match"] in name), None)
    return None if rule is None else getattr(types, rule["schema"])


def _shared_files() -> list[str]:
    if not SHARED.is_dir():
        return []
    return sorted(
        p.name
        for p in SHARED.iterdir()
        if p.is_file() and p.name != "INDEX.md" and p.name not in NOT_BODIES
    )


def _shared_params() -> list[Any]:
    names = _shared_files()
    if not names:
        return [pytest.param(None, id="absent")]
    return [pytest.param(name, id=name) for name in names]


def _require_shared() -> None:
    if not SHARED.is_dir():
        pytest.skip(
            f"../shared/ollama-api-examples is not present (it is in CI); looked for {SHARED}"
        )


@pytest.mark.parametrize("name", _shared_params())
def test_shared_example_decodes(name: str | None) -> None:
    """Each documented body decodes with the struct its name implies, keeping every known key."""
    _require_shared()
    assert name is not None
    struct_type = shared_struct(name)
    assert struct_type is not None, (
        f"no struct for {name}; add a rule to openapi/shared-examples.yaml"
    )
    data = (SHARED / name).read_bytes()
    try:
        json.loads(data) if not name.endswith(".ndjson") else None
    except json.JSONDecodeError:
        pytest.skip(f"{name} is not valid JSON")
    for i, (value, raw) in enumerate(decode_body(data, struct_type, name.endswith(".ndjson"))):
        assert_faithful(value, raw, f"{name}[{i}]")
        if "model" in raw and isinstance(value, BaseStruct) and "error" not in raw:
            assert value["model"] == raw["model"]


def test_shared_folder_is_fully_mapped() -> None:
    """Every body file in the shared folder has a struct (a new file needs a rule)."""
    _require_shared()
    unmapped = [name for name in _shared_files() if shared_struct(name) is None]
    assert unmapped == []
    assert (SHARED / "INDEX.md").is_file()
    assert {p.name for p in SHARED.iterdir()} >= NOT_BODIES, "a listed non-body file is gone"
