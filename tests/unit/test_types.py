"""The generated wire types: dict-style access, what goes on the wire, and tolerant decoding.

`BaseStruct` gives every struct the mapping behaviour code written for the official library
relies on (`resp["response"]`, `"total" in progress`, `.get`, `.to_dict()`), with dict
semantics: a key is present exactly when its value is set (not None, not UNSET). Request
structs leave unset fields out of the JSON; response structs decode with defaults and ignore
keys they do not know.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from msgspec import UNSET

from ollama_service import types
from ollama_service.types import (
    BaseStruct,
    ChatRequest,
    ChatResponse,
    CopyRequest,
    CreateRequest,
    DebugInfo,
    DeleteRequest,
    EmbeddingsResponse,
    EmbedRequest,
    EmbedResponse,
    ErrorResponse,
    GenerateRequest,
    GenerateResponse,
    ListModel,
    ListResponse,
    Message,
    ModelDetails,
    Options,
    ProcessResponse,
    ProgressResponse,
    PullRequest,
    PushRequest,
    ShowRequest,
    ShowResponse,
    StatusResponse,
    Tool,
    ToolCall,
    ToolCallFunction,
    VersionResponse,
)

REPLY = GenerateResponse(
    model="llama3.2",
    created_at="2026-08-22T17:05:40Z",
    response="Hi!",
    done=True,
    done_reason="stop",
    eval_count=3,
    debug_info=DebugInfo(rendered_template="<prompt>", image_count=0),
)
CHAT = ChatResponse(
    model="qwen3:8b",
    message=Message(
        role="assistant",
        content="",
        tool_calls=[ToolCall(id="call_1", function=ToolCallFunction(name="f", arguments={"x": 1}))],
    ),
    done=True,
)

STRUCT_TYPES = [
    value
    for name in types.__all__
    if isinstance(value := getattr(types, name), type)
    and issubclass(value, BaseStruct)
    and value is not BaseStruct
]
REQUEST_TYPES = [t for t in STRUCT_TYPES if t.__name__.endswith("Request")]
RESPONSE_TYPES = [
    t for t in STRUCT_TYPES if t.__name__.endswith("Response") and t is not StatusResponse
]


# --- Mapping access --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        pytest.param("response", "Hi!", id="string"),
        pytest.param("done", True, id="bool"),
        pytest.param("eval_count", 3, id="int"),
        pytest.param("model", "llama3.2", id="model"),
        pytest.param(
            "_debug_info", DebugInfo(rendered_template="<prompt>", image_count=0), id="json-name"
        ),
        pytest.param(
            "debug_info", DebugInfo(rendered_template="<prompt>", image_count=0), id="python-name"
        ),
    ],
)
def test_getitem(key: str, value: Any) -> None:
    assert REPLY[key] == value
    assert key in REPLY
    assert REPLY.get(key) == value
    assert REPLY.get(key, "default") == value


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("thinking", id="unset-optional"),
        pytest.param("context", id="unset-list"),
        pytest.param("no_such_field", id="unknown"),
        pytest.param("", id="empty"),
        pytest.param("__class__", id="attribute-not-a-field"),
        pytest.param("to_dict", id="method-not-a-field"),
    ],
)
def test_missing_keys_behave_like_a_dict(key: str) -> None:
    with pytest.raises(KeyError):
        REPLY[key]
    assert key not in REPLY
    assert REPLY.get(key) is None


@pytest.mark.parametrize("key", ["thinking", "context"])
def test_get_returns_a_none_field_as_the_official_models_do(key: str) -> None:
    """`get` reads the attribute (None included); the default is only for non-fields."""
    assert REPLY.get(key, "default") is None


@pytest.mark.parametrize("key", ["no_such_field", "", "__class__", "to_dict"])
def test_get_default_for_what_is_not_a_field(key: str) -> None:
    assert REPLY.get(key, "default") == "default"


@pytest.mark.parametrize("key", [1, None, ("response",), b"response"])
def test_non_string_keys_are_never_present(key: object) -> None:
    assert key not in REPLY


def test_falsy_but_set_values_are_present() -> None:
    """Only None and UNSET mean "absent": "", 0, False and [] are real values."""
    resp = GenerateResponse(response="", done=False, eval_count=0, context=[])
    assert resp["response"] == ""
    assert resp["done"] is False
    assert resp["eval_count"] == 0
    assert resp["context"] == []
    assert {"response", "done", "eval_count", "context"} <= set(resp.model_fields_set)


def test_nested_mapping_access() -> None:
    """Code written as `resp["message"]["tool_calls"][0]["function"]["arguments"]` works."""
    assert CHAT["message"]["tool_calls"][0]["function"]["arguments"] == {"x": 1}
    assert CHAT["message"]["tool_calls"][0]["id"] == "call_1"
    assert CHAT["message"]["role"] == "assistant"
    assert "thinking" not in CHAT["message"]
    assert CHAT.get("message").get("images", []) is None


def test_progress_membership() -> None:
    """`"total" in progress` tells whether the server sent byte counts (the official idiom)."""
    manifest = ProgressResponse(status="pulling manifest")
    layer = ProgressResponse(status="pulling abc", digest="sha256:abc", total=100, completed=40)
    assert "total" not in manifest
    assert "digest" not in manifest
    assert "total" in layer
    assert layer["completed"] / layer["total"] == 0.4
    assert manifest.get("total", 0) is None


def test_request_unset_fields_are_absent() -> None:
    request = GenerateRequest(model="m", prompt="p")
    assert request["prompt"] == "p"
    assert "stream" not in request
    assert request.get("stream") is None
    with pytest.raises(KeyError):
        request["options"]


def test_json_name_lookup_on_renamed_request_field() -> None:
    create = CreateRequest(model="mario", from_="llama3.2")
    assert create["from"] == create["from_"] == "llama3.2"
    chat = ChatRequest(model="m", debug_render_only=True)
    assert chat["_debug_render_only"] is True
    assert "debug_render_only" in chat


def test_dict_of_a_struct_has_every_field_as_the_official_models_do() -> None:
    """`dict(resp)` is pydantic's: every field, None included, in the official order."""
    assert dict(ProgressResponse(status="success")) == {
        "status": "success",
        "completed": 0,
        "total": None,
        "digest": None,
    }
    assert list(dict(ShowResponse())) == [
        "modified_at",
        "template",
        "modelfile",
        "license",
        "details",
        "modelinfo",
        "parameters",
        "capabilities",
    ]


