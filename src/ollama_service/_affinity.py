"""Model affinity: the header a load balancer hashes so that each model reaches one server.

Behind several Ollama servers, a model (and every blob) lives on the server it was pulled or
uploaded to, and each server loads what it is asked for. So every request about one model
carries that model's name in a header (`X-Ollama-Model` by default), and every request about
one blob carries its digest in the same header; the balancer hashes it with its own consistent
hashing (`hash $http_x_ollama_model consistent;` in nginx, `balance hdr(X-Ollama-Model)` in
HAProxy). Which request field gives the key is the spec's `x-affinity` list, generated into
`Operation.affinity`; this module turns a request into the header value. Pure functions, shared
by both clients.

Routing keys:
- a model name is normalized as the server matches it: lower-case, `:latest` implied, the
  default registry and namespace dropped (`Llama3.2`, `llama3.2:latest` and
  `registry.ollama.ai/library/llama3.2` are one key), so spellings of one model never split;
- a digest (`sha256:<hex>`) is sent as is;
- a map (`create(files=...)`, `adapters`) gives its first value, the digest of its first file,
  so a `create` from uploaded blobs reaches the server that received them.

A value is made safe for a header by percent-encoding everything that is not visible ASCII
(and `%` itself): the encoding is one-to-one, so it changes no routing decision, and a name can
never inject a header line.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any, Protocol, cast
from urllib.parse import quote

from ollama_service._constants import DEFAULT_AFFINITY_HEADER
from ollama_service._errors import OllamaRequestError

__all__ = [
    "DEFAULT_AFFINITY_HEADER",
    "affinity_key",
    "check_affinity_header",
    "header_value",
    "routing_key",
]

# RFC 9110 `token`: the characters a header name may have.
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# Headers whose meaning HTTP or this client fixes; using one for routing would break requests.
_RESERVED = frozenset(
    {
        "authorization",
        "connection",
        "content-length",
        "content-type",
        "host",
        "keep-alive",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
# Everything visible in ASCII except `%` passes through unencoded.
_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%")
_DEFAULT_REGISTRY = "registry.ollama.ai/"
_DEFAULT_NAMESPACE = "library/"


class _Fields(Protocol):
    """A request struct (`BaseStruct.get` by JSON name) or a mapping of path parameters."""

    def get(self, key: str, /) -> Any: ...


def check_affinity_header(name: object, argument: str = "affinity_header") -> str | None:
    """Return the header name to send, or None when affinity is off (`None` or `""`).

    Raises:
        OllamaRequestError: Not a string, not a valid header name, or a header HTTP or the
            client already uses (`Host`, `Authorization`, `Content-Type`, ...).
    """
    if name is None or name == "":
        return None
    if not isinstance(name, str):
        raise OllamaRequestError(
            f"{argument} must be a header name or None, not {type(name).__name__}"
        )
    if not _TOKEN.fullmatch(name):
        raise OllamaRequestError(
            f"{argument} {name!r} is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~)"
        )
    if name.lower() in _RESERVED:
        raise OllamaRequestError(
            f"{argument} {name!r} is a header HTTP or the client already uses; pick another, "
            f"e.g. {DEFAULT_AFFINITY_HEADER!r}"
        )
    return name


def _normalize_model(name: str) -> str:
    lowered = name.strip().lower()
    lowered = lowered.removeprefix(_DEFAULT_REGISTRY)
    if lowered.startswith(_DEFAULT_NAMESPACE) and lowered.count("/") == 1:
        lowered = lowered[len(_DEFAULT_NAMESPACE) :]
    if "@" in lowered:  # pinned to a manifest digest: the name is already exact
        return lowered
    if lowered.rfind(":") <= lowered.rfind("/"):
        lowered += ":latest"
    return lowered


@functools.lru_cache(maxsize=1024)
def routing_key(value: str) -> str:
    """The header value for a model name or a blob digest (normalized, then header-safe).

    Args:
        value: A model name (`llama3.2`) or a digest (`sha256:<64 hex>`).

    Returns:
        The key, e.g. `llama3.2:latest`, `sha256:91db...`, `caf%C3%A9:latest`.
    """
    key = value if _DIGEST.fullmatch(value) else _normalize_model(value)
    return header_value(key)


def header_value(key: str) -> str:
    """`key` percent-encoded where it is not visible ASCII (or is `%`), so it is a safe header
    value whatever it holds (no CR/LF, no control characters, ASCII only)."""
    return quote(key, safe=_SAFE)


def affinity_key(fields: tuple[str, ...], source: _Fields | Mapping[str, Any] | None) -> str | None:
    """The routing key of one request: the first of `fields` that `source` has set.

    Args:
        fields: `Operation.affinity`, e.g. `("files", "adapters", "model")`.
        source: The request struct, or the path parameters (`{"digest": ...}`).

    Returns:
        The header value, or None when no field is set (nothing to route by).
    """
    if source is None:
        return None
    for field in fields:
        value = source.get(field)
        if isinstance(value, Mapping):
            first: Any = next(iter(cast("Mapping[str, Any]", value).values()), None)
            value = first
        if isinstance(value, str) and value.strip():
            return routing_key(value)
    return None
