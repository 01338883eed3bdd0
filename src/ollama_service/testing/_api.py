"""Ollama's native endpoints as the fake server implements them.

Transport-free: :meth:`OllamaState.handle` maps an :class:`ApiRequest` to an
:class:`ApiResponse`; ``_server.py`` puts those on the wire.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, cast

from ollama_service.testing import _responses as content, _web
from ollama_service.testing._extras import fake_png, image_steps, systemone_reply
from ollama_service.testing._fields import BODIES
from ollama_service.testing._models import (
    FakeModel,
    full_name,
    is_valid_name,
    model_for_name,
    model_key,
    normalize_name,
)
from ollama_service.testing._render import details, layers, model_info, modelfile, parameter_lines
from ollama_service.testing._validate import (
    DIGEST,
    ApiError,
    as_dict,
    as_list,
    check_options,
    check_top_logprobs,
    decode,
    format_value,
    is_relative_path,
    keep_alive,
    logprobs_request,
    stream_requested,
)
from ollama_service.testing._wire import (
    MAX_DURATION_SECONDS,
    dumps,
    go_quote,
    local_timestamp,
    utc_timestamp,
)

__all__ = [
    "JSON_TYPE",
    "NDJSON_TYPE",
    "STREAMING_PATHS",
    "ApiRequest",
    "ApiResponse",
    "OllamaState",
]

JSON_TYPE = "application/json; charset=utf-8"
NDJSON_TYPE = "application/x-ndjson"
TEXT_TYPE = "text/plain; charset=utf-8"
STREAMING_PATHS = frozenset({"/api/generate", "/api/chat", "/api/pull", "/api/push", "/api/create"})

_DEFAULT_KEEP_ALIVE = 300.0
_DEFAULT_NUM_CTX = 4096
_MANIFEST_ERROR = "pull model manifest: file does not exist"
_BLOB_PREFIX = "/api/blobs/"

# Metrics are fixed per token so that replies are fully deterministic.
_LOAD_NS = 1_000_000
_PROMPT_TOKEN_NS = 500_000
_EVAL_TOKEN_NS = 10_000_000


@dataclass(frozen=True)
class ApiRequest:
    """A request as the endpoints see it."""

    method: str
    path: str
    body: bytes
    json: Any
    json_error: str | None
    headers: Mapping[str, str] = field(default_factory=dict[str, str])
    """Request headers, with lower-case names."""


@dataclass
class ApiResponse:
    """A response: a plain body, or NDJSON ``lines`` sent with chunked encoding.

    ``before_last`` runs just before a stream's final line is written (it commits registry
    changes, so a stream cut by a fault changes nothing).
    """

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    lines: list[bytes] | None = None
    before_last: Callable[[], None] | None = None


def _decode(request: ApiRequest) -> dict[str, Any]:
    """The body of ``request``, checked against the field table of its path."""
    body = BODIES[request.path]
    return decode(request.body, request.json, request.json_error, body.struct, body.fields)


def _json(status: int, value: object) -> ApiResponse:
    return ApiResponse(status, dumps(value), JSON_TYPE)


def _empty(status: int = 200) -> ApiResponse:
    return ApiResponse(status)


def _stream(
    objects: Iterable[object], before_last: Callable[[], None] | None = None
) -> ApiResponse:
    lines = [dumps(obj) + b"\n" for obj in objects]
    return ApiResponse(200, content_type=NDJSON_TYPE, lines=lines, before_last=before_last)


def _think_enabled(value: object, model: FakeModel) -> bool:
    if value is None:
        return "thinking" in model.capabilities
    return value is not False


@dataclass(frozen=True)
class _Loaded:
    model: FakeModel
    expires_at: datetime
    context_length: int


@dataclass(frozen=True)
class _Generation:
    thinking: list[str]
    content: list[str]
    tool_calls: list[dict[str, Any]]
    done_reason: str
    prompt_tokens: int

    @property
    def eval_count(self) -> int:
        return len(self.thinking) + len(self.content) + (1 if self.tool_calls else 0)

    def metrics(self) -> dict[str, int]:
        prompt_ns = self.prompt_tokens * _PROMPT_TOKEN_NS
        eval_ns = self.eval_count * _EVAL_TOKEN_NS
        return {
            "total_duration": _LOAD_NS + prompt_ns + eval_ns,
            "load_duration": _LOAD_NS,
            "prompt_eval_count": self.prompt_tokens,
            "prompt_eval_duration": prompt_ns,
            "eval_count": self.eval_count,
            "eval_duration": eval_ns,
        }


Handler = Callable[[ApiRequest], ApiResponse]


class OllamaState:
    """The fake server's models, loaded models and blobs, and its endpoint handlers.

    All shared state is guarded by one lock; lookups are dictionary lookups.
    """

    def __init__(
        self,
        models: Iterable[FakeModel],
        *,
        version: str,
        chunk_words: bool,
        embedding_size: int,
    ) -> None:
        self.version = version
        self.chunk_words = chunk_words
        self.embedding_size = embedding_size
        self.unknown_registry_models: set[str] = {"does-not-exist"}
        self._lock = threading.Lock()
        self._models: dict[str, FakeModel] = {}
        self._loaded: dict[str, _Loaded] = {}
        self._blobs: dict[str, int] = {}
        for model in models:
            self._models[model.key] = model
        self._routes: dict[str, dict[str, Handler]] = {
            "/": {"GET": self._root, "HEAD": self._root},
            "/api/version": {"GET": self._version, "HEAD": self._version},
            "/api/generate": {"POST": self._generate},
            "/api/chat": {"POST": self._chat},
            "/api/embed": {"POST": self._embed},
            "/api/embeddings": {"POST": self._embeddings},
            "/api/tags": {"GET": self._tags, "HEAD": self._tags},
            "/api/show": {"POST": self._show},
            "/api/create": {"POST": self._create},
            "/api/copy": {"POST": self._copy},
            "/api/delete": {"DELETE": self._delete},
            "/api/pull": {"POST": self._pull},
            "/api/push": {"POST": self._push},
            "/api/ps": {"GET": self._ps},
            "/v1/systemone": {"POST": self._systemone},
            # ollama.com's routes, for clients whose web base URL points here.
            _web.WEB_SEARCH_PATH: {"POST": self._web_search},
            _web.WEB_FETCH_PATH: {"POST": self._web_fetch},
        }
        self._blob_routes: dict[str, Handler] = {"HEAD": self._blob_head, "POST": self._blob_post}

    # -- registry ----------------------------------------------------------------------------

    def models(self) -> list[FakeModel]:
        with self._lock:
            return list(self._models.values())

    def get_model(self, name: str) -> FakeModel | None:
        with self._lock:
            return self._models.get(model_key(name))

    def add_model(self, model: FakeModel) -> None:
        with self._lock:
            self._models[model.key] = model

    def remove_model(self, name: str) -> bool:
        key = model_key(name)
        with self._lock:
            self._loaded.pop(key, None)
            return self._models.pop(key, None) is not None

    def loaded_models(self) -> list[str]:
        now = datetime.now(timezone.utc)
        with self._lock:
            return [e.model.name for e in self._loaded.values() if e.expires_at > now]

    def add_blob(self, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        with self._lock:
            self._blobs[digest] = len(data)
        return digest

    def has_blob(self, digest: str) -> bool:
        with self._lock:
            return _blob_key(digest) in self._blobs

    def _lookup(self, name: str) -> FakeModel | None:
        with self._lock:
            return self._models.get(model_key(name))

    def _touch(self, model: FakeModel, keep: float | None, options: Mapping[str, Any]) -> None:
        """Record that ``model`` ran (for ``/api/ps``); a ``keep_alive`` of 0 unloads it."""
        if keep == 0:
            with self._lock:
                self._loaded.pop(model.key, None)
            return
        seconds = _DEFAULT_KEEP_ALIVE if keep is None else keep
        if seconds < 0:
            seconds = MAX_DURATION_SECONDS
        expires_at = datetime.now(timezone.utc) + timedelta(seconds=seconds)
        num_ctx = options.get("num_ctx")
        if isinstance(num_ctx, (int, float)) and not isinstance(num_ctx, bool) and num_ctx > 0:
            context_length = int(num_ctx)
        else:
            context_length = min(model.context_length, _DEFAULT_NUM_CTX)
        with self._lock:
            self._loaded[model.key] = _Loaded(model, expires_at, context_length)

    def _is_unknown_upstream(self, name: str) -> bool:
        unknown = self.unknown_registry_models
        base = normalize_name(name).rsplit(":", 1)[0]
        return any(
            candidate in unknown
            for candidate in (name, name.lower(), base, base.lower(), normalize_name(name))
        )

    # -- dispatch ----------------------------------------------------------------------------

    def handle(self, request: ApiRequest) -> ApiResponse:
        """Route ``request`` and run its endpoint."""
        methods = self._routes.get(request.path)
        if methods is None:
            digest = request.path[len(_BLOB_PREFIX) :]
            if request.path.startswith(_BLOB_PREFIX) and digest and "/" not in digest:
                methods = self._blob_routes
            else:
                return ApiResponse(404, b"404 page not found", "text/plain")
        handler = methods.get(request.method)
        if handler is None:
            allow = ", ".join(sorted(methods))
            return ApiResponse(405, b"405 method not allowed", "text/plain", (("Allow", allow),))
        try:
            return handler(request)
        except ApiError as error:
            return _json(error.status, {"error": error.message})

    # -- simple endpoints --------------------------------------------------------------------

    def _web_search(self, request: ApiRequest) -> ApiResponse:
        return _json(200, _web.search_results(request.headers, request.json, request.json_error))

    def _web_fetch(self, request: ApiRequest) -> ApiResponse:
        return _json(200, _web.fetch_page(request.headers, request.json, request.json_error))

    def _root(self, request: ApiRequest) -> ApiResponse:
        return ApiResponse(200, b"Ollama is running", TEXT_TYPE)

    def _version(self, request: ApiRequest) -> ApiResponse:
        return _json(200, {"version": self.version})

    def _tags(self, request: ApiRequest) -> ApiResponse:
        models = sorted(self.models(), key=lambda m: m.modified_at, reverse=True)
        entries: list[dict[str, Any]] = []
        for model in models:
            model_details = details(model)
            model_details["context_length"] = model.context_length
            entries.append(
                {
                    "name": model.name,
                    "model": model.name,
                    "modified_at": local_timestamp(model.modified_at),
                    "size": model.size,
                    "digest": model.digest,
                    "details": model_details,
                    "capabilities": list(model.capabilities),
                }
            )
        return _json(200, {"models": entries})

    def _ps(self, request: ApiRequest) -> ApiResponse:
        now = datetime.now(timezone.utc)
        with self._lock:
            loaded = [entry for entry in self._loaded.values() if entry.expires_at > now]
        loaded.sort(key=lambda entry: entry.expires_at, reverse=True)
        entries = [
            {
                "name": entry.model.name,
                "model": entry.model.name,
                "size": entry.model.size,
                "digest": entry.model.digest,
                "details": details(entry.model),
                "expires_at": local_timestamp(entry.expires_at),
                "size_vram": entry.model.size,
                "context_length": entry.context_length,
            }
            for entry in loaded
        ]
        return _json(200, {"models": entries})

    # -- generate and chat -------------------------------------------------------------------

    def _generation(
        self,
        model: FakeModel,
        text: str,
        *,
        think: bool,
        structured: object,
        options: Mapping[str, Any],
        prompt_tokens: int,
    ) -> _Generation:
        thinking = content.thinking_text(text) if think else ""
        if structured is not None:
            reply = content.structured_reply(structured, text)
        else:
            reply = content.reply_text(text)
        return self._limit(
            self._chunks(thinking) if thinking else [], self._chunks(reply), options, prompt_tokens
        )

    def _chunks(self, text: str) -> list[str]:
        return content.split_words(text) if self.chunk_words else [text]

    @staticmethod
    def _limit(
        thinking: list[str], reply: list[str], options: Mapping[str, Any], prompt_tokens: int
    ) -> _Generation:
        num_predict = options.get("num_predict")
        limit = (
            int(num_predict)
            if isinstance(num_predict, (int, float)) and not isinstance(num_predict, bool)
            else -1
        )
        done_reason = "stop"
        if 0 < limit < len(thinking) + len(reply):
            done_reason = "length"
            thinking = thinking[:limit]
            reply = reply[: max(0, limit - len(thinking))]
        return _Generation(thinking, reply, [], done_reason, prompt_tokens)

    def _require_model(self, name: str, *, empty_status: int, empty_message: str) -> FakeModel:
        if not name:
            raise ApiError(empty_status, empty_message)
        if not is_valid_name(name):
            raise ApiError(400, "invalid model name")
        model = self._lookup(name)
        if model is None:
            raise ApiError(404, f"model '{name}' not found")
        return model

    def _check_think(self, name: str, value: object, model: FakeModel) -> None:
        if value is not None and value is not False and "thinking" not in model.capabilities:
            raise ApiError(400, f"{go_quote(name)} does not support thinking")

    def _generate(self, request: ApiRequest) -> ApiResponse:
        body = _decode(request)
        name: str = body.get("model") or ""
        prompt: str = body.get("prompt") or ""
        raw = body.get("raw") is True
        if raw and (body.get("template") or body.get("system") or body.get("context")):
            raise ApiError(400, "raw mode does not support template, system, or context")
        check_top_logprobs(body)
        model = self._require_model(name, empty_status=404, empty_message="model '' not found")
        keep = keep_alive(body.get("keep_alive"))
        if not prompt and keep == 0:
            self._touch(model, 0, {})
            return _json(200, _load_reply(name, "unload", chat=False))
        if "image" in model.capabilities:
            return self._image(model, name, prompt, body, keep)
        if "completion" not in model.capabilities:
            raise ApiError(400, f"{go_quote(name)} does not support generate")
        if body.get("suffix") and "insert" not in model.capabilities:
            raise ApiError(400, f"{full_name(name)} does not support insert")
        self._check_think(name, body.get("think"), model)
        options = check_options(body.get("options"))
        self._touch(model, keep, options)
        if not prompt:
            return _json(200, _load_reply(name, "load", chat=False))
        structured = format_value(body.get("format"))
        generation = self._generation(
            model,
            prompt,
            think=_think_enabled(body.get("think"), model),
            structured=structured,
            options=options,
            prompt_tokens=max(1, len(prompt.split())),
        )
        logprobs = logprobs_request(body)
        final: dict[str, Any] = {"done_reason": generation.done_reason}
        if not raw:
            previous = as_list(body.get("context")) or []
            final["context"] = [
                *previous,
                *content.token_ids(prompt),
                *content.token_ids("".join(generation.content)),
            ]
        final.update(generation.metrics())

        if not stream_requested(body):
            reply: dict[str, Any] = {
                "model": name,
                "created_at": utc_timestamp(),
                "response": "".join(generation.content),
            }
            if generation.thinking:
                reply["thinking"] = "".join(generation.thinking)
            reply["done"] = True
            reply.update(final)
            if logprobs is not None:
                reply["logprobs"] = [content.logprob_entry(w, logprobs) for w in generation.content]
            return _json(200, reply)

        lines: list[dict[str, Any]] = []
        for word in generation.thinking:
            lines.append(
                {
                    "model": name,
                    "created_at": utc_timestamp(),
                    "response": "",
                    "thinking": word,
                    "done": False,
                }
            )
        for word in generation.content:
            line: dict[str, Any] = {
                "model": name,
                "created_at": utc_timestamp(),
                "response": word,
                "done": False,
            }
            if logprobs is not None:
                line["logprobs"] = [content.logprob_entry(word, logprobs)]
            lines.append(line)
        last: dict[str, Any] = {
            "model": name,
            "created_at": utc_timestamp(),
            "response": "",
            "done": True,
        }
        last.update(final)
        lines.append(last)
        return _stream(lines)

    def _image(
        self, model: FakeModel, name: str, prompt: str, body: Mapping[str, Any], keep: float | None
    ) -> ApiResponse:
        """Experimental image generation: ``steps`` progress updates, then the image."""
        steps = image_steps(body.get("steps"))
        self._touch(model, keep, {})
        final: dict[str, Any] = {
            "model": name,
            "created_at": utc_timestamp(),
            "response": "",
            "done": True,
            "done_reason": "stop",
            "image": fake_png(prompt, body.get("width"), body.get("height")),
            "total_duration": _LOAD_NS + steps * _EVAL_TOKEN_NS,
            "load_duration": _LOAD_NS,
        }
        if not stream_requested(body):
            return _json(200, final)
        progress = [
            {
                "model": name,
                "created_at": utc_timestamp(),
                "response": "",
                "done": False,
                "completed": step,
                "total": steps,
            }
            for step in range(1, steps + 1)
        ]
        return _stream([*progress, final])

    def _systemone(self, request: ApiRequest) -> ApiResponse:
        body = _decode(request)
        name: str = body.get("model") or ""
        model = self._require_model(name, empty_status=400, empty_message="model is required")
        keep = keep_alive(body.get("keep_alive"))
        self._touch(model, keep, {})
        return _json(200, systemone_reply(name, body, len(request.body)))

    def _chat(self, request: ApiRequest) -> ApiResponse:
        body = _decode(request)
        name: str = body.get("model") or ""
        messages = [as_dict(m) or {} for m in as_list(body.get("messages")) or []]
        tools = [as_dict(t) or {} for t in as_list(body.get("tools")) or []]
        check_top_logprobs(body)
        model = self._require_model(name, empty_status=400, empty_message="model is required")
        keep = keep_alive(body.get("keep_alive"))
        if not messages and keep == 0:
            self._touch(model, 0, {})
            return _json(200, _load_reply(name, "unload", chat=True))
        if "completion" not in model.capabilities:
            raise ApiError(400, f"{go_quote(name)} does not support chat")
        if tools and "tools" not in model.capabilities:
            raise ApiError(400, f"{full_name(name)} does not support tools")
        self._check_think(name, body.get("think"), model)
        options = check_options(body.get("options"))
        self._touch(model, keep, options)
        if not messages:
            return _json(200, _load_reply(name, "load", chat=True))
        structured = format_value(body.get("format"))
        think = _think_enabled(body.get("think"), model)
        prompt_tokens = max(1, sum(len(str(m.get("content") or "").split()) for m in messages))

        tool_results = _trailing_tool_results(messages)
        user_text = _last_user_text(messages)
        if tool_results:
            reply_text = content.tool_results_reply(tool_results)
            thinking = content.thinking_text(reply_text) if think else ""
            generation = self._limit(
                self._chunks(thinking) if thinking else [],
                self._chunks(reply_text),
                options,
                prompt_tokens,
            )
        elif tools:
            function = as_dict(tools[0].get("function")) or {}
            tool_name = function.get("name")
            tool_name = tool_name if isinstance(tool_name, str) else ""
            call = {
                "id": content.call_id(f"{model.name}\x00{user_text}\x00{tool_name}"),
                "function": {
                    "index": 0,
                    "name": tool_name,
                    "arguments": content.tool_call_arguments(function.get("parameters")),
                },
            }
            thinking_chunks = self._chunks(content.thinking_text(user_text)) if think else []
            generation = _Generation(thinking_chunks, [], [call], "stop", prompt_tokens)
        else:
            generation = self._generation(
                model,
                user_text,
                think=think,
                structured=structured,
                options=options,
                prompt_tokens=prompt_tokens,
            )
        logprobs = logprobs_request(body)

        if not stream_requested(body):
            message: dict[str, Any] = {"role": "assistant", "content": "".join(generation.content)}
            if generation.thinking:
                message["thinking"] = "".join(generation.thinking)
            if generation.tool_calls:
                message["tool_calls"] = generation.tool_calls
            reply: dict[str, Any] = {
                "model": name,
                "created_at": utc_timestamp(),
                "message": message,
                "done": True,
                "done_reason": generation.done_reason,
            }
            reply.update(generation.metrics())
            if logprobs is not None:
                reply["logprobs"] = [content.logprob_entry(w, logprobs) for w in generation.content]
            return _json(200, reply)

        lines: list[dict[str, Any]] = []
        for word in generation.thinking:
            lines.append(
                {
                    "model": name,
                    "created_at": utc_timestamp(),
                    "message": {"role": "assistant", "content": "", "thinking": word},
                    "done": False,
                }
            )
        for word in generation.content:
            line: dict[str, Any] = {
                "model": name,
                "created_at": utc_timestamp(),
                "message": {"role": "assistant", "content": word},
                "done": False,
            }
            if logprobs is not None:
                line["logprobs"] = [content.logprob_entry(word, logprobs)]
            lines.append(line)
        if generation.tool_calls:
            lines.append(
                {
                    "model": name,
                    "created_at": utc_timestamp(),
                    "message": {
                        "role": "assistant",
                        "content": "",
                        "tool_calls": generation.tool_calls,
                    },
                    "done": False,
                }
            )
        last: dict[str, Any] = {
            "model": name,
            "created_at": utc_timestamp(),
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": generation.done_reason,
        }
        last.update(generation.metrics())
        lines.append(last)
        return _stream(lines)

    # -- embeddings --------------------------------------------------------------------------

    def _embed(self, request: ApiRequest) -> ApiResponse:
        body = _decode(request)
        name: str = body.get("model") or ""
        raw_input = body.get("input")
        inputs: list[str]
        if raw_input is None or raw_input == "":
            inputs = []
        elif isinstance(raw_input, str):
            inputs = [raw_input]
        else:
            items = as_list(raw_input)
            if items is None or not all(isinstance(item, str) for item in items):
                raise ApiError(400, "invalid input type")
            inputs = [str(item) for item in items]
        if not name:
            raise ApiError(404, "model '' not found")
        model = self._lookup(name)
        if model is None:
            raise ApiError(404, f"model {go_quote(name)} not found, try pulling it first")
        options = check_options(body.get("options"))
        self._touch(model, keep_alive(body.get("keep_alive")), options)
        if not inputs:
            return _json(200, {"model": name, "embeddings": []})
        if body.get("truncate") is False and any(
            len(text.split()) > model.context_length for text in inputs
        ):
            raise ApiError(400, "the input length exceeds the context length")
        dimensions = body.get("dimensions")
        size = dimensions if isinstance(dimensions, int) and dimensions > 0 else self.embedding_size
        vectors = [content.embedding(text, size, normalize=True) for text in inputs]
        tokens = sum(max(1, len(text.split())) for text in inputs)
        return _json(
            200,
            {
                "model": name,
                "embeddings": vectors,
                "total_duration": _LOAD_NS + tokens * _PROMPT_TOKEN_NS,
                "load_duration": _LOAD_NS,
                "prompt_eval_count": tokens,
            },
        )

    def _embeddings(self, request: ApiRequest) -> ApiResponse:
        body = _decode(request)
        name: str = body.get("model") or ""
        if not name:
            raise ApiError(400, "model is required")
        model = self._lookup(name)
        if model is None:
            raise ApiError(404, f"model {go_quote(name)} not found, try pulling it first")
        options = check_options(body.get("options"))
        self._touch(model, keep_alive(body.get("keep_alive")), options)
        prompt: str = body.get("prompt") or ""
        if not prompt:
            return _json(200, {"embedding": []})
        vector = content.embedding(prompt, self.embedding_size, normalize=False)
        return _json(200, {"embedding": vector})

    # -- model management --------------------------------------------------------------------

    def _show(self, request: ApiRequest) -> ApiResponse:
        body = _decode(request)
        name: str = body.get("model") or body.get("name") or ""
        if not name:
            raise ApiError(400, "model is required")
        if not is_valid_name(name):
            raise ApiError(400, "invalid model name")
        model = self._lookup(name)
        if model is None:
            shown = name if name.rfind(":") > name.rfind("/") else f"{name}:latest"
            raise ApiError(404, f"model '{shown}' not found")
        options = as_dict(body.get("options")) or {}
        system = body.get("system") or model.system
        parameters = {**model.parameters, **options}
        reply: dict[str, Any] = {}
        if model.license:
            reply["license"] = model.license
        reply["modelfile"] = modelfile(model, system, parameters)
        parameter_text = "\n".join(
            f"{key:<30} {value}" for key, value in parameter_lines(parameters, quoted=True)
        )
        if parameter_text:
            reply["parameters"] = parameter_text
        if model.template:
            reply["template"] = model.template
        if system:
            reply["system"] = system
        reply["details"] = details(model)
        reply["model_info"] = model_info(
            model, self.embedding_size, verbose=body.get("verbose") is True
        )
        if model.capabilities:
            reply["capabilities"] = list(model.capabilities)
        reply["modified_at"] = local_timestamp(model.modified_at)
        return _json(200, reply)

    def _copy(self, request: ApiRequest) -> ApiResponse:
        body = _decode(request)
        source: str = body.get("source") or ""
        destination: str = body.get("destination") or ""
        if not is_valid_name(source):
            raise ApiError(400, f"source {go_quote(source)} is invalid")
        if not is_valid_name(destination):
            raise ApiError(400, f"destination {go_quote(destination)} is invalid")
        model = self._lookup(source)
        if model is None:
            raise ApiError(404, f"model {go_quote(source)} not found")
        self.add_model(model.renamed(destination))
        return _empty()

    def _delete(self, request: ApiRequest) -> ApiResponse:
        body = _decode(request)
        name: str = body.get("model") or body.get("name") or ""
        if not name:
            raise ApiError(400, "model is required")
        if not is_valid_name(name):
            raise ApiError(400, f"name {go_quote(name)} is invalid")
        if not self.remove_model(name):
            raise ApiError(404, f"model '{name}' not found")
        return _empty()

    def _pull_progress(self, model: FakeModel) -> list[dict[str, Any]]:
        progress: list[dict[str, Any]] = []
        for digest, total in layers(model):
            status = f"pulling {digest[7:19]}"
            progress.append({"status": status, "digest": digest, "total": total})
            progress.append(
                {"status": status, "digest": digest, "total": total, "completed": total // 2}
            )
            progress.append(
                {"status": status, "digest": digest, "total": total, "completed": total}
            )
        return progress

    def _pulled(self, name: str) -> FakeModel:
        existing = self._lookup(name)
        if existing is not None:
            return existing.renamed(existing.name)
        return model_for_name(name).renamed(name)

    def _pull(self, request: ApiRequest) -> ApiResponse:
        body = _decode(request)
        name: str = body.get("model") or body.get("name") or ""
        if not is_valid_name(name):
            raise ApiError(400, "invalid model name")
        stream = stream_requested(body)
        if self._is_unknown_upstream(name):
            if not stream:
                raise ApiError(500, _MANIFEST_ERROR)
            return _stream([{"status": "pulling manifest"}, {"error": _MANIFEST_ERROR}])
        model = self._pulled(name)
        progress: list[dict[str, Any]] = [
            {"status": "pulling manifest"},
            *self._pull_progress(model),
            {"status": "verifying sha256 digest"},
            {"status": "writing manifest"},
            {"status": "removing unused layers"},
            {"status": "success"},
        ]
        if not stream:
            self.add_model(model)
            return _json(200, progress[-1])
        return _stream(progress, lambda: self.add_model(model))

    def _push(self, request: ApiRequest) -> ApiResponse:
        body = _decode(request)
        name: str = body.get("model") or body.get("name") or ""
        if not name:
            raise ApiError(400, "model is required")
        model = self._lookup(name)
        if model is None:
            raise ApiError(404, f"model '{name}' not found")
        progress: list[dict[str, Any]] = [{"status": "retrieving manifest"}]
        for digest, total in layers(model):
            status = f"pushing {digest[7:19]}"
            progress.append({"status": status, "digest": digest, "total": total})
            progress.append(
                {"status": status, "digest": digest, "total": total, "completed": total}
            )
        progress.append({"status": "pushing manifest"})
        progress.append({"status": "success"})
        if not stream_requested(body):
            return _json(200, progress[-1])
        return _stream(progress)

    def _create(self, request: ApiRequest) -> ApiResponse:
        body = _decode(request)
        name: str = body.get("model") or body.get("name") or ""
        if not is_valid_name(name):
            raise ApiError(400, "invalid model name")
        source: str = body.get("from") or ""
        files = as_dict(body.get("files")) or {}
        if not source and not files:
            raise ApiError(400, "neither 'from' or 'files' was specified")
        for path, digest in {**files, **(as_dict(body.get("adapters")) or {})}.items():
            if not is_relative_path(path):
                raise ApiError(400, "file path must be relative")
            if not isinstance(digest, str) or not DIGEST.match(digest):
                raise ApiError(400, "invalid digest format")
        stream = stream_requested(body)
        progress: list[dict[str, Any]] = []
        pulled: FakeModel | None = None
        reused: list[str] = []  # digests of layers kept as they are
        if source:
            base = self._lookup(source)
            if base is None:
                if not is_valid_name(source) or self._is_unknown_upstream(source):
                    if not stream:
                        raise ApiError(500, _MANIFEST_ERROR)
                    return _stream([{"status": "pulling manifest"}, {"error": _MANIFEST_ERROR}])
                pulled = base = self._pulled(source)
                progress += [
                    {"status": "pulling manifest"},
                    *self._pull_progress(base),
                    {"status": "verifying sha256 digest"},
                    {"status": "writing manifest"},
                ]
            reused = [digest for digest, _ in layers(base)]
        else:
            gguf = any(str(path).endswith(".gguf") for path in files)
            progress.append({"status": "parsing GGUF" if gguf else "converting model"})
            if gguf:
                reused = [str(digest) for digest in files.values()]
            else:
                layer = "sha256:" + hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest()
                progress.append({"status": f"creating new layer {layer}"})
            base = model_for_name(name)
            if not gguf:
                base = base.renamed(base.name, quantization_level="F16")

        changes: dict[str, Any] = {}
        quantize: str = body.get("quantize") or body.get("quantization") or ""
        if quantize:
            level = base.quantization_level.upper()
            if level not in ("F16", "BF16", "F32"):
                message = "quantization is only supported for F16, BF16 and F32 models"
                if not stream or not progress:
                    raise ApiError(500, message)
                return _stream([*progress, {"error": message}])
            status = f"quantizing {level} model to {quantize.upper()}"
            placeholder = "0000000000000000000"
            weights = hashlib.sha256(f"{base.digest}/{quantize.upper()}".encode()).hexdigest()
            progress += [
                {"status": status, "digest": placeholder, "total": base.size, "completed": 1},
                {
                    "status": status,
                    "digest": placeholder,
                    "total": base.size,
                    "completed": base.size,
                },
                {"status": "verifying conversion"},
                {"status": f"creating new layer sha256:{weights}"},
            ]
            reused = reused[1:]
            changes["quantization_level"] = quantize.upper()
        progress += [{"status": f"using existing layer {digest}"} for digest in reused]
        for field_name in ("template", "system", "license", "parameters", "messages"):
            value = body.get(field_name)
            if not value:
                continue
            licenses = as_list(value)
            if field_name == "license" and licenses is not None:
                value = "\n".join(str(item) for item in licenses)
            if field_name == "parameters":
                changes["parameters"] = {**base.parameters, **cast("dict[str, Any]", value)}
            elif field_name != "messages":
                changes[field_name] = value
            layer = "sha256:" + hashlib.sha256(dumps(value)).hexdigest()
            progress.append({"status": f"creating new layer {layer}"})
        digest = hashlib.sha256(
            f"{base.digest}/{name}/{sorted(changes.items())!r}".encode()
        ).hexdigest()
        created = base.renamed(name, digest=digest, **changes)
        progress += [{"status": "writing manifest"}, {"status": "success"}]

        def commit() -> None:
            if pulled is not None:
                self.add_model(pulled)
            self.add_model(created)

        if not stream:
            commit()
            return _json(200, progress[-1])
        return _stream(progress, commit)

    # -- blobs -------------------------------------------------------------------------------

    def _blob_digest(self, request: ApiRequest) -> str:
        digest = request.path[len(_BLOB_PREFIX) :]
        if not DIGEST.match(digest):
            raise ApiError(400, "invalid digest format")
        return digest

    def _blob_head(self, request: ApiRequest) -> ApiResponse:
        digest = self._blob_digest(request)
        if not self.has_blob(digest):
            raise ApiError(404, f"blob {go_quote(digest)} not found")
        return _empty()

    def _blob_post(self, request: ApiRequest) -> ApiResponse:
        digest = self._blob_digest(request)
        if self.has_blob(digest):
            return _empty(200)
        computed = "sha256:" + hashlib.sha256(request.body).hexdigest()
        if computed != digest:
            raise ApiError(
                400, f"digest mismatch, expected {go_quote(digest)}, got {go_quote(computed)}"
            )
        with self._lock:
            self._blobs[_blob_key(digest)] = len(request.body)
        return _empty(201)


# -- helpers ------------------------------------------------------------------------------------


def _blob_key(digest: str) -> str:
    return "sha256:" + digest[7:]


def _load_reply(name: str, reason: str, *, chat: bool) -> dict[str, Any]:
    reply: dict[str, Any] = {"model": name, "created_at": utc_timestamp()}
    if chat:
        reply["message"] = {"role": "assistant", "content": ""}
    else:
        reply["response"] = ""
    reply["done"] = True
    reply["done_reason"] = reason
    return reply


def _trailing_tool_results(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    results: list[tuple[str, str]] = []
    for message in reversed(messages):
        if str(message.get("role") or "").lower() != "tool":
            break
        tool_name = message.get("tool_name")
        results.append(
            (
                tool_name if isinstance(tool_name, str) and tool_name else "tool",
                str(message.get("content") or ""),
            )
        )
    results.reverse()
    return results


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if str(message.get("role") or "").lower() == "user":
            return str(message.get("content") or "")
    return ""
