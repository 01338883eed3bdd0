"""Streamed replies: items decoded line by line, and the HTTP response always released.

The server side is an `httpx.MockTransport` behind a caller-supplied httpx client; bodies are
`ChunkedBody` objects (see tests/conftest.py) so a test can see how much of the body was read
and whether it was closed. `tests/_sync/test_streams.py` is generated from this file.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from ollama_service import (
    AsyncClient,
    AsyncStream,
    GenerateResponse,
    OllamaDecodeError,
    OllamaStreamError,
    ProgressResponse,
)

pytestmark = pytest.mark.anyio

BASE = "http://127.0.0.1:11434"
LINES = [
    b'{"model":"llama3.2","response":"Once","done":false}\n',
    b'{"model":"llama3.2","response":" upon","done":false}\n',
    b'{"model":"llama3.2","response":" a time","done":false}\n',
    b'{"model":"llama3.2","response":"","done":true,"done_reason":"stop","eval_count":3}\n',
]
ERROR_LINE = b'{"error":"an error was encountered while running the model"}\n'


class Boom(Exception):
    """Raised by a caller's loop body."""


class Server:
    """The mocked server: answers every request with the next body, and keeps the bodies."""

    def __init__(self, chunked_body: Callable[[list[bytes]], Any]) -> None:
        self._make = chunked_body
        self.queue: list[list[bytes]] = []
        self.bodies: list[Any] = []
        self.requests: list[httpx.Request] = []

    def reply(self, *chunks: bytes) -> None:
        self.queue.append(list(chunks))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = self._make(self.queue.pop(0))
        self.bodies.append(body)
        return httpx.Response(200, stream=body, headers={"Content-Type": "application/x-ndjson"})


@pytest.fixture
def server(chunked_body: Callable[[list[bytes]], Any]) -> Server:
    return Server(chunked_body)


@pytest.fixture
async def client(server: Server) -> AsyncIterator[AsyncClient]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(server))
    try:
        async with AsyncClient(BASE, http_client=http, max_retries=0) as c:
            yield c
    finally:
        await http.aclose()


async def collect(stream: Any, into: list[Any]) -> None:
    """Append every item of `stream` to `into`, so items seen before an error stay visible."""
    async for item in stream:
        into.append(item)


async def drain(stream: Any) -> list[Any]:
    """Every item of `stream`, in order."""
    items: list[Any] = []
    await collect(stream, items)
    return items


async def collect_into(stream: Any, texts: list[str]) -> None:
    """Append each item's text as it arrives, so a failure keeps what came before it."""
    async for item in stream:
        texts.append(item.response)


async def open_stream(client: AsyncClient, server: Server, *chunks: bytes) -> Any:
    """Queue a body and start a streamed generate that will read it."""
    server.reply(*chunks)
    return await client.generate("llama3.2", "Tell a story", stream=True)


async def test_full_consumption_closes_the_response(client: AsyncClient, server: Server) -> None:
    stream = await open_stream(client, server, *LINES)
    assert isinstance(stream, AsyncStream)
    assert stream.response.status_code == 200
    assert stream.response.headers["content-type"] == "application/x-ndjson"
    assert json.loads(server.requests[0].content)["stream"] is True
    texts = [item.response async for item in stream]
    assert texts == ["Once", " upon", " a time", ""]
    assert stream.response.is_closed
    assert server.bodies[0].closed


async def test_next_and_iteration_share_one_reader(client: AsyncClient, server: Server) -> None:
    """Items taken with `__anext__` are not seen again by a loop that follows."""
    stream = await open_stream(client, server, *LINES)
    async with stream:
        first = await stream.__anext__()
        rest = await drain(stream)
    assert [item.response for item in [first, *rest]] == ["Once", " upon", " a time", ""]


async def test_break_inside_the_with_block_closes_the_response(
    client: AsyncClient, server: Server
) -> None:
    """Leaving the block early releases the connection; the rest of the body is never read."""
    stream = await open_stream(client, server, *LINES)
    async with stream:
        async for item in stream:
            assert item.response == "Once"
            break
    assert stream.response.is_closed
    body = server.bodies[0]
    assert body.closed
    assert body.sent == 1


async def test_partial_iteration_keeps_the_response_open_until_closed(
    client: AsyncClient, server: Server
) -> None:
    stream = await open_stream(client, server, *LINES)
    first = await stream.__anext__()
    assert first.response == "Once"
    assert not stream.response.is_closed
    await stream.close()
    assert stream.response.is_closed


async def test_close_twice_is_fine(client: AsyncClient, server: Server) -> None:
    stream = await open_stream(client, server, *LINES)
    await stream.close()
    await stream.close()
    assert stream.response.is_closed
    assert repr(stream).endswith(" closed>")


async def test_close_after_full_consumption_is_fine(client: AsyncClient, server: Server) -> None:
    stream = await open_stream(client, server, *LINES)
    async with stream:
        items = await drain(stream)
    await stream.close()
    assert len(items) == 4
    assert stream.response.is_closed


