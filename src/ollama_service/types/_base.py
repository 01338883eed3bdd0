"""Hand-written foundations of the generated types: the base struct and `Operation`.

Code written against the official `ollama` library (pydantic models) or plain dicts reads
responses as mappings (`resp["message"]["content"]`, `"total" in progress`,
`progress.get("status")`, `dict(resp)`), assigns into them (`resp["message"]["content"] = ...`),
calls pydantic methods on them (`model_dump()`, `model_copy()`, `model_validate()`) and builds
them from nested dicts in its tests (`ChatResponse(message={"role": "assistant", ...})`). The
base class keeps all of that working on msgspec Structs, with the official library's
semantics (see `docs/migrating-from-ollama-python.md`). Decoding does not go through any of
it: the nested-dict conversion runs only for structs built in Python, in the metaclass.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar, overload

import msgspec

from ollama_service.types import _construct, _plan, _pydantic, _view
from ollama_service.types._official import MAPPING_OR_MODEL, OFFICIAL_VIEW

__all__ = ["BaseStruct", "Operation"]

_T = TypeVar("_T")
_D = TypeVar("_D")
_S = TypeVar("_S", bound="BaseStruct")


class _StructMeta(msgspec.StructMeta):
    """Converts nested dicts, lists and foreign models in keyword arguments, as pydantic does.

    Only construction from Python passes through here; msgspec's decoders build instances
    directly, so decoding speed is untouched.
    """

    def __call__(cls: type[_T], *args: Any, **kwargs: Any) -> _T:
        if kwargs:
            kwargs = _construct.prepare_kwargs(cls, kwargs)
        instance: _T = super().__call__(*args, **kwargs)  # type: ignore[misc]
        return instance


class BaseStruct(msgspec.Struct, kw_only=True, omit_defaults=True, metaclass=_StructMeta):
    """Base of every generated struct: keyword-only, compact on the wire, readable as a mapping.

    Mapping access follows the official library's models: `s[key]` returns a field that is
    set (not None) and raises `KeyError` otherwise, `key in s` says which, `s.get(key)` returns
    the attribute (None included), `dict(s)` has every field, and `s[key] = value` assigns.
    Keys are the official field names, our Python names or the JSON names.
    """

    __aliases__: ClassVar[dict[str, str]] = {}

    # --- Mapping view -------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        """Return the field named `key` when it is set.

        Raises:
            KeyError: `key` is not a field, or the field is None.
        """
        value = getattr(self, _plan.python_name(type(self), key), None)
        if not _plan.is_set(value):
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        """Assign the field named `key` (as `setattr`, without validation, as pydantic does).

        Raises:
            ValueError: `key` is not a field of this struct (pydantic raises the same).
        """
        name = _plan.python_name(type(self), key)
        if name == _plan.NO_FIELD:
            raise ValueError(f"{type(self).__name__!r} object has no field {key!r}")
        setattr(self, name, value)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        return _plan.is_set(getattr(self, _plan.python_name(type(self), key), None))

    @overload
    def get(self, key: str) -> Any | None: ...
    @overload
    def get(self, key: str, default: _D) -> Any | _D: ...
    def get(self, key: str, default: object = None) -> Any:
        """Return the field's value (None included, as the official models do), else `default`."""
        name = _plan.python_name(type(self), key)
        if name == _plan.NO_FIELD:
            return default
        value = getattr(self, name)
        return default if value is msgspec.UNSET else value

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        """Yield `(name, value)` for every field, as a pydantic model does (so `dict(s)` works)."""
        return iter(_view.items(self))

    def to_dict(self) -> dict[str, Any]:
        """Return the set fields as plain JSON-ready builtins, keyed by their JSON names."""
        return _view.to_builtins(self)

    def __repr__(self) -> str:
        return _view.render_repr(self)

    def __str__(self) -> str:
        return _view.render_str(self)

    # --- The pydantic methods downstream code calls -----------------------------------------

    def model_dump(
        self,
        *,
        mode: str = "python",
        include: Any = None,
        exclude: Any = None,
        by_alias: bool | None = None,
        exclude_unset: bool = False,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        round_trip: bool = False,
        warnings: bool | str = True,
        **_: Any,
    ) -> dict[str, Any]:
        """Return the struct as a dict of builtins, like pydantic's `model_dump`.

        Args:
            mode: `"python"` keeps datetimes; `"json"` makes everything JSON-ready.
            include: Field names to keep (a set, or a dict whose keys are names).
            exclude: Field names to drop.
            by_alias: Key by JSON names (`model_info`, `$defs`) instead of Python names.
            exclude_unset: Drop fields that are not set (None, or not given).
            exclude_defaults: Drop fields equal to their default.
            exclude_none: Drop fields that are None, at every level.
            round_trip: Accepted for compatibility; has no effect.
            warnings: Accepted for compatibility; has no effect.
        """
        del round_trip, warnings
        return _view.dump(
            self,
            json_mode=mode == "json",
            by_alias=bool(by_alias),
            exclude_none=exclude_none or exclude_unset,
            exclude_defaults=exclude_defaults,
            include=None if include is None else set(include),
            exclude=None if exclude is None else set(exclude),
        )

    def model_dump_json(
        self,
        *,
        indent: int | None = None,
        include: Any = None,
        exclude: Any = None,
        by_alias: bool | None = None,
        exclude_unset: bool = False,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        **_: Any,
    ) -> str:
        """Return the struct as a JSON string, like pydantic's `model_dump_json` (compact, UTF-8)."""
        data = self.model_dump(
            mode="json",
            include=include,
            exclude=exclude,
            by_alias=by_alias,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
        )
        encoded = msgspec.json.encode(data)
        if indent is not None:
            encoded = msgspec.json.format(encoded, indent=indent)
        return encoded.decode("utf-8")

    def model_copy(self: _S, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> _S:
        """Return a copy, with `update` applied (shallow unless `deep`), like pydantic's."""
        struct: _S = _construct.copy_struct(self, update, deep=deep)
        return struct

    @classmethod
    def model_validate(cls: type[_S], obj: Any, **_: Any) -> _S:
        """Build the struct from a dict (nested dicts included), a struct, or any model.

        Raises:
            msgspec.ValidationError: A value has the wrong type (the message names its path).
        """
        struct: _S = _construct.validate(cls, obj)
        return struct

    @classmethod
    def model_validate_json(cls: type[_S], json_data: str | bytes, **_: Any) -> _S:
        """Decode a JSON document into the struct (msgspec's typed decoder)."""
        struct: _S = msgspec.json.decode(json_data, type=cls)
        return struct

    @classmethod
    def model_construct(cls: type[_S], **values: Any) -> _S:
        """Build the struct from keyword arguments (as the constructor does)."""
        return cls(**values)

    @classmethod
    def model_json_schema(cls, **_: Any) -> dict[str, Any]:
        """The struct's JSON Schema, with the struct itself at the top (as pydantic's)."""
        return _view.json_schema(cls)

    @property
    def model_fields_set(self) -> set[str]:
        """Names of the fields that hold a value (not None)."""
        return {name for name, value in _view.items(self) if _plan.is_set(value)}

    model_fields: ClassVar[_pydantic.ModelFields] = _pydantic.ModelFields()
    """`{name: FieldInfo}` of the class, each with `.annotation`, `.default` and `.alias`."""

    __pydantic_serializer__: ClassVar[_pydantic.PydanticSerializer] = _pydantic.PydanticSerializer()
    """Lets pydantic models that hold our structs (in `Any` fields) serialize them."""


@dataclass(frozen=True, slots=True)
class Operation(Generic[_T]):
    """What the client needs to know about one endpoint, generated from the spec.

    Attributes:
        name: The operationId.
        method: HTTP method.
        path: Path template, e.g. `/api/blobs/{digest}`.
        idempotent: Whether repeating it after an ambiguous failure is harmless.
        decoder: The reusable typed decoder of its JSON reply, or None when there is no body.
        stream_field: The request field that switches NDJSON streaming, if it streams.
        stream_default: What the server does when that field is absent.
        terminal_field: The field of the final stream item that marks the end...
        terminal_value: ...and the value it has there.
        empty_body: Success replies carry no body: the call's result is `empty_result`.
        empty_result: What a call returns for a success without a body (the spec's
            `x-client-returns`, e.g. `StatusResponse(status="success")` for copy and delete).
        max_retries: This operation's own retry budget (retries after the first attempt) while
            the caller sets no `max_retries`, e.g. 1 for pull; None: the client's.
        affinity: The request fields or path parameters whose first set value is the routing
            key of the affinity header (see `ollama_service._affinity`); empty: no header.
        genai_operation: `gen_ai.operation.name` of its telemetry span (`chat`,
            `text_completion`, `embeddings`, or our name for a model-management call); None
            means the operationId.
        web: Served by ollama.com (the client's web base URL), not by the Ollama server.
    """

    name: str
    method: str
    path: str
    idempotent: bool
    decoder: msgspec.json.Decoder[_T] | None
    stream_field: str | None = None
    stream_default: bool | None = None
    terminal_field: str | None = None
    terminal_value: object = None
    empty_body: bool = False
    empty_result: _T | None = None
    affinity: tuple[str, ...] = ()
    genai_operation: str | None = None
    web: bool = False
    max_retries: int | None = None

    def streams(self, request: msgspec.Struct) -> bool:
        """Whether this request asks for an NDJSON stream (its stream field, or the server's
        default when the field is unset); False for an operation that never streams."""
        if self.stream_field is None:
            return False
        value = getattr(request, self.stream_field, msgspec.UNSET)
        if value is msgspec.UNSET or value is None:
            return bool(self.stream_default)
        return bool(value)


_plan.register_view_table(OFFICIAL_VIEW, MAPPING_OR_MODEL)
