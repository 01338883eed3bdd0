"""Structs built from Python as pydantic builds models: keyword arguments by any of a field's
names, nested values converted, `model_validate` and `model_copy`.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from typing import Any, cast

import msgspec

from ollama_service.types._nested import convertible, plain
from ollama_service.types._plan import plan_of

__all__ = ["copy_struct", "prepare_kwargs", "validate"]


def _as_dict(value: object) -> dict[Any, Any]:
    return cast("dict[Any, Any]", value)


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
    plan = plan_of(cls)
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
