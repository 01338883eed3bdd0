"""Module-level functions (`ollama_service.chat(...)`), bound to one default `Client`.

The official library creates its default client when `import ollama` runs, which reads
`OLLAMA_HOST` and the proxy settings at import time (and fails there with a SOCKS proxy and no
socksio). Here the client is created on the first call of any of these functions, once, under
a lock; importing the package (or `from ollama_service import chat`) does nothing.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ollama_service._sync.client import Client

__all__ = [
    "chat",
    "copy",
    "create",
    "default_client",
    "delete",
    "embed",
    "embeddings",
    "generate",
    "list",
    "ps",
    "pull",
    "push",
    "show",
    "systemone",
    "web_fetch",
    "web_search",
]

_lock = threading.Lock()
_client: Client | None = None


def default_client() -> Client:
    """The client behind the module-level functions, created on first use.

    It is configured from the environment like `Client()` (`OLLAMA_HOST`, `OLLAMA_API_KEY`).
    """
    global _client
    client = _client
    if client is None:
        with _lock:
            if _client is None:
                _client = Client()
            client = _client
    return client


class _Forward:
    # A module-level function: calls the method of the same name on the default client.
    # (No class docstring: each instance carries its method's.)

    def __init__(self, name: str) -> None:
        self.__name__ = self.__qualname__ = name
        self.__doc__ = getattr(Client, name).__doc__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(default_client(), self.__name__)(*args, **kwargs)

    @property
    def __signature__(self) -> inspect.Signature:
        """The method's signature without `self` (computed on demand: import stays cheap)."""
        signature = inspect.signature(getattr(Client, self.__name__))
        return signature.replace(parameters=tuple(signature.parameters.values())[1:])

    def __repr__(self) -> str:
        return f"<function ollama_service.{self.__name__}>"


def _forward(name: str) -> Callable[..., Any]:
    return _Forward(name)


if TYPE_CHECKING:
    # Type checkers see the client's own overloaded methods.
    _typed = Client()
    chat = _typed.chat
    copy = _typed.copy
    create = _typed.create
    delete = _typed.delete
    embed = _typed.embed
    embeddings = _typed.embeddings
    generate = _typed.generate
    list = _typed.list
    ps = _typed.ps
    pull = _typed.pull
    push = _typed.push
    show = _typed.show
    systemone = _typed.systemone
    web_fetch = _typed.web_fetch
    web_search = _typed.web_search
else:
    chat = _forward("chat")
    copy = _forward("copy")
    create = _forward("create")
    delete = _forward("delete")
    embed = _forward("embed")
    embeddings = _forward("embeddings")
    generate = _forward("generate")
    list = _forward("list")
    ps = _forward("ps")
    pull = _forward("pull")
    push = _forward("push")
    show = _forward("show")
    systemone = _forward("systemone")
    web_fetch = _forward("web_fetch")
    web_search = _forward("web_search")
