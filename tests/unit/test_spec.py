"""Checks of the hand-written OpenAPI description (openapi/ollama.yaml) and its examples.

The document is the single source the code generator reads, so these tests pin the
conventions it relies on: the exact 19 operations, the vendor extensions, the naming and
required-ness rules of the component schemas, and that every example body in
openapi/examples/ (listed in INDEX.yaml) validates against the schema it is mapped to.
Generated structs are tested elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from referencing import Registry
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "openapi" / "ollama.yaml"
EXAMPLES_DIR = ROOT / "openapi" / "examples"
INDEX_PATH = EXAMPLES_DIR / "INDEX.yaml"
SPEC_URI = "urn:ollama-service:openapi"
SCHEMA_PREFIX = "#/components/schemas/"
JSON = "application/json"
NDJSON = "application/x-ndjson"


def _load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


SPEC: dict[str, Any] = _load_yaml(SPEC_PATH)
INDEX: dict[str, dict[str, Any]] = _load_yaml(INDEX_PATH)
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]

# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------

GENERATE_STREAM = {
    "field": "stream",
    "default": True,
    "terminal": {"field": "done", "equals": True},
}
PROGRESS_STREAM = {
    "field": "stream",
    "default": True,
    "terminal": {"field": "status", "equals": "success"},
}

# The 19 method+path pairs of reference section 2.1:
# (method, path, operationId, JSON request schema, x-idempotent, x-ollama-stream)
ENDPOINTS: list[tuple[str, str, str, str | None, bool, dict[str, Any] | None]] = [
    ("get", "/", "health", None, True, None),
    ("head", "/", "healthHead", None, True, None),
    ("get", "/api/version", "version", None, True, None),
    ("head", "/api/version", "versionHead", None, True, None),
    ("post", "/api/generate", "generate", "GenerateRequest", True, GENERATE_STREAM),
    ("post", "/api/chat", "chat", "ChatRequest", True, GENERATE_STREAM),
    ("post", "/api/embed", "embed", "EmbedRequest", True, None),
    ("post", "/api/embeddings", "embeddings", "EmbeddingsRequest", True, None),
    ("get", "/api/tags", "list", None, True, None),
    ("head", "/api/tags", "listHead", None, True, None),
    ("post", "/api/show", "show", "ShowRequest", True, None),
    ("post", "/api/create", "create", "CreateRequest", False, PROGRESS_STREAM),
    ("post", "/api/copy", "copy", "CopyRequest", True, None),
    ("delete", "/api/delete", "delete", "DeleteRequest", False, None),
    ("post", "/api/pull", "pull", "PullRequest", True, PROGRESS_STREAM),
    ("post", "/api/push", "push", "PushRequest", False, PROGRESS_STREAM),
    ("get", "/api/ps", "ps", None, True, None),
    ("head", "/api/blobs/{digest}", "blobExists", None, True, None),
    ("post", "/api/blobs/{digest}", "createBlob", None, True, None),
]
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

# 200 body schema of the operations that return JSON.
RESPONSE_SCHEMAS: dict[str, str] = {
    "version": "VersionResponse",
    "generate": "GenerateResponse",
    "chat": "ChatResponse",
    "embed": "EmbedResponse",
    "embeddings": "EmbeddingsResponse",
    "list": "ListResponse",
    "show": "ShowResponse",
    "create": "ProgressResponse",
    "pull": "ProgressResponse",
    "push": "ProgressResponse",
    "ps": "ProcessResponse",
    "systemone": "SystemOneResponse",
}

# Error statuses each operation must document (reference section 4.2).
ERROR_STATUSES: dict[str, set[str]] = {
    "generate": {"400", "401", "403", "404", "500", "503"},
    "chat": {"400", "401", "403", "404", "500", "503"},
    "embed": {"400", "403", "404", "500", "503"},
    "embeddings": {"400", "403", "404", "500", "503"},
    "list": {"403", "404", "500"},
    "show": {"400", "403", "404", "500"},
    "create": {"400", "403", "500"},
    "copy": {"400", "403", "404", "500"},
    "delete": {"400", "403", "404", "500"},
    "pull": {"400", "403", "500"},
    "push": {"400", "403", "500"},
    "createBlob": {"400", "403", "500"},
    "blobExists": {"400", "403", "404"},
    "systemone": {"400", "403", "404", "413", "500", "503"},
}

SCHEMA_NAMES = [
    "GenerateRequest",
    "GenerateResponse",
    "ChatRequest",
    "ChatResponse",
    "Message",
    "ToolCall",
    "ToolCallFunction",
    "Tool",
    "ToolFunction",
    "ToolFunctionParameters",
    "ToolProperty",
    "Options",
    "Logprob",
    "TokenLogprob",
    "DebugInfo",
    "EmbedRequest",
    "EmbedResponse",
    "EmbeddingsRequest",
    "EmbeddingsResponse",
    "ListResponse",
    "ListModel",
    "ModelDetails",
    "ShowRequest",
    "ShowResponse",
    "Tensor",
    "CreateRequest",
    "CreateInfo",
    "CopyRequest",
    "DeleteRequest",
    "PullRequest",
    "PushRequest",
    "ProgressResponse",
    "ProcessResponse",
    "ProcessModel",
    "VersionResponse",
    "ErrorResponse",
    "StatusResponse",
    "Format",
    "KeepAlive",
    "Think",
]
UNIONS = {
    "Format",
    "KeepAlive",
    "Think",
    "EmbedInput",
    "License",
    "ToolPropertyType",
    "SystemOneContent",
    "SystemOneQuestion",
    "SystemOneAnswer",
}
# Unions of structs, told apart by a tag property (msgspec tagged unions).
TAGGED_UNIONS = {"SystemOneQuestion": "type", "SystemOneAnswer": "type"}
REQUEST_STRUCTS = (
    {name for name in SCHEMAS if name.endswith("Request")}
    | {"Options", "CreateInfo"}
    | {f"SystemOne{kind}Question" for kind in ("Choice", "Noul", "Score")}
)

# "required" = the caller must pass it (requests) / the server always sends it (the rest).
REQUIRED: list[tuple[str, set[str]]] = [
    ("GenerateRequest", {"model"}),
    ("ChatRequest", {"model"}),
    ("EmbedRequest", {"model"}),
    ("EmbeddingsRequest", {"model"}),
    ("ShowRequest", {"model"}),
    ("CreateRequest", {"model"}),
    ("CopyRequest", {"source", "destination"}),
    ("DeleteRequest", {"model"}),
    ("PullRequest", {"model"}),
    ("PushRequest", {"model"}),
    ("GenerateResponse", {"model", "created_at", "response", "done"}),
    ("ChatResponse", {"model", "created_at", "done"}),
    ("Message", {"role"}),
    ("ToolCall", set()),
    ("ToolCallFunction", {"name", "arguments"}),
    ("Tool", set()),
    ("ToolFunction", set()),
    ("ToolFunctionParameters", set()),
    ("ListResponse", {"models"}),
    ("ListModel", {"name", "modified_at", "size", "digest"}),
    ("ModelDetails", {"format", "family", "families", "parameter_size", "quantization_level"}),
    ("ShowResponse", set()),
    ("EmbedResponse", {"model", "embeddings"}),
    ("EmbeddingsResponse", {"embedding"}),
    ("ProgressResponse", {"status"}),
    ("ProcessResponse", {"models"}),
    ("ProcessModel", {"name", "model", "size", "digest", "details", "expires_at"}),
    ("VersionResponse", {"version"}),
    ("ErrorResponse", {"error"}),
    ("StatusResponse", {"status"}),
]

# Every Options key of api.Options: (key, JSON type, server default or None when unset/automatic).
OPTIONS: list[tuple[str, str, Any]] = [
    ("num_ctx", "integer", None),
    ("num_batch", "integer", 512),
    ("num_gpu", "integer", -1),
    ("main_gpu", "integer", None),
    ("use_mmap", "boolean", None),
    ("num_thread", "integer", 0),
    ("draft_num_predict", "integer", 4),
    ("num_keep", "integer", 4),
    ("seed", "integer", -1),
    ("num_predict", "integer", -1),
    ("top_k", "integer", 40),
    ("top_p", "number", 0.9),
    ("min_p", "number", 0.0),
    ("typical_p", "number", 1.0),
    ("repeat_last_n", "integer", 64),
    ("temperature", "number", 0.8),
    ("repeat_penalty", "number", 1.0),
    ("presence_penalty", "number", 0.0),
    ("frequency_penalty", "number", 0.0),
    ("stop", "array", None),
    # Keys of the official library's Options that current servers ignore (logged as unknown).
    ("numa", "boolean", None),
    ("low_vram", "boolean", None),
    ("f16_kv", "boolean", None),
    ("logits_all", "boolean", None),
    ("vocab_only", "boolean", None),
    ("use_mlock", "boolean", None),
    ("embedding_only", "boolean", None),
    ("tfs_z", "number", None),
    ("mirostat", "integer", None),
    ("mirostat_tau", "number", None),
    ("mirostat_eta", "number", None),
    ("penalize_newline", "boolean", None),
]

# Deprecated but still accepted (or still sent) fields.
DEPRECATED_FIELDS: list[tuple[str, str]] = [
    ("GenerateRequest", "context"),
    ("GenerateResponse", "context"),
    ("ShowRequest", "name"),
    ("ShowRequest", "template"),
    ("CreateRequest", "name"),
    ("CreateRequest", "quantization"),
    ("DeleteRequest", "name"),
    ("PullRequest", "name"),
    ("PullRequest", "username"),
    ("PullRequest", "password"),
    ("PushRequest", "name"),
    ("PushRequest", "username"),
    ("PushRequest", "password"),
]

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _operation(method: str, path: str) -> dict[str, Any]:
    operation: dict[str, Any] = SPEC["paths"][path][method]
    return operation


OPERATIONS: dict[str, tuple[str, str, dict[str, Any]]] = {
    op["operationId"]: (method, path, op)
    for path, item in SPEC["paths"].items()
    for method, op in item.items()
    if method in HTTP_METHODS
}


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local $ref (to a component response or schema) once."""
    ref = node.get("$ref")
    if ref is None:
        return node
    target: Any = SPEC
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    assert isinstance(target, dict), ref
    return target


