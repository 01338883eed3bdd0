"""Bodies that are not what the endpoint promises: every one is a typed error, never a crash
with a foreign exception, never a silent success; unknown extra fields decode fine.

`FakeOllamaServer.faults.garbage` replaces one response body, verbatim. Decode errors are not
retried (the server answered; asking again would get the same answer).
"""

from __future__ import annotations

import logging

import pytest

from ollama_service import OllamaDecodeError, OllamaResponseError, OllamaStreamError
from ollama_service._constants import MAX_LINE_BYTES
from ollama_service.testing import FakeOllamaServer

from ._support import KINDS, MODEL, Api, AsyncWaitIdle, expected_pieces, retry_records

pytestmark = pytest.mark.anyio

STAMP = '"created_at":"2025-11-25T09:00:00.000000000Z"'
LINE_A = b'{"model":"llama3.2",' + STAMP.encode() + b',"response":"Hello","done":false}\n'
LAST = b'{"model":"llama3.2",' + STAMP.encode() + b',"response":"","done":true}\n'
NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n"
    "</body>\r\n</html>\r\n"
)
INVALID_UTF8_LINE = (
    b'{"model":"llama3.2",' + STAMP.encode() + b',"response":"\xff\xfe","done":false}'
)


@pytest.fixture(autouse=True)
def _capture_retries(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="ollama_service")


