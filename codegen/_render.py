"""Render the IR as Python modules: the structs, the operation table, and the package index.

Output is plain text; the caller formats it with ruff, so rendering only has to be correct,
not pretty.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from codegen._headers import header
from codegen._spec import AliasIR, FieldIR, OperationIR, SpecError, SpecIR, StructIR, python_name

TYPES_PACKAGE = "ollama_service.types"


def _doc(text: str, indent: str) -> str:
    body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return textwrap.indent(f'"""{body}\n"""', indent) if "\n" in body else f'{indent}"""{body}"""'


def _field_doc(f: FieldIR, is_request: bool) -> str:
    text = f.description or f.json_name
    notes: list[str] = []
    if f.json_name != f.py_name:
        notes.append(f"Sent as `{f.json_name}`.")
    if f.sends_default:
        notes.append(f"Defaults to `{_json_literal(f.server_default)}`, always sent.")
    elif f.server_default is not None and not isinstance(f.server_default, (list, dict)):
        literal = _json_literal(f.server_default)
        # Requests: what the server assumes; replies: what an absent key decodes as.
        notes.append(
            f"Server default: `{literal}`." if is_request else f"Absent means `{literal}`."
        )
    if f.required and is_request:
        notes.append("Required.")
    if f.alias:
        notes.append(f"Also readable as `{f.alias}`.")
    if f.deprecated:
        notes.append("Deprecated.")
    return " ".join([text, *notes])


def _json_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return '""' if value == "" else str(value)


def _annotation(f: FieldIR, is_request: bool) -> tuple[str, str | None]:
    """Return (annotation, default expression or None for a required field)."""
    if f.sends_default:
        return f.type_expr, f.zero
    if is_request:
        if f.required:
            return f.type_expr, None
        return f"{f.type_expr} | UnsetType", "UNSET"
    if f.required or f.zero is not None:
        return f.type_expr, f.zero
    type_expr = f.type_expr if f.nullable else f"{f.type_expr} | None"
    return type_expr, "None"


def render_struct(struct: StructIR) -> str:
    # kw_only is per class in msgspec: the base's setting does not cover these fields.
    tag = struct.tag
    options = "kw_only=True"
    if tag is not None:
        # A branch of a tagged union: msgspec writes and checks the tag (`"type": "choice"`),
        # and picks the branch by it when decoding the union.
        options += f", tag_field={tag.json_name!r}, tag={tag.value!r}"
    lines = [f"class {struct.name}(BaseStruct, {options}):"]
    doc = struct.description
    attr_lines = [f"    {f.py_name}: {_field_doc(f, struct.is_request)}" for f in struct.fields]
    if tag is not None:
        text = tag.description or tag.json_name
        attr_lines.insert(0, f"    {tag.json_name}: {text} The union's tag, read-only.")
    if attr_lines:
        doc = f"{doc}\n\nAttributes:\n" + "\n".join(attr_lines)
    lines.append(_doc(doc, "    "))
    lines.append("")
    if tag is not None:
        # A class attribute, so `answer.type` reads it as the official models' field does.
        literal = f"Literal[{tag.value!r}]"
        lines.append(f"    {tag.json_name}: ClassVar[{literal}] = {tag.value!r}")
    for attr, target in struct.nested:
        if _shadows_a_field_type(struct, attr):
            continue  # declared after the class (see render_models)
        # `builtins.type`: a field named `type` would shadow the builtin in the class body.
        lines.append(f"    {attr}: ClassVar[builtins.type[{target}]]")
    # Required fields first only for readability; kw_only makes order free.
    for f in struct.fields:
        annotation, default = _annotation(f, struct.is_request)
        if f.json_name != f.py_name:
            default = (
                f"msgspec.field(name={f.json_name!r})"
                if default is None
                else f"msgspec.field(default={default}, name={f.json_name!r})"
                if not default.startswith("msgspec.field(")
                else default[:-1] + f", name={f.json_name!r})"
            )
        lines.append(
            f"    {f.py_name}: {annotation}" + ("" if default is None else f" = {default}")
        )
    aliased = [f for f in struct.fields if f.alias]
    if aliased:
        pairs = ", ".join(f"{f.alias!r}: {f.py_name!r}" for f in aliased)
        lines += ["", f"    __aliases__: ClassVar[dict[str, str]] = {{{pairs}}}"]
    for f in aliased:
        annotation, _ = _annotation(f, struct.is_request)
        lines += [
            "",
            "    @property",
            f"    def {f.alias}(self) -> {annotation}:",
            f'        """`{f.py_name}`, under the official library\'s name."""',
            f"        return self.{f.py_name}",
            "",
            f"    @{f.alias}.setter",
            f"    def {f.alias}(self, value: {annotation}) -> None:",
            f"        self.{f.py_name} = value",
        ]
    return "\n".join(lines) + "\n"