def _ref_name(schema: dict[str, Any]) -> str:
    ref = str(schema.get("$ref", ""))
    assert ref.startswith(SCHEMA_PREFIX), f"expected a $ref to a component schema, got {schema!r}"
    return ref.removeprefix(SCHEMA_PREFIX)


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


REGISTRY: Registry = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(SPEC))


# Standard validators that know none of our extensions: jsonschema's Draft 2020-12 and the
# OpenAPI 3.1 schema dialect on top of it (openapi-schema-validator). Both must agree.
VALIDATORS: tuple[Any, ...] = (Draft202012Validator, OAS31Validator)


def _errors(schema_name: str, instance: Any) -> list[str]:
    """Every error any plain validator finds, as `path: message` (empty: the body is valid)."""
    errors: list[str] = []
    for cls in VALIDATORS:
        validator = cls(
            {"$ref": f"{SPEC_URI}{SCHEMA_PREFIX}{schema_name}"},
            registry=REGISTRY,
            format_checker=cls.FORMAT_CHECKER,
        )
        errors += [
            f"{cls.__name__}: {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in validator.iter_errors(instance)
        ]
    return errors


def _endpoint_params() -> list[Any]:
    return [pytest.param(*row, id=row[2]) for row in ENDPOINTS]


def _index_params(*kinds: str) -> list[Any]:
    return [
        pytest.param(name, entry, id=name)
        for name, entry in INDEX.items()
        if not kinds or entry["kind"] in kinds
    ]


