"""The public surface: what each public module exports, sorted, importable and typed."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import ollama_service

PUBLIC_MODULES = ["ollama_service", "ollama_service.types", "ollama_service.testing"]


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_is_sorted_and_every_name_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported)
    assert len(set(exported)) == len(exported)
    for attribute in exported:
        assert getattr(module, attribute) is not None, attribute


@pytest.mark.parametrize(
    "name",
    [
        "AsyncClient",
        "Client",
        "AsyncStream",
        "Stream",
        "OllamaService",
        "SyncOllamaService",
        "OllamaSettings",
        "get_settings",
        "OllamaServiceError",
        "OllamaConnectionError",
        "OllamaTimeoutError",
        "OllamaResponseError",
        "OllamaModelNotFoundError",
        "OllamaServerBusyError",
        "OllamaStreamError",
        "OllamaDecodeError",
        "OllamaRequestError",
        "OllamaFileNotFoundError",
        "ResponseError",
        "RequestError",
        "parse_structured",
        "__version__",
    ],
)
def test_the_documented_names_are_exported(name: str) -> None:
    assert name in ollama_service.__all__


def test_the_official_librarys_names_for_replies_are_exported() -> None:
    """`from ollama import ChatResponse, ...` keeps working after the import change."""
    for name in [
        "ChatResponse",
        "EmbedResponse",
        "EmbeddingsResponse",
        "GenerateResponse",
        "ListResponse",
        "Message",
        "Options",
        "ProcessResponse",
        "ProgressResponse",
        "ShowResponse",
        "StatusResponse",
        "Tool",
    ]:
        assert name in ollama_service.__all__, name


def test_the_package_ships_py_typed() -> None:
    assert (Path(ollama_service.__file__).parent / "py.typed").is_file()


def test_import_reads_no_environment_and_loads_no_heavy_module() -> None:
    """Importing does no I/O setup: no pydantic, structlog, tenacity or asyncio until needed."""
    code = (
        "import sys, ollama_service; "
        "print(sorted(m for m in ('pydantic', 'structlog', 'tenacity', 'asyncio') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