@pytest.mark.parametrize("kind", KINDS)
async def test_invalid_json_line_in_a_stream(
    async_wait_idle: AsyncWaitIdle,
    kind: str,
    fake: FakeOllamaServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.faults.garbage(LINE_A + b'{"model": nope}\n' + LAST)
    got: list[str] = []
    async with Api(kind, fake.base_url) as api:
        with pytest.raises(OllamaDecodeError) as info:
            await api.run("hello", stream=True, got=got)
        assert await api.generate("next") == "".join(expected_pieces("next"))
    assert await async_wait_idle(fake)

    exc = info.value
    assert got == ["Hello"]
    assert exc.type_name == "GenerateResponse"
    assert exc.line == '{"model": nope}'
    message = str(exc)
    assert message.startswith(
        "Ollama sent something that is not a valid GenerateResponse: JSON is malformed: "
        "invalid character (byte "
    )
    assert message.endswith('). Received: {"model": nope}')
    assert exc.attempts == 1
    assert retry_records(caplog) == []
    assert fake.stats.requests_handled == 2


@pytest.mark.parametrize("kind", KINDS)
async def test_invalid_json_whole_reply(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    fake.faults.garbage(b'{"model": "llama3.2", "response": ')
    async with Api(kind, fake.base_url) as api:
        with pytest.raises(OllamaDecodeError) as info:
            await api.generate("hello")
    assert await async_wait_idle(fake)
    assert str(info.value) == (
        "Ollama sent something that is not a valid GenerateResponse: Input data was truncated. "
        'Received: {"model": "llama3.2", "response": '
    )
    assert info.value.attempts == 1
    assert fake.stats.requests_handled == 1


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("kind", KINDS)
async def test_invalid_utf8(
    async_wait_idle: AsyncWaitIdle, kind: str, stream: bool, fake: FakeOllamaServer
) -> None:
    fake.faults.garbage(LINE_A + INVALID_UTF8_LINE + b"\n" + LAST if stream else INVALID_UTF8_LINE)
    got: list[str] = []
    async with Api(kind, fake.base_url) as api:
        with pytest.raises(OllamaDecodeError) as info:
            await api.run("hello", stream=stream, got=got)
    assert await async_wait_idle(fake)
    assert got == (["Hello"] if stream else [])
    assert info.value.type_name == "GenerateResponse"
    assert "invalid UTF-8" in str(info.value)
    assert info.value.attempts == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_line_over_the_cap(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    """A 16 MiB + 1 byte line (the cap cannot be lowered through the public API)."""
    fake.faults.garbage(LINE_A + b"x" * (MAX_LINE_BYTES + 1) + b"\n" + LAST)
    got: list[str] = []
    async with Api(kind, fake.base_url) as api:
        with pytest.raises(OllamaDecodeError) as info:
            await api.run("hello", stream=True, got=got)
        assert await async_wait_idle(fake)
        assert await api.generate("next") == "".join(expected_pieces("next"))
    assert got == ["Hello"]
    exc = info.value
    assert exc.type_name == "NDJSON line"
    assert str(exc).startswith(
        "A line of Ollama's streamed response is longer than max_line_bytes=16777216 bytes; "
        "stopped buffering it. Raise max_line_bytes if such lines are expected. Received: xxx"
    )
    assert exc.line == "x" * 200 + "..."
    assert exc.attempts == 1
    assert fake.stats.requests_handled == 2


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("kind", KINDS)
async def test_html_502_from_a_proxy(
    async_wait_idle: AsyncWaitIdle,
    kind: str,
    stream: bool,
    fake: FakeOllamaServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 502 is retried (generate is idempotent); the HTML page becomes one line naming the
    proxy, not a decode error, and the raw page stays in `.body`."""
    fake.faults.fail_next(3, 502, NGINX_502, content_type="text/html")
    got: list[str] = []
    async with Api(kind, fake.base_url, max_retries=2) as api:
        with pytest.raises(OllamaResponseError) as info:
            await api.run("hello", stream=stream, got=got)
    assert await async_wait_idle(fake)
    exc = info.value
    assert type(exc) is OllamaResponseError
    assert exc.status_code == 502
    assert exc.error == "502 Bad Gateway from nginx/1.25.3, a proxy in front of Ollama"
    assert str(exc) == f"{exc.error} (status code: 502)"
    assert exc.body == NGINX_502.encode()
    assert exc.attempts == 3
    assert got == []
    assert [(r.attempt, r.error_type) for r in retry_records(caplog)] == [
        (1, "OllamaResponseError"),
        (2, "OllamaResponseError"),
    ]
    assert fake.stats.requests_handled == 3


@pytest.mark.parametrize("kind", KINDS)
async def test_empty_200_body_where_json_is_due(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    fake.faults.garbage(b"")
    async with Api(kind, fake.base_url) as api:
        with pytest.raises(OllamaDecodeError) as info:
            await api.generate("hello")
    assert await async_wait_idle(fake)
    assert str(info.value) == (
        "Ollama sent something that is not a valid GenerateResponse: Input data was truncated. "
        "Received: "
    )
    assert info.value.attempts == 1
    assert fake.stats.requests_handled == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_empty_200_stream(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    fake.faults.garbage(b"")
    got: list[str] = []
    async with Api(kind, fake.base_url) as api:
        with pytest.raises(OllamaStreamError) as info:
            await api.run("hello", stream=True, got=got)
    assert await async_wait_idle(fake)
    assert got == []
    assert info.value.truncated is True
    assert info.value.error.startswith("stream ended after 0 items without its final object")


async def test_empty_200_body_on_a_get(
    async_wait_idle: AsyncWaitIdle, fake: FakeOllamaServer
) -> None:
    fake.faults.garbage(b"")
    async with Api("client", fake.base_url) as api:
        with pytest.raises(OllamaDecodeError) as info:
            await api.client.version()
    assert await async_wait_idle(fake)
    assert info.value.type_name == "VersionResponse"
    assert fake.stats.requests_handled == 1


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b'{"model":"llama3.2",' + STAMP.encode() + b',"response":42,"done":true}', "$.response"),
        (b'{"model":"llama3.2",' + STAMP.encode() + b',"response":"x","done":"yes"}', "$.done"),
        (b"[1, 2, 3]", None),
    ],
    ids=["int-for-str", "str-for-bool", "array"],
)
@pytest.mark.parametrize("kind", KINDS)
async def test_json_of_the_wrong_shape(
    async_wait_idle: AsyncWaitIdle,
    kind: str,
    body: bytes,
    where: str | None,
    fake: FakeOllamaServer,
) -> None:
    fake.faults.garbage(body)
    async with Api(kind, fake.base_url) as api:
        with pytest.raises(OllamaDecodeError) as info:
            await api.generate("hello")
    assert await async_wait_idle(fake)
    message = str(info.value)
    assert message.startswith("Ollama sent something that is not a valid GenerateResponse: ")
    if where is not None:
        assert f"at `{where}`" in message
    else:
        assert "Expected `object`, got `array`" in message
    assert message.endswith("Received: " + body.decode())
    assert info.value.attempts == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_unknown_extra_fields_decode_fine(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    extra = b',"surprise":{"nested":[1,{"deep":null}]},"x_new_metric":1.5'
    whole = (
        b'{"model":"llama3.2",' + STAMP.encode() + b',"response":"Hi","done":true' + extra + b"}"
    )
    line = LINE_A.rstrip(b"}\n") + extra + b"}\n"
    last = LAST.rstrip(b"}\n") + extra + b"}\n"
    fake.faults.garbage(whole)
    fake.faults.garbage(line + line + last)
    got: list[str] = []
    async with Api(kind, fake.base_url) as api:
        assert await api.generate("hello") == "Hi"
        await api.run("hello", stream=True, got=got)
        if api.service is None:
            version = await api.client.version()
            assert version.version == "0.33.0"
    assert await async_wait_idle(fake)
    assert "".join(got) == "HelloHello"
    assert fake.stats.requests_handled == (2 if kind == "service" else 3)


async def test_well_formed_reply_for_reference(
    async_wait_idle: AsyncWaitIdle, fake: FakeOllamaServer
) -> None:
    """Control case for the shapes above: a well-formed reply decodes into the struct."""
    async with Api("client", fake.base_url) as api:
        reply = await api.client.generate(MODEL, "hello")
    assert await async_wait_idle(fake)
    assert reply.model == MODEL
    assert reply.done is True
