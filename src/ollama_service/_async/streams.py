"""`AsyncStream`: typed items from an NDJSON response, with the response always released."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Generic, TypeVar

import httpx

from ollama_service._compat import async_release_abandoned
from ollama_service._decode import decode_item
from ollama_service._errors import map_transport_errors, truncated_stream_error
from ollama_service._logging import log_stream_end
from ollama_service._ndjson import LineSplitter
from ollama_service.types._base import Operation

__all__ = ["AsyncStream"]

T = TypeVar("T")


class AsyncStream(Generic[T]):
    """The items of a streamed reply, decoded one line at a time.

    Iterate it with `async for`, or use it as a context manager so the HTTP response is
    released even if the loop stops early. The response is released at the normal end, on
    `break` inside `async with`, on an error (ours or the caller's), on cancellation, and when
    an unconsumed stream is garbage-collected. A stream that ends before its final item (`done`
    or `status: success`) raises `OllamaStreamError` instead of ending quietly, and an
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
        self._chunks = response.aiter_bytes()
        self._splitter = LineSplitter()
        self._pending: deque[bytes] = deque()
        self._count = 0
        self._last: T | None = None
        self._finished = False
        self._closed = False

    def __aiter__(self) -> AsyncIterator[T]:
        return self

    async def __anext__(self) -> T:
        try:
            while not self._pending:
                if self._finished:
                    await self._end()
                    raise StopAsyncIteration
                await self._fill()
            item = decode_item(self._pending.popleft(), self._decoder)
        except BaseException:
            await self.close()
            raise
        self._count += 1
        self._last = item
        return item

    async def _fill(self) -> None:
        with map_transport_errors(str(self.response.url)):
            try:
                chunk = await self._chunks.__anext__()
            except StopAsyncIteration:
                self._finished = True
                tail = self._splitter.flush()
                if tail is not None:
                    self._pending.append(tail)
                return
        self._pending.extend(self._splitter.feed(chunk))

    async def _end(self) -> None:
        """Check that the stream reached its final item, log it, and release the response."""
        await self.close()
        op = self._operation
        if op.terminal_field is not None and (
            self._last is None or getattr(self._last, op.terminal_field, None) != op.terminal_value
        ):
            raise truncated_stream_error(self._count)
        log_stream_end(
            path=op.path,
            model=self._model,
            chunks=self._count,
            eval_count=getattr(self._last, "eval_count", None),
            eval_duration_ns=getattr(self._last, "eval_duration", None),
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