# ---------------------------------------------------------------------------
# (a) the document is valid OpenAPI 3.1
# ---------------------------------------------------------------------------


def test_document_validates() -> None:
    validate(SPEC)


def test_document_header() -> None:
    assert SPEC["openapi"] == "3.1.0"
    assert SPEC["info"]["title"] == "Ollama API"
    assert SPEC["info"]["version"] == "0.33.0"
    assert SPEC["info"]["license"]["name"] == "MIT"
    assert [server["url"] for server in SPEC["servers"]] == ["http://127.0.0.1:11434"]


def test_every_ref_resolves() -> None:
    refs = [
        (p, n["$ref"])
        for p, n in _walk(SPEC)
        if isinstance(n, dict) and isinstance(n.get("$ref"), str)
    ]
    assert refs
    for where, ref in refs:
        assert ref.startswith("#/components/"), f"{where}: non-local $ref {ref}"
        _resolve({"$ref": ref})  # raises KeyError when dangling


# ---------------------------------------------------------------------------
# (b) exactly the 19 method+path pairs of the reference
# ---------------------------------------------------------------------------


WEB_OPERATIONS = {"webSearch": ("post", "/api/web_search"), "webFetch": ("post", "/api/web_fetch")}
# Beyond the native API: the `/v1/*` route the official client calls (System One).
V1_OPERATIONS = {"systemone": ("post", "/v1/systemone")}


def _is_web(op_id: str) -> bool:
    return bool(OPERATIONS[op_id][2].get("x-ollama-web"))


def test_exactly_the_reference_operations() -> None:
    actual = {
        (m, p)
        for p, item in SPEC["paths"].items()
        for m, op in item.items()
        if m in HTTP_METHODS and not op.get("x-ollama-web") and not p.startswith("/v1/")
    }
    expected = {(m, p) for m, p, *_ in ENDPOINTS}
    assert len(ENDPOINTS) == 19
    assert actual == expected


def test_web_operations_are_served_by_ollama_com() -> None:
    """web_search and web_fetch go to ollama.com (as in the official client), not the server."""
    web = {op_id: (m, p) for op_id, (m, p, _) in OPERATIONS.items() if _is_web(op_id)}
    assert web == WEB_OPERATIONS
    for op_id in web:
        op = OPERATIONS[op_id][2]
        assert op["servers"] == [{"url": "https://ollama.com"}]
        assert op["x-idempotent"] is True


@pytest.mark.parametrize(
    ("method", "path", "op_id", "request_schema", "idempotent", "stream"), _endpoint_params()
)
def test_operation_id(
    method: str,
    path: str,
    op_id: str,
    request_schema: str | None,
    idempotent: bool,
    stream: dict[str, Any] | None,
) -> None:
    assert _operation(method, path)["operationId"] == op_id


def test_operation_ids_are_unique() -> None:
    ids = [op["operationId"] for _, _, op in OPERATIONS.values()]
    assert len(ids) == len(set(ids)) == 19 + len(WEB_OPERATIONS) + len(V1_OPERATIONS)


@pytest.mark.parametrize("op_id", ["blobExists", "createBlob"])
def test_digest_path_parameter(op_id: str) -> None:
    _, _, op = OPERATIONS[op_id]
    (param,) = op["parameters"]
    assert param["name"] == "digest"
    assert param["in"] == "path"
    assert param["required"] is True
    assert param["schema"] == {"type": "string", "pattern": "^sha256[:-][0-9a-fA-F]{64}$"}


# ---------------------------------------------------------------------------
# (d) x-idempotent everywhere; request bodies name their schema
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "op_id", "request_schema", "idempotent", "stream"), _endpoint_params()
)
def test_x_idempotent(
    method: str,
    path: str,
    op_id: str,
    request_schema: str | None,
    idempotent: bool,
    stream: dict[str, Any] | None,
) -> None:
    op = _operation(method, path)
    assert "x-idempotent" in op
    assert op["x-idempotent"] is idempotent


# gen_ai.operation.name per operation: the GenAI conventions' names where they have one.
GENAI_OPERATIONS = {
    "webSearch": "web_search",
    "webFetch": "web_fetch",
    "health": "health",
    "healthHead": "health",
    "version": "version",
    "versionHead": "version",
    "generate": "text_completion",
    "chat": "chat",
    "embed": "embeddings",
    "embeddings": "embeddings",
    "list": "list_models",
    "listHead": "list_models",
    "show": "show_model",
    "create": "create_model",
    "copy": "copy_model",
    "delete": "delete_model",
    "pull": "pull_model",
    "push": "push_model",
    "ps": "list_running_models",
    "blobExists": "check_blob",
    "createBlob": "push_blob",
    "systemone": "systemone",
}


def test_every_operation_names_its_genai_operation() -> None:
    """A new endpoint must say what its telemetry span is called."""
    named = {op["operationId"]: op.get("x-genai-operation") for _, _, op in OPERATIONS.values()}
    assert named == GENAI_OPERATIONS


@pytest.mark.parametrize(
    ("method", "path", "op_id", "request_schema", "idempotent", "stream"), _endpoint_params()
)
def test_request_body(
    method: str,
    path: str,
    op_id: str,
    request_schema: str | None,
    idempotent: bool,
    stream: dict[str, Any] | None,
) -> None:
    op = _operation(method, path)
    if op_id == "createBlob":
        assert op["x-request-body-raw"] is True
        assert set(op["requestBody"]["content"]) == {"application/octet-stream"}
        return
    assert "x-request-body-raw" not in op
    if request_schema is None:
        assert "requestBody" not in op
        return
    body = op["requestBody"]
    assert body["required"] is True
    assert set(body["content"]) == {JSON}
    assert _ref_name(body["content"][JSON]["schema"]) == request_schema


