"""Which servers a command talks to, and messages that name the setting the user used.

The servers come from `--host` (repeatable), else `OLLAMA_HOSTS` (comma-separated), else the
SDK's own settings (`OLLAMA_BASE_URL`, `OLLAMA_HOST`, the default). The SDK's hints say "set
OLLAMA_HOST"; when the user gave `--host`, the message should say so instead, which
`name_the_setting` does. Pure functions, tested with tables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from ollama_service._env import ENV_HOSTS, hosts
from ollama_service._errors import OllamaRequestError
from ollama_service._host import parse_host

__all__ = [
    "ENV_HOSTS",
    "HostChoice",
    "choose_hosts",
    "name_the_setting",
    "retry_reason",
]

_DEFAULT_SOURCE: Final = "OLLAMA_BASE_URL or OLLAMA_HOST"


@dataclass(frozen=True)
class HostChoice:
    """The servers to run a command on, and where they came from.

    Attributes:
        urls: Base URLs, in the order given, without duplicates; empty means "the SDK's
            settings decide" (one server).
        source: The setting to name in messages: `--host`, `OLLAMA_HOSTS`, or the SDK's
            variables.
    """

    urls: tuple[str, ...]
    source: str


def choose_hosts(
    flags: Sequence[str] | None, environ: Mapping[str, str] | None = None
) -> HostChoice:
    """The servers from `--host` values, else `OLLAMA_HOSTS`.

    Args:
        flags: The `--host` values (None or empty when not given).
        environ: The environment (default: the process's).

    Returns:
        The choice; `urls` is empty when neither was given.

    Raises:
        OllamaRequestError: A value is not a valid host; the message names the setting and
            the value.
    """
    if flags:
        values, source = list(flags), "--host"
    else:
        raw = hosts(environ)
        values = [part.strip() for part in raw.split(",") if part.strip()]
        source = ENV_HOSTS if values else _DEFAULT_SOURCE
    urls: list[str] = []
    for value in values:
        try:
            url = parse_host(value)
        except OllamaRequestError as exc:
            raise OllamaRequestError(f"{source}: {exc}") from None
        if url not in urls:
            urls.append(url)
    return HostChoice(tuple(urls), source)


_HINTS: Final = (
    (re.compile(r"or set OLLAMA_HOST\."), "or check {source}."),
    (re.compile(r"\(OLLAMA_BASE_URL or OLLAMA_HOST\)"), "({source})"),
)


def name_the_setting(message: str, source: str) -> str:
    """`message` with the SDK's hint about its variables pointing at `source` instead.

    Args:
        message: An SDK error message.
        source: Where the server came from (`--host`, `OLLAMA_HOSTS`, or the variables).

    Returns:
        The message, unchanged when the variables are the source.
    """
    if source == _DEFAULT_SOURCE:
        return message
    for pattern, replacement in _HINTS:
        message = pattern.sub(replacement.format(source=source), message)
    return message


_CONNECT: Final = re.compile(r"^Could not connect to Ollama at \S+: (?P<reason>.+?)\.(?: |$)")


def retry_reason(message: str) -> str:
    """The short reason of a failed attempt: `connection refused` rather than the whole advice."""
    match = _CONNECT.match(message)
    if match:
        return match["reason"]
    return " ".join(message.split())
