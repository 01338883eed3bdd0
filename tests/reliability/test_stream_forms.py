"""The sync-only ways to read a stream (`next(iter(...))`, `itertools.islice`, `list`) on
both sync layers: each continues where the last read stopped (see `_async/test_stream_reads.py`
for the forms both clients share)."""

from __future__ import annotations

import itertools

import pytest

from ollama_service import OllamaStreamClosedError
from ollama_service.testing import FakeOllamaServer

from ._sync._support import KINDS, Api, expected_pieces, text_of
from .helpers import wait_idle

PROMPT = "tell me a long story about the sea"
FULL = "".join(expected_pieces(PROMPT))


@pytest.mark.parametrize("kind", KINDS)
def test_next_of_iter_then_list(kind: str, fake: FakeOllamaServer) -> None:
    """The reported loss: `first = next(iter(stream)); rest = list(stream)` gave 1 item."""
    with Api(kind, fake.base_url) as api:
        stream = api.stream(PROMPT)
        first = text_of(next(iter(stream)))
        rest = [text_of(item) for item in list(stream)]
        assert list(stream) == []
    assert first + "".join(rest) == FULL
    assert wait_idle(fake)


@pytest.mark.parametrize("kind", KINDS)
def test_islice_then_for(kind: str, fake: FakeOllamaServer) -> None:
    with Api(kind, fake.base_url) as api:
        stream = api.stream(PROMPT)
        head = [text_of(item) for item in itertools.islice(stream, 2)]
        middle = text_of(next(stream))
        tail = [text_of(item) for item in stream]
    assert "".join(head) + middle + "".join(tail) == FULL
    assert head == expected_pieces(PROMPT)[:2]
    assert wait_idle(fake)


@pytest.mark.parametrize("kind", KINDS)
def test_islice_then_close_then_list_raises(kind: str, fake: FakeOllamaServer) -> None:
    with Api(kind, fake.base_url) as api:
        stream = api.stream(PROMPT)
        head = [text_of(item) for item in itertools.islice(stream, 3)]
        stream.close()
        with pytest.raises(OllamaStreamClosedError, match="closed after 3 items"):
            list(stream)
        with pytest.raises(OllamaStreamClosedError):
            next(iter(stream))
    assert head == expected_pieces(PROMPT)[:3]
    assert wait_idle(fake)