# --- to_dict -------------------------------------------------------------------------------


def test_to_dict_omits_unset_and_recurses() -> None:
    assert REPLY.to_dict() == {
        "model": "llama3.2",
        "created_at": "2026-08-22T17:05:40Z",
        "response": "Hi!",
        "done": True,
        "done_reason": "stop",
        "eval_count": 3,
        "_debug_info": {"rendered_template": "<prompt>", "image_count": 0},
    }
    assert CHAT.to_dict() == {
        "model": "qwen3:8b",
        "created_at": "",
        "message": {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "call_1", "function": {"index": 0, "name": "f", "arguments": {"x": 1}}}
            ],
        },
        "done": True,
    }


def test_to_dict_of_requests_uses_json_names() -> None:
    request = CreateRequest(
        model="mario", from_="llama3.2", parameters=Options(temperature=0.5), stream=False
    )
    assert request.to_dict() == {
        "model": "mario",
        "from": "llama3.2",
        "parameters": {"temperature": 0.5},
        "stream": False,
    }


def test_to_dict_returns_plain_builtins() -> None:
    listing = ListResponse(
        models=[ListModel(name="a", details=ModelDetails(family="llama", families=["llama"]))]
    )
    plain = listing.to_dict()
    assert type(plain["models"][0]) is dict
    assert type(plain["models"][0]["details"]) is dict
    assert msgspec.json.decode(msgspec.json.encode(plain)) == plain


def test_to_dict_is_json_ready_and_matches_the_wire_for_replies() -> None:
    """For a decoded reply, to_dict() is the JSON the server sent, minus nulls."""
    wire = {
        "model": "m",
        "created_at": "t",
        "response": "x",
        "done": True,
        "thinking": None,
        "context": [1],
    }
    decoded = msgspec.json.decode(msgspec.json.encode(wire), type=GenerateResponse)
    assert decoded.to_dict() == {k: v for k, v in wire.items() if v is not None}


