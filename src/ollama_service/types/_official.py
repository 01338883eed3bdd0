"""How the official `ollama` library names and orders the fields of its models.

Code written for the official library prints its models (`print(resp.message.tool_calls)`),
iterates them (`dict(resp)`) and dumps them (`resp.model_dump()`); those outputs follow the
pydantic model's field order and class names. Our structs present the same view: the official
fields first, in the official order and under the official names, then our extra fields, only
when they hold something other than their default. `tests/unit/test_official_view.py` checks
this table against the installed official library.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MAPPING_OR_MODEL", "OFFICIAL_VIEW"]

OFFICIAL_VIEW: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    # our struct: (the official class __name__, the official field names in order)
    "Options": (
        "Options",
        (
            "numa",
            "num_ctx",
            "num_batch",
            "num_gpu",
            "main_gpu",
            "low_vram",
            "f16_kv",
            "logits_all",
            "vocab_only",
            "use_mmap",
            "use_mlock",
            "embedding_only",
            "num_thread",
            "num_keep",
            "seed",
            "num_predict",
            "top_k",
            "top_p",
            "tfs_z",
            "typical_p",
            "repeat_last_n",
            "temperature",
            "repeat_penalty",
            "presence_penalty",
            "frequency_penalty",
            "mirostat",
            "mirostat_tau",
            "mirostat_eta",
            "penalize_newline",
            "stop",
        ),
    ),
    "Message": ("Message", ("role", "content", "thinking", "images", "tool_name", "tool_calls")),
    "ToolCall": ("ToolCall", ("function",)),
    "ToolCallFunction": ("Function", ("name", "arguments")),
    "Tool": ("Tool", ("type", "function")),
    "ToolFunction": ("Function", ("name", "description", "parameters")),
    "ToolFunctionParameters": ("Parameters", ("type", "defs", "items", "required", "properties")),
    "ToolProperty": ("Property", ("type", "items", "description", "enum")),
    "TokenLogprob": ("TokenLogprob", ("token", "logprob")),
    "Logprob": ("Logprob", ("token", "logprob", "top_logprobs")),
    "ModelDetails": (
        "ModelDetails",
        ("parent_model", "format", "family", "families", "parameter_size", "quantization_level"),
    ),
    "GenerateResponse": (
        "GenerateResponse",
        (
            "model",
            "created_at",
            "done",
            "done_reason",
            "total_duration",
            "load_duration",
            "prompt_eval_count",
            "prompt_eval_duration",
            "eval_count",
            "eval_duration",
            "response",
            "thinking",
            "context",
            "logprobs",
            "image",
            "completed",
            "total",
        ),
    ),
    "ChatResponse": (
        "ChatResponse",
        (
            "model",
            "created_at",
            "done",
            "done_reason",
            "total_duration",
            "load_duration",
            "prompt_eval_count",
            "prompt_eval_duration",
            "eval_count",
            "eval_duration",
            "message",
            "logprobs",
        ),
    ),
    "EmbedResponse": (
        "EmbedResponse",
        (
            "model",
            "created_at",
            "done",
            "done_reason",
            "total_duration",
            "load_duration",
            "prompt_eval_count",
            "prompt_eval_duration",
            "eval_count",
            "eval_duration",
            "embeddings",
        ),
    ),
    "EmbeddingsResponse": ("EmbeddingsResponse", ("embedding",)),
    "ListModel": ("Model", ("model", "modified_at", "digest", "size", "details")),
    "ListResponse": ("ListResponse", ("models",)),
    "ShowResponse": (
        "ShowResponse",
        (
            "modified_at",
            "template",
            "modelfile",
            "license",
            "details",
            "modelinfo",
            "parameters",
            "capabilities",
        ),
    ),
    "ProgressResponse": ("ProgressResponse", ("status", "completed", "total", "digest")),
    "StatusResponse": ("StatusResponse", ("status",)),
    "ProcessModel": (
        "Model",
        ("model", "name", "digest", "expires_at", "size", "size_vram", "details", "context_length"),
    ),
    "ProcessResponse": ("ProcessResponse", ("models",)),
    "WebSearchResult": ("WebSearchResult", ("content", "title", "url")),
    "WebSearchResponse": ("WebSearchResponse", ("results",)),
    "WebFetchResponse": ("WebFetchResponse", ("title", "content", "links")),
    "SystemOneChoiceQuestion": ("SystemOneChoiceQuestion", ("type", "instructions", "criteria")),
    "SystemOneNoulQuestion": ("SystemOneNoulQuestion", ("type", "instructions", "criteria")),
    "SystemOneScoreQuestion": ("SystemOneScoreQuestion", ("type", "instructions", "criteria")),
    "SystemOneRequest": ("SystemOneRequest", ("model", "state", "questions", "keep_alive")),
    "SystemOneNoulAnswer": ("SystemOneNoulAnswer", ("type", "noul")),
    "SystemOneChoiceAnswer": (
        "SystemOneChoiceAnswer",
        ("type", "choice", "probabilities", "confidence"),
    ),
    "SystemOneScoreAnswer": (
        "SystemOneScoreAnswer",
        ("type", "score", "legend", "probabilities", "confidence"),
    ),
    "SystemOneUsage": ("SystemOneUsage", ("input_tokens", "output_tokens")),
    "SystemOneResponse": ("SystemOneResponse", ("model", "answers", "usage")),
}

MAPPING_OR_MODEL: Final[frozenset[str]] = frozenset({"Options"})
"""Structs that the official request models declare as `Mapping[str, Any] | Model`: a dict
given for such a request field (`CreateRequest(parameters={...})`) stays that dict."""