@pytest.mark.parametrize(
    ("op_id", "schema_name"), list(RESPONSE_SCHEMAS.items()), ids=list(RESPONSE_SCHEMAS)
)
def test_success_response_schema(op_id: str, schema_name: str) -> None:
    _, _, op = OPERATIONS[op_id]
    content = op["responses"]["200"]["content"]
    assert _ref_name(content[JSON]["schema"]) == schema_name


@pytest.mark.parametrize(
    ("op_id", "statuses"), list(ERROR_STATUSES.items()), ids=list(ERROR_STATUSES)
)
def test_error_responses(op_id: str, statuses: set[str]) -> None:
    method, _, op = OPERATIONS[op_id]
    responses = op["responses"]
    missing = statuses - set(responses)
    assert not missing, f"{op_id} does not document {sorted(missing)}"
    for status, response in responses.items():
        if not status.startswith(("4", "5")):
            continue
        resolved = _resolve(response)
        assert resolved.get("description"), f"{op_id} {status} needs a description"
        content = resolved.get("content", {})
        if JSON in content:
            assert _ref_name(content[JSON]["schema"]) == "ErrorResponse", f"{op_id} {status}"
        if method == "head":
            assert not content, "HEAD replies have no body"


@pytest.mark.parametrize("op_id", ["generate", "chat", "embed", "embeddings", "systemone"])
def test_server_busy_documented(op_id: str) -> None:
    assert OPERATIONS[op_id][2]["responses"]["503"] == {"$ref": "#/components/responses/ServerBusy"}


def test_non_json_bodies_documented() -> None:
    responses = SPEC["components"]["responses"]
    assert responses["NotFoundText"]["content"]["text/plain"]["example"] == "404 page not found"
    assert "content" not in responses["ForbiddenEmpty"]
    for op_id, (_, _, op) in OPERATIONS.items():
        if not _is_web(op_id):  # the host check is the local server's
            assert "403" in op["responses"], f"{op_id} lacks the host-check 403"


# ---------------------------------------------------------------------------
# (e) streaming operations and empty bodies
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "op_id", "request_schema", "idempotent", "stream"), _endpoint_params()
)
def test_x_ollama_stream(
    method: str,
    path: str,
    op_id: str,
    request_schema: str | None,
    idempotent: bool,
    stream: dict[str, Any] | None,
) -> None:
    op = _operation(method, path)
    if stream is None:
        assert "x-ollama-stream" not in op
        return
    assert op["x-ollama-stream"] == stream
    assert SCHEMAS[request_schema]["properties"]["stream"]["default"] is True  # type: ignore[index]
    content = op["responses"]["200"]["content"]
    assert set(content) == {JSON, NDJSON}
    assert content[JSON]["schema"] == content[NDJSON]["schema"]
    terminal = stream["terminal"]
    assert terminal["field"] in SCHEMAS[_ref_name(content[NDJSON]["schema"])]["properties"]


@pytest.mark.parametrize(
    ("op_id", "statuses", "client_returns"),
    [
        pytest.param("copy", ["200"], "StatusResponse", id="copy"),
        pytest.param("delete", ["200"], "StatusResponse", id="delete"),
        pytest.param("createBlob", ["200", "201"], None, id="createBlob"),
    ],
)
def test_empty_bodies(op_id: str, statuses: list[str], client_returns: str | None) -> None:
    _, _, op = OPERATIONS[op_id]
    for status in statuses:
        assert op["responses"][status]["x-empty-body"] is True
        assert "content" not in op["responses"][status]
    assert op.get("x-client-returns") == client_returns


def test_status_response_is_client_side() -> None:
    schema = SCHEMAS["StatusResponse"]
    assert schema["x-client-side"] is True
    assert set(schema["properties"]) == {"status"}


# ---------------------------------------------------------------------------
# Schema conventions the code generator relies on
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_exists(name: str) -> None:
    assert name in SCHEMAS


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_shape(name: str) -> None:
    schema = SCHEMAS[name]
    description = schema.get("description", "")
    assert description, "a description is required"
    assert "\n" not in description, "the description is one line"
    if name in UNIONS:
        assert "oneOf" in schema
        assert "type" not in schema
        assert "properties" not in schema
        return
    assert not {"oneOf", "allOf", "anyOf"} & set(schema), "only the named unions use oneOf"
    assert schema["type"] == "object"
    assert schema["properties"], "named object schemas list their properties"
    for prop, sub in schema["properties"].items():
        text = sub.get("description", "")
        assert text, f"{name}.{prop} needs a description"
        assert "\n" not in text, f"{name}.{prop}: the description is one line"
    assert set(schema.get("required", [])) <= set(schema["properties"])
    if name in REQUEST_STRUCTS:
        assert schema.get("x-struct") == "request"
    else:
        assert "x-struct" not in schema


def test_no_inline_object_schemas_in_operations() -> None:
    for op_id, (_, _, op) in OPERATIONS.items():
        for where, node in _walk(op):
            if isinstance(node, dict) and where.endswith("/schema"):
                assert "$ref" in node or node.get("type") == "string", (
                    f"{op_id}{where}: use a component $ref"
                )


def test_no_closed_objects() -> None:
    closed = [
        p for p, n in _walk(SPEC) if isinstance(n, dict) and n.get("additionalProperties") is False
    ]
    assert not closed


@pytest.mark.parametrize(("name", "required"), REQUIRED, ids=[r[0] for r in REQUIRED])
def test_required_fields(name: str, required: set[str]) -> None:
    assert set(SCHEMAS[name].get("required", [])) == required


