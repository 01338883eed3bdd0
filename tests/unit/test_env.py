"""The environment is read in one place (`_env`), and every entry point agrees on the server.

Entry points: `Client()`, `AsyncClient()`, the module-level functions' default client,
`SyncOllamaService()`, `OllamaService()`, `OllamaSettings`, and the `ollama-service` command.
Each is asked for its server under the same environment, from a table of environments with
and without `OLLAMA_HOST`/`OLLAMA_BASE_URL`; then each sends a real request to a fake server
that only `OLLAMA_HOST` names.
"""

from __future__ import annotations

import ast
import asyncio
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from ollama_service import AsyncClient, Client, OllamaService, SyncOllamaService, _default, _env
from ollama_service._settings import get_settings, load_settings
from ollama_service.cli._app import main
from ollama_service.cli._context import RetryNotices
from ollama_service.testing import FakeOllamaServer

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "ollama_service"
DEFAULT = "http://127.0.0.1:11434"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No OLLAMA_* variable or `.env` file of the developer's reaches these tests."""
    import os

    for name in list(os.environ):
        if name.startswith("OLLAMA_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env file here
    logger = logging.getLogger("ollama_service")
    handlers, level = list(logger.handlers), logger.level
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
    for handler in list(logger.handlers):  # the command installs its retry notices; nothing else
        if handler not in handlers and isinstance(handler, RetryNotices):
            logger.removeHandler(handler)
    logger.setLevel(level)


def _client() -> str:
    with Client() as client:
        return client.base_url


def _async_client() -> str:
    async def run() -> str:
        async with AsyncClient() as client:
            return client.base_url

    return asyncio.run(run())


def _module_functions(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(_default, "_client", None)  # built afresh, from this environment
    client = _default.default_client()
    try:
        return client.base_url
    finally:
        client.close()
        monkeypatch.setattr(_default, "_client", None)


def _sync_service() -> str:
    with SyncOllamaService() as service:
        return service.client.base_url


def _async_service() -> str:
    async def run() -> str:
        async with OllamaService() as service:
            return service.client.base_url

    return asyncio.run(run())


def _settings() -> str:
    return load_settings().resolved_base_url


def _command(capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    main(["--json", "health"])  # one attempt; the server named need not answer
    document = json.loads(capsys.readouterr().out)
    url = document["base_url"]
    assert isinstance(url, str)
    return url


EntryPoint = Callable[[pytest.MonkeyPatch, pytest.CaptureFixture[str]], str]

ENTRY_POINTS: Mapping[str, EntryPoint] = {
    "Client()": lambda mp, cap: _client(),
    "AsyncClient()": lambda mp, cap: _async_client(),
    "ollama_service.chat & co": lambda mp, cap: _module_functions(mp),
    "SyncOllamaService()": lambda mp, cap: _sync_service(),
    "OllamaService()": lambda mp, cap: _async_service(),
    "OllamaSettings": lambda mp, cap: _settings(),
    "ollama-service": lambda mp, cap: _command(cap),
}

# Servers are loopback ports where nothing listens, so the command's health check fails at once.
ENVIRONMENTS = [
    pytest.param({}, DEFAULT, id="nothing-set"),
    pytest.param({"OLLAMA_HOST": ""}, DEFAULT, id="blank-host-is-unset"),
    pytest.param({"OLLAMA_HOST": "   "}, DEFAULT, id="whitespace-host-is-unset"),
    pytest.param({"OLLAMA_HOST": ":9"}, "http://127.0.0.1:9", id="host-port-only"),
    pytest.param({"OLLAMA_HOST": "0.0.0.0:9"}, "http://127.0.0.1:9", id="host-bind-address"),
    pytest.param({"OLLAMA_HOST": "127.0.0.2"}, "http://127.0.0.2:11434", id="host-default-port"),
    pytest.param(
        {"OLLAMA_HOST": "http://127.0.0.3:9/prefix"}, "http://127.0.0.3:9/prefix", id="host-url"
    ),
    pytest.param({"OLLAMA_BASE_URL": "http://127.0.0.4:9"}, "http://127.0.0.4:9", id="base-url"),
    pytest.param(
        {"OLLAMA_BASE_URL": "http://127.0.0.4:9", "OLLAMA_HOST": ":8"},
        "http://127.0.0.4:9",
        id="base-url-beats-host",
    ),
    pytest.param(
        {"OLLAMA_BASE_URL": " ", "OLLAMA_HOST": ":8"}, "http://127.0.0.1:8", id="blank-base-url"
    ),
]


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@pytest.mark.parametrize(("environment", "expected"), ENVIRONMENTS)
def test_every_entry_point_agrees_on_the_server(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    entry: str,
    environment: Mapping[str, str],
    expected: str,
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert ENTRY_POINTS[entry](monkeypatch, capsys) == expected


def test_every_entry_point_sends_to_the_server_ollama_host_names(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeOllamaServer() as server:
        monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{server.port}")  # no scheme, as Ollama's
        with Client() as client:
            assert client.health() is True
        assert asyncio.run(_async_health()) is True
        monkeypatch.setattr(_default, "_client", None)
        try:
            assert _default.default_client().health() is True
        finally:
            _default.default_client().close()
            monkeypatch.setattr(_default, "_client", None)
        with SyncOllamaService() as service:
            assert service.health_check() is True
        assert asyncio.run(_async_service_health()) is True
        capsys.readouterr()
        assert main(["health"]) == 0
        assert capsys.readouterr().out.strip() == f"Ollama is running at {server.base_url}"
        assert [request.path for request in server.requests] == ["/"] * 6


async def _async_health() -> bool:
    async with AsyncClient() as client:
        return await client.health()


async def _async_service_health() -> bool:
    async with OllamaService() as service:
        return await service.health_check()


# --- The readers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reader", "environment", "expected"),
    [
        (_env.api_key, {}, None),
        (_env.api_key, {"OLLAMA_API_KEY": ""}, None),
        (_env.api_key, {"OLLAMA_API_KEY": "sk-1"}, "sk-1"),
        (_env.web_base_url, {}, None),
        (_env.web_base_url, {"OLLAMA_WEB_BASE_URL": "http://127.0.0.1:9"}, "http://127.0.0.1:9"),
        (_env.http_backend, {}, ""),
        (_env.http_backend, {"OLLAMA_HTTP_BACKEND": " AIOHTTP "}, "aiohttp"),
        (_env.hosts, {"OLLAMA_HOSTS": "a,b"}, "a,b"),
        (_env.history_file, {"OLLAMA_SERVICE_HISTORY": ""}, None),
        (_env.history_file, {"OLLAMA_SERVICE_HISTORY": "~/h"}, "~/h"),
        (_env.dumb_terminal, {"TERM": "dumb"}, True),
        (_env.dumb_terminal, {"TERM": "xterm"}, False),
        (_env.no_color, {"NO_COLOR": "1"}, True),
        (_env.no_color, {"NO_COLOR": ""}, False),
        (_env.force_color, {"FORCE_COLOR": "1"}, True),
        (_env.proxies, {"HTTP_PROXY": "http://a", "http_proxy": "http://b"}, {"http": "http://b"}),
        (_env.proxies, {"NO_PROXY": "x", "OLLAMA_HOST": "y"}, {"no": "x"}),
    ],
)
def test_readers(
    reader: Callable[..., object], environment: Mapping[str, str], expected: object
) -> None:
    assert reader(env=environment) == expected


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, False),
        ({"OLLAMA_OTEL_PROPAGATE": "yes"}, True),
        ({"OLLAMA_OTEL_PROPAGATE": " On "}, True),
        ({"OLLAMA_OTEL_PROPAGATE": "0"}, False),
        ({"OLLAMA_OTEL_PROPAGATE": "false", "OTHER": "1"}, True),
    ],
)
def test_flag(environment: Mapping[str, str], expected: bool) -> None:
    assert _env.flag("OLLAMA_OTEL_PROPAGATE", "OTHER", env=environment) is expected


def test_host_candidates_in_precedence_order() -> None:
    environment = {"OLLAMA_HOST": "b", "OLLAMA_BASE_URL": "a"}
    assert _env.host_candidates(environment) == (("OLLAMA_BASE_URL", "a"), ("OLLAMA_HOST", "b"))


def _reads_the_environment(tree: ast.AST) -> list[int]:
    """Lines that touch the process environment directly."""
    lines: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "environb"}:
            if isinstance(node.value, ast.Name) and node.value.id == "os":
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module in {"os", "urllib.request"}
            and {alias.name for alias in node.names} & {"environ", "getenv", "getproxies"}
        ):
            lines.append(node.lineno)
    return lines


def test_only_env_reads_the_environment() -> None:
    readers = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = _reads_the_environment(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            readers[path.relative_to(PACKAGE).as_posix()] = lines
    assert set(readers) == {"_env.py"}, f"read the environment through _env: {readers}"


@pytest.mark.parametrize(
    "source",
    ["import os\nos.environ.get('X')\n", "from os import environ\n", "import os\nos.getenv('X')\n"],
)
def test_the_environment_check_finds_direct_reads(source: str) -> None:
    assert _reads_the_environment(ast.parse(source)) != []
