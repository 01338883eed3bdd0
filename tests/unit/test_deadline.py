"""The deadline arithmetic, the URL user-info split and frame release: pure, with tables."""

from __future__ import annotations

import base64
import gc
import weakref
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ollama_service._deadline import (
    DeadlineExpired,
    bounded,
    cap_timeout,
    current,
    expired,
    expiry,
    remaining,
)
from ollama_service._error_builders import deadline_error
from ollama_service._errors import OllamaRequestError, OllamaServiceError, OllamaTimeoutError
from ollama_service._host import split_credentials
from ollama_service._http_config import check_deadline
from ollama_service._retry import should_retry
from ollama_service._retry_loop import release_frames


def test_expiry_and_remaining() -> None:
    assert expiry(None) is None
    assert expiry(2.5, now=10.0) == 12.5
    assert remaining(12.5, now=10.0) == 2.5
    assert remaining(12.5, now=20.0) == 0.0
    assert not expired(None)
    assert not expired(12.5, now=12.0)
    assert expired(12.5, now=12.5)


CAPS = [
    pytest.param(httpx.Timeout(300.0, connect=10.0), 12.0, httpx.Timeout(2.0, connect=2.0), id="all-capped"),
    pytest.param(httpx.Timeout(1.0), 12.0, httpx.Timeout(1.0), id="shorter-bounds-kept"),
    pytest.param(httpx.Timeout(None), 12.0, httpx.Timeout(2.0), id="unbounded-becomes-bounded"),
]  # fmt: skip


@pytest.mark.parametrize(("timeout", "expires", "capped"), CAPS)
def test_cap_timeout(timeout: httpx.Timeout, expires: float, capped: httpx.Timeout) -> None:
    assert cap_timeout(timeout, expires, now=10.0) == capped


def test_cap_timeout_without_a_deadline_or_time_left() -> None:
    timeout = httpx.Timeout(5.0)
    assert cap_timeout(timeout, None) is timeout
    with pytest.raises(DeadlineExpired):
        cap_timeout(timeout, 10.0, now=10.0)


def test_bounded_nests_with_the_earlier_expiry_winning() -> None:
    assert current() is None
    with bounded(100.0):
        assert current() == 100.0
        with bounded(200.0):
            assert current() == 100.0
        with bounded(50.0):
            assert current() == 50.0
        assert current() == 100.0
    assert current() is None


@pytest.mark.parametrize("value", [0, -1, float("nan"), "5", True])
def test_check_deadline_rejects(value: object) -> None:
    with pytest.raises(OllamaRequestError, match="deadline"):
        check_deadline(value)


def test_check_deadline_accepts() -> None:
    assert check_deadline(None) is None
    assert check_deadline(1) == 1.0
    assert check_deadline(float("inf")) is None


def test_deadline_error_is_a_timeout_with_its_own_phase_and_never_retried() -> None:
    error = deadline_error("http://u:secret@h:1/api/chat", 2.5)
    assert isinstance(error, OllamaTimeoutError)
    assert error.phase == "deadline"
    assert error.timeout == 2.5
    assert "secret" not in str(error)
    assert "deadline of 2.5s" in str(error)
    assert not should_retry(error, idempotent=True)
    assert "first streamed item" in str(deadline_error("http://h:1", 1, stream=True))


def _basic(userinfo: str) -> str:
    return "Basic " + base64.b64encode(userinfo.encode()).decode()


SPLITS = [
    pytest.param("http://127.0.0.1:11434", "http://127.0.0.1:11434", None, id="none"),
    pytest.param("http://user:pass@127.0.0.1:11434", "http://127.0.0.1:11434", _basic("user:pass"), id="user-pass"),
    pytest.param("https://user@h:443/prefix", "https://h:443/prefix", _basic("user:"), id="user-only"),
    pytest.param("http://u%40x:p%3Aw@h:1", "http://h:1", _basic("u@x:p:w"), id="percent-escapes"),
    pytest.param("http://u:p@ss@h:1", "http://h:1", _basic("u:p@ss"), id="at-in-password"),
    pytest.param("http://[::1]:1/a@b", "http://[::1]:1/a@b", None, id="at-in-path"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "bare", "header"), SPLITS)
def test_split_credentials(url: str, bare: str, header: str | None) -> None:
    assert split_credentials(url) == (bare, header)


_FAILING_SOURCE = """
def fail(held, error):
    kept = []
    try:
        raise error
    except BaseException as exc:
        kept.append(exc)  # exc -> traceback -> this frame -> kept -> exc: a cycle
        raise
"""


def _compile_in(module: str) -> Callable[[object, BaseException], None]:
    namespace: dict[str, Any] = {"__name__": module}
    exec(_FAILING_SOURCE, namespace)
    function: Callable[[object, BaseException], None] = namespace["fail"]
    return function


@pytest.mark.parametrize(
    ("module", "freed"),
    [("ollama_service._probe", True), ("httpcore._probe", True), ("users_app", False)],
)
def test_release_frames_clears_only_our_frames(module: str, freed: bool) -> None:
    """A failure kept in a frame's local (as a retry loop keeps it) is a reference cycle; after
    `release_frames` it is freed by reference counting alone. A caller's frames are kept."""

    class Held:
        pass

    fail = _compile_in(module)
    held = Held()
    probe = weakref.ref(held)
    gc.disable()
    try:
        try:
            fail(held, OllamaServiceError("boom"))
        except OllamaServiceError as exc:
            release_frames(exc)
        del held
        assert (probe() is None) is freed
    finally:
        gc.enable()
        gc.collect()
