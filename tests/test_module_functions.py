"""`ollama_service.chat(...)` and friends: the official library's module-level functions.

They share one default `Client`, created on the first call from the environment (as the
official one is at import), so these tests point `OLLAMA_HOST` at a fake server first.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

import ollama_service
from ollama_service import _default
from ollama_service.testing import FakeOllamaServer


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOllamaServer]:
    with FakeOllamaServer() as fake:
        monkeypatch.setenv("OLLAMA_HOST", fake.base_url)
        monkeypatch.setenv("OLLAMA_WEB_BASE_URL", fake.base_url)
        monkeypatch.setenv("OLLAMA_API_KEY", "module-key")
        monkeypatch.delenv("OLLAMA_BASE_URL", raising=False)
        monkeypatch.setattr(_default, "_client", None)
        yield fake
        client = _default._client
        if client is not None:
            client.close()


def test_every_function_reaches_the_default_client(server: FakeOllamaServer) -> None:
    assert ollama_service.generate("llama3.2", "Why is the sky blue?").done is True
    reply = ollama_service.chat("llama3.2", [{"role": "user", "content": "hi"}])
    assert reply.message.role == "assistant"
    assert len(ollama_service.embed("nomic-embed-text", ["a", "b"]).embeddings) == 2
    assert ollama_service.embeddings("nomic-embed-text", "a").embedding
    assert "llama3.2:latest" in [m.model for m in ollama_service.list().models]
    assert ollama_service.show("llama3.2").modelinfo
    assert ollama_service.copy("llama3.2", "mine").status == "success"
    assert ollama_service.delete("mine").status == "success"
    assert [p.status for p in ollama_service.pull("llama3.2", stream=True)][-1] == "success"
    assert ollama_service.create("copied", from_="llama3.2").status == "success"
    assert isinstance(ollama_service.ps().models, list)
    assert ollama_service.web_search("ollama").results
    assert ollama_service.web_fetch("https://ollama.com").title
    assert ollama_service.push("copied").status == "success"
    questions = {"refund": {"type": "noul", "instructions": "Refund?"}}
    assert ollama_service.systemone("llama3.2", "I was charged twice.", questions).answers
    paths = [r.path for r in server.requests]
    assert {"/api/generate", "/api/chat", "/api/web_search", "/api/push", "/v1/systemone"} <= set(
        paths
    )
    web = [r for r in server.requests if r.path == "/api/web_search"]
    assert web[0].headers["authorization"] == "Bearer module-key"


def test_one_client_for_all_calls_and_threads(server: FakeOllamaServer) -> None:
    seen: list[ollama_service.Client] = []

    def work() -> None:
        ollama_service.list()
        seen.append(_default.default_client())

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8
    assert all(client is seen[0] for client in seen)
    assert seen[0].base_url == server.base_url


def test_the_client_is_created_on_first_use_from_the_environment(
    server: FakeOllamaServer,
) -> None:
    assert _default._client is None
    ollama_service.ps()
    assert _default._client is not None
    assert _default._client.base_url == server.base_url
