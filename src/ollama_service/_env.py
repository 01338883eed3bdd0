"""The process environment, read in one place: every variable the SDK and its command honour.

(Also the terminal conventions the command follows, ``TERM``, ``NO_COLOR`` and
``FORCE_COLOR``, and the proxy variables, so no other module touches ``os.environ``.)

Every other module asks here, so each variable has one name, one reading (a blank value
counts as unset, as it does for the Ollama server) and one precedence, and every entry point
(``Client()``, ``AsyncClient()``, the module-level functions, both services, the settings and
the ``ollama-service`` command) agrees on the server it talks to: ``OLLAMA_BASE_URL``, then
``OLLAMA_HOST``, then ``http://127.0.0.1:11434`` (see ``_host.resolve_base_url``).

``OllamaSettings`` (pydantic-settings) reads its ``OLLAMA_<FIELD>`` variables through the
library's own environment source, with the prefix defined here; its base URL resolves through
``_host.parse_host`` with the same default. Nothing is read at import time: each function
reads the environment when called, so a variable set after import is seen.

Each reader takes ``env``, a mapping to read instead of the process environment (tests pass
one); None means ``os.environ``, read now.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final
from urllib.request import getproxies

__all__ = [
    "ENV_API_KEY",
    "ENV_BASE_URL",
    "ENV_CAPTURE_CONTENT",
    "ENV_HISTORY",
    "ENV_HOST",
    "ENV_HOSTS",
    "ENV_HTTP_BACKEND",
    "ENV_OTEL_CAPTURE_CONTENT",
    "ENV_PREFIX",
    "ENV_PROPAGATE",
    "ENV_WEB_BASE_URL",
    "api_key",
    "dumb_terminal",
    "flag",
    "force_color",
    "history_file",
    "host_candidates",
    "hosts",
    "http_backend",
    "no_color",
    "proxies",
    "web_base_url",
]

# The prefix of every variable of ours; OllamaSettings reads `OLLAMA_<FIELD>`.
ENV_PREFIX: Final = "OLLAMA_"
# Our own, unambiguous name for a full URL; preferred when both are set.
ENV_BASE_URL: Final = "OLLAMA_BASE_URL"
# The name the server, the CLI and the official clients use.
ENV_HOST: Final = "OLLAMA_HOST"
# Bearer token for ollama.com's API, as the official docs name it.
ENV_API_KEY: Final = "OLLAMA_API_KEY"
# Where `web_search` and `web_fetch` go instead of ollama.com (a proxy, or a test server).
ENV_WEB_BASE_URL: Final = "OLLAMA_WEB_BASE_URL"
# The HTTP library under httpx (`urllib3`, `aiohttp` or `httpx`); see `_backends`.
ENV_HTTP_BACKEND: Final = "OLLAMA_HTTP_BACKEND"
# Our switch for recording prompts and completions, and the one the GenAI instrumentations read.
ENV_CAPTURE_CONTENT: Final = "OLLAMA_OTEL_CAPTURE_CONTENT"
ENV_OTEL_CAPTURE_CONTENT: Final = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
# Send the trace context (`traceparent`) with each request.
ENV_PROPAGATE: Final = "OLLAMA_OTEL_PROPAGATE"
# The command's servers for multi-host commands (comma-separated).
ENV_HOSTS: Final = "OLLAMA_HOSTS"
# The command's chat history file.
ENV_HISTORY: Final = "OLLAMA_SERVICE_HISTORY"

_TRUE: Final = frozenset({"1", "true", "yes", "on"})


def _environ(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def host_candidates(env: Mapping[str, str] | None = None) -> tuple[tuple[str, str | None], ...]:
    """The variables that may name the server, with their values, in order of precedence.

    Returns:
        ``((OLLAMA_BASE_URL, value), (OLLAMA_HOST, value))``; a value is None when unset.
        Blank values are returned as they are; the caller skips them.
    """
    environ = _environ(env)
    return ((ENV_BASE_URL, environ.get(ENV_BASE_URL)), (ENV_HOST, environ.get(ENV_HOST)))


def api_key(env: Mapping[str, str] | None = None) -> str | None:
    """``OLLAMA_API_KEY``, or None when unset or blank."""
    return _environ(env).get(ENV_API_KEY) or None


def web_base_url(env: Mapping[str, str] | None = None) -> str | None:
    """``OLLAMA_WEB_BASE_URL``, or None when unset or blank."""
    return _environ(env).get(ENV_WEB_BASE_URL) or None


def http_backend(env: Mapping[str, str] | None = None) -> str:
    """``OLLAMA_HTTP_BACKEND``, trimmed and lower-cased; ``""`` when unset."""
    return _environ(env).get(ENV_HTTP_BACKEND, "").strip().lower()


def flag(*names: str, env: Mapping[str, str] | None = None) -> bool:
    """Whether any of the variables ``names`` is set to a true value (1, true, yes, on)."""
    environ = _environ(env)
    return any(environ.get(name, "").strip().lower() in _TRUE for name in names)


def hosts(env: Mapping[str, str] | None = None) -> str:
    """``OLLAMA_HOSTS`` as given (``""`` when unset); the command splits it."""
    return _environ(env).get(ENV_HOSTS, "")


def history_file(env: Mapping[str, str] | None = None) -> str | None:
    """``OLLAMA_SERVICE_HISTORY``, or None when unset or blank."""
    return _environ(env).get(ENV_HISTORY) or None


def dumb_terminal(env: Mapping[str, str] | None = None) -> bool:
    """``TERM=dumb``: the terminal takes no control sequences."""
    return _environ(env).get("TERM", "") == "dumb"


def force_color(env: Mapping[str, str] | None = None) -> bool:
    """``FORCE_COLOR`` is set (to anything but blank): colour even without a terminal."""
    return bool(_environ(env).get("FORCE_COLOR"))


def no_color(env: Mapping[str, str] | None = None) -> bool:
    """``NO_COLOR`` is set (to anything but blank): no colour (https://no-color.org)."""
    return bool(_environ(env).get("NO_COLOR"))


def proxies(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The proxy variables (``HTTP_PROXY``, ``no_proxy``, ...) as ``{scheme: url}``.

    Read as urllib reads them (``urllib.request.getproxies``): a lower-case name wins over
    its upper-case twin.
    """
    if env is None:
        return getproxies()
    found: dict[str, str] = {}
    for name, value in env.items():
        lowered = name.lower()
        if value and lowered.endswith("_proxy") and (name == lowered or lowered[:-6] not in found):
            found[lowered[:-6]] = value
    return found
