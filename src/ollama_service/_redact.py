"""Text made safe to show: secrets hidden, control characters escaped. The one place for both.

Error messages, reprs, log events and span attributes end up on terminals, in log files and in
tracing back-ends. Two things must never reach them:

- **Secrets.** A URL's password (``http://user:secret@host``) becomes ``***`` (``redact_url``);
  credential and cookie headers keep their names but lose their values (``redact_headers``).
  Request content (prompts, messages, images) is never redacted because it is never passed to
  a log or a message at all: ``_logging`` records method, path, status, timings, counts, the
  model and an error (through ``redact_url``), and ``_genai`` builds content attributes only
  when content capture was asked for.
- **Terminal control.** A server (or anything between us and it) controls part of a message's
  text: the ``error`` of a JSON body, a proxy's page, the start of a line that failed to
  decode. Raw, such text can clear a terminal (``ESC [2J``), recolour it, or end the current
  log line and forge the next one (``\\r\\n2024-01-01 INFO ...``). Every message and snippet
  we build goes through ``escape_controls``, which writes each such character as a
  Python-style escape, so the text stays on one line and readable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from ._constants import ELLIPSIS, ERROR_SNIPPET_CHARS, REDACTED, SENSITIVE_HEADERS

__all__ = ["escape_controls", "redact_headers", "redact_url", "snippet_of"]

# C0 controls (tab and newlines included: a message is one line), DEL, C1 controls, the
# Unicode line and paragraph separators, and the bidirectional overrides and isolates, which
# can make a terminal show text in another order than it is.
_CONTROLS: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

_NAMED: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """Escape the characters of ``text`` that could drive a terminal or split a log line.

    Escaping is idempotent: the escapes themselves are printable, so escaping twice changes
    nothing more.

    Args:
        text: Any text, typically from the network.

    Returns:
        The text with control characters written as ``\\n``, ``\\r``, ``\\t``, ``\\xNN`` or
        ``\\uNNNN``; printable text (any script) unchanged.
    """
    if text.isprintable():
        return text
    return _CONTROLS.sub(_escape, text)


_USERINFO: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@\s]*)@")


def redact_url(text: str) -> str:
    """Hide the passwords of URLs, since URLs end up in messages and logs.

    Args:
        text: A URL, or any text that may contain URLs.

    Returns:
        The text with each ``scheme://user:password@`` turned into
        ``scheme://user:***@``; anything else unchanged.
    """
    if "@" not in text:
        return text
    return _USERINFO.sub(_redact_userinfo, text)


def _redact_userinfo(match: re.Match[str]) -> str:
    user, has_password, _ = match.group(2).partition(":")
    userinfo = f"{user}:{REDACTED}" if has_password else user
    return f"{match.group(1)}{userinfo}@"


def snippet_of(data: bytes) -> str:
    """Readable start of some bytes, on one line: invalid UTF-8 replaced, controls escaped."""
    # A UTF-8 character is at most 4 bytes: decode no more than the snippet can show.
    head = data[: ERROR_SNIPPET_CHARS * 4].decode("utf-8", errors="replace")
    if len(head) > ERROR_SNIPPET_CHARS or len(data) > ERROR_SNIPPET_CHARS * 4:
        return escape_controls(head[:ERROR_SNIPPET_CHARS]) + ELLIPSIS
    return escape_controls(head)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` that is safe to show in reprs and logs.

    Args:
        headers: Any headers, including ``httpx.Headers``.

    Returns:
        The same names, with credential and cookie values replaced by ``***``.
    """
    return {
        name: REDACTED if name.lower() in SENSITIVE_HEADERS else value
        for name, value in headers.items()
    }
