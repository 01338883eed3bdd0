"""OLLAMA_HOST parsing and base-URL resolution (ollama_service._host)."""

from __future__ import annotations

import pytest

from ollama_service._constants import DEFAULT_BASE_URL
from ollama_service._errors import OllamaRequestError
from ollama_service._host import parse_host, resolve_base_url

V6 = "0001:002:003:0004::1"

# (value, expected): the Go table (ollama-api.md §4.5), then ollama-python's
# table (peers.md §1.3), then its extra edge cases, adapted to our improvements.
VALID = [
    # Go envconfig.Host()
    pytest.param(None, "http://127.0.0.1:11434", id="go-unset"),
    pytest.param("", "http://127.0.0.1:11434", id="go-empty"),
    pytest.param("1.2.3.4", "http://1.2.3.4:11434", id="go-ipv4"),
    pytest.param(":1234", "http://127.0.0.1:1234", id="go-port-only-dials-loopback"),
    pytest.param("example.com:1234", "http://example.com:1234", id="go-host-port"),
    pytest.param("[::1]", "http://[::1]:11434", id="go-bracketed-ipv6"),
    pytest.param("::1", "http://[::1]:11434", id="go-bare-ipv6"),
    pytest.param("http://1.2.3.4", "http://1.2.3.4:80", id="go-http-port-80"),
    pytest.param("https://1.2.3.4", "https://1.2.3.4:443", id="go-https-port-443"),
    pytest.param(
        "https://example.com/ollama", "https://example.com:443/ollama", id="go-path-prefix"
    ),
    pytest.param("ollama.com", "https://ollama.com:443", id="go-ollama-com"),
    pytest.param("0.0.0.0", "http://127.0.0.1:11434", id="go-bind-any-dials-loopback"),
    # ollama-python _parse_host doctests
    pytest.param(":56789", "http://127.0.0.1:56789", id="py-port-only"),
    pytest.param("1.2.3.4:56789", "http://1.2.3.4:56789", id="py-ipv4-port"),
    pytest.param("https://1.2.3.4:56789", "https://1.2.3.4:56789", id="py-https-explicit-port"),
    pytest.param("example.com", "http://example.com:11434", id="py-name"),
    pytest.param("example.com/", "http://example.com:11434", id="py-name-slash"),
    pytest.param("example.com:56789", "http://example.com:56789", id="py-name-port"),
    pytest.param("example.com:56789/", "http://example.com:56789", id="py-name-port-slash"),
    pytest.param("http://example.com", "http://example.com:80", id="py-http-name"),
    pytest.param("https://example.com", "https://example.com:443", id="py-https-name"),
    pytest.param("example.com/path", "http://example.com:11434/path", id="py-path"),
    pytest.param("example.com:56789/path/", "http://example.com:56789/path", id="py-path-slash"),
    pytest.param(
        "https://example.com:56789/path", "https://example.com:56789/path", id="py-https-path"
    ),
    pytest.param(f"[{V6}]", f"http://[{V6}]:11434", id="py-ipv6"),
    pytest.param(f"[{V6}]/", f"http://[{V6}]:11434", id="py-ipv6-slash"),
    pytest.param(f"[{V6}]:56789", f"http://[{V6}]:56789", id="py-ipv6-port"),
    pytest.param(f"http://[{V6}]", f"http://[{V6}]:80", id="py-http-ipv6"),
    pytest.param(f"https://[{V6}]", f"https://[{V6}]:443", id="py-https-ipv6"),
    pytest.param(f"[{V6}]/path", f"http://[{V6}]:11434/path", id="py-ipv6-path"),
    pytest.param(f"[{V6}]:56789/path/", f"http://[{V6}]:56789/path", id="py-ipv6-port-path"),
    # ollama-python edge cases, with our improvements
    pytest.param("HTTP://h", "http://h:80", id="scheme-lower-cased"),
    pytest.param("HTTPS://h", "https://h:443", id="https-scheme-lower-cased"),
    pytest.param("user:pw@h:1234", "http://user:pw@h:1234", id="userinfo-kept"),
    pytest.param("http://user:pw@h", "http://user:pw@h:80", id="userinfo-kept-with-scheme"),
    pytest.param("h?x=1", "http://h:11434", id="query-dropped"),
    pytest.param("http://h#f", "http://h:80", id="fragment-dropped"),
    pytest.param(" localhost ", "http://localhost:11434", id="whitespace-trimmed"),
    pytest.param("'localhost'", "http://localhost:11434", id="single-quotes-trimmed"),
    pytest.param(' "http://h:1" ', "http://h:1", id="quotes-and-whitespace-trimmed"),
    pytest.param("[fe80::1%eth0]", "http://[fe80::1%eth0]:11434", id="ipv6-zone-kept"),
    pytest.param("::", "http://[::1]:11434", id="ipv6-any-dials-loopback"),
    pytest.param("[::]:8080", "http://[::1]:8080", id="bracketed-ipv6-any-dials-loopback"),
    pytest.param("OLLAMA.COM", "https://ollama.com:443", id="ollama-com-any-case"),
    pytest.param("ollama.com:11434", "http://ollama.com:11434", id="ollama-com-with-port-is-plain"),
    pytest.param("h:", "http://h:11434", id="empty-port-means-default"),
    pytest.param("h/a/b/", "http://h:11434/a/b", id="nested-path"),
    pytest.param("http://", "http://127.0.0.1:80", id="scheme-only-dials-loopback"),
    pytest.param("   ", "http://127.0.0.1:11434", id="blank"),
]


