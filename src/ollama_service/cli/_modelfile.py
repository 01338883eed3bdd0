"""Modelfiles: parse the text into a `Modelfile`, and say which local files it needs uploaded.

The grammar is Ollama's: one instruction per line (`FROM`, `PARAMETER`, `TEMPLATE`, `SYSTEM`,
`ADAPTER`, `LICENSE`, `MESSAGE`, `REQUIRES`; case-insensitive), `#` comments, and values that
are bare text to the end of the line, `"quoted"`, or `\"\"\"triple-quoted\"\"\"` over several
lines. `PARAMETER` values are typed by the options schema. Every error names the line.
Parsing is a pure function; only `local_files` looks at the file system.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ollama_service.cli._options import OptionError, add_option

__all__ = [
    "INSTRUCTIONS",
    "MESSAGE_ROLES",
    "LocalFile",
    "Modelfile",
    "ModelfileError",
    "local_files",
    "parse_modelfile",
]

INSTRUCTIONS: Final = (
    "FROM",
    "PARAMETER",
    "TEMPLATE",
    "SYSTEM",
    "ADAPTER",
    "LICENSE",
    "MESSAGE",
    "REQUIRES",
)
MESSAGE_ROLES: Final = ("system", "user", "assistant")
_TRIPLE: Final = '"""'
_SPACE: Final = re.compile(r"\s+")
_VERSION: Final = re.compile(r"^v?\d+(\.\d+){0,2}([-+][0-9A-Za-z.-]+)?$")


class ModelfileError(ValueError):
    """A Modelfile that cannot be used; the message starts with `line N:` when it has one."""


@dataclass
class Modelfile:
    """What a Modelfile asks for.

    Attributes:
        from_: The base: a model name, or a path to a GGUF file or safetensors directory.
        parameters: Default runtime options (`stop` is a list).
        template: The prompt template.
        system: The system prompt.
        adapters: Paths of LoRA adapters.
        licenses: Licence texts, one per `LICENSE`.
        messages: `(role, content)` pairs baked into the model.
        requires: The minimum Ollama version.
    """

    from_: str = ""
    parameters: dict[str, Any] = field(default_factory=dict[str, Any])
    template: str | None = None
    system: str | None = None
    adapters: list[str] = field(default_factory=list[str])
    licenses: list[str] = field(default_factory=list[str])
    messages: list[tuple[str, str]] = field(default_factory=list[tuple[str, str]])
    requires: str | None = None


def _value(lines: list[str], index: int, rest: str, instruction: str) -> tuple[str, int]:
    """The value that starts with `rest` on line `index`; returns it and the next line's index."""
    text = rest.strip()
    if text.startswith(_TRIPLE):
        body = text[len(_TRIPLE) :]
        if _TRIPLE in body:
            value, _, after = body.partition(_TRIPLE)
            if after.strip():
                raise ModelfileError(
                    f"line {index + 1}: unexpected text after the closing {_TRIPLE}: {after.strip()!r}"
                )
            return value, index + 1
        parts = [body]
        for end in range(index + 1, len(lines)):
            line = lines[end]
            if _TRIPLE in line:
                last, _, after = line.partition(_TRIPLE)
                if after.strip():
                    raise ModelfileError(
                        f"line {end + 1}: unexpected text after the closing {_TRIPLE}: {after.strip()!r}"
                    )
                parts.append(last)
                return "\n".join(parts), end + 1
            parts.append(line)
        raise ModelfileError(
            f"line {index + 1}: {instruction} opens {_TRIPLE} but it is never closed"
        )
    if text.startswith('"'):
        if len(text) < 2 or not text.endswith('"'):
            raise ModelfileError(f"line {index + 1}: {instruction} has an unclosed quote")
        return text[1:-1].replace('\\"', '"'), index + 1
    return text, index + 1


