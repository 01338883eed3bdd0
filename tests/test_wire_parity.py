"""Switching from the official `ollama` library is an import change: the same calls put the
same JSON on the wire.

Each case is made once with `ollama.Client` and once with our `Client`, both on an
`httpx.MockTransport` that records the request; method, URL (ollama.com for the web calls),
`Authorization` header and the decoded JSON body must be equal. (Key order may differ; JSON
objects are unordered.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import ollama_service

ollama = pytest.importorskip("ollama", reason="the official library is a dev dependency")

Sent = tuple[str, str, str | None, Any]


def _reply(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    replies: dict[str, Any] = {
        "/api/generate": {"model": "m", "created_at": "t", "response": "hi", "done": True},
        "/api/chat": {
            "model": "m",
            "created_at": "t",
            "message": {"role": "assistant", "content": "hi"},
            "done": True,
        },
        "/api/embed": {"model": "m", "embeddings": [[0.1]]},
        "/api/embeddings": {"embedding": [0.1]},
        "/api/tags": {"models": []},
        "/api/ps": {"models": []},
        "/api/show": {"modelfile": "x", "model_info": {}},
        "/api/pull": {"status": "success"},
        "/api/push": {"status": "success"},
        "/api/create": {"status": "success"},
        "/api/web_search": {"results": [{"title": "t", "url": "u", "content": "c"}]},
        "/api/web_fetch": {"title": "t", "content": "c", "links": ["l"]},
    }
    if path in replies:
        return httpx.Response(200, json=replies[path])
    return httpx.Response(200)


def _recording(sent: list[Sent]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        auth = request.headers.get("authorization")
        sent.append((request.method, str(request.url), auth, body))
        return _reply(request)

    return httpx.MockTransport(handler)


def get_weather(city: str, unit: str) -> str:
    """Get the weather in a city.

    Args:
        city: The city.
        unit: Temperature unit.
    """
    return f"{city} {unit}"


def get_forecast(city: str, days: int = 3) -> str:
    """Get the forecast for a city.

    Args:
        city: The city.
        days: How many days ahead.
    """
    return f"{city} {days}"


CASES: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("generate", ("m", "hi"), {}),
    ("generate", ("m",), {}),
    (
        "generate",
        ("m", "hi"),
        {
            "options": {"temperature": 0.1, "stop": ["x"]},
            "keep_alive": "5m",
            "format": "json",
            "think": True,
            "images": [b"abc"],
            "system": "s",
            "raw": False,
        },
    ),
    ("chat", ("m", [{"role": "user", "content": "hi"}]), {}),
    (
        "chat",
        (
            "m",
            [
                {"role": "user", "content": "hi", "images": [b"x"]},
                {"role": "assistant", "content": "yo"},
            ],
        ),
        {
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "f",
                        "description": "d",
                        "parameters": {"type": "object", "properties": {}},
                    },
                }
            ]
        },
    ),
    ("chat", ("m", [{"role": "user", "content": "hi"}]), {"tools": [get_weather]}),
    # Tools given as dicts without "type": both fill in "function" (and "object" for the
    # parameters) and send it.
    (
        "chat",
        ("m", [{"role": "user", "content": "hi"}]),
        {"tools": [{"function": {"name": "x", "parameters": {"properties": {}}}}]},
    ),
    ("chat", ("m", [{"role": "user", "content": "hi"}]), {"tools": [{"function": {"name": "x"}}]}),
    ("chat", ("m", [{"role": "user", "content": "hi"}]), {"tools": [{}]}),
    (
        "chat",
        ("m", [{"role": "user", "content": "hi"}]),
        {"format": {"type": "object"}, "keep_alive": 0, "think": "high"},
    ),
    ("embed", ("m", "hi"), {}),
    ("embed", ("m", ["a", "b"]), {"dimensions": 3, "truncate": True}),
    ("embeddings", ("m", "hi"), {}),
    ("show", ("m",), {}),
    ("pull", ("m",), {}),
    ("push", ("m",), {"insecure": True}),
    ("create", ("m",), {"from_": "base", "system": "s"}),
    ("copy", ("a", "b"), {}),
    ("delete", ("m",), {}),
    ("list", (), {}),
    ("ps", (), {}),
    # The experimental image generation arguments.
    ("generate", ("x/flux", "a cat"), {"width": 512, "height": 256, "steps": 4}),
    ("generate", ("x/flux", "a cat"), {"width": 1024, "options": {"seed": 7}}),
    # ollama.com (the key comes from OLLAMA_API_KEY, set by the test).
    ("web_search", ("what is ollama",), {}),
    ("web_search", ("what is ollama",), {"max_results": 7}),
    ("web_fetch", ("https://ollama.com",), {}),
]


def _sent_by(make: Callable[[httpx.MockTransport], Any], name: str, args: Any, kwargs: Any) -> Sent:
    sent: list[Sent] = []
    client = make(_recording(sent))
    getattr(client, name)(*args, **kwargs)
    (request,) = sent
    return request


@pytest.mark.parametrize(
    ("name", "args", "kwargs"), CASES, ids=[f"{i}-{case[0]}" for i, case in enumerate(CASES)]
)
def test_same_json_on_the_wire(
    name: str, args: Any, kwargs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_API_KEY", "test-key")
    official = _sent_by(
        lambda transport: ollama.Client(host="http://h:1", transport=transport), name, args, kwargs
    )
    ours = _sent_by(
        lambda transport: ollama_service.Client(
            "http://h:1", http_client=httpx.Client(transport=transport)
        ),
        name,
        args,
        kwargs,
    )
    assert ours == official


@pytest.mark.parametrize(
    ("name", "args"),
    [("web_search", ("ollama",)), ("web_fetch", ("https://ollama.com",))],
    ids=["web_search", "web_fetch"],
)
def test_web_calls_with_an_explicit_authorization_header(
    name: str, args: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A header given to the client wins over OLLAMA_API_KEY, in both libraries."""
    monkeypatch.setenv("OLLAMA_API_KEY", "from-env")
    headers = {"Authorization": "Bearer explicit"}
    official = _sent_by(
        lambda transport: ollama.Client(host="http://h:1", transport=transport, headers=headers),
        name,
        args,
        {},
    )
    ours = _sent_by(
        lambda transport: ollama_service.Client(
            "http://h:1", headers=headers, http_client=httpx.Client(transport=transport)
        ),
        name,
        args,
        {},
    )
    assert ours == official
    assert official[2] == "Bearer explicit"


