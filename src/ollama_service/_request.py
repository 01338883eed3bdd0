"""Request building: turning what callers pass into what the server accepts.

Everything here is pure and runs before a request is sent, so bad input fails with an
`OllamaRequestError` that names the argument, and the server never sees a body it would
reject. It accepts what users of the official library pass (paths, bytes or base64 for
images; dicts, structs or plain functions for tools; dicts or `Options`) and a little more
(a msgspec Struct type as `format`, a `timedelta` as `keep_alive`).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import difflib
import enum
import hashlib
import inspect
import math
import os
import re
import types
import typing
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path, PurePath
from typing import Any, Literal, TypeAlias, Union, cast, get_args, get_origin

import msgspec
from msgspec import UNSET, UnsetType

from ._constants import MAX_PATH_CHARS
from ._errors import OllamaRequestError
from ._inputs import SupportsModelDump
from ._logging import log_unknown_value
from .types import (
    Format,
    Message,
    Options,
    Think,
    Tool,
    ToolFunction,
    ToolFunctionParameters,
    ToolProperty,
)

__all__ = [
    "NOT_GIVEN",
    "FormatInput",
    "ImageInput",
    "KeepAliveInput",
    "NotGiven",
    "ThinkInput",
    "ToolInput",
    "blob_digest",
    "CHAT_KWARGS",
    "EMBED_KWARGS",
    "GENERATE_KWARGS",
    "blob_path",
    "foreign_dump",
    "encode_body",
    "encode_image",
    "encode_images",
    "function_to_tool",
    "normalize_format",
    "normalize_input",
    "normalize_keep_alive",
    "normalize_messages",
    "normalize_options",
    "normalize_think",
    "normalize_tools",
    "require_model",
    "require_text",
    "split_kwargs",
    "struct_schema",
    "unset_if_none",
]


ImageInput: TypeAlias = "str | bytes | os.PathLike[str] | SupportsModelDump"
KeepAliveInput: TypeAlias = "float | str | timedelta"
ThinkInput: TypeAlias = "bool | Literal['low', 'medium', 'high', 'max']"
FormatInput: TypeAlias = "Literal['', 'json'] | Mapping[str, Any] | type[msgspec.Struct]"
ToolInput: TypeAlias = "Mapping[str, Any] | Tool | SupportsModelDump | Callable[..., Any]"

_V = typing.TypeVar("_V")

THINK_LEVELS: typing.Final = ("low", "medium", "high", "max")
# Go's time.ParseDuration grammar, which the server uses for string keep_alive values.
_GO_DURATION = re.compile(r"^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$")
# A string ending in one of these that is not a file is a missing file, as in the official
# library; the others only when the string is not base64 either.
_IMAGE_SUFFIXES = frozenset({"png", "jpg", "jpeg", "webp"})
_MORE_IMAGE_SUFFIXES = frozenset({"gif", "bmp", "tif", "tiff", "heic"})
_OPTION_KEYS = frozenset(Options.__struct_encode_fields__)


def require_model(model: object, argument: str = "model") -> str:
    """Return `model` if it is a non-empty string, else raise naming the argument."""
    if not isinstance(model, str):
        raise OllamaRequestError(f"{argument} must be a string, not {type(model).__name__}")
    if not model.strip():
        raise OllamaRequestError(f"{argument} must not be empty: name a model, e.g. 'llama3.2'")
    return model


def encode_image(image: object, argument: str = "images") -> str:
    """Return one image as the base64 string the server expects.

    Strings follow the official library: an existing file is read; a name ending in an image
    suffix that is not a file is an error; anything Python's lenient base64 decoder accepts
    (it skips characters outside the alphabet) is sent as it is, and the server answers a 400
    if it cannot decode it. A `data:` URL is sent without its prefix, which the server cannot
    decode.

    Args:
        image: A path (str or PathLike), raw bytes, or a base64 string.
        argument: The argument name used in error messages.

    Raises:
        OllamaRequestError: A path that does not exist, or a string that is neither an
            existing path nor base64 (where the official library raises too).
    """
    if isinstance(image, (bytes, bytearray, memoryview)):
        return base64.b64encode(cast("bytes", image)).decode("ascii")
    if not isinstance(image, (str, os.PathLike)) and hasattr(type(image), "model_dump"):
        # The official library's `Image(value=...)`: its value is a path, bytes or base64.
        return encode_image(getattr(image, "value", None), argument)
    if isinstance(image, os.PathLike):
        return _read_image(Path(cast("os.PathLike[str]", image)), argument)
    if not isinstance(image, str):
        raise OllamaRequestError(
            f"{argument}: expected a path, bytes or a base64 string, not {type(image).__name__}"
        )
    if image.startswith("data:") and "," in image:
        return _checked_base64(image.split(",", 1)[1], image, argument, may_be_path=False)
    if image and len(image) < MAX_PATH_CHARS:  # Path("") would be the current directory
        path = Path(image)
        try:
            exists = path.exists()
        except (OSError, ValueError):
            exists = False
        if exists:
            return _read_image(path, argument)
        if image.rsplit(".", 1)[-1].lower() in _IMAGE_SUFFIXES:
            raise _not_found(image, argument)
    return _checked_base64(image, image, argument, may_be_path=True)


def _decodes_as_base64(text: str) -> bool:
    """Whether `base64.b64decode` accepts `text` (non-alphabet characters are skipped)."""
    try:
        base64.b64decode(text)
    except (binascii.Error, ValueError):
        return False
    return True


def _checked_base64(data: str, original: str, argument: str, *, may_be_path: bool) -> str:
    if _decodes_as_base64(data):
        return data
    suffix = original.rsplit(".", 1)[-1].lower()
    if may_be_path and (suffix in _MORE_IMAGE_SUFFIXES or os.sep in original):
        raise _not_found(original, argument)
    raise OllamaRequestError(
        f"{argument}: Invalid image data, expected base64 string or path to image file: "
        f"{original[:40]!r} is neither an existing file nor valid base64"
    )


def _not_found(image: str, argument: str) -> OllamaRequestError:
    return OllamaRequestError(
        f"{argument}: image file not found: {image!r} (the file does not exist)"
    )


def _read_image(path: Path, argument: str) -> str:
    try:
        return base64.b64encode(path.read_bytes()).decode("ascii")
    except FileNotFoundError:
        raise _not_found(str(path), argument) from None
    except OSError as exc:
        raise OllamaRequestError(f"{argument}: cannot read image {str(path)!r}: {exc}") from exc


def encode_images(images: object, argument: str = "images") -> list[str] | UnsetType:
    """Encode every image (see `encode_image`); None or empty means "send no images"."""
    if images is None:
        return UNSET
    items = _as_list(images, argument, "a list of images")
    return [encode_image(image, f"{argument}[{i}]") for i, image in enumerate(items)] or UNSET


def _as_list(value: object, argument: str, expected: str) -> list[object]:
    """Accept any sequence except strings, bytes and mappings (a common slip)."""
    kind = _kind(value)
    if isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(value, Sequence):
        raise OllamaRequestError(f"{argument} must be {expected}, not {kind}")
    return list(cast("Sequence[object]", value))


def _kind(value: object) -> str:
    return type(value).__name__


def _as_dict(value: object) -> dict[str, Any]:
    return dict(cast("Mapping[str, Any]", value))


def normalize_input(value: object) -> str | list[str]:
    """Return embed input as a string or a list of strings (the server rejects anything else)."""
    if isinstance(value, str):
        return value
    items = _as_list(value, "input", "a string or a list of strings")
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


def foreign_dump(value: object) -> dict[str, Any] | None:
    """A foreign pydantic model (e.g. the official `ollama.Options`) as a dict, else None."""
    if isinstance(value, msgspec.Struct):
        return None
    dump = getattr(type(value), "model_dump", None)
    if dump is None:
        return None
    return cast("dict[str, Any]", dump(value, by_alias=True, exclude_none=True))


def _fields_of(value: object) -> dict[str, Any] | None:
    """A dict of a mapping or of a foreign model (e.g. `ollama.Message`); None for anything else."""
    if isinstance(value, Mapping):
        return _as_dict(cast(object, value))
    return foreign_dump(value)


def require_text(value: object, argument: str) -> str:
    """Return `value` if it is a non-blank string, else raise naming the argument."""
    if not isinstance(value, str) or not value.strip():
        raise OllamaRequestError(f"{argument} must be a non-empty string, not {value!r}")
    return value


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
    given = {str(k): v for k, v in _as_dict(cast(object, options)).items() if v is not None}
    known = {k: v for k, v in given.items() if k in _OPTION_KEYS}
    try:
        checked = msgspec.convert(known, Options, strict=False)
    except msgspec.ValidationError as exc:
        raise OllamaRequestError(f"options: {_path_message(exc, 'options')}") from exc
    unknown = {k: v for k, v in given.items() if k not in _OPTION_KEYS}
    if not unknown:
        return checked
    for key, value in unknown.items():
        try:
            _ENCODER.encode(value)
        except (TypeError, msgspec.EncodeError) as exc:
            raise OllamaRequestError(
                f"options: the value of the unknown option {key!r} cannot be sent as JSON: {exc}"
            ) from exc
        close = difflib.get_close_matches(key, sorted(_OPTION_KEYS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        log_unknown_value(
            f"unknown option {key!r}{hint} (sent as is)", argument="options", value=key
        )
    # The encoder writes a dict as it is; the field's type only documents the known keys.
    return cast("Options", OptionsWithUnknownKeys({**_builtins_of(checked), **unknown}))


def _path_message(exc: msgspec.ValidationError, root: str) -> str:
    """msgspec names paths like `$.top_k`; say `options.top_k` instead."""
    return str(exc).replace("`$.", f"`{root}.").replace("`$`", f"`{root}`")


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
        return _as_dict(cast(object, fmt))
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
    for i, message in enumerate(_as_list(messages, "messages", "a list of messages")):
        where = f"messages[{i}]"
        if isinstance(message, Message):
            msg = message
            if msg.images:
                encoded = encode_images(msg.images, f"{where}.images")
                msg = msgspec.structs.replace(msg, images=encoded or None)
        elif (fields := _fields_of(message)) is not None:
            if fields.get("images"):
                fields["images"] = encode_images(fields["images"], f"{where}.images")
            try:
                msg = msgspec.convert(fields, Message, strict=False)
            except msgspec.ValidationError as exc:
                raise OllamaRequestError(f"{where}: {_path_message(exc, where)}") from exc
        else:
            raise OllamaRequestError(
                f"{where} must be a dict or Message, not {type(message).__name__}"
            )
        out.append(msg)
    return out


def normalize_tools(tools: object) -> list[Tool] | UnsetType:
    """Return tools as `Tool` structs, from JSON-schema dicts, structs or Python functions."""
    if tools is None:
        return UNSET
    out: list[Tool] = []
    for i, tool in enumerate(_as_list(tools, "tools", "a list of tools")):
        where = f"tools[{i}]"
        if isinstance(tool, Tool):
            out.append(tool)
        elif (fields := _fields_of(tool)) is not None:
            try:
                out.append(msgspec.convert(fields, Tool, strict=False))
            except msgspec.ValidationError as exc:
                raise OllamaRequestError(f"{where}: {_path_message(exc, where)}") from exc
        elif callable(tool):
            out.append(function_to_tool(tool))
        else:
            raise OllamaRequestError(
                f"{where} must be a dict, a Tool or a function, not {type(tool).__name__}"
            )
    return out


# --- Functions as tools ----------------------------------------------------------------

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


def blob_digest(data: bytes) -> str:
    """Return the digest form the server compares byte for byte: `sha256:<lowercase hex>`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def blob_path(digest: object) -> str:
    """Return `/api/blobs/<digest>` for a digest in the exact form the server matches.

    Raises:
        OllamaRequestError: Not `sha256:` followed by 64 lowercase hex digits (the server
            compares the string as is, so `sha256-...` or uppercase would never match).
    """
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise OllamaRequestError(
            f"digest must be 'sha256:' and 64 lowercase hex digits, got {digest!r}"
        )
    return f"/api/blobs/{digest}"


class NotGiven:
    """The type of `NOT_GIVEN`: "use the client's setting", as distinct from `None`.

    `timeout=None` means "no read timeout" and `max_retries=None` means "the default", so a
    third value is needed for "not passed at all" in `with_options`.
    """

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: typing.Final = NotGiven()

_ENCODER: typing.Final = msgspec.json.Encoder()


def _builtins_of(struct: msgspec.Struct) -> dict[str, Any]:
    return cast("dict[str, Any]", msgspec.to_builtins(struct))


def encode_body(request: msgspec.Struct) -> bytes:
    """Encode a request struct (only the fields the caller set) with the shared encoder."""
    return _ENCODER.encode(request)


def unset_if_none(value: _V | None) -> _V | UnsetType:
    """Map the official library's `None` ("not given") to UNSET ("leave out of the JSON")."""
    return UNSET if value is None else value


# --- The service's keyword arguments ---------------------------------------------------

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
        elif name in _OPTION_KEYS:
            options[name] = value
        else:
            close = difflib.get_close_matches(name, sorted(fields | _OPTION_KEYS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"{method}() got an unexpected keyword argument {name!r}{hint}")
    if options:
        request["options"] = options
    return request, options
