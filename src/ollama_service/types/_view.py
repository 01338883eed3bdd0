"""The official-library view of a struct when read: mapping items in the official order,
reprs, `model_dump`, `to_dict` and the JSON Schema.

Pure helpers behind `BaseStruct`, on the per-class `_plan.Plan`; building structs from Python
is `_construct`, the pydantic-shaped class attributes are `_pydantic`.
"""

from __future__ import annotations

from typing import Any, cast

import msgspec

from ollama_service.types._plan import is_set, plan_of

__all__ = ["dump", "items", "json_schema", "render_repr", "render_str", "to_builtins"]


def _as_dict(value: object) -> dict[Any, Any]:
    return cast("dict[Any, Any]", value)


def _as_list(value: object) -> list[Any]:
    return cast("list[Any]", value)


def items(struct: msgspec.Struct) -> list[tuple[str, Any]]:
    """`(name, value)` pairs in the official order, then our extra fields that hold a value."""
    plan = plan_of(type(struct))
    out: list[tuple[str, Any]] = []
    for label, name in plan.view:
        value = getattr(struct, name)
        out.append((label, None if value is msgspec.UNSET else value))
    for name in plan.extras:
        value = getattr(struct, name)
        if is_set(value) and value != plan.default(name):
            out.append((name, value))
    return out


def render_repr(struct: msgspec.Struct) -> str:
    """`Name(a=1, b=None)`, as pydantic's repr."""
    plan = plan_of(type(struct))
    body = ", ".join(f"{k}={v!r}" for k, v in items(struct))
    return f"{plan.class_name}({body})"


def render_str(struct: msgspec.Struct) -> str:
    """`a=1 b=None`, as pydantic's str."""
    return " ".join(f"{k}={v!r}" for k, v in items(struct))


def dump(
    struct: msgspec.Struct,
    *,
    json_mode: bool,
    by_alias: bool,
    exclude_none: bool,
    exclude_defaults: bool,
    include: set[Any] | None = None,
    exclude: set[Any] | None = None,
) -> dict[str, Any]:
    """`model_dump`, recursively."""
    plan = plan_of(type(struct))
    labels = dict(plan.view)
    out: dict[str, Any] = {}
    for label, value in items(struct):
        name = labels.get(label, label)
        if include is not None and label not in include and name not in include:
            continue
        if exclude is not None and (label in exclude or name in exclude):
            continue
        if exclude_none and value is None:
            continue
        if exclude_defaults and value == plan.default(name):
            continue
        key = plan.encode[name] if by_alias else plan.dump_keys.get(label, label)
        out[key] = _dump_value(value, json_mode, by_alias, exclude_none, exclude_defaults)
    return out


def _dump_value(
    value: object, json_mode: bool, by_alias: bool, exclude_none: bool, exclude_defaults: bool
) -> Any:
    if isinstance(value, msgspec.Struct):
        if hasattr(value, "model_dump"):
            return dump(
                value,
                json_mode=json_mode,
                by_alias=by_alias,
                exclude_none=exclude_none,
                exclude_defaults=exclude_defaults,
            )
        return msgspec.to_builtins(value)
    if isinstance(value, (list, tuple)):
        sequence = _as_list(cast(object, value))
        return [
            _dump_value(v, json_mode, by_alias, exclude_none, exclude_defaults) for v in sequence
        ]
    if isinstance(value, dict):
        mapping = _as_dict(cast(object, value))
        return {
            k: _dump_value(v, json_mode, by_alias, exclude_none, exclude_defaults)
            for k, v in mapping.items()
        }
    if json_mode and not isinstance(value, (str, int, float, bool, type(None))):
        return msgspec.to_builtins(value)
    return value


def to_builtins(struct: msgspec.Struct) -> dict[str, Any]:
    """Every set field as JSON-ready builtins, keyed by JSON names (`to_dict`)."""
    plan = plan_of(type(struct))
    out: dict[str, Any] = {plan.tag[0]: plan.tag[1]} if plan.tag else {}
    for f in plan.fields:
        value = getattr(struct, f.name)
        if is_set(value):
            out[f.encode_name] = _builtins(value)
    return out


def _builtins(value: object) -> Any:
    if isinstance(value, msgspec.Struct) and hasattr(value, "to_dict"):
        return to_builtins(value)
    if isinstance(value, list):
        sequence = _as_list(cast(object, value))
        return [_builtins(v) for v in sequence]
    if isinstance(value, dict):
        mapping = _as_dict(cast(object, value))
        return {k: _builtins(v) for k, v in mapping.items()}
    return msgspec.to_builtins(value)


def json_schema(cls: type) -> dict[str, Any]:
    """msgspec's JSON Schema of `cls` with the top-level `$ref` inlined."""
    schema: dict[str, Any] = msgspec.json.schema(cls)
    defs: dict[str, Any] = dict(schema.pop("$defs", {}))
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        schema = dict(defs.pop(ref.removeprefix("#/$defs/")))
    if defs:
        schema["$defs"] = defs
    return schema