# --- Requests on the wire ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_struct", "wire"),
    [
        pytest.param(GenerateRequest(model="m"), {"model": "m"}, id="generate-minimal"),
        pytest.param(
            GenerateRequest(model="m", prompt="", stream=False, keep_alive=0, think=False),
            {"model": "m", "prompt": "", "stream": False, "keep_alive": 0, "think": False},
            id="falsy-values-are-sent",
        ),
        pytest.param(
            GenerateRequest(model="m", debug_render_only=True),
            {"model": "m", "_debug_render_only": True},
            id="renamed-debug-field",
        ),
        pytest.param(
            ChatRequest(model="m", messages=[], tools=[]),
            {"model": "m", "messages": [], "tools": []},
            id="chat-empty-lists",
        ),
        pytest.param(
            EmbedRequest(model="m", input=["a"]), {"model": "m", "input": ["a"]}, id="embed"
        ),
        pytest.param(
            ShowRequest(model="m", verbose=False), {"model": "m", "verbose": False}, id="show"
        ),
        pytest.param(
            PullRequest(model="m", insecure=False, stream=True),
            {"model": "m", "insecure": False, "stream": True},
            id="pull",
        ),
        pytest.param(PushRequest(model="m"), {"model": "m"}, id="push"),
        pytest.param(
            CopyRequest(source="a", destination="b"), {"source": "a", "destination": "b"}, id="copy"
        ),
        pytest.param(DeleteRequest(model="m"), {"model": "m"}, id="delete"),
        pytest.param(
            CreateRequest(model="m", from_="b"), {"model": "m", "from": "b"}, id="create-from"
        ),
        pytest.param(
            CreateRequest(model="m", files={"a.gguf": "sha256:x"}, license=["MIT"]),
            {"model": "m", "files": {"a.gguf": "sha256:x"}, "license": ["MIT"]},
            id="create-files",
        ),
        pytest.param(Options(), {}, id="options-empty"),
        pytest.param(
            Options(seed=0, use_mmap=False), {"seed": 0, "use_mmap": False}, id="options-falsy"
        ),
    ],
)
def test_requests_send_only_what_was_set(
    request_struct: msgspec.Struct, wire: dict[str, Any]
) -> None:
    assert msgspec.json.decode(msgspec.json.encode(request_struct)) == wire


@pytest.mark.parametrize("struct_type", REQUEST_TYPES, ids=lambda t: t.__name__)
def test_every_request_field_but_the_required_ones_defaults_to_unset(struct_type: type) -> None:
    """Unset means "leave it out", so the server applies its own default."""
    fields = msgspec.structs.fields(struct_type)
    for field in fields:
        if field.required:
            continue
        assert field.default is UNSET, f"{struct_type.__name__}.{field.name}"


def test_from_is_renamed_both_ways() -> None:
    request = CreateRequest(model="mario", from_="llama3.2")
    assert msgspec.json.encode(request) == b'{"model":"mario","from":"llama3.2"}'
    decoded = msgspec.json.decode(b'{"model":"mario","from":"llama3.2"}', type=CreateRequest)
    assert decoded.from_ == "llama3.2"
    assert decoded == request


def test_assistant_message_encodes_its_role() -> None:
    message = Message(role="assistant", content="289.")
    assert msgspec.json.decode(msgspec.json.encode(message)) == {
        "role": "assistant",
        "content": "289.",
    }


def test_tool_encodes_its_type() -> None:
    tool = msgspec.convert({"type": "function", "function": {"name": "f"}}, Tool)
    assert msgspec.json.decode(msgspec.json.encode(tool)) == {
        "type": "function",
        "function": {"name": "f"},
    }


@pytest.mark.parametrize("role", ["system", "user", "tool"])
def test_non_default_roles_are_encoded(role: str) -> None:
    message = msgspec.convert({"role": role, "content": "x"}, Message)
    assert msgspec.json.decode(msgspec.json.encode(message)) == {"role": role, "content": "x"}


# --- Responses -----------------------------------------------------------------------------


@pytest.mark.parametrize("struct_type", RESPONSE_TYPES, ids=lambda t: t.__name__)
def test_every_response_decodes_from_an_empty_object(struct_type: type) -> None:
    """Every response field has a default, so a sparse reply still decodes."""
    decoded = msgspec.json.decode(b"{}", type=struct_type)
    assert decoded == struct_type()


@pytest.mark.parametrize("struct_type", RESPONSE_TYPES, ids=lambda t: t.__name__)
def test_every_response_ignores_unknown_keys(struct_type: type) -> None:
    body = b'{"brand_new_field": {"nested": [1, 2]}, "another": null}'
    assert msgspec.json.decode(body, type=struct_type) == struct_type()


def test_response_defaults() -> None:
    resp = msgspec.json.decode(b'{"model":"m"}', type=GenerateResponse)
    assert (resp.response, resp.done, resp.done_reason, resp.eval_count) == ("", False, None, None)
    chat = msgspec.json.decode(b'{"done":true}', type=ChatResponse)
    assert chat.message == Message(role="assistant", content="")
    progress = msgspec.json.decode(b'{"status":"pulling manifest"}', type=ProgressResponse)
    assert (progress.total, progress.completed, progress.digest) == (None, 0, None)
    assert msgspec.json.decode(b"{}", type=ShowResponse).model_info == {}
    assert msgspec.json.decode(b"{}", type=ListResponse).models == []
    assert msgspec.json.decode(b"{}", type=EmbedResponse).embeddings == []


