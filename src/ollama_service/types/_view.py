"""The official-library view of a struct: names, order, mapping access, dumps and reprs.

Pure helpers behind `BaseStruct`. Each struct class gets a `_Plan`, built once on first use:
which keys name which field (Python, JSON, alias and official names), the order and class name
the official library shows, which fields need nested values converted when built from Python,
and which fields mean "not given" when they are None.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import keyword
import types
import typing
from collections.abc import Mapping
from typing import Any, Final, Literal, Union, cast

import msgspec

from ollama_service.types._nested import (
    convertible,
    needs_conversion,
    plain,
    struct_names,
    tag_of,
)

__all__ = [
    "NO_FIELD",
    "FieldInfo",
    "ModelFields",
    "PydanticSerializer",
    "copy_struct",
    "dump",
    "is_set",
    "items",
    "json_schema",
    "prepare_kwargs",
    "python_name",
    "register_view_table",
    "render_repr",
    "render_str",
    "to_builtins",
    "validate",
]

NO_FIELD: Final = "\0"
"""What `python_name` returns for a key that names no field (no struct has such a field)."""

_VIEW_TABLE: dict[str, tuple[str, tuple[str, ...]]] = {}
_MAPPING_TYPES: set[str] = set()


def register_view_table(
    table: Mapping[str, tuple[str, tuple[str, ...]]], mapping_types: frozenset[str] = frozenset()
) -> None:
    """Install the official names and orders (`_official.OFFICIAL_VIEW`), and the structs
    that request fields keep as the dict they were given (`_official.MAPPING_OR_MODEL`)."""
    _VIEW_TABLE.update(table)
    _MAPPING_TYPES.update(mapping_types)


def is_set(value: object) -> bool:
    """Whether a field value counts as present: not None and not UNSET."""
    return value is not None and value is not msgspec.UNSET


@dataclasses.dataclass(frozen=True, slots=True)
class FieldInfo:
    """The parts of pydantic's `FieldInfo` that code reads from `Model.model_fields`."""

    annotation: Any
    default: Any
    alias: str | None
    required: bool

    def is_required(self) -> bool:
        """Whether the constructor needs this field."""
        return self.required


@dataclasses.dataclass(frozen=True, slots=True)
class _Plan:
    names: dict[str, str]
    encode: dict[str, str]
    dump_keys: dict[str, str]
    view: tuple[tuple[str, str], ...]
    extras: tuple[str, ...]
    class_name: str
    coerce: dict[str, Any]
    unset: frozenset[str]
    keep_mappings: frozenset[str]
    forbid_unknown: bool
    fields: tuple[msgspec.structs.FieldInfo, ...]
    # A tagged-union branch's (tag field, tag): a class attribute, read like a field.
    tag: tuple[str, str] | None = None

    def default(self, name: str) -> Any:
        for f in self.fields:
            if f.name == name:
                if f.default_factory is not msgspec.NODEFAULT:
                    return f.default_factory()
                return None if f.default in (msgspec.NODEFAULT, msgspec.UNSET) else f.default
        return None


_PLANS: dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _build_plan(cls)
    return plan


def _build_plan(cls: type) -> _Plan:
    fields = msgspec.structs.fields(cast("type[msgspec.Struct]", cls))
    tag = tag_of(cls)
    py_names = ([tag[0]] if tag else []) + [f.name for f in fields]
    names: dict[str, str] = {}
    for f in fields:
        names[f.encode_name] = f.name
    aliases = cast("dict[str, str]", getattr(cls, "__aliases__", {}))
    names.update(aliases)
    names.update({n: n for n in py_names})
    official = _VIEW_TABLE.get(cls.__name__)
    if official is None:
        class_name, view = cls.__name__, tuple((n, n) for n in py_names)
    else:
        class_name = official[0]
        view = tuple((label, names.get(label, NO_FIELD)) for label in official[1])
        view = tuple((label, py) for label, py in view if py != NO_FIELD)
    shown = {py for _, py in view}
    unset = frozenset(f.name for f in fields if f.default is msgspec.UNSET)
    encode = {f.name: f.encode_name for f in fields}
    if tag:
        encode = {tag[0]: tag[0], **encode}
    return _Plan(
        names=names,
        encode=encode,
        dump_keys={
            f.name: f.encode_name
            for f in fields
            if keyword.iskeyword(f.encode_name) and f.name == f"{f.encode_name}_"
        },
        view=view,
        extras=tuple(n for n in py_names if n not in shown),
        class_name=class_name,
        coerce={f.name: f.type for f in fields if needs_conversion(f.type)},
        unset=unset,
        keep_mappings=frozenset(
            f.name for f in fields if f.name in unset and struct_names(f.type) & _MAPPING_TYPES
        ),
        forbid_unknown=bool(unset),
        fields=fields,
        tag=tag,
    )


def python_name(cls: type, key: str) -> str:
    """The Python name of the field `key` names (any of its names), else `NO_FIELD`."""
    return _plan(cls).names.get(key, NO_FIELD)


# --- Construction from Python ------------------------------------------------------------


def _as_dict(value: object) -> dict[Any, Any]:
    return cast("dict[Any, Any]", value)


def _as_list(value: object) -> list[Any]:
    return cast("list[Any]", value)


