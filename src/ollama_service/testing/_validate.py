"""Request validation that mirrors Go's ``encoding/json`` decoding into Ollama's ``api`` structs.

Errors carry the status and message Ollama gives: 400 for a body that does not decode, 500 for
options of the wrong type. What the decoded values mean (``keep_alive``, ``format``, ...) is
``_params``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from ollama_service.testing._fields import KINDS, MESSAGE_FIELDS
from ollama_service.testing._wire import (
    base64_error_offset,
    go_quote,
    json_type_name,
    parse_go_duration,
)

__all__ = [
    "ApiError",
    "as_dict",
    "as_list",
    "check_options",
    "decode",
]

_THINK_LEVELS = frozenset({"high", "medium", "low", "max"})
_THINK_HELP = '(must be "high", "medium", "low", "max", true, or false)'


class ApiError(Exception):
    """An error answered as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def as_dict(value: object) -> dict[str, Any] | None:
    """``value`` if it is a JSON object, else ``None``."""
    return cast("dict[str, Any]", value) if isinstance(value, dict) else None


def as_list(value: object) -> list[object] | None:
    """``value`` if it is a JSON array, else ``None``."""
    return cast("list[object]", value) if isinstance(value, list) else None


# -- request validation, mirroring Go's encoding/json into Ollama's api structs ----------------

_GO_TYPE_NAMES = {
    "string": "string",
    "bool": "bool",
    "int": "int",
    "map": "map[string]interface {}",
    "strmap": "map[string]string",
    "[]int": "[]int",
    "images": "[]api.ImageData",
    "messages": "[]api.Message",
    "tools": "api.Tools",
    "tool_calls": "[]api.ToolCall",
    "license": "string",
}

_INT_OPTIONS = frozenset(
    {
        "num_ctx",
        "num_batch",
        "num_gpu",
        "main_gpu",
        "num_thread",
        "draft_num_predict",
        "num_keep",
        "seed",
        "num_predict",
        "top_k",
        "repeat_last_n",
    }
)
_FLOAT_OPTIONS = frozenset(
    {
        "top_p",
        "min_p",
        "typical_p",
        "temperature",
        "repeat_penalty",
        "presence_penalty",
        "frequency_penalty",
    }
)
_BOOL_OPTIONS = frozenset({"use_mmap"})
_LIST_OPTIONS = frozenset({"stop"})


def _type_error(struct: str, field: str, value: object, kind: str) -> ApiError:
    go_type = _GO_TYPE_NAMES.get(kind, kind)
    value_name = json_type_name(value)
    if isinstance(value, float) and kind == "int":
        value_name = f"number {value!r}"
    return ApiError(
        400,
        f"json: cannot unmarshal {value_name} into Go struct field {struct}.{field} of type {go_type}",
    )


def _go_reflect_type(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, dict):
        return "map[string]interface {}"
    return "string"


def _check_images(value: object, struct: str, field: str) -> None:
    items = as_list(value)
    if items is None:
        raise _type_error(struct, field, value, "images")
    for item in items:
        if item is None:
            continue
        if not isinstance(item, str):
            raise _type_error(struct, field, item, "[]byte")
        offset = base64_error_offset(item)
        if offset is not None:
            raise ApiError(400, f"illegal base64 data at input byte {offset}")


