"""The stream type: typed items from an NDJSON response, with the response always released.

Reading semantics, the same for every way to iterate (`for`/`async for`, `next`/`anext`,
`iter(stream)`, `itertools.islice`, `list`): a stream has one reader, so every read continues
where the last one stopped. A stream read to its end yields nothing more. Reading a stream
that was closed before its end, or that raised, raises `OllamaStreamClosedError`: nothing is
ever dropped quietly.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from types import GenericAlias, TracebackType
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import httpx
import msgspec

from ollama_service._deadline import DeadlineExpired, expired
from ollama_service._decode import decode_item
from ollama_service._error_builders import (
    JSON_DECODE_FAILURES,
    stream_closed_error,
    truncated_stream_error,
)
from ollama_service._error_mapping import map_transport_errors
from ollama_service._errors import OllamaServiceError, OllamaTimeoutError
from ollama_service._logging import log_stream_end
from ollama_service._ndjson import ERROR_KEY, LineSplitter, is_terminal
from ollama_service._twins import async_deadline, async_release_abandoned
from ollama_service.types._base import Operation

if TYPE_CHECKING:
    from ollama_service._telemetry import CallRecord

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


# Where a stream is: being read, read to its final item, failed, or closed before its end.
_OPEN: Final = "open"
_DONE: Final = "done"
_FAILED: Final = "failed"
_CLOSED: Final = "closed"


class _Progress:
    """What a stream and its reader share.

    The reader (a generator) holds this, never the stream, so there is no reference cycle:
    whichever of the two goes last (the stream, or the reader a `for` loop holds after the
    stream itself was dropped) releases the connection at once, even with the garbage
    collector off.
    """

    __slots__ = ("count", "failure", "last", "released", "response", "state", "telemetry")

    def __init__(self, response: httpx.Response, telemetry: CallRecord | None = None) -> None:
        self.response = response
        # The call's span, which lasts until the stream ends, fails or is closed.
        self.telemetry = telemetry
        self.count = 0
        self.last: object = None
        self.state: str = _OPEN
        self.failure: str | None = None
        self.released = False

    def items(self) -> int:
        return self.count


def _abandon(progress: _Progress) -> None:
    """Release the response of a stream nobody can read any more (finalizers cannot await)."""
    if not progress.released:
        progress.released = True
        if progress.state is _OPEN:
            progress.state = _CLOSED
        if progress.telemetry is not None:
            progress.telemetry.stream_closed()
        async_release_abandoned(progress.response)


async def _release(progress: _Progress) -> None:
    if not progress.released:
        progress.released = True
        await progress.response.aclose()


def _after_close(progress: _Progress) -> None:
    """The stream was closed while the caller held an item: end quietly only if complete."""
    if progress.state is not _DONE:
        raise stream_closed_error(progress.count, failed=progress.failure)


async def _refuse(progress: _Progress) -> AsyncIterator[Any]:
    """The reader of a stream that failed or was closed early: reading it raises."""
    if progress.state is not _DONE:
        raise stream_closed_error(progress.count, failed=progress.failure)
    yield  # pragma: no cover - unreachable: only unreadable streams get this reader


async def _first_chunk(
    chunks: AsyncIterator[bytes], expires: float, error: OllamaTimeoutError
) -> bytes:
    """The next chunk, before the first item, within the call's deadline."""
    try:
        with async_deadline(expires):
            chunk = await chunks.__anext__()
    except DeadlineExpired:
        raise error from None
    if expired(expires):
        raise error
    return chunk


async def _read(
    progress: _Progress,
    operation: Operation[T],
    model: str | None,
    first_item_by: float | None,
    deadline_error: OllamaTimeoutError | None,
) -> AsyncIterator[T]:
    """The hot loop: split chunks into lines and decode each with the reused decoder."""
    if progress.state is not _OPEN:
        raise stream_closed_error(progress.count, failed=progress.failure)
    response = progress.response
    decoder = operation.decoder
    assert decoder is not None
    decode = decoder.decode
    # Ollama does not compress; raw chunks skip httpx's decoder layer when nothing to undo.
    if "content-encoding" in response.headers:
        chunks = response.aiter_bytes()
    else:
        chunks = response.aiter_raw()
    feed = LineSplitter().feed
    many = _list_decoder(decoder)
    open_ = _OPEN
    ended = False
    rec = progress.telemetry
    try:
        with map_transport_errors(str(response.url), stream_items=progress.items):
            while not ended:
                try:
                    if first_item_by is None:
                        chunk = await chunks.__anext__()
                    else:
                        assert deadline_error is not None
                        chunk = await _first_chunk(chunks, first_item_by, deadline_error)
                except StopAsyncIteration:
                    # A newline completes a last line sent without one.
                    chunk, ended = b"\n", True
                lines = feed(chunk)
                if lines:
                    first_item_by = None
                batch = _decode_batch(lines, many) if len(lines) > 1 else None
                if batch is not None:
                    for item in batch:
                        progress.count += 1
                        progress.last = item
                        if rec is not None:
                            rec.item(item)
                        yield item
                        if progress.state is not open_:
                            _after_close(progress)
                            return
                    continue
                for line in lines:
                    if ERROR_KEY in line:
                        item = decode_item(line, decoder)
                    else:
                        try:
                            item = decode(line)
                        except JSON_DECODE_FAILURES:
                            item = decode_item(line, decoder)
                    progress.count += 1
                    progress.last = item
                    if rec is not None:
                        rec.item(item)
                    yield item
                    if progress.state is not open_:
                        _after_close(progress)
                        return
        await _release(progress)
        if operation.terminal_field is not None and not is_terminal(
            progress.last, operation.terminal_field, operation.terminal_value
        ):
            raise truncated_stream_error(progress.count)
    except OllamaServiceError as exc:
        if progress.state is _OPEN:
            progress.state, progress.failure = _FAILED, str(exc)
        if rec is not None:
            rec.fail(exc)
        await _release(progress)
        if (
            isinstance(exc, OllamaTimeoutError)
            and deadline_error is not None
            and first_item_by is not None
            and expired(first_item_by)
        ):
            # A read bound cut short by the deadline (sync): that is the deadline's expiry.
            progress.failure = str(deadline_error)
            raise deadline_error from exc
        raise
    except BaseException as exc:
        if progress.state is _OPEN:
            progress.state = _CLOSED
        if rec is not None:
            rec.fail(exc)  # a reader that stopped (GeneratorExit) is a close, not an error
        await _release(progress)
        raise
    if rec is not None:
        rec.stream_done()
    progress.state = _DONE
    log_stream_end(
        path=operation.path,
        model=model,
        chunks=progress.count,
        eval_count=getattr(progress.last, "eval_count", None),
        eval_duration_ns=getattr(progress.last, "eval_duration", None),
    )