def prepare_kwargs(cls: type, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Map keyword arguments to fields and convert nested values, as pydantic would.

    Official and JSON names are accepted; None means "not given" for request fields; nested
    dicts, lists and foreign models become structs; a string becomes a datetime where one is
    expected. Unknown names are ignored on response structs (pydantic's default) and an error
    on request structs, where they would be silently lost.

    Raises:
        TypeError: An unknown keyword on a request struct (with the closest name).
        msgspec.ValidationError: A nested value has the wrong shape (the message names it).
    """
    plan = _plan(cls)
    out: dict[str, Any] = {}
    for key, value in kwargs.items():
        name = plan.names.get(key)
        if name is None:
            if plan.forbid_unknown:
                close = difflib.get_close_matches(key, list(plan.encode), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise TypeError(
                    f"{cls.__name__}() got an unexpected keyword argument {key!r}{hint}"
                )
            continue
        if plan.tag is not None and name == plan.tag[0]:
            if value is not None and value != plan.tag[1]:
                raise msgspec.ValidationError(
                    f"{cls.__name__}.{name} is always {plan.tag[1]!r}, got {value!r}"
                )
            continue
        if value is None and name in plan.unset:
            continue
        if name in plan.keep_mappings and type(value) is dict:
            # The official request models take `Mapping | Options` and keep the mapping: its
            # keys are sent as they are (newer servers know options we do not).
            out[name] = {k: v for k, v in _as_dict(cast(object, value)).items() if v is not None}
            continue
        if name in plan.coerce and convertible(value):
            try:
                value = msgspec.convert(
                    plain(value, plan.coerce[name]),
                    plan.coerce[name],
                    strict=False,
                    from_attributes=True,
                )
            except msgspec.ValidationError as exc:
                where = str(exc).replace("`$", f"`{cls.__name__}.{name}")
                raise msgspec.ValidationError(
                    where if where != str(exc) else f"{name}: {exc}"
                ) from exc
        out[name] = value
    return out


def validate(cls: type[Any], obj: object) -> Any:
    """`model_validate`: build `cls` from a mapping, a struct or a foreign model."""
    if isinstance(obj, cls):
        return obj
    if isinstance(obj, msgspec.Struct):
        obj = msgspec.structs.asdict(obj)
    elif not isinstance(obj, Mapping):
        dump = getattr(type(obj), "model_dump", None)
        if dump is None:
            raise msgspec.ValidationError(
                f"{cls.__name__}.model_validate expects a dict or a model, not {type(obj).__name__}"
            )
        obj = dump(obj, by_alias=True, exclude_none=True)
    return cls(**{str(k): v for k, v in cast("Mapping[Any, Any]", obj).items()})


def copy_struct(struct: Any, update: Mapping[str, Any] | None, *, deep: bool) -> Any:
    """`model_copy`: a shallow (or deep) copy with some fields replaced, unvalidated."""
    result = copy.deepcopy(struct) if deep else copy.copy(struct)
    for key, value in (update or {}).items():
        result[key] = value
    return result


# --- Reading -------------------------------------------------------------------------------


def items(struct: msgspec.Struct) -> list[tuple[str, Any]]:
    """`(name, value)` pairs in the official order, then our extra fields that hold a value."""
    plan = _plan(type(struct))
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
    plan = _plan(type(struct))
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
    plan = _plan(type(struct))
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
    plan = _plan(type(struct))
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


class PydanticSerializer:
    """Descriptor behind `Struct.__pydantic_serializer__`, built on first access.

    pydantic serializes a value of unknown type (in a field typed `Any` or `dict[str, Any]`,
    such as llama-index's `ChatResponse.raw`) only if it carries `__pydantic_serializer__`,
    as pydantic models do; ours serializes a struct as its `model_dump()`. pydantic-core is
    imported here, never at package import.
    """

    def __init__(self) -> None:
        self._serializer: Any = None

    def __get__(self, instance: object, owner: type) -> Any:
        if self._serializer is None:
            from pydantic_core import SchemaSerializer, core_schema

            def serialize(value: Any, info: core_schema.SerializationInfo) -> Any:
                return value.model_dump(
                    mode="json" if info.mode == "json" else "python",
                    by_alias=bool(info.by_alias),
                    exclude_none=info.exclude_none,
                )

            self._serializer = SchemaSerializer(
                core_schema.any_schema(
                    serialization=core_schema.plain_serializer_function_ser_schema(
                        serialize, info_arg=True
                    )
                )
            )
        return self._serializer


class ModelFields:
    """Descriptor behind `Struct.model_fields`: `{name: FieldInfo}`, built once per class."""

    def __init__(self) -> None:
        self._cache: dict[type, dict[str, FieldInfo]] = {}

    def __get__(self, instance: object, owner: type) -> dict[str, FieldInfo]:
        cached = self._cache.get(owner)
        if cached is None:
            plan = _plan(owner)
            hints = {f.name: f for f in plan.fields}
            cached = {}
            for label, name in [*plan.view, *((n, n) for n in plan.extras)]:
                if plan.tag is not None and name == plan.tag[0]:
                    tag = plan.tag[1]
                    cached[label] = FieldInfo(Literal[tag], tag, None, required=False)
                    continue
                f = hints[name]
                required = f.required
                cached[label] = FieldInfo(
                    annotation=_strip_unset(f.type),
                    default=None if required else plan.default(name),
                    alias=f.encode_name if f.encode_name != label else None,
                    required=required,
                )
            self._cache[owner] = cached
        return cached


def _strip_unset(tp: Any) -> Any:
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (Union, types.UnionType) and msgspec.UnsetType in args:
        result: Any = None
        for member in (a for a in args if a is not msgspec.UnsetType):
            result = member if result is None else result | member
        return result | None
    return tp
