"""The header every generated file starts with.

It names the source and the command that regenerates the file, and carries no timestamp,
so that generating twice gives the same bytes.
"""

from __future__ import annotations

import hashlib

COMMAND = "python -m codegen"
NOX_COMMAND = "nox -s generate"
MARKER = "# This file is generated"


def header(source: str, *, digest: str | None = None) -> str:
    """Return the comment block placed at the top of a generated file.

    Args:
        source: The path (relative to the repository root) of the file it is generated from.
        digest: The sha256 of the source, recorded so a stale file is detectable without
            regenerating it.

    Returns:
        The header lines, ending in a newline.
    """
    lines = [
        f"{MARKER} by `{COMMAND}` (`{NOX_COMMAND}`) from {source}.",
        "# Do not edit it by hand: change the source and regenerate.",
    ]
    if digest is not None:
        lines.append(f"# Source sha256: {digest}")
    return "\n".join(lines) + "\n"


def sha256_text(text: str) -> str:
    """Return the hex sha256 of a text, as recorded in headers."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
