"""Check the spec's `required` lists of the reply schemas against every Ollama release.

`required` on a reply property means every supported server sends the key (openapi/README.md).
This reads `api/types.go` at every release tag of a local clone of github.com/ollama/ollama,
from the oldest supported release (v0.1.14) on, and works out per Go struct which JSON keys
every release that has the struct always writes: the key exists and has no `omitempty`, or has
`omitempty` on a type Go never omits (a struct value, `time.Time`). It then compares with the
spec and prints, per schema, a required key some release may leave out (an error) and a key
every release writes that the spec leaves optional (a note: shared types also follow the
request rule, see openapi/README.md).

It reads struct tags only, not the handlers, so facts such as "the chat handler always fills
`message.role`" are outside its view. Development tool; nothing runs it in CI (it needs the
clone):

    git clone https://github.com/ollama/ollama /tmp/ollama
    python tools/audit_required.py /tmp/ollama      # exit 1 when a required key may be absent
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
FLOOR = (0, 1, 14)  # the first release with /api/chat: the oldest supported server
# Spec schema -> Go struct names in api/types.go (later names first; older releases used others).
STRUCTS: dict[str, tuple[str, ...]] = {
    "GenerateResponse": ("GenerateResponse",),
    "ChatResponse": ("ChatResponse",),
    "Message": ("Message",),
    "ToolCall": ("ToolCall",),
    "ToolCallFunction": ("ToolCallFunction",),
    "ProgressResponse": ("ProgressResponse",),
    "ModelDetails": ("ModelDetails",),
    "ListResponse": ("ListResponse",),
    "ListModel": ("ListModelResponse", "ModelResponse"),
    "ProcessResponse": ("ProcessResponse",),
    "ProcessModel": ("ProcessModelResponse", "ModelResponse"),
    "ShowResponse": ("ShowResponse",),
    "Tensor": ("Tensor",),
    "EmbedResponse": ("EmbedResponse",),
    "EmbeddingsResponse": ("EmbeddingResponse",),
    "Logprob": ("Logprob",),
    "TokenLogprob": ("TokenLogprob",),
    "DebugInfo": ("DebugInfo",),
}
# Schemas of endpoints younger than FLOOR: checked from the release that added the endpoint
# (GET /api/ps came in v0.1.38, answering with the tags struct until v0.1.42 split it).
SINCE: dict[str, tuple[int, ...]] = {"ProcessModel": (0, 1, 38), "ProcessResponse": (0, 1, 38)}
# Go types `omitempty` never omits: struct values (named types we know) and time.Time.
NEVER_OMITTED = re.compile(r"^(time\.Time|ModelDetails|Message|ToolCallFunction|Metrics)$")
FIELD = re.compile(r'^\s*(\w+)\s+([^\s`]+)\s+`json:"([^"]*)"')
EMBEDDED = re.compile(r"^\s*\*?([A-Z]\w*)\s*$")


@dataclass(frozen=True)
class Key:
    """One JSON key of a Go struct at one release."""

    go_type: str
    omitempty: bool

    @property
    def always_written(self) -> bool:
        return not self.omitempty or bool(NEVER_OMITTED.match(self.go_type))


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def releases(repo: Path) -> list[tuple[tuple[int, ...], str]]:
    """(version, tag) of the releases (vX.Y.Z, no -rc) from FLOOR on, oldest first, then HEAD."""
    tags = [t for t in _git(repo, "tag").split() if re.fullmatch(r"v\d+\.\d+\.\d+", t)]
    versions = sorted((tuple(map(int, t[1:].split("."))), t) for t in tags)
    return [(v, t) for v, t in versions if v >= FLOOR] + [((sys.maxsize,), "HEAD")]


def parse_structs(source: str) -> dict[str, dict[str, Key]]:
    """Top-level JSON keys of every struct in a Go file (embedded structs flattened later)."""
    out: dict[str, dict[str, Key]] = {}
    for match in re.finditer(r"^type (\w+) struct \{\n", source, re.M):
        depth, end = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(source[end], 0)
            end += 1
        keys: dict[str, Key] = {}
        level = 0
        for line in source[match.end() : end - 1].splitlines():
            code = line.split("//")[0] if "`" not in line else line
            if level == 0:
                field = FIELD.match(code)
                if field:
                    name, *options = field[3].split(",")
                    if name != "-":
                        omit = "omitempty" in (o.strip() for o in options)
                        keys[name] = Key(field[2], omit)
                elif embedded := EMBEDDED.match(code):
                    keys[f"<embed {embedded[1]}>"] = Key(embedded[1], False)
            level += code.count("{") - code.count("}")
        out[match[1]] = keys
    return out


def flatten(structs: dict[str, dict[str, Key]], name: str) -> dict[str, Key]:
    keys: dict[str, Key] = {}
    for key, info in structs[name].items():
        if key.startswith("<embed "):
            if info.go_type in structs:
                keys.update(flatten(structs, info.go_type))
        else:
            keys[key] = info
    return keys


def always_sent(repo: Path) -> dict[str, tuple[set[str], str]]:
    """Schema -> (keys every release with the struct always writes, first such release)."""
    result: dict[str, tuple[set[str], str]] = {}
    for version, tag in releases(repo):
        structs = parse_structs(_git(repo, "show", f"{tag}:api/types.go"))
        for schema, names in STRUCTS.items():
            if version < SINCE.get(schema, FLOOR):
                continue
            name = next((n for n in names if n in structs), None)
            if name is None:
                continue
            written = {k for k, info in flatten(structs, name).items() if info.always_written}
            previous, first = result.get(schema, (written, tag))
            result[schema] = (previous & written, first)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("ollama", type=Path, help="a git clone of github.com/ollama/ollama")
    parser.add_argument("--spec", type=Path, default=ROOT / "openapi" / "ollama.yaml")
    args = parser.parse_args(argv)
    spec: dict[str, Any] = yaml.safe_load(args.spec.read_text("utf-8"))
    schemas: dict[str, Any] = spec["components"]["schemas"]
    errors = 0
    for schema, (sent, first) in sorted(always_sent(args.ollama).items()):
        required = set(schemas[schema].get("required", []))
        known = set(schemas[schema]["properties"])
        for key in sorted(required - sent):
            errors += 1
            print(f"ERROR {schema}.{key}: required, but some release since {first} may omit it")
        for key in sorted((sent & known) - required):
            print(f"note  {schema}.{key}: every release since {first} writes it; not required")
    print(f"{errors} required key(s) that a supported release may leave out")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
