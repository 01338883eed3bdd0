"""How each struct class shows in the official-library view: its `Plan`, built once on first
use. Which keys name which field (Python, JSON, alias and official names), the order and
class name the official library shows, which fields need nested values converted when built
from Python, and which fields mean "not given" when they are None.
"""

from __future__ import annotations

import dataclasses
import keyword
from collections.abc import Mapping
from typing import Any, Final, cast

import msgspec

from ollama_service.types._nested import needs_conversion, struct_names, tag_of

__all__ = ["NO_FIELD", "Plan", "is_set", "plan_of", "python_name", "register_view_table"]

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
class Plan:
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


_PLANS: dict[type, Plan] = {}


def plan_of(cls: type) -> Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _build_plan(cls)
    return plan


def _build_plan(cls: type) -> Plan:
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
    return Plan(
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
    return plan_of(cls).names.get(key, NO_FIELD)
