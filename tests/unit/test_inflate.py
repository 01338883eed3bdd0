"""Bounded inflation of whole replies, with a table of encodings and bodies."""

from __future__ import annotations

import zlib

import pytest

from ollama_service._inflate import PIECE_BYTES, InflateError, TooLarge, inflater_for

BODY = b'{"response":"' + b"abc" * 100_000 + b'"}'


def _gzip(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("encoding", "payload"),
    [
        ("gzip", _gzip(BODY)),
        ("x-gzip", _gzip(BODY)),
        (" GZIP ", _gzip(BODY)),
        ("deflate", zlib.compress(BODY)),
        ("deflate", _raw_deflate(BODY)),
    ],
    ids=["gzip", "x-gzip", "spaced-upper", "deflate-zlib", "deflate-raw"],
)
@pytest.mark.parametrize("split", [1, 7, 65536])
def test_inflates_whatever_the_chunking(encoding: str, payload: bytes, split: int) -> None:
    inflater = inflater_for(encoding, len(BODY))
    assert inflater is not None
    pieces: list[bytes] = []
    for start in range(0, len(payload), split):
        pieces.extend(inflater.feed(payload[start : start + split]))
    pieces.append(inflater.flush())
    assert b"".join(pieces) == BODY
    assert max(len(piece) for piece in pieces) <= PIECE_BYTES


@pytest.mark.parametrize("encoding", [None, "br", "zstd", "gzip, br", "identity"])
def test_other_encodings_are_left_to_httpx(encoding: str | None) -> None:
    assert inflater_for(encoding, 10) is None


def test_a_bomb_stops_at_the_cap_in_small_pieces() -> None:
    bomb = _gzip(bytes(64 * PIECE_BYTES))
    inflater = inflater_for("gzip", 3 * PIECE_BYTES)
    assert inflater is not None
    with pytest.raises(TooLarge):
        inflater.feed(bomb)


def test_corrupt_data_is_an_inflate_error() -> None:
    inflater = inflater_for("gzip", 1000)
    assert inflater is not None
    with pytest.raises(InflateError):
        inflater.feed(b"this is not gzip")
