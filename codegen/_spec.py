"""Load the OpenAPI document and reduce it to a small intermediate representation (IR).

The IR holds only what the renderers need: structs with typed fields, named unions, and
operations with the vendor extensions documented in `openapi/README.md`. Anything the
generator does not understand is an error that names the schema and property, so a spec
change can never be silently dropped.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from codegen._headers import sha256_text

REF_PREFIX = "#/components/schemas/"
# Names the mapping-style base class defines; a field with one of these names would shadow it.
RESERVED_FIELD_NAMES = frozenset(
    {"get", "keys", "to_dict", "model_dump", "model_dump_json", "model_copy", "model_fields"}
)
HTTP_METHODS = ("get", "head", "post", "put", "patch", "delete")


class SpecError(Exception):
    """The document uses something the generator cannot express."""


@dataclass(frozen=True)
class FieldIR:
    json_name: str
    py_name: str
    type_expr: str
    required: bool
    nullable: bool
    description: str
    zero: str | None
    server_default: Any = None
    deprecated: bool = False
    alias: str | None = None
    # `x-send-default: true`: the client fills in `default:` and always sends it.
    sends_default: bool = False


@dataclass(frozen=True)
class TagIR:
    """The tag of a tagged-union branch: msgspec's `tag_field` and `tag` (`type: "choice"`)."""

    json_name: str
    value: str
    description: str


@dataclass(frozen=True)
class StructIR:
    name: str
    description: str
    is_request: bool
    fields: tuple[FieldIR, ...]
    client_side: bool = False
    nested: tuple[tuple[str, str], ...] = ()
    tag: TagIR | None = None


@dataclass(frozen=True)
class AliasIR:
    name: str
    type_expr: str
    description: str


@dataclass(frozen=True)
class OperationIR:
    operation_id: str
    method: str
    path: str
    summary: str
    idempotent: bool
    request_schema: str | None
    response_schema: str | None
    stream_field: str | None = None
    stream_default: bool | None = None
    terminal_field: str | None = None
    terminal_value: Any = None
    empty_body: bool = False
    raw_body: bool = False
    deprecated: bool = False
    affinity: tuple[str, ...] = ()
    genai_operation: str | None = None
    web: bool = False
    max_retries: int | None = None
    empty_result: dict[str, Any] | None = None
    # `x-python-method`, as written; codegen/_client.py checks and renders it.
    python: dict[str, Any] | None = None


@dataclass
class SpecIR:
    source: str
    digest: str
    title: str
    version: str
    structs: list[StructIR] = field(default_factory=list[StructIR])
    aliases: list[AliasIR] = field(default_factory=list[AliasIR])
    operations: list[OperationIR] = field(default_factory=list[OperationIR])


def _obj(value: object) -> dict[str, Any]:
    """YAML mappings as typed dicts (absent or null → empty)."""
    return cast(dict[str, Any], value) if isinstance(value, dict) else {}


def python_name(json_name: str) -> str:
    """Turn a JSON key into a Python identifier: `from` → `from_`, `$defs` → `defs`."""
    name = re.sub(r"\W", "_", json_name.lstrip("_$"))
    if not name or name[0].isdigit():
        name = f"f_{name}"
    if keyword.iskeyword(name):
        name += "_"
    return name


def first_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _ref_name(ref: str, where: str) -> str:
    if not ref.startswith(REF_PREFIX):
        raise SpecError(f"{where}: unsupported $ref {ref!r}; only {REF_PREFIX}* is allowed")
    return ref[len(REF_PREFIX) :]


def _literal(values: list[Any]) -> str:
    return "Literal[" + ", ".join(repr(v) for v in values) + "]"


def _union(parts: list[str]) -> str:
    seen: list[str] = []
    for part in parts:
        if part not in seen:
            seen.append(part)
    return " | ".join(seen)


