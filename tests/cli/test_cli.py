"""The `ollama-service` command, run in subprocesses against a `FakeOllamaServer`.

Every test checks the exit code and what reached stdout/stderr, the way a user or a script
sees them. The environment is cleaned of `OLLAMA_*` variables and made stable (no colour, a
fixed width).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ollama_service import Client, __version__
from ollama_service.cli import main
from ollama_service.cli._format import human_bytes, human_duration, human_time, parse_timestamp
from ollama_service.testing import FakeOllamaServer

pytestmark = pytest.mark.network

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 60  # seconds; a bound on a hung subprocess, not a timing assertion


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OLLAMA_")}
    env.update(NO_COLOR="1", TERM="dumb", COLUMNS="120", PYTHONIOENCODING="utf-8")
    env.pop("FORCE_COLOR", None)
    env.update(extra or {})
    return env


def run_cli(
    *args: str,
    stdin: str = "",
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ollama_service", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=clean_env(env),
        cwd=cwd,
        timeout=TIMEOUT,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """stderr is a single `error: ...` line, without a traceback; returns it."""
    assert "Traceback" not in result.stderr
    line = result.stderr.strip()
    assert "\n" not in line, result.stderr
    assert line.startswith("error: "), line
    return line


def ndjson(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def flat(text: str) -> str:
    """Whitespace collapsed, so a wrapped line still matches."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOllamaServer]:
    with FakeOllamaServer() as fake:
        yield fake


@pytest.fixture(scope="module")
def host(server: FakeOllamaServer) -> list[str]:
    return ["--host", server.base_url]


