"""Request fields validated and normalised before sending: input, keep_alive, options, think,
format and messages.

Each function takes what a caller may pass (see `_inputs`) and returns the wire value or
`UNSET`, or raises `OllamaRequestError` naming the argument; the server's own errors for the
same mistakes are often a bare 400 or 500.
"""

from __future__ import annotations

import difflib
import math
import re
import typing
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, cast

import msgspec
from msgspec import UNSET, UnsetType

from ._coerce import as_dict, as_list, fields_of, foreign_dump, path_message
from ._encode import JSON_ENCODER, builtins_of
from ._errors import OllamaRequestError
from ._images import encode_images
from ._logging import log_unknown_value
from .types import (
    Format,
    Message,
    Options,
    Think,
)

__all__ = [
    "OPTION_KEYS",
    "OptionsWithUnknownKeys",
    "THINK_LEVELS",
    "normalize_format",
    "normalize_input",
    "normalize_keep_alive",
    "normalize_messages",
    "normalize_options",
    "normalize_think",
    "struct_schema",
]


THINK_LEVELS: typing.Final = ("low", "medium", "high", "max")


# Go's time.ParseDuration grammar, which the server uses for string keep_alive values.
_GO_DURATION = re.compile(r"^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$")


OPTION_KEYS = frozenset(Options.__struct_encode_fields__)


def normalize_input(value: object) -> str | list[str]:
    """Return embed input as a string or a list of strings (the server rejects anything else)."""
    if isinstance(value, str):
        return value
    items = as_list(value, "input", "a string or a list of strings")
    if not all(isinstance(item, str) for item in items):
        raise OllamaRequestError("input must be a string or a list of strings")
    return [str(item) for item in items]


