"""`systemone()`: System One questions on the wire, typed answers back, errors by status.

Every test talks to a real `FakeOllamaServer` and asserts the JSON that reached it, the
structs that came back (the fake's answers are a pure function of the body, so the expected
reply is computed with it), the typed error of each status, and that bad input is refused by
name before anything is sent.
"""

# These tests pass, on purpose, what the runtime accepts but the static types do not
# describe (the official library's question models, wrong types for the error cases).
# pyright: reportArgumentType=false

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import ollama
import pytest

from ollama_service import (
    AsyncClient,
    OllamaModelNotFoundError,
    OllamaRequestError,
    OllamaResponseError,
    OllamaServerBusyError,
    SystemOneChoiceAnswer,
    SystemOneChoiceQuestion,
    SystemOneNoulAnswer,
    SystemOneNoulQuestion,
    SystemOneResponse,
    SystemOneScoreAnswer,
    SystemOneScoreQuestion,
)
from ollama_service.testing import FakeOllamaServer
from ollama_service.testing._extras import systemone_reply

pytestmark = pytest.mark.anyio

PATH = "/v1/systemone"
STATE = {"ticket": ["Duplicate charge", None], "paid": True}
# The same three questions as the wire sees them, in their order.
WIRE_QUESTIONS: dict[str, Any] = {
    "team": {
        "type": "choice",
        "instructions": {"task": "Route ticket", "hint": None},
        "criteria": {"technical": None, "billing": "Payments"},
    },
    "refund": {"type": "noul", "instructions": ["Refund requested?"]},
    "urgency": {"type": "score", "instructions": "Urgency?", "criteria": ["Routine", "Urgent"]},
}


@pytest.fixture
def server() -> Iterator[FakeOllamaServer]:
    with FakeOllamaServer(["nimble"]) as fake:
        yield fake


@pytest.fixture
async def client(server: FakeOllamaServer) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(server.base_url, max_retries=0) as c:
        yield c


def sent(server: FakeOllamaServer) -> dict[str, Any]:
    bodies = [r.json for r in server.requests if r.path == PATH]
    assert len(bodies) == 1, bodies
    body = bodies[0]
    assert isinstance(body, dict)
    return body


def _mappings() -> dict[str, Any]:
    return WIRE_QUESTIONS


def _ours() -> dict[str, Any]:
    return {
        "team": SystemOneChoiceQuestion(
            instructions={"task": "Route ticket", "hint": None},
            criteria={"technical": None, "billing": "Payments"},
        ),
        "refund": SystemOneNoulQuestion(instructions=["Refund requested?"]),
        "urgency": SystemOneScoreQuestion(instructions="Urgency?", criteria=["Routine", "Urgent"]),
    }


def _official() -> dict[str, Any]:
    return {
        "team": ollama.SystemOneChoiceQuestion(
            instructions={"task": "Route ticket", "hint": None},
            criteria={"technical": None, "billing": "Payments"},
        ),
        "refund": ollama.SystemOneNoulQuestion(instructions=["Refund requested?"]),
        "urgency": ollama.SystemOneScoreQuestion(
            instructions="Urgency?", criteria=["Routine", "Urgent"]
        ),
    }


def _mixed() -> dict[str, Any]:
    return {
        "team": _mappings()["team"],
        "refund": _ours()["refund"],
        "urgency": _official()["urgency"],
    }


@pytest.mark.parametrize("questions", [_mappings, _ours, _official, _mixed])
async def test_wire_and_typed_answers(
    server: FakeOllamaServer, client: AsyncClient, questions: Any
) -> None:
    reply = await client.systemone("nimble", STATE, questions())
    body = sent(server)
    assert body == {"model": "nimble", "state": STATE, "questions": WIRE_QUESTIONS}
    # Order is meaning here: questions are evaluated, and choices listed, in their order.
    assert list(body["questions"]) == ["team", "refund", "urgency"]
    assert list(body["questions"]["team"]["criteria"]) == ["technical", "billing"]
    assert type(reply) is SystemOneResponse
    expected = systemone_reply("nimble", body, len(server.requests[-1].body))
    assert reply.model_dump() == expected
    assert list(reply.answers) == ["team", "refund", "urgency"]
    team, refund, urgency = (reply.answers[k] for k in ("team", "refund", "urgency"))
    assert isinstance(team, SystemOneChoiceAnswer)
    assert isinstance(refund, SystemOneNoulAnswer)
    assert isinstance(urgency, SystemOneScoreAnswer)
    assert team.choice in {"technical", "billing"}
    assert team.type == "choice"
    assert urgency["type"] == "score"
    assert urgency.legend == {"0": "Routine", "1": "Urgent"}
    assert reply["usage"]["input_tokens"] == reply.usage.input_tokens > 0


@pytest.mark.parametrize(
    ("keep_alive", "wire"),
    [(None, None), (0, 0), ("5m", "5m"), (-1, -1), (2.5, 2.5)],
    ids=["absent", "zero", "duration", "forever", "seconds"],
)
async def test_keep_alive(
    server: FakeOllamaServer, client: AsyncClient, keep_alive: Any, wire: Any
) -> None:
    questions = {"refund": {"type": "noul", "instructions": "Refund?"}}
    await client.systemone("nimble", "ticket", questions, keep_alive=keep_alive)
    body = sent(server)
    assert body.get("keep_alive", "absent") == ("absent" if wire is None else wire)


@pytest.mark.parametrize(
    "state", ["plain text", {"a": {"b": [1, None]}}, [1, "two", None], ("a", "b")]
)
async def test_state_kinds(server: FakeOllamaServer, client: AsyncClient, state: Any) -> None:
    await client.systemone("nimble", state, {"q": {"type": "noul", "instructions": "?"}})
    assert sent(server)["state"] == (list(state) if isinstance(state, tuple) else state)


