"""The SDK's log events (ollama_service._logging)."""

from __future__ import annotations

import json
import logging
import pickle
import subprocess
import sys
import textwrap

import pytest
import structlog

from ollama_service import _logging
from ollama_service._constants import LOGGER_NAME
from ollama_service._errors import OllamaConnectionError, OllamaServerBusyError
from ollama_service._http_config import build_headers
from ollama_service._logging import get_logger, log_request, log_retry, log_stream_end


def _run_isolated(code: str) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter, where logging has no handlers at all."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
    )


def test_silent_in_a_fresh_process() -> None:
    """Without application logging config, even warnings print nothing (no last-resort output)."""
    result = _run_isolated(
        """
        from ollama_service._errors import OllamaServerBusyError
        from ollama_service._logging import log_request, log_retry, log_stream_end
        log_request(method="GET", path="/api/tags", status=200, duration_ms=1.0, attempt=1, model=None)
        log_stream_end(path="/api/chat", model="m", chunks=3, eval_count=2, eval_duration_ns=10)
        log_retry(method="POST", path="/api/chat", attempt=1, delay=0.5, error=OllamaServerBusyError("busy"))
        """
    )
    assert result.stdout == ""
    assert result.stderr == ""


def test_import_configures_nothing() -> None:
    """Importing creates no logger, adds no handler and leaves structlog unconfigured."""
    result = _run_isolated(
        """
        import logging, structlog
        import ollama_service._logging
        created = logging.Logger.manager.loggerDict.get("ollama_service")
        assert not isinstance(created, logging.Logger)
        assert logging.getLogger().handlers == []
        assert not structlog.is_configured()
        print("ok")
        """
    )
    assert result.stdout.strip() == "ok"


def test_nothing_printed_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    """The helpers never print."""
    log_retry(method="POST", path="/api/chat", attempt=1, delay=1.0, error=OllamaServerBusyError())
    log_request(method="GET", path="/", status=200, duration_ms=1.0, attempt=1, model=None)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_only_a_null_handler_is_attached() -> None:
    """The library adds a NullHandler to its own logger and nothing else anywhere."""
    get_logger()
    handlers = logging.getLogger(LOGGER_NAME).handlers
    assert [type(h) for h in handlers] == [logging.NullHandler]
    assert not structlog.is_configured()


def _only_record(caplog: pytest.LogCaptureFixture) -> logging.LogRecord:
    records = [r for r in caplog.records if r.name == LOGGER_NAME]
    assert len(records) == 1
    return records[0]


def _fields(record: logging.LogRecord, *names: str) -> dict[str, object]:
    """The structured fields, which structlog passed to the record as `extra`."""
    return {name: getattr(record, name) for name in names}


def test_log_request_fields(caplog: pytest.LogCaptureFixture) -> None:
    """The event name is the message; the fields arrive as record attributes."""
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    log_request(
        method="POST", path="/api/chat", status=200, duration_ms=12.5, attempt=2, model="llama3"
    )
    record = _only_record(caplog)
    assert record.levelno == logging.DEBUG
    assert record.msg == "ollama.request"
    assert record.getMessage() == (
        "ollama.request method=POST path=/api/chat status=200 duration_ms=12.5 attempt=2 model=llama3"
    )
    fields = {
        k: getattr(record, k)
        for k in ("method", "path", "status", "duration_ms", "attempt", "model")
    }
    assert fields == {
        "method": "POST",
        "path": "/api/chat",
        "status": 200,
        "duration_ms": 12.5,
        "attempt": 2,
        "model": "llama3",
    }


@pytest.mark.parametrize(
    ("eval_count", "eval_duration_ns", "tokens_per_second"),
    [
        pytest.param(100, 2_000_000_000, 50.0, id="computed"),
        pytest.param(None, 2_000_000_000, None, id="no-count"),
        pytest.param(100, None, None, id="no-duration"),
        pytest.param(100, 0, None, id="zero-duration"),
    ],
)
def test_log_stream_end_fields(
    caplog: pytest.LogCaptureFixture,
    eval_count: int | None,
    eval_duration_ns: int | None,
    tokens_per_second: float | None,
) -> None:
    """Throughput is reported when the final chunk carried the metrics."""
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    log_stream_end(
        path="/api/generate",
        model="m",
        chunks=7,
        eval_count=eval_count,
        eval_duration_ns=eval_duration_ns,
    )
    record = _only_record(caplog)
    assert record.msg == "ollama.stream_end"
    assert record.getMessage().startswith("ollama.stream_end path=/api/generate model=m chunks=7")
    assert _fields(record, "chunks", "eval_count", "tokens_per_second") == {
        "chunks": 7,
        "eval_count": eval_count,
        "tokens_per_second": tokens_per_second,
    }


def test_log_retry_fields(caplog: pytest.LogCaptureFixture) -> None:
    """A retry is a warning naming the error's class and message."""
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    log_retry(
        method="POST", path="/api/chat", attempt=1, delay=2.5, error=OllamaServerBusyError("busy")
    )
    record = _only_record(caplog)
    assert record.levelno == logging.WARNING
    assert record.msg == "ollama.retry"
    assert _fields(record, "event", "attempt", "delay", "error", "error_message", "error_type") == {
        "event": "ollama.retry",
        "attempt": 1,
        "delay": 2.5,
        "error": "OllamaServerBusyError",
        "error_message": "busy (status code: 503)",
        "error_type": "OllamaServerBusyError",
    }


