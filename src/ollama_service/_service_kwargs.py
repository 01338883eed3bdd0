"""The service's keyword arguments: which go to the request and which into `options`."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Collection, Mapping
from typing import Any

from ._normalize import OPTION_KEYS

__all__ = ["request_keywords", "split_kwargs"]


def request_keywords(method: Callable[..., object], named: Collection[str]) -> frozenset[str]:
    """The request fields a service passes through `**kwargs` to a client method.

    Read from the method's signature, which is generated from the spec, so a request field
    added there reaches `OllamaService.generate(**kwargs)` without an edit here.

    Args:
        method: The client method, e.g. `AsyncClient.generate`.
        named: The parameters the service passes itself (`model`, `prompt`, `stream`).

    Returns:
        Every parameter except `self`, `named` and `options` (which `split_kwargs` merges with
        the options given by name).
    """
    skip = {"self", "options", *named}
    return frozenset(name for name in inspect.signature(method).parameters if name not in skip)


def split_kwargs(
    method: str, kwargs: Mapping[str, Any], fields: frozenset[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split keyword arguments into request fields and runtime options.

    `options=` may also be passed as a dict; named options are merged over it.

    Args:
        method: The service method, for the error message.
        kwargs: What the caller passed.
        fields: The request fields this method accepts by name.

    Returns:
        (the request fields, with the merged options under "options"; the options alone).

    Raises:
        TypeError: A name is neither a request field nor an option; the message names it and
            suggests the closest valid name. Nothing has been sent.
    """
    request: dict[str, Any] = {}
    options: dict[str, Any] = dict(kwargs.get("options") or {})
    for name, value in kwargs.items():
        if name == "options":
            continue
        if name in fields:
            request[name] = value
        elif name in OPTION_KEYS:
            options[name] = value
        else:
            close = difflib.get_close_matches(name, sorted(fields | OPTION_KEYS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"{method}() got an unexpected keyword argument {name!r}{hint}")
    if options:
        request["options"] = options
    return request, options