async def test_noul_criteria_and_none_for_not_given(
    server: FakeOllamaServer, client: AsyncClient
) -> None:
    questions = {
        "a": {"type": "noul", "instructions": "?", "criteria": {"false": "No", "true": "Yes"}},
        "b": {"type": "noul", "instructions": "?", "criteria": None},
    }
    reply = await client.systemone("nimble", "s", questions)
    assert sent(server)["questions"] == {
        "a": {"type": "noul", "instructions": "?", "criteria": {"false": "No", "true": "Yes"}},
        "b": {"type": "noul", "instructions": "?"},
    }
    assert all(isinstance(a, SystemOneNoulAnswer) for a in reply.answers.values())


# --- Errors from the server ---------------------------------------------------------------


async def test_missing_model_is_a_model_not_found_error(client: AsyncClient) -> None:
    with pytest.raises(OllamaModelNotFoundError) as info:
        await client.systemone("missing", "s", {"q": {"type": "noul", "instructions": "?"}})
    assert info.value.status_code == 404
    assert info.value.error == "model 'missing' not found"


@pytest.mark.parametrize(
    ("state", "status", "message"),
    [
        ("", 400, "state must not be empty"),
        ("x" * 70_000, 413, "request body must not exceed 64 KiB"),
    ],
    ids=["empty-state", "too-large"],
)
async def test_refused_bodies_are_response_errors(
    client: AsyncClient, state: str, status: int, message: str
) -> None:
    with pytest.raises(OllamaResponseError) as info:
        await client.systemone("nimble", state, {"q": {"type": "noul", "instructions": "?"}})
    assert info.value.status_code == status
    assert info.value.error == message


async def test_empty_questions_are_the_servers_to_refuse(
    server: FakeOllamaServer, client: AsyncClient
) -> None:
    """As in the official client, an empty mapping is sent; the server answers 400."""
    with pytest.raises(OllamaResponseError, match="questions must name at least one question"):
        await client.systemone("nimble", "s", {})
    assert sent(server)["questions"] == {}


async def test_busy_server_is_a_server_busy_error(
    server: FakeOllamaServer, client: AsyncClient
) -> None:
    server.faults.busy()
    with pytest.raises(OllamaServerBusyError) as info:
        await client.systemone("nimble", "s", {"q": {"type": "noul", "instructions": "?"}})
    assert info.value.status_code == 503


async def test_busy_server_is_retried_by_default(server: FakeOllamaServer) -> None:
    """Scoring changes nothing on the server, so the spec marks it idempotent: retried."""
    server.faults.busy(retry_after="0")
    async with AsyncClient(server.base_url, max_retries=1) as retrying:
        reply = await retrying.systemone(
            "nimble", "s", {"q": {"type": "noul", "instructions": "?"}}
        )
    assert isinstance(reply.answers["q"], SystemOneNoulAnswer)
    assert [r.path for r in server.requests] == [PATH, PATH]


# --- Bad input, refused before sending ------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "state", "questions", "match"),
    [
        ("", "s", {}, "model must not be empty"),
        ("nimble", None, {}, r"state must be text, a JSON object \(dict\) or a JSON array"),
        ("nimble", 3, {}, "not int"),
        ("nimble", "s", [{"type": "noul"}], "questions must be a mapping of names to questions"),
        (
            "nimble",
            "s",
            {1: {"type": "noul", "instructions": "?"}},
            "question names must be strings",
        ),
        (
            "nimble",
            "s",
            {"q": "Refund?"},
            r"questions\['q'\] must be a SystemOne\*Question or a mapping",
        ),
        ("nimble", "s", {"q": {"instructions": "?"}}, r"questions\['q'\] has no 'type'"),
        (
            "nimble",
            "s",
            {"q": {"type": "maybe", "instructions": "?"}},
            r"questions\['q'\] has an unknown type 'maybe': use one of 'choice', 'noul', 'score'",
        ),
        (
            "nimble",
            "s",
            {"q": {"type": "choice", "instructions": "?"}},
            r"questions\['q'\]: Object missing required field `criteria`",
        ),
        (
            "nimble",
            "s",
            {"q": {"type": "score", "instructions": "?", "criteria": {"a": "b"}}},
            r"Expected `array`, got `object` - at `questions\['q'\].criteria`",
        ),
        (
            "nimble",
            "s",
            {"q": {"type": "noul", "instructions": "?", "critera": {}}},
            r"unknown key 'critera' for a 'noul' question; did you mean 'criteria'\?",
        ),
        (
            "nimble",
            "s",
            {"q": {"type": "noul", "instructions": 5}},
            r"at `questions\['q'\].instructions`",
        ),
    ],
    ids=[
        "empty-model",
        "no-state",
        "int-state",
        "list-of-questions",
        "int-name",
        "text-question",
        "no-type",
        "unknown-type",
        "missing-criteria",
        "wrong-criteria-type",
        "misspelt-key",
        "int-instructions",
    ],
)
async def test_bad_input_is_named_and_nothing_is_sent(
    server: FakeOllamaServer,
    client: AsyncClient,
    model: str,
    state: Any,
    questions: Any,
    match: str,
) -> None:
    with pytest.raises(OllamaRequestError, match=match):
        await client.systemone(model, state, questions)
    assert server.requests == []


async def test_an_answer_is_not_a_question(server: FakeOllamaServer, client: AsyncClient) -> None:
    with pytest.raises(OllamaRequestError, match="must be a SystemOne"):
        await client.systemone("nimble", "s", {"q": SystemOneNoulAnswer(noul=0.5)})
    assert server.requests == []
