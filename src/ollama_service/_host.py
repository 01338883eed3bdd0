"""Where the server is: ``OLLAMA_HOST`` parsing and base-URL resolution.

Users already have ``OLLAMA_HOST`` set for the server and the CLI, so we read it
the way the official clients do (``envconfig.Host()`` in Go, ``_parse_host`` in
ollama-python), with a few deliberate differences, each fixing a reported
surprise:

- whitespace and surrounding quotes are trimmed, and the scheme is lower-cased;
- ``0.0.0.0`` and ``::`` are server bind addresses, not destinations: we dial
  loopback instead (``127.0.0.1`` / ``[::1]``);
- user-info (``http://u:p@h``) is kept by the parser; the clients take it out of
  the URL (``split_credentials``) and send it as a ``Basic`` Authorization
  header, so the password never reaches a URL that httpx or a proxy logs;
- an invalid value raises OllamaRequestError naming it, where the official
  clients silently substitute the default port or pass an unknown scheme on.

The environment is read through ``_env``, when a client is built, never at import time.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping
from typing import Final
from urllib.parse import unquote

from ._constants import (
    DEFAULT_BASE_URL,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_SCHEME,
    HTTP_DEFAULT_PORT,
    HTTPS_DEFAULT_PORT,
    MAX_PORT,
    OLLAMA_CLOUD_HOST,
)
from ._env import host_candidates
from ._errors import OllamaRequestError

__all__ = ["parse_host", "resolve_base_url", "split_credentials"]

_SCHEME_PORTS: Final = {"http": HTTP_DEFAULT_PORT, "https": HTTPS_DEFAULT_PORT}
_QUOTES: Final = "\"'"


class _InvalidHost(ValueError):
    """Why a host value is unusable; the public error adds where the value came from."""


def _split_port(hostport: str) -> tuple[str, str | None]:
    """Split ``host[:port]``, accepting bracketed and bare IPv6 addresses."""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end == -1:
            raise _InvalidHost("an opening '[' has no matching ']'")
        rest = hostport[end + 1 :]
        if rest and not rest.startswith(":"):
            raise _InvalidHost(f"unexpected {rest!r} after the bracketed address")
        return hostport[1:end], rest[1:] if rest else None
    if hostport.count(":") > 1:
        # Several colons and no brackets: a bare IPv6 address, which has no port.
        return hostport, None
    host, colon, port = hostport.partition(":")
    return host, port if colon else None


def _parse_port(text: str | None, default: int) -> int:
    if not text:
        return default
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit()):
        raise _InvalidHost(f"port {text!r} is not a number")
    port = int(text)
    if not 1 <= port <= MAX_PORT:
        raise _InvalidHost(f"port {port} is outside 1-{MAX_PORT}")
    return port


def _dialable(host: str) -> str:
    """The host as it goes into a URL: loopback for "any", IPv6 in brackets."""
    if not host:
        return DEFAULT_HOST
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if ":" in host:
            raise _InvalidHost(f"{host!r} is not a valid IPv6 address") from None
        return host
    if address.version == 4:
        return DEFAULT_HOST if address.is_unspecified else host
    return "[::1]" if address.is_unspecified else f"[{host}]"


def _parse(value: str) -> str:
    text = value.strip().strip(_QUOTES).strip()
    if not text:
        return DEFAULT_BASE_URL
    if text.lower() == OLLAMA_CLOUD_HOST:
        return f"https://{OLLAMA_CLOUD_HOST}:{HTTPS_DEFAULT_PORT}"
    scheme, separator, rest = text.partition("://")
    if separator:
        scheme = scheme.lower()
        if scheme not in _SCHEME_PORTS:
            raise _InvalidHost(f"unsupported scheme {scheme!r} (use http or https)")
        default_port = _SCHEME_PORTS[scheme]
    else:
        scheme, rest, default_port = DEFAULT_SCHEME, text, DEFAULT_PORT
    for mark in "?#":
        rest = rest.partition(mark)[0]
    authority, slash, path = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    host, port_text = _split_port(hostport)
    if any(character.isspace() for character in host):
        raise _InvalidHost(f"host {host!r} contains whitespace")
    port = _parse_port(port_text, default_port)
    prefix = path.strip("/") if slash else ""
    credentials = f"{userinfo}@" if at else ""
    suffix = f"/{prefix}" if prefix else ""
    return f"{scheme}://{credentials}{_dialable(host)}:{port}{suffix}"


def parse_host(value: str | None) -> str:
    """Turn an ``OLLAMA_HOST``-style value into a base URL.

    The result always names the scheme and the port explicitly:

    - no scheme means ``http`` and port 11434; ``http://`` means port 80 and
      ``https://`` port 443, as in any URL; the bare name ``ollama.com`` means
      ``https://ollama.com:443``;
    - a path is kept as a reverse-proxy prefix, without a trailing slash;
    - IPv6 may be bare (``::1``) or bracketed; an empty host means 127.0.0.1;
    - query and fragment are dropped.

    Unlike the official clients, which quietly replace a bad port with the
    default, an invalid value is an error: a typo should not silently send
    requests somewhere else.

    Args:
        value: The value, or None/blank for the default.

    Returns:
        A base URL such as ``http://127.0.0.1:11434``.

    Raises:
        OllamaRequestError: On a non-numeric or out-of-range port, a scheme
            other than http or https, or whitespace inside the host.
    """
    if value is None:
        return DEFAULT_BASE_URL
    try:
        return _parse(value)
    except _InvalidHost as exc:
        raise OllamaRequestError(f"{value!r} is not a valid Ollama host: {exc}") from None


def resolve_base_url(explicit: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """Decide which server to talk to.

    Precedence: the explicit argument, then ``OLLAMA_BASE_URL``, then
    ``OLLAMA_HOST``, then the local default. Blank values count as unset, as
    an empty ``OLLAMA_HOST`` does for the server.

    Args:
        explicit: A host or URL passed in code.
        env: The environment to read; None means ``os.environ``, read now.

    Returns:
        The normalised base URL (see ``parse_host``).

    Raises:
        OllamaRequestError: If the chosen value is invalid; the message names
            the argument or variable it came from.
    """
    candidates = (("host", explicit), *host_candidates(env))
    for source, value in candidates:
        if value is None or not value.strip():
            continue
        try:
            return _parse(value)
        except _InvalidHost as exc:
            message = f"{source}={value!r} is not a valid Ollama host: {exc}"
            raise OllamaRequestError(message) from None
    return DEFAULT_BASE_URL


def split_credentials(base_url: str) -> tuple[str, str | None]:
    """Take the user-info out of a base URL, as a ``Basic`` Authorization value.

    httpx logs every request's URL (``HTTP Request: POST http://user:pass@...``), and so
    do proxies; a header is never logged. Percent-escapes in the user-info are decoded,
    as browsers and httpx decode them.

    Args:
        base_url: A URL from ``parse_host`` / ``resolve_base_url``.

    Returns:
        The URL without user-info, and ``"Basic <base64 of user:password>"`` (None when
        the URL has no user-info).
    """
    scheme, separator, rest = base_url.partition("://")
    authority, slash, path = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    if not separator or not at:
        return base_url, None
    user, _, password = userinfo.partition(":")
    token = f"{unquote(user)}:{unquote(password)}".encode()
    header = "Basic " + base64.b64encode(token).decode("ascii")
    return f"{scheme}://{hostport}{slash}{path}", header
