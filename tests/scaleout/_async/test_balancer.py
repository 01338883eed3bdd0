"""The SDK behind a real nginx and a real HAProxy, each running the repository's configuration
(`deploy/`) in front of three fake Ollama servers.

Every endpoint through the path prefix; streams that arrive as they are sent; uploads above
nginx's default body limit; each model and each blob always on one server, and only a removed
server's models moving; failover between and during calls; every server down; keep-alive on
both sides. `tests/scaleout/_sync/test_balancer.py` is generated from this file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ollama_service import (
    AsyncClient,
    OllamaResponseError,
    OllamaStreamError,
)
from ollama_service.testing import FakeOllamaServer
from scaleout.conftest import CONFIGS, MODELS, address, owners
from scaleout.proxies import PREFIX, Proxy

pytestmark = pytest.mark.anyio

PROMPT = "why is the sky blue"
# Through a proxy, a stream that is not forwarded as it comes fails here instead of hanging.
TIMEOUT = 10.0


def client_for(proxy: Proxy, **kwargs: object) -> AsyncClient:
    kwargs.setdefault("max_retries", 0)
    kwargs.setdefault("timeout", TIMEOUT)
    return AsyncClient(proxy.url, **kwargs)  # type: ignore[arg-type]


def model_requests(backends: list[FakeOllamaServer]) -> list[tuple[int, str, str]]:
    """(backend index, method, path) of every request the SDK sent (health checks excluded)."""
    return [
        (index, r.method, r.path)
        for index, server in enumerate(backends)
        for r in server.requests
        if "ollama-service" in r.headers.get("user-agent", "")
    ]


async def test_every_endpoint_through_the_prefix(
    proxy: Proxy, backends: list[FakeOllamaServer]
) -> None:
    blob = b"GGUF weights through the prefix"
    async with client_for(proxy) as client:
        assert proxy.url.endswith(PREFIX)
        assert await client.health() is True
        assert (await client.version()).version == "0.33.0"
        assert {m.model for m in (await client.list()).models} >= {"llama3.2:latest"}
        await client.ps()
        reply = await client.generate("llama3.2", PROMPT)
        assert reply.response == FakeOllamaServer.reply_for(PROMPT)
        chat = await client.chat("qwen3", [{"role": "user", "content": PROMPT}])
        assert chat.message.content == FakeOllamaServer.reply_for(PROMPT)
        assert len((await client.embed("nomic-embed-text", ["a", "b"])).embeddings) == 2
        assert (await client.embeddings("nomic-embed-text", "a")).embedding
        assert (await client.show("llama3.2")).capabilities
        assert (await client.pull("tinyllama")).status == "success"
        assert (await client.copy("llama3.2", "copied")).status == "success"
        # The copy is made where the source lives; deleting it there needs the source's key.
        pinned = client.with_options(affinity_key="llama3.2")
        assert (await pinned.delete("copied")).status == "success"
        digest = await client.create_blob(blob)
        assert await client.blob_exists(digest) is True
        created = await client.create("from-blob", files={"model.gguf": digest})
        assert created.status == "success"
        assert (await client.create("from-base", from_="llama3.2")).status == "success"
    paths = sorted({(method, path) for _, method, path in model_requests(backends)})
    assert paths == sorted(
        {
            ("GET", "/"),
            ("GET", "/api/version"),
            ("GET", "/api/tags"),
            ("GET", "/api/ps"),
            ("POST", "/api/generate"),
            ("POST", "/api/chat"),
            ("POST", "/api/embed"),
            ("POST", "/api/embeddings"),
            ("POST", "/api/show"),
            ("POST", "/api/pull"),
            ("POST", "/api/copy"),
            ("DELETE", "/api/delete"),
            ("HEAD", f"/api/blobs/{digest}"),
            ("POST", f"/api/blobs/{digest}"),
            ("POST", "/api/create"),
        }
    )


async def test_the_first_item_arrives_before_the_last_is_sent(
    proxy: Proxy, backends: list[FakeOllamaServer]
) -> None:
    for server in backends:  # whichever server the model hashes to holds the stream back
        server.faults.stall_mid_stream(1)
    words = FakeOllamaServer.reply_for(PROMPT).split(" ")
    async with client_for(proxy) as client:
        stream = await client.generate("llama3.2", PROMPT, stream=True)
        async with stream:
            first = await stream.__anext__()
            # The server has sent one line and waits: the proxy passed it on at once.
            assert first.response == words[0] + " "
            assert first.done is False
            for server in backends:
                server.faults.release()
            rest = [item async for item in stream]
    assert "".join([first.response, *(item.response for item in rest)]) == " ".join(words)
    assert rest[-1].done is True


async def test_chat_and_pull_stream_too(proxy: Proxy, backends: list[FakeOllamaServer]) -> None:
    for server in backends:
        server.faults.stall_mid_stream(1)
    async with client_for(proxy) as client:
        stream = await client.chat("llama3.2", [{"role": "user", "content": PROMPT}], stream=True)
        async with stream:
            first = await stream.__anext__()
            assert first.message.content
            for server in backends:
                server.faults.release()
            assert [item async for item in stream][-1].done is True
        progress = [p.status async for p in await client.pull("tinyllama", stream=True)]
    assert progress[0] == "pulling manifest"
    assert progress[-1] == "success"


async def test_large_uploads_pass(proxy: Proxy, backends: list[FakeOllamaServer]) -> None:
    blob = hashlib.sha256(b"seed").digest() * (8 * 1024 * 1024 // 32)  # 8 MiB > nginx's 1 MiB
    image = blob[: 3 * 1024 * 1024]
    async with client_for(proxy) as client:
        digest = await client.create_blob(blob)
        reply = await client.generate("llava", "what is this?", images=[image])
    assert reply.done is True
    assert [b.has_blob(digest) for b in backends].count(True) == 1
    (uploaded,) = [
        r for b in backends for r in b.requests if r.method == "POST" and "blobs" in r.path
    ]
    assert uploaded.body == blob


async def test_each_model_always_reaches_the_same_server(
    proxy: Proxy, backends: list[FakeOllamaServer]
) -> None:
    async with client_for(proxy) as client:
        for _ in range(3):
            for model in MODELS:
                await client.show(model)
                await client.show(f"{model.upper()}:latest")  # one model, two spellings
    placed = owners(backends)
    assert set(placed) == {f"{m}:latest" for m in MODELS}
    assert all(len(servers) == 1 for servers in placed.values()), placed
    used = {next(iter(servers)) for servers in placed.values()}
    assert len(used) == 3, "30 models all hashed to fewer than three servers"


async def test_a_blob_and_the_create_that_uses_it_meet_on_one_server(
    proxy: Proxy, backends: list[FakeOllamaServer]
) -> None:
    async with client_for(proxy) as client:
        digests = []
        for n in range(12):
            data = f"GGUF blob {n}".encode()
            digest = await client.create_blob(data)
            assert await client.blob_exists(digest) is True  # never alternating
            assert await client.blob_exists(digest) is True
            await client.create(f"from-blob-{n}", files={"model.gguf": digest})
            digests.append(digest)
    placed = owners(backends)
    for digest in digests:
        (server,) = placed[digest]
        assert backends[server].has_blob(digest)
        creates = [
            index
            for index, b in enumerate(backends)
            for r in b.requests
            if r.path == "/api/create" and r.json and r.json["files"]["model.gguf"] == digest
        ]
        assert creates == [server]
    assert len({next(iter(placed[d])) for d in digests}) > 1


async def test_removing_a_server_moves_only_its_models(
    kind: str, backends: list[FakeOllamaServer], tmp_path: Path
) -> None:
    addresses: list[str | None] = [address(b) for b in backends]

    async def placement(servers: list[str | None], name: str) -> dict[str, int]:
        for backend in backends:
            backend.clear_requests()
        with Proxy(kind, CONFIGS[kind], servers, tmp_path / name) as proxy:
            async with client_for(proxy) as client:
                for model in MODELS:
                    await client.show(model)
        placed = owners(backends, "/api/show")
        assert all(len(s) == 1 for s in placed.values())
        return {key: next(iter(s)) for key, s in placed.items()}

    before = await placement(addresses, "all")
    removed = before["llama3.2:latest"]
    fewer = list(addresses)
    fewer[removed] = None
    after = await placement(fewer, "fewer")
    assert set(after) == set(before)
    for key, server in before.items():
        if server == removed:
            assert after[key] != removed, key
        else:
            assert after[key] == server, f"{key} moved from a server that stayed"
    again = await placement(addresses, "again")
    assert again == before  # adding it back restores the same placement


async def test_a_server_stopped_between_calls(
    proxy: Proxy, backends: list[FakeOllamaServer]
) -> None:
    async with client_for(proxy) as client:
        await client.generate("llama3.2", "hi")
        (home,) = owners(backends)["llama3.2:latest"]
        backends[home].stop()
        # No retry of ours: the balancer moves the request to another server by itself.
        for _ in range(3):
            reply = await client.generate("llama3.2", PROMPT)
            assert reply.response == FakeOllamaServer.reply_for(PROMPT)
    placed = owners(backends)["llama3.2:latest"]
    assert len(placed - {home}) == 1  # the model moved to one other server, and stays there


async def test_a_server_stopped_during_a_stream(
    proxy: Proxy, backends: list[FakeOllamaServer]
) -> None:
    for server in backends:
        server.faults.stall_mid_stream(2)
    async with client_for(proxy, max_retries=2, retry_min_backoff=0, retry_max_backoff=0) as client:
        stream = await client.generate("llama3.2", PROMPT, stream=True)
        got = [(await stream.__anext__()).response, (await stream.__anext__()).response]
        (home,) = owners(backends)["llama3.2:latest"]
        backends[home].stop()  # closes the connection in the middle of the body
        with pytest.raises(OllamaStreamError) as info:  # noqa: PT012
            async for item in stream:
                got.append(item.response)
        # What the caller had stays with them; nothing was repeated or retried.
        assert got == [w + " " for w in FakeOllamaServer.reply_for(PROMPT).split(" ")[:2]]
        assert info.value.attempts == 1
        assert info.value.truncated is True  # a cut stream is never a silent success
        for server in backends:
            server.faults.release()
        # The next call reaches a live server.
        reply = await client.generate("llama3.2", PROMPT)
    assert reply.response == FakeOllamaServer.reply_for(PROMPT)


async def test_a_server_killed_mid_stream(proxy: Proxy, backends: list[FakeOllamaServer]) -> None:
    for server in backends:
        server.faults.drop_mid_stream(3)
    async with client_for(proxy, max_retries=2, retry_min_backoff=0, retry_max_backoff=0) as client:
        got: list[str] = []
        stream = await client.generate("llama3.2", PROMPT, stream=True)
        with pytest.raises(OllamaStreamError) as info:  # noqa: PT012
            async with stream:
                async for item in stream:
                    got.append(item.response)
        assert info.value.attempts == 1
        assert info.value.truncated is True
    words = FakeOllamaServer.reply_for(PROMPT).split(" ")
    assert got == [w + " " for w in words[:3]]
    assert len([r for _, _, r in model_requests(backends) if r == "/api/generate"]) == 1


async def test_every_server_down(proxy: Proxy, backends: list[FakeOllamaServer]) -> None:
    for server in backends:
        server.stop()
    async with client_for(proxy, max_retries=1, retry_min_backoff=0, retry_max_backoff=0) as client:
        with pytest.raises(OllamaResponseError) as info:
            await client.generate("llama3.2", "hi")
        with pytest.raises(OllamaResponseError) as listed:
            await client.list()
    # nginx answers 502 (bad gateway), HAProxy 503 (no server available); both are typed,
    # and both were retried once (a balancer's 502/503 means nothing ran).
    assert info.value.status_code in (502, 503)
    assert info.value.attempts == 2
    assert listed.value.status_code in (502, 503)


async def test_a_short_outage_of_every_server_is_survived(
    proxy: Proxy, backends: list[FakeOllamaServer]
) -> None:
    # Every server refuses its next connection: the balancer finds no server, marks them all
    # failed and answers 502/503 until fail_timeout (nginx) or the next check (HAProxy).
    for server in backends:
        server.faults.reset_on_connect(1)
    # The settings docs/scaling-out.md recommends: a retry budget longer than that window.
    async with client_for(proxy, max_retries=4, retry_max_backoff=8) as client:
        reply = await client.generate("llama3.2", PROMPT)
    assert reply.response == FakeOllamaServer.reply_for(PROMPT)
    # nginx tries (and marks down) every server; HAProxy marks the first down and ends that
    # request, which the client retries.
    assert any(server.faults.pending == 0 for server in backends)
    # The generation ran once: nothing was repeated by the balancer or by us.
    assert [p for _, _, p in model_requests(backends)] == ["/api/generate"]


async def test_keep_alive_on_both_sides(proxy: Proxy, backends: list[FakeOllamaServer]) -> None:
    for server in backends:
        server.reset_stats()
    async with client_for(proxy, max_connections=2) as client:
        for n in range(200):
            reply = await client.generate(MODELS[n % 4 + 4], f"call {n}")
            assert reply.response == FakeOllamaServer.reply_for(f"call {n}")
    proxy.stop()
    ports = proxy.client_ports()
    sdk_calls = len(model_requests(backends))
    assert sdk_calls == 200
    assert len(ports) >= 200
    # A handful of client connections carried all 200 calls...
    assert len(set(ports)) <= 4, sorted(set(ports))
    # ...and the balancer reused its connections to the servers too.
    opened = sum(b.stats.connections_opened for b in backends)
    assert opened <= 30, opened