class AsyncStream(Generic[T]):
    """The items of a streamed reply, decoded one line at a time.

    Iterate it, or use it as a context manager so the HTTP response is released even if the
    loop stops early. The response is released at the normal end, on `break`, on an error (ours
    or the caller's, inside the context manager), on cancellation, and when an unconsumed
    stream is garbage-collected. A stream that ends before its final item (`done` or
    `status: success`), or whose connection breaks mid-way, raises
    `OllamaStreamError(truncated=True)` instead of ending quietly, and an `{"error": ...}`
    line raises `OllamaStreamError` too; items already yielded stay with the caller.

    A stream has a single reader: every way of iterating it (`async for`, `anext(stream)`,
    `aiter(stream)`) continues where the previous read stopped. Once read to its end it
    yields nothing more; reading it after `close()` (before its end) or after it raised
    raises `OllamaStreamClosedError`, so no item is ever lost quietly.

    Attributes:
        response: The underlying `httpx.Response` (status and headers are available).
    """

    def __init__(
        self,
        response: httpx.Response,
        operation: Operation[T],
        *,
        model: str | None,
        first_item_by: float | None = None,
        deadline_error: OllamaTimeoutError | None = None,
        telemetry: CallRecord | None = None,
    ) -> None:
        if operation.decoder is None:  # pragma: no cover - streamed operations always decode
            raise TypeError(f"{operation.name} has no decoder to stream with")
        self.response = response
        self._operation = operation
        self._model = model
        self._first_item_by = first_item_by
        self._deadline_error = deadline_error
        self._progress = _Progress(response, telemetry)
        self._iterator: AsyncIterator[T] | None = None

    def __aiter__(self) -> AsyncIterator[T]:
        # The one reader, created on first use and kept: `aiter(stream)` twice gives the same
        # reader, so no read starts over or drops what another read had buffered.
        iterator = self._iterator
        if iterator is None:
            iterator = self._iterator = _read(
                self._progress,
                self._operation,
                self._model,
                self._first_item_by,
                self._deadline_error,
            )
            # From now on the reader owns the response: `for item in client.chat(...)` keeps
            # only the reader, and the response is released when the reader goes.
            weakref.finalize(iterator, _abandon, self._progress)
        elif self._progress.state is _FAILED or self._progress.state is _CLOSED:
            return _refuse(self._progress)
        return iterator

    async def __anext__(self) -> T:
        return await self.__aiter__().__anext__()

    @property
    def readable(self) -> bool:
        """False once the stream failed or was closed before its end (reading it raises)."""
        state = self._progress.state
        return state is not _FAILED and state is not _CLOSED

    async def close(self) -> None:
        """Release the HTTP response (and its pooled connection). Safe to call twice.

        Reading the stream afterwards yields nothing if it had been read to its final item,
        and raises `OllamaStreamClosedError` otherwise.
        """
        progress = self._progress
        if progress.state is _OPEN:
            terminal = self._operation.terminal_field is None or is_terminal(
                progress.last, self._operation.terminal_field, self._operation.terminal_value
            )
            progress.state = _DONE if terminal and progress.count else _CLOSED
            if progress.telemetry is not None:
                if progress.state is _DONE:
                    progress.telemetry.stream_done()
                else:
                    progress.telemetry.stream_closed()
        await _release(progress)

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
        progress: _Progress | None = getattr(self, "_progress", None)
        if progress is not None and getattr(self, "_iterator", None) is None:
            _abandon(progress)

    def __repr__(self) -> str:
        state = "closed" if self._progress.released else "open"
        return (
            f"<{type(self).__name__} {self._operation.path} items={self._progress.count} {state}>"
        )