@pytest.mark.parametrize(("key", "json_type", "default"), OPTIONS, ids=[o[0] for o in OPTIONS])
def test_options_key(key: str, json_type: str, default: Any) -> None:
    prop = SCHEMAS["Options"]["properties"][key]
    assert prop["type"] == json_type
    if default is None:
        assert "default" not in prop
    else:
        assert prop["default"] == default
    if json_type == "array":
        assert prop["items"] == {"type": "string"}


def test_options_has_exactly_the_reference_keys_and_stays_open() -> None:
    options = SCHEMAS["Options"]
    assert set(options["properties"]) == {key for key, _, _ in OPTIONS}
    assert options["additionalProperties"] is True


@pytest.mark.parametrize(
    ("name", "prop"), DEPRECATED_FIELDS, ids=[f"{s}.{p}" for s, p in DEPRECATED_FIELDS]
)
def test_deprecated_fields(name: str, prop: str) -> None:
    assert SCHEMAS[name]["properties"][prop]["deprecated"] is True


def test_legacy_embeddings_endpoint_is_deprecated() -> None:
    assert OPERATIONS["embeddings"][2]["deprecated"] is True


@pytest.mark.parametrize(
    ("name", "prop", "union"),
    [
        pytest.param("GenerateRequest", "format", "Format", id="generate-format"),
        pytest.param("GenerateRequest", "keep_alive", "KeepAlive", id="generate-keep_alive"),
        pytest.param("GenerateRequest", "think", "Think", id="generate-think"),
        pytest.param("ChatRequest", "format", "Format", id="chat-format"),
        pytest.param("ChatRequest", "keep_alive", "KeepAlive", id="chat-keep_alive"),
        pytest.param("ChatRequest", "think", "Think", id="chat-think"),
        pytest.param("EmbedRequest", "keep_alive", "KeepAlive", id="embed-keep_alive"),
        pytest.param("EmbeddingsRequest", "keep_alive", "KeepAlive", id="embeddings-keep_alive"),
        pytest.param("EmbedRequest", "input", "EmbedInput", id="embed-input"),
        pytest.param("CreateRequest", "license", "License", id="create-license"),
        pytest.param("ToolProperty", "type", "ToolPropertyType", id="tool-property-type"),
    ],
)
def test_union_fields(name: str, prop: str, union: str) -> None:
    assert _ref_name(SCHEMAS[name]["properties"][prop]) == union


@pytest.mark.parametrize(
    ("union", "valid", "invalid"),
    [
        pytest.param("Format", ["json", {"type": "object"}], ["yaml", 1, ["json"]], id="Format"),
        pytest.param("KeepAlive", ["5m", "0", 0, -1, 42.5], [True, None, ["5m"]], id="KeepAlive"),
        pytest.param(
            "Think", [True, False, "low", "medium", "high", "max"], ["extreme", 1, None], id="Think"
        ),
        pytest.param("EmbedInput", ["a", ["a", "b"], []], [1, ["a", 2], None], id="EmbedInput"),
        pytest.param("License", ["MIT", ["MIT", "Apache-2.0"]], [1, {"name": "MIT"}], id="License"),
        pytest.param(
            "ToolPropertyType", ["string", ["string", "null"]], [1, [1]], id="ToolPropertyType"
        ),
    ],
)
def test_union_values(union: str, valid: list[Any], invalid: list[Any]) -> None:
    for value in valid:
        assert not _errors(union, value), f"{union} should accept {value!r}"
    for value in invalid:
        assert _errors(union, value), f"{union} should reject {value!r}"


@pytest.mark.parametrize(
    ("name", "prop"),
    [
        pytest.param("ModelDetails", "families", id="ModelDetails.families"),
        pytest.param(
            "ToolFunctionParameters", "properties", id="ToolFunctionParameters.properties"
        ),
    ],
)
def test_nullable_fields(name: str, prop: str) -> None:
    prop_type = SCHEMAS[name]["properties"][prop]["type"]
    assert isinstance(prop_type, list)
    assert "null" in prop_type


# The smallest body each schema below accepts (every required key, nothing else).
_MINIMAL: dict[str, dict[str, Any]] = {
    "ProgressResponse": {"status": "pulling manifest"},
    "ToolCallFunction": {"name": "f", "arguments": {}},
    "ProcessModel": {
        "name": "m:latest",
        "model": "m:latest",
        "size": 1,
        "digest": "ab",
        "details": {
            "format": "gguf",
            "family": "llama",
            "families": None,
            "parameter_size": "1B",
            "quantization_level": "Q4_0",
        },
        "expires_at": "2026-08-21T18:48:22-07:00",
    },
    "Message": {"role": "assistant"},
    "ModelDetails": {
        "format": "gguf",
        "family": "llama",
        "families": None,
        "parameter_size": "1B",
        "quantization_level": "Q4_0",
    },
    "ListModel": {
        "name": "m:latest",
        "modified_at": "2026-08-21T18:48:22-07:00",
        "size": 1,
        "digest": "ab",
    },
    "ShowResponse": {},
}


# Reply fields some supported servers leave out: optional, with the value an absent key means.
OMITTED_WITH_DEFAULT: list[tuple[str, str, Any]] = [
    ("ProgressResponse", "completed", 0),  # Go omitempty: absent while 0
    ("ToolCallFunction", "index", 0),  # before v0.12.6 (omitempty), absent before v0.4.7
    ("ProcessModel", "context_length", 0),  # before v0.10.0
    ("ProcessModel", "size_vram", 0),  # v0.1.38 to v0.1.41 (omitempty)
    ("Message", "content", ""),  # assistant tool-call messages in requests; v0.2.6 (omitempty)
    ("ModelDetails", "parent_model", ""),  # before v0.1.21
    ("ListModel", "model", ""),  # before v0.1.21
    ("ShowResponse", "model_info", {}),  # omitempty before v0.14.3, absent before v0.1.45
]


