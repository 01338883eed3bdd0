"""The official `ollama` library's public surface, on our package.

Names (`__all__`, nested classes, `ollama._types`), the pydantic methods and mapping semantics
downstream libraries call on responses, construction from nested dicts, and the official
view (field names, order and class names in `repr`, `str`, `dict()` and `model_dump()`),
each checked against the installed official library where it can be.
"""

# These tests pass, on purpose, what the runtime accepts but the static types do not
# describe (the official library's objects, nested dicts, None for options, unknown keys).
# pyright: reportArgumentType=false, reportCallIssue=false

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from datetime import datetime, timezone
from typing import Any

import msgspec
import ollama
import ollama._types as official_types
import pytest

import ollama_service
from ollama_service import types
from ollama_service._types import SubscriptableBaseModel
from ollama_service.types import (
    BaseStruct,
    ChatResponse,
    EmbedResponse,
    GenerateResponse,
    ListResponse,
    Message,
    ModelDetails,
    Options,
    ProcessResponse,
    ProgressResponse,
    ShowResponse,
    Tool,
    ToolCall,
)
from ollama_service.types._official import OFFICIAL_VIEW

# --- Names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ollama.__all__))
def test_every_official_top_level_name_exists(name: str) -> None:
    assert hasattr(ollama_service, name)
    assert name in ollama_service.__all__


MODULE_FUNCTIONS = [
    "chat",
    "generate",
    "embed",
    "embeddings",
    "pull",
    "push",
    "create",
    "delete",
    "list",
    "copy",
    "show",
    "ps",
    "web_search",
    "web_fetch",
    "systemone",
]


@pytest.mark.parametrize("name", MODULE_FUNCTIONS)
def test_module_level_functions_mirror_the_client(name: str) -> None:
    import inspect

    function = getattr(ollama_service, name)
    assert callable(function)
    assert name not in ollama_service.__all__  # as in the official library
    method = inspect.signature(getattr(ollama_service.Client, name))
    assert list(inspect.signature(function).parameters) == list(method.parameters)[1:]
    assert function.__doc__ == getattr(ollama_service.Client, name).__doc__


