"""The exception tree and the functions that build it (ollama_service._errors)."""

from __future__ import annotations

import asyncio
import pickle
import re
import socket

import httpx
import msgspec
import pytest

from ollama_service._constants import ERROR_SNIPPET_CHARS
from ollama_service._error_builders import (
    decode_error,
    line_too_long_error,
    stream_error,
    truncated_stream_error,
)
from ollama_service._error_mapping import (
    error_from_response,
    map_transport_errors,
    translate_transport_error,
)
from ollama_service._errors import (
    CONNECTION_ERROR_MESSAGE,
    OllamaConnectionError,
    OllamaContentDecodingError,
    OllamaDecodeError,
    OllamaModelNotFoundError,
    OllamaRedirectError,
    OllamaRequestError,
    OllamaResponseError,
    OllamaServerBusyError,
    OllamaServiceError,
    OllamaStreamError,
    OllamaTimeoutError,
    RequestError,
    ResponseError,
)
from ollama_service._redact import redact_url

URL = "http://127.0.0.1:11434"

# --- The tree ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("child", "parent"),
    [
        pytest.param(OllamaRequestError, OllamaServiceError, id="request-is-service"),
        pytest.param(OllamaRequestError, ValueError, id="request-is-value-error"),
        pytest.param(OllamaConnectionError, OllamaServiceError, id="connection-is-service"),
        pytest.param(OllamaTimeoutError, OllamaConnectionError, id="timeout-is-connection"),
        pytest.param(OllamaConnectionError, ConnectionError, id="connection-is-builtin"),
        pytest.param(OllamaTimeoutError, TimeoutError, id="timeout-is-builtin"),
        pytest.param(OllamaTimeoutError, ConnectionError, id="timeout-is-builtin-connection"),
        pytest.param(OllamaResponseError, OllamaServiceError, id="response-is-service"),
        pytest.param(OllamaModelNotFoundError, OllamaResponseError, id="not-found-is-response"),
        pytest.param(OllamaServerBusyError, OllamaResponseError, id="busy-is-response"),
        pytest.param(OllamaStreamError, OllamaResponseError, id="stream-is-response"),
        pytest.param(OllamaDecodeError, OllamaServiceError, id="decode-is-service"),
        pytest.param(OllamaServiceError, Exception, id="service-is-exception"),
    ],
)
def test_tree(child: type[BaseException], parent: type[BaseException]) -> None:
    """The hierarchy drawn in the module docstring holds."""
    assert issubclass(child, parent)


@pytest.mark.parametrize(
    ("cls", "not_parent"),
    [
        pytest.param(OllamaConnectionError, TimeoutError, id="connection-not-timeout"),
        pytest.param(OllamaDecodeError, OllamaResponseError, id="decode-not-response"),
        pytest.param(OllamaResponseError, ValueError, id="response-not-value-error"),
    ],
)
def test_tree_is_not_wider(cls: type[BaseException], not_parent: type[BaseException]) -> None:
    """No accidental extra bases that would widen someone's except clause."""
    assert not issubclass(cls, not_parent)


def test_aliases_match_the_official_library() -> None:
    """Code migrating from `ollama` keeps its except clauses."""
    assert ResponseError is OllamaResponseError
    assert RequestError is OllamaRequestError


def test_request_error_has_error_like_the_official_one() -> None:
    exc = RequestError("must provide a model")
    assert exc.error == exc.message == str(exc) == "must provide a model"


def test_builtin_bases_keep_message_and_pickle() -> None:
    """The builtin bases change neither the message nor the attributes, pickled or not."""
    exc = OllamaTimeoutError("Timed out", url="http://u:pw@h:1", phase="connect", timeout=2.0)
    assert str(exc) == "Timed out"
    assert exc.args == ("Timed out",)
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is OllamaTimeoutError
    assert (str(again), again.url, again.phase, again.sent) == (
        "Timed out",
        exc.url,
        "connect",
        False,
    )