class _TypeResolver:
    def __init__(
        self, schemas: dict[str, Any], tagged_unions: frozenset[str] = frozenset()
    ) -> None:
        self.schemas = schemas
        self.tagged_unions = tagged_unions

    def is_struct(self, name: str) -> bool:
        schema = self.schemas[name]
        return "oneOf" not in schema and "anyOf" not in schema

    def resolve(self, schema: Any, where: str) -> tuple[str, bool]:
        """Return (python type expression, whether None is part of it)."""
        if schema is True or schema == {}:
            return "Any", True
        if not isinstance(schema, dict):
            raise SpecError(f"{where}: schema must be a mapping")
        schema = cast(dict[str, Any], schema)
        if "$ref" in schema:
            name = _ref_name(schema["$ref"], where)
            if name not in self.schemas:
                raise SpecError(f"{where}: $ref to unknown schema {name!r}")
            return name, False
        if "discriminator" in schema and where not in self.tagged_unions:
            raise SpecError(f"{where}: a discriminated union must be a named component schema")
        for key in ("oneOf", "anyOf"):
            if key in schema:
                members = [
                    self.resolve(s, f"{where}.{key}[{i}]") for i, s in enumerate(schema[key])
                ]
                structs = [t for t, _ in members if t in self.schemas and self.is_struct(t)]
                if len(structs) > 1 and where not in self.tagged_unions:
                    raise SpecError(
                        f"{where}: a union of several object schemas ({', '.join(structs)}) "
                        "needs a `discriminator` (msgspec decodes only tagged unions of structs)"
                    )
                nullable = any(n for _, n in members)
                return _union([t for t, _ in members]), nullable
        if "const" in schema:
            return _literal([schema["const"]]), schema["const"] is None
        types = schema.get("type")
        if types is None:
            return "Any", True
        if isinstance(types, list):
            type_list = cast(list[str], types)
            parts = [self._single({**schema, "type": t}, where) for t in type_list if t != "null"]
            return _union(parts) + (" | None" if "null" in type_list else ""), "null" in type_list
        return self._single(schema, where), False

    def _single(self, schema: dict[str, Any], where: str) -> str:
        kind = schema["type"]
        if "enum" in schema:
            return _literal([v for v in schema["enum"] if v is not None])
        if kind == "string":
            # Dates decode natively (msgspec parses RFC 3339 in C); `x-python-type: str` keeps
            # one a string where the official library has a string.
            if schema.get("format") == "date-time" and schema.get("x-python-type") != "str":
                return "datetime"
            return "str"
        if kind == "integer":
            return "int"
        if kind == "number":
            return "float"
        if kind == "boolean":
            return "bool"
        if kind == "null":
            return "None"
        if kind == "array":
            items = schema.get("items")
            inner = "Any" if items is None else self.resolve(items, f"{where}.items")[0]
            return f"list[{inner}]"
        if kind == "object":
            if schema.get("properties"):
                raise SpecError(f"{where}: inline object with properties; make it a component")
            extra = schema.get("additionalProperties", True)
            if extra is True or extra == {}:
                return "dict[str, Any]"
            if extra is False:
                raise SpecError(f"{where}: closed empty object")
            return f"dict[str, {self.resolve(extra, f'{where}.additionalProperties')[0]}]"
        raise SpecError(f"{where}: unsupported type {kind!r}")

    def zero(self, type_expr: str, schema: dict[str, Any]) -> str | None:
        """The default of a field the server always sends (None: keep it required).

        Only "empty" values qualify (`""`, 0, false, [], {}), because structs are encoded with
        `omit_defaults`: a default is left out of the JSON, and the server reads an absent key as
        exactly these empty values. A meaningful value (`role: "assistant"`, `type: "function"`)
        must never be a default, or it would silently vanish from requests. A struct-typed
        field gets an instance built from the property's `default` object when its struct has
        required fields of its own.
        """
        simple = {"str": '""', "int": "0", "float": "0.0", "bool": "False"}
        if type_expr in simple:
            return simple[type_expr]
        # The parametrised type itself is the factory (`list[Tensor]()` is `[]`), so type
        # checkers see the element type; a literal [] would be copied by msgspec too, but
        # linters cannot know that.
        if type_expr.startswith(("list[", "dict[")):
            return f"msgspec.field(default_factory={type_expr})"
        if type_expr in self.schemas and self.is_struct(type_expr):
            default = schema.get("default")
            if isinstance(default, dict) and default:
                items = cast(dict[str, Any], default).items()
                kwargs = ", ".join(f"{python_name(k)}={v!r}" for k, v in items)
                return f"msgspec.field(default_factory=lambda: {type_expr}({kwargs}))"
            return f"msgspec.field(default_factory={type_expr})"
        return None