def _unknown_instruction(word: str, line: int) -> ModelfileError:
    close = difflib.get_close_matches(word.upper(), INSTRUCTIONS, n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    known = ", ".join(INSTRUCTIONS)
    return ModelfileError(f"line {line}: unknown instruction {word!r}{hint} (known: {known})")


def parse_modelfile(text: str) -> Modelfile:
    """Parse a Modelfile's text.

    Args:
        text: The whole file.

    Returns:
        The instructions gathered into a `Modelfile`.

    Raises:
        ModelfileError: An unknown instruction, a missing or malformed value, an unknown
            parameter or role, an unclosed quote, no `FROM` or more than one; the message
            names the line.
    """
    result = Modelfile()
    from_line = 0
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        number = index + 1
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        word, *tail = _SPACE.split(stripped, maxsplit=1)
        rest = tail[0] if tail else ""
        instruction = word.upper()
        if instruction not in INSTRUCTIONS:
            raise _unknown_instruction(word, number)
        if instruction in ("PARAMETER", "MESSAGE"):
            head, *more = _SPACE.split(rest.strip(), maxsplit=1)
            if not head:
                what = "a name and a value" if instruction == "PARAMETER" else "a role and a text"
                raise ModelfileError(f"line {number}: {instruction} needs {what}")
            value, index = _value(lines, index, more[0] if more else "", instruction)
            if instruction == "PARAMETER":
                if not value.strip():
                    raise ModelfileError(f"line {number}: PARAMETER {head} needs a value")
                try:
                    add_option(result.parameters, head, value)
                except OptionError as exc:
                    raise ModelfileError(f"line {number}: PARAMETER {exc}") from None
            else:
                role = head.lower()
                if role not in MESSAGE_ROLES:
                    roles = ", ".join(MESSAGE_ROLES)
                    raise ModelfileError(
                        f"line {number}: MESSAGE role {head!r} is not one of {roles}"
                    )
                result.messages.append((role, value))
            continue
        value, index = _value(lines, index, rest, instruction)
        if not value.strip() and instruction not in ("TEMPLATE", "SYSTEM"):
            raise ModelfileError(f"line {number}: {instruction} needs a value")
        if instruction == "FROM":
            if from_line:
                raise ModelfileError(
                    f"line {number}: a second FROM (the first is on line {from_line})"
                )
            result.from_, from_line = value.strip(), number
        elif instruction == "TEMPLATE":
            result.template = value
        elif instruction == "SYSTEM":
            result.system = value
        elif instruction == "ADAPTER":
            result.adapters.append(value.strip())
        elif instruction == "LICENSE":
            result.licenses.append(value)
        else:  # REQUIRES
            version = value.strip()
            if not _VERSION.match(version):
                raise ModelfileError(
                    f"line {number}: REQUIRES {version!r} is not a version such as 0.9.0"
                )
            result.requires = version
    if not from_line:
        raise ModelfileError("no FROM line: a Modelfile starts from a model or a model file")
    return result


@dataclass(frozen=True)
class LocalFile:
    """A file to upload as a blob.

    Attributes:
        path: Where it is on this machine.
        name: Its name in the create request (relative to the FROM directory).
    """

    path: Path
    name: str


def _looks_like_path(value: str) -> bool:
    return value.startswith(("./", "../", "/", "~", ".\\")) or value in (".", "..")


def _resolve(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _files_of(path: Path) -> list[LocalFile]:
    if path.is_file():
        return [LocalFile(path, path.name)]
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise ModelfileError(f"FROM {path}: the directory has no files")
    return [LocalFile(p, p.relative_to(path).as_posix()) for p in files]


def local_files(modelfile: Modelfile, base: Path) -> tuple[list[LocalFile], list[LocalFile]]:
    """The files FROM and ADAPTER name on this machine: (model files, adapter files).

    A FROM that is an existing path, or that looks like one (`./`, `/`, `~`), is a local
    model (a GGUF file, or a directory of safetensors files); anything else is a model name
    and needs no upload. Relative paths are relative to the Modelfile's directory.

    Raises:
        ModelfileError: A path that looks local does not exist.
    """
    model_files: list[LocalFile] = []
    candidate = _resolve(modelfile.from_, base)
    if candidate.exists():
        model_files = _files_of(candidate)
    elif _looks_like_path(modelfile.from_):
        raise ModelfileError(f"FROM {modelfile.from_}: no such file or directory")
    adapters: list[LocalFile] = []
    for adapter in modelfile.adapters:
        path = _resolve(adapter, base)
        if not path.exists():
            raise ModelfileError(f"ADAPTER {adapter}: no such file or directory")
        adapters.extend(_files_of(path))
    return model_files, adapters