def test_default_containers_are_not_shared() -> None:
    first = msgspec.json.decode(b"{}", type=ListResponse)
    second = msgspec.json.decode(b"{}", type=ListResponse)
    first.models.append(ListModel(name="x"))
    assert second.models == []
    a, b = ToolCallFunction(), ToolCallFunction()
    a.arguments["k"] = 1
    assert b.arguments == {}


def test_null_where_a_default_exists() -> None:
    """`images: null` (older servers) and `families: null` decode to None."""
    chat = msgspec.json.decode(
        b'{"message":{"role":"assistant","content":"x","images":null},"done":true}',
        type=ChatResponse,
    )
    assert chat.message.images is None
    listing = msgspec.json.decode(
        b'{"models":[{"name":"a","details":{"families":null}}]}', type=ListResponse
    )
    assert listing.models[0].details.families is None


def test_decoded_values_keep_their_types() -> None:
    body = (
        b'{"models":[{"name":"m","size":5225388164,"details":{"family":"qwen3"},'
        b'"expires_at":"2026-08-22T10:42:00-07:00","size_vram":1,"context_length":4096}]}'
    )
    running = msgspec.json.decode(body, type=ProcessResponse)
    model = running.models[0]
    assert (model.size, model.context_length, model.details.family) == (5225388164, 4096, "qwen3")
    assert msgspec.json.decode(b'{"embedding":[0.5,1]}', type=EmbeddingsResponse).embedding == [
        0.5,
        1.0,
    ]
    assert msgspec.json.decode(b'{"version":"0.33.0"}', type=VersionResponse).version == "0.33.0"
    error = msgspec.json.decode(b'{"error":"unauthorized","signin_url":"u"}', type=ErrorResponse)
    assert (error.error, error.signin_url) == ("unauthorized", "u")


# --- Construction --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(
            lambda: GenerateRequest(),  # pyright: ignore[reportCallIssue]
            "model",
            id="missing-required",
        ),
        pytest.param(
            lambda: CopyRequest(source="a"),  # pyright: ignore[reportCallIssue]
            "destination",
            id="missing-second-required",
        ),
        pytest.param(
            lambda: GenerateRequest(model="m", promt="x"),  # pyright: ignore[reportCallIssue]
            "unexpected keyword argument 'promt'; did you mean 'prompt'",
            id="unknown-keyword-on-a-request",
        ),
    ],
)
def test_construction_checks_keywords(make: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        make()


def _accepts_positional(struct_type: type) -> bool:
    try:
        struct_type(None)
    except TypeError:
        return False
    return True


def test_structs_are_keyword_only() -> None:
    accepting = [t.__name__ for t in STRUCT_TYPES if _accepts_positional(t)]
    assert accepting == []


def test_construction_by_keyword() -> None:
    request = GenerateRequest(model="m", prompt="p", options=Options(seed=1))
    assert (request.model, request.prompt, request.options) == ("m", "p", Options(seed=1))
    assert request.stream is UNSET


@pytest.mark.parametrize("struct_type", STRUCT_TYPES, ids=lambda t: t.__name__)
def test_every_struct_is_a_compact_base_struct(struct_type: type) -> None:
    """Every struct has the mapping behaviour and leaves defaults out of the JSON."""
    assert issubclass(struct_type, BaseStruct)
    assert struct_type.__struct_config__.omit_defaults


# --- Operation.streams: the stream field and the server's default, from the spec ---------------


def test_operation_streams_reads_the_stream_field() -> None:
    from ollama_service.types import CopyRequest, GenerateRequest, PullRequest
    from ollama_service.types._operations import COPY, GENERATE, PULL

    assert GENERATE.streams(GenerateRequest(model="m", stream=True)) is True
    assert GENERATE.streams(GenerateRequest(model="m", stream=False)) is False
    # Unset: the server's default (x-ollama-stream default: true).
    assert GENERATE.streams(GenerateRequest(model="m")) is True
    assert PULL.streams(PullRequest(model="m", stream=False)) is False
    assert COPY.streams(CopyRequest(source="a", destination="b")) is False


def test_empty_body_operations_have_their_result() -> None:
    from ollama_service.types import StatusResponse
    from ollama_service.types._operations import OPERATIONS

    for name in ("copy", "delete"):
        op = OPERATIONS[name]
        assert op.empty_body
        assert op.decoder is None
        assert op.empty_result == StatusResponse(status="success")
