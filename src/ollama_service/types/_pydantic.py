"""The pydantic-shaped class attributes of a struct: `model_fields` and the
`__pydantic_serializer__` pydantic looks for on values it does not know.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, Union

import msgspec

from ollama_service.types._plan import plan_of

__all__ = ["FieldInfo", "ModelFields", "PydanticSerializer"]


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
            plan = plan_of(owner)
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
