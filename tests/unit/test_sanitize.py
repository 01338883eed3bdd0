"""`escape_controls` and the proxy-page summary: pure text functions, tested with tables."""

from __future__ import annotations

import pytest

from ollama_service._error_builders import decode_error, stream_error
from ollama_service._error_mapping import error_from_response
from ollama_service._errors import OllamaDecodeError, OllamaResponseError
from ollama_service._proxy_page import summarize_error_page
from ollama_service._redact import escape_controls

ESCAPES = [
    pytest.param("plain text", "plain text", id="plain"),
    pytest.param("naïve 日本語 ✓", "naïve 日本語 ✓", id="any-script"),
    pytest.param("a\nb", "a\\nb", id="newline"),
    pytest.param("a\r\nb", "a\\r\\nb", id="crlf"),
    pytest.param("a\tb", "a\\tb", id="tab"),
    pytest.param("\x1b[2J\x1b[31mred", "\\x1b[2J\\x1b[31mred", id="ansi"),
    pytest.param("nul\x00byte", "nul\\x00byte", id="nul"),
    pytest.param("del\x7f", "del\\x7f", id="del"),
    pytest.param("c1\x9b", "c1\\x9b", id="c1-csi"),
    pytest.param("line\u2028sep", "line\\u2028sep", id="line-separator"),
    pytest.param("bidi\u202eevil", "bidi\\u202eevil", id="bidi-override"),
    pytest.param("nbsp\u00a0kept", "nbsp\u00a0kept", id="nbsp-kept"),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "escaped"), ESCAPES)
def test_escape_controls(raw: str, escaped: str) -> None:
    assert escape_controls(raw) == escaped
    assert escape_controls(escaped) == escaped  # idempotent
    assert escape_controls(raw).isprintable() or "\u00a0" in raw


FORGED = "\x1b[2J\x1b[31mboom\r\n2024-01-01 INFO forged log line"


def test_every_message_and_snippet_is_escaped() -> None:
    """Whatever the server sends, `str(error)` is one printable line."""
    errors: list[Exception] = [
        error_from_response(500, b'{"error":"' + FORGED.encode("unicode_escape") + b'"}'),
        error_from_response(500, FORGED.encode()),
        error_from_response(502, b"<html><title>" + FORGED.encode() + b"</title></html>"),
        stream_error(FORGED),
        decode_error(b"\x00\x1b[2J" + FORGED.encode(), "GenerateResponse", ValueError("x")),  # type: ignore[arg-type]
        OllamaResponseError(FORGED, 500),
        OllamaDecodeError(FORGED, line=FORGED),
    ]
    for error in errors:
        text = str(error)
        assert "\x1b" not in text, repr(text)
        assert "\r" not in text, repr(text)
        assert "\n" not in text, repr(text)
        assert "\x00" not in text, repr(text)
        assert text.isprintable(), repr(text)
    snippet = errors[4]
    assert isinstance(snippet, OllamaDecodeError)
    assert "\x00" not in snippet.line
    assert "\\x00" in snippet.line
    # The raw body is kept for diagnosis.
    response = errors[1]
    assert isinstance(response, OllamaResponseError)
    assert response.body == FORGED.encode()


NGINX = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
HAPROXY = (
    b"<html><body><h1>503 Service Unavailable</h1>\n"
    b"No server is available to handle this request.\n</body></html>\n"
)
PAGES = [
    pytest.param(502, NGINX, "text/html", "nginx/1.22.1", "502 Bad Gateway from nginx/1.22.1, a proxy in front of Ollama", id="nginx"),
    pytest.param(502, NGINX, None, None, "502 Bad Gateway from nginx/1.22.1, a proxy in front of Ollama", id="nginx-no-headers"),
    pytest.param(504, NGINX.replace(b"502 Bad Gateway", b"504 Gateway Time-out"), "text/html", None, "504 Gateway Time-out from nginx/1.22.1, a proxy in front of Ollama", id="nginx-504"),
    pytest.param(503, HAPROXY, "text/html", None, "503 Service Unavailable from a proxy in front of Ollama: No server is available to handle this request", id="haproxy"),
    pytest.param(502, b"<html><title>Oops</title></html>", "text/html", "Caddy", "Oops from Caddy, a proxy in front of Ollama", id="server-header"),
    pytest.param(503, b"upstream connect error or disconnect/reset before headers", "text/plain", "envoy", "503 Service Unavailable from envoy, a proxy in front of Ollama: upstream connect error or disconnect/reset before headers", id="envoy-text"),
    pytest.param(502, b"Bad Gateway", "text/plain", None, "502 Bad Gateway from a proxy in front of Ollama", id="text-same-as-status"),
    pytest.param(599, b"<html></html>", "text/html", None, "HTTP 599 from a proxy in front of Ollama", id="unknown-status"),
]  # fmt: skip


@pytest.mark.parametrize(("status", "body", "content_type", "server", "message"), PAGES)
def test_summarize_error_page(
    status: int, body: bytes, content_type: str | None, server: str | None, message: str
) -> None:
    assert summarize_error_page(status, body, content_type=content_type, server=server) == message


def test_proxy_page_becomes_the_error_message_and_keeps_the_body() -> None:
    error = error_from_response(502, NGINX, content_type="text/html", server="nginx/1.22.1")
    assert error.error == "502 Bad Gateway from nginx/1.22.1, a proxy in front of Ollama"
    assert str(error) == f"{error.error} (status code: 502)"
    assert error.body == NGINX


def test_ollamas_own_router_texts_keep_their_meaning() -> None:
    not_found = error_from_response(404, b"404 page not found", content_type="text/plain")
    assert not_found.error.startswith("404 page not found: this URL path does not exist")
    not_allowed = error_from_response(405, b"405 method not allowed", content_type="text/plain")
    assert not_allowed.error == "405 method not allowed"
