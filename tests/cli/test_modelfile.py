"""The Modelfile parser: every instruction, the quoting forms, and the errors of bad files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ollama_service.cli._modelfile import (
    LocalFile,
    Modelfile,
    ModelfileError,
    local_files,
    parse_modelfile,
)

TRIPLE = '"""'

GOOD: list[tuple[str, str, dict[str, Any]]] = [
    ("FROM only", "FROM llama3.2", {"from_": "llama3.2"}),
    ("instructions are case-insensitive", "from llama3.2", {"from_": "llama3.2"}),
    ("comments and blank lines", "# a comment\n\n  # indented\nFROM x", {"from_": "x"}),
    (
        "PARAMETER typed by the schema",
        "FROM x\nPARAMETER temperature 0.2\nPARAMETER num_ctx 4096\nPARAMETER use_mmap false",
        {"parameters": {"temperature": 0.2, "num_ctx": 4096, "use_mmap": False}},
    ),
    (
        "PARAMETER stop accumulates, quoted or bare",
        'FROM x\nPARAMETER stop "<|im_end|>"\nPARAMETER stop <eot>',
        {"parameters": {"stop": ["<|im_end|>", "<eot>"]}},
    ),
    ("TEMPLATE quoted", 'FROM x\nTEMPLATE "{{ .Prompt }}"', {"template": "{{ .Prompt }}"}),
    (
        "TEMPLATE triple-quoted over lines",
        f"FROM x\nTEMPLATE {TRIPLE}{{{{ .System }}}}\n{{{{ .Prompt }}}}{TRIPLE}",
        {"template": "{{ .System }}\n{{ .Prompt }}"},
    ),
    ("SYSTEM bare", "FROM x\nSYSTEM You are Mario.", {"system": "You are Mario."}),
    (
        "SYSTEM triple-quoted on one line",
        f"FROM x\nSYSTEM {TRIPLE}Be brief.{TRIPLE}",
        {"system": "Be brief."},
    ),
    ("ADAPTER", "FROM x\nADAPTER ./lora.gguf", {"adapters": ["./lora.gguf"]}),
    (
        "LICENSE twice",
        f"FROM x\nLICENSE MIT\nLICENSE {TRIPLE}\nApache 2.0\n{TRIPLE}",
        {"licenses": ["MIT", "\nApache 2.0\n"]},
    ),
    (
        "MESSAGE roles",
        'FROM x\nMESSAGE user Is Toronto in Canada?\nMESSAGE assistant "yes"\nMESSAGE SYSTEM hi',
        {
            "messages": [
                ("user", "Is Toronto in Canada?"),
                ("assistant", "yes"),
                ("system", "hi"),
            ]
        },
    ),
    ("REQUIRES", "FROM x\nREQUIRES 0.9.0", {"requires": "0.9.0"}),
    ("tabs separate too", "FROM\tx\nPARAMETER\ttop_k\t20", {"parameters": {"top_k": 20}}),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in GOOD], ids=[c[0] for c in GOOD])
def test_good_modelfiles(text: str, expected: dict[str, Any]) -> None:
    parsed = parse_modelfile(text)
    want = Modelfile(from_=expected.pop("from_", "x"), **expected)
    assert parsed == want


BAD: list[tuple[str, str, str]] = [
    ("empty", "", "no FROM line"),
    ("no FROM", "SYSTEM hi", "no FROM line"),
    ("two FROMs", "FROM a\nFROM b", "line 2: a second FROM (the first is on line 1)"),
    ("FROM without a value", "FROM", "line 1: FROM needs a value"),
    (
        "unknown instruction with a hint",
        "FROM a\nPARAMETR top_k 1",
        "line 2: unknown instruction 'PARAMETR'; did you mean PARAMETER?",
    ),
    ("unknown instruction", "FROM a\nBOGUS x", "line 2: unknown instruction 'BOGUS'"),
    (
        "PARAMETER without anything",
        "FROM a\nPARAMETER",
        "line 2: PARAMETER needs a name and a value",
    ),
    (
        "PARAMETER without a value",
        "FROM a\nPARAMETER top_k",
        "line 2: PARAMETER top_k needs a value",
    ),
    (
        "unknown parameter",
        "FROM a\nPARAMETER temprature 1",
        "line 2: PARAMETER unknown option 'temprature'; did you mean 'temperature'?",
    ),
    (
        "parameter of the wrong type",
        "FROM a\nPARAMETER num_ctx big",
        "line 2: PARAMETER num_ctx: 'big' is not a whole number",
    ),
    (
        "boolean parameter",
        "FROM a\nPARAMETER use_mmap maybe",
        "line 2: PARAMETER use_mmap: 'maybe' is not true or false",
    ),
    (
        "MESSAGE with a bad role",
        "FROM a\nMESSAGE bot hi",
        "line 2: MESSAGE role 'bot' is not one of system, user, assistant",
    ),
    ("MESSAGE without a role", "FROM a\nMESSAGE", "line 2: MESSAGE needs a role and a text"),
    (
        "unclosed triple quote",
        f"FROM a\nSYSTEM {TRIPLE}never\nclosed",
        f"line 2: SYSTEM opens {TRIPLE} but it is never closed",
    ),
    ("unclosed quote", 'FROM a\nSYSTEM "open', "line 2: SYSTEM has an unclosed quote"),
    (
        "text after a closing quote",
        f"FROM a\nSYSTEM {TRIPLE}x{TRIPLE} y",
        "line 2: unexpected text after the closing",
    ),
    ("REQUIRES not a version", "FROM a\nREQUIRES soon", "line 2: REQUIRES 'soon' is not a version"),
    ("ADAPTER without a value", "FROM a\nADAPTER", "line 2: ADAPTER needs a value"),
]


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_modelfiles_name_the_line_and_the_problem(text: str, message: str) -> None:
    with pytest.raises(ModelfileError) as caught:
        parse_modelfile(text)
    assert str(caught.value).startswith(message)


def test_local_files_of_a_gguf_a_directory_and_an_adapter(tmp_path: Path) -> None:
    (tmp_path / "model.gguf").write_bytes(b"GGUF")
    weights = tmp_path / "weights"
    (weights / "sub").mkdir(parents=True)
    (weights / "model.safetensors").write_bytes(b"s")
    (weights / "sub" / "config.json").write_text("{}")
    (tmp_path / "lora.gguf").write_bytes(b"L")

    gguf = parse_modelfile("FROM ./model.gguf\nADAPTER lora.gguf")
    assert local_files(gguf, tmp_path) == (
        [LocalFile(tmp_path / "model.gguf", "model.gguf")],
        [LocalFile(tmp_path / "lora.gguf", "lora.gguf")],
    )
    directory, _ = local_files(parse_modelfile("FROM ./weights"), tmp_path)
    assert [f.name for f in directory] == ["model.safetensors", "sub/config.json"]
    name_only = parse_modelfile("FROM llama3.2")
    assert local_files(name_only, tmp_path) == ([], [])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FROM ./missing.gguf", "FROM ./missing.gguf: no such file or directory"),
        ("FROM x\nADAPTER ./nope.gguf", "ADAPTER ./nope.gguf: no such file or directory"),
    ],
)
def test_missing_local_files_are_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ModelfileError, match=message):
        local_files(parse_modelfile(text), tmp_path)
