"""Render the endpoint methods of `AsyncClient` from the spec's `x-python-method` extensions.

Each operation with `x-python-method` (and without `hand-written: true`) becomes one public
method of `AsyncEndpoints` in `src/ollama_service/_async/_endpoints.py`: its signature (with
`@overload`s when the operation streams), its Google-style docstring, and the construction of
its request struct. The class sits on the hand-written `AsyncClientBase` (transport, retries,
lifecycle, and the endpoints that need real logic); unasync derives the sync twin from the
generated file as from every `_async` source. The extension is documented in
`docs/generation.md`; the richer input types come from `codegen/client_inputs.py`.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from codegen._headers import header
from codegen._render import const_name
from codegen._spec import FieldIR, OperationIR, SpecError, SpecIR, StructIR, python_name
from codegen.client_inputs import INPUTS, TYPES, adapter_for

ENDPOINTS_PATH = Path("src/ollama_service/_async/_endpoints.py")
CLASS_NAME = "AsyncEndpoints"
BASE_MODULE = "ollama_service._async._base"
BASE_CLASS = "AsyncClientBase"
_KEYS = frozenset(
    {
        "name",
        "summary",
        "doc",
        "positional",
        "keyword",
        "defaults",
        "exclude",
        "args",
        "returns",
        "raises",
        "require-one-of",
        "hand-written",
    }
)
_WIDTH = 92  # docstring text width inside a method (8 spaces of indent, 100 columns)


@dataclass(frozen=True)
class Param:
    field: FieldIR
    py: str
    annotation: str
    default: str | None  # Python source of the default; None: required
    value: str  # the expression that becomes the struct field
    doc: str
    keyword_only: bool


@dataclass(frozen=True)
class Method:
    op: OperationIR
    name: str
    request: StructIR | None
    params: tuple[Param, ...]
    returns: str
    summary: str
    ext: dict[str, Any]
    imports: dict[str, set[str]]

    @property
    def stream_param(self) -> Param | None:
        field = self.op.stream_field
        return next((p for p in self.params if p.field.json_name == field), None)


def _strings(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(v, str) for v in cast(list[object], value)
    ):
        raise SpecError(f"{where} must be a list of property names")
    return list(cast(list[str], value))


def _mapping(value: object, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SpecError(f"{where} must be a mapping")
    return {str(k): v for k, v in cast(dict[object, Any], value).items()}


def exposed(ir: SpecIR) -> list[OperationIR]:
    """The operations the client exposes (hand-written or generated), in document order."""
    return [op for op in ir.operations if op.python is not None]


def methods(ir: SpecIR) -> list[Method]:
    """Check every `x-python-method` and resolve its parameters; hand-written ones are skipped."""
    structs = {s.name: s for s in ir.structs}
    names: set[str] = set()
    out: list[Method] = []
    for op in exposed(ir):
        ext = cast(dict[str, Any], op.python)
        where = f"{op.operation_id}: x-python-method"
        unknown = set(ext) - _KEYS
        if unknown:
            raise SpecError(f"{where}: unknown keys {sorted(unknown)}")
        name = ext.get("name")
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            raise SpecError(f"{where}.name must be a public Python identifier, got {name!r}")
        if name in names:
            raise SpecError(f"{where}.name {name!r} is used by another operation")
        names.add(name)
        if ext.get("hand-written"):
            continue
        if op.raw_body:
            raise SpecError(f"{where}: a raw upload (x-request-body-raw) needs hand-written: true")
        out.append(_method(op, name, ext, structs, where))
    return out


def _method(
    op: OperationIR, name: str, ext: dict[str, Any], structs: dict[str, StructIR], where: str
) -> Method:
    request = structs.get(op.request_schema) if op.request_schema else None
    fields = {f.json_name: f for f in request.fields} if request else {}
    positional = _strings(ext.get("positional"), f"{where}.positional")
    keyword = _strings(ext.get("keyword"), f"{where}.keyword")
    exclude = _mapping(ext.get("exclude"), f"{where}.exclude")
    defaults = _mapping(ext.get("defaults"), f"{where}.defaults")
    docs = _mapping(ext.get("args"), f"{where}.args")
    listed = [*positional, *keyword, *exclude]
    for json_name in listed + list(defaults) + list(docs):
        if json_name not in fields:
            raise SpecError(f"{where}: {json_name!r} is no property of {op.request_schema}")
    if len(set(listed)) != len(listed):
        raise SpecError(f"{where}: a property is listed twice")
    # A property the extension does not mention is a keyword-only parameter, in schema order:
    # adding a request field is one spec edit.
    keyword += [j for j in fields if j not in listed]
    imports: dict[str, set[str]] = {}
    params: list[Param] = []
    seen_default = False
    assert request is not None or not fields
    for index, json_name in enumerate([*positional, *keyword]):
        assert request is not None
        param = _param(
            request, fields[json_name], defaults, docs, index >= len(positional), imports
        )
        if not param.keyword_only:
            if param.default is None and seen_default:
                raise SpecError(
                    f"{where}: positional {json_name!r} without a default follows one with"
                )
            seen_default = seen_default or param.default is not None
        params.append(param)
    response = op.response_schema or "None"
    if response != "None":
        imports.setdefault(TYPES, set()).add(response)
    if request is not None:
        imports.setdefault(TYPES, set()).add(request.name)
    if op.stream_field is not None:
        stream = next((p for p in params if p.field.json_name == op.stream_field), None)
        if stream is None or not stream.keyword_only or stream.default != "False":
            raise SpecError(
                f"{where}: the stream field {op.stream_field!r} must be keyword-only with default false"
            )
        imports.setdefault("typing", set()).update({"Literal", "overload"})
        imports.setdefault("ollama_service._async.streams", set()).add("AsyncStream")
    if "require-one-of" in ext:
        imports.setdefault("ollama_service._errors", set()).add("OllamaRequestError")
    summary = ext.get("summary") or op.summary
    if not isinstance(summary, str) or not summary:
        raise SpecError(f"{where}: needs a summary (the operation's, or its own)")
    return Method(op, name, request, tuple(params), response, summary, ext, imports)


def _param(
    request: StructIR,
    f: FieldIR,
    defaults: dict[str, Any],
    docs: dict[str, Any],
    keyword_only: bool,
    imports: dict[str, set[str]],
) -> Param:
    adapter = adapter_for(request.name, f.json_name)
    base = f.type_expr
    if adapter is not None:
        for module, names in adapter.imports.items():
            imports.setdefault(module, set()).update(names)
        if adapter.annotation is not None:
            base = adapter.annotation
    py = python_name(f.json_name)
    if f.json_name in defaults:
        default = repr(defaults[f.json_name])
        annotation = base
    elif f.required:
        default = None
        annotation = base
    else:
        default = "None"
        annotation = f"{base} | None"
    if adapter is not None:
        value = adapter.convert.format(value=py)
    elif default == "None":
        value = f"unset_if_none({py})"
        imports.setdefault(INPUTS, set()).add("unset_if_none")
    else:
        value = py
    doc = (
        docs.get(f.json_name)
        or (adapter.doc if adapter else None)
        or f.description
        or f"Sent as `{f.json_name}`."
    )
    return Param(f, py, annotation, default, value, str(doc), keyword_only)


def _signature(method: Method, stream: str | None = None) -> str:
    parts = ["self"]
    star = False
    for p in method.params:
        if p.keyword_only and not star:
            parts.append("*")
            star = True
        annotation, default = p.annotation, p.default
        if stream is not None and p is method.stream_param:
            annotation = f"Literal[{stream}]"
            default = "False" if stream == "False" else None
        parts.append(f"{p.py}: {annotation}" + ("" if default is None else f" = {default}"))
    return ", ".join(parts)


def _wrap(text: str, indent: str, hang: str = "    ") -> list[str]:
    return textwrap.wrap(
        " ".join(text.split()),
        width=_WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + hang,
        break_on_hyphens=False,
        break_long_words=False,
    )


def _summary_line(method: Method) -> str:
    """The summary with the HTTP call in it: `Embed one text (POST /api/embed); ...`."""
    text = method.summary.strip()
    call = f"({method.op.method} {method.op.path})"
    head, sep, tail = text.partition("; ")
    if sep:
        return f"{head} {call}; {tail}"
    return f"{text.rstrip('.')} {call}."


def _docstring(method: Method) -> str:
    ext = method.ext
    lines = [_summary_line(method)]
    if ext.get("doc"):
        lines += ["", *_wrap(str(ext["doc"]), "", "")]
    if method.params:
        lines += ["", "Args:"]
        for p in method.params:
            lines += _wrap(f"{p.py}: {p.doc}", "    ")
    if ext.get("returns"):
        lines += ["", "Returns:", *_wrap(str(ext["returns"]), "    ", "")]
    raises = _mapping(ext.get("raises"), f"{method.op.operation_id}: x-python-method.raises")
    if raises:
        lines += ["", "Raises:"]
        for exc, text in raises.items():
            lines += _wrap(f"{exc}: {text}", "    ")
    body = "\n".join(f"        {ln}" if ln else "" for ln in lines).lstrip()
    body = body.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    closing = "\n        " if len(lines) > 1 else ""
    return f'        """{body}{closing}"""'


def _body(method: Method) -> list[str]:
    op_const = const_name(method.op.operation_id)
    out: list[str] = []
    if method.op.web:
        # ollama.com answers only with a key: fail before anything is sent.
        out.append(f"        self._require_bearer({method.name!r})")
    request = method.request
    if request is None:
        out.append(f"        return await self._json({op_const})")
        return out
    fields = ", ".join(f"{p.field.py_name}={p.value}" for p in method.params)
    out.append(f"        request = {request.name}({fields})")
    one_of = method.ext.get("require-one-of")
    if one_of is not None:
        spec = _mapping(one_of, f"{method.op.operation_id}: require-one-of")
        names = [python_name(n) for n in _strings(spec.get("fields"), "require-one-of.fields")]
        condition = " and ".join(f"not request.{n}" for n in names)
        out += [
            f"        if {condition}:",
            f"            raise OllamaRequestError({str(spec['message'])!r})",
        ]
    by_json = {p.field.json_name: p for p in method.params}
    model = (
        "model"
        if "model" in by_json
        else next((a for a in method.op.affinity if a in by_json), None)
    )
    model_arg = "None" if model is None else f"request.{by_json[model].field.py_name}"
    helper = "_json" if method.op.stream_field is None else "_streamable"
    out.append(f"        return await self.{helper}({op_const}, request, {model_arg})")
    return out


def render_method(method: Method) -> str:
    lines: list[str] = []
    returns = method.returns
    if method.op.stream_field is not None:
        for literal, result in (("False", returns), ("True", f"AsyncStream[{returns}]")):
            lines += [
                "    @overload",
                f"    async def {method.name}({_signature(method, literal)}) -> {result}: ...",
            ]
        returns = f"{returns} | AsyncStream[{returns}]"
    lines.append(f"    async def {method.name}({_signature(method)}) -> {returns}:")
    lines.append(_docstring(method))
    lines += _body(method)
    return "\n".join(lines) + "\n"


def render_endpoints(ir: SpecIR) -> str:
    """The generated module: `AsyncEndpoints(AsyncClientBase)` with one method per endpoint."""
    rendered = methods(ir)
    imports: dict[str, set[str]] = {
        BASE_MODULE: {BASE_CLASS},
        "ollama_service.types._operations": {const_name(m.op.operation_id) for m in rendered},
    }
    spec_types = {s.name for s in ir.structs} | {a.name for a in ir.aliases}
    for m in rendered:
        for module, names in m.imports.items():
            imports.setdefault(module, set()).update(names)
        for p in m.params:
            # Spec types and typing names an annotation uses as they are (`Mode`, `Literal`).
            for word in re.findall(r"\b[A-Z]\w*", p.annotation):
                if word in spec_types:
                    imports.setdefault(TYPES, set()).add(word)
                elif word in {"Any", "Literal"}:
                    imports.setdefault("typing", set()).add(word)
    import_lines = [
        f"from {module} import {', '.join(sorted(names))}"
        for module, names in sorted(imports.items())
        if names
    ]
    parts = [
        header(ir.source, digest=ir.digest),
        '"""The endpoint methods of `AsyncClient`, rendered from the spec\'s `x-python-method`.',
        "",
        "Change a signature, a docstring or a request by editing `openapi/ollama.yaml` (and the",
        "input adapters in `codegen/client_inputs.py`), then run `nox -s generate`. Transport,",
        "retries, lifecycle and the endpoints with real logic are hand-written in `_base.py`.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        *import_lines,
        "",
        f"__all__ = [{CLASS_NAME!r}]",
        "",
        "",
        f"class {CLASS_NAME}({BASE_CLASS}):",
        '    """The public endpoint methods, one per operation of the spec, in its order."""',
        "",
    ]
    parts += [render_method(m) for m in rendered]
    return "\n".join(parts) + "\n"
