"""Static proof that the `stream=` overloads narrow the return types (type-checked, never run).

`tests/unit/test_typing.py` runs `mypy --strict` and `pyright` (strict, from pyproject.toml) on
this file and asserts both exit with 0: every `assert_type` below is checked by both tools, so
a widened overload (returning `GenerateResponse | AsyncStream[...]`, or `Any`) fails the test.
The file is named without a `test_` prefix so pytest never collects or runs it.
"""

from __future__ import annotations

from typing_extensions import assert_type

from ollama_service import (
    AsyncClient,
    AsyncStream,
    ChatResponse,
    Client,
    EmbeddingsResponse,
    EmbedResponse,
    GenerateResponse,
    ListResponse,
    Message,
    ProcessResponse,
    ProgressResponse,
    ShowResponse,
    StatusResponse,
    Stream,
    VersionResponse,
)

MESSAGES = [{"role": "user", "content": "Hi"}]


async def check_async_client(client: AsyncClient) -> None:
    """The async client: awaited calls give the struct, or an `AsyncStream` of it."""
    resp = await client.generate("m", "p")
    assert_type(resp, GenerateResponse)
    assert_type(resp.response, str)
    assert_type(resp.done, bool)
    assert_type(resp.eval_count, int | None)
    assert_type(await client.generate("m", "p", stream=False), GenerateResponse)
    generate_stream = await client.generate("m", "p", stream=True)
    assert_type(generate_stream, AsyncStream[GenerateResponse])
    async with generate_stream:
        async for part in generate_stream:
            assert_type(part, GenerateResponse)

    chat = await client.chat("m", MESSAGES)
    assert_type(chat, ChatResponse)
    assert_type(chat.message, Message)
    assert_type(chat.message.content, str)
    assert_type(await client.chat("m", MESSAGES, stream=False), ChatResponse)
    chat_stream = await client.chat("m", MESSAGES, stream=True)
    assert_type(chat_stream, AsyncStream[ChatResponse])
    async for chunk in chat_stream:
        assert_type(chunk.message.content, str)

    progress = await client.pull("m")
    assert_type(progress, ProgressResponse)
    assert_type(progress.total, int | None)
    assert_type(progress.status, str)
    assert_type(await client.pull("m", stream=True), AsyncStream[ProgressResponse])
    assert_type(await client.push("m"), ProgressResponse)
    assert_type(await client.push("m", stream=True), AsyncStream[ProgressResponse])
    assert_type(await client.create("m", from_="base"), ProgressResponse)
    assert_type(await client.create("m", from_="base", stream=True), AsyncStream[ProgressResponse])

    assert_type(await client.embed("m", "text"), EmbedResponse)
    assert_type(await client.embeddings("m", "text"), EmbeddingsResponse)
    assert_type(await client.list(), ListResponse)
    assert_type(await client.ps(), ProcessResponse)
    assert_type(await client.show("m"), ShowResponse)
    assert_type(await client.copy("a", "b"), StatusResponse)
    assert_type(await client.delete("m"), StatusResponse)
    assert_type(await client.version(), VersionResponse)
    assert_type(await client.create_blob(b"data"), str)
    assert_type(await client.blob_exists("sha256:" + "0" * 64), bool)
    assert_type(await client.health(), bool)
    assert_type(client.with_options(max_retries=0), AsyncClient)


def check_sync_client(client: Client) -> None:
    """The sync client: the same overloads, with `Stream[...]`."""
    resp = client.generate("m", "p")
    assert_type(resp, GenerateResponse)
    assert_type(resp.response, str)
    assert_type(client.generate("m", "p", stream=False), GenerateResponse)
    generate_stream = client.generate("m", "p", stream=True)
    assert_type(generate_stream, Stream[GenerateResponse])
    with generate_stream:
        for part in generate_stream:
            assert_type(part, GenerateResponse)

    chat = client.chat("m", MESSAGES)
    assert_type(chat, ChatResponse)
    assert_type(chat.message.content, str)
    assert_type(client.chat("m", MESSAGES, stream=True), Stream[ChatResponse])

    progress = client.pull("m")
    assert_type(progress, ProgressResponse)
    assert_type(progress.total, int | None)
    assert_type(client.pull("m", stream=True), Stream[ProgressResponse])
    assert_type(client.push("m"), ProgressResponse)
    assert_type(client.push("m", stream=True), Stream[ProgressResponse])
    assert_type(client.create("m", from_="base"), ProgressResponse)
    assert_type(client.create("m", from_="base", stream=True), Stream[ProgressResponse])

    assert_type(client.embed("m", ["a", "b"]), EmbedResponse)
    assert_type(client.list(), ListResponse)
    assert_type(client.version(), VersionResponse)
    assert_type(client.with_options(max_retries=0), Client)