def normalize_keep_alive(value: object) -> float | str | UnsetType:
    """Return keep_alive in a form the server parses.

    Numbers are seconds (negative: keep loaded forever; 0: unload now); a `timedelta` becomes
    seconds; strings must be Go durations with a unit (`"5m"`, `"1h30m"`) or `"0"`, because
    the server rejects `"300"` with a 400.
    """
    if value is None:
        return UNSET
    if isinstance(value, bool):
        raise OllamaRequestError(
            "keep_alive must be seconds, a duration string or a timedelta, not a bool"
        )
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        return int(seconds) if seconds.is_integer() else seconds
    if isinstance(value, (int, float)):
        if math.isnan(value) or math.isinf(value):
            raise OllamaRequestError(f"keep_alive must be a finite number of seconds, not {value}")
        return value
    if isinstance(value, str):
        text = value.strip()
        if text == "0" or _GO_DURATION.match(text):
            return text
        hint = f"; did you mean {text}s or the number {text}?" if _is_number(text) else ""
        raise OllamaRequestError(
            f"keep_alive {value!r} is not a duration: use a number of seconds or a string with a "
            f"unit such as '5m' or '1h'{hint}"
        )
    raise OllamaRequestError(
        f"keep_alive must be seconds, a duration string or a timedelta, not {type(value).__name__}"
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class OptionsWithUnknownKeys(dict[str, Any]):
    """Options that include keys our spec does not know: stored in a request as they are."""


def normalize_options(options: object) -> Options | UnsetType:
    """Validate runtime options and return them as `Options`.

    Keys whose value is None are dropped first (the official library sends `Options(x=None)`
    as "not set"). Known keys are type-checked (the server fails with 500 on a wrong type).
    An unknown key is sent as it is, because servers newer than our spec accept options we do
    not know yet; a warning names it with the closest known key, in case it is a typo.

    Raises:
        OllamaRequestError: Not a mapping, or a known key with a value of the wrong type.
    """
    if options is None:
        return UNSET
    if isinstance(options, Options):
        return options
    dumped = foreign_dump(options)
    if dumped is not None:
        options = dumped
    if not isinstance(options, Mapping):
        raise OllamaRequestError(f"options must be a dict or Options, not {type(options).__name__}")
    given = {str(k): v for k, v in as_dict(cast(object, options)).items() if v is not None}
    known = {k: v for k, v in given.items() if k in OPTION_KEYS}
    try:
        checked = msgspec.convert(known, Options, strict=False)
    except msgspec.ValidationError as exc:
        raise OllamaRequestError(f"options: {path_message(exc, 'options')}") from exc
    unknown = {k: v for k, v in given.items() if k not in OPTION_KEYS}
    if not unknown:
        return checked
    for key, value in unknown.items():
        try:
            JSON_ENCODER.encode(value)
        except (TypeError, msgspec.EncodeError) as exc:
            raise OllamaRequestError(
                f"options: the value of the unknown option {key!r} cannot be sent as JSON: {exc}"
            ) from exc
        close = difflib.get_close_matches(key, sorted(OPTION_KEYS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        log_unknown_value(
            f"unknown option {key!r}{hint} (sent as is)", argument="options", value=key
        )
    # The encoder writes a dict as it is; the field's type only documents the known keys.
    return cast("Options", OptionsWithUnknownKeys({**builtins_of(checked), **unknown}))


def normalize_think(think: object) -> Think | UnsetType:
    """Return think as a bool or a level.

    A level we do not know is sent as it is (newer servers add levels), with a warning; only
    values that are neither a bool nor a string are refused.

    Raises:
        OllamaRequestError: `think` is not a bool or a string.
    """
    if think is None:
        return UNSET
    if isinstance(think, bool) or think in THINK_LEVELS:
        return think
    if not isinstance(think, str):
        raise OllamaRequestError(
            f"think must be True, False or a level such as {', '.join(THINK_LEVELS)}; "
            f"got {type(think).__name__}"
        )
    close = difflib.get_close_matches(think.lower(), THINK_LEVELS, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    log_unknown_value(
        f"unknown think level {think!r}{hint} (sent as is; known: {', '.join(THINK_LEVELS)})",
        argument="think",
        value=think,
    )
    return cast("Think", think)


def normalize_format(fmt: object) -> Format | UnsetType:
    """Return the `format` field: "json", a JSON Schema dict, or the schema of a Struct type."""
    if fmt is None or fmt == "":
        return UNSET
    if fmt == "json":
        return "json"
    if isinstance(fmt, type) and issubclass(fmt, msgspec.Struct):
        return struct_schema(fmt)
    if isinstance(fmt, Mapping):
        return as_dict(cast(object, fmt))
    raise OllamaRequestError(
        f"format must be 'json', a JSON Schema dict or a msgspec Struct type; got {fmt!r}"
    )


def struct_schema(struct_type: type[msgspec.Struct]) -> dict[str, Any]:
    """Return a Struct's JSON Schema with the top-level `$ref` inlined, as Ollama expects."""
    schema: dict[str, Any] = msgspec.json.schema(struct_type)
    ref = schema.get("$ref")
    defs: dict[str, Any] = schema.get("$defs", {})
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.removeprefix("#/$defs/")
        top = dict(defs[name])
        rest = {k: v for k, v in defs.items() if k != name}
        if rest:
            top["$defs"] = rest
        return top
    return schema


def normalize_messages(messages: object) -> list[Message] | UnsetType:
    """Validate chat messages (dicts or `Message`) and encode their images."""
    if messages is None:
        return UNSET
    out: list[Message] = []
    for i, message in enumerate(as_list(messages, "messages", "a list of messages")):
        where = f"messages[{i}]"
        if isinstance(message, Message):
            msg = message
            if msg.images:
                encoded = encode_images(msg.images, f"{where}.images")
                msg = msgspec.structs.replace(msg, images=encoded or None)
        elif (fields := fields_of(message)) is not None:
            if fields.get("images"):
                fields["images"] = encode_images(fields["images"], f"{where}.images")
            try:
                msg = msgspec.convert(fields, Message, strict=False)
            except msgspec.ValidationError as exc:
                raise OllamaRequestError(f"{where}: {path_message(exc, where)}") from exc
        else:
            raise OllamaRequestError(
                f"{where} must be a dict or Message, not {type(message).__name__}"
            )
        if not msg.role:
            # Any role is sent as given (the model's template decides), but not none at all.
            raise OllamaRequestError(f"{where}.role is required (e.g. 'user'); got none")
        out.append(msg)
    return out
