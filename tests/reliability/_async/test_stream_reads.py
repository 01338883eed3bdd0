"""Every way of reading a stream continues where the last read stopped; nothing is lost quietly.

A stream has one reader. `__anext__`, `__aiter__().__anext__()` and `async for` all take the
next item from it, so a partial read followed by a loop sees every item exactly once (before,
`aiter(stream)` made a new reader each time, and a dropped one closed the response: 1 item, no
error). A stream read to its end yields nothing more; one closed before its end (`close()`,
or `break` inside `async with`) or one that raised, raises `OllamaStreamClosedError` when read
again. Both clients and both layers, against `FakeOllamaServer` on a real socket.
"""

from __future__ import annotations

import gc

import pytest

from ollama_service import OllamaStreamClosedError, OllamaStreamError
from ollama_service.testing import FakeOllamaServer

from ._support import KINDS, Api, AsyncWaitIdle, drain_bare, expected_pieces, text_of

pytestmark = pytest.mark.anyio

PROMPT = "tell me a long story about the sea"
FULL = "".join(expected_pieces(PROMPT))


@pytest.mark.parametrize("kind", KINDS)
async def test_next_then_loop_sees_every_item(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    async with Api(kind, fake.base_url) as api:
        stream = await api.stream(PROMPT)
        first = text_of(await stream.__anext__())
        rest = [text_of(item) async for item in stream]
    assert first + "".join(rest) == FULL
    assert await async_wait_idle(fake)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_fresh_iterator_continues_the_same_read(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    """`first = next(iter(stream)); rest = list(stream)`, in its async spelling."""
    async with Api(kind, fake.base_url) as api:
        stream = await api.stream(PROMPT)
        first = text_of(await stream.__aiter__().__anext__())
        second = text_of(await stream.__aiter__().__anext__())
        rest = [text_of(item) async for item in stream]
        again = [text_of(item) async for item in stream]
    assert first + second + "".join(rest) == FULL
    assert again == []  # read to its end: nothing more, quietly
    assert await async_wait_idle(fake)


@pytest.mark.parametrize("kind", KINDS)
async def test_reading_after_a_partial_read_and_close_raises(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    async with Api(kind, fake.base_url) as api:
        stream = await api.stream(PROMPT)
        first = text_of(await stream.__anext__())
        await stream.close()
        assert first == expected_pieces(PROMPT)[0]
        with pytest.raises(OllamaStreamClosedError) as info:
            await stream.__anext__()
        with pytest.raises(OllamaStreamClosedError):
            async for _ in stream:
                pass
        assert await async_wait_idle(fake)
        # The pool is fine.
        assert await api.generate("next") == "".join(expected_pieces("next"))
    exc = info.value
    assert isinstance(exc, OllamaStreamError)
    assert isinstance(exc, RuntimeError)
    assert exc.error == (
        "this stream was closed after 1 item, before its end; its remaining items cannot be "
        "read. Read it before closing it (or before leaving its with block)."
    )


@pytest.mark.parametrize("kind", KINDS)
async def test_reading_after_break_inside_with_raises(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    async with Api(kind, fake.base_url) as api:
        stream = await api.stream(PROMPT)
        got: list[str] = []
        async with stream:
            async for item in stream:
                got.append(text_of(item))
                if len(got) == 2:
                    break
        with pytest.raises(OllamaStreamClosedError, match="closed after 2 items"):
            async for _ in stream:
                pass
    assert got == expected_pieces(PROMPT)[:2]
    assert await async_wait_idle(fake)


@pytest.mark.parametrize("kind", KINDS)
async def test_closing_inside_the_loop_raises_at_the_next_item(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    async with Api(kind, fake.base_url) as api:
        stream = await api.stream(PROMPT)
        got: list[str] = []

        async def close_inside_the_loop() -> None:
            async for item in stream:
                got.append(text_of(item))
                await stream.close()

        with pytest.raises(OllamaStreamClosedError):
            await close_inside_the_loop()
    assert got == expected_pieces(PROMPT)[:1]
    assert await async_wait_idle(fake)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_stream_read_to_its_end_then_closed_yields_nothing(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    async with Api(kind, fake.base_url) as api:
        stream = await api.stream(PROMPT)
        async with stream:
            got = [text_of(item) async for item in stream]
        await stream.close()
        assert [item async for item in stream] == []
    assert "".join(got) == FULL
    assert await async_wait_idle(fake)


async def test_closed_right_after_the_final_item_is_complete(
    async_wait_idle: AsyncWaitIdle, fake: FakeOllamaServer
) -> None:
    """The final item was taken with `__anext__` and the stream closed before the reader saw
    its end: the read was complete, so reading again yields nothing."""
    async with Api("client", fake.base_url) as api:
        stream = await api.client.generate("llama3.2", PROMPT, stream=True)
        items = []
        while True:
            item = await stream.__anext__()
            items.append(item)
            if item.done:
                break
        await stream.close()
        assert [item async for item in stream] == []
    assert "".join(item.response for item in items) == FULL
    assert await async_wait_idle(fake)


@pytest.mark.parametrize("kind", KINDS)
async def test_reading_a_failed_stream_again_raises(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    fake.faults.truncate_stream(2)
    async with Api(kind, fake.base_url) as api:
        stream = await api.stream(PROMPT)
        got: list[str] = []
        with pytest.raises(OllamaStreamError) as first:
            await drain_bare(stream, got)
        assert first.value.truncated is True
        with pytest.raises(OllamaStreamClosedError) as again:
            async for _ in stream:
                pass
        with pytest.raises(OllamaStreamClosedError):
            await stream.__anext__()
    assert got == expected_pieces(PROMPT)[:2]
    assert again.value.error.startswith("this stream already failed after 2 items (stream ended")
    assert await async_wait_idle(fake)


@pytest.mark.parametrize("kind", KINDS)
async def test_closed_before_any_read_raises(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    async with Api(kind, fake.base_url) as api:
        stream = await api.stream(PROMPT)
        await stream.close()
        with pytest.raises(OllamaStreamClosedError, match="closed after 0 items"):
            await stream.__anext__()
    assert await async_wait_idle(fake)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_loop_over_the_call_itself_reads_everything(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    """`for part in client.chat(..., stream=True)`: the loop holds only the reader, and the
    stream object itself is gone at once; the reader keeps the response."""
    async with Api(kind, fake.base_url) as api:
        got = [text_of(item) async for item in await api.stream(PROMPT)]
    assert "".join(got) == FULL
    assert await async_wait_idle(fake)


@pytest.mark.parametrize("read", [0, 1], ids=["unread", "one-item"])
@pytest.mark.parametrize("kind", KINDS)
async def test_dropped_half_read_stream_is_released_with_the_collector_off(
    async_wait_idle: AsyncWaitIdle, kind: str, read: int, fake: FakeOllamaServer
) -> None:
    """No reference cycle between a stream and its reader: reference counting alone releases
    the connection of a stream dropped half-read."""
    async with Api(kind, fake.base_url, max_connections=1) as api:
        gc.disable()
        try:
            stream = await api.stream(PROMPT)
            for _ in range(read):
                await stream.__anext__()
            del stream
            assert await async_wait_idle(fake)
        finally:
            gc.enable()
        assert await api.generate("next") == "".join(expected_pieces("next"))
