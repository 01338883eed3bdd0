"""One readable line from the HTML or text error page of a proxy in front of Ollama.

Ollama answers errors with JSON (``{"error": "..."}``). When the error body is HTML or plain
text, something else answered: nginx, HAProxy, Caddy, a cloud load balancer. Shown raw, nginx's
502 reads ``<html>\\r\\n<head><title>502 Bad Gateway</title>...``; summarised, it reads
``502 Bad Gateway from nginx/1.22.1, a proxy in front of Ollama``. The raw body stays on the
exception's ``.body``.

Two plain-text bodies do come from Ollama itself: its router's ``404 page not found`` and
``405 method not allowed``. ``is_router_text`` tells them apart, so they keep their own hint.
"""

from __future__ import annotations

import html
import re
from http import HTTPStatus
from typing import Final

from ._redact import escape_controls

__all__ = ["PROXY_SUFFIX", "is_router_text", "looks_like_html", "summarize_error_page"]

PROXY_SUFFIX: Final = "a proxy in front of Ollama"

# How much of a page's own text (besides its title and server) the summary keeps.
_DETAIL_CHARS: Final = 160
# How much of a page is looked at: titles and signatures sit near the top and bottom of
# pages far smaller than this, and a huge body must not cost a huge regex scan.
_SCAN_BYTES: Final = 64 * 1024

_TITLE: Final = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_H1: Final = re.compile(r"<h1[^>]*>(.*?)</h1\s*>", re.IGNORECASE | re.DOTALL)
_INVISIBLE: Final = re.compile(
    r"<(script|style|head)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL
)
_TAG: Final = re.compile(r"<[^>]*>")
_SPACES: Final = re.compile(r"\s+")
# A server signature as pages print it: `nginx/1.22.1`, `Apache/2.4.57 (Debian)`, `openresty`.
_SIGNATURE: Final = re.compile(
    r"\b(nginx|openresty|tengine|apache|caddy|envoy|haproxy|traefik|squid|varnish|"
    r"cloudflare|litespeed|microsoft-iis|awselb|gunicorn|uvicorn)(/[\w.\-]+)?",
    re.IGNORECASE,
)
_ROUTER_TEXTS: Final = frozenset({b"404 page not found", b"405 method not allowed"})


def looks_like_html(body: bytes, content_type: str | None) -> bool:
    """Whether an error body is an HTML page (by its type, or by its first tag)."""
    if content_type is not None and "html" in content_type.lower():
        return True
    start = body[:512].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<center"))


def is_router_text(body: bytes) -> bool:
    """Whether a plain-text body is one that Ollama's own HTTP router sends."""
    return body.strip().lower() in _ROUTER_TEXTS


def _text(fragment: str) -> str:
    """The visible text of an HTML fragment, on one line."""
    return _SPACES.sub(" ", html.unescape(_TAG.sub(" ", fragment))).strip()


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _server_name(page_text: str, server_header: str | None) -> str | None:
    """The proxy's name: the signature the page prints, else the Server header."""
    found = _SIGNATURE.search(page_text)
    if found is not None:
        return found.group(0)
    if server_header and server_header.strip():
        return server_header.strip()
    return None


def summarize_error_page(
    status: int, body: bytes, *, content_type: str | None = None, server: str | None = None
) -> str:
    """Summarise a non-JSON error body as one line that says a proxy answered.

    Args:
        status: The HTTP status.
        body: The raw body (HTML or text).
        content_type: The response's Content-Type, if any.
        server: The response's Server header, if any.

    Returns:
        ``"<title> from <server>, a proxy in front of Ollama"``, or without a known server
        ``"<title> from a proxy in front of Ollama"``; any further text of the page follows
        after a colon, cut short. Control characters are escaped.
    """
    text = body[:_SCAN_BYTES].decode("utf-8", errors="replace")
    if looks_like_html(body, content_type):
        visible = _INVISIBLE.sub(" ", text)
        heading = _TITLE.search(text) or _H1.search(visible)
        title = _text(heading.group(1)) if heading is not None else ""
        page = _text(visible)
    else:
        title = ""
        page = _SPACES.sub(" ", text).strip()
    title = title or _status_line(status)
    name = _server_name(page, server)
    detail = page
    for known in (title, name):
        if known:
            detail = detail.replace(known, " ")
    detail = _SPACES.sub(" ", detail).strip(" .-:|")
    if detail.lower() in title.lower():
        detail = ""
    source = f"from {name}, {PROXY_SUFFIX}" if name else f"from {PROXY_SUFFIX}"
    message = f"{title} {source}"
    if detail:
        if len(detail) > _DETAIL_CHARS:
            detail = detail[:_DETAIL_CHARS].rstrip() + "..."
        message = f"{message}: {detail}"
    return escape_controls(message)
