"""Request building (`_normalize`, `_coerce`, `_images`, `_tools`, `_blobs`, `_body`,
`_service_kwargs`, `_inputs`), reply decoding (`_decode`) and structured output (`_structured`).

Everything here is pure, so it is tested directly and table-driven: each normalizer with the
inputs callers really pass (official-library habits included) and the ones it must refuse,
with the message it gives. The last part is property tests of the generated wire types:
requests survive a JSON round trip, replies ignore unknown keys, and a mistyped field is a
`ValidationError` that names its path.
"""

# These tests pass, on purpose, what the runtime accepts but the static types do not
# describe (the official library's objects, nested dicts, None for options, unknown keys).
# pyright: reportArgumentType=false

from __future__ import annotations

import base64
import enum
import hashlib
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, Optional, Union

import msgspec
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st
from msgspec import UNSET

from ollama_service._blobs import blob_digest, blob_path
from ollama_service._coerce import require_model
from ollama_service._decode import decode_item, repair_tool_arguments
from ollama_service._encode import encode_body
from ollama_service._errors import OllamaDecodeError, OllamaRequestError, OllamaStreamError
from ollama_service._images import encode_image, encode_images
from ollama_service._inputs import NOT_GIVEN, NotGiven, unset_if_none
from ollama_service._normalize import (
    normalize_format,
    normalize_input,
    normalize_keep_alive,
    normalize_messages,
    normalize_options,
    normalize_think,
    struct_schema,
)
from ollama_service._service_kwargs import request_keywords, split_kwargs
from ollama_service._structured import parse_structured
from ollama_service._tools import function_to_tool, normalize_tools
from ollama_service._twins import file_digest
from ollama_service.types import (
    ChatRequest,
    ChatResponse,
    EmbedRequest,
    GenerateRequest,
    GenerateResponse,
    ListModel,
    ListResponse,
    Message,
    ModelDetails,
    Options,
    ProgressResponse,
    Tool,
    ToolFunction,
)

IMAGE_BYTES = b"\x89PNG\r\n\x1a\nfake image bytes"
IMAGE_B64 = base64.b64encode(IMAGE_BYTES).decode()  # contains no "/"
SLASHED_B64 = base64.b64encode(b"\xff\xff\xff\xfe").decode()  # "////" + padding-free tail


def raises_request_error(message: str) -> Any:
    """pytest.raises for OllamaRequestError whose message contains `message` literally."""
    return pytest.raises(OllamaRequestError, match=re.escape(message))


# --- require_model -----------------------------------------------------------------------


@pytest.mark.parametrize("model", ["llama3.2", "qwen3:8b", "hf.co/org/m:Q4_K_M", " x "])
def test_require_model_accepts_names(model: str) -> None:
    assert require_model(model) == model


@pytest.mark.parametrize(
    ("model", "argument", "message"),
    [
        pytest.param("", "model", "model must not be empty", id="empty"),
        pytest.param(" \t", "model", "model must not be empty", id="blank"),
        pytest.param(None, "model", "model must be a string, not NoneType", id="none"),
        pytest.param(3, "source", "source must be a string, not int", id="int-named-argument"),
        pytest.param("", "destination", "destination must not be empty", id="named-argument"),
    ],
)
def test_require_model_rejects(model: object, argument: str, message: str) -> None:
    with raises_request_error(message):
        require_model(model, argument)


# --- encode_image / encode_images ----------------------------------------------------------


@pytest.fixture
def image_file(tmp_path: Path) -> Path:
    path = tmp_path / "cat.png"
    path.write_bytes(IMAGE_BYTES)
    return path


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda p: IMAGE_BYTES, id="bytes"),
        pytest.param(lambda p: bytearray(IMAGE_BYTES), id="bytearray"),
        pytest.param(lambda p: memoryview(IMAGE_BYTES), id="memoryview"),
        pytest.param(lambda p: p, id="path"),
        pytest.param(lambda p: str(p), id="path-string"),
        pytest.param(lambda p: IMAGE_B64, id="base64-string"),
    ],
)
def test_encode_image_forms(image_file: Path, make: Callable[[Path], Any]) -> None:
    """Paths, raw bytes and base64 strings all become the same bare base64."""
    assert encode_image(make(image_file)) == IMAGE_B64


def test_encode_image_path_without_image_suffix(tmp_path: Path) -> None:
    path = tmp_path / "photo"
    path.write_bytes(b"abc")
    assert encode_image(str(path)) == base64.b64encode(b"abc").decode()


@pytest.mark.parametrize(
    ("image", "message"),
    [
        pytest.param(
            "/no/such/dir/cat.png",
            "images: image file not found: '/no/such/dir/cat.png'",
            id="missing-absolute",
        ),
        pytest.param("cat.PNG", "image file not found: 'cat.PNG'", id="missing-by-suffix-any-case"),
        pytest.param("photos/cat", "image file not found", id="missing-with-separator"),
        pytest.param(Path("/no/such/dir/cat.png"), "image file not found", id="missing-pathlike"),
        pytest.param(
            "not base64!",
            "'not base64!' is neither an existing file nor valid base64",
            id="not-base64",
        ),
        pytest.param("abc", "neither an existing file nor valid base64", id="bad-padding"),
        pytest.param(42, "expected a path, bytes or a base64 string, not int", id="int"),
        pytest.param(None, "not NoneType", id="none"),
    ],
)
def test_encode_image_rejects(image: object, message: str) -> None:
    with raises_request_error(message):
        encode_image(image)


def test_encode_image_unreadable_path(tmp_path: Path) -> None:
    """A directory given as a Path is reported as unreadable, with the OS reason."""
    with raises_request_error("cannot read image"):
        encode_image(tmp_path)


def test_encode_image_names_the_argument() -> None:
    with raises_request_error("messages[2].images[0]: image file not found"):
        encode_image("/no/such.jpg", "messages[2].images[0]")


def test_encode_image_long_base64_is_not_checked_as_a_path() -> None:
    long_b64 = base64.b64encode(b"x" * 6000).decode()
    assert len(long_b64) > 4096
    assert encode_image(long_b64) == long_b64


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        pytest.param(SLASHED_B64, SLASHED_B64, id="base64-with-slash"),
        pytest.param("data:image/png;base64," + IMAGE_B64, IMAGE_B64, id="data-uri"),
    ],
)
def test_encode_image_base64_with_slash(image: str, expected: str) -> None:
    assert "/" in image
    assert encode_image(image) == expected


@pytest.mark.parametrize(
    ("images", "expected"),
    [
        pytest.param(None, UNSET, id="none"),
        pytest.param([], UNSET, id="empty-list"),
        pytest.param((), UNSET, id="empty-tuple"),
        pytest.param([IMAGE_BYTES, IMAGE_B64], [IMAGE_B64, IMAGE_B64], id="list"),
        pytest.param((IMAGE_BYTES,), [IMAGE_B64], id="tuple"),
    ],
)
def test_encode_images(images: Any, expected: Any) -> None:
    assert encode_images(images) == expected


