"""aiohttp's failures as the httpx exceptions httpcore raises for the same failure, so the
client's one error boundary sees the same phases on every back-end.
"""

from __future__ import annotations

import asyncio

import aiohttp
import httpx

__all__ = ["translate_error"]


def translate_error(
    exc: BaseException, request: httpx.Request, *, writing: bool
) -> httpx.TransportError:
    """The httpx exception httpcore raises for the same failure."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, DNS, TLS: nothing was sent
        return httpx.ConnectError(message, request=request)
    if isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)):
        if writing:
            return httpx.WriteTimeout(message, request=request)
        return httpx.ReadTimeout(message, request=request)
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(message, request=request)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )
    if isinstance(exc, aiohttp.ClientPayloadError):
        return httpx.RemoteProtocolError(message, request=request)
    if isinstance(exc, aiohttp.ClientResponseError):  # a malformed response
        return httpx.RemoteProtocolError(message, request=request)
    if isinstance(exc, OSError):  # reset, broken pipe (ClientOSError, ClientConnectionResetError)
        return (
            httpx.WriteError(message, request=request)
            if writing
            else httpx.ReadError(message, request=request)
        )
    return httpx.RemoteProtocolError(message, request=request)
