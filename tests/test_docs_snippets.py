"""Every ```python block of the README and the user guide runs as written.

Convention:

- Each block is a complete program. It is compiled under the name `<doc>:<line>` and executed
  with `exec` in a fresh namespace whose `__name__` is `"__main__"`, so a traceback points at
  the documentation line.
- Async blocks define `async def main()` and end with `asyncio.run(main())`, so they run as
  written too. A block that defines `async def main()` without running it is run by the test
  with `asyncio.run(main())`.
- Each block gets its own `FakeOllamaServer` (default models, `tinyllama` pullable), with
  `OLLAMA_BASE_URL` set to its URL, `OLLAMA_DEFAULT_MODEL=llama3.2`, no other OLLAMA_*
  variable, an empty working directory (no `.env`), and a cleared `get_settings` cache. The
  environment is restored afterwards, whatever the block did to it.
- A block that imports a package that is not installed (FastAPI) is skipped, not failed.
- Blocks fenced with another language (```text, ```dotenv) are not run.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ollama_service import get_settings
from ollama_service.testing import FakeOllamaServer

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = (
    "README.md",
    "docs/index.md",
    "docs/quickstart.md",
    "docs/service.md",
    "docs/configuration.md",
    "docs/sync-and-async.md",
    "docs/streaming.md",
    "docs/errors.md",
    "docs/retries-and-timeouts.md",
    "docs/scaling-out.md",
    "docs/http-backends.md",
)
# Packages a snippet may use that are not dependencies of the SDK or its tests.
OPTIONAL = ("fastapi",)

_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)

PULL_SNIPPET = """\
async for progress in service.pull_model("tinyllama"):
    status = progress.get("status")
    if "total" in progress:
        percent = progress["completed"] / progress["total"] * 100
"""


def python_blocks(name: str) -> list[tuple[str, int, str]]:
    """(doc name, 1-based line of the code's first line, code) for each ```python block."""
    text = (ROOT / name).read_text(encoding="utf-8")
    return [
        (name, text.count("\n", 0, match.start(1)) + 1, match.group(1))
        for match in _FENCE.finditer(text)
    ]


SNIPPETS = [block for name in DOC_FILES for block in python_blocks(name)]


@pytest.fixture
def docs_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeOllamaServer]:
    saved = dict(os.environ)
    for variable in list(os.environ):
        if variable.startswith("OLLAMA_"):
            monkeypatch.delenv(variable)
    monkeypatch.chdir(tmp_path)
    with FakeOllamaServer() as server:
        monkeypatch.setenv("OLLAMA_BASE_URL", server.base_url)
        monkeypatch.setenv("OLLAMA_DEFAULT_MODEL", "llama3.2")
        get_settings.cache_clear()
        try:
            yield server
        finally:
            get_settings.cache_clear()
            os.environ.clear()
            os.environ.update(saved)


def run_snippet(label: str, code: str) -> dict[str, Any]:
    for package in OPTIONAL:
        if re.search(rf"^\s*(from|import)\s+{package}\b", code, re.MULTILINE):
            pytest.importorskip(package)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(compile(code, label, "exec"), namespace)
    main = namespace.get("main")
    if inspect.iscoroutinefunction(main) and "asyncio.run(main())" not in code:
        asyncio.run(main())
    return namespace


@pytest.mark.parametrize(
    ("doc", "line", "code"), SNIPPETS, ids=[f"{doc}:{line}" for doc, line, _ in SNIPPETS]
)
def test_snippet_runs(
    docs_environment: FakeOllamaServer,
    capsys: pytest.CaptureFixture[str],
    doc: str,
    line: int,
    code: str,
) -> None:
    run_snippet(f"{doc}:{line}", code)
    assert "Traceback" not in capsys.readouterr().err


def test_every_doc_has_snippets() -> None:
    for name in DOC_FILES:
        assert python_blocks(name), f"{name} has no ```python block"


def indent(code: str, spaces: int) -> str:
    return "".join(f"{' ' * spaces}{line}\n" for line in code.splitlines())


def test_the_pull_snippet_is_documented_verbatim() -> None:
    text = (ROOT / "docs/service.md").read_text(encoding="utf-8")
    assert indent(PULL_SNIPPET, 8) in text  # inside `async def main()` and `async with`
    assert indent(PULL_SNIPPET.replace("async for", "for"), 4) in text  # the sync twin


def test_snippets_print_what_the_docs_say(
    docs_environment: FakeOllamaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Spot checks of documented output, so the comments in the snippets stay true."""
    blocks = [code for _, _, code in python_blocks("docs/service.md")]
    misspelt = next(code for code in blocks if "temprature" in code)
    run_snippet("misspelt", misspelt)
    assert (
        "generate() got an unexpected keyword argument 'temprature'; did you mean 'temperature'?"
        in capsys.readouterr().out
    )

    health = next(code for code in blocks if "health_check()" in code)
    run_snippet("health", health)
    assert capsys.readouterr().out.splitlines() == ["up", "False"]

    pull = next(code for code in blocks if "async for progress" in code)
    run_snippet("pull", pull)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "pulling manifest"
    assert lines[-1] == "success"
    assert any(line.endswith(": 100%") for line in lines)
    assert any(m.name == "tinyllama:latest" for m in docs_environment.models)
