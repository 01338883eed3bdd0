"""The new commands against a `FakeOllamaServer`, run as a script would: piped, in subprocesses.

What reached the server (the JSON bodies) and what reached stdout/stderr are both checked.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ollama_service.testing import FakeOllamaServer
from tests.cli.test_cli import assert_one_line_error, clean_env, ndjson, run_cli

pytestmark = pytest.mark.network

TIMEOUT = 60


@pytest.fixture
def server() -> Iterator[FakeOllamaServer]:
    with FakeOllamaServer() as fake:
        yield fake


@pytest.fixture
def host(server: FakeOllamaServer) -> list[str]:
    return ["--host", server.base_url]


def bodies(server: FakeOllamaServer, path: str) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in server.requests if r.path == path and r.body]


# --- run, generate: flags on the wire, thinking in plain output ------------------------------


def test_run_with_a_prompt_answers_once(host: list[str], server: FakeOllamaServer) -> None:
    result = run_cli(*host, "run", "llama3.2", "Why", "is", "the", "sky", "blue?")
    assert result.returncode == 0, result.stderr
    assert result.stdout == FakeOllamaServer.reply_for("Why is the sky blue?") + "\n"
    [chat] = bodies(server, "/api/chat")
    assert chat["messages"] == [{"role": "user", "content": "Why is the sky blue?"}]


def test_run_reads_a_piped_prompt_without_its_trailing_newline(
    host: list[str], server: FakeOllamaServer
) -> None:
    result = run_cli(*host, "run", "llama3.2", stdin="Summarize this.\n")
    assert result.returncode == 0, result.stderr
    assert bodies(server, "/api/chat")[0]["messages"][0]["content"] == "Summarize this."


def test_generation_flags_reach_the_wire(
    host: list[str], server: FakeOllamaServer, tmp_path: Path
) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    result = run_cli(
        *host,
        "generate",
        "qwen3",
        "--think=high",
        "--system",
        "Be brief.",
        "--keepalive",
        "10m",
        "-o",
        "temperature=0.2",
        "--option",
        "num_ctx=4096",
        "-o",
        "stop=<end>",
        "--format",
        str(tmp_path / "schema.json"),
        "hello",
    )
    assert result.returncode == 0, result.stderr
    [body] = bodies(server, "/api/generate")
    assert body["think"] == "high"
    assert body["system"] == "Be brief."
    assert body["keep_alive"] == "10m"
    assert body["options"] == {"temperature": 0.2, "num_ctx": 4096, "stop": ["<end>"]}
    assert body["format"] == schema
    assert body["prompt"] == "hello"


def test_thinking_is_prefixed_when_piped_and_hidden_on_request(host: list[str]) -> None:
    shown = run_cli(*host, "run", "qwen3", "--think", "Why?")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("thinking: ")
    assert lines[-1] == FakeOllamaServer.reply_for("Why?")
    hidden = run_cli(*host, "run", "qwen3", "--hidethinking", "Why?")
    assert hidden.stdout == FakeOllamaServer.reply_for("Why?") + "\n"


def test_verbose_prints_timings_on_stderr(host: list[str]) -> None:
    result = run_cli(*host, "run", "llama3.2", "--verbose", "hi")
    assert result.returncode == 0, result.stderr
    assert result.stdout == FakeOllamaServer.reply_for("hi") + "\n"
    assert "eval rate:            100.00 tokens/s" in result.stderr.splitlines()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "temprature=0.2"], "did you mean 'temperature'?"),
        (["-o", "num_ctx=big"], "num_ctx: 'big' is not a whole number"),
        (["-o", "temperature"], "is not KEY=VALUE"),
        (["--think=hot"], "--think: 'hot' is not true, false or a level"),
        (
            ["--format", "nope.json"],
            "--format: 'nope.json' is neither 'json' nor a JSON Schema file",
        ),
    ],
)
def test_bad_generation_flags_are_usage_errors(
    host: list[str], args: list[str], message: str
) -> None:
    result = run_cli(*host, "run", "llama3.2", *args, "hi")
    assert result.returncode == 2
    assert message in assert_one_line_error(result)


def test_a_bad_flag_shows_the_subcommands_usage_with_a_hint(host: list[str]) -> None:
    result = run_cli(*host, "run", "llama3.2", "--temperature", "0.2", "hi")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: ollama-service run ")
    assert "unrecognized arguments: --temperature" in result.stderr
    assert "-o temperature=VALUE" in result.stderr
    usage = run_cli(*host, "generate", "--help")
    assert "MODEL [PROMPT ...]" in usage.stdout  # the prompt is optional


# --- create, cp, rm, stop, push -------------------------------------------------------------


def test_create_uploads_the_local_files_then_creates(
    host: list[str], server: FakeOllamaServer, tmp_path: Path
) -> None:
    weights = b"GGUF fake weights"
    (tmp_path / "model.gguf").write_bytes(weights)
    (tmp_path / "lora.gguf").write_bytes(b"lora")
    (tmp_path / "Modelfile").write_text(
        "FROM ./model.gguf\n"
        "ADAPTER ./lora.gguf\n"
        "PARAMETER temperature 0.3\n"
        "PARAMETER stop <end>\n"
        'TEMPLATE """{{ .Prompt }}"""\n'
        "SYSTEM You are Mario.\n"
        "MESSAGE user Who are you?\n"
        "MESSAGE assistant It's-a me!\n"
        "LICENSE MIT\n"
        "REQUIRES 0.9.0\n"
    )
    result = run_cli(*host, "create", "mario", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    digest = "sha256:" + hashlib.sha256(weights).hexdigest()
    assert server.has_blob(digest)
    [body] = bodies(server, "/api/create")
    assert body["model"] == "mario"
    assert body["files"] == {"model.gguf": digest}
    assert body["adapters"] == {"lora.gguf": "sha256:" + hashlib.sha256(b"lora").hexdigest()}
    assert "from" not in body
    assert body["parameters"] == {"temperature": 0.3, "stop": ["<end>"]}
    assert body["template"] == "{{ .Prompt }}"
    assert body["system"] == "You are Mario."
    assert body["messages"] == [
        {"role": "user", "content": "Who are you?"},
        {"role": "assistant", "content": "It's-a me!"},
    ]
    assert body["license"] == "MIT"
    assert body["requires"] == "0.9.0"
    lines = result.stdout.splitlines()
    assert f"copying {digest[7:19]}: 100% of 17 B" in lines
    assert lines[-2] == "success"
    assert lines[-1].startswith("created mario in ")
    assert server.get_model("mario") is not None


def test_create_from_a_model_name_uploads_nothing(
    host: list[str], server: FakeOllamaServer, tmp_path: Path
) -> None:
    (tmp_path / "Modelfile").write_text("FROM llama3.2\nSYSTEM Be brief.\n")
    result = run_cli(*host, "create", "brief", "-f", str(tmp_path / "Modelfile"))
    assert result.returncode == 0, result.stderr
    assert not [r for r in server.requests if r.path.startswith("/api/blobs/")]
    assert bodies(server, "/api/create")[0]["from"] == "llama3.2"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FROM llama3.2\nPARAMETR top_k 1\n", "Modelfile: line 2: unknown instruction 'PARAMETR'"),
        ("FROM ./missing.gguf\n", "Modelfile: FROM ./missing.gguf: no such file or directory"),
        ("SYSTEM hi\n", "Modelfile: no FROM line"),
    ],
)
def test_create_with_a_bad_modelfile_is_a_usage_error(
    host: list[str], server: FakeOllamaServer, tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "Modelfile").write_text(text)
    result = run_cli(*host, "create", "x", cwd=tmp_path)
    assert result.returncode == 2
    assert message in assert_one_line_error(result)
    assert server.requests == []


def test_create_without_a_modelfile(host: list[str], tmp_path: Path) -> None:
    result = run_cli(*host, "create", "x", cwd=tmp_path)
    assert result.returncode == 2
    assert "-f Modelfile: No such file or directory" in assert_one_line_error(result)


def test_cp_rm_and_stop(host: list[str], server: FakeOllamaServer) -> None:
    copied = run_cli(*host, "cp", "llama3.2", "mine")
    assert copied.returncode == 0, copied.stderr
    assert copied.stdout == "copied 'llama3.2' to 'mine'\n"
    assert server.get_model("mine") is not None
    removed = run_cli(*host, "rm", "mine", "nope")
    assert removed.returncode == 1
    assert removed.stdout == "deleted 'mine'\n"
    assert removed.stderr == "error: model 'nope' not found\n"
    assert server.get_model("mine") is None

    assert run_cli(*host, "run", "llama3.2", "hi").returncode == 0
    assert "llama3.2:latest" in server.loaded_models
    stopped = run_cli(*host, "stop", "llama3.2")
    assert stopped.returncode == 0, stopped.stderr
    assert "llama3.2:latest" not in server.loaded_models
    again = run_cli(*host, "stop", "llama3.2")
    assert again.returncode == 1
    assert "couldn't find a running model named 'llama3.2'" in assert_one_line_error(again)


def test_push_shows_layers_and_a_summary(host: list[str]) -> None:
    result = run_cli(*host, "push", "llama3.2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "retrieving manifest"
    assert any(line.startswith("pushing ") and "100% of 2.0 GB" in line for line in lines)
    assert lines[-1].startswith("pushed llama3.2 (2.0 GB in 3 layers) in ")


# --- pipes, retries, settings ---------------------------------------------------------------


def test_piped_list_is_plain_full_columns(host: list[str], server: FakeOllamaServer) -> None:
    long_name = "hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M"
    server.add_model(long_name)
    result = run_cli(*host, "list", env={"COLUMNS": "40"})  # no terminal: the width is ignored
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "ID", "SIZE", "MODIFIED"]
    assert any(line.startswith(long_name + "    ") for line in lines)
    assert all(line == line.rstrip() for line in lines)
    assert "\x1b" not in result.stdout


def test_a_closed_pipe_ends_quietly_with_the_sigpipe_status(
    host: list[str], server: FakeOllamaServer
) -> None:
    for index in range(400):
        server.add_model(f"model-{index}")
    env = clean_env()
    # Unbuffered stdout makes CPython 3.11 lose the partial write's EPIPE; the buffered default
    # (what a user's shell gives) raises BrokenPipeError as it should.
    env.pop("PYTHONUNBUFFERED", None)
    cli = subprocess.Popen(
        [sys.executable, "-m", "ollama_service", *host, "--json", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert cli.stdout is not None
    assert cli.stderr is not None
    cli.stdout.readline()
    cli.stdout.close()  # as `| head -1` does
    assert cli.wait(timeout=TIMEOUT) == 128 + signal.SIGPIPE
    assert cli.stderr.read() == b""
    cli.stderr.close()


def test_retries_are_announced_on_stderr() -> None:
    with FakeOllamaServer() as fake:
        fake.faults.busy(2)
        result = run_cli("--host", fake.base_url, "list", env={"OLLAMA_MAX_RETRIES": "2"})
    assert result.returncode == 0, result.stderr
    notices = result.stderr.splitlines()
    assert len(notices) == 2
    assert notices[0].startswith("retrying in ")
    assert "(attempt 2 of 3): " in notices[0]
    assert "(attempt 3 of 3): " in notices[1]


def test_the_connection_hint_names_the_variable_the_user_set(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"OLLAMA_HOSTS": f"127.0.0.1:{port}", "OLLAMA_MAX_RETRIES": "0"}
    result = run_cli("list", env=env)
    assert result.returncode == 1
    assert assert_one_line_error(result).endswith("or check OLLAMA_HOSTS.")


# --- fake-server ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "ollama_service.testing"],
        [sys.executable, "-m", "ollama_service", "fake-server"],
    ],
)
def test_the_fake_server_serves_the_official_library_until_interrupted(
    command: list[str],
) -> None:
    import ollama

    proc = subprocess.Popen(
        [*command, "--port", "0", "--model", "llama3.2", "--model", "tinyllama"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("Fake Ollama listening at http://127.0.0.1:")
        url = first.split()[-1]
        assert proc.stdout.readline() == "models: llama3.2:latest, tinyllama:latest\n"
        with ollama.Client(host=url) as client:
            names = {m.model for m in client.list().models}
            reply = client.generate(model="llama3.2", prompt="hi")
        assert names == {"llama3.2:latest", "tinyllama:latest"}
        assert reply.response == FakeOllamaServer.reply_for("hi")
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, err
    assert out.endswith("stopped\n")


def test_the_fake_server_reports_a_taken_port() -> None:
    with FakeOllamaServer() as fake:
        result = subprocess.run(
            [sys.executable, "-m", "ollama_service.testing", "--port", str(fake.port)],
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=TIMEOUT,
            check=False,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{fake.port}" in result.stderr


# --- several servers (--host repeated, OLLAMA_HOSTS) -----------------------------------------


@pytest.fixture
def two() -> Iterator[tuple[FakeOllamaServer, FakeOllamaServer]]:
    with FakeOllamaServer(["llama3.2"]) as first, FakeOllamaServer(["qwen3"]) as second:
        yield first, second


def test_list_on_several_servers_has_a_host_column(
    two: tuple[FakeOllamaServer, FakeOllamaServer],
) -> None:
    first, second = two
    result = run_cli("--host", first.base_url, "--host", second.base_url, "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["HOST", "NAME", "ID", "SIZE", "MODIFIED"]
    assert lines[1].startswith(f"{first.base_url}    llama3.2:latest ")
    assert lines[2].startswith(f"{second.base_url}    qwen3:latest ")
    as_json = json.loads(
        run_cli(
            "--json", "list", env={"OLLAMA_HOSTS": f"{first.base_url},{second.base_url}"}
        ).stdout
    )
    assert [(d["host"], [m["name"] for m in d["models"]]) for d in as_json] == [
        (first.base_url, ["llama3.2:latest"]),
        (second.base_url, ["qwen3:latest"]),
    ]


def test_pull_on_several_servers_groups_progress_per_server(
    two: tuple[FakeOllamaServer, FakeOllamaServer],
) -> None:
    first, second = two
    result = run_cli("pull", "mistral", env={"OLLAMA_HOSTS": f"{first.base_url},{second.base_url}"})
    assert result.returncode == 0, result.stderr
    for fake in two:
        mine = [ln for ln in result.stdout.splitlines() if ln.startswith(fake.base_url + ": ")]
        assert mine[0] == f"{fake.base_url}: pulling manifest"
        assert mine[-1].startswith(f"{fake.base_url}: pulled mistral (2.0 GB in 3 layers) in ")
        assert fake.get_model("mistral") is not None
    items = ndjson(
        run_cli(
            "--json", "--host", first.base_url, "--host", second.base_url, "pull", "phi3"
        ).stdout
    )
    assert {item["host"] for item in items} == {first.base_url, second.base_url}


def test_ps_show_and_rm_on_several_servers(
    two: tuple[FakeOllamaServer, FakeOllamaServer],
) -> None:
    first, second = two
    hosts = ["--host", first.base_url, "--host", second.base_url]
    shown = run_cli(*hosts, "show", "llama3.2")
    assert shown.returncode == 1  # the second server does not have it
    assert shown.stdout.splitlines()[0].split()[:3] == ["HOST", "ARCHITECTURE", "PARAMETERS"]
    assert shown.stdout.splitlines()[1].startswith(first.base_url)
    assert f"error: {second.base_url}: model 'llama3.2:latest' not found" in shown.stderr
    ps = run_cli(*hosts, "ps")
    assert ps.returncode == 0, ps.stderr
    assert ps.stdout.split()[0] == "HOST"
    second.add_model("llama3.2")
    removed = run_cli(*hosts, "rm", "llama3.2")
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.splitlines()[1:] == [
        f"{first.base_url}    llama3.2    deleted",
        f"{second.base_url}    llama3.2    deleted",
    ]
    one_only = run_cli(*hosts, "run", "llama3.2", "hi")
    assert one_only.returncode == 2
    assert "run runs on one server, but --host names 2" in assert_one_line_error(one_only)


def test_demo_output_is_not_wrapped_when_piped(tmp_path: Path) -> None:
    with FakeOllamaServer() as fake:
        result = run_cli("demo", env={"OLLAMA_HOST": fake.base_url, "COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(line == line.rstrip() for line in lines)
    assert any(len(line) > 80 for line in lines)  # long results stay on one line
    assert any(
        "OllamaConnectionError: Failed to connect to Ollama." in line
        and "Could not connect to http://127.0.0.1:9/api/generate: connection refused." in line
        for line in lines
    )