def _shadows_a_field_type(struct: StructIR, attr: str) -> bool:
    """A class attribute named like a type its fields use would shadow that type in the class
    body (`Message.ToolCall` and `tool_calls: list[ToolCall]`), so it is not declared there."""
    return any(attr in re.findall(r"\w+", f.type_expr) for f in struct.fields)


def _definition_order(structs: list[StructIR], aliases: list[AliasIR]) -> list[StructIR | AliasIR]:
    """Spec order, except that what a default factory names is defined before its user.

    Annotations are lazy (`from __future__ import annotations`), but `default_factory=X` is
    evaluated when the class body runs, and so is a union alias (`A: TypeAlias = B | C`). So a
    struct used as a factory comes first, and an alias a factory names (`dict[str, Answer]`)
    comes after its member structs and before that user; other aliases stay at the end.
    """
    by_name: dict[str, StructIR | AliasIR] = {s.name: s for s in structs}
    by_name.update({a.name: a for a in aliases})
    done: dict[str, StructIR | AliasIR] = {}

    def depends_on(item: StructIR | AliasIR) -> list[str]:
        if isinstance(item, AliasIR):
            return re.findall(r"\w+", item.type_expr)
        return [
            name
            for f in item.fields
            if f.zero
            and f.zero.startswith("msgspec.field(default_factory=")
            and "lambda" not in f.zero
            for name in re.findall(r"\w+", f.type_expr)
        ]

    def visit(item: StructIR | AliasIR, path: tuple[str, ...]) -> None:
        if item.name in done:
            return
        if item.name in path:
            raise ValueError(f"default factories form a cycle: {' -> '.join((*path, item.name))}")
        for name in depends_on(item):
            if name in by_name and name != item.name:
                visit(by_name[name], (*path, item.name))
        done[item.name] = item

    for struct in structs:
        visit(struct, ())
    for alias in aliases:
        done.setdefault(alias.name, alias)
    return list(done.values())


def render_models(ir: SpecIR) -> str:
    names = sorted([s.name for s in ir.structs] + [a.name for a in ir.aliases])
    parts = [
        header(ir.source, digest=ir.digest),
        _doc(
            f"Wire types of the {ir.title} {ir.version}, one msgspec Struct per schema.\n\n"
            "Request structs leave unset fields out of the JSON (UNSET); response structs give\n"
            "every field a default and ignore unknown keys, so newer servers never break decoding.",
            "",
        ),
        "",
        "from __future__ import annotations",
        "",
        "import builtins",
        "from datetime import datetime",
        "from typing import Any, ClassVar, Literal, TypeAlias",
        "",
        "import msgspec",
        "from msgspec import UNSET, UnsetType",
        "",
        f"from {TYPES_PACKAGE}._base import BaseStruct",
        "",
        "__all__ = [" + ", ".join(repr(n) for n in names) + "]",
        "",
    ]
    order = _definition_order(ir.structs, ir.aliases)
    last_struct = max((i for i, item in enumerate(order) if isinstance(item, StructIR)), default=-1)
    for item in order[: last_struct + 1]:
        parts += ["", render_struct(item) if isinstance(item, StructIR) else render_alias(item)]
    # The aliases no struct needs while it is being defined stay at the end.
    trailing = [item for item in order[last_struct + 1 :] if isinstance(item, AliasIR)]
    nested = [(s.name, attr, target) for s in ir.structs for attr, target in s.nested]
    if nested:
        parts += ["", "# The official library's nested class names (`Message.ToolCall.Function`)."]
        by_name = {s.name: s for s in ir.structs}
        parts += [
            f"{owner}.{attr} = {target}"
            + (
                "  # type: ignore[attr-defined]"
                if _shadows_a_field_type(by_name[owner], attr)
                else ""
            )
            for owner, attr, target in nested
        ]
    for alias in trailing:
        parts += ["", render_alias(alias)]
    return "\n".join(parts) + "\n"


def render_alias(alias: AliasIR) -> str:
    text = f"{alias.name}: TypeAlias = {alias.type_expr}"
    return text + (f"\n{_doc(alias.description, '')}" if alias.description else "")


def const_name(op_id: str) -> str:
    out = "".join(f"_{c}" if c.isupper() else c for c in op_id)
    return out.upper()