@pytest.mark.parametrize(
    ("name", "prop", "default"),
    OMITTED_WITH_DEFAULT,
    ids=[f"{n}.{p}" for n, p, _ in OMITTED_WITH_DEFAULT],
)
def test_omitted_reply_fields_are_optional_with_a_default(
    name: str, prop: str, default: Any
) -> None:
    schema = SCHEMAS[name]
    assert prop not in schema.get("required", [])
    assert schema["properties"][prop]["default"] == default
    body = {k: v for k, v in _MINIMAL[name].items() if k != prop}
    assert not _errors(name, body), f"{name} without {prop} must validate"


@pytest.mark.parametrize(
    ("name", "body"),
    [
        pytest.param("ProgressResponse", {"completed": 5}, id="progress-without-status"),
        pytest.param(
            "GenerateResponse",
            {"model": "m", "response": "", "done": True},
            id="generate-without-created_at",
        ),
        pytest.param(
            "ChatResponse",
            {"model": "m", "created_at": "2026-08-21T00:00:00Z"},
            id="chat-without-done",
        ),
        pytest.param(
            "ErrorResponse", {"signin_url": "https://ollama.com/connect"}, id="error-without-error"
        ),
        pytest.param(
            "ToolCallFunction", {"index": 0, "arguments": {}}, id="tool-call-without-name"
        ),
        pytest.param(
            "ProgressResponse", {"status": "x", "completed": "5"}, id="completed-as-string"
        ),
    ],
)
def test_what_every_server_sends_stays_required(name: str, body: dict[str, Any]) -> None:
    """Leniency is for keys servers really leave out; a body without the rest is rejected."""
    assert _errors(name, body)


def _reply_schemas() -> list[str]:
    """Object schemas that are not request-only (replies and shared types)."""
    return [
        n for n in sorted(SCHEMAS) if "properties" in SCHEMAS[n] and "x-struct" not in SCHEMAS[n]
    ]


@pytest.mark.parametrize("name", _reply_schemas())
def test_reply_defaults_are_what_an_absent_key_decodes_as(name: str) -> None:
    """`default:` on a reply (or shared) schema's property is the value an absent key means.

    It is never on a required property (absent cannot happen there), and it is the empty value
    of the type, or an object for a struct (the generator refuses anything else, because
    `omit_defaults` would drop a meaningful default from requests). The one exception is a
    property marked `x-send-default: true`: the client fills in its default and always sends
    it, so it is a meaningful scalar (`Tool.type: function`), never an empty one.
    """
    schema = SCHEMAS[name]
    for prop, sub in schema["properties"].items():
        if "default" not in sub:
            continue
        assert prop not in schema.get("required", []), f"{name}.{prop}: required with a default"
        default = sub["default"]
        if sub.get("x-send-default") is True:
            scalar = {"string": str, "integer": int, "number": (int, float), "boolean": bool}
            assert isinstance(default, scalar[sub["type"]]), f"{name}.{prop}: {default!r}"
            assert default not in ("", 0, False), f"{name}.{prop}: an empty default is not sent"
            continue
        if "$ref" in sub:
            assert isinstance(default, dict), f"{name}.{prop}"
        else:
            empty = {
                "string": "",
                "integer": 0,
                "number": 0,
                "boolean": False,
                "array": [],
                "object": {},
            }
            assert default == empty[sub["type"]], f"{name}.{prop}: {default!r} is not empty"
            assert isinstance(default, bool) is (sub["type"] == "boolean"), f"{name}.{prop}"


def test_send_default_marks_a_property_with_a_default() -> None:
    """`x-send-default: true` is only ever on a property that has a `default:` to send."""
    marked = [
        path for path, node in _walk(SPEC) if isinstance(node, dict) and "x-send-default" in node
    ]
    assert marked
    for path, node in _walk(SPEC):
        if isinstance(node, dict) and "x-send-default" in node:
            assert node["x-send-default"] is True, path
            assert "default" in node, path


# What the official library's models fill in and always send (pydantic `Field` defaults that
# its `model_dump(exclude_none=True)` keeps): the same values, sent the same way.
OFFICIAL_SENT_DEFAULTS = [
    ("Tool", "type", "function"),
    ("ToolFunctionParameters", "type", "object"),
]


@pytest.mark.parametrize(("name", "prop", "value"), OFFICIAL_SENT_DEFAULTS)
def test_official_sent_defaults_are_sent(name: str, prop: str, value: str) -> None:
    sub = SCHEMAS[name]["properties"][prop]
    assert sub["default"] == value
    assert sub["x-send-default"] is True


# Keywords that would make a plain validator read the document differently from us: our own
# validation extensions, and OpenAPI 3.0-isms that 3.1 (JSON Schema 2020-12) no longer knows.
FORBIDDEN_KEYWORDS = {"x-omitempty", "nullable", "x-nullable", "x-required", "x-optional"}


def test_no_keyword_changes_validation_meaning() -> None:
    found = [
        (path, key)
        for path, node in _walk(SPEC)
        if isinstance(node, dict)
        for key in node
        if key in FORBIDDEN_KEYWORDS
    ]
    assert not found


def _branch_types(branch: dict[str, Any]) -> set[str]:
    branch = _resolve(branch)
    kind = branch.get("type")
    if kind is None:
        return {"any"}
    types = set(kind) if isinstance(kind, list) else {kind}
    # JSON Schema's "number" includes integers.
    return types | ({"integer"} if "number" in types else set())


