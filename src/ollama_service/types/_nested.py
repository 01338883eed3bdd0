"""How values built in Python become struct fields: the type-directed pass before conversion.

Pure helpers behind `_construct.prepare_kwargs`: which field types need nested values converted,
the tag of a tagged-union branch, and `plain`, which turns foreign models into dicts and drops
None ("not given") only where a dict becomes a struct, following the field's type (a tagged
union's branch by its tag).
"""

from __future__ import annotations

import datetime
import types
import typing
from collections.abc import Mapping
from typing import Any, Final, Union, cast

import msgspec

__all__ = ["convertible", "needs_conversion", "plain", "struct_names", "tag_of"]

_CONTAINERS: Final = (dict, list, tuple, str)


def needs_conversion(tp: Any) -> bool:
    """Whether values of this type may arrive as dicts/lists/strings that must be converted."""
    if tp is datetime.datetime:
        return True
    if isinstance(tp, type):
        return issubclass(tp, msgspec.Struct)
    return any(needs_conversion(arg) for arg in typing.get_args(tp))


def struct_names(tp: Any) -> set[str]:
    """The names of the Struct classes in a (union) type."""
    if isinstance(tp, type):
        return {tp.__name__} if issubclass(tp, msgspec.Struct) else set()
    return {name for arg in typing.get_args(tp) for name in struct_names(arg)}


def tag_of(cls: type) -> tuple[str, str] | None:
    """A tagged-union branch's `(tag field, tag)`, else None."""
    config = cast("type[msgspec.Struct]", cls).__struct_config__
    if config.tag_field is None or not isinstance(config.tag, str):
        return None
    return config.tag_field, config.tag


def plain(value: object, tp: Any = Any) -> Any:
    """Turn foreign models (pydantic, e.g. `ollama.Message`) into dicts, guided by the type.

    A dict that becomes a struct loses its None values (the official "not given"); a dict that
    stays a dict (`dict[str, str | None]`, `dict[str, Any]`) keeps them, as pydantic does.
    """
    if isinstance(value, msgspec.Struct):
        return value
    if isinstance(value, dict):
        mapping = cast("dict[Any, Any]", cast(object, value))
        struct = _struct_for(tp, mapping)
        if struct is None:
            inner = _item_type(tp, dict)
            return {k: plain(v, inner) for k, v in mapping.items()}
        types_by_key = _field_types(struct)
        return {k: plain(v, types_by_key.get(k, Any)) for k, v in mapping.items() if v is not None}
    if isinstance(value, (list, tuple)):
        inner = _item_type(tp, list)
        return [plain(v, inner) for v in cast("list[Any]", value)]
    dump = getattr(type(value), "model_dump", None)
    if dump is not None:
        return plain(dump(value, by_alias=True, exclude_none=True), tp)
    return value


def _members(tp: Any) -> tuple[Any, ...]:
    """The members of a union (or the type itself)."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        return typing.get_args(tp)
    return (tp,)


def _struct_for(tp: Any, mapping: Mapping[Any, Any]) -> type | None:
    """The struct a dict becomes: the one struct of `tp`, or the tagged branch it names."""
    structs = [m for m in _members(tp) if isinstance(m, type) and issubclass(m, msgspec.Struct)]
    if len(structs) == 1:
        return structs[0]
    for struct in structs:
        tag = tag_of(struct)
        if tag is not None and mapping.get(tag[0]) == tag[1]:
            return struct
    return None  # an unknown tag: msgspec names it


def _item_type(tp: Any, container: type) -> Any:
    """`V` of the first `dict[K, V]` (or `T` of `list[T]`) in `tp`, else Any."""
    for member in _members(tp):
        origin = typing.get_origin(member)
        args = typing.get_args(member)
        if isinstance(origin, type) and issubclass(origin, container) and args:
            return args[-1]
    return Any


def _field_types(struct: type) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in msgspec.structs.fields(cast("type[msgspec.Struct]", struct)):
        out[f.name] = out[f.encode_name] = f.type
    return out


def convertible(value: object) -> bool:
    # Exact builtin types only: a dict subclass is a value someone already prepared (such as
    # options with keys our spec does not know), and is stored as it is.
    return type(value) in _CONTAINERS or hasattr(type(value), "model_dump")
