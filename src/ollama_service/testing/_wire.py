"""Wire-format helpers that make the fake server's bytes look like Ollama's.

Ollama is written in Go, so its JSON, timestamps, durations and error messages follow Go's
standard library. The functions here reproduce the parts a client can observe.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "MAX_DURATION_SECONDS",
    "base64_error_offset",
    "dumps",
    "go_quote",
    "json_type_name",
    "json_syntax_error",
    "local_timestamp",
    "parse_go_duration",
    "utc_timestamp",
]

# time.Duration(math.MaxInt64): what Ollama stores for a negative keep_alive ("forever").
MAX_DURATION_SECONDS = (2**63 - 1) / 1e9

# Go's encoding/json escapes these inside strings; they never occur outside strings in JSON text.
_GO_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)
_NEEDS_ESCAPE = re.compile("[<>&\u2028\u2029]")


def dumps(value: Any) -> bytes:
    """Encode ``value`` as compact JSON the way Go's ``json.Marshal`` does.

    Non-ASCII text stays UTF-8, and ``<``, ``>``, ``&``, U+2028 and U+2029 are escaped.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if _NEEDS_ESCAPE.search(text) is not None:
        for raw, escaped in _GO_ESCAPES:
            text = text.replace(raw, escaped)
    return text.encode("utf-8", "replace")


def go_quote(text: str) -> str:
    """Approximate Go's ``%q`` verb: a double-quoted string with escapes."""
    return json.dumps(text, ensure_ascii=False)


def utc_timestamp() -> str:
    """Now as RFC 3339 in UTC with nanoseconds, trailing zeros trimmed, and a ``Z`` suffix."""
    ns = time.time_ns()
    seconds, fraction = divmod(ns, 1_000_000_000)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    if fraction:
        return f"{base}.{fraction:09d}".rstrip("0") + "Z"
    return base + "Z"


def local_timestamp(moment: datetime) -> str:
    """``moment`` as RFC 3339 in the server's local time zone (as Go prints ``time.Local``)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    text = moment.astimezone().isoformat()
    if text.endswith("+00:00"):
        return text[:-6] + "Z"
    return text


def json_type_name(value: object) -> str:
    """The JSON type word Go puts in ``cannot unmarshal <type> into ...`` errors."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def json_syntax_error(error: json.JSONDecodeError) -> str:
    """Approximate the message Go's decoder gives for malformed JSON."""
    doc = error.doc
    if error.pos >= len(doc.rstrip()):
        return "unexpected EOF"
    char = doc[error.pos]
    if error.msg.startswith("Extra data"):
        return f"invalid character '{char}' after top-level value"
    if error.msg.startswith("Expecting property name"):
        return f"invalid character '{char}' looking for beginning of object key string"
    if error.msg.startswith("Expecting ',' delimiter") or error.msg.startswith("Expecting ':'"):
        return f"invalid character '{char}' after object key:value pair"
    return f"invalid character '{char}' looking for beginning of value"


_B64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def base64_error_offset(text: str) -> int | None:
    """Validate standard padded base64 like Go's ``base64.StdEncoding.Decode``.

    Returns:
        ``None`` when ``text`` decodes, else the byte offset Go reports in
        ``illegal base64 data at input byte N``.
    """
    src = text.encode("utf-8", "surrogatepass")
    n = len(src)
    si = 0
    while True:
        # One quantum of four symbols; \r and \n are skipped anywhere.
        j = 0
        while j < 4:
            if si == n:
                if j == 0:
                    return None
                return si - j
            ch = src[si]
            si += 1
            if ch in _B64_ALPHABET:
                j += 1
                continue
            if ch in (0x0A, 0x0D):
                continue
            if ch != 0x3D:  # not "="
                return si - 1
            # Padding.
            if j in (0, 1):
                return si - 1
            if j == 2:
                while si < n and src[si] in (0x0A, 0x0D):
                    si += 1
                if si == n:
                    return n
                if src[si] != 0x3D:
                    return si - 1
                si += 1
            while si < n and src[si] in (0x0A, 0x0D):
                si += 1
            if si < n:
                return si
            return None


_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "\u00b5s": 1e-6,
    "\u03bcs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION_NUMBER = re.compile(r"[0-9]*(?:\.[0-9]*)?")
_DURATION_UNIT = re.compile(r"[^0-9.]*")


def parse_go_duration(text: str) -> float:
    """Parse a Go duration string (``"5m"``, ``"1h30m"``, ``"0"``) into seconds.

    Raises:
        ValueError: with Go's ``time.ParseDuration`` message.
    """
    quoted = go_quote(text)
    rest = text
    negative = False
    if rest[:1] in ("+", "-"):
        negative = rest[0] == "-"
        rest = rest[1:]
    if rest == "0":
        return 0.0
    if not rest:
        raise ValueError(f"time: invalid duration {quoted}")
    total = 0.0
    while rest:
        number = _DURATION_NUMBER.match(rest)
        digits = number.group(0) if number else ""
        if digits in ("", "."):
            raise ValueError(f"time: invalid duration {quoted}")
        rest = rest[len(digits) :]
        unit_match = _DURATION_UNIT.match(rest)
        unit = unit_match.group(0) if unit_match else ""
        if not unit:
            raise ValueError(f"time: missing unit in duration {quoted}")
        if unit not in _DURATION_UNITS:
            raise ValueError(f"time: unknown unit {go_quote(unit)} in duration {quoted}")
        rest = rest[len(unit) :]
        total += float(digits) * _DURATION_UNITS[unit]
    return -total if negative else total
