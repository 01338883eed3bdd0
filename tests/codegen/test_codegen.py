"""The generator, on a small spec of its own (golden files) and on the real one (staleness)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import pytest
import yaml

from codegen.__main__ import ROOT, SPEC, client_outputs, ruff_format, type_outputs
from codegen._render import render_struct
from codegen._spec import SpecError, _TypeResolver, load, python_name
from codegen._unasync import async_leftovers, rewrite_prose, sync_outputs, unused_doc_rewrites

HERE = Path(__file__).parent / "mini"
EXPECTED = HERE / "expected"
MINI_SOURCE = "tests/codegen/mini/mini.yaml"


def _mini_outputs() -> dict[str, str]:
    outputs = type_outputs(HERE / "mini.yaml", MINI_SOURCE)
    named = {path.name: ruff_format(text, path) for path, text in outputs.items()}
    for path, text in client_outputs(HERE / "mini.yaml", MINI_SOURCE).items():
        named[("sync" if "_sync" in path.parts else "async") + path.name] = text
    return named


@pytest.fixture(scope="module")
def mini_outputs() -> dict[str, str]:
    return _mini_outputs()


@pytest.mark.parametrize(
    "name",
    ["_models.py", "_operations.py", "__init__.py", "async_endpoints.py", "sync_endpoints.py"],
)
def test_golden_output(mini_outputs: dict[str, str], name: str) -> None:
    """The mini spec renders to exactly the committed files (refresh them by running this file)."""
    expected = EXPECTED / f"{name}.txt"
    assert mini_outputs[name] == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("json_name", "py_name"),
    [
        ("model", "model"),
        ("from", "from_"),
        ("$defs", "defs"),
        ("_debug_render_only", "debug_render_only"),
        ("class", "class_"),
        ("top-k", "top_k"),
        ("3d", "f_3d"),
    ],
)
def test_python_name(json_name: str, py_name: str) -> None:
    assert python_name(json_name) == py_name


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, ("str", False)),
        ({"type": "integer", "format": "int64"}, ("int", False)),
        ({"type": "number"}, ("float", False)),
        ({"type": "boolean"}, ("bool", False)),
        ({"type": "string", "enum": ["a", "b"]}, ("Literal['a', 'b']", False)),
        ({"const": "json"}, ("Literal['json']", False)),
        ({"type": "array", "items": {"type": "integer"}}, ("list[int]", False)),
        ({"type": "array"}, ("list[Any]", False)),
        ({"type": ["array", "null"], "items": {"type": "string"}}, ("list[str] | None", True)),
        ({"type": ["string", "array"], "items": {"type": "string"}}, ("str | list[str]", False)),
        ({"type": "object"}, ("dict[str, Any]", False)),
        ({"type": "object", "additionalProperties": {"type": "string"}}, ("dict[str, str]", False)),
        ({}, ("Any", True)),
        (
            {"oneOf": [{"type": "boolean"}, {"type": "string", "enum": ["low"]}]},
            ("bool | Literal['low']", False),
        ),
        ({"$ref": "#/components/schemas/Thing"}, ("Thing", False)),
    ],
)
def test_type_mapping(schema: dict[str, Any], expected: tuple[str, bool]) -> None:
    resolver = _TypeResolver({"Thing": {"type": "object", "properties": {}}})
    assert resolver.resolve(schema, "X.f") == expected


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"$ref": "#/definitions/X"}, r"unsupported \$ref"),
        ({"$ref": "#/components/schemas/Nope"}, "unknown schema 'Nope'"),
        ({"type": "object", "properties": {"a": {}}}, "inline object"),
        ({"type": "tuple"}, "unsupported type 'tuple'"),
    ],
)
def test_type_mapping_errors_name_the_place(schema: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message) as info:
        _TypeResolver({}).resolve(schema, "Thing.field")
    assert "Thing.field" in str(info.value)


def test_reserved_field_name_is_rejected(tmp_path: Path) -> None:
    spec = (HERE / "mini.yaml").read_text().replace("count:", "get:")
    (tmp_path / "s.yaml").write_text(spec)
    with pytest.raises(SpecError, match=r"EchoResponse\.get"):
        load(tmp_path / "s.yaml")


def _import(name: str, text: str, tmp_path: Path) -> ModuleType:
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_generated_mini_structs_behave(mini_outputs: dict[str, str], tmp_path: Path) -> None:
    """Requests omit unset fields and rename keywords; responses default and ignore extras."""
    models = _import("mini_models", mini_outputs["_models.py"], tmp_path)
    try:
        req = models.EchoRequest(model="m", from_="base", stream=False)
        assert msgspec.json.encode(req) == b'{"model":"m","from":"base","stream":false}'
        resp = msgspec.json.decode(
            b'{"text":"hi","new_field":1,"_debug":{"a":1}}', type=models.EchoResponse
        )
        assert (resp.text, resp.done, resp.count, resp.debug) == ("hi", False, None, {"a": 1})
        assert resp.part == models.Part()
        assert "count" not in resp
        assert "text" in resp
        assert resp["_debug"] == {"a": 1}
        assert resp.get("count", 7) is None  # the attribute, as the official models do
        assert resp.get("no_such_field", 7) == 7
        with pytest.raises(KeyError):
            resp["count"]
        with pytest.raises(msgspec.ValidationError, match=r"\$\.done"):
            msgspec.json.decode(b'{"done":"yes"}', type=models.EchoResponse)
    finally:
        sys.modules.pop("mini_models", None)


def test_send_default_is_filled_in_and_always_sent(
    mini_outputs: dict[str, str], tmp_path: Path
) -> None:
    """`x-send-default`: the attribute reads the default and the JSON always carries it."""
    models = _import("mini_send_models", mini_outputs["_models.py"], tmp_path)
    try:
        assert models.Part().kind == "part"
        assert msgspec.json.encode(models.Part()) == b'{"kind":"part"}'
        assert msgspec.json.encode(models.Part(kind="other")) == b'{"kind":"other"}'
        assert msgspec.json.decode(b"{}", type=models.Part).kind == "part"
        # Nested in a struct that is encoded with omit_defaults too.
        resp = models.EchoResponse(part=models.Part(score=1.5))
        assert b'"part":{"score":1.5,"kind":"part"}' in msgspec.json.encode(resp)
    finally:
        sys.modules.pop("mini_send_models", None)


def test_generated_tagged_unions_behave(mini_outputs: dict[str, str], tmp_path: Path) -> None:
    """A `oneOf` with a `discriminator` is a msgspec tagged union: picked by its tag."""
    models = _import("mini_tagged", mini_outputs["_models.py"], tmp_path)
    try:
        drawing = msgspec.json.decode(
            b'{"shapes":[{"kind":"circle","r":1.5},{"kind":"square","side":2}],'
            b'"named":{"c":{"kind":"circle"}}}',
            type=models.Drawing,
        )
        circle, square = drawing.shapes
        assert (type(circle), type(square)) == (models.Circle, models.Square)
        assert (circle.r, square.side) == (1.5, 2.0)
        assert type(drawing.named["c"]) is models.Circle
        assert msgspec.json.decode(b"{}", type=models.Drawing).shapes == []
        # The tag reads like a field (class attribute, mapping view, dumps) and is always sent.
        assert (circle.kind, models.Square.kind, circle["kind"]) == ("circle", "square", "circle")
        assert "kind" in circle
        assert dict(circle) == {"kind": "circle", "r": 1.5}
        assert drawing.model_dump()["shapes"][1] == {"kind": "square", "side": 2.0, "label": None}
        assert msgspec.json.encode(models.Square(side=1)) == b'{"kind":"square","side":1}'
        # Nested dicts pick their branch by the tag, as pydantic's discriminated unions do.
        built = models.Drawing(shapes=[{"kind": "square", "side": 3, "label": None}])
        assert built.shapes == [models.Square(side=3)]
        assert models.Square(kind="square", side=1) == models.Square(side=1)
        with pytest.raises(msgspec.ValidationError, match=r"Square.kind is always 'square'"):
            models.Square(kind="circle", side=1)
        with pytest.raises(msgspec.ValidationError, match=r"Invalid value 'hexagon'"):
            msgspec.json.decode(b'{"shapes":[{"kind":"hexagon"}]}', type=models.Drawing)
        with pytest.raises(msgspec.ValidationError, match="missing required field `kind`"):
            msgspec.json.decode(b'{"shapes":[{"r":1}]}', type=models.Drawing)
    finally:
        sys.modules.pop("mini_tagged", None)


_CIRCLE = {
    "type": "object",
    "description": "A circle.",
    "required": ["kind"],
    "properties": {"kind": {"type": "string", "const": "circle"}},
}
_SQUARE = {
    "type": "object",
    "description": "A square.",
    "required": ["kind"],
    "properties": {"kind": {"type": "string", "const": "square"}},
}
_TAGGED = {
    "oneOf": [{"$ref": "#/components/schemas/Circle"}, {"$ref": "#/components/schemas/Square"}],
    "discriminator": {"propertyName": "kind"},
}


def _with(schema: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**schema, **changes}


@pytest.mark.parametrize(
    ("schemas", "message"),
    [
        pytest.param(
            {"Shape": _with(_TAGGED, discriminator={}), "Circle": _CIRCLE, "Square": _SQUARE},
            r"Shape\.discriminator: propertyName must be a Python identifier",
            id="no-property-name",
        ),
        pytest.param(
            {
                "Shape": _with(_TAGGED, oneOf=[*_TAGGED["oneOf"], {"type": "string"}]),
                "Circle": _CIRCLE,
                "Square": _SQUARE,
            },
            r"Shape\.oneOf\[2\]: a tagged union's branches must be \$refs",
            id="inline-branch",
        ),
        pytest.param(
            {
                "Shape": _TAGGED,
                "Circle": _with(_CIRCLE, properties={"kind": {"type": "string"}}),
                "Square": _SQUARE,
            },
            r"Circle\.kind: a tagged union's branch needs its tag as a `const`",
            id="tag-not-const",
        ),
        pytest.param(
            {"Shape": _TAGGED, "Circle": _with(_CIRCLE, required=[]), "Square": _SQUARE},
            r"Circle\.kind: the tag must be required",
            id="tag-not-required",
        ),
        pytest.param(
            {
                "Shape": _TAGGED,
                "Circle": _with(_CIRCLE, properties={"kind": {"const": 1}}),
                "Square": _SQUARE,
            },
            r"Circle\.kind: the tag must be a string",
            id="tag-not-a-string",
        ),
        pytest.param(
            {"Shape": _TAGGED, "Circle": _CIRCLE, "Square": _CIRCLE},
            r"Shape: Circle and Square share the tag 'circle'",
            id="same-tag",
        ),
        pytest.param(
            {
                "Shape": _with(
                    _TAGGED,
                    discriminator={"propertyName": "kind", "mapping": {"circle": "#/x"}},
                ),
                "Circle": _CIRCLE,
                "Square": _SQUARE,
            },
            r"Shape\.discriminator\.mapping must map each tag to its branch",
            id="wrong-mapping",
        ),
        pytest.param(
            {
                "Shape": {"oneOf": _TAGGED["oneOf"]},
                "Circle": _CIRCLE,
                "Square": _SQUARE,
            },
            r"Shape: a union of several object schemas \(Circle, Square\) needs a `discriminator`",
            id="untagged-union-of-structs",
        ),
        pytest.param(
            {
                "Holder": {
                    "type": "object",
                    "description": "Holds.",
                    "properties": {"s": _TAGGED},
                },
                "Circle": _CIRCLE,
                "Square": _SQUARE,
            },
            r"Holder\.s: a discriminated union must be a named component schema",
            id="inline-discriminated-union",
        ),
    ],
)
def test_tagged_union_errors_name_the_place(
    tmp_path: Path, schemas: dict[str, Any], message: str
) -> None:
    doc = {"openapi": "3.1.0", "info": {"title": "T", "version": "1"}, "paths": {}}
    doc["components"] = {"schemas": schemas}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(SpecError, match=message):
        load(tmp_path / "s.yaml")


def test_real_spec_output_is_committed() -> None:
    """What `nox -s check_generated` checks for the types: the committed files are current."""
    for rel, text in type_outputs(ROOT / SPEC, SPEC).items():
        assert ruff_format(text, rel) == (ROOT / rel).read_text(encoding="utf-8"), rel


def test_spec_change_without_regenerating_is_detected(tmp_path: Path) -> None:
    copy = tmp_path / "ollama.yaml"
    shutil.copyfile(ROOT / SPEC, copy)
    copy.write_text(copy.read_text().replace("Server version", "Server build version", 1))
    stale = type_outputs(copy, SPEC)
    models = Path("src/ollama_service/types/_models.py")
    assert ruff_format(stale[models], models) != (ROOT / models).read_text(encoding="utf-8")


if (
    __name__ == "__main__"
):  # Refresh the golden files: PYTHONPATH=. python tests/codegen/test_codegen.py
    for name, text in _mini_outputs().items():
        (EXPECTED / f"{name}.txt").write_text(text, encoding="utf-8")


# --- The sync twins' prose --------------------------------------------------------------

PROSE = [
    pytest.param(
        'def f():\n    """An async client. Close it with `await client.close()`."""\n',
        'def f():\n    """A client. Close it with `client.close()`."""\n',
        id="docstring",
    ),
    pytest.param(
        "x = 1  # use `async with AsyncClient() as client:`\n",
        "x = 1  # use `with Client() as client:`\n",
        id="comment",
    ),
    pytest.param(
        '"""Return an `AsyncStream` or an async iterator; see `ollama.AsyncClient`."""\n',
        '"""Return a `Stream` or an iterator; see `ollama.Client`."""\n',
        id="articles-and-names",
    ),
    pytest.param(
        'message = "AsyncClient is closed"\n', 'message = "AsyncClient is closed"\n', id="code-string-kept"
    ),
    pytest.param('"""Written in `tests/_async`."""\n', '"""Written in `tests/_async`."""\n', id="paths-kept"),
]  # fmt: skip


@pytest.mark.parametrize(("source", "expected"), PROSE)
def test_sync_prose_describes_the_sync_api(source: str, expected: str) -> None:
    assert rewrite_prose(source) == expected


def test_check_flags_async_words_left_in_a_sync_twin() -> None:
    outputs = {
        Path(
            "src/ollama_service/_sync/x.py"
        ): 'message = "use await client.close()"\nAsyncThing = 1\n',
        Path("src/ollama_service/types/y.py"): "AsyncAllowedHere = 1\n",
    }
    assert async_leftovers(outputs) == [
        "src/ollama_service/_sync/x.py:1: 'await' in a sync twin",
        "src/ollama_service/_sync/x.py:2: 'AsyncThing' in a sync twin",
    ]


def test_generated_sync_twins_have_no_async_words_and_every_rewrite_is_used() -> None:
    assert async_leftovers(sync_outputs(ROOT)) == []
    assert unused_doc_rewrites(ROOT) == []


# --- `required` and `default:` of reply fields ---------------------------------------------


def _one_field_spec(tmp_path: Path, prop: dict[str, Any], *, required: bool, request: bool) -> Any:
    schema: dict[str, Any] = {
        "type": "object",
        "description": "A thing.",
        "properties": {"f": {**prop, "description": "A field."}},
    }
    if required:
        schema["required"] = ["f"]
    if request:
        schema["x-struct"] = "request"
    part = {"type": "object", "description": "A part.", "properties": {"x": {"type": "string"}}}
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "T", "version": "1"},
        "paths": {},
        "components": {"schemas": {"Thing": schema, "Part": part}},
    }
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(doc))
    return load(path)


@pytest.mark.parametrize(
    ("prop", "required", "is_request", "line"),
    [
        # Every server sends it: the empty value, so decoding never fails.
        ({"type": "integer"}, True, False, "f: int = 0"),
        # Some servers leave it out while it is 0 (Go omitempty): the same Python type.
        ({"type": "integer", "default": 0}, False, False, "f: int = 0"),
        ({"type": "string", "default": ""}, False, False, 'f: str = ""'),
        ({"type": "boolean", "default": False}, False, False, "f: bool = False"),
        (
            {"type": "object", "additionalProperties": True, "default": {}},
            False,
            False,
            "f: dict[str, Any] = msgspec.field(default_factory=dict[str, Any])",
        ),
        (
            {"$ref": "#/components/schemas/Part", "default": {}},
            False,
            False,
            "f: Part = msgspec.field(default_factory=Part)",
        ),
        # No default: the server may leave it out and nothing stands in for it.
        ({"type": "integer"}, False, False, "f: int | None = None"),
        # Requests: `default:` documents the server's default; the field stays UNSET.
        ({"type": "integer", "default": 40}, False, True, "f: int | UnsetType = UNSET"),
        ({"type": "integer"}, True, True, "f: int"),
        # `x-send-default`: filled in and always sent (a factory defeats `omit_defaults`), on
        # replies/shared types and requests alike.
        (
            {"type": "string", "default": "function", "x-send-default": True},
            False,
            False,
            "f: str = msgspec.field(default_factory=lambda: 'function')",
        ),
        (
            {"type": "integer", "default": 4, "x-send-default": True},
            False,
            True,
            "f: int = msgspec.field(default_factory=lambda: 4)",
        ),
        (
            {"type": "number", "default": 1, "x-send-default": True},
            False,
            False,
            "f: float = msgspec.field(default_factory=lambda: 1)",
        ),
        (
            {"type": "boolean", "default": True, "x-send-default": True},
            False,
            True,
            "f: bool = msgspec.field(default_factory=lambda: True)",
        ),
    ],
)
def test_reply_field_defaults(
    tmp_path: Path, prop: dict[str, Any], required: bool, is_request: bool, line: str
) -> None:
    ir = _one_field_spec(tmp_path, prop, required=required, request=is_request)
    thing = next(s for s in ir.structs if s.name == "Thing")
    assert f"    {line}\n" in render_struct(thing)


@pytest.mark.parametrize(
    "prop",
    [
        {"type": "string", "default": "function"},
        {"type": "integer", "default": 4},
        {"type": "integer", "default": False},
        {"type": "boolean", "default": 0},
        {"type": "array", "items": {"type": "string"}, "default": ["a"]},
        {"type": "string", "format": "date-time", "default": ""},  # no empty datetime exists
    ],
    ids=[
        "meaningful-string",
        "meaningful-int",
        "bool-for-int",
        "int-for-bool",
        "non-empty-list",
        "date",
    ],
)
def test_reply_default_must_be_the_empty_value(tmp_path: Path, prop: dict[str, Any]) -> None:
    """`omit_defaults` would drop a meaningful default from requests, so it is refused."""
    with pytest.raises(SpecError, match=r"Thing\.f: the default of an optional reply field"):
        _one_field_spec(tmp_path, prop, required=False, request=False)


@pytest.mark.parametrize(
    ("prop", "required", "message"),
    [
        ({"type": "string", "x-send-default": True}, False, "needs an optional property"),
        (
            {"type": "string", "default": "a", "x-send-default": True},
            True,
            "needs an optional property",
        ),
        ({"type": "string", "default": "a", "x-send-default": "yes"}, False, "must be true"),
        ({"type": "string", "default": 1, "x-send-default": True}, False, r"needs .*type \(str\)"),
        (
            {"type": "integer", "default": True, "x-send-default": True},
            False,
            r"needs .*type \(int\)",
        ),
        (
            {"type": "array", "items": {"type": "string"}, "default": [], "x-send-default": True},
            False,
            "needs a string, number or boolean",
        ),
        (
            {"$ref": "#/components/schemas/Part", "default": {}, "x-send-default": True},
            False,
            "needs a string, number or boolean",
        ),
    ],
    ids=["no-default", "required", "not-true", "int-for-str", "bool-for-int", "list", "struct"],
)
def test_send_default_errors_name_the_place(
    tmp_path: Path, prop: dict[str, Any], required: bool, message: str
) -> None:
    for request in (False, True):
        with pytest.raises(SpecError, match=rf"Thing\.f: x-send-default {message}"):
            _one_field_spec(tmp_path, prop, required=required, request=request)
