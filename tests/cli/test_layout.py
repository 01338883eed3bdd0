"""Pure layers of the command: table fitting, options typing, hosts, thinking display, flags."""

from __future__ import annotations

import io
from typing import Any

import pytest

from ollama_service._errors import OllamaRequestError
from ollama_service.cli._generate import (
    Answer,
    UsageError,
    parse_think,
    rewrite_think_flags,
    timings,
)
from ollama_service.cli._hosts import choose_hosts, name_the_setting, retry_reason
from ollama_service.cli._options import OptionError, add_option, parse_option, split_assignment
from ollama_service.cli._progress import LayerTotals
from ollama_service.cli._render import Output
from ollama_service.cli._table import Column, layout
from ollama_service.types import GenerateResponse

PS = (
    Column("NAME"),
    Column("ID", drop=2),
    Column("SIZE"),
    Column("PROCESSOR", wrap=True, drop=3),
    Column("CONTEXT", drop=1),
    Column("UNTIL", wrap=True, drop=4),
)
ROWS = [
    [
        "hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M",
        "a80c4f17acd5",
        "2.0 GB",
        "48%/52% CPU/GPU",
        "131072",
        "4 minutes from now",
    ],
    ["qwen3:latest", "8a6618244246", "5.2 GB", "100% GPU", "4096", "Forever"],
]


def test_piped_tables_have_full_values_and_no_trailing_spaces() -> None:
    lines = layout(PS, ROWS, None)
    assert lines[0].split() == ["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"]
    assert lines[1].split("    ")[0] == ROWS[0][0]
    assert "4 minutes from now" in lines[1]
    assert all(line == line.rstrip() for line in lines)


@pytest.mark.parametrize("width", [200, 120, 100, 80, 70, 60, 40, 20])
def test_terminal_tables_fit_and_never_cut_names(width: int) -> None:
    lines = layout(PS, ROWS, width)
    for line in lines:
        assert line == line.rstrip()
        if width >= 70:
            assert len(line) <= width, line
    if width < 70:  # the name alone is too wide: only the columns that never drop remain
        assert lines[0].split() == ["NAME", "SIZE"]
    text = "\n".join(lines)
    assert ROWS[0][0] in text  # whole names, never "…"
    assert ROWS[1][0] in text
    assert "…" not in text


def test_fitting_wraps_before_it_drops_and_drops_the_least_useful_first() -> None:
    short = [["llama3.2:latest", *ROWS[0][1:]], ROWS[1]]
    at_80 = layout(PS, short, 80)
    assert at_80[0].split() == ["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"]
    assert any(line.strip() == "now" or line.endswith("from now") for line in at_80[1:])
    at_60 = layout(PS, short, 60)
    assert "CONTEXT" not in at_60[0]  # dropped first
    assert "UNTIL" in at_60[0]
    at_40 = layout(PS, short, 40)
    assert at_40[0].split() == ["NAME", "SIZE", "UNTIL"]


def test_cells_with_line_breaks_stay_on_one_line() -> None:
    lines = layout([Column("INPUT"), Column("N")], [["two\nlines", "1"]], None)
    assert lines[1] == "two\\nlines    1"


OPTIONS: list[tuple[str, str, Any]] = [
    ("temperature", "0.2", 0.2),
    ("temperature", "1", 1.0),
    ("num_ctx", "4096", 4096),
    ("use_mmap", "true", True),
    ("use_mmap", "off", False),
    ("stop", '"<|eot|>"', "<|eot|>"),
    ("seed", "-1", -1),
]


@pytest.mark.parametrize(("name", "text", "value"), OPTIONS)
def test_options_are_typed_by_the_schema(name: str, text: str, value: Any) -> None:
    parsed = parse_option(name, text)
    assert parsed == value
    assert type(parsed) is type(value)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("temprature", "1", "unknown option 'temprature'; did you mean 'temperature'?"),
        ("zzz", "1", "unknown option 'zzz'"),
        ("num_ctx", "1.5", "num_ctx: '1.5' is not a whole number"),
        ("top_p", "high", "top_p: 'high' is not a number"),
        ("top_p", "nan", "top_p: 'nan' is not a finite number"),
        ("use_mmap", "2", "use_mmap: '2' is not true or false"),
    ],
)
def test_bad_options_name_the_option(name: str, text: str, message: str) -> None:
    with pytest.raises(OptionError) as caught:
        parse_option(name, text)
    assert str(caught.value) == message