def test_refused_connection_matches_the_official_message() -> None:
    """`pytest.raises(ConnectionError, match=CONNECTION_ERROR_MESSAGE)` from the official tests."""
    exc = translate_transport_error(httpx.ConnectError("[Errno 111] Connection refused"), url=URL)
    assert isinstance(exc, ConnectionError)
    assert re.search(CONNECTION_ERROR_MESSAGE, str(exc))
    assert str(exc).startswith(CONNECTION_ERROR_MESSAGE)
    assert f"Could not connect to {URL}: connection refused." in str(exc)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(OllamaResponseError("boom", 500), "boom (status code: 500)", id="response"),
        pytest.param(OllamaResponseError("boom"), "boom (status code: -1)", id="default-status"),
        pytest.param(OllamaServerBusyError("busy"), "busy (status code: 503)", id="busy"),
        pytest.param(OllamaModelNotFoundError("gone"), "gone (status code: 404)", id="not-found"),
        pytest.param(OllamaStreamError("oom"), "oom (status code: 200)", id="stream"),
        pytest.param(OllamaRequestError("bad"), "bad", id="request"),
        pytest.param(OllamaConnectionError("down"), "down", id="connection"),
    ],
)
def test_str(error: OllamaServiceError, expected: str) -> None:
    """str() of a response error reads like the official library's."""
    assert str(error) == expected


def test_attempts_defaults_to_one() -> None:
    """Without retries, one attempt was made."""
    assert OllamaServiceError("x").attempts == 1
    assert OllamaResponseError("x", 500, attempts=3).attempts == 3


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(OllamaResponseError("e", 502, body=b"b", retry_after=2.0), id="response"),
        pytest.param(OllamaModelNotFoundError("e", model="m", attempts=2), id="not-found"),
        pytest.param(OllamaStreamError("e", truncated=True), id="stream"),
        pytest.param(OllamaTimeoutError("t", url=URL, phase="pool", timeout=3.0), id="timeout"),
        pytest.param(OllamaConnectionError("c", url=URL, sent=False), id="connection"),
        pytest.param(OllamaDecodeError("d", line="l", type_name="T"), id="decode"),
        pytest.param(OllamaRequestError("r"), id="request"),
    ],
)
def test_pickle_round_trip(error: OllamaServiceError) -> None:
    """Exceptions survive pickling (multiprocessing, task queues) with their attributes."""
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert vars(copy) == vars(error)
    assert str(copy) == str(error)


def test_timeout_sent_follows_phase() -> None:
    """Connect and pool timeouts happen before the request leaves; read and write after."""
    assert not OllamaTimeoutError(phase="connect").sent
    assert not OllamaTimeoutError(phase="pool").sent
    assert OllamaTimeoutError(phase="read").sent
    assert OllamaTimeoutError(phase="write").sent


# --- error_from_response -------------------------------------------------------

BUSY = b'{"error":"server busy, please try again.  maximum pending requests exceeded"}'

RESPONSES = [
    pytest.param(400, b'{"error":"invalid model name"}', None, OllamaResponseError, "invalid model name", id="json-error"),
    pytest.param(404, b"404 page not found", None, OllamaResponseError, "404 page not found: this URL path does not exist", id="text-404"),
    pytest.param(404, b"404 page not found", "llama3", OllamaResponseError, "Check the base URL", id="text-404-with-model-is-not-a-model-error"),
    pytest.param(403, b"", None, OllamaResponseError, "HTTP 403 with an empty body", id="empty-403"),
    pytest.param(404, b"", "llama3", OllamaResponseError, "HTTP 404 with an empty body", id="empty-404-is-not-a-model-error"),
    pytest.param(503, BUSY, None, OllamaServerBusyError, "server busy, please try again.  maximum", id="503-busy"),
    pytest.param(503, b"<html>Service Unavailable</html>", None, OllamaServerBusyError, "503 Service Unavailable from a proxy in front of Ollama", id="503-html"),
    pytest.param(404, b"{\"error\":\"model 'x' not found\"}", "x", OllamaModelNotFoundError, "model 'x' not found", id="404-single-quotes"),
    pytest.param(404, b'{"error":"model \\"x\\" not found, try pulling it first"}', "x", OllamaModelNotFoundError, 'model "x" not found, try pulling it first', id="404-try-pulling"),
    pytest.param(404, b'{"error":"model \\"x\\" not found"}', "x", OllamaModelNotFoundError, 'model "x" not found', id="404-double-quotes"),
    pytest.param(404, b"{\"error\":\"model 'x' not found\"}", None, OllamaResponseError, "model 'x' not found", id="404-json-without-model"),
    pytest.param(500, b'{"detail":"nope"}', None, OllamaResponseError, '{"detail":"nope"}', id="json-without-error-key"),
    pytest.param(500, b'{"error":""}', None, OllamaResponseError, '{"error":""}', id="json-empty-error"),
    pytest.param(502, b'{"error":{"message":"upstream"}}', None, OllamaResponseError, '{"message":"upstream"}', id="json-error-object"),
    pytest.param(500, b"\xff\xfe oops \xc3", None, OllamaResponseError, "\ufffd\ufffd oops \ufffd", id="invalid-utf8"),
    pytest.param(500, b"  padded text \n", None, OllamaResponseError, "padded text", id="text-stripped"),
    pytest.param(401, b'{"error":"unauthorized","signin_url":"https://ollama.com/connect"}', None, OllamaResponseError, "unauthorized", id="401-signin"),
]  # fmt: skip


