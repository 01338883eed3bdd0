"""Bad input from callers is rejected before anything is sent, with a message naming it.

Every case points at a live `FakeOllamaServer` and then checks that it saw no connection and
no request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ollama_service import AsyncClient, OllamaRequestError, OllamaService
from ollama_service._settings import load_settings
from ollama_service.testing import FakeOllamaServer

from ._support import KINDS, MODEL, Api

pytestmark = pytest.mark.anyio


def assert_untouched(fake: FakeOllamaServer) -> None:
    assert fake.stats.connections_opened == 0
    assert fake.stats.requests_handled == 0
    assert fake.requests == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("generate", "model must not be empty: name a model, e.g. 'llama3.2'"),
        ("chat", "model must not be empty: name a model, e.g. 'llama3.2'"),
        ("embed", "model must not be empty: name a model, e.g. 'llama3.2'"),
        ("show", "model must not be empty: name a model, e.g. 'llama3.2'"),
        ("pull", "model must not be empty: name a model, e.g. 'llama3.2'"),
        ("copy", "source must not be empty: name a model, e.g. 'llama3.2'"),
    ],
)
async def test_empty_model_name_client(call: str, message: str, fake: FakeOllamaServer) -> None:
    async with AsyncClient(fake.base_url) as client:
        calls: dict[str, Any] = {
            "generate": lambda: client.generate("", "hi"),
            "chat": lambda: client.chat("   ", [{"role": "user", "content": "hi"}]),
            "embed": lambda: client.embed("", "hi"),
            "show": lambda: client.show(""),
            "pull": lambda: client.pull(""),
            "copy": lambda: client.copy("", "b"),
        }
        with pytest.raises(OllamaRequestError) as info:
            await calls[call]()
    assert str(info.value) == message
    assert_untouched(fake)


async def test_empty_model_name_service_without_default(fake: FakeOllamaServer) -> None:
    async with AsyncClient(fake.base_url) as client:
        service = OllamaService(client=client, default_model="")
        with pytest.raises(OllamaRequestError) as info:
            await service.generate("", "hi")
        with pytest.raises(OllamaRequestError) as chat_error:
            await service.chat(None, [{"role": "user", "content": "hi"}])
        with pytest.raises(OllamaRequestError) as blank_error:
            await service.generate("   ", "hi")
    assert str(info.value) == "model must not be empty: name a model, e.g. 'llama3.2'"
    assert str(chat_error.value) == "no model given and no default model configured"
    assert str(blank_error.value) == str(info.value)
    assert_untouched(fake)


async def test_empty_model_name_service_with_default(fake: FakeOllamaServer) -> None:
    async with OllamaService(fake.base_url, default_model=MODEL) as service:
        with pytest.raises(OllamaRequestError, match="model"):
            await service.generate("", "hi")
    assert_untouched(fake)


@pytest.mark.parametrize("kind", KINDS)
async def test_missing_image_file(kind: str, fake: FakeOllamaServer, tmp_path: Path) -> None:
    missing = tmp_path / "cat.png"
    async with Api(kind, fake.base_url) as api:
        with pytest.raises(OllamaRequestError) as info:
            await api.generate("what is this?", images=[missing])
        with pytest.raises(OllamaRequestError) as in_message:
            await api.client.chat(
                MODEL, [{"role": "user", "content": "and this?", "images": [str(missing)]}]
            )
    assert str(info.value) == (
        f"images[0]: image file not found: {str(missing)!r} (the file does not exist)"
    )
    assert str(in_message.value) == (
        f"messages[0].images[0]: image file not found: {str(missing)!r} (the file does not exist)"
    )
    assert_untouched(fake)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"temperature": object()},
            "options: Expected `float`, got `object` - at `options.temperature`",
        ),
        ({"stop": [object()]}, "options: Expected `str`, got `object` - at `options.stop[0]`"),
        ({"num_ctx": "lots"}, "options: Expected `int`, got `str` - at `options.num_ctx`"),
        (
            {"temprature": object()},
            "options: the value of the unknown option 'temprature' cannot be sent as JSON: "
            "Encoding objects of type object is unsupported",
        ),
    ],
    ids=["object", "object-in-list", "str-for-int", "unknown-key-object"],
)
async def test_options_that_cannot_be_serialised_client(
    options: dict[str, Any], message: str, fake: FakeOllamaServer
) -> None:
    async with AsyncClient(fake.base_url) as client:
        with pytest.raises(OllamaRequestError) as info:
            await client.generate(MODEL, "hi", options=options)
    assert str(info.value) == message
    assert_untouched(fake)


async def test_options_that_cannot_be_serialised_service(fake: FakeOllamaServer) -> None:
    async with OllamaService(fake.base_url, default_model=MODEL) as service:
        with pytest.raises(OllamaRequestError) as info:
            await service.generate(None, "hi", temperature=object())
        with pytest.raises(TypeError) as unknown:
            await service.generate(None, "hi", temprature=0.5)
    assert str(info.value) == "options: Expected `float`, got `object` - at `options.temperature`"
    assert str(unknown.value) == (
        "generate() got an unexpected keyword argument 'temprature'; did you mean 'temperature'?"
    )
    assert_untouched(fake)


@pytest.mark.parametrize("kind", KINDS)
async def test_keep_alive_without_a_unit(kind: str, fake: FakeOllamaServer) -> None:
    async with Api(kind, fake.base_url) as api:
        with pytest.raises(OllamaRequestError) as info:
            await api.generate("hi", keep_alive="300")
    assert str(info.value) == (
        "keep_alive '300' is not a duration: use a number of seconds or a string with a unit "
        "such as '5m' or '1h'; did you mean 300s or the number 300?"
    )
    assert_untouched(fake)


async def test_negative_timeout(fake: FakeOllamaServer) -> None:
    message = "timeout must be a non-negative number of seconds, got -1"
    with pytest.raises(OllamaRequestError) as client_error:
        AsyncClient(fake.base_url, timeout=-1)
    with pytest.raises(OllamaRequestError) as service_error:
        OllamaService(fake.base_url, timeout=-1, default_model=MODEL)
    async with AsyncClient(fake.base_url) as client:
        with pytest.raises(OllamaRequestError) as per_call_error:
            client.with_options(timeout=-1)
    assert str(client_error.value) == message
    assert str(service_error.value) == message
    assert str(per_call_error.value) == message
    assert_untouched(fake)


async def test_negative_timeout_from_the_environment(
    fake: FakeOllamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_TIMEOUT", "-1")
    monkeypatch.setenv("OLLAMA_BASE_URL", fake.base_url)
    with pytest.raises(OllamaRequestError) as info:
        OllamaService()
    assert str(info.value) == (
        "invalid Ollama settings: OLLAMA_TIMEOUT='-1': Input should be greater than 0"
    )
    assert_untouched(fake)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("127.0.0.1:notaport", "port 'notaport' is not a number"),
        ("127.0.0.1:70000", "port 70000 is outside 1-65535"),
        ("ftp://127.0.0.1:11434", "unsupported scheme 'ftp' (use http or https)"),
    ],
)
async def test_malformed_ollama_host(
    value: str, reason: str, fake: FakeOllamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", value)
    with pytest.raises(OllamaRequestError) as client_error:
        AsyncClient()
    with pytest.raises(OllamaRequestError) as service_error:
        OllamaService(default_model=MODEL)
    with pytest.raises(OllamaRequestError) as settings_error:
        load_settings()
    detail = f"{value!r} is not a valid Ollama host: {reason}"
    assert str(client_error.value) == f"OLLAMA_HOST={detail}"
    assert str(service_error.value) == f"invalid Ollama settings: OLLAMA_HOST={value!r}: {detail}"
    assert str(settings_error.value) == str(service_error.value)
    assert_untouched(fake)
