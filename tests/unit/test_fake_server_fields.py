"""The fake server's request field tables (testing/_fields.py) agree with openapi/ollama.yaml.

The fake server keeps its own copy of Ollama's request structs, independent of the SDK, so it
checks what a client sends rather than echoing the client. That copy must not drift from the
spec: every property of every JSON request body in the spec is in the table of its endpoint
with a kind that fits the property's JSON Schema type, and the tables name nothing the spec
lacks. ``drift`` reads the plain YAML (no SDK, no codegen IR) and lists every disagreement,
each naming the endpoint and field; the cases below prove it finds each kind of drift.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from ollama_service.testing._fields import BODIES, KINDS, MESSAGE_FIELDS

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi" / "ollama.yaml"
SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
REF_PREFIX = "#/components/schemas/"
TABLES_FILE = "src/ollama_service/testing/_fields.py"

# The JSON Schema type (see `signature`) each table kind stands for.
KIND_SIGNATURES: dict[str, str] = {
    "string": "string",
    "bool": "boolean",
    "int": "integer",
    "map": "object",
    "strmap": "object<string>",
    "[]int": "array<integer>",
    "images": "array<string>",
    "messages": "array<object>",
    "tools": "array<object>",
    "tool_calls": "array<object>",
    "license": "array<string>|string",
    "duration": "number|string",
    "think": "boolean|string",
    "format": "object|string",
    "embed_input": "array<string>|string",
    "content": "array<any>|object|string",
    "objmap": "object<object>",
}
# Schemas whose items the fake server checks field by field, with their table.
NESTED: dict[str, Mapping[str, str]] = {"Message": MESSAGE_FIELDS}
# Endpoints the fake server reads that the spec does not describe (yet), with the reason.
NOT_IN_SPEC: dict[str, str] = {}

Tables = Mapping[str, Mapping[str, str]]


def _schemas(spec: Mapping[str, Any]) -> dict[str, Any]:
    return cast("dict[str, Any]", spec.get("components", {}).get("schemas", {}))


def _resolve(schema: Any, schemas: Mapping[str, Any]) -> Any:
    seen: set[str] = set()
    while isinstance(schema, dict) and "$ref" in schema:
        ref = str(cast("dict[str, Any]", schema)["$ref"])
        if not ref.startswith(REF_PREFIX) or ref in seen:
            raise ValueError(f"unresolvable $ref {ref!r}")
        seen.add(ref)
        schema = schemas[ref[len(REF_PREFIX) :]]
    return schema


def _alternatives(schema: Any, schemas: Mapping[str, Any]) -> set[str]:
    """The JSON types a schema allows, `null` left out, arrays and string maps with their items."""
    schema = _resolve(schema, schemas)
    if schema is True or schema == {} or not isinstance(schema, dict):
        return {"any"}
    node = cast("dict[str, Any]", schema)
    for key in ("oneOf", "anyOf"):
        if key in node:
            return set().union(*(_alternatives(member, schemas) for member in node[key]))
    if "const" in node:
        value = node["const"]
        return set() if value is None else {_json_type(value)}
    types = node.get("type")
    if types is None:
        return {"any"}
    out: set[str] = set()
    for kind in types if isinstance(types, list) else [types]:
        if kind == "null":
            continue
        if kind == "array":
            out.add(f"array<{signature(node.get('items', True), schemas)}>")
        elif kind == "object":
            extra = node.get("additionalProperties", True)
            plain = extra is True or extra == {} or extra is False or node.get("properties")
            out.add("object" if plain else f"object<{signature(extra, schemas)}>")
        else:
            out.add(str(kind))
    return out


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def signature(schema: Any, schemas: Mapping[str, Any]) -> str:
    """A schema's type as one string: `string`, `array<integer>`, `number|string`, ..."""
    return "|".join(sorted(_alternatives(schema, schemas)))


