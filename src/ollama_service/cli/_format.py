"""Plain formatting for people: sizes, durations and times as the `ollama` command shows them.

Pure functions without rich, so `--json` mode and the tests never import it.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from typing import Final

__all__ = [
    "human_bytes",
    "human_duration",
    "human_time",
    "parse_timestamp",
    "short_digest",
]

_KB: Final = 1000
_UNITS: Final = (("TB", _KB**4), ("GB", _KB**3), ("MB", _KB**2), ("KB", _KB))

# RFC 3339 as Ollama writes it: up to 9 fractional digits, `Z` or an offset.
_TIMESTAMP: Final = re.compile(
    r"^(?P<base>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})"
    r"(?:\.(?P<fraction>\d+))?"
    r"(?P<zone>Z|z|[+-]\d{2}:?\d{2})?$"
)
# Beyond this, an expiry means "kept loaded forever" (keep_alive < 0).
_FOREVER_YEARS: Final = 20


def human_bytes(size: int) -> str:
    """A byte count in decimal units, as `ollama list` prints it: `2.0 GB`, `274 MB`, `512 B`."""
    for unit, scale in _UNITS:
        if size >= scale:
            value = size / scale
            if value >= 10:
                return f"{int(value)} {unit}"
            if value != math.trunc(value):
                return f"{value:.1f} {unit}"
            return f"{int(value)} {unit}"
    return f"{size} B"


def human_duration(delta: timedelta) -> str:
    """A duration in words: `Less than a second`, `5 minutes`, `About an hour`, `3 months`."""
    seconds = int(delta.total_seconds())
    if seconds < 1:
        return "Less than a second"
    if seconds == 1:
        return "1 second"
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = seconds // 60
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = round(delta.total_seconds() / 3600)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(delta.total_seconds() / 86400 / 365)} years"


def parse_timestamp(text: str) -> datetime | None:
    """Parse an Ollama timestamp (`2025-05-05T00:37:44.706015123-07:00`, `...Z`).

    Returns:
        An aware datetime (UTC assumed when no zone is given), or None when `text` is not a
        timestamp.
    """
    match = _TIMESTAMP.match(text.strip())
    if match is None:
        return None
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    zone = match["zone"] or "+00:00"
    if zone in ("Z", "z"):
        zone = "+00:00"
    elif ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    try:
        return datetime.fromisoformat(f"{match['base'].replace(' ', 'T')}.{fraction}{zone}")
    except ValueError:
        return None


def human_time(
    text: str | datetime | None, *, now: datetime | None = None, never: str = "Never"
) -> str:
    """A timestamp relative to now: `3 months ago`, `4 minutes from now`, `Forever`.

    Args:
        text: The timestamp: a decoded datetime, or a string as the server sent it.
        now: The reference time (default: the current time).
        never: What to show for an empty timestamp.

    Returns:
        The phrase; the text itself when it is not a timestamp.
    """
    if not text:
        return never
    if isinstance(text, datetime):
        moment: datetime | None = text if text.tzinfo else text.replace(tzinfo=timezone.utc)
    else:
        moment = parse_timestamp(text)
    if moment is None:
        return str(text)
    current = now or datetime.now(timezone.utc)
    delta = current - moment
    if delta < timedelta(0):
        if -delta > timedelta(days=365 * _FOREVER_YEARS):
            return "Forever"
        return f"{human_duration(-delta)} from now"
    return f"{human_duration(delta)} ago"


def short_digest(digest: str) -> str:
    """The first 12 hex digits of a digest, as `ollama list` shows IDs."""
    return digest.removeprefix("sha256:")[:12]