def test_stop_accumulates_and_assignments_split() -> None:
    options: dict[str, Any] = {}
    add_option(options, "stop", "a")
    add_option(options, "stop", "b")
    add_option(options, "top_k", "3")
    assert options == {"stop": ["a", "b"], "top_k": 3}
    assert split_assignment("temperature=0.2") == ("temperature", "0.2")
    assert split_assignment("stop=a=b") == ("stop", "a=b")
    with pytest.raises(OptionError, match="is not KEY=VALUE"):
        split_assignment("temperature")


def test_hosts_from_flags_then_the_variable() -> None:
    flags = choose_hosts(["127.0.0.1:1", "http://127.0.0.1:1", ":2"], {})
    assert flags.urls == ("http://127.0.0.1:1", "http://127.0.0.1:2")
    assert flags.source == "--host"
    env = choose_hosts(None, {"OLLAMA_HOSTS": " gpu1 , gpu2:8080,, "})
    assert env.urls == ("http://gpu1:11434", "http://gpu2:8080")
    assert env.source == "OLLAMA_HOSTS"
    assert choose_hosts(None, {}).urls == ()
    with pytest.raises(OllamaRequestError, match=r"^OLLAMA_HOSTS: "):
        choose_hosts(None, {"OLLAMA_HOSTS": "a,http://x:port"})


MESSAGE = (
    "Could not connect to Ollama at http://127.0.0.1:9/api/tags: connection refused. "
    "Is it running? Start it with `ollama serve`, or set OLLAMA_HOST."
)


@pytest.mark.parametrize(
    ("source", "ending"),
    [
        ("--host", "or check --host."),
        ("OLLAMA_HOSTS", "or check OLLAMA_HOSTS."),
        ("OLLAMA_BASE_URL or OLLAMA_HOST", "or set OLLAMA_HOST."),
    ],
)
def test_messages_name_the_setting_used(source: str, ending: str) -> None:
    assert name_the_setting(MESSAGE, source).endswith(ending)


def test_retry_reason_is_short() -> None:
    assert retry_reason(MESSAGE) == "connection refused"
    assert retry_reason("server busy (status code: 503)") == "server busy (status code: 503)"


@pytest.mark.parametrize(
    ("text", "value"),
    [("", True), ("true", True), ("false", False), ("high", "high"), ("LOW", "low")],
)
def test_think_values(text: str, value: bool | str) -> None:
    assert parse_think(text) == value


def test_bad_think_level() -> None:
    with pytest.raises(UsageError, match="--think: 'hot' is not true, false or a level"):
        parse_think("hot")


def test_think_equals_is_rewritten_so_a_bare_think_never_takes_the_prompt() -> None:
    assert rewrite_think_flags(["run", "m", "--think=high", "hi"]) == [
        "run",
        "m",
        "--think-level",
        "high",
        "hi",
    ]
    assert rewrite_think_flags(["run", "m", "--", "--think=x"]) == ["run", "m", "--", "--think=x"]


def test_thinking_is_prefixed_in_plain_output() -> None:
    stream = io.StringIO()
    answer = Answer(Output(stdout=stream))
    for piece in ["Let me", " think.\nSecond", " line.", "\n"]:
        answer.thinking(piece)
    answer.content("The answer.")
    answer.end()
    assert stream.getvalue() == ("thinking: Let me think.\nthinking: Second line.\nThe answer.\n")


def test_hidden_thinking_shows_only_the_answer() -> None:
    stream = io.StringIO()
    answer = Answer(Output(stdout=stream), hide_thinking=True)
    answer.thinking("secret")
    answer.content("shown")
    answer.end()
    assert stream.getvalue() == "shown\n"


def test_verbose_timings() -> None:
    final = GenerateResponse(
        model="m",
        created_at="",
        response="",
        done=True,
        total_duration=1_500_000_000,
        load_duration=1_000_000,
        prompt_eval_count=5,
        prompt_eval_duration=2_500_000,
        eval_count=16,
        eval_duration=160_000_000,
    )
    assert timings(final) == [
        "total duration:       1.50s",
        "load duration:        1.00ms",
        "prompt eval count:    5 token(s)",
        "prompt eval duration: 2.50ms",
        "prompt eval rate:     2000.00 tokens/s",
        "eval count:           16 token(s)",
        "eval duration:        160.00ms",
        "eval rate:            100.00 tokens/s",
    ]


def test_the_total_is_the_sum_of_known_layers_and_never_ahead() -> None:
    totals = LayerTotals()
    totals.update("a", 100, 100)
    totals.update("b", 0, 300)
    assert (totals.completed, totals.total) == (100, 400)
    totals.update("b", 500, 300)  # a server overshooting is clipped
    assert (totals.completed, totals.total) == (400, 400)
    assert totals.finished("b")