def _check_value(struct: str, field: str, value: object, kind: str) -> None:
    """Raise the 400 Go's decoder would give when ``value`` does not fit ``kind``."""
    ok = True
    if kind == "string":
        ok = isinstance(value, str)
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "map":
        ok = isinstance(value, dict)
    elif kind == "strmap":
        mapping = as_dict(value)
        if mapping is None:
            ok = False
        else:
            for item in mapping.values():
                if item is not None and not isinstance(item, str):
                    raise _type_error(struct, field, item, "string")
    elif kind == "[]int":
        items = as_list(value)
        ok = items is not None and all(
            isinstance(i, int) and not isinstance(i, bool) for i in items
        )
    elif kind == "images":
        _check_images(value, struct, field)
    elif kind == "license":
        items = as_list(value)
        ok = isinstance(value, str) or (
            items is not None and all(isinstance(i, str) for i in items)
        )
    elif kind == "duration":
        if isinstance(value, str):
            try:
                parse_go_duration(value)
            except ValueError as exc:
                raise ApiError(400, str(exc)) from None
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ApiError(400, f"Unsupported type: '{_go_reflect_type(value)}'")
    elif kind == "think":
        if isinstance(value, str):
            if value not in _THINK_LEVELS:
                raise ApiError(400, f"invalid think value: {go_quote(value)} {_THINK_HELP}")
        elif not isinstance(value, bool):
            raise ApiError(400, f"think must be a boolean or string {_THINK_HELP}")
    elif kind == "tools" or kind == "tool_calls":
        items = as_list(value)
        ok = items is not None and all(isinstance(i, dict) or i is None for i in items)
    elif kind == "messages":
        items = as_list(value)
        if items is None:
            ok = False
        else:
            for message in items:
                if message is None:
                    continue
                fields = as_dict(message)
                if fields is None:
                    raise _type_error("ChatRequest", field, message, "api.Message")
                for key, item in fields.items():
                    sub_kind = MESSAGE_FIELDS.get(key)
                    if sub_kind is not None and item is not None:
                        _check_value("Message", f"{field}.{key}", item, sub_kind)
    elif kind not in KINDS:
        raise ValueError(f"unknown field kind {kind!r} for {struct}.{field}")
    # "format" and "embed_input" decode as anything; their endpoints check them.
    if not ok:
        raise _type_error(struct, field, value, kind)


def decode(
    raw: bytes, parsed: Any, json_error: str | None, struct: str, fields: Mapping[str, str]
) -> dict[str, Any]:
    """The JSON object body, checked like Go's ``ShouldBindJSON`` into ``api.<struct>``.

    Args:
        raw: the request body.
        parsed: ``raw`` parsed as JSON (when ``json_error`` is ``None``).
        json_error: Go's message for a body that is not JSON, else ``None``.
        struct: the Go struct name, for error messages.
        fields: JSON key → kind (see ``_fields.KINDS``) for the keys to type-check.
    """
    if not raw.strip():
        raise ApiError(400, "missing request body")
    if json_error is not None:
        raise ApiError(400, json_error)
    body = as_dict(parsed)
    if body is None:
        kind = json_type_name(parsed)
        if kind == "null":
            return {}
        raise ApiError(400, f"json: cannot unmarshal {kind} into Go value of type api.{struct}")
    for key, value in body.items():
        field_kind = fields.get(key)
        if field_kind is not None and value is not None:
            _check_value(struct, key, value, field_kind)
    return body


def check_options(options: object) -> dict[str, Any]:
    """Validate ``options`` like ``api.Options.FromMap`` (errors are 500, as in Ollama)."""
    mapping = as_dict(options)
    if mapping is None:
        return {}
    for key, value in mapping.items():
        if value is None:
            continue
        if key in _INT_OPTIONS and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ApiError(500, f"option {go_quote(key)} must be of type integer")
        if key in _FLOAT_OPTIONS and (
            isinstance(value, bool) or not isinstance(value, (int, float))
        ):
            raise ApiError(500, f"option {go_quote(key)} must be of type float32")
        if key in _BOOL_OPTIONS and not isinstance(value, bool):
            raise ApiError(500, f"option {go_quote(key)} must be of type boolean")
        if key in _LIST_OPTIONS:
            items = as_list(value)
            if items is None:
                raise ApiError(500, f"option {go_quote(key)} must be of type array")
            if not all(isinstance(item, str) for item in items):
                raise ApiError(500, f"option {go_quote(key)} must be of an array of strings")
    return mapping
