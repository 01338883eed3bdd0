"""FakeOllamaServer's experimental endpoints: image generation and ``/v1/systemone``.

The official library's examples use both (``generate-image.py``, ``systemone.py``), so the
compatibility suite needs the fake to answer them; checked here with plain httpx.
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ollama_service.testing import FakeModel, FakeOllamaServer

pytestmark = pytest.mark.network

QUESTIONS: dict[str, Any] = {
    "team": {"type": "choice", "instructions": "Route", "criteria": {"billing": None, "tech": "x"}},
    "refund": {"type": "noul", "instructions": "Refund?"},
    "urgency": {"type": "score", "instructions": "How urgent?", "criteria": ["low", "high"]},
}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    models = [FakeModel("x/z-image-turbo", capabilities=("image",)), FakeModel("nimble")]
    with FakeOllamaServer(models) as server, httpx.Client(base_url=server.base_url) as http:
        yield http


def _png_size(image: str) -> tuple[int, int]:
    data = base64.b64decode(image)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_image_generation_streams_progress_then_the_image(client: httpx.Client) -> None:
    body = {"model": "x/z-image-turbo", "prompt": "a sunset", "steps": 3, "width": 16}
    with client.stream("POST", "/api/generate", json=body) as response:
        assert response.status_code == 200
        lines = [json.loads(line) for line in response.iter_lines()]
    progress = [(line["completed"], line["total"], line["done"]) for line in lines[:-1]]
    assert progress == [(1, 3, False), (2, 3, False), (3, 3, False)]
    final = lines[-1]
    assert final["done"] is True
    assert final["done_reason"] == "stop"
    assert "completed" not in final
    assert _png_size(final["image"]) == (16, 8)


def test_image_generation_without_stream_sends_only_the_image(client: httpx.Client) -> None:
    body = {"model": "x/z-image-turbo", "prompt": "a", "stream": False, "height": 1000}
    reply = client.post("/api/generate", json=body).json()
    assert reply["done"] is True
    assert _png_size(reply["image"]) == (8, 64)  # sides are capped at 64 pixels


def test_the_image_is_a_function_of_the_prompt(client: httpx.Client) -> None:
    def image(prompt: str) -> str:
        body = {"model": "x/z-image-turbo", "prompt": prompt, "stream": False}
        return str(client.post("/api/generate", json=body).json()["image"])

    assert image("a") == image("a")
    assert image("a") != image("b")


@pytest.mark.parametrize("steps", [0, -1, "4", True])
def test_image_generation_rejects_bad_steps(client: httpx.Client, steps: object) -> None:
    body = {"model": "x/z-image-turbo", "prompt": "a", "steps": steps, "stream": False}
    response = client.post("/api/generate", json=body)
    assert response.status_code == 400
    assert "steps" in response.json()["error"] or "cannot unmarshal" in response.json()["error"]


def test_systemone_answers_every_question_in_order(client: httpx.Client) -> None:
    body = {"model": "nimble", "state": "I was charged twice.", "questions": QUESTIONS}
    response = client.post("/v1/systemone", json=body)
    assert response.status_code == 200
    reply = response.json()
    assert reply["model"] == "nimble"
    assert list(reply["answers"]) == ["team", "refund", "urgency"]
    team, refund, urgency = (reply["answers"][k] for k in ("team", "refund", "urgency"))
    assert team["type"] == "choice"
    assert team["choice"] in ("billing", "tech")
    assert list(team["probabilities"]) == ["billing", "tech"]
    assert team["confidence"] == team["probabilities"][team["choice"]]
    assert refund["type"] == "noul"
    assert 0 <= refund["noul"] < 1
    assert urgency["type"] == "score"
    assert urgency["legend"] == {"0": "low", "1": "high"}
    assert 0 <= urgency["score"] <= 1
    assert reply["usage"] == {"input_tokens": 4 + 3 * 8, "output_tokens": 3}
    assert client.post("/v1/systemone", json=body).json() == reply  # deterministic


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"model": "nimble", "state": "", "questions": QUESTIONS}, 400, "state must not be empty"),
        (
            {"model": "missing", "state": "s", "questions": QUESTIONS},
            404,
            "model 'missing' not found",
        ),
        ({"model": "nimble", "state": "s", "questions": {}}, 400, "questions must name at least"),
        (
            {"model": "nimble", "state": "s", "questions": {"q": {"type": "maybe"}}},
            400,
            "unknown type 'maybe'",
        ),
        (
            {"model": "nimble", "state": "x" * 70_000, "questions": QUESTIONS},
            413,
            "request body must not exceed 64 KiB",
        ),
    ],
)
def test_systemone_errors(client: httpx.Client, body: Any, status: int, message: str) -> None:
    response = client.post("/v1/systemone", json=body)
    assert response.status_code == status
    assert message in response.json()["error"]