@pytest.mark.parametrize(("status", "body", "model", "cls", "message"), RESPONSES)
def test_error_from_response(
    status: int, body: bytes, model: str | None, cls: type[OllamaResponseError], message: str
) -> None:
    """The class follows the status (never the text); the message is the server's."""
    error = error_from_response(status, body, model=model, retry_after=1.5)
    assert type(error) is cls
    assert message in error.error
    assert error.status_code == status
    assert error.body == body
    assert error.retry_after == 1.5


def test_model_not_found_carries_the_model() -> None:
    """The model named by the request is kept for the caller's message."""
    error = error_from_response(404, b'{"error":"model \'x\' not found"}', model="x")
    assert isinstance(error, OllamaModelNotFoundError)
    assert error.model == "x"
    assert str(error) == "model 'x' not found (status code: 404)"


def test_long_text_body_is_cut() -> None:
    """A proxy's big page does not become a page-long message."""
    error = error_from_response(502, b"x" * 10_000)
    assert error.error.startswith("502 Bad Gateway from a proxy in front of Ollama: xxx")
    assert len(error.error) < ERROR_SNIPPET_CHARS + 100
    assert error.error.endswith("...")
    assert len(error.body) == 10_000


# --- translate_transport_error -------------------------------------------------


def _request(timeout: httpx.Timeout | None = None) -> httpx.Request:
    extensions = {"timeout": timeout.as_dict()} if timeout is not None else {}
    return httpx.Request("POST", f"{URL}/api/chat", extensions=extensions)


def _chained(exc: httpx.TransportError, cause: BaseException) -> httpx.TransportError:
    exc.__cause__ = cause
    return exc


REQ = _request(httpx.Timeout(300.0, connect=10.0, write=30.0, pool=30.0))

