"""The JSON fields of every request body the fake server reads, with the kind each must have.

Ollama decodes a body into a Go struct: a known key with a value of the wrong type is a 400,
an unknown key is ignored. These tables are the fake server's copy of those structs. They are
written out here rather than read from the SDK, so the fake checks what a client sends
instead of echoing the client's own idea of the API; ``tests/unit/test_fake_server_fields.py``
cross-checks them against ``openapi/ollama.yaml`` in both directions, so they cannot drift.

A kind names how ``_validate.decode`` checks a value (see ``KINDS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "BODIES",
    "CHAT_FIELDS",
    "COPY_FIELDS",
    "CREATE_FIELDS",
    "DELETE_FIELDS",
    "EMBEDDINGS_FIELDS",
    "EMBED_FIELDS",
    "GENERATE_FIELDS",
    "KINDS",
    "MESSAGE_FIELDS",
    "PULL_FIELDS",
    "PUSH_FIELDS",
    "SHOW_FIELDS",
    "SYSTEMONE_FIELDS",
    "WEB_FETCH_FIELDS",
    "WEB_SEARCH_FIELDS",
    "Body",
]

KINDS: Mapping[str, str] = {
    "string": "a JSON string",
    "bool": "true or false",
    "int": "an integral JSON number",
    "map": "a JSON object",
    "strmap": "a JSON object of strings",
    "[]int": "an array of integers",
    "images": "an array of base64 strings",
    "messages": "an array of message objects (fields in MESSAGE_FIELDS)",
    "tools": "an array of objects",
    "tool_calls": "an array of objects",
    "license": "a string or an array of strings",
    "duration": "a Go duration string or a number of seconds",
    "think": 'true, false or one of "high", "medium", "low", "max"',
    # Decoded as `any` / `json.RawMessage` by Ollama and checked later by the endpoint, with
    # its own status and message (`format_value`, the embed handler).
    "format": '"json" or a JSON Schema object (checked by the endpoint)',
    "embed_input": "a string or an array of strings (checked by the endpoint)",
    "content": "text, a JSON object or a JSON array (System One; checked by the endpoint)",
    "objmap": "a JSON object of JSON objects (System One questions; checked by the endpoint)",
}
"""Every kind a table may use, with what it accepts."""

MESSAGE_FIELDS: Mapping[str, str] = {
    "role": "string",
    "content": "string",
    "thinking": "string",
    "images": "images",
    "tool_calls": "tool_calls",
    "tool_name": "string",
    "tool_call_id": "string",
}
"""``api.Message``: the items of ``messages``."""

GENERATE_FIELDS: Mapping[str, str] = {
    "model": "string",
    "prompt": "string",
    "suffix": "string",
    "images": "images",
    "think": "think",
    "format": "format",
    "options": "map",
    "system": "string",
    "template": "string",
    "context": "[]int",
    "stream": "bool",
    "raw": "bool",
    "keep_alive": "duration",
    "truncate": "bool",
    "shift": "bool",
    "logprobs": "bool",
    "top_logprobs": "int",
    "_debug_render_only": "bool",
    # experimental image generation
    "width": "int",
    "height": "int",
    "steps": "int",
}
CHAT_FIELDS: Mapping[str, str] = {
    "model": "string",
    "messages": "messages",
    "tools": "tools",
    "format": "format",
    "options": "map",
    "stream": "bool",
    "keep_alive": "duration",
    "think": "think",
    "truncate": "bool",
    "shift": "bool",
    "logprobs": "bool",
    "top_logprobs": "int",
    "_debug_render_only": "bool",
}
SYSTEMONE_FIELDS: Mapping[str, str] = {
    "model": "string",
    "state": "content",
    "questions": "objmap",
    "keep_alive": "duration",
}
EMBED_FIELDS: Mapping[str, str] = {
    "model": "string",
    "input": "embed_input",
    "truncate": "bool",
    "dimensions": "int",
    "keep_alive": "duration",
    "options": "map",
}
EMBEDDINGS_FIELDS: Mapping[str, str] = {
    "model": "string",
    "prompt": "string",
    "keep_alive": "duration",
    "options": "map",
}
SHOW_FIELDS: Mapping[str, str] = {
    "model": "string",
    "verbose": "bool",
    "system": "string",
    "options": "map",
    "template": "string",
    "name": "string",
}
CREATE_FIELDS: Mapping[str, str] = {
    "model": "string",
    "from": "string",
    "files": "strmap",
    "adapters": "strmap",
    "template": "string",
    "license": "license",
    "system": "string",
    "parameters": "map",
    "messages": "messages",
    "quantize": "string",
    "renderer": "string",
    "parser": "string",
    "stream": "bool",
    "remote_host": "string",
    "requires": "string",
    "info": "map",
    "draft_files": "strmap",
    "draft_quantize": "string",
    "name": "string",
    "quantization": "string",
}
COPY_FIELDS: Mapping[str, str] = {"source": "string", "destination": "string"}
DELETE_FIELDS: Mapping[str, str] = {"model": "string", "name": "string"}
PULL_FIELDS: Mapping[str, str] = {
    "model": "string",
    "insecure": "bool",
    "stream": "bool",
    "username": "string",
    "password": "string",
    "name": "string",
}
PUSH_FIELDS: Mapping[str, str] = dict(PULL_FIELDS)
# ollama.com's endpoints (see `_web`).
WEB_SEARCH_FIELDS: Mapping[str, str] = {"query": "string", "max_results": "int"}
WEB_FETCH_FIELDS: Mapping[str, str] = {"url": "string"}


@dataclass(frozen=True)
class Body:
    """The request body of one endpoint."""

    struct: str
    """The Go struct it decodes into, as Ollama's error messages name it."""
    fields: Mapping[str, str]
    """JSON key → kind."""


BODIES: Mapping[str, Body] = {
    "/api/generate": Body("GenerateRequest", GENERATE_FIELDS),
    "/api/chat": Body("ChatRequest", CHAT_FIELDS),
    "/api/embed": Body("EmbedRequest", EMBED_FIELDS),
    "/api/embeddings": Body("EmbeddingRequest", EMBEDDINGS_FIELDS),
    "/api/show": Body("ShowRequest", SHOW_FIELDS),
    "/api/create": Body("CreateRequest", CREATE_FIELDS),
    "/api/copy": Body("CopyRequest", COPY_FIELDS),
    "/api/delete": Body("DeleteRequest", DELETE_FIELDS),
    "/api/pull": Body("PullRequest", PULL_FIELDS),
    "/api/push": Body("PushRequest", PUSH_FIELDS),
    "/v1/systemone": Body("SystemOneRequest", SYSTEMONE_FIELDS),
    "/api/web_search": Body("WebSearchRequest", WEB_SEARCH_FIELDS),
    "/api/web_fetch": Body("WebFetchRequest", WEB_FETCH_FIELDS),
}
"""Request path → its body; every JSON body the fake server reads is decoded through this."""
