"""Images, functions as tools and request dumps, compared with the installed official library.

Each table case runs through the official library (`ollama.Image(...).model_dump()`,
`ollama._utils.convert_function_to_tool`, the official request models) and through ours, and
the results must be equal: the same string, the same error type, the same JSON on the wire. The
deliberate differences of tools (a defaulted parameter is not required; `Literal`/`Enum` carry
`enum`; `*args`/`**kwargs` are not parameters) have their own tests at the end.
"""

# These tests pass, on purpose, what the runtime accepts but the static types do not
# describe (dicts for request fields typed as structs).
# pyright: reportArgumentType=false
# No `from __future__ import annotations`: the official library resolves the annotations of the
# functions below at run time, in a namespace that does not have this module's imports.

import base64
import enum
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Optional, Union

import msgspec
import ollama
import ollama._types as official_types
import pytest
from ollama._utils import convert_function_to_tool

import ollama_service
from ollama_service._errors import OllamaRequestError
from ollama_service._images import encode_image
from ollama_service._tools import function_to_tool
from ollama_service.types import CreateRequest, Options

B64 = base64.b64encode(b"\x89PNG fake image").decode()

# --- Image strings ---------------------------------------------------------------------------

SENT_AS_IS = [
    pytest.param(B64, id="base64"),
    pytest.param("not a path or base64", id="lenient-base64-with-spaces"),
    pytest.param(B64[:20] + "\n" + B64[20:], id="base64-with-a-newline"),
    pytest.param("abcd/efg", id="slash-but-decodes"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("value", SENT_AS_IS)
def test_image_strings_the_official_sends_as_they_are(value: str) -> None:
    assert ollama.Image(value=value).model_dump() == value
    assert ollama_service.Image(value=value).model_dump() == value
    assert encode_image(value) == value


REFUSED = [
    pytest.param(
        "some_path/that/does/not/exist.png",
        "images: image file not found: 'some_path/that/does/not/exist.png'",
        id="missing-png",
    ),
    pytest.param("cat.WEBP", "image file not found: 'cat.WEBP'", id="missing-webp-any-case"),
    pytest.param("photos/cat", "image file not found: 'photos/cat'", id="missing-with-separator"),
    pytest.param("cat.gif", "image file not found: 'cat.gif'", id="missing-gif"),
    pytest.param(
        "not an image",
        "images: Invalid image data, expected base64 string or path to image file: "
        "'not an image' is neither an existing file nor valid base64",
        id="not-base64",
    ),
    pytest.param("abc", "Invalid image data", id="bad-padding"),
    pytest.param("caf\u00e9", "Invalid image data", id="not-ascii"),
]


@pytest.mark.parametrize(("value", "message"), REFUSED)
def test_image_strings_the_official_refuses(value: str, message: str) -> None:
    """Where the official library raises a ValueError, ours does too, naming the argument."""
    with pytest.raises(ValueError):
        ollama.Image(value=value).model_dump()
    with pytest.raises(OllamaRequestError) as info:
        encode_image(value)
    assert message in str(info.value)
    with pytest.raises(ValueError, match=r"Image\.value"):
        ollama_service.Image(value=value).model_dump()


def test_image_from_an_existing_file_and_a_data_url(tmp_path: Path) -> None:
    path = tmp_path / "cat"
    path.write_bytes(b"\x89PNG fake image")
    for value in (str(path), path):
        assert ollama_service.Image(value=value).model_dump() == B64
        assert ollama.Image(value=value).model_dump() == B64
    # Ours goes further: the server cannot decode a data URL, so its prefix is dropped.
    assert encode_image(f"data:image/png;base64,{B64}") == B64
    with pytest.raises(OllamaRequestError, match="Invalid image data"):
        encode_image("data:image/png;base64,abc")


def test_image_a_directory_is_an_error_as_in_the_official(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        ollama.Image(value=str(tmp_path)).model_dump()
    with pytest.raises(OllamaRequestError, match="cannot read image"):
        encode_image(str(tmp_path))


# --- Functions as tools ----------------------------------------------------------------------


def lowercase_args(x: int, y: Union[int, None] = None) -> int:  # noqa: UP007
    """Add two numbers together.
    args:
        x (integer): The first number
        y (integer, optional): The second number

    Returns:
        integer: The sum of x and y
    """
    return x


def no_parameters() -> None:
    """
    A function with only a description.
    """


def no_docstring(a, b: int):  # type: ignore[no-untyped-def]
    return a


def unions(x: int, v: int | str | None, w: Optional[float]) -> None:  # noqa: UP045
    """Unions.

    Args:
        x: an x
        v (integer | string | None): a v
        w: a w
    """


def multi_paragraph(query: str, site: str) -> None:
    """Search the web.

    Finds pages that match the query,
      best first.

    Example:
        multi_paragraph("x", "y")

    Args:
        query (str): What to look for. Quotes
            make an exact phrase.
        site: Restrict to this site.

    Raises:
        ValueError: never.
    """


def skewed(x: int, y: int) -> None:
    """
    Add two numbers together.
    Args:
        x (integer): : The first number




        y (integer ): The second number
    Yields:
        integer: The sum of x and y
    """


def parentheses(a: int, b: int) -> None:
    """A function with parentheses and args.

    Args:
        a(integer) : First (:thing) number to add
        b(integer) :Second number to add
    """


def containers(
    z: list[int],
    w: dict[str, int],
    s: set[int],
    t: tuple[int, str],
    q: Sequence[int],
    m: Mapping[str, int],
    b: bytes,
    when: datetime,
    p: Path,
    anything: Any,
) -> None:
    """Containers and strings."""


def only_args_section(x: str) -> None:
    """Args:
    x: the x
    """


TOOL_FUNCTIONS = [
    lowercase_args,
    no_parameters,
    no_docstring,
    unions,
    multi_paragraph,
    skewed,
    parentheses,
    containers,
    only_args_section,
]


def _official_wire(func: Callable[..., Any]) -> Any:
    """What the official client sends for `tools=[func]` (ChatRequest, exclude_none)."""
    request = official_types.ChatRequest(model="m", tools=[convert_function_to_tool(func)])
    return request.model_dump(exclude_none=True)["tools"][0]


def _union_types(tool: Any) -> None:
    """The official joins a union's types in set order; compare them as sets."""
    for prop in tool["function"]["parameters"].get("properties", {}).values():
        prop["type"] = sorted(prop["type"].split(", "))


@pytest.mark.parametrize("func", TOOL_FUNCTIONS, ids=[f.__name__ for f in TOOL_FUNCTIONS])
def test_function_tool_wire_is_the_officials(func: Callable[..., Any]) -> None:
    official = _official_wire(func)
    ours = msgspec.json.decode(msgspec.json.encode(function_to_tool(func)))
    _union_types(official)
    _union_types(ours)
    assert ours == official


@pytest.mark.parametrize("func", TOOL_FUNCTIONS, ids=[f.__name__ for f in TOOL_FUNCTIONS])
def test_function_tool_model_dump_is_the_officials(func: Callable[..., Any]) -> None:
    official = convert_function_to_tool(func).model_dump()
    ours = function_to_tool(func).model_dump()
    _union_types(official)
    _union_types(ours)
    assert ours == official


def test_union_types_are_joined_in_annotation_order() -> None:
    properties = function_to_tool(unions).function.parameters.properties  # type: ignore[union-attr]
    assert properties is not None
    assert properties["v"].type == "integer, string"
    assert properties["w"].type == "number"


def test_a_function_without_parameters_sends_no_required_list() -> None:
    body = msgspec.json.decode(msgspec.json.encode(function_to_tool(no_parameters)))
    assert body["function"]["parameters"] == {"type": "object", "properties": {}}


class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


def deliberate(
    city: str,
    mode: Literal["fast", "slow"],
    colour: Colour,
    days: int = 3,
    *args: int,
    **kwargs: str,
) -> None:
    """The deliberate differences.

    Args:
        city: The city.
        mode: How fast.
        colour: Which colour.
        days: How many days.
    """


def test_function_tool_deliberate_differences() -> None:
    official = convert_function_to_tool(deliberate).model_dump(exclude_none=True)
    ours = function_to_tool(deliberate).model_dump(exclude_none=True)
    official_params = official["function"]["parameters"]
    ours_params = ours["function"]["parameters"]
    assert official_params["required"] == ["city", "mode", "colour", "days", "args", "kwargs"]
    assert ours_params["required"] == ["city", "mode", "colour"]
    assert list(ours_params["properties"]) == ["city", "mode", "colour", "days"]
    assert ours_params["properties"]["mode"] == {
        "type": "string",
        "description": "How fast.",
        "enum": ["fast", "slow"],
    }
    assert ours_params["properties"]["colour"]["enum"] == ["red", "green"]
    assert official_params["properties"]["mode"] == {"type": "string", "description": "How fast."}
    assert ours["function"]["description"] == official["function"]["description"]


# --- Request dumps -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"from_": "base", "quantize": "q4_0"}, id="from"),
        pytest.param({"from_": None, "quantize": None}, id="none"),
        pytest.param({"parameters": {"temperature": 0.5, "param1": "v"}}, id="parameters-dict"),
    ],
)
@pytest.mark.parametrize("exclude_none", [False, True])
def test_create_request_dump_keys_are_the_officials(
    kwargs: dict[str, Any], exclude_none: bool
) -> None:
    """`from_` dumps as `from` (a keyword escaped with `_` dumps as the keyword, as the
    official's serializer does), and a parameters dict stays the dict it was."""
    official = official_types.CreateRequest(model="m", **kwargs).model_dump(
        exclude_none=exclude_none
    )
    ours = CreateRequest(model="m", **kwargs).model_dump(exclude_none=exclude_none)
    assert {k: v for k, v in ours.items() if k in official} == official
    assert "from_" not in ours
    if not exclude_none:
        assert "from" in ours


def test_request_options_dict_keeps_unknown_keys_on_the_wire() -> None:
    request = CreateRequest(model="m", parameters={"temperature": 0.5, "newer": 1, "x": None})
    body = msgspec.json.decode(msgspec.json.encode(request))
    assert body["parameters"] == {"temperature": 0.5, "newer": 1}
    typed = CreateRequest(model="m", parameters=Options(temperature=0.5))
    assert msgspec.json.decode(msgspec.json.encode(typed))["parameters"] == {"temperature": 0.5}
