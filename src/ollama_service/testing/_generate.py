"""``/api/generate``: completions, and the experimental image generation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ollama_service.testing import _responses as content
from ollama_service.testing._exchange import (
    ApiRequest,
    ApiResponse,
    decode_body,
    json_reply,
    stream_reply,
)
from ollama_service.testing._extras import fake_png, image_steps
from ollama_service.testing._generation import (
    EVAL_TOKEN_NS,
    LOAD_NS,
    GenerationMixin,
    load_reply,
    think_enabled,
)
from ollama_service.testing._models import FakeModel, full_name
from ollama_service.testing._params import (
    check_top_logprobs,
    format_value,
    keep_alive,
    logprobs_request,
    stream_requested,
)
from ollama_service.testing._validate import ApiError, as_list, check_options
from ollama_service.testing._wire import go_quote, utc_timestamp

__all__ = ["GenerateEndpoints"]


class GenerateEndpoints(GenerationMixin):
    """``/api/generate``."""

    def _generate(self, request: ApiRequest) -> ApiResponse:
        body = decode_body(request)
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
            return json_reply(200, load_reply(name, "unload", chat=False))
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
            return json_reply(200, load_reply(name, "load", chat=False))
        structured = format_value(body.get("format"))
        generation = self._generation(
            model,
            prompt,
            think=think_enabled(body.get("think"), model),
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
            return json_reply(200, reply)

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
        return stream_reply(lines)

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
            "total_duration": LOAD_NS + steps * EVAL_TOKEN_NS,
            "load_duration": LOAD_NS,
        }
        if not stream_requested(body):
            return json_reply(200, final)
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
        return stream_reply([*progress, final])