@pytest.mark.parametrize(
    ("images", "message"),
    [
        pytest.param(IMAGE_B64, "images must be a list of images, not str", id="single-string"),
        pytest.param(IMAGE_BYTES, "images must be a list of images, not bytes", id="single-bytes"),
        pytest.param({"a": 1}, "images must be a list of images, not dict", id="dict"),
        pytest.param(7, "not int", id="int"),
        pytest.param([IMAGE_B64, "no!"], "images[1]:", id="bad-second-item-is-named"),
    ],
)
def test_encode_images_rejects(images: Any, message: str) -> None:
    with raises_request_error(message):
        encode_images(images)


# --- normalize_input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("one", "one"), ("", ""), (["a", "b"], ["a", "b"]), (("a",), ["a"]), ([], [])],
)
def test_normalize_input(value: Any, expected: Any) -> None:
    assert normalize_input(value) == expected


@pytest.mark.parametrize("value", [["a", 1], 5, None, b"bytes", {"a": "b"}])
def test_normalize_input_rejects(value: Any) -> None:
    with raises_request_error("input must be a string or a list of strings"):
        normalize_input(value)


# --- normalize_keep_alive --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, UNSET, id="none-unset"),
        pytest.param(300, 300, id="int"),
        pytest.param(1.5, 1.5, id="float"),
        pytest.param(0, 0, id="zero-unloads"),
        pytest.param(-1, -1, id="negative-forever"),
        pytest.param(-0.5, -0.5, id="negative-float"),
        pytest.param(timedelta(minutes=5), 300, id="timedelta-minutes"),
        pytest.param(timedelta(seconds=1.25), 1.25, id="timedelta-fraction"),
        pytest.param(timedelta(0), 0, id="timedelta-zero"),
        pytest.param(timedelta(seconds=-1), -1, id="timedelta-negative"),
        pytest.param("5m", "5m", id="minutes"),
        pytest.param("1h30m", "1h30m", id="compound"),
        pytest.param("-1m", "-1m", id="negative-duration"),
        pytest.param("0", "0", id="string-zero"),
        pytest.param(" 10s ", "10s", id="trimmed"),
        pytest.param("1.5h", "1.5h", id="fractional-hours"),
        pytest.param("500ms", "500ms", id="milliseconds"),
        pytest.param("2µs", "2µs", id="micro-sign"),
    ],
)
def test_normalize_keep_alive(value: Any, expected: Any) -> None:
    result = normalize_keep_alive(value)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("300", "keep_alive '300' is not a duration", id="unitless-number-string"),
        pytest.param("300", "did you mean 300s or the number 300?", id="unitless-hint"),
        pytest.param("-1", "did you mean -1s or the number -1?", id="minus-one-string"),
        pytest.param("", "keep_alive '' is not a duration", id="empty"),
        pytest.param("forever", "use a number of seconds or a string with a unit", id="word"),
        pytest.param("5 m", "is not a duration", id="space-inside"),
        pytest.param("5d", "is not a duration", id="days-unit"),
        pytest.param(float("nan"), "finite number of seconds, not nan", id="nan"),
        pytest.param(float("inf"), "finite number of seconds, not inf", id="inf"),
        pytest.param(True, "not a bool", id="bool-true"),
        pytest.param(False, "not a bool", id="bool-false"),
        pytest.param([5], "not list", id="list"),
    ],
)
def test_normalize_keep_alive_rejects(value: Any, message: str) -> None:
    with raises_request_error(message):
        normalize_keep_alive(value)


# --- normalize_options -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param(None, UNSET, id="none"),
        pytest.param({}, Options(), id="empty"),
        pytest.param(
            {"temperature": 0.2, "top_k": 40}, Options(temperature=0.2, top_k=40), id="dict"
        ),
        pytest.param({"temperature": 1}, Options(temperature=1.0), id="int-for-float"),
        pytest.param({"seed": None, "top_p": 0.9}, Options(top_p=0.9), id="none-values-dropped"),
        pytest.param({"stop": ["a", "b"]}, Options(stop=["a", "b"]), id="stop-list"),
        pytest.param({"use_mmap": False}, Options(use_mmap=False), id="bool"),
        pytest.param(Options(num_ctx=8192), Options(num_ctx=8192), id="struct-passes-through"),
    ],
)
def test_normalize_options(options: Any, expected: Any) -> None:
    assert normalize_options(options) == expected


def test_normalize_options_dict_and_struct_encode_alike() -> None:
    from_dict = normalize_options({"num_ctx": 4096, "temperature": 0.0, "stop": ["END"]})
    from_struct = normalize_options(Options(num_ctx=4096, temperature=0.0, stop=["END"]))
    assert msgspec.json.encode(from_dict) == msgspec.json.encode(from_struct)
    assert msgspec.json.decode(msgspec.json.encode(from_dict)) == {
        "num_ctx": 4096,
        "temperature": 0.0,
        "stop": ["END"],
    }


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(
            {"top_k": "many"},
            "Expected `int`, got `str` - at `options.top_k`",
            id="wrong-type-named",
        ),
        pytest.param({"top_k": 1.5}, "`options.top_k`", id="fractional-int"),
        pytest.param({"top_k": True}, "`options.top_k`", id="bool-for-int"),
        pytest.param({"temperature": [1]}, "`options.temperature`", id="list-for-float"),
        pytest.param(
            {"stop": "END"}, "Expected `array`, got `str` - at `options.stop`", id="stop-string"
        ),
        pytest.param({"stop": [1]}, "`options.stop[0]`", id="stop-item-type"),
        pytest.param(["temperature"], "options must be a dict or Options, not list", id="list"),
        pytest.param("temperature=1", "not str", id="string"),
    ],
)
def test_normalize_options_rejects(options: Any, message: str) -> None:
    with raises_request_error(message):
        normalize_options(options)


