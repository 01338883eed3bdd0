"""The command on a real pseudo-terminal, driven key by key as a person would (pexpect).

The terminal is 80 columns wide. Waiting is always for expected output (`expect` with a
generous bound), never a sleep.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ollama_service.testing import FakeOllamaServer

pexpect = pytest.importorskip("pexpect")

pytestmark = [
    pytest.mark.network,
    pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal"),
]

WAIT = 60  # seconds: a bound on a hung program, not a timing assertion
LEFT, UP = "\x1b[D", "\x1b[A"
CTRL_C, CTRL_D = "\x03", "\x04"


@pytest.fixture
def server() -> Iterator[FakeOllamaServer]:
    with FakeOllamaServer() as fake:
        yield fake
        fake.faults.reset()


def spawn(server: FakeOllamaServer, tmp_path: Path, *args: str, colour: bool = False) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA_", "FORCE_COLOR"))}
    env.update(
        TERM="xterm-256color",
        COLUMNS="80",
        LINES="24",
        PYTHONIOENCODING="utf-8",
        OLLAMA_SERVICE_HISTORY=str(tmp_path / "history"),
        HOME=str(tmp_path),
    )
    if not colour:
        env["NO_COLOR"] = "1"
    return pexpect.spawn(
        sys.executable,
        ["-m", "ollama_service", "--host", server.base_url, *args],
        env=env,
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=WAIT,
    )


def chats(server: FakeOllamaServer) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in server.requests if r.path == "/api/chat"]


def finish(child: Any) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus)


def test_line_editing_history_and_ctrl_d(server: FakeOllamaServer, tmp_path: Path) -> None:
    child = spawn(server, tmp_path, "run", "llama3.2")
    child.expect_exact(">>> ")
    child.send("abc" + LEFT + LEFT + "X\r")
    child.expect_exact(FakeOllamaServer.reply_for("aXbc"))
    child.expect_exact(">>> ")
    child.send(UP + "\r")  # the previous line, from the history
    child.expect_exact(FakeOllamaServer.reply_for("aXbc"))
    child.expect_exact(">>> ")
    child.send(CTRL_D)
    assert finish(child) == 0
    assert child.before.endswith("\r\n")  # the shell prompt starts on a line of its own
    assert [c["messages"][-1]["content"] for c in chats(server)] == ["aXbc", "aXbc"]
    assert (tmp_path / "history").read_text().count("aXbc") >= 1


def test_ctrl_c_at_the_prompt_warns_and_stays(server: FakeOllamaServer, tmp_path: Path) -> None:
    child = spawn(server, tmp_path, "run", "llama3.2")
    child.expect_exact(">>> ")
    child.send("half typed" + CTRL_C)
    child.expect_exact("Use Ctrl + d or /bye to exit.")
    child.expect_exact(">>> ")
    child.sendline("/bye")
    assert finish(child) == 0
    assert chats(server) == []


def test_ctrl_c_during_an_answer_keeps_the_partial_answer(
    server: FakeOllamaServer, tmp_path: Path
) -> None:
    server.faults.stall_mid_stream(after=3)
    child = spawn(server, tmp_path, "run", "llama3.2")
    child.expect_exact(">>> ")
    child.sendline("tell me a story")
    child.expect_exact("You said: tell ")  # three words arrived, then the server stalls
    child.send(CTRL_C)
    child.expect_exact(">>> ")
    server.faults.release()
    child.sendline("go on")
    child.expect_exact(FakeOllamaServer.reply_for("go on"))
    child.expect_exact(">>> ")
    child.sendline("/bye")
    assert finish(child) == 0
    history = chats(server)[-1]["messages"]
    assert [m["role"] for m in history] == ["user", "assistant", "user"]
    assert history[1]["content"] == "You said: tell "


def test_slash_commands_are_never_sent_to_the_model(
    server: FakeOllamaServer, tmp_path: Path
) -> None:
    child = spawn(server, tmp_path, "run", "qwen3")
    child.expect_exact(">>> ")
    child.sendline("/set verbose")
    child.expect_exact("Set 'verbose' mode.")
    child.sendline("/set parameter temperature 0.3")
    child.expect_exact("Set parameter 'temperature' to '0.3'")
    child.sendline("/set parameter temprature 0.3")
    child.expect_exact("did you mean 'temperature'?")
    child.sendline("/set system Answer like a pirate.")
    child.expect_exact("Set system message.")
    child.sendline("/set format json")
    child.expect_exact("Set format to 'json' mode.")
    child.sendline("/set noformat")
    child.sendline("/set think high")
    child.expect_exact("Set 'think' mode (level high).")
    child.sendline("/show parameters")
    child.expect_exact("User defined parameters:")
    child.expect_exact("temperature")
    child.expect_exact("Model defined parameters:")
    child.sendline("/show system")
    child.expect_exact("Answer like a pirate.")
    child.sendline("/show info")
    child.expect_exact("architecture")
    child.sendline("/show template")
    child.expect_exact("<|im_start|>")
    child.sendline("/nonsense")
    child.expect_exact("Unknown command '/nonsense'. Type /? for help")
    child.sendline("/?")
    child.expect_exact("/set            Set session variables")
    child.sendline("/? set")
    child.expect_exact("/set parameter <name> <value>")
    child.sendline('"""first line')
    child.expect_exact("... ")
    child.sendline('second line"""')
    child.expect_exact("Thinking...")
    child.expect_exact("...done thinking.")
    child.expect_exact("You said: first line")
    child.expect_exact("eval rate:")
    child.expect_exact(">>> ")
    child.sendline("/clear")
    child.expect_exact("Cleared session context")
    child.sendline("/bye")
    assert finish(child) == 0
    [request] = chats(server)
    assert request["messages"] == [
        {"role": "system", "content": "Answer like a pirate."},
        {"role": "user", "content": "first line\nsecond line"},
    ]
    assert request["options"] == {"temperature": 0.3}
    assert request["think"] == "high"
    assert "format" not in request


