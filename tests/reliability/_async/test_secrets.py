"""The API key never shows: not in logs (DEBUG, during requests and retries), not in reprs,
not in exception messages, not in `str(settings)`. The server does receive it, which proves
each case really used it."""

from __future__ import annotations

import base64
import logging

import pytest

from ollama_service import AsyncClient, OllamaService, OllamaServiceError
from ollama_service._settings import load_settings
from ollama_service.testing import FakeOllamaServer

from ._support import KINDS, MODEL, Api, CountingServer, retry_records, text_of

pytestmark = pytest.mark.anyio

KEY = "sk-reliability-7f3a9c1e5b2d4086"


def leaks(text: str) -> bool:
    return KEY in text


def assert_no_key_in_records(caplog: pytest.LogCaptureFixture) -> None:
    assert caplog.records, "nothing was logged, so nothing was checked"
    for record in caplog.records:
        assert not leaks(record.getMessage()), record
        assert not leaks(repr(record.__dict__)), record
    assert not leaks(caplog.text)


def assert_no_key_in_error(exc: BaseException) -> None:
    chain: BaseException | None = exc
    while chain is not None:
        assert not leaks(str(chain)), chain
        assert not leaks(repr(chain)), chain
        chain = chain.__cause__ or chain.__context__


@pytest.mark.parametrize("kind", KINDS)
async def test_key_not_in_debug_logs_requests_and_retries(
    kind: str, fake: FakeOllamaServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    fake.faults.busy(1)
    async with Api(kind, fake.base_url, api_key=KEY, max_retries=2) as api:
        await api.generate("hello")
        fake.faults.fail_next(1, 500, '{"error":"boom"}')
        with pytest.raises(OllamaServiceError) as info:
            await api.generate("boom")
        stream = await api.stream("streamed")
        async with stream:
            assert [text_of(item) async for item in stream]
    assert_no_key_in_records(caplog)
    assert_no_key_in_error(info.value)
    assert len(retry_records(caplog)) == 1
    assert any(r.msg == "ollama.request" for r in caplog.records)
    assert {r.headers["authorization"] for r in fake.requests} == {f"Bearer {KEY}"}


@pytest.mark.parametrize("kind", KINDS)
async def test_key_not_in_connection_and_timeout_errors(
    kind: str, refused_url: str, black_hole: CountingServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    async with Api(kind, refused_url, api_key=KEY, max_retries=1) as api:
        with pytest.raises(OllamaServiceError) as refused:
            await api.generate("hello")
        errors.append(refused.value)
        assert not leaks(repr(api.client))
    async with Api(kind, black_hole.base_url, api_key=KEY, max_retries=1, timeout=0.2) as api:
        with pytest.raises(OllamaServiceError) as timed_out:
            await api.generate("hello")
        errors.append(timed_out.value)
    for exc in errors:
        assert_no_key_in_error(exc)
    assert_no_key_in_records(caplog)


async def test_key_not_in_reprs(fake: FakeOllamaServer) -> None:
    async with AsyncClient(fake.base_url, api_key=KEY) as client:
        service = OllamaService(client=client, default_model=MODEL)
        per_call = client.with_options(max_retries=0)
        stream = await client.generate(MODEL, "hi", stream=True)
        async with stream:
            for shown in (repr(client), str(client), repr(service), repr(per_call), repr(stream)):
                assert not leaks(shown), shown
        assert "authorization=***" in repr(client)
        await client.version()
    assert fake.requests[-1].headers["authorization"] == f"Bearer {KEY}"


async def test_key_from_the_environment_not_in_settings_or_service(
    fake: FakeOllamaServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("OLLAMA_API_KEY", KEY)
    monkeypatch.setenv("OLLAMA_BASE_URL", fake.base_url)
    monkeypatch.setenv("OLLAMA_DEFAULT_MODEL", MODEL)
    settings = load_settings()
    for shown in (
        str(settings),
        repr(settings),
        repr(settings.model_dump()),
        settings.model_dump_json(),
    ):
        assert not leaks(shown), shown
    assert settings.api_key_value() == KEY

    async with OllamaService(settings=settings) as service:
        for shown in (repr(service), repr(service.client), repr(service.settings)):
            assert not leaks(shown), shown
        assert await service.generate(None, "hello")
    async with AsyncClient() as client:  # the client reads OLLAMA_API_KEY itself
        assert not leaks(repr(client))
        await client.version()
    assert {r.headers["authorization"] for r in fake.requests} == {f"Bearer {KEY}"}
    assert_no_key_in_records(caplog)


async def test_key_not_in_settings_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_API_KEY", KEY)
    monkeypatch.setenv("OLLAMA_TIMEOUT", "soon")
    with pytest.raises(OllamaServiceError) as info:
        load_settings()
    assert str(info.value).startswith("invalid Ollama settings: OLLAMA_TIMEOUT='soon': ")
    assert_no_key_in_error(info.value)


async def test_password_in_host_url_not_in_reprs(fake: FakeOllamaServer) -> None:
    url = fake.base_url.replace("http://", f"http://user:{KEY}@")
    async with AsyncClient(url) as client:
        service = OllamaService(client=client, default_model=MODEL)
        assert not leaks(repr(client))
        assert not leaks(repr(service))


@pytest.mark.parametrize("kind", KINDS)
async def test_password_in_host_url_never_logged_and_sent_as_basic_auth(
    kind: str, fake: FakeOllamaServer, caplog: pytest.LogCaptureFixture, http_backend: str
) -> None:
    """httpx logged `HTTP Request: POST http://user:pass@...`: the user-info now travels as a
    `Basic` header, so no logger (ours, httpx's, httpcore's, at DEBUG) can show it."""
    caplog.set_level(logging.DEBUG)  # every logger
    url = fake.base_url.replace("http://", f"http://ollama-user:{KEY}@")
    fake.faults.busy(1)
    async with Api(kind, url, max_retries=2) as api:
        assert api.client.base_url == fake.base_url
        await api.generate("hello")
        stream = await api.stream("streamed")
        async with stream:
            assert [text_of(item) async for item in stream]
        fake.faults.fail_next(1, 500, '{"error":"boom"}')
        with pytest.raises(OllamaServiceError) as info:
            await api.generate("boom")
    assert_no_key_in_records(caplog)
    assert_no_key_in_error(info.value)
    assert any(record.name == "httpx" for record in caplog.records)
    if http_backend == "httpx":  # the fast back-ends' libraries log less, or nothing
        assert any(record.name.startswith("httpcore") for record in caplog.records)
    expected = "Basic " + base64.b64encode(f"ollama-user:{KEY}".encode()).decode()
    assert {r.headers["authorization"] for r in fake.requests} == {expected}


async def test_password_in_host_url_wins_over_the_api_key_and_loses_to_headers(
    fake: FakeOllamaServer,
) -> None:
    url = fake.base_url.replace("http://", "http://u:p@")
    basic = "Basic " + base64.b64encode(b"u:p").decode()
    async with AsyncClient(url, api_key=KEY) as client:
        await client.version()
    async with AsyncClient(url, headers={"Authorization": "Bearer explicit"}) as client:
        await client.version()
    assert [r.headers["authorization"] for r in fake.requests] == [basic, "Bearer explicit"]
