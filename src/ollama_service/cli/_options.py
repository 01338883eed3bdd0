"""Runtime options typed from text (`-o temperature=0.2`, `PARAMETER top_k 20`, `/set parameter`).

The types come from the `Options` schema, so a new option in the spec is accepted here without
a change; an unknown name gets the closest valid one as a hint. Pure functions, no I/O.
"""

from __future__ import annotations

import difflib
import math
import typing
from collections.abc import Mapping
from typing import Any, Final

import msgspec

from ollama_service.types import Options

__all__ = ["OPTION_TYPES", "OptionError", "add_option", "parse_option", "split_assignment"]


class OptionError(ValueError):
    """An option name or value that cannot be used; the message names it."""


def _option_types() -> dict[str, type]:
    """Each option's value type (`int`, `float`, `bool`, `str` or `list` for `stop`)."""
    hints = typing.get_type_hints(Options)
    result: dict[str, type] = {}
    for field in msgspec.structs.fields(Options):
        # Every field is `T | UnsetType`; `list[str]` counts as `list`.
        kinds = [
            typing.get_origin(arg) or arg
            for arg in typing.get_args(hints[field.name])
            if arg is not msgspec.UnsetType
        ]
        kind = kinds[0] if kinds else str
        result[field.encode_name] = kind if isinstance(kind, type) else str
    return result


OPTION_TYPES: Final[Mapping[str, type]] = _option_types()

_TRUE: Final = frozenset({"true", "1", "yes", "on"})
_FALSE: Final = frozenset({"false", "0", "no", "off"})


def _unknown(name: str) -> OptionError:
    close = difflib.get_close_matches(name, sorted(OPTION_TYPES), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return OptionError(f"unknown option {name!r}{hint}")


def parse_option(name: str, text: str) -> Any:
    """The value of option `name` given as `text`, converted to the schema's type.

    Args:
        name: The option's name (`temperature`).
        text: Its value as typed; quotes around it are removed.

    Returns:
        An int, float, bool or str (`stop` gives one stop sequence, a str).

    Raises:
        OptionError: The name is unknown (with the closest valid name) or the value does not
            fit its type.
    """
    kind = OPTION_TYPES.get(name)
    if kind is None:
        raise _unknown(name)
    value = text.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    if kind is bool:
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise OptionError(f"{name}: {text!r} is not true or false")
    if kind is int:
        try:
            return int(value)
        except ValueError:
            raise OptionError(f"{name}: {text!r} is not a whole number") from None
    if kind is float:
        try:
            number = float(value)
        except ValueError:
            raise OptionError(f"{name}: {text!r} is not a number") from None
        if not math.isfinite(number):
            raise OptionError(f"{name}: {text!r} is not a finite number")
        return number
    if not value:
        raise OptionError(f"{name}: needs a value")
    return value


def add_option(options: dict[str, Any], name: str, text: str) -> None:
    """Parse one option into `options`; `stop` accumulates a list, others replace.

    Raises:
        OptionError: As `parse_option`.
    """
    value = parse_option(name, text)
    if OPTION_TYPES[name] is list:
        stops: list[str] = options.setdefault(name, [])
        stops.append(value)
    else:
        options[name] = value


def split_assignment(text: str) -> tuple[str, str]:
    """`KEY=VALUE` as (key, value).

    Raises:
        OptionError: There is no `=` or no key.
    """
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise OptionError(f"{text!r} is not KEY=VALUE (for example temperature=0.2)")
    return key.strip(), value
