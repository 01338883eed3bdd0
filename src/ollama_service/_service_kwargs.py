"""The service's keyword arguments: which go to the request and which into `options`."""

from __future__ import annotations

import difflib
import typing
from collections.abc import Mapping
from typing import Any

from ._normalize import OPTION_KEYS

__all__ = ["CHAT_KWARGS", "EMBED_KWARGS", "GENERATE_KWARGS", "split_kwargs"]


# Request fields that `OllamaService.generate/chat/embed(**kwargs)` pass through; every other
# name must be a runtime option.
GENERATE_KWARGS: typing.Final = frozenset(
    {
        "system",
        "format",
        "images",
        "keep_alive",
        "think",
        "raw",
        "suffix",
        "template",
        "context",
        "logprobs",
        "top_logprobs",
        "truncate",
        "shift",
    }
)


CHAT_KWARGS: typing.Final = frozenset(
    {"tools", "format", "keep_alive", "think", "logprobs", "top_logprobs", "truncate", "shift"}
)


EMBED_KWARGS: typing.Final = frozenset({"truncate", "keep_alive", "dimensions"})


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
