"""`python -m codegen [--check]`: regenerate every generated file, or prove none is stale.

Generated files:
- `src/ollama_service/types/{__init__,_models,_operations}.py` and the endpoint methods
  `src/ollama_service/_async/_endpoints.py` from `openapi/ollama.yaml`;
- `src/ollama_service/_sync/*.py` and `tests/_sync/*.py` from their `_async` sources.

Everything is formatted with ruff (the project's own settings) before it is written or compared,
so the committed output is exactly what the generator produces.
"""

from __future__ import annotations

import argparse
import difflib
import subprocess
import sys
from pathlib import Path

from codegen._client import ENDPOINTS_PATH, render_endpoints
from codegen._headers import MARKER
from codegen._render import render_index, render_models, render_operations
from codegen._spec import load
from codegen._unasync import (
    async_leftovers,
    sync_outputs,
    unused_doc_rewrites,
    unused_replacements,
)

ROOT = Path(__file__).resolve().parent.parent
SPEC = "openapi/ollama.yaml"
TYPES_DIR = Path("src/ollama_service/types")
# Folders where every file carrying the generated header must be a known output.
GENERATED_HOMES = ("src/ollama_service", "tests")


def ruff_format(text: str, filename: Path, root: Path = ROOT) -> str:
    """Run `ruff check --fix` (imports, unused names) and `ruff format` on a text."""
    for args in (
        ["check", "--fix-only", "--exit-zero", "--quiet"],
        ["format", "--quiet"],
    ):
        text = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "--stdin-filename", str(filename), "-"],
            input=text,
            capture_output=True,
            text=True,
            check=True,
            cwd=root,
        ).stdout
    return text


def type_outputs(spec_path: Path, source: str) -> dict[Path, str]:
    """Return {path: text} for the generated types package."""
    ir = load(spec_path, source=source)
    return {
        TYPES_DIR / "_models.py": render_models(ir),
        TYPES_DIR / "_operations.py": render_operations(ir),
        TYPES_DIR / "__init__.py": render_index(ir),
    }


def client_outputs(spec_path: Path, source: str, root: Path = ROOT) -> dict[Path, str]:
    """Return {path: formatted text} for the generated endpoint methods, async and sync."""
    ir = load(spec_path, source=source)
    endpoints = {ENDPOINTS_PATH: ruff_format(render_endpoints(ir), ENDPOINTS_PATH, root)}
    twin = sync_outputs(root, sources=endpoints, only_sources=True)
    return {**endpoints, **{p: ruff_format(t, p, root) for p, t in twin.items()}}


def all_outputs(root: Path = ROOT) -> dict[Path, str]:
    outputs = type_outputs(root / SPEC, SPEC)
    endpoints = {ENDPOINTS_PATH: render_endpoints(load(root / SPEC, source=SPEC))}
    endpoints = {p: ruff_format(t, p, root) for p, t in endpoints.items()}
    outputs.update(sync_outputs(root, sources=endpoints))
    outputs = {path: ruff_format(text, path, root) for path, text in outputs.items()}
    outputs.update(endpoints)
    return outputs


def orphans(root: Path, known: set[Path]) -> list[Path]:
    """Files that say they are generated but that no generator produces any more."""
    found: list[Path] = []
    for home in GENERATED_HOMES:
        for path in (root / home).rglob("*.py"):
            rel = path.relative_to(root)
            if rel not in known and path.read_text(encoding="utf-8").startswith(MARKER):
                found.append(rel)
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m codegen", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--check", action="store_true", help="fail if any generated file is stale")
    args = parser.parse_args(argv)

    outputs = all_outputs(ROOT)
    problems: list[str] = [f"unused unasync replacement: {n}" for n in unused_replacements(ROOT)]
    problems += [f"unused docstring rewrite: {p}" for p in unused_doc_rewrites(ROOT)]
    problems += [f"orphan generated file: {p}" for p in orphans(ROOT, set(outputs))]
    problems += async_leftovers(outputs)
    stale = 0
    for rel, text in sorted(outputs.items()):
        target = ROOT / rel
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current == text:
            continue
        stale += 1
        if args.check:
            diff = difflib.unified_diff(
                current.splitlines(keepends=True),
                text.splitlines(keepends=True),
                f"{rel} (committed)",
                f"{rel} (regenerated)",
            )
            sys.stderr.write("".join(list(diff)[:60]))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {rel}")
    if args.check and stale:
        problems.append(f"{stale} generated file(s) are stale; run `nox -s generate`")
    for problem in problems:
        print(f"codegen: {problem}", file=sys.stderr)
    if not problems:
        print(
            f"codegen: {len(outputs)} generated files are up to date"
            if args.check or not stale
            else "codegen: done"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
