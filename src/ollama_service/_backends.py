"""Which HTTP library moves the bytes under httpx: choosing a back-end and building its transport.

Every client talks httpx; a back-end is only the `httpx` transport underneath:

- `urllib3` (the `Client` default): urllib3's pools, several times faster per streamed chunk
  than httpx's own transport, thread-safe, always installed with us.
- `aiohttp` (for `AsyncClient`, with the `aiohttp` extra): aiohttp's client on asyncio; fast
  per chunk and under concurrency. Chosen only when asked for (argument or
  `OLLAMA_HTTP_BACKEND`), never merely because aiohttp is installed.
- `httpx` (the `AsyncClient` default): httpx's own transport (httpcore), the one that also
  runs on trio and speaks HTTP/2.

The transports import their library when built, not here, so `import ollama_service` stays
light. A caller's `http_client=` or `transport=` always wins over any back-end.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, MutableMapping
from typing import Any, Final, Literal

import httpx

from ._env import ENV_HTTP_BACKEND, http_backend, proxies
from ._errors import OllamaRequestError

__all__ = [
    "ASYNC_BACKENDS",
    "ASYNC_KIND",
    "BACKENDS",
    "ENV_HTTP_BACKEND",
    "SYNC_BACKENDS",
    "SYNC_KIND",
    "Backend",
    "Kind",
    "async_http_transport",
    "choose_backend",
    "environment_proxy_mounts",
    "http_transport",
]

Backend = Literal["urllib3", "aiohttp", "httpx"]
Kind = Literal["sync", "async"]
# The kind of client a source file builds; unasync turns one name into the other.
ASYNC_KIND: Final[Kind] = "async"
SYNC_KIND: Final[Kind] = "sync"

BACKENDS: Final[tuple[Backend, ...]] = ("urllib3", "aiohttp", "httpx")
SYNC_BACKENDS: Final[tuple[Backend, ...]] = ("urllib3", "httpx")
ASYNC_BACKENDS: Final[tuple[Backend, ...]] = ("aiohttp", "httpx")

_DEFAULTS: Final[Mapping[Kind, Backend]] = {"sync": "urllib3", "async": "httpx"}
_CHOICES: Final[Mapping[Kind, tuple[Backend, ...]]] = {
    "sync": SYNC_BACKENDS,
    "async": ASYNC_BACKENDS,
}
_CLIENT: Final[Mapping[Kind, str]] = {"sync": "Client", "async": "AsyncClient"}
# httpx.Client arguments only httpx's own transport honours.
_HTTPX_ONLY: Final = ("http2",)


def choose_backend(
    backend: str | None,
    *,
    kind: Kind,
    client_kwargs: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Backend:
    """The back-end a client of `kind` runs on.

    An explicit `backend` must suit the client. Otherwise `OLLAMA_HTTP_BACKEND` decides when it
    names a back-end of this kind of client (one variable serves both clients: `aiohttp` moves
    only `AsyncClient`, `urllib3` only `Client`), and the default of the kind applies when it
    does not. An option only httpx's transport has (`http2=True`) selects `httpx` unless a
    back-end was asked for explicitly, in which case the conflict is an error.

    Args:
        backend: The `backend=` argument, or None.
        kind: `"sync"` for `Client`, `"async"` for `AsyncClient`.
        client_kwargs: The extra arguments meant for the httpx client.
        environ: The environment (default: `os.environ`).

    Returns:
        The back-end's name.

    Raises:
        OllamaRequestError: An unknown name, a back-end the client cannot use, or an option the
            chosen back-end cannot honour; the message names the choices.
    """
    choices = _CHOICES[kind]
    httpx_only = [name for name in _HTTPX_ONLY if (client_kwargs or {}).get(name)]
    if backend is not None:
        if backend not in choices:
            raise OllamaRequestError(
                f"backend={backend!r} is not a back-end of {_CLIENT[kind]}; "
                f"choose one of {', '.join(map(repr, choices))}"
            )
        if httpx_only and backend != "httpx":
            raise OllamaRequestError(
                f"{httpx_only[0]}=True needs backend='httpx' (the {backend} back-end is HTTP/1.1 only)"
            )
        return _named(backend, choices)
    if httpx_only:
        return "httpx"
    value = http_backend(environ)
    if not value:
        return _DEFAULTS[kind]
    if value not in BACKENDS:
        raise OllamaRequestError(
            f"{ENV_HTTP_BACKEND}={value!r} is not a back-end; "
            f"choose one of {', '.join(map(repr, BACKENDS))}"
        )
    return _named(value, choices) if value in choices else _DEFAULTS[kind]


def _named(name: str, choices: tuple[Backend, ...]) -> Backend:
    """`name` as the back-end it spells (it is one of `choices`)."""
    return next(choice for choice in choices if choice == name)


def environment_proxy_mounts(environ: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """The proxies httpx reads from the environment, as URL patterns to proxy URLs.

    httpx reads them only when it builds its own transport. With ours underneath, the client
    mounts httpx's transport with these proxies, so proxied URLs behave exactly as on httpx and
    everything else runs on the faster back-end. A pattern mapped to None (from `NO_PROXY`)
    goes direct.

    Args:
        environ: Variables to read instead of the process environment (for tests).

    Returns:
        `{"http://": "http://proxy:3128", "all://*example.com": None, ...}`; empty without
        proxies or with `NO_PROXY=*`.
    """
    info = proxies(environ)
    mounts: dict[str, str | None] = {}
    for scheme in ("http", "https", "all"):
        if info.get(scheme):
            url = info[scheme]
            mounts[f"{scheme}://"] = url if "://" in url else f"http://{url}"
    if not mounts:
        return {}
    for host in (host.strip() for host in info.get("no", "").split(",")):
        if host == "*":
            return {}
        if not host:
            continue
        if "://" in host:
            mounts[host] = None
        elif _is_ip(host, 4):
            mounts[f"all://{host}"] = None
        elif _is_ip(host, 6):
            mounts[f"all://[{host}]"] = None
        elif host.lower() == "localhost":
            mounts[f"all://{host}"] = None
        else:
            mounts[f"all://*{host}"] = None
    return mounts


def _is_ip(host: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(host.split("/")[0]).version == version
    except ValueError:
        return False


def _ssl_context(kwargs: Mapping[str, Any]) -> Any:
    from ._http_config import default_ssl_context

    verify = kwargs.get("verify", True)
    cert = kwargs.get("cert")
    if cert is None and verify is True and kwargs.get("trust_env", True):
        return default_ssl_context()
    if cert is None and not isinstance(verify, (bool, str)):
        return verify  # an ssl.SSLContext, used as is
    return httpx.create_ssl_context(
        verify=verify, cert=cert, trust_env=kwargs.get("trust_env", True)
    )


def _mount_env_proxies(kwargs: MutableMapping[str, Any], kind: Kind) -> None:
    """Route proxied URLs through httpx's transport, as httpx would (see above)."""
    if kwargs.get("proxy") is not None or not kwargs.get("trust_env", True):
        return
    proxies = environment_proxy_mounts()
    if not proxies:
        return
    options = {name: kwargs[name] for name in ("verify", "cert", "trust_env") if name in kwargs}
    if "limits" in kwargs:
        options["limits"] = kwargs["limits"]
    make = httpx.HTTPTransport if kind == "sync" else httpx.AsyncHTTPTransport
    mounts: dict[str, Any] = {
        pattern: None if url is None else make(proxy=url, **options)
        for pattern, url in proxies.items()
    }
    mounts.update(kwargs.get("mounts") or {})
    kwargs["mounts"] = mounts