def render_operation(op: OperationIR, ir: SpecIR) -> str:
    struct_names = {s.name for s in ir.structs}
    response = op.response_schema if op.response_schema in struct_names else None
    decoder = "None" if response is None or op.empty_body else f"msgspec.json.Decoder({response})"
    type_arg = response or "None"
    required = {
        "name": repr(op.operation_id),
        "method": repr(op.method),
        "path": repr(op.path),
        "idempotent": repr(op.idempotent),
        "decoder": decoder,
    }
    # Only what differs from `Operation`'s defaults, so each entry reads as what is special.
    optional = {
        "stream_field": op.stream_field,
        "stream_default": op.stream_default,
        "terminal_field": op.terminal_field,
        "terminal_value": op.terminal_value,
        "empty_body": op.empty_body or None,
        "affinity": op.affinity or None,
        "genai_operation": op.genai_operation,
        "web": op.web or None,
        "max_retries": op.max_retries,
    }
    args = {**required, **{k: repr(v) for k, v in optional.items() if v is not None}}
    if op.empty_body and response is not None:
        # The result of a success without a body: a client-side constant of the declared type.
        args["empty_result"] = _empty_result(op, ir)
    body = ", ".join(f"{k}={v}" for k, v in args.items())
    line = f"{const_name(op.operation_id)}: Final[Operation[{type_arg}]] = Operation({body})"
    return line + (f"\n{_doc(op.summary, '')}" if op.summary else "")


def _empty_result(op: OperationIR, ir: SpecIR) -> str:
    """`x-client-returns` of an empty-body operation, built from its required fields' defaults."""
    if op.empty_result is None:
        raise SpecError(
            f"{op.operation_id}: an empty body returning {op.response_schema} needs x-empty-result"
        )
    values = {python_name(k): v for k, v in op.empty_result.items()}
    return f"{op.response_schema}(" + ", ".join(f"{k}={v!r}" for k, v in values.items()) + ")"


def client_operations(ir: SpecIR) -> list[OperationIR]:
    """The operations the client calls: those with `x-python-method` (HEAD probes that no
    client method sends are described by the spec but not generated)."""
    return [op for op in ir.operations if op.python is not None]


def render_operations(ir: SpecIR) -> str:
    struct_names = {s.name for s in ir.structs}
    operations = client_operations(ir)
    used = sorted(
        {op.response_schema for op in operations if op.response_schema in struct_names} - {None}
    )
    consts = [const_name(op.operation_id) for op in operations]
    parts = [
        header(ir.source, digest=ir.digest),
        _doc(
            "One `Operation` per endpoint: method, path, retry safety, streaming rules, and the\n"
            "typed decoder built once here and reused for every response.",
            "",
        ),
        "",
        "from __future__ import annotations",
        "",
        "from typing import Final",
        "",
        "import msgspec",
        "",
        f"from {TYPES_PACKAGE}._base import Operation",
    ]
    if used:
        parts.append(f"from {TYPES_PACKAGE}._models import " + ", ".join(str(u) for u in used))
    parts += [
        "",
        "__all__ = ["
        + ", ".join(repr(n) for n in sorted([*consts, "OPERATIONS", "SPEC_SHA256"]))
        + "]",
        "",
        f"SPEC_SHA256: Final = {ir.digest!r}",
        '"""sha256 of the OpenAPI document these operations were generated from."""',
        "",
    ]
    parts += [render_operation(op, ir) + "\n" for op in operations]
    parts.append(
        "OPERATIONS: Final[dict[str, Operation[Any]]] = {"
        + ", ".join(f"{c}.name: {c}" for c in consts)
        + "}"
    )
    parts.append('"""Every operation, by its operationId."""')
    text = "\n".join(parts) + "\n"
    return text.replace("from typing import Final", "from typing import Any, Final")


def render_index(ir: SpecIR) -> str:
    names = sorted([s.name for s in ir.structs] + [a.name for a in ir.aliases])
    public = sorted([*names, "BaseStruct", "UNSET", "UnsetType"])
    return (
        "\n".join(
            [
                header(ir.source, digest=ir.digest),
                _doc(
                    f"Typed request and response structs for the {ir.title}.\n\n"
                    "Every struct supports attribute access (`resp.response`) and, for code written\n"
                    'against plain dicts, mapping access (`resp["response"]`, `"total" in progress`,\n'
                    "`.get(key, default)`, `.to_dict()`).",
                    "",
                ),
                "",
                "from msgspec import UNSET, UnsetType",
                "",
                f"from {TYPES_PACKAGE}._base import BaseStruct",
                f"from {TYPES_PACKAGE}._models import " + ", ".join(names),
                "",
                "__all__ = [" + ", ".join(repr(n) for n in public) + "]",
            ]
        )
        + "\n"
    )
