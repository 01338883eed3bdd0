"""What generate and chat share: the generated tokens, their fixed metrics, and load replies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ollama_service.testing import _responses as content
from ollama_service.testing._models import FakeModel
from ollama_service.testing._state import StateBase
from ollama_service.testing._validate import ApiError
from ollama_service.testing._wire import go_quote, utc_timestamp

__all__ = [
    "EVAL_TOKEN_NS",
    "Generation",
    "GenerationMixin",
    "LOAD_NS",
    "PROMPT_TOKEN_NS",
    "load_reply",
    "think_enabled",
]

# Metrics are fixed per token so that replies are fully deterministic.
LOAD_NS = 1_000_000
PROMPT_TOKEN_NS = 500_000
EVAL_TOKEN_NS = 10_000_000


def think_enabled(value: object, model: FakeModel) -> bool:
    if value is None:
        return "thinking" in model.capabilities
    return value is not False


@dataclass(frozen=True)
class Generation:
    thinking: list[str]
    content: list[str]
    tool_calls: list[dict[str, Any]]
    done_reason: str
    prompt_tokens: int

    @property
    def eval_count(self) -> int:
        return len(self.thinking) + len(self.content) + (1 if self.tool_calls else 0)

    def metrics(self) -> dict[str, int]:
        prompt_ns = self.prompt_tokens * PROMPT_TOKEN_NS
        eval_ns = self.eval_count * EVAL_TOKEN_NS
        return {
            "total_duration": LOAD_NS + prompt_ns + eval_ns,
            "load_duration": LOAD_NS,
            "prompt_eval_count": self.prompt_tokens,
            "prompt_eval_duration": prompt_ns,
            "eval_count": self.eval_count,
            "eval_duration": eval_ns,
        }


class GenerationMixin(StateBase):
    """Turning a prompt into thinking and reply chunks, cut at ``num_predict``."""

    def _generation(
        self,
        model: FakeModel,
        text: str,
        *,
        think: bool,
        structured: object,
        options: Mapping[str, Any],
        prompt_tokens: int,
    ) -> Generation:
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
    ) -> Generation:
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
        return Generation(thinking, reply, [], done_reason, prompt_tokens)

    def _check_think(self, name: str, value: object, model: FakeModel) -> None:
        if value is not None and value is not False and "thinking" not in model.capabilities:
            raise ApiError(400, f"{go_quote(name)} does not support thinking")


def load_reply(name: str, reason: str, *, chat: bool) -> dict[str, Any]:
    reply: dict[str, Any] = {"model": name, "created_at": utc_timestamp()}
    if chat:
        reply["message"] = {"role": "assistant", "content": ""}
    else:
        reply["response"] = ""
    reply["done"] = True
    reply["done_reason"] = reason
    return reply