def _struct(
    name: str, schema: dict[str, Any], resolver: _TypeResolver, tag: tuple[str, str] | None = None
) -> StructIR:
    if schema.get("type") != "object":
        raise SpecError(f"{name}: component must be `type: object` or a oneOf union")
    is_request = schema.get("x-struct") == "request"
    required = set(schema.get("required", []))
    fields: list[FieldIR] = []
    tag_ir: TagIR | None = None
    for json_name, raw in _obj(schema.get("properties")).items():
        where = f"{name}.{json_name}"
        prop = _obj(raw)
        if tag is not None and json_name == tag[0]:
            # The tag is msgspec's `tag_field`, not a field: encoded and checked by msgspec.
            tag_ir = TagIR(json_name, tag[1], first_line(prop.get("description")))
            continue
        if not prop and raw != {}:
            raise SpecError(f"{where}: property schema must be a mapping")
        type_expr, nullable = resolver.resolve(prop, where)
        py = python_name(json_name)
        if py in RESERVED_FIELD_NAMES:
            raise SpecError(f"{where}: field name {py!r} shadows a method of the base struct")
        is_required = json_name in required
        # A reply field decodes to a value (never None) when every server sends it (`required`)
        # or when the server leaves it out only while it holds its `default:` (Go omitempty,
        # or a key older servers lack). Request structs keep UNSET instead.
        sends_default = _sends_default(where, type_expr, prop, is_required)
        fills = not is_request and (is_required or "default" in prop) and not sends_default
        if fills and not is_required and "default" in prop:
            _check_reply_default(where, type_expr, prop, resolver)
        zero = None
        if sends_default:
            # A factory, not a plain default: msgspec's `omit_defaults` leaves out a value equal
            # to a plain default, but cannot compare against a factory's, so it always encodes it.
            zero = f"msgspec.field(default_factory=lambda: {prop['default']!r})"
        if fills and type_expr == "datetime":
            # No "empty" datetime exists: an absent date decodes as None.
            type_expr, nullable = "datetime | None", True
        if fills:
            zero = "None" if nullable else resolver.zero(type_expr, prop)
        fields.append(
            FieldIR(
                json_name=json_name,
                py_name=py,
                type_expr=type_expr,
                required=is_required,
                nullable=nullable,
                description=first_line(prop.get("description")),
                zero=zero,
                server_default=prop.get("default"),
                deprecated=bool(prop.get("deprecated", False)),
                alias=_alias(prop, where),
                sends_default=sends_default,
            )
        )
    missing = required - {f.json_name for f in fields} - ({tag_ir.json_name} if tag_ir else set())
    if missing:
        raise SpecError(f"{name}: required names without a property: {sorted(missing)}")
    return StructIR(
        name=name,
        description=first_line(schema.get("description")) or name,
        is_request=is_request,
        fields=tuple(fields),
        client_side=bool(schema.get("x-client-side", False)),
        nested=_nested(name, schema, resolver),
        tag=tag_ir,
    )


# The empty value of each simple type: the only `default:` an optional reply field may have.
_EMPTY: dict[str, object] = {"str": "", "int": 0, "float": 0, "bool": False}


def _sends_default(where: str, type_expr: str, prop: dict[str, Any], is_required: bool) -> bool:
    """`x-send-default: true`: the field's `default:` is what the client fills in and sends.

    For keys the server does not need but the official library always sends (`Tool.type` is
    `"function"`), so the same call sends the same JSON. The default must be a plain value of the
    field's simple type (a string, number or boolean), on an optional property.
    """
    flag = prop.get("x-send-default", False)
    if flag is False:
        return False
    if flag is not True:
        raise SpecError(f"{where}: x-send-default must be true, got {flag!r}")
    if is_required or "default" not in prop:
        raise SpecError(f"{where}: x-send-default needs an optional property with a `default:`")
    default = prop["default"]
    expected = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,)}
    ok = type_expr in expected and isinstance(default, expected[type_expr])
    if ok and type_expr != "bool" and isinstance(default, bool):
        ok = False
    if not ok:
        raise SpecError(
            f"{where}: x-send-default needs a string, number or boolean default of the field's"
            f" type ({type_expr}); got {default!r}"
        )
    return True


def _check_reply_default(
    where: str, type_expr: str, prop: dict[str, Any], resolver: _TypeResolver
) -> None:
    """An optional reply field's `default:` must be what the generated struct decodes it as.

    Structs are encoded with `omit_defaults` (the same structs go into requests: `Message`,
    `ToolCall`), so a meaningful default such as `"function"` would silently vanish from the
    JSON. Only the empty value of the type qualifies, or an object for a struct-typed field
    (the instance an absent key decodes as).
    """
    default = prop["default"]
    if type_expr in _EMPTY:
        empty = _EMPTY[type_expr]
        ok = default == empty and isinstance(default, bool) is isinstance(empty, bool)
    elif type_expr.startswith("list["):
        ok = default == []
    elif type_expr.startswith("dict["):
        ok = default == {}
    else:
        ok = isinstance(default, dict) and type_expr in resolver.schemas
    if not ok:
        raise SpecError(
            f"{where}: the default of an optional reply field must be the empty value of its"
            f" type ({type_expr}), or an object for a struct; got {default!r}"
        )