@pytest.mark.parametrize(
    ("options", "warning"),
    [
        pytest.param(
            {"temprature": 0.5},
            "unknown option 'temprature'; did you mean 'temperature'? (sent as is)",
            id="typo",
        ),
        pytest.param({"num_context": 5}, "did you mean 'num_ctx'?", id="close-match"),
        pytest.param({"topk": 5}, "did you mean 'top_k'?", id="missing-underscore"),
        pytest.param({"zzzzzz": 1}, "unknown option 'zzzzzz' (sent as is)", id="no-suggestion"),
        pytest.param({1: 2}, "unknown option '1'", id="key-not-a-string"),
    ],
)
def test_unknown_options_are_sent_with_a_warning(
    options: dict[Any, Any], warning: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A server newer than our spec may know the option: send it, and warn about a typo."""
    caplog.set_level(logging.WARNING, logger="ollama_service")
    result = normalize_options({"temperature": 0.1, **options})
    wire = msgspec.json.decode(msgspec.json.encode(result))
    assert wire == {"temperature": 0.1, **{str(k): v for k, v in options.items()}}
    assert [r.getMessage() for r in caplog.records if warning in r.getMessage()], caplog.text
    assert all(r.levelno == logging.WARNING for r in caplog.records)


@pytest.mark.parametrize(
    "key",
    [
        "numa",
        "low_vram",
        "f16_kv",
        "logits_all",
        "vocab_only",
        "use_mlock",
        "embedding_only",
        "tfs_z",
        "mirostat",
        "mirostat_tau",
        "mirostat_eta",
        "penalize_newline",
    ],
)
def test_every_key_of_the_official_options_is_known(
    key: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The official Options' keys are fields (typed, no warning), whatever the server does."""
    caplog.set_level(logging.WARNING, logger="ollama_service")
    value = 1 if key == "mirostat" else (0.5 if key.startswith(("tfs", "mirostat")) else True)
    result = normalize_options({key: value})
    assert isinstance(result, Options)
    assert msgspec.json.decode(msgspec.json.encode(result)) == {key: value}
    assert not caplog.records


def test_options_with_none_values_are_dropped_first() -> None:
    """langchain-ollama sends every option it has, most of them None."""
    assert normalize_options({"mirostat": None, "temperature": None, "zzz": None}) == Options()
    assert Options(mirostat=None, top_k=3) == Options(top_k=3)


def test_official_options_object_is_accepted() -> None:
    import ollama

    result = normalize_options(ollama.Options(temperature=0.5, mirostat=None, stop=["x"]))
    assert result == Options(temperature=0.5, stop=["x"])


# --- normalize_think / normalize_format / struct_schema ----------------------------------------


@pytest.mark.parametrize(
    ("think", "expected"),
    [
        (None, UNSET),
        (True, True),
        (False, False),
        ("low", "low"),
        ("medium", "medium"),
        ("high", "high"),
        ("max", "max"),
    ],
)
def test_normalize_think(think: Any, expected: Any) -> None:
    assert normalize_think(think) == expected


@pytest.mark.parametrize("think", [1, 0, ["low"], 1.5])
def test_normalize_think_rejects(think: Any) -> None:
    with raises_request_error("think must be True, False or a level such as low, medium"):
        normalize_think(think)


@pytest.mark.parametrize(
    ("think", "hint"),
    [
        pytest.param("extreme", "unknown think level 'extreme'", id="new-level"),
        pytest.param("HIGH", "did you mean 'high'?", id="case"),
        pytest.param("", "unknown think level ''", id="empty"),
    ],
)
def test_unknown_think_levels_are_sent_with_a_warning(
    think: str, hint: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Servers add levels; an unknown one is sent as it is (the server answers if it is wrong)."""
    caplog.set_level(logging.WARNING, logger="ollama_service")
    assert normalize_think(think) == think
    assert hint in caplog.text


class Pet(msgspec.Struct):
    name: str
    age: int


class Owner(msgspec.Struct):
    """An owner and their pets."""

    name: str
    pets: list[Pet]
    nickname: str | None = None


PET_SCHEMA = {
    "title": "Pet",
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        pytest.param(None, UNSET, id="none"),
        pytest.param("", UNSET, id="empty-string-means-off"),
        pytest.param("json", "json", id="json"),
        pytest.param({"type": "object"}, {"type": "object"}, id="schema-dict"),
        pytest.param(Pet, PET_SCHEMA, id="struct-type"),
    ],
)
def test_normalize_format(fmt: Any, expected: Any) -> None:
    assert normalize_format(fmt) == expected


def test_normalize_format_copies_the_callers_dict() -> None:
    schema = {"type": "object"}
    result = normalize_format(schema)
    assert result == schema
    assert result is not schema


@pytest.mark.parametrize("fmt", [42, "yaml", "JSON", ["json"], dict, Pet(name="a", age=1), True])
def test_normalize_format_rejects(fmt: Any) -> None:
    with raises_request_error("format must be 'json', a JSON Schema dict or a msgspec Struct type"):
        normalize_format(fmt)


def test_struct_schema_inlines_the_top_level_ref() -> None:
    raw = msgspec.json.schema(Owner)
    assert raw["$ref"] == "#/$defs/Owner"
    schema = struct_schema(Owner)
    assert "$ref" not in schema
    assert schema["title"] == "Owner"
    assert schema["description"] == "An owner and their pets."
    assert schema["required"] == ["name", "pets"]
    assert schema["properties"]["pets"] == {"type": "array", "items": {"$ref": "#/$defs/Pet"}}
    assert schema["$defs"] == {"Pet": PET_SCHEMA}


def test_struct_schema_without_other_defs_has_no_defs() -> None:
    assert struct_schema(Pet) == PET_SCHEMA


# --- normalize_messages --------------------------------------------------------------------


def test_normalize_messages_none_and_empty() -> None:
    assert normalize_messages(None) is UNSET
    assert normalize_messages([]) == []


def test_normalize_messages_dicts_and_structs(image_file: Path) -> None:
    given_messages: list[Any] = [
        {"role": "system", "content": "Be brief."},
        Message(
            role="user",
            content="What is this?",
            images=[IMAGE_BYTES, str(image_file)],  # pyright: ignore[reportArgumentType] - raw bytes on purpose: normalize_messages encodes them
        ),
        {"role": "user", "content": "And this?", "images": [IMAGE_B64, str(image_file)]},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "f", "arguments": {"x": 1}}}],
        },
        {"role": "tool", "content": "42", "tool_name": "f", "unknown_key": "ignored"},
    ]
    out = normalize_messages(given_messages)
    assert isinstance(out, list)
    assert [m.role for m in out] == ["system", "user", "user", "assistant", "tool"]
    assert out[1].images == [IMAGE_B64, IMAGE_B64]
    assert out[2].images == [IMAGE_B64, IMAGE_B64]
    assert out[3].tool_calls is not None
    assert out[3].tool_calls[0].function.arguments == {"x": 1}
    assert out[4].tool_name == "f"
    assert given_messages[1].images == [IMAGE_BYTES, str(image_file)], (
        "the caller's struct is not mutated"
    )


def test_normalize_messages_passes_a_message_without_images_through() -> None:
    message = Message(role="user", content="hi")
    out = normalize_messages([message])
    assert isinstance(out, list)
    assert out[0] is message


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        pytest.param(
            {"role": "user"}, "messages must be a list of messages, not dict", id="single-dict"
        ),
        pytest.param("hello", "messages must be a list of messages, not str", id="string"),
        pytest.param(
            [{"role": 1}], "Expected `str`, got `int` - at `messages[0].role`", id="role-wrong-type"
        ),
        pytest.param(
            [{"content": "hi"}],
            "messages[0].role is required (e.g. 'user'); got none",
            id="role-missing",
        ),
        pytest.param(
            [{"role": "user"}, Message(role="", content="hi")],
            "messages[1].role is required",
            id="role-empty-message",
        ),
        pytest.param(
            [{"role": "user", "content": 5}], "`messages[0].content`", id="content-wrong-type"
        ),
        pytest.param(
            [{"role": "user"}, "hi"],
            "messages[1] must be a dict or Message, not str",
            id="item-string",
        ),
        pytest.param(
            [{"role": "user", "images": ["/no/such.png"]}],
            "messages[0].images[0]: image file not found",
            id="missing-image",
        ),
        pytest.param(
            [{"role": "user", "tool_calls": [{"function": {"arguments": "x"}}]}],
            "`messages[0].tool_calls[0].function.arguments`",
            id="tool-arguments-string",
        ),
    ],
)
def test_normalize_messages_rejects(messages: Any, message: str) -> None:
    with raises_request_error(message):
        normalize_messages(messages)


@pytest.mark.parametrize(
    "make", [pytest.param(lambda p: IMAGE_BYTES, id="bytes"), pytest.param(lambda p: p, id="path")]
)
def test_normalize_messages_dict_images_bytes_and_paths(
    image_file: Path, make: Callable[[Path], Any]
) -> None:
    out = normalize_messages([{"role": "user", "images": [make(image_file)]}])
    assert isinstance(out, list)
    assert out[0].images == [IMAGE_B64]


def test_normalized_assistant_message_keeps_its_role_on_the_wire() -> None:
    out = normalize_messages([{"role": "assistant", "content": "289."}])
    assert msgspec.json.decode(encode_body(ChatRequest(model="m", messages=out)))["messages"] == [
        {"role": "assistant", "content": "289."}
    ]


# --- normalize_tools / function_to_tool -----------------------------------------------------


def add(a: int, b: int = 0) -> int:
    """Add two numbers."""
    return a + b


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city.",
        "parameters": {
            "type": "object",
            "required": ["city"],
            "properties": {
                "city": {"type": "string", "description": "The city."},
                "unit": {"type": "string", "enum": ["c", "f"]},
            },
        },
    },
}


def test_normalize_tools_forms() -> None:
    struct = Tool(function=ToolFunction(name="noop", description="Does nothing."))
    out = normalize_tools([WEATHER_TOOL, struct, add])
    assert isinstance(out, list)
    assert [t.function.name for t in out] == ["get_weather", "noop", "add"]
    assert out[1] is struct
    weather = out[0].function.parameters
    assert weather is not None
    assert weather.properties is not None
    assert weather.properties["unit"].enum == ["c", "f"]
    assert weather.required == ["city"]


@pytest.mark.parametrize(
    ("tools", "expected"),
    [
        pytest.param(None, UNSET, id="none"),
        pytest.param([], [], id="empty"),
        pytest.param((), [], id="tuple"),
    ],
)
def test_normalize_tools_empty(tools: Any, expected: Any) -> None:
    assert normalize_tools(tools) == expected


@pytest.mark.parametrize(
    ("tools", "message"),
    [
        pytest.param(WEATHER_TOOL, "tools must be a list of tools, not dict", id="single-dict"),
        pytest.param(add, "tools must be a list of tools, not function", id="single-function"),
        pytest.param([42], "tools[0] must be a dict, a Tool or a function, not int", id="int"),
        pytest.param(
            [add, "get_weather"],
            "tools[1] must be a dict, a Tool or a function, not str",
            id="string-named",
        ),
        pytest.param([{"function": {"name": 5}}], "`tools[0].function.name`", id="bad-dict-field"),
        pytest.param([lambda x: x], "not a lambda", id="lambda"),
    ],
)
def test_normalize_tools_rejects(tools: Any, message: str) -> None:
    with raises_request_error(message):
        normalize_tools(tools)


class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


def everything(
    text: str,
    count: int,
    ratio: float,
    flag: bool,
    items: list[str],
    pairs: tuple[int, int],
    tags: set[str],
    mapping: dict[str, int],
    colour: Colour,
    level: Level,
    mode: Literal["fast", "slow"],
    mixed: Literal[1, "one"],
    either: int | str,
    maybe: int | None,
    old_maybe: Optional[str],  # noqa: UP045 - the typing spelling is what some users write
    old_union: Union[int, float],  # noqa: UP007
    anything: Any,
    seq: Sequence[int],
    mapped: Mapping[str, str],
    pet: Pet,
    untyped,  # type: ignore[no-untyped-def]
    defaulted: int = 3,
    *args: int,
    **kwargs: str,
) -> None:
    """Exercise every supported annotation."""


EVERYTHING_TYPES = {
    "text": ("string", None),
    "count": ("integer", None),
    "ratio": ("number", None),
    "flag": ("boolean", None),
    "items": ("array", None),
    "pairs": ("array", None),
    "tags": ("array", None),
    "mapping": ("object", None),
    "colour": ("string", ["red", "green"]),
    "level": ("integer", [1, 2]),
    "mode": ("string", ["fast", "slow"]),
    "mixed": ("integer, string", [1, "one"]),
    "either": ("integer, string", None),
    "maybe": ("integer", None),
    "old_maybe": ("string", None),
    "old_union": ("integer, number", None),
    "anything": ("string", None),
    "seq": ("array", None),
    "mapped": ("object", None),
    "pet": ("object", None),
    "untyped": ("string", None),
    "defaulted": ("integer", None),
}


@pytest.mark.parametrize(
    ("name", "expected"), list(EVERYTHING_TYPES.items()), ids=list(EVERYTHING_TYPES)
)
def test_function_to_tool_types(name: str, expected: tuple[Any, Any]) -> None:
    """Python annotations map to JSON Schema types (and enum lists for Literal and Enum)."""
    tool = function_to_tool(everything)
    assert tool.function.parameters is not None
    properties = tool.function.parameters.properties
    assert properties is not None
    assert (properties[name].type, properties[name].enum) == expected


def test_function_to_tool_required_and_skipped_parameters() -> None:
    """No default and not Optional means required; *args and **kwargs are not parameters."""
    tool = function_to_tool(everything)
    parameters = tool.function.parameters
    assert parameters is not None
    assert parameters.properties is not None
    assert list(parameters.properties) == list(EVERYTHING_TYPES)
    assert parameters.required == [
        name for name in EVERYTHING_TYPES if name not in {"maybe", "old_maybe", "defaulted"}
    ]
    assert tool.function.description == "Exercise every supported annotation."
    assert tool.type == "function"
    assert parameters.type == "object"


def search(query: str, limit: int = 10, site: str | None = None) -> list[str]:
    """Search the web.

    Finds pages that match the query,
    best first.

    Args:
        query (str): What to look for. Quotes
            make an exact phrase.
        limit: How many results
            to return at most.
        site: Restrict to this site.

    Returns:
        The URLs.

    Raises:
        ValueError: never.
    """
    return []


def test_function_to_tool_google_docstring() -> None:
    tool = function_to_tool(search)
    assert tool.function.name == "search"
    assert tool.function.description == (
        "Search the web.\n\nFinds pages that match the query,\nbest first."
    )
    parameters = tool.function.parameters
    assert parameters is not None
    assert parameters.required == ["query"]
    assert parameters.properties is not None
    described = {name: prop.description for name, prop in parameters.properties.items()}
    assert described == {
        "query": "What to look for. Quotes make an exact phrase.",
        "limit": "How many results to return at most.",
        "site": "Restrict to this site.",
    }


def no_docstring(x: int) -> int:
    return x


def test_function_to_tool_without_docstring() -> None:
    tool = function_to_tool(no_docstring)
    assert tool.function.description == ""
    assert tool.function.parameters is not None
    assert tool.function.parameters.properties is not None
    assert tool.function.parameters.properties["x"].description == ""


def test_function_to_tool_encodes_as_the_server_expects() -> None:
    body = msgspec.json.decode(msgspec.json.encode(function_to_tool(add)))
    function = body["function"]
    function["parameters"].pop("type", None)  # see test_function_tool_wire_has_type_keys
    assert function == {
        "name": "add",
        "description": "Add two numbers.",
        "parameters": {
            "required": ["a"],
            "properties": {
                "a": {"type": "integer", "description": ""},
                "b": {"type": "integer", "description": ""},
            },
        },
    }


def test_function_tool_wire_has_type_keys() -> None:
    body = msgspec.json.decode(msgspec.json.encode(function_to_tool(add)))
    assert body["type"] == "function"
    assert body["function"]["parameters"]["type"] == "object"


def test_function_to_tool_optional_literal_keeps_its_enum() -> None:
    def pick(mode: Literal["fast", "slow"] | None = None) -> None:
        """Pick."""

    properties = function_to_tool(pick).function.parameters.properties  # type: ignore[union-attr]
    assert properties is not None
    assert properties["mode"].enum == ["fast", "slow"]


class NotJson:
    pass


def takes_object(thing: NotJson) -> None:
    """Takes something without a JSON type."""


@pytest.mark.parametrize(
    ("func", "message"),
    [
        pytest.param(
            lambda x: x, "a function used as a tool needs a name (not a lambda)", id="lambda"
        ),
        pytest.param(takes_object, "cannot express the type", id="unsupported-type"),
        pytest.param(takes_object, "takes_object(thing)", id="names-the-parameter"),
    ],
)
def test_function_to_tool_rejects(func: Callable[..., Any], message: str) -> None:
    with raises_request_error(message):
        function_to_tool(func)


# --- Blobs -------------------------------------------------------------------------------


def test_blob_digest() -> None:
    assert blob_digest(b"hello") == "sha256:" + hashlib.sha256(b"hello").hexdigest()
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", blob_digest(b""))


@pytest.mark.parametrize("size", [0, 1, 1024 * 1024, 1024 * 1024 + 7])
def test_file_digest_matches_blob_digest(tmp_path: Path, size: int) -> None:
    """Chunked hashing of a file gives the digest of its bytes, across chunk boundaries."""
    data = bytes(i % 251 for i in range(size))
    path = tmp_path / "model.gguf"
    path.write_bytes(data)
    assert file_digest(path) == blob_digest(data)


def test_file_digest_missing_and_unreadable(tmp_path: Path) -> None:
    with raises_request_error("create_blob: file not found:"):
        file_digest(tmp_path / "missing.gguf")
    with raises_request_error("create_blob: cannot read"):
        file_digest(tmp_path)


def test_blob_path() -> None:
    digest = "sha256:" + "0123456789abcdef" * 4
    assert blob_path(digest) == f"/api/blobs/{digest}"


@pytest.mark.parametrize(
    "digest",
    [
        pytest.param("sha256-" + "a" * 64, id="dash-form"),
        pytest.param("sha256:" + "A" * 64, id="uppercase"),
        pytest.param("sha256:" + "a" * 63, id="short"),
        pytest.param("sha256:" + "a" * 65, id="long"),
        pytest.param("a" * 64, id="no-prefix"),
        pytest.param("sha512:" + "a" * 64, id="other-algorithm"),
        pytest.param("sha256:" + "g" * 64, id="not-hex"),
        pytest.param("sha256:" + "a" * 64 + "\n", id="trailing-newline"),
        pytest.param(None, id="none"),
    ],
)
def test_blob_path_rejects(digest: Any) -> None:
    with raises_request_error("digest must be 'sha256:' and 64 lowercase hex digits"):
        blob_path(digest)


# --- Small helpers -------------------------------------------------------------------------


def test_unset_if_none() -> None:
    assert unset_if_none(None) is UNSET
    assert unset_if_none(False) is False
    assert unset_if_none(0) == 0
    assert unset_if_none("") == ""


def test_not_given_is_a_falsy_singleton() -> None:
    assert NotGiven() is NOT_GIVEN
    assert not NOT_GIVEN
    assert repr(NOT_GIVEN) == "NOT_GIVEN"


def test_encode_body_leaves_unset_fields_out() -> None:
    request = GenerateRequest(model="m", prompt="p", stream=False, options=Options(seed=1))
    assert encode_body(request) == b'{"model":"m","prompt":"p","options":{"seed":1},"stream":false}'


# --- _decode -----------------------------------------------------------------------------

GENERATE = msgspec.json.Decoder(GenerateResponse)
CHAT = msgspec.json.Decoder(ChatResponse)


def test_decode_item_valid() -> None:
    item = decode_item(b'{"model":"m","response":"hi","done":true,"new_key":[1]}', GENERATE)
    assert item == GenerateResponse(model="m", response="hi", done=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"not json", "JSON is malformed", id="malformed"),
        pytest.param(
            b'{"done": "yes"}', "Expected `bool`, got `str` - at `$.done`", id="wrong-type"
        ),
        pytest.param(b"[1, 2]", "Expected `object`, got `array`", id="array"),
        pytest.param(
            b"\xff\xfe", "Ollama sent something that is not a valid GenerateResponse", id="bad-utf8"
        ),
    ],
)
def test_decode_item_invalid(data: bytes, message: str) -> None:
    with pytest.raises(OllamaDecodeError, match=re.escape(message)) as info:
        decode_item(data, GENERATE)
    assert info.value.type_name == "GenerateResponse"


def test_decode_item_error_line() -> None:
    with pytest.raises(OllamaStreamError) as info:
        decode_item(b'{"error":"model runner has unexpectedly stopped"}', GENERATE)
    assert info.value.error == "model runner has unexpectedly stopped"
    assert info.value.status_code == 200


def test_decode_item_text_mentioning_error_is_not_an_error() -> None:
    item = decode_item(b'{"response":"\\"error\\"","done":false}', GENERATE)
    assert item.response == '"error"'


@pytest.mark.parametrize(
    ("data", "decoder", "arguments"),
    [
        pytest.param(
            b'{"message":{"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":"{\\"a\\": 1}"}}]},"done":true}',
            CHAT,
            {"a": 1},
            id="chat-message",
        ),
        pytest.param(
            b'{"response":"","tool_calls":[{"function":{"name":"f","arguments":"{\\"q\\": [1, 2]}"}}],"done":true}',
            GENERATE,
            {"q": [1, 2]},
            id="generate-top-level",
        ),
    ],
)
def test_decode_item_repairs_string_arguments(
    data: bytes, decoder: msgspec.json.Decoder[Any], arguments: dict[str, Any]
) -> None:
    item = decode_item(data, decoder)
    calls = item.message.tool_calls if isinstance(item, ChatResponse) else item.tool_calls
    assert calls is not None
    assert calls[0].function.arguments == arguments


@pytest.mark.parametrize(
    ("obj", "repaired", "after"),
    [
        pytest.param(
            {"message": {"tool_calls": [{"function": {"arguments": '{"a": 1}'}}]}},
            True,
            {"message": {"tool_calls": [{"function": {"arguments": {"a": 1}}}]}},
            id="message-calls",
        ),
        pytest.param(
            {
                "tool_calls": [
                    {"function": {"arguments": '{"b": "x"}'}},
                    {"function": {"arguments": {"c": 1}}},
                ]
            },
            True,
            {
                "tool_calls": [
                    {"function": {"arguments": {"b": "x"}}},
                    {"function": {"arguments": {"c": 1}}},
                ]
            },
            id="top-level-mixed",
        ),
        pytest.param(
            {"tool_calls": [{"function": {"arguments": {"c": 1}}}]},
            False,
            {"tool_calls": [{"function": {"arguments": {"c": 1}}}]},
            id="already-objects",
        ),
        pytest.param(
            {"tool_calls": [{"function": {"arguments": "[1, 2]"}}]},
            False,
            {"tool_calls": [{"function": {"arguments": "[1, 2]"}}]},
            id="string-not-an-object",
        ),
        pytest.param(
            {"tool_calls": [{"function": {"arguments": "{broken"}}]},
            False,
            {"tool_calls": [{"function": {"arguments": "{broken"}}]},
            id="string-not-json",
        ),
        pytest.param(
            {"tool_calls": "nope", "message": 3},
            False,
            {"tool_calls": "nope", "message": 3},
            id="odd-shapes",
        ),
        pytest.param([1, 2], False, [1, 2], id="not-a-dict"),
        pytest.param(None, False, None, id="none"),
    ],
)
def test_repair_tool_arguments(obj: Any, repaired: bool, after: Any) -> None:
    assert repair_tool_arguments(obj) is repaired
    assert obj == after


# --- parse_structured --------------------------------------------------------------------


@pytest.mark.parametrize(
    "response",
    [
        pytest.param(GenerateResponse(response='{"name": "Rex", "age": 3}'), id="generate"),
        pytest.param(
            ChatResponse(message=Message(role="assistant", content='{"name": "Rex", "age": 3}')),
            id="chat",
        ),
    ],
)
def test_parse_structured(response: Any) -> None:
    assert parse_structured(response, Pet) == Pet(name="Rex", age=3)


def test_parse_structured_into_a_plain_type() -> None:
    assert parse_structured(GenerateResponse(response='{"a": 1}'), dict[str, int]) == {"a": 1}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            '{"name": "Rex", "age": "three"}',
            "Expected `int`, got `str` - at `$.age`",
            id="wrong-type",
        ),
        pytest.param('{"name": "Rex"}', "Object missing required field `age`", id="missing-field"),
        pytest.param("Sure! Here is the JSON:", "JSON is malformed", id="not-json"),
        pytest.param("", "Input data was truncated", id="empty"),
    ],
)
def test_parse_structured_errors(text: str, message: str) -> None:
    with pytest.raises(OllamaDecodeError, match=re.escape(message)) as info:
        parse_structured(GenerateResponse(response=text), Pet)
    assert info.value.type_name == "Pet"
    assert info.value.line == text


# --- Properties of the wire types -------------------------------------------------------------

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
TEXT = st.text(max_size=12)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | INT64 | FLOATS | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=8,
)
JSON_OBJECTS = st.dictionaries(TEXT, JSON_VALUES, max_size=4)


OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        **dict.fromkeys(
            (
                "num_ctx",
                "num_batch",
                "num_gpu",
                "main_gpu",
                "num_thread",
                "draft_num_predict",
                "num_keep",
                "seed",
                "num_predict",
                "top_k",
                "repeat_last_n",
            ),
            INT64,
        ),
        **dict.fromkeys(
            (
                "top_p",
                "min_p",
                "typical_p",
                "temperature",
                "repeat_penalty",
                "presence_penalty",
                "frequency_penalty",
            ),
            FLOATS,
        ),
        "use_mmap": st.booleans(),
        "stop": st.lists(TEXT, max_size=3),
    },
)
KEEP_ALIVE = TEXT | FLOATS | st.integers(min_value=-(2**53), max_value=2**53)
THINK = st.booleans() | st.sampled_from(["low", "medium", "high", "max"])
FORMAT = st.just("json") | JSON_OBJECTS

GENERATE_REQUESTS = st.fixed_dictionaries(
    {"model": st.text(min_size=1, max_size=20)},
    optional={
        "prompt": TEXT,
        "suffix": TEXT,
        "images": st.lists(TEXT, max_size=2),
        "think": THINK,
        "format": FORMAT,
        "options": OPTIONS,
        "system": TEXT,
        "template": TEXT,
        "context": st.lists(INT64, max_size=4),
        "stream": st.booleans(),
        "raw": st.booleans(),
        "keep_alive": KEEP_ALIVE,
        "truncate": st.booleans(),
        "shift": st.booleans(),
        "logprobs": st.booleans(),
        "top_logprobs": st.integers(0, 20),
        "_debug_render_only": st.booleans(),
    },
)
TOOL_CALLS = st.lists(
    st.fixed_dictionaries(
        {
            "function": st.fixed_dictionaries(
                {"index": st.integers(0, 9), "name": TEXT, "arguments": JSON_OBJECTS}
            )
        },
        optional={"id": TEXT},
    ),
    max_size=2,
)
MESSAGES = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "user", "assistant", "tool"])},
    optional={
        "content": TEXT,
        "thinking": TEXT,
        "images": st.lists(TEXT, max_size=2),
        "tool_calls": TOOL_CALLS,
        "tool_name": TEXT,
        "tool_call_id": TEXT,
    },
)
TOOL_PROPERTIES = st.dictionaries(
    TEXT,
    st.fixed_dictionaries(
        {},
        optional={
            "type": TEXT | st.lists(TEXT, max_size=2),
            "description": TEXT,
            "enum": st.lists(JSON_VALUES, max_size=3),
        },
    ),
    max_size=3,
)
TOOLS = st.lists(
    st.fixed_dictionaries(
        {
            "type": st.just("function"),
            "function": st.fixed_dictionaries(
                {"name": TEXT},
                optional={
                    "description": TEXT,
                    "parameters": st.fixed_dictionaries(
                        {"type": st.just("object")},
                        optional={
                            "properties": TOOL_PROPERTIES,
                            "required": st.lists(TEXT, max_size=2),
                        },
                    ),
                },
            ),
        }
    ),
    max_size=2,
)
CHAT_REQUESTS = st.fixed_dictionaries(
    {"model": st.text(min_size=1, max_size=20)},
    optional={
        "messages": st.lists(MESSAGES, max_size=3),
        "tools": TOOLS,
        "format": FORMAT,
        "options": OPTIONS,
        "stream": st.booleans(),
        "keep_alive": KEEP_ALIVE,
        "think": THINK,
        "truncate": st.booleans(),
        "shift": st.booleans(),
        "logprobs": st.booleans(),
        "top_logprobs": st.integers(0, 20),
        "_debug_render_only": st.booleans(),
    },
)
EMBED_REQUESTS = st.fixed_dictionaries(
    {"model": st.text(min_size=1, max_size=20)},
    optional={
        "input": TEXT | st.lists(TEXT, max_size=3),
        "truncate": st.booleans(),
        "dimensions": st.integers(1, 4096),
        "keep_alive": KEEP_ALIVE,
        "options": OPTIONS,
    },
)
REQUEST_CASES = [
    pytest.param(GenerateRequest, GENERATE_REQUESTS, id="GenerateRequest"),
    pytest.param(ChatRequest, CHAT_REQUESTS, id="ChatRequest"),
    pytest.param(EmbedRequest, EMBED_REQUESTS, id="EmbedRequest"),
]
PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.parametrize(("struct_type", "fields"), REQUEST_CASES)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_requests_survive_a_json_round_trip(
    struct_type: type[msgspec.Struct],
    fields: st.SearchStrategy[dict[str, Any]],
    data: st.DataObject,
) -> None:
    """Any valid request, encoded and decoded again, is the same request."""
    request = msgspec.convert(data.draw(fields), struct_type)
    wire = msgspec.json.encode(request)
    assert msgspec.json.decode(wire, type=struct_type) == request
    assert msgspec.json.encode(msgspec.json.decode(wire, type=struct_type)) == wire


@pytest.mark.parametrize(("struct_type", "fields"), REQUEST_CASES)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_requests_send_every_top_level_field_that_was_set(
    struct_type: type[msgspec.Struct],
    fields: st.SearchStrategy[dict[str, Any]],
    data: st.DataObject,
) -> None:
    """Whatever the caller set reaches the wire: no set field is dropped at the top level."""
    given_fields = data.draw(fields)
    wire = msgspec.json.decode(msgspec.json.encode(msgspec.convert(given_fields, struct_type)))
    assert set(wire) == set(given_fields)


@PROPERTY_SETTINGS
@given(message=MESSAGES)
@example(message={"role": "assistant", "content": "289."})
def test_messages_keep_their_role_on_the_wire(message: dict[str, Any]) -> None:
    request = msgspec.convert({"model": "m", "messages": [message]}, ChatRequest)
    (sent,) = msgspec.json.decode(msgspec.json.encode(request))["messages"]
    assert sent["role"] == message["role"]


def _with_extra(
    base: dict[str, Any], extra: dict[str, Any], known: type[msgspec.Struct]
) -> dict[str, Any]:
    names = set(known.__struct_encode_fields__)
    return {**base, **{k: v for k, v in extra.items() if k not in names}}


DETAILS = st.fixed_dictionaries(
    {},
    optional={
        "parent_model": TEXT,
        "format": TEXT,
        "family": TEXT,
        "families": st.none() | st.lists(TEXT, max_size=2),
        "parameter_size": TEXT,
        "quantization_level": TEXT,
    },
)
METRICS = {
    name: st.integers(0, 2**62)
    for name in (
        "total_duration",
        "load_duration",
        "prompt_eval_count",
        "prompt_eval_duration",
        "eval_count",
        "eval_duration",
    )
}
GENERATE_RESPONSES = st.fixed_dictionaries(
    {"model": TEXT, "created_at": TEXT, "response": TEXT, "done": st.booleans()},
    optional={
        "thinking": TEXT,
        "done_reason": TEXT,
        "context": st.lists(INT64, max_size=3),
        **METRICS,
    },
)
CHAT_RESPONSES = st.fixed_dictionaries(
    {"model": TEXT, "created_at": TEXT, "message": MESSAGES, "done": st.booleans()},
    optional={"done_reason": TEXT, **METRICS},
)
PROGRESS_RESPONSES = st.fixed_dictionaries(
    {"status": TEXT},
    optional={"digest": TEXT, "total": st.integers(0, 2**62), "completed": st.integers(0, 2**62)},
)
LIST_MODELS = st.fixed_dictionaries(
    {
        "name": TEXT,
        "model": TEXT,
        "modified_at": st.sampled_from(
            ["2026-08-21T22:41:07.118305221-07:00", "2024-01-02T03:04:05Z", "0001-01-01T00:00:00Z"]
        ),
        "size": st.integers(0, 2**62),
        "digest": TEXT,
        "details": DETAILS,
    },
    optional={"capabilities": st.lists(TEXT, max_size=3)},
)
LIST_RESPONSES = st.fixed_dictionaries({"models": st.lists(LIST_MODELS, max_size=3)})
EXTRA_KEYS = st.dictionaries(st.text(min_size=1, max_size=10), JSON_VALUES, max_size=4)


@pytest.mark.parametrize(
    ("struct_type", "fields"),
    [
        pytest.param(GenerateResponse, GENERATE_RESPONSES, id="GenerateResponse"),
        pytest.param(ChatResponse, CHAT_RESPONSES, id="ChatResponse"),
        pytest.param(ProgressResponse, PROGRESS_RESPONSES, id="ProgressResponse"),
        pytest.param(ListResponse, LIST_RESPONSES, id="ListResponse"),
    ],
)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_responses_ignore_unknown_keys(
    struct_type: type[msgspec.Struct],
    fields: st.SearchStrategy[dict[str, Any]],
    data: st.DataObject,
) -> None:
    """A newer server's extra keys (top level and nested) never change what a reply decodes to."""
    base = data.draw(fields)
    noisy = _with_extra(base, data.draw(EXTRA_KEYS), struct_type)
    if struct_type is ChatResponse:
        noisy["message"] = _with_extra(base["message"], data.draw(EXTRA_KEYS), Message)
    if struct_type is ListResponse:
        noisy["models"] = [
            {
                **_with_extra(model, data.draw(EXTRA_KEYS), ListModel),
                "details": _with_extra(model["details"], data.draw(EXTRA_KEYS), ModelDetails),
            }
            for model in base["models"]
        ]
    expected = msgspec.json.decode(msgspec.json.encode(base), type=struct_type)
    assert msgspec.json.decode(msgspec.json.encode(noisy), type=struct_type) == expected


NOT_BOOL = (
    st.text()
    | st.integers()
    | FLOATS
    | st.lists(st.booleans(), max_size=2)
    | st.dictionaries(TEXT, TEXT, max_size=1)
)
NOT_INT = (
    st.text()
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer())
    | st.lists(INT64, max_size=2)
)
NOT_STR = (
    st.integers()
    | st.booleans()
    | FLOATS
    | st.lists(TEXT, max_size=2)
    | st.dictionaries(TEXT, TEXT, max_size=1)
)


def _set_path(obj: dict[str, Any], path: Sequence[str | int], value: Any) -> dict[str, Any]:
    target: Any = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return obj


@pytest.mark.parametrize(
    ("struct_type", "base", "path", "wrong", "where"),
    [
        pytest.param(
            GenerateResponse,
            {"response": "x", "done": True},
            ["done"],
            NOT_BOOL,
            "$.done",
            id="generate-done",
        ),
        pytest.param(
            GenerateResponse,
            {"response": "x", "done": True},
            ["eval_count"],
            NOT_INT,
            "$.eval_count",
            id="generate-eval_count",
        ),
        pytest.param(
            GenerateResponse,
            {"response": "x", "done": True},
            ["response"],
            NOT_STR,
            "$.response",
            id="generate-response",
        ),
        pytest.param(
            ChatResponse,
            {"message": {"role": "assistant", "content": "x"}, "done": False},
            ["message", "content"],
            NOT_STR,
            "$.message.content",
            id="chat-message-content",
        ),
        pytest.param(
            ChatResponse,
            {"message": {"role": "assistant", "content": "x"}, "done": False},
            ["done"],
            NOT_BOOL,
            "$.done",
            id="chat-done",
        ),
        pytest.param(
            ProgressResponse,
            {"status": "pulling"},
            ["total"],
            NOT_INT,
            "$.total",
            id="progress-total",
        ),
        pytest.param(
            ListResponse,
            {"models": [{"name": "a", "size": 1}]},
            ["models", 0, "size"],
            NOT_INT,
            "$.models[0].size",
            id="list-model-size",
        ),
    ],
)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_wrong_field_type_names_the_path(
    struct_type: type[msgspec.Struct],
    base: dict[str, Any],
    path: list[str | int],
    wrong: st.SearchStrategy[Any],
    where: str,
    data: st.DataObject,
) -> None:
    """A mistyped field is a ValidationError whose message names its JSON path."""
    body = _set_path(msgspec.json.decode(msgspec.json.encode(base)), path, data.draw(wrong))
    with pytest.raises(msgspec.ValidationError) as info:
        msgspec.json.decode(msgspec.json.encode(body), type=struct_type)
    assert f"`{where}`" in str(info.value)


# --- split_kwargs (the service's keyword arguments) ---------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "fields", "request_fields", "options"),
    [
        pytest.param({}, frozenset(), {}, {}, id="nothing"),
        pytest.param(
            {"system": "s", "top_k": 3, "options": {"seed": 1}},
            frozenset({"system"}),
            {"system": "s", "options": {"seed": 1, "top_k": 3}},
            {"seed": 1, "top_k": 3},
            id="field-option-and-options-dict",
        ),
        pytest.param(
            {"options": {"top_k": 1}, "top_k": 2},
            frozenset(),
            {"options": {"top_k": 2}},
            {"top_k": 2},
            id="named-option-wins-over-the-dict",
        ),
    ],
)
def test_split_kwargs(
    kwargs: dict[str, Any],
    fields: frozenset[str],
    request_fields: dict[str, Any],
    options: dict[str, Any],
) -> None:
    assert split_kwargs("generate", kwargs, fields) == (request_fields, options)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param("temprature", "'temprature'; did you mean 'temperature'?", id="typo"),
        pytest.param(
            "colour", "generate() got an unexpected keyword argument 'colour'", id="unknown"
        ),
        pytest.param(
            "messages", "unexpected keyword argument 'messages'", id="field-of-another-method"
        ),
    ],
)
def test_split_kwargs_rejects_unknown_names(name: str, message: str) -> None:
    with pytest.raises(TypeError) as info:
        split_kwargs("generate", {name: 1}, frozenset({"system", "format", "images"}))
    assert message in str(info.value)