def test_a_parameter_with_a_default_is_not_required() -> None:
    """A deliberate difference: for a function used as a tool, the official library lists every
    parameter without `Optional` as required, defaults included; we leave out those with a
    default, which is what JSON Schema's `required` means. (The other two, `enum` for
    `Literal`/`Enum` and no `*args`/`**kwargs`, are in tests/unit/test_official_conversions.py.)"""
    args = ("m", [{"role": "user", "content": "hi"}])
    kwargs = {"tools": [get_forecast]}
    *_, official = _sent_by(
        lambda transport: ollama.Client(host="http://h:1", transport=transport),
        "chat",
        args,
        kwargs,
    )
    *_, ours = _sent_by(
        lambda transport: ollama_service.Client(
            "http://h:1", http_client=httpx.Client(transport=transport)
        ),
        "chat",
        args,
        kwargs,
    )
    assert official["tools"][0]["function"]["parameters"]["required"] == ["city", "days"]
    assert ours["tools"][0]["function"]["parameters"]["required"] == ["city"]
    official["tools"][0]["function"]["parameters"]["required"] = ["city"]
    assert ours == official


def _own_objects(lib: Any) -> list[tuple[str, tuple[Any, ...], dict[str, Any]]]:
    """Calls made with each library's own models (`Message`, `Options`, `Image`, `ToolCall`)."""
    call = lib.Message.ToolCall
    user = [lib.Message(role="user", content="hi")]
    return [
        ("chat", ("m", user), {"options": lib.Options(temperature=0.2, stop=["x"])}),
        (
            "chat",
            ("m", [lib.Message(role="user", content="hi", images=[lib.Image(value=b"abc")])]),
            {},
        ),
        (
            "chat",
            (
                "m",
                [
                    lib.Message(
                        role="assistant",
                        tool_calls=[call(function=call.Function(name="f", arguments={"a": 1}))],
                    ),
                    lib.Message(role="tool", content="r", tool_name="f"),
                    lib.Message(role="assistant", content="", thinking="t"),
                ],
            ),
            {},
        ),
        (
            "generate",
            ("m", "hi"),
            {"options": lib.Options(seed=1), "images": [lib.Image(value=b"x")]},
        ),
        ("embed", ("m", "hi"), {"options": lib.Options(num_ctx=8)}),
        (
            "create",
            ("m",),
            {"from_": "b", "messages": user, "files": {"a": "sha256:x"}, "template": "t"},
        ),
    ]


@pytest.mark.parametrize("index", range(len(_own_objects(ollama))))
def test_each_librarys_own_models_send_the_same_json(index: int) -> None:
    """Models left unset (`content`, `Options` keys) are not sent by either library."""
    name, args, kwargs = _own_objects(ollama)[index]
    official = _sent_by(
        lambda transport: ollama.Client(host="http://h:1", transport=transport), name, args, kwargs
    )
    name, args, kwargs = _own_objects(ollama_service)[index]
    ours = _sent_by(
        lambda transport: ollama_service.Client(
            "http://h:1", http_client=httpx.Client(transport=transport)
        ),
        name,
        args,
        kwargs,
    )
    assert ours == official


def _tool_objects(lib: Any) -> list[Any]:
    """The same tools built with each library's own `Tool` classes, without "type"."""
    function = lib.Tool.Function
    return [
        lib.Tool(function=function(name="x", parameters=function.Parameters(properties={}))),
        lib.Tool(function=function(name="y", description="d")),
        lib.Tool(),
    ]


@pytest.mark.parametrize("make_tools", [_tool_objects], ids=["tool-objects"])
def test_tool_objects_send_the_same_json(make_tools: Callable[[Any], list[Any]]) -> None:
    """`Tool` objects fill in `type` as the official models do, and it goes on the wire."""
    messages = [{"role": "user", "content": "hi"}]
    official = _sent_by(
        lambda transport: ollama.Client(host="http://h:1", transport=transport),
        "chat",
        ("m",),
        {"messages": messages, "tools": make_tools(ollama)},
    )
    ours = _sent_by(
        lambda transport: ollama_service.Client(
            "http://h:1", http_client=httpx.Client(transport=transport)
        ),
        "chat",
        ("m",),
        {"messages": messages, "tools": make_tools(ollama_service)},
    )
    assert ours == official
    assert [tool["type"] for tool in ours[3]["tools"]] == ["function"] * 3
    assert ours[3]["tools"][0]["function"]["parameters"]["type"] == "object"