async def test_exception_in_the_callers_loop_closes_the_response(
    client: AsyncClient, server: Server
) -> None:
    """The caller's own exception propagates unchanged, and the response is released."""
    stream = await open_stream(client, server, *LINES)
    seen: list[str] = []

    async def read_two_then_fail() -> None:
        async with stream:
            async for item in stream:
                seen.append(item.response)
                if len(seen) == 2:
                    raise Boom

    with pytest.raises(Boom):
        await read_two_then_fail()
    assert seen == ["Once", " upon"]
    assert stream.response.is_closed
    assert server.bodies[0].closed


async def test_mid_stream_error_closes_the_response(client: AsyncClient, server: Server) -> None:
    stream = await open_stream(client, server, *LINES[:2], ERROR_LINE, LINES[3])
    seen: list[Any] = []
    with pytest.raises(OllamaStreamError) as info:
        await collect(stream, seen)
    assert [item.response for item in seen] == ["Once", " upon"]
    assert info.value.error == "an error was encountered while running the model"
    assert stream.response.is_closed


async def test_decode_error_closes_the_response(client: AsyncClient, server: Server) -> None:
    stream = await open_stream(
        client, server, LINES[0], b'{"response": 7, "done": false}\n', LINES[3]
    )
    with pytest.raises(OllamaDecodeError, match=r"\$\.response"):
        async for _ in stream:
            pass
    assert stream.response.is_closed


async def test_truncated_stream_closes_the_response(client: AsyncClient, server: Server) -> None:
    stream = await open_stream(client, server, *LINES[:3])
    with pytest.raises(OllamaStreamError) as info:
        async for _ in stream:
            pass
    assert info.value.truncated
    assert stream.response.is_closed


@pytest.mark.parametrize(
    "chunks",
    [
        pytest.param([b"".join(LINES)], id="one-chunk"),
        pytest.param(LINES, id="one-line-per-chunk"),
        pytest.param([bytes([b]) for b in b"".join(LINES)], id="one-byte-per-chunk"),
        pytest.param(
            [b"".join(LINES)[:30], b"".join(LINES)[30:95], b"".join(LINES)[95:]], id="cut-mid-line"
        ),
        pytest.param([b"".join(LINES).replace(b"\n", b"\r\n")], id="crlf"),
        pytest.param([b"".join(LINES).rstrip(b"\n")], id="no-final-newline"),
    ],
)
async def test_lines_split_across_chunks(
    client: AsyncClient, server: Server, chunks: list[bytes]
) -> None:
    """However the bytes are cut, the same items come out, in order."""
    stream = await open_stream(client, server, *chunks)
    items = await drain(stream)
    assert [item.response for item in items] == ["Once", " upon", " a time", ""]
    assert all(type(item) is GenerateResponse for item in items)
    assert items[-1].eval_count == 3
    assert stream.response.is_closed


async def test_repr_tracks_count_and_state(client: AsyncClient, server: Server) -> None:
    stream = await open_stream(client, server, *LINES)
    name = type(stream).__name__
    assert repr(stream) == f"<{name} /api/generate items=0 open>"
    await stream.__anext__()
    await stream.__anext__()
    assert repr(stream) == f"<{name} /api/generate items=2 open>"
    await stream.close()
    assert repr(stream) == f"<{name} /api/generate items=2 closed>"


async def test_progress_stream_ends_at_success(client: AsyncClient, server: Server) -> None:
    server.reply(b'{"status":"pulling manifest"}\n', b'{"status":"success"}\n')
    stream = await client.pull("llama3.2", stream=True)
    async with stream:
        items = await drain(stream)
        assert repr(stream) == f"<{type(stream).__name__} /api/pull items=2 closed>"
    assert [item.status for item in items] == ["pulling manifest", "success"]
    assert all(type(item) is ProgressResponse for item in items)


async def test_iterating_an_exhausted_stream_yields_nothing(
    client: AsyncClient, server: Server
) -> None:
    stream = await open_stream(client, server, *LINES)
    assert len(await drain(stream)) == 4
    assert await drain(stream) == []
    assert stream.response.is_closed


@pytest.mark.parametrize(
    ("body", "kept", "error"),
    [
        pytest.param(b"".join(LINES), ["Once", " upon", " a time", ""], None, id="all-good"),
        pytest.param(
            b"".join(LINES[:2]) + ERROR_LINE + LINES[3],
            ["Once", " upon"],
            OllamaStreamError,
            id="error-line",
        ),
        pytest.param(
            LINES[0] + b'{"response": oops}\n' + LINES[1],
            ["Once"],
            OllamaDecodeError,
            id="bad-json",
        ),
    ],
)
async def test_many_lines_in_one_chunk(
    client: AsyncClient,
    server: Server,
    body: bytes,
    kept: list[str],
    error: type[Exception] | None,
) -> None:
    """Lines that arrive together are decoded together, and a bad one still yields the items
    before it, exactly as when they arrive one per chunk."""
    stream = await open_stream(client, server, body)
    got: list[str] = []
    if error is None:
        got = [item.response for item in await drain(stream)]
    else:
        with pytest.raises(error):
            await collect_into(stream, got)
    assert got == kept
    assert stream.response.is_closed
