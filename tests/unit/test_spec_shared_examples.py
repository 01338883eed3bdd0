"""The bodies of Ollama's own docs validate against the spec with a plain JSON Schema validator.

The folder (`../shared/ollama-api-examples` beside the clone, as in CI, or `$OLLAMA_API_EXAMPLES`)
is not part of the repository, so these tests skip, saying where they looked, when it is
absent; `openapi/examples/` holds the project's own bodies of older and newer servers, which
`tests/unit/test_spec.py` validates the same way. `openapi/shared-examples.yaml` maps each file
to its operation, kind and schema, and is the one list of the bodies that do not validate.

"Plain" means standard validators with no extension of ours, resolving `#/components/schemas/...`
in the spec: jsonschema's Draft 2020-12 validator and openapi-schema-validator's OpenAPI 3.1
dialect (2020-12 plus the OpenAPI vocabulary). What any user's validator does.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_schema_validator import OAS31Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parents[2]
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "ollama.yaml").read_text("utf-8"))
MAPPING: dict[str, Any] = yaml.safe_load(
    (ROOT / "openapi" / "shared-examples.yaml").read_text("utf-8")
)
SHARED = Path(
    os.environ.get("OLLAMA_API_EXAMPLES") or ROOT.parent / "shared" / "ollama-api-examples"
)
SPEC_URI = "urn:ollama-service:openapi"
REGISTRY: Registry = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(SPEC))
NOT_VALID: dict[str, dict[str, Any]] = MAPPING["not_valid"]
OPERATIONS: dict[str, dict[str, Any]] = {
    op["operationId"]: op
    for item in SPEC["paths"].values()
    for method, op in item.items()
    if method in {"get", "head", "post", "put", "patch", "delete"}
}


def _errors(schema: str, instance: Any) -> list[str]:
    """Every error jsonschema's Draft 2020-12 or the OpenAPI 3.1 dialect finds in `instance`."""
    errors: list[str] = []
    for cls in (Draft202012Validator, OAS31Validator):
        validator = cls(
            {"$ref": f"{SPEC_URI}#/components/schemas/{schema}"},
            registry=REGISTRY,
            format_checker=cls.FORMAT_CHECKER,
        )
        errors += [
            f"{cls.__name__}: {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in validator.iter_errors(instance)
        ]
    return errors


def _rule(name: str) -> dict[str, Any]:
    rule = next((r for r in MAPPING["rules"] if r["match"] in name), None)
    assert rule is not None, f"no rule in openapi/shared-examples.yaml maps {name}"
    return dict(rule)


def _files() -> list[str]:
    if not SHARED.is_dir():
        return []
    return sorted(p.name for p in SHARED.iterdir() if p.is_file() and p.name != "INDEX.md")


def _params() -> list[Any]:
    return [pytest.param(n, id=n) for n in _files()] or [pytest.param(None, id="absent")]


def _require_shared() -> None:
    if not SHARED.is_dir():
        pytest.skip(
            f"Ollama's doc examples are not here ({SHARED}): CI has them in ../shared beside "
            "the clone; set OLLAMA_API_EXAMPLES to run these tests elsewhere"
        )


def _bodies(name: str) -> list[Any]:
    text = (SHARED / name).read_text("utf-8")
    if name.endswith(".ndjson"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return [json.loads(text)]


def body_errors(name: str) -> list[str]:
    """Every validation error of the file (each line of a stream), prefixed with its place."""
    rule = _rule(name)
    bodies = _bodies(name)
    errors: list[str] = []
    for number, body in enumerate(bodies, 1):
        is_error_line = isinstance(body, dict) and "error" in body and rule["kind"] != "request"
        schema = "ErrorResponse" if is_error_line else rule["schema"]
        where = f"line {number}: " if name.endswith(".ndjson") else ""
        errors += [where + e for e in _errors(schema, body)]
        if is_error_line and number != len(bodies):
            errors.append(f"line {number}: an error line must end the stream")
    return errors


@pytest.mark.parametrize("name", _params())
def test_shared_body_validates(name: str | None) -> None:
    """Each body validates, or is listed in shared-examples.yaml with the reason it cannot."""
    _require_shared()
    assert name is not None
    errors = body_errors(name)
    if name in NOT_VALID:
        assert errors, f"{name} validates now: remove it from not_valid in shared-examples.yaml"
    else:
        assert not errors, errors


@pytest.mark.parametrize("name", _params())
def test_shared_body_matches_its_operation(name: str | None) -> None:
    """The mapped operation documents the schema for this body (request, or 200 reply media)."""
    _require_shared()
    assert name is not None
    rule = _rule(name)
    if rule["operation"] is None:
        assert rule["kind"] == "error"
        return
    op = OPERATIONS[rule["operation"]]
    if rule["kind"] == "request":
        content = op["requestBody"]["content"]
    else:
        content = op["responses"]["200"]["content"]
    media = "application/x-ndjson" if name.endswith(".ndjson") else "application/json"
    assert media in content, f"{rule['operation']} has no {media} {rule['kind']}"
    assert content[media]["schema"]["$ref"] == f"#/components/schemas/{rule['schema']}"


def test_not_valid_list_is_current() -> None:
    """Every listed file exists and gives its reason; no stale entries."""
    _require_shared()
    assert set(NOT_VALID) <= set(_files())
    for name, entry in NOT_VALID.items():
        assert len(entry["reason"]) > 20, name
        assert isinstance(entry.get("body", True), bool), name


def test_rules_name_real_operations_and_schemas() -> None:
    """The mapping stays true to the spec even where the folder is absent."""
    schemas = SPEC["components"]["schemas"]
    for rule in MAPPING["rules"]:
        assert rule["operation"] is None or rule["operation"] in OPERATIONS, rule
        assert rule["schema"] in schemas, rule
        assert rule["kind"] in {"request", "response", "error"}, rule
