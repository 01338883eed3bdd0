"""A real nginx in front of the fake server: a backend that dies mid-stream is one error.

With an HTTP/1.1 upstream, nginx cuts its own chunked reply (the client sees a broken
connection); with an HTTP/1.0 upstream it ends the reply cleanly (the client sees a body that
stops early). Both are `OllamaStreamError(truncated=True)`, so `except OllamaStreamError` is
enough. Skipped without nginx (CI installs it).
"""

from __future__ import annotations

import pytest

from ollama_service import OllamaResponseError, OllamaStreamError
from ollama_service.testing import FakeOllamaServer

from ._support import KINDS, Api, drain_bare, expected_pieces

pytestmark = pytest.mark.anyio

PROMPT = "tell me a long story about the sea"


@pytest.mark.parametrize("kind", KINDS)
async def test_backend_dying_mid_stream_is_a_truncated_stream(
    kind: str, fake: FakeOllamaServer, behind_nginx: str
) -> None:
    fake.faults.drop_mid_stream(3)
    async with Api(kind, behind_nginx, max_retries=2) as api:
        stream = await api.stream(PROMPT)
        got: list[str] = []
        with pytest.raises(OllamaStreamError) as info:
            await drain_bare(stream, got)
        # The proxy and the pool still serve the next call.
        assert await api.generate("next") == "".join(expected_pieces("next"))
    assert info.value.truncated is True
    assert info.value.attempts == 1
    assert got == expected_pieces(PROMPT)[: len(got)]
    assert len(got) <= 3


@pytest.mark.parametrize("kind", KINDS)
async def test_dead_backend_is_nginx_502_in_one_line(
    kind: str, fake: FakeOllamaServer, behind_nginx: str
) -> None:
    fake.stop()
    async with Api(kind, behind_nginx, max_retries=0) as api:
        with pytest.raises(OllamaResponseError) as info:
            await api.generate("hello")
    exc = info.value
    assert exc.status_code == 502
    assert exc.error.startswith("502 Bad Gateway from nginx")
    assert exc.error.endswith(", a proxy in front of Ollama")
    assert b"<html>" in exc.body