def _tag(branch: dict[str, Any]) -> tuple[str, Any] | None:
    """(property, value) of a required `const`/single-`enum` property: a discriminating tag."""
    branch = _resolve(branch)
    for prop in branch.get("required", []):
        sub = branch.get("properties", {}).get(prop, {})
        if "const" in sub:
            return prop, sub["const"]
        if len(sub.get("enum", [])) == 1:
            return prop, sub["enum"][0]
    return None


def test_one_of_branches_are_mutually_exclusive() -> None:
    """A plain validator accepts a `oneOf` value only if exactly one branch matches: branches
    must differ in JSON type or, for objects, by a required tag property with a different
    constant (a `discriminator` is an annotation a plain validator ignores)."""
    unions = [(p, n["oneOf"]) for p, n in _walk(SPEC) if isinstance(n, dict) and "oneOf" in n]
    assert unions
    for where, branches in unions:
        for i, a in enumerate(branches):
            for b in branches[i + 1 :]:
                shared = _branch_types(a) & _branch_types(b)
                if "any" in _branch_types(a) | _branch_types(b):
                    shared = {"any"}
                if not shared:
                    continue
                tag_a, tag_b = _tag(a), _tag(b)
                tagged = (
                    tag_a is not None
                    and tag_b is not None
                    and tag_a[0] == tag_b[0]
                    and tag_a[1] != tag_b[1]
                )
                assert tagged, f"{where}: branches {a} and {b} may both match"


def test_replies_stay_open_to_new_fields() -> None:
    """Newer servers add reply fields; no schema may close itself with additionalProperties."""
    for name in _reply_schemas():
        assert SCHEMAS[name].get("additionalProperties", True) is not False, name


# ---------------------------------------------------------------------------
# (c) every example in openapi/examples/INDEX.yaml validates
# ---------------------------------------------------------------------------


def test_index_lists_every_example_file() -> None:
    on_disk = {p.name for p in EXAMPLES_DIR.iterdir() if p.is_file() and p.name != "INDEX.yaml"}
    assert on_disk == set(INDEX)


@pytest.mark.parametrize(("name", "entry"), _index_params())
def test_index_entry_is_well_formed(name: str, entry: dict[str, Any]) -> None:
    assert entry["operation"] in OPERATIONS
    assert entry["kind"] in {"request", "response", "error"}
    assert entry["schema"] is None or entry["schema"] in SCHEMAS
    assert entry["stream"] is name.endswith(".ndjson")
    if entry["kind"] == "request":
        assert "status" not in entry
    else:
        assert isinstance(entry["status"], int)
    if entry["kind"] == "error":
        assert entry["schema"] in {"ErrorResponse", None}
        assert entry["status"] >= 400
    if entry["schema"] is None:
        assert name.endswith(".txt"), "non-JSON bodies are .txt files"


@pytest.mark.parametrize(("name", "entry"), _index_params())
def test_example_validates(name: str, entry: dict[str, Any]) -> None:
    text = (EXAMPLES_DIR / name).read_text(encoding="utf-8")
    schema = entry["schema"]
    if schema is None:
        with pytest.raises(ValueError):
            json.loads(text)  # not JSON (plain text or an empty body)
        return
    if not entry["stream"]:
        body = json.loads(text)
        assert not _errors(schema, body), _errors(schema, body)
        return
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert lines, "empty stream"
    for number, line in enumerate(lines, 1):
        line_schema = "ErrorResponse" if "error" in line else schema
        errors = _errors(line_schema, line)
        assert not errors, f"line {number}: {errors}"
        if "error" in line:
            assert number == len(lines), "a mid-stream error line ends the stream"
            assert "done" not in line
    _, _, op = OPERATIONS[entry["operation"]]
    terminal = op["x-ollama-stream"]["terminal"]
    if "error" not in lines[-1]:
        assert lines[-1][terminal["field"]] == terminal["equals"], (
            "a stream ends with its terminal line"
        )
        assert all(line.get(terminal["field"]) != terminal["equals"] for line in lines[:-1])


@pytest.mark.parametrize(("name", "entry"), _index_params())
def test_example_matches_operation(name: str, entry: dict[str, Any]) -> None:
    _, _, op = OPERATIONS[entry["operation"]]
    if entry["kind"] == "request":
        body = op["requestBody"]["content"][JSON]["schema"]
        assert _ref_name(body) == entry["schema"]
        return
    status = str(entry["status"])
    assert status in op["responses"], f"{entry['operation']} does not document {status}"
    response = _resolve(op["responses"][status])
    content = response.get("content", {})
    text = (EXAMPLES_DIR / name).read_text(encoding="utf-8")
    if entry["schema"] is None:
        assert JSON not in content
        if "text/plain" in content:
            assert text
            if "example" in content["text/plain"]:
                assert text == content["text/plain"]["example"]
        else:
            assert text == "", "documented as an empty body"
        return
    media = NDJSON if entry["stream"] else JSON
    assert media in content, f"{entry['operation']} {status} has no {media} body"
    assert _ref_name(content[media]["schema"]) == entry["schema"]


@pytest.mark.parametrize(
    "op_id",
    [
        op_id
        for op_id, (_, _, op) in OPERATIONS.items()
        if "requestBody" in op and JSON in op["requestBody"]["content"]
    ],
)
def test_every_json_request_has_an_example(op_id: str) -> None:
    assert any(e["operation"] == op_id and e["kind"] == "request" for e in INDEX.values())


@pytest.mark.parametrize("op_id", sorted(RESPONSE_SCHEMAS))
def test_every_json_response_has_an_example(op_id: str) -> None:
    assert any(
        e["operation"] == op_id and e["kind"] == "response" and not e["stream"]
        for e in INDEX.values()
    )


@pytest.mark.parametrize("op_id", ["generate", "chat", "create", "pull", "push"])
def test_every_stream_has_an_example(op_id: str) -> None:
    assert any(e["operation"] == op_id and e["stream"] for e in INDEX.values())


