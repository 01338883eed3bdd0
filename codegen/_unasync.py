"""Derive the sync twin of every async source file with unasync.

unasync writes files itself, so each source is copied into a scratch tree, converted there,
and the result read back; the caller decides whether to write it or compare it.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import tokenize
from pathlib import Path

import unasync  # pyright: ignore[reportMissingTypeStubs]

from codegen._headers import MARKER, header
from codegen.unasync_rules import (
    ASYNC_WORDS_ALLOWED,
    DOC_REWRITES,
    REPLACEMENTS,
    STRIP_LINES,
    TREES,
)

_DOC_RULES = [(re.compile(pattern), repl) for pattern, repl in DOC_REWRITES]
# Module paths keep their names in prose: a sync docstring still points at the `_async/` source.
_PROSE_RENAMES = {old: new for old, new in REPLACEMENTS.items() if old != "_async"}
_DOC_NAMES = re.compile(
    r"\b(" + "|".join(map(re.escape, sorted(_PROSE_RENAMES, key=len, reverse=True))) + r")\b"
)
_ASYNC_LEFT = re.compile(r"\bawait |\b\w*Async\w*\b")


def sync_outputs(
    root: Path,
    used: set[int] | None = None,
    sources: dict[Path, str] | None = None,
    *,
    only_sources: bool = False,
) -> dict[Path, str]:
    """Return {generated path: text} for every `.py` file of every async tree.

    Args:
        root: The repository root.
        used: When given, collects the index of every DOC_REWRITES rule that matched.
        sources: Async sources generated in this run ({path relative to root: text}); they
            are converted from this text, not from the (maybe stale) file on disk.
        only_sources: Convert only `sources`.

    Returns:
        The sync twins (unformatted), keyed by their path relative to `root`.
    """
    outputs: dict[Path, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        fresh = sources or {}
        for src_dir, dst_dir in TREES:
            found: set[Path] = set() if only_sources else set((root / src_dir).rglob("*.py"))
            found |= {root / p for p in fresh if p.is_relative_to(src_dir)}
            for src in sorted(found):
                rel = src.relative_to(root / src_dir)
                staged = scratch / "_async" / src_dir.replace("/", "__") / rel
                staged.parent.mkdir(parents=True, exist_ok=True)
                generated = fresh.get(src.relative_to(root))
                if generated is not None:
                    # Its own header says where it comes from; the twin gets a header naming it.
                    staged.write_text(_without_header(generated), encoding="utf-8")
                else:
                    shutil.copyfile(src, staged)
                rule = unasync.Rule("/_async/", "/_sync/", additional_replacements=REPLACEMENTS)
                unasync.unasync_files([str(staged)], rules=[rule])  # pyright: ignore[reportUnknownMemberType]
                converted = Path(str(staged).replace("/_async/", "/_sync/", 1))
                body = rewrite_prose(converted.read_text(encoding="utf-8"), used)
                kept = [ln for ln in body.splitlines() if ln.strip() not in STRIP_LINES]
                source = f"{src_dir}/{rel.as_posix()}"
                outputs[Path(dst_dir) / rel] = header(source) + "\n".join(kept) + "\n"
    return outputs


def _without_header(text: str) -> str:
    lines = text.splitlines(keepends=True)
    if not lines or not lines[0].startswith(MARKER):
        return text
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "".join(lines).lstrip("\n")


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


def _prose_spans(text: str) -> list[tuple[int, int]]:
    """Offsets of the comments and triple-quoted strings (docstrings) of Python source."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    spans: list[tuple[int, int]] = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        is_doc = tok.type == tokenize.STRING and tok.string.lstrip("rbuRBU").startswith(
            ('"""', "'''")
        )
        if is_doc or tok.type == tokenize.COMMENT:
            (row, col), (end_row, end_col) = tok.start, tok.end
            spans.append((starts[row - 1] + col, starts[end_row - 1] + end_col))
    return spans


def rewrite_prose(text: str, used: set[int] | None = None) -> str:
    """Apply DOC_REWRITES, then the REPLACEMENTS renames, inside comments and docstrings.

    Args:
        text: A converted (sync) source file.
        used: When given, collects the index of every DOC_REWRITES rule that matched.
    """
    pieces: list[str] = []
    last = 0
    for start, end in _prose_spans(text):
        prose = text[start:end]
        for index, (pattern, repl) in enumerate(_DOC_RULES):
            prose, count = pattern.subn(repl, prose)
            if count and used is not None:
                used.add(index)
        prose = _DOC_NAMES.sub(lambda m: _PROSE_RENAMES[m[1]], prose)
        pieces += [text[last:start], prose]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def unused_doc_rewrites(root: Path) -> list[str]:
    """DOC_REWRITES patterns that match no converted file (stale rules)."""
    used: set[int] = set()
    sync_outputs(root, used)
    return [pattern for index, (pattern, _) in enumerate(DOC_REWRITES) if index not in used]


def async_leftovers(outputs: dict[Path, str]) -> list[str]:
    """`path:line: word` for every `await ` or `Async...` name left in a generated sync file."""
    found: list[str] = []
    for path, text in sorted(outputs.items()):
        if not any(path.is_relative_to(dst) for _, dst in TREES):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for match in _ASYNC_LEFT.finditer(line):
                if match[0].strip() not in ASYNC_WORDS_ALLOWED:
                    found.append(f"{path}:{number}: {match[0].strip()!r} in a sync twin")
    return found
