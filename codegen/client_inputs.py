"""The one table of input adapters: what a client method accepts for a request property.

A request property without an entry here becomes a parameter of its spec type (`str`, `bool`,
`int`, ...), sent as given (`None`, the default, leaves it out of the JSON). A property with an
entry accepts the richer Python input the official library accepts (paths for images, plain
functions for tools, a `timedelta` for keep_alive, ...) and is converted by a hand-written,
pure function of the normalisation code before the request is built, so bad input fails with
an `OllamaRequestError` naming the argument and nothing is sent.

Keys are `Schema.property` (one request schema) or `property` (every request schema with it);
the specific key wins. `convert` is a Python expression in which `{value}` is the parameter;
`doc`, when given, replaces the property's description in the docstring's `Args:` (the spec
describes the wire form, the docstring the Python input).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

# Where each hand-written normaliser (and input type) lives.
_HOMES: Final[dict[str, str]] = {
    "require_model": "ollama_service._coerce",
    "require_text": "ollama_service._coerce",
    "encode_images": "ollama_service._images",
    "normalize_tools": "ollama_service._tools",
    "normalize_format": "ollama_service._normalize",
    "normalize_input": "ollama_service._normalize",
    "normalize_keep_alive": "ollama_service._normalize",
    "normalize_messages": "ollama_service._normalize",
    "normalize_options": "ollama_service._normalize",
    "normalize_think": "ollama_service._normalize",
    "unset_if_none": "ollama_service._inputs",
    "FormatInput": "ollama_service._inputs",
    "ImageInput": "ollama_service._inputs",
    "KeepAliveInput": "ollama_service._inputs",
    "ThinkInput": "ollama_service._inputs",
    "ToolInput": "ollama_service._inputs",
}
# The input type aliases (the official library's objects included).
INPUTS = "ollama_service._inputs"
TYPES = "ollama_service.types"


def _home(*names: str) -> dict[str, tuple[str, ...]]:
    """The imports of `names`, by the module each lives in."""
    found: dict[str, tuple[str, ...]] = {}
    for name in names:
        found[_HOMES[name]] = (*found.get(_HOMES[name], ()), name)
    return found


@dataclass(frozen=True)
class Adapter:
    """How one request property is accepted and converted."""

    annotation: str | None
    """The parameter's type (without `| None`); None keeps the spec's type."""
    convert: str
    """The expression that turns the parameter `{value}` into the struct field's value."""
    imports: dict[str, tuple[str, ...]] = field(default_factory=dict[str, tuple[str, ...]])
    """Names the annotation and the expression use, by module."""
    doc: str | None = None
    """The `Args:` text, when the Python input differs from the wire form."""


_OPTIONS = Adapter(
    "OptionsInput",
    "normalize_options({value})",
    {**_home("normalize_options"), INPUTS: ("OptionsInput",)},
    "Runtime options (dict or `Options`); an unknown key is sent with a warning.",
)
_MESSAGES = Adapter(
    "Sequence[MessageInput]",
    "normalize_messages({value})",
    {
        **_home("normalize_messages"),
        INPUTS: ("MessageInput",),
        "collections.abc": ("Sequence",),
    },
)
_DIGESTS = Adapter(
    "Mapping[str, str]",
    "unset_if_none(None if {value} is None else dict({value}))",
    {**_home("unset_if_none"), "collections.abc": ("Mapping",)},
)

ADAPTERS: Final[dict[str, Adapter]] = {
    # A model name is checked (non-empty string) before anything is sent.
    "model": Adapter(None, "require_model({value})", {**_home("require_model")}),
    "CopyRequest.source": Adapter(
        None, 'require_model({value}, "source")', {**_home("require_model")}
    ),
    "CopyRequest.destination": Adapter(
        None, 'require_model({value}, "destination")', {**_home("require_model")}
    ),
    "WebSearchRequest.query": Adapter(
        None, 'require_text({value}, "web_search: query")', {**_home("require_text")}
    ),
    "WebFetchRequest.url": Adapter(
        None, 'require_text({value}, "web_fetch: url")', {**_home("require_text")}
    ),
    "images": Adapter(
        "Sequence[ImageInput]",
        "encode_images({value})",
        {**_home("ImageInput", "encode_images"), "collections.abc": ("Sequence",)},
        "Paths, bytes or base64 strings, for vision models.",
    ),
    "think": Adapter(
        "ThinkInput",
        "normalize_think({value})",
        {**_home("ThinkInput", "normalize_think")},
        "Thinking on/off, or a level (`low`, `medium`, `high`, `max`).",
    ),
    "format": Adapter(
        "FormatInput",
        "normalize_format({value})",
        {**_home("FormatInput", "normalize_format")},
        '`"json"`, a JSON Schema dict, or a msgspec Struct type (its schema is sent; decode the'
        " reply with `ollama_service.parse_structured`).",
    ),
    "options": _OPTIONS,
    "CreateRequest.parameters": Adapter(
        _OPTIONS.annotation,
        _OPTIONS.convert,
        _OPTIONS.imports,
        "Default runtime options of the new model.",
    ),
    "keep_alive": Adapter(
        "KeepAliveInput",
        "normalize_keep_alive({value})",
        {**_home("KeepAliveInput", "normalize_keep_alive")},
        'How long the model stays loaded: seconds, a duration like `"5m"`, or a `timedelta`;'
        " negative keeps it loaded, 0 unloads it.",
    ),
    "messages": _MESSAGES,
    "ChatRequest.messages": Adapter(
        _MESSAGES.annotation,
        _MESSAGES.convert,
        _MESSAGES.imports,
        "The history: dicts or `Message` structs; message images may be paths, bytes or base64"
        " strings.",
    ),
    # The official client always sends a list of tools; so do we, for the same JSON on the wire.
    "ChatRequest.tools": Adapter(
        "Sequence[ToolInput]",
        "normalize_tools({value} or [])",
        {**_home("ToolInput", "normalize_tools"), "collections.abc": ("Sequence",)},
        "Tools the model may call: JSON-schema dicts, `Tool` structs, or plain Python functions"
        " (their signature and Google-style docstring become the schema).",
    ),
    "EmbedRequest.input": Adapter(
        "str | Sequence[str]",
        "normalize_input({value})",
        {**_home("normalize_input"), "collections.abc": ("Sequence",)},
    ),
    "GenerateRequest.context": Adapter(
        "Sequence[int]",
        "unset_if_none(None if {value} is None else list({value}))",
        {**_home("unset_if_none"), "collections.abc": ("Sequence",)},
    ),
    "CreateRequest.files": _DIGESTS,
    "CreateRequest.adapters": _DIGESTS,
    "CreateRequest.license": Adapter(
        "str | Sequence[str]",
        "unset_if_none({value} if {value} is None or isinstance({value}, str) else list({value}))",
        {**_home("unset_if_none"), "collections.abc": ("Sequence",)},
    ),
}


def adapter_for(schema: str, prop: str) -> Adapter | None:
    """The adapter of `schema.prop`, or of `prop` in every schema, or None."""
    return ADAPTERS.get(f"{schema}.{prop}") or ADAPTERS.get(prop)