def http_transport(
    backend: Backend, kwargs: MutableMapping[str, Any]
) -> httpx.BaseTransport | None:
    """The transport of a `Client` on `backend` (None: httpx builds its own).

    Args:
        backend: From `choose_backend`.
        kwargs: The arguments of the `httpx.Client` being built (`limits`, `verify`, `cert`,
            `trust_env`, `proxy`, `mounts`); `mounts` gains the environment's proxies.

    Returns:
        The transport, or None for `httpx`.
    """
    if backend == "httpx":
        # The client may still put a transport of its own under httpx (the deadline-aware
        # one), which turns httpx's reading of the environment off: mount the proxies here.
        _mount_env_proxies(kwargs, "sync")
        return None
    from ._transports._urllib3 import Urllib3Transport

    _mount_env_proxies(kwargs, "sync")
    return Urllib3Transport(limits=kwargs.get("limits"), ssl_context=_ssl_context(kwargs))


def async_http_transport(
    backend: Backend, kwargs: MutableMapping[str, Any]
) -> httpx.AsyncBaseTransport | None:
    """The transport of an `AsyncClient` on `backend` (None: httpx builds its own).

    Args:
        backend: From `choose_backend`.
        kwargs: As for `http_transport`.

    Returns:
        The transport, or None for `httpx`.

    Raises:
        OllamaRequestError: `aiohttp` is selected but not installed.
    """
    if backend == "httpx":
        _mount_env_proxies(kwargs, "async")
        return None
    try:
        from ._transports._aiohttp import AiohttpTransport
    except ImportError as exc:
        raise OllamaRequestError(
            "the aiohttp back-end needs aiohttp: pip install 'ollama-service[aiohttp]' "
            "(or use backend='httpx')"
        ) from exc
    _mount_env_proxies(kwargs, "async")
    return AiohttpTransport(limits=kwargs.get("limits"), ssl_context=_ssl_context(kwargs))
