"""Derive the sync twin of every async source file with unasync.

unasync writes files itself, so each source is copied into a scratch tree, converted there,
and the result read back; the caller decides whether to write it or compare it.
"""

from __future__ import annotations

import shutil
import tempfile
import tokenize
from pathlib import Path

import unasync  # pyright: ignore[reportMissingTypeStubs]

from codegen._headers import header
from codegen.unasync_rules import REPLACEMENTS, STRIP_LINES, TREES


def sync_outputs(root: Path) -> dict[Path, str]:
    """Return {generated path: text} for every `.py` file of every async tree.

    Args:
        root: The repository root.

    Returns:
        The sync twins (unformatted), keyed by their path relative to `root`.
    """
    outputs: dict[Path, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        for src_dir, dst_dir in TREES:
            for src in sorted((root / src_dir).rglob("*.py")):
                rel = src.relative_to(root / src_dir)
                staged = scratch / "_async" / src_dir.replace("/", "__") / rel
                staged.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, staged)
                rule = unasync.Rule("/_async/", "/_sync/", additional_replacements=REPLACEMENTS)
                unasync.unasync_files([str(staged)], rules=[rule])  # pyright: ignore[reportUnknownMemberType]
                converted = Path(str(staged).replace("/_async/", "/_sync/", 1))
                body = converted.read_text(encoding="utf-8")
                kept = [ln for ln in body.splitlines() if ln.strip() not in STRIP_LINES]
                source = f"{src_dir}/{rel.as_posix()}"
                outputs[Path(dst_dir) / rel] = header(source) + "\n".join(kept) + "\n"
    return outputs


def unused_replacements(root: Path) -> list[str]:
    """Names in the replacement table that no async source uses (stale rules)."""
    names: set[str] = set()
    for src_dir, _ in TREES:
        for src in (root / src_dir).rglob("*.py"):
            with src.open("rb") as fh:
                names.update(
                    t.string for t in tokenize.tokenize(fh.readline) if t.type == tokenize.NAME
                )
    return sorted(k for k in REPLACEMENTS if k not in names)
