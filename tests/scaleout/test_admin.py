"""The several-servers recipe (examples/several_servers.py, shown in docs/scaling-out.md)."""

from __future__ import annotations

import pytest

from examples.several_servers import models_by_host, pull_everywhere
from ollama_service.testing import FakeOllamaServer

pytestmark = pytest.mark.anyio


async def test_pull_and_list_on_every_server() -> None:
    with FakeOllamaServer(["qwen3"]) as one, FakeOllamaServer([]) as two:
        hosts = [one.base_url, two.base_url]
        assert await pull_everywhere(hosts, "tinyllama") == dict.fromkeys(hosts, "success")
        assert await models_by_host(hosts) == {
            one.base_url: ["qwen3:latest", "tinyllama:latest"],
            two.base_url: ["tinyllama:latest"],
        }
        assert one.get_model("tinyllama") is not None
        assert two.get_model("tinyllama") is not None


async def test_one_server_down_is_reported_not_raised() -> None:
    with FakeOllamaServer([]) as up:
        down = FakeOllamaServer([]).start()
        down.stop()
        hosts = [up.base_url, down.base_url]
        results = await pull_everywhere(hosts, "tinyllama")
    assert results[up.base_url] == "success"
    assert results[down.base_url].startswith("error: ")
    assert down.base_url in results[down.base_url]