def _union_tags(schemas: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """`discriminator` on a named `oneOf`: the `(tag field, tag)` of each branch, by schema name.

    Each branch is a `$ref` to an object schema whose tag property is a required string
    `const` (or one-value `enum`), so that a plain JSON Schema validator tells the branches
    apart as well as msgspec does; `mapping`, when given, must agree with those values.
    """
    tags: dict[str, tuple[str, str]] = {}
    for name, raw in schemas.items():
        schema = _obj(raw)
        if "discriminator" not in schema:
            continue
        where = f"{name}.discriminator"
        field_name = _obj(schema["discriminator"]).get("propertyName")
        if not isinstance(field_name, str) or python_name(field_name) != field_name:
            raise SpecError(f"{where}: propertyName must be a Python identifier")
        if field_name in RESERVED_FIELD_NAMES:
            raise SpecError(f"{where}: {field_name!r} shadows a method of the base struct")
        members: object = schema.get("oneOf")
        if not isinstance(members, list) or not members:
            raise SpecError(f"{where}: a discriminator needs a `oneOf` of $refs")
        branches: dict[str, str] = {}
        for i, member in enumerate(cast("list[object]", members)):
            ref = _obj(member).get("$ref")
            if not isinstance(ref, str):
                raise SpecError(f"{name}.oneOf[{i}]: a tagged union's branches must be $refs")
            target = _ref_name(ref, f"{name}.oneOf[{i}]")
            if _obj(schemas.get(target)).get("type") != "object":
                raise SpecError(f"{name}.oneOf[{i}]: {target!r} must be an object schema")
            value = _tag_value(target, _obj(schemas[target]), field_name)
            if value in branches:
                raise SpecError(f"{name}: {branches[value]} and {target} share the tag {value!r}")
            branches[value] = target
            if tags.get(target, (field_name, value)) != (field_name, value):
                raise SpecError(f"{target}: two unions give it different tags")
            tags[target] = (field_name, value)
        mapping = _obj(schema["discriminator"]).get("mapping")
        expected = {value: REF_PREFIX + target for value, target in branches.items()}
        if mapping is not None and mapping != expected:
            raise SpecError(f"{where}.mapping must map each tag to its branch: {expected}")
    return tags


def _tag_value(name: str, schema: dict[str, Any], field_name: str) -> str:
    prop = _obj(_obj(schema.get("properties")).get(field_name))
    enum: object = prop.get("enum")
    if "const" in prop:
        value: object = prop["const"]
    elif isinstance(enum, list) and len(cast("list[object]", enum)) == 1:
        value = cast("list[object]", enum)[0]
    else:
        raise SpecError(
            f"{name}.{field_name}: a tagged union's branch needs its tag as a `const` "
            "(or a one-value `enum`)"
        )
    if not isinstance(value, str):
        raise SpecError(f"{name}.{field_name}: the tag must be a string, got {value!r}")
    if field_name not in schema.get("required", []):
        raise SpecError(
            f"{name}.{field_name}: the tag must be required, or a validator could not tell "
            "the union's branches apart"
        )
    return value


def _nested(
    name: str, schema: dict[str, Any], resolver: _TypeResolver
) -> tuple[tuple[str, str], ...]:
    """`x-python-nested`: class attributes naming other structs, as the official library nests
    its classes (`Message.ToolCall`, `Tool.Function.Parameters`)."""
    out: list[tuple[str, str]] = []
    for attr, target in _obj(schema.get("x-python-nested")).items():
        if not str(attr).isidentifier() or target not in resolver.schemas:
            raise SpecError(f"{name}: x-python-nested {attr!r}: {target!r} must be a schema name")
        out.append((str(attr), str(target)))
    return tuple(out)


def _alias(prop: dict[str, Any], where: str) -> str | None:
    """`x-python-alias`: a second attribute name (the official library's) for a field."""
    alias = prop.get("x-python-alias")
    if alias is None:
        return None
    if not isinstance(alias, str) or not alias.isidentifier() or keyword.iskeyword(alias):
        raise SpecError(f"{where}: x-python-alias must be a Python identifier, got {alias!r}")
    return alias


def _schema_of(content: dict[str, Any] | None, where: str) -> str | None:
    if not content:
        return None
    for media in ("application/json", "application/x-ndjson"):
        if media in content and "schema" in content[media]:
            ref = content[media]["schema"].get("$ref")
            if ref is None:
                raise SpecError(f"{where}: {media} body must $ref a component")
            return _ref_name(ref, where)
    return None


def _operation(method: str, path: str, op: dict[str, Any]) -> OperationIR:
    where = f"{method.upper()} {path}"
    op_id = op.get("operationId")
    if not op_id:
        raise SpecError(f"{where}: missing operationId")
    if "x-idempotent" not in op:
        raise SpecError(f"{where}: missing x-idempotent")
    body = _obj(_obj(op.get("requestBody")).get("content"))
    responses = _obj(op.get("responses"))
    ok = _obj(responses.get("200") or responses.get("201"))
    stream = _obj(op.get("x-ollama-stream")) if "x-ollama-stream" in op else None
    terminal = _obj((stream or {}).get("terminal"))
    return OperationIR(
        operation_id=op_id,
        method=method.upper(),
        path=path,
        summary=first_line(op.get("summary")),
        idempotent=bool(op["x-idempotent"]),
        request_schema=_schema_of(body, f"{where} request"),
        response_schema=op.get("x-client-returns") or _schema_of(_obj(ok.get("content")), where),
        stream_field=None if stream is None else stream["field"],
        stream_default=None if stream is None else bool(stream["default"]),
        terminal_field=terminal.get("field"),
        terminal_value=terminal.get("equals"),
        empty_body=bool(ok.get("x-empty-body", False)),
        raw_body=bool(op.get("x-request-body-raw", False)),
        deprecated=bool(op.get("deprecated", False)),
        affinity=_affinity(op, where),
        genai_operation=op.get("x-genai-operation"),
        web=bool(op.get("x-ollama-web", False)),
        max_retries=_max_retries(op, where),
        empty_result=_obj(op["x-empty-result"]) if "x-empty-result" in op else None,
        python=_obj(op["x-python-method"]) if "x-python-method" in op else None,
    )


def _max_retries(op: dict[str, Any], where: str) -> int | None:
    """`x-max-retries`: this operation's retry budget when the caller sets none."""
    value: object = op.get("x-max-retries")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SpecError(f"{where}: x-max-retries must be an integer >= 0, got {value!r}")
    return value


def _affinity(op: dict[str, Any], where: str) -> tuple[str, ...]:
    """`x-affinity`: request fields or path parameters that give the routing key, in order."""
    names: object = op.get("x-affinity", [])
    if not isinstance(names, list):
        raise SpecError(f"{where}: x-affinity must be a list of field or parameter names")
    checked = [n for n in cast("list[object]", names) if isinstance(n, str) and n]
    if len(checked) != len(cast("list[object]", names)):
        raise SpecError(f"{where}: x-affinity must be a list of field or parameter names")
    return tuple(checked)


def load(path: Path, *, source: str | None = None) -> SpecIR:
    """Read an OpenAPI document and build the IR.

    Args:
        path: The YAML file.
        source: How generated headers name the file (defaults to `path` as given).

    Returns:
        The IR, with structs, aliases and operations in document order.

    Raises:
        SpecError: The document uses a construct the generator does not support.
    """
    text = path.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    schemas: dict[str, Any] = doc.get("components", {}).get("schemas", {})
    tags = _union_tags(schemas)
    tagged = frozenset(n for n, s in schemas.items() if "discriminator" in _obj(s))
    resolver = _TypeResolver(schemas, tagged)
    ir = SpecIR(
        source=source or str(path),
        digest=sha256_text(text),
        title=doc["info"]["title"],
        version=str(doc["info"]["version"]),
    )
    for name, schema in schemas.items():
        if not name.isidentifier():
            raise SpecError(f"{name}: component names must be Python identifiers")
        if "oneOf" in schema or "anyOf" in schema:
            type_expr, _ = resolver.resolve(schema, name)
            ir.aliases.append(AliasIR(name, type_expr, first_line(schema.get("description"))))
        else:
            ir.structs.append(_struct(name, schema, resolver, tags.get(name)))
    for path_key, item in _obj(doc.get("paths")).items():
        methods = _obj(item)
        for method in HTTP_METHODS:
            if method in methods:
                ir.operations.append(_operation(method, str(path_key), _obj(methods[method])))
    return ir
