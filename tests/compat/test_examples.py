"""The official library's examples and README snippets run on ours with only the import changed.

Each script runs twice, each time on a fresh fake server with the same models: as published, on
the official library, and with its ``ollama`` imports pointed at ``ollama_service``. Their
normalized stdout (and how they end) must be identical. The scripts themselves come from the
official sdist at test time (see ``_harness.official_sources``); only their names are here.
"""

from __future__ import annotations

import base64
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.compat._harness import Run, fake_server, rewrite_imports, run_python

# A 1x1 PNG for the examples that ask for the path of an image.
_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@dataclass(frozen=True)
class Script:
    """How to run one example or snippet."""

    stdin: str = ""
    # Why the script cannot succeed on either library (it still must end the same way on both).
    fails_on_both: str = ""
    # Why it is not run at all (it needs the internet).
    skip: str = ""
    # A known gap in ours (the test is a strict xfail until it is fixed).
    gap: str = ""


_IMAGE = Script(stdin="image.png\n")
_INTERNET = "needs the internet (ollama.com web search or xkcd.com)"

EXAMPLES: dict[str, Script] = {
    "async-chat.py": Script(),
    "async-generate.py": Script(),
    "async-structured-outputs.py": Script(),
    "async-tools.py": Script(),
    "chat-logprobs.py": Script(),
    "chat-stream.py": Script(),
    "chat-with-history.py": Script(
        stdin="Tell me a joke\nAnd another one\n",
        fails_on_both="the chat loop reads stdin until EOFError",
    ),
    "chat.py": Script(),
    "create.py": Script(),
    "embed.py": Script(),
    "fill-in-middle.py": Script(),
    "generate-image.py": Script(),
    "generate-logprobs.py": Script(),
    "generate-stream.py": Script(),
    "generate.py": Script(),
    "gpt-oss-tools-stream.py": Script(),
    "gpt-oss-tools.py": Script(),
    "list.py": Script(),
    "multi-tool.py": Script(),
    "multimodal-chat.py": _IMAGE,
    "multimodal-generate.py": Script(skip=_INTERNET),
    "ps.py": Script(),
    "pull.py": Script(),
    "show.py": Script(),
    "structured-outputs-image.py": _IMAGE,
    "structured-outputs.py": Script(),
    "systemone.py": Script(),
    "thinking-generate.py": Script(),
    "thinking-levels.py": Script(),
    "thinking.py": Script(),
    "tools.py": Script(),
    "web-search-gpt-oss.py": Script(skip=_INTERNET),
    "web-search-mcp.py": Script(skip=_INTERNET),
    "web-search.py": Script(skip=_INTERNET),
    "web_search_gpt_oss_helper.py": Script(skip="a module of web-search-gpt-oss.py, not a script"),
}

# The README's ```python blocks, by position (1-based), with the first line as a check.
README: dict[int, tuple[str, Script]] = {
    1: ("from ollama import chat", Script()),
    2: ("from ollama import chat", Script()),
    3: ("from ollama import Client", Script()),
    4: ("import os", Script(skip="needs ollama.com and an API key")),
    5: (
        "from ollama import Client",
        Script(
            fails_on_both="it names http://localhost:11434, where nothing listens in the test",
        ),
    ),
    6: ("import asyncio", Script()),
    7: ("import asyncio", Script()),
    8: ("ollama.chat(", Script()),
    9: ("ollama.generate(", Script()),
    10: ("ollama.list()", Script()),
    11: ("ollama.show(", Script()),
    12: ("ollama.create(", Script()),
    13: ("ollama.copy(", Script()),
    14: ("ollama.delete(", Script()),
    15: ("ollama.pull(", Script()),
    16: ("ollama.push(", Script()),
    17: ("ollama.embed(", Script()),
    18: ("ollama.embed(", Script()),
    19: ("ollama.ps()", Script()),
    20: ("import ollama", Script()),
    21: ("model = 'does-not-yet-exist'", Script()),
}

_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def readme_snippets(readme: str) -> list[str]:
    """The README's Python blocks; those that use ``ollama.`` unimported get ``import ollama``."""
    snippets = []
    for block in _BLOCK.findall(readme):
        if re.search(r"^\s*(import ollama|from ollama)", block, re.MULTILINE) is None:
            block = "import ollama\n\n" + block
        snippets.append(block)
    return snippets


def _params(table: dict[str, Script] | dict[int, tuple[str, Script]]) -> list[object]:
    params: list[object] = []
    for key, value in table.items():
        script = value[1] if isinstance(value, tuple) else value
        marks: list[pytest.MarkDecorator] = []
        if script.skip:
            marks.append(pytest.mark.skip(reason=script.skip))
        if script.gap:
            marks.append(pytest.mark.xfail(strict=True, reason=script.gap))
        params.append(pytest.param(key, marks=marks, id=str(key)))
    return params


def _run_both(source: str, name: str, script: Script, tmp_path: Path) -> tuple[Run, Run]:
    """Run the published script and its rewritten twin, at once (each on its own server)."""

    def run(variant: str, text: str) -> Run:
        workdir = tmp_path / variant
        workdir.mkdir()
        (workdir / "image.png").write_bytes(_PNG)
        path = workdir / name
        path.write_text(text, encoding="utf-8")
        with fake_server() as server:
            return run_python(path, base_url=server.base_url, cwd=workdir, stdin=script.stdin)

    with ThreadPoolExecutor(2) as pool:
        official = pool.submit(run, "official", source)
        ours = pool.submit(run, "ours", rewrite_imports(source))
        return official.result(), ours.result()


def _check(official: Run, ours: Run, script: Script) -> None:
    if script.fails_on_both:
        assert official.returncode != 0, official.describe()
    else:
        assert official.returncode == 0, "the official run failed:\n" + official.describe()
    assert ours.stdout == official.stdout, (
        f"ours printed something else.\n=== official\n{official.describe()}\n=== ours\n{ours.describe()}"
    )
    assert ours.returncode == official.returncode, ours.describe()


def test_every_example_is_listed(sources: Path) -> None:
    published = sorted(p.name for p in (sources / "examples").glob("*.py"))
    assert published == sorted(EXAMPLES)


def test_every_readme_snippet_is_listed(sources: Path) -> None:
    snippets = readme_snippets((sources / "README.md").read_text(encoding="utf-8"))
    assert len(snippets) == len(README)
    for index, snippet in enumerate(snippets, 1):
        first_line = README[index][0]
        assert first_line in snippet, (index, snippet)


@pytest.mark.parametrize("name", _params(EXAMPLES))
def test_example(name: str, sources: Path, tmp_path: Path) -> None:
    script = EXAMPLES[name]
    source = (sources / "examples" / name).read_text(encoding="utf-8")
    _check(*_run_both(source, name, script, tmp_path), script)


@pytest.mark.parametrize("index", _params(README))
def test_readme_snippet(index: int, sources: Path, tmp_path: Path) -> None:
    script = README[index][1]
    snippets = readme_snippets((sources / "README.md").read_text(encoding="utf-8"))
    _check(*_run_both(snippets[index - 1], f"snippet_{index}.py", script, tmp_path), script)
