"""Response bodies read from aiohttp as they arrive; the connection goes back to the pool only
when the body was read to its end.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import httpx

from ollama_service._transports._aiohttp_body import Connector, RequestBody
from ollama_service._transports._aiohttp_errors import translate_error

__all__ = ["ResponseStream"]


class ResponseStream(httpx.AsyncByteStream):
    """A response body read as it arrives; the connection goes back to the pool at the end,
    and is closed instead when the body is abandoned part-way or fails."""

    __slots__ = (
        "_body",
        "_closed",
        "_complete",
        "_connector",
        "_protocol",
        "_received",
        "_request",
        "_response",
        "_slots",
    )

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        request: httpx.Request,
        slots: asyncio.Semaphore | None,
        body: RequestBody,
        connector: aiohttp.BaseConnector | None,
    ) -> None:
        self._response = response
        self._body = body
        self._connector = connector
        # Taken when the connection was acquired: aiohttp may have released it already.
        self._protocol = body.protocol
        self._request = request
        self._slots = slots
        self._closed = False
        self._complete = False
        self._received = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._response.content
        try:
            while chunk := await content.readany():
                self._received += len(chunk)
                yield chunk
            self._complete = True
        except aiohttp.ClientPayloadError as exc:
            await self.aclose()
            raise httpx.RemoteProtocolError(self._incomplete(), request=self._request) from exc
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            await self.aclose()
            raise translate_error(exc, self._request, writing=False) from exc

    def _incomplete(self) -> str:
        """httpcore's words for a body cut short, so messages read alike on every back-end."""
        expected = self._response.headers.get("content-length")
        if expected is None:
            detail = "incomplete chunked read"
        else:
            detail = f"received {self._received} bytes, expected {expected}"
        return f"peer closed connection without sending complete message body ({detail})"

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        response = self._response
        if self._complete:
            response.release()
        else:
            # Dropped unless the reader saw the end, as httpcore does. aiohttp may already have
            # taken the connection back (the whole body had arrived): it is closed in the pool
            # too, unless another request has taken it since.
            response.close()
            protocol, connector = self._protocol, self._connector
            if (
                protocol is not None
                and isinstance(connector, Connector)
                and connector.owners.get(protocol) is self._body
            ):
                protocol.close()
        if self._slots is not None:
            self._slots.release()
