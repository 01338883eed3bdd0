"""The generated endpoint methods: one spec edit reaches both clients, and nothing else is needed.

Adding a request field must be a change of `openapi/ollama.yaml` and `nox -s generate` only:
these tests add a property to a copy of the spec, regenerate into memory, and check that both
clients' signatures gain the keyword, that it is sent in the request body, and that every file
that changes is a generated one.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import msgspec
import pytest
import yaml

import ollama_service.types
from codegen.__main__ import ROOT, SPEC, client_outputs, ruff_format, type_outputs
from codegen._client import ENDPOINTS_PATH, methods
from codegen._headers import MARKER
from codegen._spec import SpecError, load

SYNC_ENDPOINTS = Path("src/ollama_service/_sync/_endpoints.py")
MODELS = Path("src/ollama_service/types/_models.py")


def _spec_with_new_field(tmp_path: Path) -> Path:
    text = (ROOT / SPEC).read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    doc["components"]["schemas"]["GenerateRequest"]["properties"]["nonce_tag"] = {
        "type": "string",
        "description": "A field added by the test.",
    }
    path = tmp_path / "ollama.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, str]:
    spec = _spec_with_new_field(tmp_path_factory.mktemp("spec"))
    outputs = {p: ruff_format(t, p) for p, t in type_outputs(spec, SPEC).items()}
    outputs.update(client_outputs(spec, SPEC))
    return outputs


def _signature_of(text: str, method: str) -> str:
    """The implementation's parameter list (the last `def` of that name) in a rendered module."""
    found = re.findall(rf"def {method}\((.*?)\) ->", text, flags=re.S)
    assert found, method
    return " ".join(found[-1].split())


def test_new_field_is_a_keyword_of_both_clients(regenerated: dict[Path, str]) -> None:
    for path in (ENDPOINTS_PATH, SYNC_ENDPOINTS):
        text = regenerated[path]
        assert "nonce_tag: str | None = None" in _signature_of(text, "generate"), path
        assert "nonce_tag=unset_if_none(nonce_tag)" in text, path
        assert "nonce_tag: A field added by the test." in text, path
    # Both overloads carry it too.
    assert regenerated[SYNC_ENDPOINTS].count("nonce_tag: str | None = None") == 3


def test_only_generated_files_change(regenerated: dict[Path, str]) -> None:
    changed = sorted(
        str(p) for p, text in regenerated.items() if (ROOT / p).read_text(encoding="utf-8") != text
    )
    assert changed, "the new field changed nothing"
    for rel in changed:
        assert (ROOT / rel).read_text(encoding="utf-8").startswith(MARKER), rel


def _load(name: str, text: str, tmp_path: Path) -> ModuleType:
    path = tmp_path / f"{name}.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def new_models(
    regenerated: dict[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ModuleType]:
    """The regenerated structs, standing in for the package's while a test runs."""
    models = _load("regenerated_models", regenerated[MODELS], tmp_path)
    monkeypatch.setattr(ollama_service.types, "GenerateRequest", models.GenerateRequest)
    yield models
    sys.modules.pop("regenerated_models", None)


def test_new_field_is_sent_in_the_body(
    regenerated: dict[Path, str], new_models: ModuleType, tmp_path: Path
) -> None:
    """The regenerated sync client, on the real base, puts the keyword on the wire."""
    endpoints = _load("regenerated_endpoints", regenerated[SYNC_ENDPOINTS], tmp_path)
    bodies: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(msgspec.json.decode(request.content))
        return httpx.Response(200, json={"model": "m", "response": "ok", "done": True})

    client = endpoints.Endpoints("http://127.0.0.1:9", transport=httpx.MockTransport(handler))
    try:
        reply = client.generate("m", "hi", nonce_tag="abc")
    finally:
        client.close()
        sys.modules.pop("regenerated_endpoints", None)
    assert reply.response == "ok"
    assert bodies == [{"model": "m", "prompt": "hi", "stream": False, "nonce_tag": "abc"}]


def test_committed_endpoints_are_current() -> None:
    for rel, text in client_outputs(ROOT / SPEC, SPEC).items():
        assert (ROOT / rel).read_text(encoding="utf-8") == text, rel


# --- The extension is checked ---------------------------------------------------------------


def _with_method(tmp_path: Path, op_path: str, method: str, **changes: Any) -> Path:
    doc = yaml.safe_load((ROOT / SPEC).read_text(encoding="utf-8"))
    doc["paths"][op_path][method]["x-python-method"].update(changes)
    path = tmp_path / "ollama.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("op_path", "method", "changes", "message"),
    [
        ("/api/show", "post", {"positional": ["modle"]}, r"'modle' is no property of ShowRequest"),
        ("/api/show", "post", {"name": "_show"}, "public Python identifier"),
        ("/api/show", "post", {"name": "list"}, "used by another operation"),
        ("/api/show", "post", {"colour": "red"}, r"unknown keys \['colour'\]"),
        ("/api/pull", "post", {"defaults": {"stream": True}}, "keyword-only with default false"),
        (
            "/api/blobs/{digest}",
            "post",
            {"hand-written": False},
            r"raw upload \(x-request-body-raw\) needs hand-written",
        ),
    ],
)
def test_bad_extensions_name_the_operation(
    tmp_path: Path, op_path: str, method: str, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(SpecError, match=message):
        methods(load(_with_method(tmp_path, op_path, method, **changes)))


def test_every_exposed_operation_has_a_method() -> None:
    """The spec names every public endpoint method of the clients (generated or hand-written)."""
    from ollama_service import AsyncClient

    ir = load(ROOT / SPEC)
    named = {str((op.python or {})["name"]) for op in ir.operations if op.python is not None}
    generated = {m.name for m in methods(ir)}
    assert generated < named
    for name in named:
        assert callable(getattr(AsyncClient, name)), name


def test_specs_copy_is_a_copy(tmp_path: Path) -> None:
    """The fixture's edit is the only difference (so the tests above test one edit)."""
    spec = _spec_with_new_field(tmp_path)
    before = yaml.safe_load((ROOT / SPEC).read_text(encoding="utf-8"))
    after = yaml.safe_load(spec.read_text(encoding="utf-8"))
    del after["components"]["schemas"]["GenerateRequest"]["properties"]["nonce_tag"]
    assert after == before


# --- Endpoint behaviour comes from the Operation table --------------------------------------

from ollama_service.types import _operations  # noqa: E402  (the generated table)

_CONSTANTS = "|".join(n for n in _operations.__all__ if n not in {"OPERATIONS", "SPEC_SHA256"})
_NAMES_AN_OPERATION = re.compile(
    rf"\b(is|is not|==|!=) ({_CONSTANTS})\b"  # `op is PULL`
    r"|\bop(eration)?\.(name|path)\s*(==|!=|in)\s"  # `op.name == "pull"`
    r"|(==|!=)\s*[\"']/api/|[\"']/api/[\w/{}]*[\"']\s*(==|!=)"  # `path == "/api/pull"`
)


@pytest.mark.parametrize(
    "path",
    sorted(
        p.relative_to(ROOT)
        for p in [*(ROOT / "src/ollama_service").rglob("*.py")]
        if "_sync" not in p.parts and not p.read_text(encoding="utf-8").startswith(MARKER)
    ),
    ids=str,
)
def test_no_hand_written_code_special_cases_an_operation(path: Path) -> None:
    """Retry budgets, streaming and empty bodies are read from `Operation` fields."""
    for number, line in enumerate((ROOT / path).read_text(encoding="utf-8").splitlines(), 1):
        assert not _NAMES_AN_OPERATION.search(line), f"{path}:{number}: {line.strip()}"
