"""Text from the network made safe to print: control characters escaped.

Error messages end up on terminals and in log files. A server (or anything between us and it)
controls part of their text: the ``error`` of a JSON body, a proxy's page, the start of a line
that failed to decode. Raw, such text can clear a terminal (``ESC [2J``), recolour it, or end
the current log line and forge the next one (``\\r\\n2024-01-01 INFO ...``). Every message and
snippet we build goes through ``escape_controls``, which writes each such character as a
Python-style escape, so the text stays on one line and readable.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["escape_controls"]

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