# --- request_keywords (which keyword arguments a service passes through) ----------------


def _method(
    self: object,
    model: str,
    prompt: str = "",
    *,
    stream: bool = False,
    options: object = None,
    system: str = "",
    width: int = 0,
) -> None:
    """A stand-in for a generated client method."""


@pytest.mark.parametrize(
    ("named", "expected"),
    [
        pytest.param(
            ("model", "prompt", "stream"), {"system", "width"}, id="service-names-its-own"
        ),
        pytest.param((), {"model", "prompt", "stream", "system", "width"}, id="nothing-named"),
        pytest.param(("system", "width", "model", "prompt", "stream"), set(), id="all-named"),
    ],
)
def test_request_keywords(named: tuple[str, ...], expected: set[str]) -> None:
    """`self` and `options` never pass through; the rest come from the signature."""
    assert request_keywords(_method, named) == expected


# What the services accepted when these sets were written by hand: the generated signatures must
# keep accepting every one of them (a field dropped from the spec would break callers).
_HAND_WRITTEN_BEFORE = {
    "generate": {
        "system",
        "format",
        "images",
        "keep_alive",
        "think",
        "raw",
        "suffix",
        "template",
        "context",
        "logprobs",
        "top_logprobs",
        "truncate",
        "shift",
    },
    "chat": {
        "tools",
        "format",
        "keep_alive",
        "think",
        "logprobs",
        "top_logprobs",
        "truncate",
        "shift",
    },
    "embed": {"truncate", "keep_alive", "dimensions"},
}


@pytest.mark.parametrize("method", sorted(_HAND_WRITTEN_BEFORE))
def test_services_accept_every_request_field_of_the_client(method: str) -> None:
    """Every keyword of the generated client method except the ones the service names."""
    from ollama_service import AsyncClient, Client
    from ollama_service._async import service as async_service
    from ollama_service._sync import service as sync_service

    named = {
        "generate": ("model", "prompt", "stream"),
        "chat": ("model", "messages", "stream"),
        "embed": ("model", "input"),
    }[method]
    for client, module in ((AsyncClient, async_service), (Client, sync_service)):
        accepted = getattr(module, f"_{method.upper()}_KWARGS")
        assert accepted == request_keywords(getattr(client, method), named)
        assert _HAND_WRITTEN_BEFORE[method] <= accepted
