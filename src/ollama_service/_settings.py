"""`OllamaSettings`: the service's configuration, read from the environment and `.env`.

This is the only module that imports pydantic, and the package imports it lazily, so code that
never builds an `OllamaService` from the environment never pays for pydantic.

| variable | default |
| --- | --- |
| `OLLAMA_BASE_URL` | `http://127.0.0.1:11434`, or `OLLAMA_HOST` when that is set |
| `OLLAMA_HOST` | unset (parsed like the official clients parse it) |
| `OLLAMA_DEFAULT_MODEL` | `llama2` |
| `OLLAMA_TIMEOUT` | 300 seconds (read timeout) |
| `OLLAMA_MAX_CONNECTIONS` | 5 |
| `OLLAMA_MAX_RETRIES` | unset: 2 retries (1 for pulls) |
| `OLLAMA_API_KEY` | unset; a secret, never shown in a repr, a log or an error |
| `OLLAMA_DEADLINE` | unset: no total bound per call (seconds) |
| `OLLAMA_MAX_RESPONSE_BYTES` | 134217728 (128 MiB): cap on a whole reply |
| `OLLAMA_AFFINITY` | true: each request carries its model in the affinity header |
| `OLLAMA_AFFINITY_HEADER` | `X-Ollama-Model` |
| `OLLAMA_OTEL_CAPTURE_CONTENT` | false: prompts and completions are not put on spans |
| `OLLAMA_OTEL_PROPAGATE` | false: no `traceparent` header is sent |
| `OLLAMA_HTTP_BACKEND` | unset: `urllib3` for the sync service, `httpx` for the async one |

A blank variable counts as unset, and the environment wins over the `.env` file.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from pydantic import Field, PositiveFloat, PositiveInt, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ollama_service._affinity import check_affinity_header
from ollama_service._backends import Backend, Kind, choose_backend
from ollama_service._constants import (
    DEFAULT_AFFINITY_HEADER,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_TIMEOUT,
    MAX_RESPONSE_BYTES,
    SERVICE_DEFAULT_MODEL,
)
from ollama_service._env import ENV_HTTP_BACKEND, ENV_PREFIX
from ollama_service._errors import OllamaRequestError
from ollama_service._host import parse_host

__all__ = ["OllamaSettings", "get_settings", "load_settings"]


class OllamaSettings(BaseSettings):
    """Service settings; every field is read from `OLLAMA_<FIELD>` or a `.env` file.

    Attributes:
        base_url: Server URL (`OLLAMA_BASE_URL`).
        host: `OLLAMA_HOST`, used when `base_url` is not set.
        default_model: Model used when a call passes `model=None`.
        timeout: Read timeout in seconds.
        max_connections: Pool size (twice this many may be open, all kept alive for reuse).
        max_retries: Retries after the first attempt; None keeps the defaults.
        api_key: Bearer token for ollama.com or a proxy; kept secret.
        deadline: Total seconds a call may take (None: no total bound).
        max_response_bytes: Cap on a whole (non-streamed) reply, after decompression.
        affinity: Send each request's model (or blob digest) in `affinity_header`, so a load
            balancer can route by model (`OLLAMA_AFFINITY=false` turns it off).
        affinity_header: The header's name.
        otel_capture_content: Record prompts, messages and completions on OpenTelemetry spans.
        otel_propagate: Send the trace context (`traceparent`) with each request.
        http_backend: The HTTP library under httpx (`urllib3`, `aiohttp` or `httpx`); each
            service uses it when it suits its client (see `backend_for`).
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # A blank variable (`OLLAMA_TIMEOUT=`) means unset, as a blank OLLAMA_HOST does for
        # the server and for the client's own host resolution.
        env_ignore_empty=True,
        validate_default=True,
    )

    base_url: str | None = None
    host: str | None = None
    default_model: str = Field(default=SERVICE_DEFAULT_MODEL, min_length=1)
    timeout: PositiveFloat = DEFAULT_TIMEOUT
    max_connections: PositiveInt = DEFAULT_MAX_CONNECTIONS
    max_retries: int | None = Field(default=None, ge=0)
    api_key: SecretStr | None = None
    deadline: PositiveFloat | None = None
    max_response_bytes: PositiveInt = MAX_RESPONSE_BYTES
    affinity: bool = True
    affinity_header: str = DEFAULT_AFFINITY_HEADER
    otel_capture_content: bool = False
    otel_propagate: bool = False
    http_backend: Literal["urllib3", "aiohttp", "httpx"] | None = None

    @field_validator("http_backend", mode="before")
    @classmethod
    def _lower_backend(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("base_url", "host")
    @classmethod
    def _valid_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None  # blank means unset, so OLLAMA_HOST or the default applies
        parse_host(value)  # raises OllamaRequestError (a ValueError) naming the value
        return value

    @field_validator("affinity_header")
    @classmethod
    def _valid_header(cls, value: str) -> str:
        checked = check_affinity_header(value.strip(), "header name")
        return checked or DEFAULT_AFFINITY_HEADER

    @property
    def affinity_header_name(self) -> str | None:
        """The affinity header to send, or None when affinity is off."""
        return self.affinity_header if self.affinity else None

    @property
    def resolved_base_url(self) -> str:
        """The URL to dial: `base_url`, else `host`, else `http://127.0.0.1:11434`, the default
        of every entry point."""
        return parse_host(self.base_url or self.host or None)

    def backend_for(self, kind: Kind) -> Backend:
        """The back-end of a client of `kind`: `http_backend` when it suits that client (one
        setting serves both services), otherwise the client's default."""
        return choose_backend(None, kind=kind, environ={ENV_HTTP_BACKEND: self.http_backend or ""})

    def api_key_value(self) -> str | None:
        """The API key in clear, for the Authorization header only."""
        return None if self.api_key is None else self.api_key.get_secret_value()


def load_settings(**overrides: Any) -> OllamaSettings:
    """Build settings, turning pydantic's errors into one message naming the variables.

    Raises:
        OllamaRequestError: A variable has an invalid value, e.g.
            `OLLAMA_TIMEOUT='abc': Input should be a valid number`.
    """
    try:
        return OllamaSettings(**overrides)
    except ValidationError as exc:
        problems: list[str] = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "settings"
            variable = f"{ENV_PREFIX}{field.upper()}"
            shown = "<secret>" if field == "api_key" else repr(error.get("input"))
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{variable}={shown}: {message}")
        raise OllamaRequestError("invalid Ollama settings: " + "; ".join(problems)) from None


@functools.lru_cache(maxsize=1)
def get_settings() -> OllamaSettings:
    """The settings from the environment, read once (call `get_settings.cache_clear()` to reread)."""
    return load_settings()
