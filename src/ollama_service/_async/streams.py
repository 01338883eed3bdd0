"""The stream type: typed items from an NDJSON response, with the response always released."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import GenericAlias, TracebackType
from typing import Any, Generic, TypeVar

import httpx
import msgspec

from ollama_service._compat import async_release_abandoned
from ollama_service._decode import decode_item
from ollama_service._errors import (
    JSON_DECODE_FAILURES,
    map_transport_errors,
    truncated_stream_error,
)
from ollama_service._logging import log_stream_end
from ollama_service._ndjson import ERROR_KEY, LineSplitter, is_terminal
from ollama_service.types._base import Operation

__all__ = ["AsyncStream"]

T = TypeVar("T")


_LIST_DECODERS: dict[object, msgspec.json.Decoder[Any]] = {}


def _list_decoder(decoder: msgspec.json.Decoder[T]) -> msgspec.json.Decoder[list[T]]:
    """A decoder of a JSON array of the item type, built once per type."""
    many = _LIST_DECODERS.get(decoder.type)
    if many is None:
        many = _LIST_DECODERS[decoder.type] = msgspec.json.Decoder(GenericAlias(list, decoder.type))
    return many


def _decode_batch(lines: list[bytes], many: msgspec.json.Decoder[list[T]]) -> list[T] | None:
    """Decode several lines with one call, or return None to take them one by one.

    When a read delivers many lines (a proxy that buffers, a client that reads slower than the
    server writes), one decode of `[line,line,...]` costs far less than a decode per line. Any
    line that may be an error object, or any failure, sends the chunk down the per-line path,
    which yields the good items before raising for the bad one.
    """
    body = b"[" + b",".join(lines) + b"]"
    if ERROR_KEY in body:
        return None
    try:
        return many.decode(body)
    except JSON_DECODE_FAILURES:
        return None


class AsyncStream(Generic[T]):
    """The items of a streamed reply, decoded one line at a time.

    Iterate it, or use it as a context manager so the HTTP response is released even if the
    loop stops early. The response is released at the normal end, on `break`, on an error (ours
    or the caller's, inside the context manager), on cancellation, and when an unconsumed
    stream is garbage-collected. A stream that ends before its final item (`done` or
    `status: success`) raises `OllamaStreamError` instead of ending quietly, and an
    `{"error": ...}` line raises it too; items already yielded stay with the caller.

    Attributes:
        response: The underlying `httpx.Response` (status and headers are available).
    """

    def __init__(
        self, response: httpx.Response, operation: Operation[T], *, model: str | None
    ) -> None:
        decoder = operation.decoder
        if decoder is None:  # pragma: no cover - generated operations that stream always decode
            raise TypeError(f"{operation.name} has no decoder to stream with")
        self.response = response
        self._decoder = decoder
        self._operation = operation
        self._model = model
        self._count = 0
        self._closed = False
        self._started = False
        self._iterator: AsyncIterator[T] | None = None

    def __aiter__(self) -> AsyncIterator[T]:
        # A generator the stream does not keep (unless `__anext__` started one): no reference
        # cycle, so dropping a half-read stream releases it at once. The body can be read once;
        # iterating again yields nothing.
        return self._iterator or self._iterate()

    async def __anext__(self) -> T:
        if self._iterator is None:
            self._iterator = self._iterate()
        return await self._iterator.__anext__()

    async def _iterate(self) -> AsyncIterator[T]:
        """The hot loop: split chunks into lines and decode each with the reused decoder."""
        if self._started or self._closed:
            return
        self._started = True
        response = self.response
        decode = self._decoder.decode
        decoder = self._decoder
        op = self._operation
        # Ollama does not compress; raw chunks skip httpx's decoder layer when nothing to undo.
        if "content-encoding" in response.headers:
            chunks = response.aiter_bytes()
        else:
            chunks = response.aiter_raw()
        feed = LineSplitter().feed
        many = _list_decoder(decoder)
        last: T | None = None
        ended = False
        try:
            with map_transport_errors(str(response.url)):
                while not ended:
                    try:
                        chunk = await chunks.__anext__()
                    except StopAsyncIteration:
                        # A newline completes a last line sent without one.
                        chunk, ended = b"\n", True
                    lines = feed(chunk)
                    batch = _decode_batch(lines, many) if len(lines) > 1 else None
                    if batch is not None:
                        for item in batch:
                            self._count += 1
                            last = item
                            yield item
                        continue
                    for line in lines:
                        if ERROR_KEY in line:
                            item = decode_item(line, decoder)
                        else:
                            try:
                                item = decode(line)
                            except JSON_DECODE_FAILURES:
                                item = decode_item(line, decoder)
                        self._count += 1
                        last = item
                        yield item
            await self.close()
            if op.terminal_field is not None and not is_terminal(
                last, op.terminal_field, op.terminal_value
            ):
                raise truncated_stream_error(self._count)
        except BaseException:
            await self.close()
            raise
        log_stream_end(
            path=op.path,
            model=self._model,
            chunks=self._count,
            eval_count=getattr(last, "eval_count", None),
            eval_duration_ns=getattr(last, "eval_duration", None),
        )

    async def close(self) -> None:
        """Release the HTTP response (and its pooled connection). Safe to call twice."""
        if not self._closed:
            self._closed = True
            await self.response.aclose()

    async def __aenter__(self) -> AsyncStream[T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self._closed = True
            async_release_abandoned(self.response)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<{type(self).__name__} {self._operation.path} items={self._count} {state}>"