def test_load_and_save(server: FakeOllamaServer, tmp_path: Path) -> None:
    child = spawn(server, tmp_path, "run", "llama3.2")
    child.expect_exact(">>> ")
    child.sendline("/set system Be brief.")
    child.sendline("hello")
    child.expect_exact(FakeOllamaServer.reply_for("hello"))
    child.sendline("/save brief")
    child.expect_exact("Created new model 'brief'")
    child.sendline("/load no-such-model")
    child.expect_exact("error: model 'no-such-model")
    child.sendline("/load qwen3")
    child.expect_exact("Loading model 'qwen3'")
    child.sendline("hi")
    child.expect_exact(FakeOllamaServer.reply_for("hi"))
    child.sendline("/bye")
    assert finish(child) == 0
    saved = server.get_model("brief")
    assert saved is not None
    assert saved.system == "Be brief."
    assert chats(server)[-1]["model"] == "qwen3"


def test_thinking_is_dimmed_on_a_terminal(server: FakeOllamaServer, tmp_path: Path) -> None:
    child = spawn(server, tmp_path, "run", "qwen3", "--think", "Why is the sky blue?", colour=True)
    assert finish(child) == 0
    output = child.before
    assert "\x1b[2mThinking...\n" in output.replace("\r\n", "\n")
    assert output.index("Thinking...") < output.index("You said: Why is the sky blue?")


def test_tables_fit_80_columns_on_a_terminal(server: FakeOllamaServer, tmp_path: Path) -> None:
    server.add_model("hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M")
    generate = spawn(
        server, tmp_path, "generate", "hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M", "hi"
    )
    assert finish(generate) == 0
    for command in ("list", "ps"):
        child = spawn(server, tmp_path, command)
        assert finish(child) == 0
        lines = child.before.replace("\r\n", "\n").rstrip("\n").split("\n")
        assert all(len(line) <= 80 for line in lines), lines
        assert "hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M" in child.before
        assert "…" not in child.before


def test_pull_draws_bars_and_a_summary_on_a_terminal(
    server: FakeOllamaServer, tmp_path: Path
) -> None:
    child = spawn(server, tmp_path, "pull", "mistral")
    assert finish(child) == 0
    output = child.before
    assert "pulling manifest" in output
    assert "total" in output
    assert "2.0 GB/2.0 GB" in output
    assert "kB" not in output  # one set of units: KB, MB, GB as elsewhere
    assert "pulled mistral (2.0 GB in 3 layers) in " in output