@pytest.mark.parametrize(("value", "expected"), VALID)
def test_parse_host(value: str | None, expected: str) -> None:
    """Each documented OLLAMA_HOST form maps to one explicit base URL."""
    assert parse_host(value) == expected


INVALID = [
    pytest.param("localhost:abc", "port 'abc' is not a number", id="non-numeric-port"),
    pytest.param(":66000", "port 66000 is outside 1-65535", id="port-too-large"),
    pytest.param(":-1", "port -1 is outside 1-65535", id="negative-port"),
    pytest.param("h:0", "port 0 is outside 1-65535", id="port-zero"),
    pytest.param("ftp://h", "unsupported scheme 'ftp'", id="ftp-scheme"),
    pytest.param("://h", "unsupported scheme ''", id="empty-scheme"),
    pytest.param("local host", "host 'local host' contains whitespace", id="space-in-host"),
    pytest.param("a:b:c", "'a:b:c' is not a valid IPv6 address", id="bad-bare-ipv6"),
    pytest.param("[::1", "no matching ']'", id="unclosed-bracket"),
    pytest.param("[::1]x", "unexpected 'x'", id="garbage-after-bracket"),
    pytest.param("h:\uff18\uff10", "is not a number", id="non-ascii-digits"),
]


@pytest.mark.parametrize(("value", "reason"), INVALID)
def test_parse_host_rejects(value: str, reason: str) -> None:
    """An unusable value fails loudly, naming the value and the reason."""
    with pytest.raises(OllamaRequestError) as info:
        parse_host(value)
    message = str(info.value)
    assert message.startswith(f"{value!r} is not a valid Ollama host: ")
    assert reason in message


def test_parse_host_error_is_a_value_error() -> None:
    """Generic validation code that catches ValueError also catches ours."""
    with pytest.raises(ValueError, match="not a valid Ollama host"):
        parse_host("h:abc")


RESOLVE = [
    pytest.param("h1", {"OLLAMA_BASE_URL": "h2", "OLLAMA_HOST": "h3"}, "http://h1:11434", id="explicit-wins"),
    pytest.param(None, {"OLLAMA_BASE_URL": "h2", "OLLAMA_HOST": "h3"}, "http://h2:11434", id="base-url-beats-host"),
    pytest.param(None, {"OLLAMA_HOST": "h3"}, "http://h3:11434", id="host-fallback"),
    pytest.param(None, {}, DEFAULT_BASE_URL, id="default"),
    pytest.param("", {"OLLAMA_HOST": "h3"}, "http://h3:11434", id="blank-explicit-is-unset"),
    pytest.param(None, {"OLLAMA_BASE_URL": " ", "OLLAMA_HOST": "h3"}, "http://h3:11434", id="blank-env-is-unset"),
    pytest.param(None, {"OLLAMA_BASE_URL": "https://proxy/ollama/"}, "https://proxy:443/ollama", id="base-url-normalised"),
    pytest.param(None, {"OLLAMA_HOST": "0.0.0.0:8080"}, "http://127.0.0.1:8080", id="server-bind-value"),
]  # fmt: skip


@pytest.mark.parametrize(("explicit", "env", "expected"), RESOLVE)
def test_resolve_base_url(explicit: str | None, env: dict[str, str], expected: str) -> None:
    """Argument, then OLLAMA_BASE_URL, then OLLAMA_HOST, then the default."""
    assert resolve_base_url(explicit, env) == expected


@pytest.mark.parametrize(
    ("explicit", "env", "prefix"),
    [
        pytest.param(None, {"OLLAMA_HOST": "http://h:abc"}, "OLLAMA_HOST='http://h:abc'", id="host"),
        pytest.param(None, {"OLLAMA_BASE_URL": "ftp://h"}, "OLLAMA_BASE_URL='ftp://h'", id="base-url"),
        pytest.param("h:99999", {}, "host='h:99999'", id="explicit"),
    ],
)  # fmt: skip
def test_resolve_base_url_error_names_the_source(
    explicit: str | None, env: dict[str, str], prefix: str
) -> None:
    """The error says which variable or argument holds the bad value."""
    with pytest.raises(OllamaRequestError) as info:
        resolve_base_url(explicit, env)
    assert str(info.value).startswith(f"{prefix} is not a valid Ollama host: ")


def test_resolve_base_url_exact_message() -> None:
    """The message reads as one sentence a user can act on."""
    with pytest.raises(OllamaRequestError) as info:
        resolve_base_url(env={"OLLAMA_HOST": "http://h:abc"})
    assert str(info.value) == (
        "OLLAMA_HOST='http://h:abc' is not a valid Ollama host: port 'abc' is not a number"
    )


def test_resolve_base_url_reads_os_environ_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """env=None reads os.environ when called, not when the module was imported."""
    monkeypatch.delenv("OLLAMA_BASE_URL", raising=False)
    monkeypatch.setenv("OLLAMA_HOST", "envhost:1234")
    assert resolve_base_url() == "http://envhost:1234"
    monkeypatch.setenv("OLLAMA_BASE_URL", "https://other")
    assert resolve_base_url() == "https://other:443"