def request_bodies(spec: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Path → (`METHOD path`, request schema name) for every operation with a JSON body."""
    out: dict[str, tuple[str, str]] = {}
    for path, item in cast("dict[str, Any]", spec.get("paths", {})).items():
        for method, operation in cast("dict[str, Any]", item).items():
            if not isinstance(operation, dict):
                continue
            content = cast("dict[str, Any]", operation).get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref")
            if isinstance(ref, str) and ref.startswith(REF_PREFIX):
                out[str(path)] = (f"{method.upper()} {path}", ref[len(REF_PREFIX) :])
    return out


def _compare(
    where: str, properties: Mapping[str, Any], table: Mapping[str, str], schemas: Mapping[str, Any]
) -> list[str]:
    problems: list[str] = []
    for name, schema in properties.items():
        if name not in table:
            problems.append(
                f"{where}: spec field {name!r} ({signature(schema, schemas)}) is missing from "
                f"the fake server's table in {TABLES_FILE}"
            )
            continue
        kind = table[name]
        if kind not in KINDS or kind not in KIND_SIGNATURES:
            problems.append(f"{where}: field {name!r} has kind {kind!r}, which is not in KINDS")
            continue
        wanted, actual = KIND_SIGNATURES[kind], signature(schema, schemas)
        if wanted != actual:
            problems.append(
                f"{where}: field {name!r} is {kind!r} ({wanted}) in the fake server's table "
                f"but {actual} in the spec"
            )
    problems += [
        f"{where}: table field {name!r} is not in the spec (remove it, or add it to the spec)"
        for name in table
        if name not in properties
    ]
    return problems


def drift(
    spec: Mapping[str, Any],
    bodies: Tables,
    nested: Tables,
    not_in_spec: Mapping[str, str],
) -> list[str]:
    """Every disagreement between the spec and the fake server's field tables."""
    schemas = _schemas(spec)
    problems: list[str] = []
    specified = request_bodies(spec)
    for path, (endpoint, schema_name) in specified.items():
        where = f"{endpoint} ({schema_name})"
        table = bodies.get(path)
        if table is None:
            problems.append(
                f"{where}: the spec has a JSON request body but {TABLES_FILE} has no table for it"
            )
            continue
        properties = _resolve({"$ref": REF_PREFIX + schema_name}, schemas).get("properties", {})
        problems += _compare(where, properties, table, schemas)
    for path in bodies:
        if path not in specified and path not in not_in_spec:
            problems.append(
                f"{path}: the fake server has a field table but the spec has no such request body"
            )
    for schema_name, table in nested.items():
        properties = schemas.get(schema_name, {}).get("properties", {})
        problems += _compare(f"schema {schema_name}", properties, table, schemas)
    return problems


SERVER_BODIES: dict[str, Mapping[str, str]] = {path: body.fields for path, body in BODIES.items()}


def test_the_fake_servers_tables_match_the_spec() -> None:
    problems = drift(SPEC, SERVER_BODIES, NESTED, NOT_IN_SPEC)
    assert not problems, "the fake server's field tables drifted from the spec:\n" + "\n".join(
        problems
    )


def test_every_kind_has_a_json_schema_type() -> None:
    assert set(KIND_SIGNATURES) == set(KINDS)


def test_every_json_request_body_of_the_spec_is_checked() -> None:
    """The cross-check is not vacuous: it sees the request bodies the spec has today."""
    bodies = request_bodies(SPEC)
    assert {"/api/generate", "/api/chat", "/api/create", "/api/push"} <= set(bodies)
    assert bodies["/api/create"] == ("POST /api/create", "CreateRequest")


# -- the checker finds drift --------------------------------------------------------------------

Mutation = Callable[[dict[str, Any], dict[str, dict[str, str]], dict[str, dict[str, str]]], object]


def _props(spec: dict[str, Any], schema: str) -> dict[str, Any]:
    return cast("dict[str, Any]", spec["components"]["schemas"][schema]["properties"])


def _add_endpoint(spec: dict[str, Any], bodies: Any, nested: Any) -> None:
    spec["components"]["schemas"]["NewRequest"] = {
        "type": "object",
        "properties": {"model": {"type": "string"}},
    }
    body = {"content": {"application/json": {"schema": {"$ref": REF_PREFIX + "NewRequest"}}}}
    spec["paths"]["/api/new"] = {"post": {"requestBody": body}}


DRIFT_CASES: list[tuple[str, Mutation, str]] = [
    (
        "table lacks a spec field",
        lambda spec, bodies, nested: bodies["/api/create"].pop("renderer"),
        "POST /api/create (CreateRequest): spec field 'renderer' (string) is missing",
    ),
    (
        "spec gains a field",
        lambda spec, bodies, nested: _props(spec, "GenerateRequest").update(
            seed_text={"type": "string"}
        ),
        "POST /api/generate (GenerateRequest): spec field 'seed_text' (string) is missing",
    ),
    (
        "table has a field the spec lacks",
        lambda spec, bodies, nested: bodies["/api/pull"].update(mirror="string"),
        "POST /api/pull (PullRequest): table field 'mirror' is not in the spec",
    ),
    (
        "spec drops a field",
        lambda spec, bodies, nested: _props(spec, "CopyRequest").pop("destination"),
        "POST /api/copy (CopyRequest): table field 'destination' is not in the spec",
    ),
    (
        "table kind disagrees with the spec type",
        lambda spec, bodies, nested: bodies["/api/chat"].update(stream="int"),
        "POST /api/chat (ChatRequest): field 'stream' is 'int' (integer) in the fake server's "
        "table but boolean in the spec",
    ),
    (
        "spec type changes",
        lambda spec, bodies, nested: _props(spec, "EmbedRequest").update(
            dimensions={"type": "string"}
        ),
        "POST /api/embed (EmbedRequest): field 'dimensions' is 'int' (integer) in the fake "
        "server's table but string in the spec",
    ),
    (
        "item type of a string map changes",
        lambda spec, bodies, nested: _props(spec, "CreateRequest").update(
            files={"type": "object", "additionalProperties": {"type": "integer"}}
        ),
        "field 'files' is 'strmap' (object<string>) in the fake server's table but "
        "object<integer> in the spec",
    ),
    (
        "a union loses a member",
        lambda spec, bodies, nested: spec["components"]["schemas"]["KeepAlive"].update(
            oneOf=[{"type": "string"}]
        ),
        "POST /api/generate (GenerateRequest): field 'keep_alive' is 'duration' (number|string) "
        "in the fake server's table but string in the spec",
    ),
    (
        "unknown kind in a table",
        lambda spec, bodies, nested: bodies["/api/show"].update(verbose="boolean"),
        "POST /api/show (ShowRequest): field 'verbose' has kind 'boolean', which is not in KINDS",
    ),
    (
        "spec gains an endpoint with a body",
        _add_endpoint,
        "POST /api/new (NewRequest): the spec has a JSON request body but",
    ),
    (
        "table for a body the spec lacks",
        lambda spec, bodies, nested: bodies.update({"/api/gone": {"model": "string"}}),
        "/api/gone: the fake server has a field table but the spec has no such request body",
    ),
    (
        "nested table drifts",
        lambda spec, bodies, nested: _props(spec, "Message").update(name={"type": "string"}),
        "schema Message: spec field 'name' (string) is missing",
    ),
    (
        "nested table kind drifts",
        lambda spec, bodies, nested: nested["Message"].update(images="string"),
        "schema Message: field 'images' is 'string' (string) in the fake server's table but "
        "array<string> in the spec",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(mutate, expected, id=name) for name, mutate, expected in DRIFT_CASES],
)
def test_drift_is_found_and_named(mutate: Mutation, expected: str) -> None:
    spec = copy.deepcopy(SPEC)
    bodies = {path: dict(fields) for path, fields in SERVER_BODIES.items()}
    nested = {name: dict(fields) for name, fields in NESTED.items()}
    assert drift(spec, bodies, nested, NOT_IN_SPEC) == []
    mutate(spec, bodies, nested)
    problems = drift(spec, bodies, nested, NOT_IN_SPEC)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, "string"),
        ({"type": ["string", "null"]}, "string"),
        ({"type": "array", "items": {"type": "integer"}}, "array<integer>"),
        ({"type": ["array", "null"], "items": {"type": "string"}}, "array<string>"),
        ({"type": "object", "additionalProperties": True}, "object"),
        ({"type": "object", "additionalProperties": {"type": "string"}}, "object<string>"),
        ({"oneOf": [{"type": "number"}, {"type": "string"}, {"type": "null"}]}, "number|string"),
        ({"anyOf": [{"type": "boolean"}, {"const": "max"}]}, "boolean|string"),
        ({"$ref": REF_PREFIX + "Think"}, "boolean|string"),
        ({"$ref": REF_PREFIX + "Options"}, "object"),
        ({"type": "array", "items": {"$ref": REF_PREFIX + "Message"}}, "array<object>"),
        ({}, "any"),
    ],
)
def test_signature(schema: dict[str, Any], expected: str) -> None:
    assert signature(schema, _schemas(SPEC)) == expected
