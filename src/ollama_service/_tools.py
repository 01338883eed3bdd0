"""Tools for chat: `Tool` structs from JSON-schema dicts, structs, foreign models or functions.

A Python function becomes a tool from its signature (JSON types of the annotations) and its
Google-style docstring (the description and each argument's), as the official library does.
"""

from __future__ import annotations

import datetime
import enum
import inspect
import re
import types
import typing
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePath
from typing import Any, Literal, Union, cast, get_args, get_origin

import msgspec
from msgspec import UNSET, UnsetType

from ._coerce import as_list, fields_of, path_message
from ._errors import OllamaRequestError
from .types import (
    Tool,
    ToolFunction,
    ToolFunctionParameters,
    ToolProperty,
)

__all__ = ["function_to_tool", "normalize_tools"]


def normalize_tools(tools: object) -> list[Tool] | UnsetType:
    """Return tools as `Tool` structs, from JSON-schema dicts, structs or Python functions."""
    if tools is None:
        return UNSET
    out: list[Tool] = []
    for i, tool in enumerate(as_list(tools, "tools", "a list of tools")):
        where = f"tools[{i}]"
        if isinstance(tool, Tool):
            out.append(tool)
        elif (fields := fields_of(tool)) is not None:
            try:
                out.append(msgspec.convert(fields, Tool, strict=False))
            except msgspec.ValidationError as exc:
                raise OllamaRequestError(f"{where}: {path_message(exc, where)}") from exc
        elif callable(tool):
            out.append(function_to_tool(tool))
        else:
            raise OllamaRequestError(
                f"{where} must be a dict, a Tool or a function, not {type(tool).__name__}"
            )
    return out


_JSON_TYPES: dict[type, str] = {
    bool: "boolean",  # before int: bool is a subclass of int, and the first match wins
    str: "string",
    int: "integer",
    float: "number",
    list: "array",
    tuple: "array",
    set: "array",
    frozenset: "array",
    dict: "object",
}


def function_to_tool(func: Callable[..., Any]) -> Tool:
    """Build a tool definition from a function's signature and Google-style docstring.

    The schema is the official library's (`convert_function_to_tool`): the docstring outside
    its `Args:`, `Returns:`, `Yields:` and `Raises:` sections (any case) becomes the
    description, each `name: text` (or `name (type): text`) line under `Args:` describes that
    parameter, and a union is one comma-separated `type` ("integer, string"). Three things are
    better on purpose: a parameter with a default is not `required` (`X | None` never is),
    `Literal[...]` and `Enum` types carry their `enum` values, and `*args`/`**kwargs` are not
    parameters. A function without parameters has no `required` list, as in the official.

    Raises:
        OllamaRequestError: A parameter type cannot be expressed as JSON Schema.
    """
    name = getattr(func, "__name__", None)
    if not name or name == "<lambda>":
        raise OllamaRequestError("tools: a function used as a tool needs a name (not a lambda)")
    description, arg_docs = _parse_docstring(inspect.getdoc(func) or "")
    try:
        hints = typing.get_type_hints(func)
    except (NameError, TypeError):
        hints = {}
    properties: dict[str, ToolProperty] = {}
    required: list[str] = []
    for param in inspect.signature(func).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        annotation = hints.get(
            param.name, str if param.annotation is param.empty else param.annotation
        )
        kinds, enum_values, optional = _json_type(annotation, f"{name}({param.name})")
        properties[param.name] = ToolProperty(
            type=", ".join(kinds),
            description=arg_docs.get(param.name, ""),
            enum=enum_values,
        )
        if param.default is param.empty and not optional:
            required.append(param.name)
    return Tool(
        type="function",
        function=ToolFunction(
            name=name,
            description=description,
            parameters=ToolFunctionParameters(
                type="object", properties=properties, required=required if properties else None
            ),
        ),
    )


def _json_scalar(value: object) -> str:
    return _JSON_TYPES.get(type(value), "string")


def _json_type(annotation: Any, where: str) -> tuple[list[str], list[Any] | None, bool]:
    """Return (JSON type names, enum values or None, whether None is allowed)."""
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        members = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(members) < len(get_args(annotation))
        parts = [_json_type(m, where) for m in members]
        kinds: list[str] = []
        enums: list[Any] | None = [] if all(e is not None for _, e, _ in parts) else None
        for member_kinds, member_enum, _ in parts:
            kinds.extend(k for k in member_kinds if k not in kinds)
            if enums is not None and member_enum is not None:
                enums.extend(v for v in member_enum if v not in enums)
        return kinds, enums, optional
    if origin is Literal:
        values: list[Any] = list(get_args(annotation))
        return sorted({_json_scalar(v) for v in values}), values, False
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        values = [member.value for member in annotation]
        return sorted({_json_scalar(v) for v in values}), values, False
    base = cast(object, origin if origin is not None else annotation)
    if base is Any:
        return ["string"], None, False
    for py_type, json_type in _JSON_TYPES.items():
        if isinstance(base, type) and issubclass(base, py_type):
            return [json_type], None, False
    if isinstance(base, type) and issubclass(base, _STRING_TYPES):
        return ["string"], None, False
    if isinstance(base, type) and issubclass(base, (Sequence,)):
        return ["array"], None, False
    if isinstance(base, type) and issubclass(base, (Mapping, msgspec.Struct)):
        return ["object"], None, False
    raise OllamaRequestError(
        f"tools: cannot express the type {annotation!r} of {where} as JSON Schema"
    )


# Types pydantic (and so the official library) describes as JSON strings.
_STRING_TYPES: typing.Final = (
    bytes,
    bytearray,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    uuid.UUID,
    PurePath,
)


_ARGS_SECTION: typing.Final = "args:"


_OTHER_SECTIONS: typing.Final = ("returns:", "yields:", "raises:")


# `name: text` or `name (type): text`, split where the official library splits.
_ARG_SPLIT = re.compile(r"(?:\(([^)]*)\)|:)\s*")


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Split a docstring into its description and its `Args:` entries, as the official does.

    Lines starting with `Args:` (any case) open the arguments; `Returns:`, `Yields:` and
    `Raises:` open sections that are dropped; every other line belongs to the section it is in.
    The description keeps its line breaks (stripped lines, then `inspect.cleandoc`, as pydantic
    makes a model's description). Under `Args:`, a line with a colon starts an argument and
    other lines continue it; a line indented deeper than the argument lines also continues it,
    colon or not (the official library would start a bogus argument there).
    """
    description: list[str] = []
    arg_lines: list[tuple[int, str]] = []
    section = "description"
    for raw in doc.splitlines():
        line = raw.strip()
        lowered = line.lower()
        if lowered.startswith(_ARGS_SECTION):
            section = "args"
        elif lowered.startswith(_OTHER_SECTIONS):
            section = "other"
        elif section == "description":
            description.append(line)
        elif section == "args":
            arg_lines.append((len(raw) - len(raw.lstrip()), line))
    args: dict[str, str] = {}
    current: str | None = None
    arg_indent: int | None = None
    for indent, line in arg_lines:
        continues = current is not None and arg_indent is not None and indent > arg_indent
        if ":" in line and not continues:
            parts: list[str | None] = _ARG_SPLIT.split(line, maxsplit=1)
            key, rest = str(parts[0]).strip(), str(parts[-1])
            text = rest.split(":", 1)[-1] if len(parts) > 2 and parts[1] else rest  # `name (type):`
            args[key], current, arg_indent = text.strip(), key, indent
        elif current is not None and line:
            args[current] += " " + line
    text = "\n".join(description)
    return (inspect.cleandoc(text) if text.strip() else ""), args
