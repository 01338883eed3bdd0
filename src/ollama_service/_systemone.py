"""The inputs of `systemone()`: the state and the questions, checked before anything is sent.

The official library accepts its question models or plain mappings (`{"type": "noul", ...}`)
for each question, and text, a JSON object or a JSON array for the state; so do we, and our
question structs and the official library's models too. A question is checked against the
branch its `type` names, so a mistake is reported with the question's name, not as a 400.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Final, TypeAlias, cast

import msgspec

from ollama_service._coerce import foreign_dump
from ollama_service._errors import OllamaRequestError
from ollama_service.types import (
    SystemOneChoiceQuestion,
    SystemOneContent,
    SystemOneNoulQuestion,
    SystemOneQuestion,
    SystemOneScoreQuestion,
)

__all__ = ["QuestionInput", "normalize_questions", "normalize_state"]

QuestionInput: TypeAlias = "SystemOneQuestion | Mapping[str, Any]"

_BRANCHES: Final[dict[str, type[SystemOneQuestion]]] = {
    cls.type: cls
    for cls in (SystemOneChoiceQuestion, SystemOneNoulQuestion, SystemOneScoreQuestion)
}
_KINDS: Final = ", ".join(repr(kind) for kind in _BRANCHES)


def normalize_state(state: object) -> SystemOneContent:
    """Return the state as JSON-ready text, object or array.

    Raises:
        OllamaRequestError: `state` is None or of another type.
    """
    return _content(state, "systemone: state")


def _content(value: object, where: str) -> SystemOneContent:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return dict(cast("Mapping[str, Any]", value))
    if isinstance(value, (list, tuple)):
        return list(cast("list[Any]", value))
    raise OllamaRequestError(
        f"{where} must be text, a JSON object (dict) or a JSON array (list), "
        f"not {type(value).__name__}"
    )


def normalize_questions(questions: object) -> dict[str, SystemOneQuestion]:
    """Return the questions, in their order, as our question structs.

    Args:
        questions: Question names mapped to our question structs, the official library's
            question models, or mappings with a `type` of `choice`, `noul` or `score`.

    Raises:
        OllamaRequestError: Not a mapping, a name that is not a string, or a question whose
            type is missing or unknown, with an unknown key, or a missing or mistyped field;
            the message names the question.
    """
    if not isinstance(questions, Mapping):
        raise OllamaRequestError(
            "systemone: questions must be a mapping of names to questions, "
            f"not {type(questions).__name__}"
        )
    out: dict[str, SystemOneQuestion] = {}
    for name, question in cast("Mapping[object, object]", questions).items():
        if not isinstance(name, str):
            raise OllamaRequestError(
                f"systemone: question names must be strings, got {name!r} ({type(name).__name__})"
            )
        out[name] = _question(name, question)
    return out


def _question(name: str, question: object) -> SystemOneQuestion:
    where = f"systemone: questions[{name!r}]"
    if isinstance(
        question, (SystemOneChoiceQuestion, SystemOneNoulQuestion, SystemOneScoreQuestion)
    ):
        return question
    if isinstance(question, Mapping):
        fields = dict(cast("Mapping[str, Any]", question))
    else:
        dumped = foreign_dump(question)  # the official library's question models
        if dumped is None:
            raise OllamaRequestError(
                f"{where} must be a SystemOne*Question or a mapping with a 'type', "
                f"not {type(question).__name__}"
            )
        fields = dumped
    kind = fields.get("type")
    branch = _BRANCHES.get(kind) if isinstance(kind, str) else None
    if branch is None:
        found = "has no 'type'" if kind is None else f"has an unknown type {kind!r}"
        raise OllamaRequestError(f"{where} {found}: use one of {_KINDS}")
    known = {f.encode_name for f in msgspec.structs.fields(branch)} | {"type"}
    for key in fields:
        if key not in known:
            close = difflib.get_close_matches(str(key), sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise OllamaRequestError(
                f"{where}: unknown key {key!r} for a {kind!r} question{hint} "
                f"(it has {', '.join(sorted(known))})"
            )
    # None means "not given" (the official `criteria=None`); inside values it is kept.
    given = {k: v for k, v in fields.items() if v is not None}
    try:
        result: SystemOneQuestion = msgspec.convert(given, branch)
    except msgspec.ValidationError as exc:
        path = f"questions[{name!r}]"
        message = str(exc).replace("`$.", f"`{path}.").replace("`$`", f"`{path}`")
        if path not in message:
            message = f"{path}: {message}"
        raise OllamaRequestError(f"systemone: {message}") from exc
    return result
