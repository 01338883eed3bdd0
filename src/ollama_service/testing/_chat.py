"""``/api/chat``: replies, tool calls and replies to tool results."""

from __future__ import annotations

from typing import Any

from ollama_service.testing import _responses as content
from ollama_service.testing._exchange import (
    ApiRequest,
    ApiResponse,
    decode_body,
    json_reply,
    stream_reply,
)
from ollama_service.testing._generation import (
    Generation,
    GenerationMixin,
    load_reply,
    think_enabled,
)
from ollama_service.testing._models import full_name
from ollama_service.testing._params import (
    check_top_logprobs,
    format_value,
    keep_alive,
    logprobs_request,
    stream_requested,
)
from ollama_service.testing._validate import ApiError, as_dict, as_list, check_options
from ollama_service.testing._wire import go_quote, utc_timestamp

__all__ = ["ChatEndpoints"]


class ChatEndpoints(GenerationMixin):
    """``/api/chat``."""

    def _chat(self, request: ApiRequest) -> ApiResponse:
        body = decode_body(request)
        name: str = body.get("model") or ""
        messages = [as_dict(m) or {} for m in as_list(body.get("messages")) or []]
        tools = [as_dict(t) or {} for t in as_list(body.get("tools")) or []]
        check_top_logprobs(body)
        model = self._require_model(name, empty_status=400, empty_message="model is required")
        keep = keep_alive(body.get("keep_alive"))
        if not messages and keep == 0:
            self._touch(model, 0, {})
            return json_reply(200, load_reply(name, "unload", chat=True))
        if "completion" not in model.capabilities:
            raise ApiError(400, f"{go_quote(name)} does not support chat")
        if tools and "tools" not in model.capabilities:
            raise ApiError(400, f"{full_name(name)} does not support tools")
        self._check_think(name, body.get("think"), model)
        options = check_options(body.get("options"))
        self._touch(model, keep, options)
        if not messages:
            return json_reply(200, load_reply(name, "load", chat=True))
        structured = format_value(body.get("format"))
        think = think_enabled(body.get("think"), model)
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
            generation = Generation(thinking_chunks, [], [call], "stop", prompt_tokens)
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
            return json_reply(200, reply)

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
        return stream_reply(lines)


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