# ---------------------------------------------------------------------------
# Tagged unions: `oneOf` + `discriminator`, told apart by plain validators too
# ---------------------------------------------------------------------------


def _branches(union: str) -> dict[str, str]:
    """The tag value of each branch of a tagged union: {tag: schema name}."""
    field = TAGGED_UNIONS[union]
    out: dict[str, str] = {}
    for member in SCHEMAS[union]["oneOf"]:
        name = _ref_name(member)
        tag = SCHEMAS[name]["properties"][field]
        assert tag["type"] == "string"
        assert field in SCHEMAS[name]["required"], f"{name}: the tag must be required"
        out[tag["const"]] = name
    return out


@pytest.mark.parametrize("union", sorted(TAGGED_UNIONS))
def test_tagged_union_discriminator_matches_its_branches(union: str) -> None:
    schema = SCHEMAS[union]
    discriminator = schema["discriminator"]
    assert discriminator["propertyName"] == TAGGED_UNIONS[union]
    branches = _branches(union)
    assert len(branches) == len(schema["oneOf"]), "every branch has its own tag"
    assert discriminator["mapping"] == {tag: SCHEMA_PREFIX + n for tag, n in branches.items()}


@pytest.mark.parametrize(
    ("union", "instance", "branch"),
    [
        pytest.param(
            "SystemOneQuestion",
            {"type": "choice", "instructions": "?", "criteria": {"a": None, "b": "B"}},
            "SystemOneChoiceQuestion",
            id="choice-question",
        ),
        pytest.param(
            "SystemOneQuestion",
            {"type": "noul", "instructions": ["?"], "criteria": {"false": "No", "true": "Yes"}},
            "SystemOneNoulQuestion",
            id="noul-question",
        ),
        pytest.param(
            "SystemOneQuestion",
            {"type": "score", "instructions": {"q": "?"}, "criteria": ["low", "high"]},
            "SystemOneScoreQuestion",
            id="score-question",
        ),
        pytest.param(
            "SystemOneQuestion", {"type": "maybe", "instructions": "?"}, None, id="unknown"
        ),
        pytest.param("SystemOneQuestion", {"instructions": "?"}, None, id="untagged"),
        pytest.param(
            "SystemOneQuestion",
            {"type": "choice", "instructions": "?", "criteria": ["a", "b"]},
            None,
            id="wrong-criteria",
        ),
        pytest.param(
            "SystemOneAnswer", {"type": "noul", "noul": 0.5}, "SystemOneNoulAnswer", id="noul"
        ),
        pytest.param(
            "SystemOneAnswer",
            {"type": "choice", "choice": "a", "probabilities": {"a": 1.0}, "confidence": 1.0},
            "SystemOneChoiceAnswer",
            id="choice",
        ),
        pytest.param("SystemOneAnswer", {"type": "score", "score": 1.5}, None, id="incomplete"),
    ],
)
def test_tagged_union_branches_exclude_each_other(
    union: str, instance: dict[str, Any], branch: str | None
) -> None:
    """A plain JSON Schema validator (no discriminator support) finds at most one branch."""
    matching = [name for name in _branches(union).values() if not _errors(name, instance)]
    assert matching == ([] if branch is None else [branch])
    assert bool(_errors(union, instance)) is (branch is None)


# x-python-method, x-max-retries, x-empty-result: the client's surface and behaviour
# ---------------------------------------------------------------------------

# The Python method of every operation the clients expose; the HEAD probes that no method
# sends (healthHead, versionHead, listHead) have none, so no Operation is generated for them.
PYTHON_METHODS = {
    "health": "health",
    "version": "version",
    "generate": "generate",
    "chat": "chat",
    "embed": "embed",
    "embeddings": "embeddings",
    "list": "list",
    "show": "show",
    "create": "create",
    "copy": "copy",
    "delete": "delete",
    "pull": "pull",
    "push": "push",
    "ps": "ps",
    "blobExists": "blob_exists",
    "createBlob": "create_blob",
    "webSearch": "web_search",
    "webFetch": "web_fetch",
    "systemone": "systemone",
}
HAND_WRITTEN = {"health", "blobExists", "createBlob", "systemone"}


def test_python_methods() -> None:
    named = {
        op_id: op["x-python-method"]["name"]
        for op_id, (_, _, op) in OPERATIONS.items()
        if "x-python-method" in op
    }
    assert {k: v for k, v in named.items() if k in PYTHON_METHODS} == PYTHON_METHODS
    written = {
        op_id
        for op_id, (_, _, op) in OPERATIONS.items()
        if op.get("x-python-method", {}).get("hand-written")
    }
    assert written == HAND_WRITTEN


@pytest.mark.parametrize("op_id", sorted(set(PYTHON_METHODS) - HAND_WRITTEN))
def test_python_method_excludes_say_why(op_id: str) -> None:
    """A request property left out of the method is listed with a reason, never silently."""
    ext = OPERATIONS[op_id][2]["x-python-method"]
    for name, reason in ext.get("exclude", {}).items():
        assert isinstance(reason, str), (op_id, name)
        assert len(reason) > 10, (op_id, name)


def test_retry_budgets() -> None:
    """Only pull (long, resumed by the server) has a smaller budget of its own."""
    budgets = {
        op_id: op["x-max-retries"]
        for op_id, (_, _, op) in OPERATIONS.items()
        if "x-max-retries" in op
    }
    assert budgets == {"pull": 1}


def test_empty_results() -> None:
    """Empty-body operations that return a client-side struct say which value."""
    for op_id, (_, _, op) in OPERATIONS.items():
        if "x-client-returns" in op:
            assert op["x-empty-result"] == {"status": "success"}, op_id
