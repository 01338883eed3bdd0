"""What the compatibility suite shares: the official sources, the fake server, running scripts.

The official library's README, examples and tests are never stored in this repository (they
are not ours to redistribute): :func:`official_sources` downloads the pinned sdist from PyPI at
test time, checks its hash and unpacks it. Scripts run in subprocesses, once on the official
library and once on ours, against a fresh :class:`FakeOllamaServer` each, and their normalized
output is compared.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ollama_service.testing import FakeOllamaServer
from ollama_service.testing._models import model_for_name

__all__ = [
    "COMPAT_DIR",
    "OFFICIAL_VERSION",
    "SHIM_DIR",
    "Run",
    "fake_server",
    "normalize",
    "official_sources",
    "rewrite_imports",
    "run_python",
]

COMPAT_DIR = Path(__file__).resolve().parent
REPO_ROOT = COMPAT_DIR.parents[1]
SHIM_DIR = COMPAT_DIR / "shim"
RUNNER = COMPAT_DIR / "_run_script.py"

OFFICIAL_VERSION = "0.6.3"
# sha256 of ollama-0.6.3.tar.gz as PyPI serves it: the sources under test cannot change silently.
OFFICIAL_SDIST_SHA256 = "41fc49a8095c4a75939c4c1f8582e4d0671692fb6eac2a5a7ede8c9872b67096"
SOURCES_ENV = "OLLAMA_COMPAT_SOURCES"
SCRIPT_TIMEOUT = 120.0  # seconds; a hung script fails its test instead of hanging the session


def official_sources(cache: Path) -> Path:
    """The unpacked sdist of the official library (``README.md``, ``examples/``, ``tests/``).

    It is downloaded once into ``$OLLAMA_COMPAT_SOURCES`` when that is set (the nox session
    sets it), else into ``cache``.
    """
    preset = os.environ.get(SOURCES_ENV)
    return download_sources(Path(preset) if preset else cache)


def download_sources(dest: Path) -> Path:
    """Download the pinned sdist into ``dest`` (pip, ``--require-hashes``) and unpack it."""
    unpacked = dest / f"ollama-{OFFICIAL_VERSION}"
    if (unpacked / "examples").is_dir():
        return unpacked
    dest.mkdir(parents=True, exist_ok=True)
    requirements = dest / "requirements.txt"
    requirements.write_text(
        f"ollama=={OFFICIAL_VERSION} --hash=sha256:{OFFICIAL_SDIST_SHA256}\n", encoding="utf-8"
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--require-hashes",
            "-r",
            str(requirements),
            "-d",
            str(dest),
        ],
        check=True,
        timeout=300,
    )
    with tarfile.open(dest / f"ollama-{OFFICIAL_VERSION}.tar.gz") as archive:
        archive.extractall(dest, filter="data")
    return unpacked


# Every model the examples, the README and the downstream scenarios name, with what it can do.
_MODELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("gemma4", ("completion", "vision", "tools")),
    ("user/gemma4", ("completion", "vision", "tools")),
    ("llama3.1:8b", ("completion", "tools")),
    ("llama3.2", ("completion", "tools")),
    ("qwen3", ("completion", "tools", "thinking")),
    ("deepseek-r1", ("completion", "thinking")),
    ("gpt-oss:20b", ("completion", "tools", "thinking")),
    ("gpt-oss:120b-cloud", ("completion", "tools", "thinking")),
    ("codellama:7b-code", ("completion", "insert")),
    ("llava", ("completion", "vision")),
    ("nomic-embed-text", ("embedding",)),
    ("x/z-image-turbo", ("image",)),
    ("nimble", ("completion",)),
    ("llama3.1", ("completion", "tools")),
)


def fake_server() -> FakeOllamaServer:
    """A fresh fake server with every model the compatibility scripts use (not started)."""
    return FakeOllamaServer(
        dataclasses.replace(model_for_name(name), capabilities=capabilities)
        for name, capabilities in _MODELS
    )


_IMPORT = re.compile(r"^(?P<indent>[ \t]*)import ollama(?P<rest>[ \t]*(?:#.*)?)$", re.MULTILINE)
_FROM = re.compile(r"^(?P<indent>[ \t]*)from ollama(?P<sub>(?:\.\w+)*) import ", re.MULTILINE)


def rewrite_imports(source: str) -> str:
    """``source`` with only its imports of ``ollama`` pointed at ``ollama_service``.

    ``import ollama`` becomes ``import ollama_service as ollama`` (so the code that follows is
    untouched) and ``from ollama[.sub] import x`` becomes ``from ollama_service[.sub] import x``.
    """
    rewritten = _IMPORT.sub(r"\g<indent>import ollama_service as ollama\g<rest>", source)
    rewritten = _FROM.sub(r"\g<indent>from ollama_service\g<sub> import ", rewritten)
    if rewritten == source:
        raise ValueError("the script does not import ollama")
    return rewritten


_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?"
    r"|datetime\.datetime\([\d, ]+(?:tzinfo=[\w.()]+)?\)"
)
_DIGITS = re.compile(r"\d+")
_PORT = re.compile(r"127\.0\.0\.1:\d+")


def normalize(text: str) -> str:
    """``text`` with what differs between two runs masked: the times and the server's port.

    A timestamp keeps its shape (``N-N-NTN:N:N.NZ`` vs ``N-N-N N:N:N.N+N:N``), so a string
    where the official library has a ``datetime`` still shows as a difference.
    """
    text = _TIMESTAMP.sub(lambda m: _DIGITS.sub("N", m.group(0)), text)
    return _PORT.sub("127.0.0.1:PORT", text)


@dataclass(frozen=True)
class Run:
    """The outcome of one script run."""

    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def run_python(
    script: Path,
    *,
    base_url: str,
    cwd: Path,
    stdin: str = "",
    shim: bool = False,
    extra_env: Mapping[str, str] | None = None,
    args: tuple[str, ...] = (),
) -> Run:
    """Run ``script`` through ``_run_script.py`` in a subprocess pointed at ``base_url``.

    With ``shim``, ``tests/compat/shim`` comes first on ``PYTHONPATH``, so ``import ollama``
    imports ours.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OLLAMA_", "PYTEST_")) and key not in ("PYTHONPATH",)
    }
    paths = [str(REPO_ROOT)]
    if shim:
        paths.insert(0, str(SHIM_DIR))
    env.update(
        {
            "OLLAMA_HOST": base_url,
            "PYTHONPATH": os.pathsep.join(paths),
            "PYTHONHASHSEED": "0",
            "PYTHONIOENCODING": "utf-8",
            "COLUMNS": "100",
            "NO_COLOR": "1",
            "HAYSTACK_TELEMETRY_ENABLED": "False",
            "LANGSMITH_TRACING": "false",
            "NO_PROXY": "*",
        }
    )
    env.update(extra_env or {})
    completed = subprocess.run(
        [sys.executable, str(RUNNER), str(script), *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        timeout=SCRIPT_TIMEOUT,
        check=False,
    )
    return Run(completed.returncode, normalize(completed.stdout), completed.stderr)