def test_import_creates_no_client_and_reads_no_proxy() -> None:
    """The official `import ollama` builds a client (and fails with a SOCKS proxy); ours not."""
    code = (
        "import ollama_service, ollama_service._default as d\n"
        "from ollama_service import chat, list\n"
        "assert d._client is None\n"
        "print('ok')\n"
    )
    env = {"ALL_PROXY": "socks5://127.0.0.1:9", "HTTPS_PROXY": "socks5://127.0.0.1:9"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr


@pytest.mark.parametrize(
    ("path", "ours"),
    [
        ("Message.ToolCall", ToolCall),
        ("Message.ToolCall.Function", types.ToolCallFunction),
        ("Tool.Function", types.ToolFunction),
        ("Tool.Function.Parameters", types.ToolFunctionParameters),
        ("Tool.Function.Parameters.Property", types.ToolProperty),
        ("ListResponse.Model", types.ListModel),
        ("ProcessResponse.Model", types.ProcessModel),
    ],
)
def test_nested_names(path: str, ours: type[Any]) -> None:
    official: Any = ollama
    mine: Any = ollama_service
    for part in path.split("."):
        official = getattr(official, part)
        mine = getattr(mine, part)
    assert mine is ours
    assert OFFICIAL_VIEW[ours.__name__][0] == official.__name__


def test_private_module_counterparts() -> None:
    """`from ollama._types import X` (and `_client`, `_utils`) rewrites to ours."""
    ours = importlib.import_module("ollama_service._types")
    public = [
        n
        for n, v in vars(official_types).items()
        if isinstance(v, type) and v.__module__ == "ollama._types"
    ]
    missing = [n for n in public if not hasattr(ours, n) and n not in _OFFICIAL_INTERNALS]
    assert missing == []
    assert SubscriptableBaseModel is BaseStruct
    from ollama_service._client import CONNECTION_ERROR_MESSAGE, AsyncClient, Client
    from ollama_service._utils import convert_function_to_tool

    assert (Client, AsyncClient) == (ollama_service.Client, ollama_service.AsyncClient)
    official_client = importlib.import_module("ollama._client")
    assert CONNECTION_ERROR_MESSAGE == official_client.CONNECTION_ERROR_MESSAGE
    assert convert_function_to_tool(_add).function.name == "_add"


# Request/response pieces the official library keeps to itself.
_OFFICIAL_INTERNALS = frozenset({"SubscriptableBaseModel"})


def _add(a: int, b: int) -> int:
    """Add two numbers.

    Args:
        a: The first.
        b: The second.
    """
    return a + b


# --- The official view: names, order, class names -------------------------------------------


@pytest.mark.parametrize("ours", sorted(OFFICIAL_VIEW))
def test_view_table_matches_the_installed_official_library(ours: str) -> None:
    """The table is exact: official class name and field order, and every field exists here."""
    name, fields = OFFICIAL_VIEW[ours]
    official = _official_class(name, ours)
    assert tuple(official.model_fields) == fields
    struct = getattr(types, ours)
    assert list(struct.model_fields)[: len(fields)] == list(fields)


def _official_class(name: str, ours: str) -> Any:
    nested = {
        "ToolCall": "Message.ToolCall",
        "ToolCallFunction": "Message.ToolCall.Function",
        "ToolFunction": "Tool.Function",
        "ToolFunctionParameters": "Tool.Function.Parameters",
        "ToolProperty": "Tool.Function.Parameters.Property",
        "ListModel": "ListResponse.Model",
        "ProcessModel": "ProcessResponse.Model",
    }
    found: Any = official_types
    for part in nested.get(ours, name).split("."):
        found = getattr(found, part)
    return found


CHAT_JSON = {
    "model": "llama3.2",
    "created_at": "2026-08-22T17:23:30.770056Z",
    "message": {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}],
    },
    "done": True,
    "done_reason": "stop",
    "total_duration": 5,
    "load_duration": 1,
    "prompt_eval_count": 26,
    "prompt_eval_duration": 2,
    "eval_count": 7,
    "eval_duration": 3,
}
GENERATE_JSON = {
    "model": "llama3.2",
    "created_at": "2026-08-22T17:05:40.907611Z",
    "response": "Hi",
    "done": True,
    "context": [1, 2],
    "eval_count": 2,
}
SHOW_JSON = {
    "modified_at": "2026-08-21T22:41:07.118305-07:00",
    "template": "{{ .Prompt }}",
    "details": {
        "parent_model": "",
        "format": "gguf",
        "family": "llama",
        "families": ["llama"],
        "parameter_size": "3.2B",
        "quantization_level": "Q4_K_M",
    },
    "model_info": {"llama.context_length": 131072},
    "capabilities": ["completion"],
}
PROGRESS_JSON = {"status": "pulling abc", "digest": "sha256:abc", "total": 100, "completed": 40}

SYSTEMONE_JSON = {
    "model": "nimble",
    "answers": {
        "team": {
            "type": "choice",
            "choice": "billing",
            "probabilities": {"technical": 0.2, "billing": 0.8},
            "confidence": 0.3,
        },
        "refund": {"type": "noul", "noul": 0.9},
        "urgency": {
            "type": "score",
            "score": 0.25,
            "legend": {"0": "Routine", "1": "Urgent"},
            "probabilities": {"0": 0.75, "1": 0.25},
            "confidence": 0.2,
        },
    },
    "usage": {"input_tokens": 123, "output_tokens": 4},
}

PAIRS = [
    pytest.param(ChatResponse, ollama.ChatResponse, CHAT_JSON, id="chat"),
    pytest.param(types.SystemOneResponse, ollama.SystemOneResponse, SYSTEMONE_JSON, id="systemone"),
    pytest.param(GenerateResponse, ollama.GenerateResponse, GENERATE_JSON, id="generate"),
    pytest.param(ShowResponse, ollama.ShowResponse, SHOW_JSON, id="show"),
    pytest.param(ProgressResponse, ollama.ProgressResponse, PROGRESS_JSON, id="progress"),
    pytest.param(
        EmbedResponse, ollama.EmbedResponse, {"model": "m", "embeddings": [[0.5]]}, id="embed"
    ),
]