TRANSPORT = [
    pytest.param(httpx.ConnectTimeout("timed out", request=REQ), OllamaTimeoutError, False, "Timed out connecting to Ollama at http://127.0.0.1:11434 (the connect timeout is 10s)", id="connect-timeout"),
    pytest.param(httpx.ReadTimeout("timed out", request=REQ), OllamaTimeoutError, True, "Timed out waiting for a response from Ollama at http://127.0.0.1:11434 (the read timeout is 300s)", id="read-timeout"),
    pytest.param(httpx.WriteTimeout("timed out", request=REQ), OllamaTimeoutError, True, "(the write timeout is 30s)", id="write-timeout"),
    pytest.param(httpx.PoolTimeout("timed out", request=REQ), OllamaTimeoutError, False, "waiting for a free connection", id="pool-timeout"),
    pytest.param(httpx.ReadTimeout("timed out", request=_request()), OllamaTimeoutError, True, "Ollama at http://127.0.0.1:11434. Loading", id="timeout-bound-unknown"),
    pytest.param(httpx.ReadTimeout("timed out"), OllamaTimeoutError, True, "Ollama at http://127.0.0.1:11434. Loading", id="timeout-without-request"),
    pytest.param(httpx.ConnectError("[Errno 111] Connection refused", request=REQ), OllamaConnectionError, False, "Could not connect to http://127.0.0.1:11434: connection refused. Is it running? Start it with `ollama serve`, or set OLLAMA_HOST.", id="refused-by-text"),
    pytest.param(_chained(httpx.ConnectError("All connection attempts failed"), ConnectionRefusedError(111, "Connect call failed")), OllamaConnectionError, False, ": connection refused. Is it running?", id="refused-by-cause"),
    pytest.param(httpx.ConnectError("[Errno -2] Name or service not known"), OllamaConnectionError, False, ": the host name could not be resolved. Check the host name in OLLAMA_HOST", id="dns-by-text"),
    pytest.param(_chained(httpx.ConnectError("lookup failed"), socket.gaierror(-3, "Temporary failure")), OllamaConnectionError, False, "the host name could not be resolved", id="dns-by-cause"),
    pytest.param(httpx.ConnectError("[Errno 101] Network is unreachable"), OllamaConnectionError, False, ": [Errno 101] Network is unreachable. Is it running?", id="connect-other"),
    pytest.param(httpx.ReadError("[Errno 104] Connection reset by peer"), OllamaConnectionError, True, "closed unexpectedly ([Errno 104] Connection reset by peer)", id="read-error"),
    pytest.param(httpx.WriteError("broken pipe"), OllamaConnectionError, True, "closed unexpectedly (broken pipe)", id="write-error"),
    pytest.param(httpx.RemoteProtocolError("peer closed connection without sending complete message body"), OllamaConnectionError, True, "closed unexpectedly (peer closed connection", id="dropped-mid-body"),
    pytest.param(httpx.CloseError(""), OllamaConnectionError, True, "closed unexpectedly (CloseError)", id="network-error-empty-message"),
    pytest.param(httpx.ProxyError("407 Proxy Authentication Required"), OllamaConnectionError, True, "failed: 407 Proxy Authentication Required", id="proxy-error"),
    pytest.param(httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'."), OllamaConnectionError, True, "failed: Request URL has an unsupported protocol", id="unsupported-protocol"),
    pytest.param(httpx.LocalProtocolError("Illegal header value"), OllamaConnectionError, True, "failed: Illegal header value", id="local-protocol-error"),
]  # fmt: skip


@pytest.mark.parametrize(("exc", "cls", "sent", "message"), TRANSPORT)
def test_translate_transport_error(
    exc: httpx.TransportError, cls: type[OllamaConnectionError], sent: bool, message: str
) -> None:
    """Each httpx failure becomes our class, says what happened, and knows if it was sent."""
    error = translate_transport_error(exc, url=URL)
    assert type(error) is cls
    assert error.sent is sent
    assert error.url == URL
    assert message in str(error)


@pytest.mark.parametrize(
    ("exc", "phase", "timeout"),
    [
        pytest.param(httpx.ConnectTimeout("t", request=REQ), "connect", 10.0, id="connect"),
        pytest.param(httpx.ReadTimeout("t", request=REQ), "read", 300.0, id="read"),
        pytest.param(httpx.WriteTimeout("t", request=REQ), "write", 30.0, id="write"),
        pytest.param(httpx.PoolTimeout("t", request=REQ), "pool", 30.0, id="pool"),
        pytest.param(httpx.ReadTimeout("t", request=_request(httpx.Timeout(None))), "read", None, id="unbounded"),
    ],
)  # fmt: skip
def test_timeout_phase_and_bound(
    exc: httpx.TimeoutException, phase: str, timeout: float | None
) -> None:
    """A timeout names its phase and the bound that ran out."""
    error = translate_transport_error(exc, url=URL)
    assert isinstance(error, OllamaTimeoutError)
    assert error.phase == phase
    assert error.timeout == timeout


def test_password_in_url_is_redacted() -> None:
    """Basic-auth credentials from OLLAMA_HOST never reach messages or .url."""
    error = translate_transport_error(
        httpx.ConnectError("Connection refused"), url="http://me:s3cret@h:80"
    )
    assert "s3cret" not in str(error)
    assert "s3cret" not in error.url
    assert "http://me:***@h:80" in str(error)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("http://h:1", "http://h:1", id="no-userinfo"),
        pytest.param("http://u:p@h:1/x", "http://u:***@h:1/x", id="password"),
        pytest.param("http://u@h:1", "http://u@h:1", id="user-only"),
        pytest.param("at a@b and https://u:p@h", "at a@b and https://u:***@h", id="inside-text"),
        pytest.param("http://h/a@b", "http://h/a@b", id="at-in-path"),
    ],
)
def test_redact_url(text: str, expected: str) -> None:
    """Only the password of user-info is hidden."""
    assert redact_url(text) == expected


# --- map_transport_errors ------------------------------------------------------