@pytest.fixture(scope="module")
def closed_url() -> str:
    """A loopback URL where nothing listens (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- generate and chat ----------------------------------------------------------------------


def test_generate_streams_the_reply(host: list[str]) -> None:
    prompt = "Why is the sky blue?"
    result = run_cli(*host, "generate", "llama3.2", prompt)
    assert result.returncode == 0, result.stderr
    assert result.stdout == FakeOllamaServer.reply_for(prompt) + "\n"
    assert result.stderr == ""


def test_generate_json_is_ndjson_of_chunks(host: list[str]) -> None:
    result = run_cli(*host, "--json", "generate", "llama3.2", "hello there")
    assert result.returncode == 0, result.stderr
    chunks = ndjson(result.stdout)
    assert len(chunks) > 1
    assert chunks[-1]["done"] is True
    assert "".join(c["response"] for c in chunks) == FakeOllamaServer.reply_for("hello there")


def test_generate_reads_the_prompt_from_stdin(host: list[str]) -> None:
    result = run_cli(*host, "generate", "llama3.2", stdin="from a pipe\n")
    assert result.returncode == 0, result.stderr
    assert (
        FakeOllamaServer.reply_for("from a pipe") + "\n" == result.stdout
    )  # the trailing newline is dropped


@pytest.fixture(scope="module")
def chat_two_turns() -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    """Two turns of `chat` through a pipe, then EOF; the output and the /api/chat bodies."""
    with FakeOllamaServer() as fake:
        result = run_cli("--host", fake.base_url, "chat", "llama3.2", stdin="hello\nhow are you\n")
        chats = [r.json for r in fake.requests if r.path == "/api/chat" and r.json is not None]
    return result, chats


def test_chat_keeps_the_history_between_turns(
    chat_two_turns: tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]],
) -> None:
    result, chats = chat_two_turns
    assert result.returncode == 0, result.stderr
    first, second = FakeOllamaServer.reply_for("hello"), FakeOllamaServer.reply_for("how are you")
    assert result.stdout == f"{first}\n\n{second}\n\n"
    assert len(chats) == 2
    history = chats[1]["messages"]
    assert [m["content"] for m in history] == ["hello", first, "how are you"]
    assert [history[0]["role"], history[2]["role"]] == ["user", "user"]


def test_chat_history_names_the_assistant_role(
    chat_two_turns: tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]],
) -> None:
    _, chats = chat_two_turns
    assert [m.get("role") for m in chats[1]["messages"]] == ["user", "assistant", "user"]


def test_chat_json_prints_a_line_per_turn_and_stops_at_bye() -> None:
    with FakeOllamaServer() as fake:
        result = run_cli(
            "--host", fake.base_url, "chat", "llama3.2", "--json", stdin="hi\n/bye\nnot sent\n"
        )
        chats = [r for r in fake.requests if r.path == "/api/chat"]
    assert result.returncode == 0, result.stderr
    (turn,) = ndjson(result.stdout)
    assert turn["message"]["content"] == FakeOllamaServer.reply_for("hi")
    assert len(chats) == 1


# --- models ---------------------------------------------------------------------------------


def test_list_shows_a_table(host: list[str], server: FakeOllamaServer) -> None:
    result = run_cli(*host, "list")
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0].split()
    assert header == ["NAME", "ID", "SIZE", "MODIFIED"]
    for model in server.models:
        assert model.name in result.stdout
    assert "2.0 GB" in result.stdout  # llama3.2's size, as `ollama list` shows it
    assert " ago" in result.stdout


def test_list_json_after_the_subcommand(host: list[str], server: FakeOllamaServer) -> None:
    result = run_cli("list", "--json", *host)
    assert result.returncode == 0, result.stderr
    names = {m["name"] for m in json.loads(result.stdout)["models"]}
    assert names == {m.name for m in server.models}


def test_ps_lists_the_loaded_models(host: list[str], server: FakeOllamaServer) -> None:
    with Client(server.base_url) as client:
        client.generate("qwen3", "load me")
    result = run_cli(*host, "ps")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split() == [
        "NAME",
        "ID",
        "SIZE",
        "PROCESSOR",
        "CONTEXT",
        "UNTIL",
    ]
    assert "qwen3:latest" in result.stdout
    assert "from now" in result.stdout
    loaded = json.loads(run_cli(*host, "ps", "--json").stdout)["models"]
    assert "qwen3:latest" in {m["name"] for m in loaded}


def test_show_prints_the_model_sections(host: list[str]) -> None:
    result = run_cli(*host, "show", "llama3.2")
    assert result.returncode == 0, result.stderr
    text = flat(result.stdout)
    for expected in ("Model", "architecture llama", "parameters 3.2B", "Capabilities", "tools"):
        assert expected in text
    assert "context length 131072" in text
    parameters = run_cli(*host, "show", "llama3.2", "--parameters")
    assert parameters.returncode == 0
    assert "stop" in parameters.stdout
    as_json = json.loads(run_cli(*host, "--json", "show", "llama3.2").stdout)
    assert as_json["details"]["family"] == "llama"


def test_pull_shows_progress_and_success(host: list[str]) -> None:
    result = run_cli(*host, "pull", "mistral")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "pulling manifest"
    assert any(line.startswith("pulling ") and "100%" in line for line in lines)
    assert lines[-2] == "success"
    assert lines[-1].startswith("pulled mistral (2.0 GB in 3 layers) in ")


def test_pull_json_ends_with_success(host: list[str], server: FakeOllamaServer) -> None:
    result = run_cli(*host, "--json", "pull", "phi3")
    assert result.returncode == 0, result.stderr
    items = ndjson(result.stdout)
    assert items[-1]["status"] == "success"
    assert any("total" in item for item in items)
    assert server.get_model("phi3") is not None


def test_pull_of_a_model_the_registry_lacks_fails_in_one_line(host: list[str]) -> None:
    result = run_cli(*host, "pull", "does-not-exist")
    assert result.returncode == 1
    assert "file does not exist" in assert_one_line_error(result)


def test_embed_json_gives_the_vectors(host: list[str], server: FakeOllamaServer) -> None:
    result = run_cli(*host, "--json", "embed", "nomic-embed-text", "first", "second")
    assert result.returncode == 0, result.stderr
    vectors = json.loads(result.stdout)["embeddings"]
    assert len(vectors) == 2
    assert vectors[0] == pytest.approx(server.embedding_for("first"))
    table = run_cli(*host, "embed", "nomic-embed-text", "first")
    assert table.returncode == 0, table.stderr
    assert "DIMENSIONS" in table.stdout
    assert str(server.embedding_size) in table.stdout


# --- server ---------------------------------------------------------------------------------


def test_health_is_zero_when_ollama_answers(host: list[str], server: FakeOllamaServer) -> None:
    result = run_cli(*host, "health")
    assert result.returncode == 0, result.stderr
    assert f"Ollama is running at {server.base_url}" in result.stdout


def test_health_is_one_with_a_hint_when_nothing_listens(closed_url: str) -> None:
    result = run_cli("--host", closed_url, "health")
    assert result.returncode == 1
    line = assert_one_line_error(result)
    assert "connection refused" in line
    assert "ollama serve" in line
    assert "or check --host." in line  # the setting the user gave, not the variables
    down = run_cli("--host", closed_url, "--json", "health")
    assert down.returncode == 1
    assert json.loads(down.stdout)["running"] is False


def test_version_shows_both_versions(host: list[str], server: FakeOllamaServer) -> None:
    result = run_cli(*host, "version")
    assert result.returncode == 0, result.stderr
    assert f"ollama-service version {__version__}" in result.stdout
    assert f"ollama server version {server.version}" in result.stdout
    as_json = json.loads(run_cli(*host, "--json", "version").stdout)
    assert as_json == {"client": __version__, "server": server.version, "base_url": server.base_url}


def test_version_flag_is_the_cli_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"ollama-service {__version__}"


# --- errors ---------------------------------------------------------------------------------


def test_unknown_model_is_exit_one_and_one_line(host: list[str]) -> None:
    result = run_cli(*host, "generate", "nope", "hi")
    assert result.returncode == 1
    assert assert_one_line_error(result) == "error: model 'nope' not found (status code: 404)"
    assert result.stdout == ""


def test_invalid_settings_are_exit_two_naming_the_variable(host: list[str]) -> None:
    result = run_cli(*host, "list", env={"OLLAMA_TIMEOUT": "abc"})
    assert result.returncode == 2
    assert "OLLAMA_TIMEOUT" in assert_one_line_error(result)


def test_invalid_host_is_exit_two(capsys: pytest.CaptureFixture[str]) -> None:
    # Rejected before anything is sent, so in process.
    assert main(["--host", "http://localhost:notaport", "--json", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --host: ")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [["generate"], ["no-such-command"], ["list", "--timeout", "-1"], []],
    ids=["missing-argument", "unknown-command", "bad-timeout", "no-command"],
)
def test_usage_errors_are_exit_two(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    # argparse's own path, in process: nothing is sent anywhere.
    assert main(argv) == 2
    assert "usage: ollama-service" in capsys.readouterr().err


def test_without_rich_plain_text_commands_work_and_the_demo_says_what_it_needs(
    host: list[str],
) -> None:
    code = (
        "import sys; sys.modules['rich'] = None\n"
        "from ollama_service.cli import main\n"
        "raise SystemExit(main(sys.argv[1:]))\n"
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", code, *host, *args],
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=TIMEOUT,
            check=False,
        )

    listing = run("list")
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.splitlines()[0].split() == ["NAME", "ID", "SIZE", "MODIFIED"]
    for args in (("generate", "llama3.2", "hi"), ("health",), ("pull", "llama3.2")):
        result = run(*args)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stdout
    demo = run("demo")
    assert demo.returncode == 2
    line = assert_one_line_error(demo)
    assert "ollama-service[cli]" in line
    assert "--json" not in line  # demo has no --json mode, so the hint must not offer it
    machine = run("--json", "list")
    assert machine.returncode == 0, machine.stderr
    assert json.loads(machine.stdout)["models"]


# --- demo and examples ----------------------------------------------------------------------


def test_demo_runs_against_the_configured_server(server: FakeOllamaServer) -> None:
    result = run_cli("demo", env={"OLLAMA_HOST": server.base_url})
    assert result.returncode == 0, result.stderr
    text = flat(result.stdout)
    assert f"Using the Ollama server at {server.base_url}" in text
    assert "OllamaModelNotFoundError" in text
    assert "OllamaConnectionError" in text
    assert "success" in text
    assert "Done: 4 scenarios ran" in text


def test_demo_starts_the_fake_when_nothing_answers(closed_url: str) -> None:
    result = run_cli("demo", env={"OLLAMA_HOST": closed_url})
    assert result.returncode == 0, result.stderr
    text = flat(result.stdout)
    assert f"No Ollama server answered at {closed_url}" in text
    assert "starting the bundled fake Ollama (ollama_service.testing.FakeOllamaServer)" in text
    assert "Done: 4 scenarios ran against the bundled fake Ollama" in text


def test_async_example_runs(server: FakeOllamaServer) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "examples.ollama_example"],
        capture_output=True,
        text=True,
        env=clean_env({"OLLAMA_HOST": server.base_url}),
        cwd=REPO,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"Using the Ollama server at {server.base_url}" in result.stdout
    assert "OllamaModelNotFoundError" in result.stdout
    assert "OllamaConnectionError" in result.stdout
    assert result.stdout.rstrip().endswith("success")


def test_sync_example_runs_as_a_script(closed_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "examples/sync_example.py"],
        capture_output=True,
        text=True,
        env=clean_env({"OLLAMA_HOST": closed_url}),
        cwd=REPO,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"No Ollama server answered at {closed_url}" in result.stdout
    assert result.stdout.rstrip().endswith("success")


# --- formatting (in process) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (512, "512 B"),
        (1_429, "1.4 KB"),
        (274_302_450, "274 MB"),
        (2_019_393_189, "2.0 GB"),
        (5_225_388_164, "5.2 GB"),
        (3_000_000_000, "3 GB"),
        (12_300_000_000_000, "12 TB"),
    ],
)
def test_human_bytes(size: int, expected: str) -> None:
    assert human_bytes(size) == expected


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(milliseconds=300), "Less than a second"),
        (timedelta(seconds=1), "1 second"),
        (timedelta(seconds=42), "42 seconds"),
        (timedelta(seconds=90), "About a minute"),
        (timedelta(minutes=4, seconds=59), "4 minutes"),
        (timedelta(minutes=70), "About an hour"),
        (timedelta(hours=30), "30 hours"),
        (timedelta(days=9), "9 days"),
        (timedelta(days=30), "4 weeks"),
        (timedelta(days=200), "6 months"),
        (timedelta(days=800), "2 years"),
    ],
)
def test_human_duration(delta: timedelta, expected: str) -> None:
    assert human_duration(delta) == expected


def test_human_time_reads_ollama_timestamps() -> None:
    now = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
    assert human_time("2025-06-01T11:55:00.123456789Z", now=now) == "4 minutes ago"
    assert human_time("2025-06-01T14:05:00+02:00", now=now) == "5 minutes from now"
    assert human_time("2318-01-01T00:00:00Z", now=now) == "Forever"
    assert human_time("", now=now) == "Never"
    assert human_time("not a time", now=now) == "not a time"
    assert parse_timestamp("2025-06-01T12:00:00") == now