def _both(ours: type[Any], official: type[Any], wire: dict[str, Any]) -> tuple[Any, Any]:
    data = json.dumps(wire).encode()
    return msgspec.json.decode(data, type=ours), official(**json.loads(data))


@pytest.mark.parametrize(("ours", "official", "wire"), PAIRS)
def test_str_and_repr_print_like_the_official_models(
    ours: type[Any], official: type[Any], wire: dict[str, Any]
) -> None:
    mine, theirs = _both(ours, official, wire)
    assert str(mine.get("details") or mine) == str(theirs.get("details") or theirs)
    if ours is not ShowResponse:  # datetimes repr their tzinfo class (pydantic's TzInfo)
        assert repr(mine) == repr(theirs)


@pytest.mark.parametrize(("ours", "official", "wire"), PAIRS)
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"exclude_none": True},
        {"by_alias": True},
        {"mode": "json"},
        {"mode": "json", "exclude_none": True, "by_alias": True},
    ],
    ids=["plain", "exclude_none", "by_alias", "json", "json-compact-alias"],
)
def test_model_dump_matches_the_official_models(
    ours: type[Any], official: type[Any], wire: dict[str, Any], kwargs: dict[str, Any]
) -> None:
    mine, theirs = _both(ours, official, wire)
    expected = theirs.model_dump(**kwargs)
    if kwargs.get("mode") == "json" and "modified_at" in expected:
        # Same instant; pydantic keeps the microseconds it parsed, so do we.
        assert datetime.fromisoformat(mine.model_dump(**kwargs)["modified_at"]) == (
            datetime.fromisoformat(expected["modified_at"])
        )
        expected = {k: v for k, v in expected.items() if k != "modified_at"}
        got = {k: v for k, v in mine.model_dump(**kwargs).items() if k != "modified_at"}
    else:
        got = mine.model_dump(**kwargs)
    assert got == expected


@pytest.mark.parametrize(("ours", "official", "wire"), PAIRS)
def test_mapping_view_matches_the_official_models(
    ours: type[Any], official: type[Any], wire: dict[str, Any]
) -> None:
    mine, theirs = _both(ours, official, wire)
    assert list(dict(mine)) == list(dict(theirs))
    for key in [*dict(theirs), "no_such_key"]:
        assert (key in mine) == (key in theirs), key
        assert _plain(mine.get(key, "default")) == _plain(theirs.get(key, "default")), key
        if key in theirs:
            assert _plain(mine[key]) == _plain(theirs[key]), key


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value.model_dump() if hasattr(value, "model_dump") else value


def test_model_dump_json_is_compact_utf8_like_pydantic() -> None:
    mine, theirs = _both(ChatResponse, ollama.ChatResponse, CHAT_JSON)
    assert mine.model_dump_json(exclude_none=True) == theirs.model_dump_json(exclude_none=True)
    indented = mine.model_dump_json(indent=2, exclude_none=True)
    assert indented == theirs.model_dump_json(indent=2, exclude_none=True)
    assert Message(role="user", content="héllo").model_dump_json(exclude_none=True) == (
        '{"role":"user","content":"héllo"}'
    )


def test_modelinfo_is_an_alias_of_model_info() -> None:
    shown = msgspec.json.decode(json.dumps(SHOW_JSON).encode(), type=ShowResponse)
    assert shown.modelinfo == shown.model_info == {"llama.context_length": 131072}
    assert shown["modelinfo"] == shown["model_info"]
    shown.modelinfo = {"x": 1}
    assert shown.model_info == {"x": 1}
    assert ShowResponse(modelinfo={"y": 2}).model_info == {"y": 2}
    assert "modelinfo" in ShowResponse.model_fields