def test_map_transport_errors_preserves_cause() -> None:
    """The original httpx exception stays reachable as __cause__."""
    original = httpx.ConnectError("Connection refused")
    with pytest.raises(OllamaConnectionError) as info, map_transport_errors(URL):
        raise original
    assert info.value.__cause__ is original


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        pytest.param(httpx.ReadTimeout("t"), OllamaTimeoutError, id="timeout"),
        pytest.param(httpx.RemoteProtocolError("dropped"), OllamaConnectionError, id="dropped"),
        pytest.param(httpx.InvalidURL("Invalid port"), OllamaRequestError, id="invalid-url"),
        pytest.param(httpx.UnsupportedProtocol("ftp"), OllamaRequestError, id="unsupported-protocol"),
        pytest.param(httpx.DecodingError("bad gzip"), OllamaContentDecodingError, id="decoding-error"),
        pytest.param(httpx.TooManyRedirects("loop"), OllamaRedirectError, id="too-many-redirects"),
    ],
)  # fmt: skip
def test_map_transport_errors_translates(exc: Exception, cls: type[OllamaServiceError]) -> None:
    """Every httpx request failure leaves the boundary as one of ours."""
    with pytest.raises(cls) as info, map_transport_errors(URL):
        raise exc
    assert type(info.value) is cls
    assert info.value.__cause__ is exc


@pytest.mark.parametrize(
    "exc",
    [
        pytest.param(OllamaResponseError("x", 500), id="our-own"),
        pytest.param(OllamaRequestError("x"), id="our-request-error"),
        pytest.param(asyncio.CancelledError(), id="cancelled"),
        pytest.param(KeyboardInterrupt(), id="keyboard-interrupt"),
        pytest.param(httpx.StreamConsumed(), id="httpx-programming-error"),
        pytest.param(ValueError("bug"), id="unrelated"),
    ],
)
def test_map_transport_errors_passes_others_through(exc: BaseException) -> None:
    """Our exceptions, cancellation and bugs are not re-wrapped."""
    with pytest.raises(type(exc)) as info, map_transport_errors(URL):
        raise exc
    assert info.value is exc


def test_map_transport_errors_without_error() -> None:
    """The happy path is untouched."""
    with map_transport_errors(URL):
        value = 1
    assert value == 1


# --- Stream and decode errors --------------------------------------------------


def test_stream_error() -> None:
    """An in-stream error keeps the server's message and status 200."""
    error = stream_error("model runner has unexpectedly stopped")
    assert isinstance(error, OllamaStreamError)
    assert error.status_code == 200
    assert not error.truncated
    assert str(error) == "model runner has unexpectedly stopped (status code: 200)"


@pytest.mark.parametrize(
    ("items", "text"),
    [
        pytest.param(0, "stream ended after 0 items without its final object", id="zero"),
        pytest.param(1, "stream ended after 1 item without its final object", id="one"),
        pytest.param(7, "stream ended after 7 items without its final object", id="many"),
    ],
)
def test_truncated_stream_error(items: int, text: str) -> None:
    """A stream cut before its final object is an error, not a short answer."""
    error = truncated_stream_error(items)
    assert error.truncated
    assert error.status_code == 200
    assert error.error.startswith(text)


class _Chunk(msgspec.Struct):
    done: bool


def _msgspec_error(line: bytes) -> msgspec.DecodeError:
    try:
        msgspec.json.decode(line, type=_Chunk)
    except msgspec.DecodeError as exc:
        return exc
    raise AssertionError("expected a decode error")


@pytest.mark.parametrize(
    ("line", "in_message", "snippet"),
    [
        pytest.param(b'{"done":"yes"}', "Expected `bool`, got `str` - at `$.done`", '{"done":"yes"}', id="wrong-type"),
        pytest.param(b"not json", "JSON is malformed", "not json", id="malformed"),
        pytest.param(b'{"done":"\xff"}', "", '{"done":"\ufffd"}', id="invalid-utf8"),
        pytest.param(b"{" + b"x" * 1000, "", "{" + "x" * (ERROR_SNIPPET_CHARS - 1) + "...", id="cut"),
    ],
)  # fmt: skip
def test_decode_error(line: bytes, in_message: str, snippet: str) -> None:
    """The message has msgspec's field path and a readable, bounded snippet."""
    error = decode_error(line, "ChatResponse", _msgspec_error(line))
    assert error.type_name == "ChatResponse"
    assert error.line == snippet
    assert in_message in str(error)
    assert "not a valid ChatResponse" in str(error)
    assert snippet in str(error)


def test_line_too_long_error_names_the_cap() -> None:
    """The guard's message tells the user which knob to turn."""
    error = line_too_long_error(1024, b"{" * 5000)
    assert isinstance(error, OllamaDecodeError)
    assert "max_line_bytes=1024" in str(error)
    assert len(error.line) == ERROR_SNIPPET_CHARS + len("...")
