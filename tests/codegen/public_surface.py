"""The public surface of both clients, both services and the module-level functions, as data.

`test_public_surface.py` compares it with the committed snapshot `public_surface.json`. After an
intended change of the surface (a new method, a new keyword), refresh the snapshot on purpose
and review its diff:

    python tests/codegen/public_surface.py

For each public method (and `__init__`), the entry records `str(inspect.signature(...))`, the
parameter names its docstring's `Args:` section lists, and the signature of each `@overload`
(`typing.get_overloads`). Properties record their kind only.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
import typing
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).with_name("public_surface.json")
CLASSES = ("AsyncClient", "Client", "OllamaService", "SyncOllamaService")
_ARG = re.compile(r"^(\*{0,2}\w+)(?: \([^)]*\))?:")


def doc_args(doc: str | None) -> list[str]:
    """The parameter names a Google-style `Args:` section lists, in order."""
    lines = inspect.cleandoc(doc or "").splitlines()
    names: list[str] = []
    inside = False
    indent: int | None = None
    for line in lines:
        if not inside:
            inside = line.strip() == "Args:"
            continue
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        if depth == 0:
            break  # the next section (Returns:, Raises:, ...)
        if indent is None:
            indent = depth
        if depth == indent and (match := _ARG.match(line.strip())):
            names.append(match[1])
    return names


def _function_entry(func: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "signature": str(inspect.signature(func)),
        "doc_args": doc_args(inspect.getdoc(func)),
    }
    # typing.get_overloads is new in 3.11; the test that uses this module skips on 3.10.
    get_overloads: Any = getattr(typing, "get_overloads")  # noqa: B009
    overloads = get_overloads(getattr(func, "__func__", func))
    if overloads:
        entry["overloads"] = [str(inspect.signature(o)) for o in overloads]
    return entry


def class_surface(cls: type) -> dict[str, Any]:
    """Every public attribute of a class (its own and inherited), with `__init__`."""
    out: dict[str, Any] = {
        "__init__": _function_entry(cls.__init__),
        # The constructor's arguments are documented on the class (Google style).
        "__class_doc_args__": doc_args(inspect.getdoc(cls)),
    }
    for name in sorted(dir(cls)):
        if name.startswith("_"):
            continue
        raw = inspect.getattr_static(cls, name)
        if isinstance(raw, property):
            out[name] = {"kind": "property"}
        elif isinstance(raw, (staticmethod, classmethod)) or inspect.isfunction(raw):
            out[name] = _function_entry(getattr(cls, name))
        else:
            out[name] = {"kind": type(raw).__name__}
    return out


def surface() -> dict[str, Any]:
    """The whole public surface (import-time only: nothing is sent)."""
    import ollama_service
    from ollama_service import _default

    result: dict[str, Any] = {
        name: class_surface(getattr(ollama_service, name)) for name in CLASSES
    }
    result["module functions"] = {
        name: _function_entry(getattr(ollama_service, name))
        for name in sorted(_default.__all__)
        if name != "default_client"
    }
    return result


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    SNAPSHOT.write_text(render(surface()), encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
    sys.exit(0)