def test_log_retry_leaks_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    """Neither the API key nor a password from the URL reaches the log record."""
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    headers = build_headers(api_key="sk-very-secret", headers={"Cookie": "session=abc123"})
    assert headers["authorization"] == "Bearer sk-very-secret"
    error = OllamaConnectionError(
        "Could not connect to Ollama at http://me:hunter2@h:80: connection refused.",
        url="http://me:hunter2@h:80",
    )
    log_retry(method="POST", path="/api/chat", attempt=1, delay=1.0, error=error)
    record = _only_record(caplog)
    dumped = repr(vars(record)) + record.getMessage() + caplog.text
    for secret in ("sk-very-secret", "Bearer", "hunter2", "abc123"):
        assert secret not in dumped


def test_disabled_levels_build_no_event(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below the logger's level the helpers return before touching structlog."""
    caplog.set_level(logging.ERROR, logger=LOGGER_NAME)

    def explode() -> None:
        raise AssertionError("structlog used while disabled")

    monkeypatch.setattr(_logging, "get_logger", explode)
    log_request(method="GET", path="/", status=200, duration_ms=1.0, attempt=1, model=None)
    log_stream_end(path="/", model=None, chunks=0, eval_count=None, eval_duration_ns=None)
    log_retry(method="GET", path="/", attempt=1, delay=0.0, error=OllamaServerBusyError())
    assert caplog.records == []


def test_get_logger_is_built_once() -> None:
    """The wrapped logger is cached after first use."""
    assert get_logger() is get_logger()


def test_plain_basic_config_shows_the_fields() -> None:
    """`logging.basicConfig` alone prints each event with its fields on one line."""
    result = _run_isolated(
        """
        import logging, sys
        logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="%(levelname)s %(message)s")
        from ollama_service._errors import OllamaServerBusyError
        from ollama_service._logging import log_request, log_retry
        log_retry(method="POST", path="/api/chat", attempt=2, delay=1.0, error=OllamaServerBusyError("server busy"))
        log_request(method="GET", path="/api/tags", status=None, duration_ms=0.25, attempt=1, model=None)
        """
    )
    assert result.stdout.splitlines() == [
        "WARNING ollama.retry method=POST path=/api/chat attempt=2 delay=1.0 "
        'error=OllamaServerBusyError error_message="server busy (status code: 503)"',
        # None values (no status, no model) are left out of the line.
        "DEBUG ollama.request method=GET path=/api/tags duration_ms=0.25 attempt=1",
    ]


def test_structlog_extra_adder_sees_the_event_and_fields() -> None:
    """With structlog's ProcessorFormatter and ExtraAdder, the event is its name, fields are keys."""
    result = _run_isolated(
        """
        import json, logging, sys
        import structlog
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(
            structlog.stdlib.ProcessorFormatter(
                processors=[
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.JSONRenderer(),
                ],
                foreign_pre_chain=[structlog.stdlib.ExtraAdder()],
            )
        )
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
        from ollama_service._errors import OllamaServerBusyError
        from ollama_service._logging import log_retry
        log_retry(method="POST", path="/api/chat", attempt=1, delay=0.5, error=OllamaServerBusyError("busy"))
        """
    )
    assert json.loads(result.stdout) == {
        "event": "ollama.retry",
        "method": "POST",
        "path": "/api/chat",
        "attempt": 1,
        "delay": 0.5,
        "error": "OllamaServerBusyError",
        "error_message": "busy (status code: 503)",
        "error_type": "OllamaServerBusyError",
    }


@pytest.mark.parametrize(
    ("fields", "line"),
    [
        pytest.param({}, "ev", id="no-fields"),
        pytest.param({"a": 1, "b": None}, "ev a=1", id="none-left-out"),
        pytest.param({"d": 1.23456}, "ev d=1.235", id="float-rounded"),
        pytest.param({"d": 2.0}, "ev d=2.0", id="float-kept"),
        pytest.param({"ok": True, "no": False}, "ev ok=true no=false", id="bools"),
        pytest.param({"m": "two words"}, 'ev m="two words"', id="space-quoted"),
        pytest.param({"m": 'a"b'}, 'ev m="a\\"b"', id="quote-escaped"),
        pytest.param({"m": "k=v"}, 'ev m="k=v"', id="equals-quoted"),
        pytest.param({"m": ""}, 'ev m=""', id="empty-quoted"),
        pytest.param({"m": "a\nb"}, 'ev m="a\\nb"', id="newline-escaped"),
        pytest.param({"m": "llama3.2:1b"}, "ev m=llama3.2:1b", id="bare"),
    ],
)
def test_render_line(fields: dict[str, object], line: str) -> None:
    assert _logging.render_line("ev", fields) == line


def test_log_event_compares_as_its_name_and_survives_pickling() -> None:
    """`record.msg == name` keeps working; a queue handler in another process can unpickle it."""
    event = _logging.LogEvent("ollama.retry", {"attempt": 1})
    assert event == "ollama.retry"
    assert str(event) == "ollama.retry attempt=1"
    copy = pickle.loads(pickle.dumps(event))
    assert copy == "ollama.retry"
    assert str(copy) == "ollama.retry attempt=1"