def test_dates_are_datetimes_and_created_at_stays_a_string() -> None:
    """As in the official library: modified_at/expires_at are datetimes, created_at a string."""
    listing = msgspec.json.decode(
        b'{"models":[{"model":"m","modified_at":"2026-08-21T22:41:07.118305221Z"}]}',
        type=ListResponse,
    )
    assert listing.models[0].modified_at == datetime(
        2026, 8, 21, 22, 41, 7, 118305, tzinfo=timezone.utc
    )
    running = msgspec.json.decode(
        b'{"models":[{"model":"m","expires_at":"0001-01-01T00:00:00Z"}]}', type=ProcessResponse
    )
    assert running.models[0].expires_at == datetime(1, 1, 1, tzinfo=timezone.utc)
    assert msgspec.json.decode(b"{}", type=ShowResponse).modified_at is None
    chat = msgspec.json.decode(json.dumps(CHAT_JSON).encode(), type=ChatResponse)
    assert chat.created_at == "2026-08-22T17:23:30.770056Z"


def test_embed_response_has_the_official_timing_fields() -> None:
    assert set(ollama.EmbedResponse.model_fields) <= set(EmbedResponse.__struct_fields__)


# --- Mapping access and assignment -----------------------------------------------------------


def test_assignment_through_the_mapping_view() -> None:
    """`resp["message"]["content"] = ...` (llama-index, user code) works, as on pydantic."""
    chat = msgspec.json.decode(json.dumps(CHAT_JSON).encode(), type=ChatResponse)
    chat["message"]["content"] = "edited"
    assert chat.message.content == "edited"
    chat["done_reason"] = None
    assert "done_reason" not in chat
    with pytest.raises(ValueError, match="no field 'usage'"):
        chat["usage"] = {"total": 1}


def test_iteration_yields_pairs_like_pydantic() -> None:
    fields = {"status": "pulling", "completed": 5, "total": 9}
    assert list(ProgressResponse(**fields)) == list(ollama.ProgressResponse(**fields))


# --- Construction from Python ----------------------------------------------------------------


def test_nested_dicts_become_structs() -> None:
    chat = ChatResponse(
        model="m",
        message={
            "role": "assistant",
            "content": "hi",
            "tool_calls": [{"function": {"name": "f", "arguments": {"x": 1}}}],
        },
    )
    assert type(chat.message) is Message
    assert chat.message.content == "hi"
    assert chat.message.tool_calls is not None
    assert chat.message.tool_calls[0].function.name == "f"
    listing = ListResponse(models=[{"model": "m", "details": {"family": "llama"}}])
    assert type(listing.models[0].details) is ModelDetails
    tool = Tool(type="function", function={"name": "f", "parameters": {"type": "object"}})
    assert tool.function.parameters is not None
    assert tool.function.parameters.type == "object"


def test_strings_become_datetimes_where_the_official_models_parse_them() -> None:
    listing = ListResponse(models=[{"model": "m", "modified_at": "2026-01-02T03:04:05Z"}])
    assert listing.models[0].modified_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_official_models_become_ours() -> None:
    official = ollama.Message(
        role="assistant",
        content="",
        tool_calls=[
            ollama.Message.ToolCall(
                function=ollama.Message.ToolCall.Function(name="f", arguments={"a": 1})
            )
        ],
    )
    chat = ChatResponse(model="m", message=official)
    assert type(chat.message) is Message
    assert chat.message.tool_calls is not None
    assert chat.message.tool_calls[0].function.arguments == {"a": 1}
    assert Message.model_validate(official).tool_calls == chat.message.tool_calls


def test_a_bad_nested_value_names_the_field() -> None:
    with pytest.raises(msgspec.ValidationError, match=r"ChatResponse\.message"):
        ChatResponse(message={"role": "assistant", "content": 5})


def test_options_with_none_mean_not_given() -> None:
    """langchain-ollama builds `Options(mirostat=None, ...)` for every option it has."""
    assert Options(mirostat=None, temperature=None, top_k=3) == Options(top_k=3)
    assert msgspec.json.encode(Options(mirostat=2, tfs_z=None)) == b'{"mirostat":2}'


def test_response_structs_ignore_unknown_keywords_like_pydantic() -> None:
    assert GenerateResponse(response="x", brand_new_field=1).response == "x"


def test_pydantic_methods() -> None:
    chat = msgspec.json.decode(json.dumps(CHAT_JSON).encode(), type=ChatResponse)
    copied = chat.model_copy(update={"model": "other"})
    assert (copied.model, chat.model) == ("other", "llama3.2")
    assert copied.message is chat.message
    deep = chat.model_copy(deep=True)
    assert deep == chat
    assert deep.message is not chat.message
    assert ChatResponse.model_validate(CHAT_JSON) == chat
    assert ChatResponse.model_validate(chat) is chat
    assert ChatResponse.model_validate_json(json.dumps(CHAT_JSON)) == chat
    assert {"model", "message", "done", "eval_count"} <= chat.model_fields_set
    assert "thinking" not in chat.message.model_fields_set
    fields = ChatResponse.model_fields
    assert fields["message"].annotation is Message
    assert fields["done_reason"].default is None
    assert ChatResponse.model_json_schema()["title"] == "ChatResponse"
    assert Message.model_construct(role="user").role == "user"


def test_request_structs_refuse_unknown_keywords() -> None:
    """Request fields would be silently lost; the message names the closest field."""
    with pytest.raises(TypeError, match="did you mean 'prompt'"):
        types.GenerateRequest(model="m", promt="x")


# --- System One: tagged unions as the official discriminated unions ---------------------------


def test_systemone_answers_print_and_dump_like_the_official_models() -> None:
    mine, theirs = _both(types.SystemOneResponse, ollama.SystemOneResponse, SYSTEMONE_JSON)
    for key in ("team", "refund", "urgency"):
        assert type(mine.answers[key]).__name__ == type(theirs.answers[key]).__name__
        assert str(mine.answers[key]) == str(theirs.answers[key])
        assert repr(mine.answers[key]) == repr(theirs.answers[key])
        assert dict(mine.answers[key]) == dict(theirs.answers[key])
        assert mine.answers[key].type == theirs.answers[key].type
    assert mine.model_dump() == theirs.model_dump() == SYSTEMONE_JSON


@pytest.mark.parametrize(
    ("ours", "official", "kwargs"),
    [
        pytest.param(
            types.SystemOneChoiceQuestion,
            ollama.SystemOneChoiceQuestion,
            {"instructions": {"task": "Route"}, "criteria": {"a": None, "b": "B"}},
            id="choice",
        ),
        pytest.param(
            types.SystemOneNoulQuestion,
            ollama.SystemOneNoulQuestion,
            {"instructions": ["Refund?"]},
            id="noul",
        ),
        pytest.param(
            types.SystemOneScoreQuestion,
            ollama.SystemOneScoreQuestion,
            {"type": "score", "instructions": "Urgent?", "criteria": ["low", "high"]},
            id="score-with-its-tag",
        ),
    ],
)
def test_systemone_questions_build_like_the_official_models(
    ours: type[Any], official: type[Any], kwargs: dict[str, Any]
) -> None:
    mine, theirs = ours(**kwargs), official(**kwargs)
    assert repr(mine) == repr(theirs)
    assert mine.model_dump() == theirs.model_dump()
    assert mine.model_dump(exclude_none=True) == theirs.model_dump(exclude_none=True)
    assert json.loads(msgspec.json.encode(mine)) == theirs.model_dump(exclude_none=True)
    assert list(ours.model_fields) == list(official.model_fields)


def test_systemone_request_from_dicts_keeps_none_inside_values() -> None:
    """Nested dicts become the branch their `type` names; None inside a value is data."""
    questions = {
        "team": {"type": "choice", "instructions": {"a": None}, "criteria": {"x": None, "y": "Y"}},
        "refund": {"type": "noul", "instructions": "?", "criteria": None},
    }
    mine = types.SystemOneRequest(model="m", state=[None], questions=questions)
    theirs = ollama.SystemOneRequest(model="m", state=[None], questions=questions)
    assert type(mine.questions["team"]) is types.SystemOneChoiceQuestion
    assert json.loads(msgspec.json.encode(mine)) == theirs.model_dump(exclude_none=True)
    with pytest.raises(msgspec.ValidationError, match="Invalid value 'maybe'"):
        types.SystemOneRequest(model="m", state="s", questions={"q": {"type": "maybe"}})
    with pytest.raises(msgspec.ValidationError, match="is always 'noul'"):
        types.SystemOneNoulAnswer(type="choice")
