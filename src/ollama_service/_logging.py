"""The SDK's structured log events, on a named logger that is silent by default.

A library must not decide where logs go. Events are built with structlog and
handed to the standard library logger named ``ollama_service``, with their
fields in ``extra``; that logger has only a ``NullHandler``, so nothing is
printed unless the application configures logging (or structlog) itself.
Nothing is configured globally, and nothing happens at import time.

Each record reads well under any set-up. ``record.msg`` is the event name
(``record.msg == "ollama.retry"``), but rendered, as ``%(message)s`` does, it
carries its fields: ``ollama.retry method=POST path=/api/chat attempt=1
delay=1.0 error=OllamaServerBusyError ...``, so a bare ``logging.basicConfig``
shows what happened. The same fields are record attributes (``record.attempt``),
plus ``record.event``, for structlog's ``ExtraAdder`` and JSON handlers.

What is logged is deliberately narrow: method, path, status, timings, counts,
the model name, and an error's class and message. Request bodies, prompts,
messages, images and headers (``Authorization`` above all) are never logged.

Each helper asks ``isEnabledFor`` first, so a disabled level costs one cached
check and no event is built.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, cast

from ._constants import LOGGER_NAME
from ._redact import redact_url

if TYPE_CHECKING:
    import structlog

__all__ = [
    "LogEvent",
    "get_logger",
    "log_request",
    "log_retry",
    "log_stream_end",
    "log_unknown_value",
    "render_line",
]

_stdlib_logger: logging.Logger | None = None
_logger: structlog.stdlib.BoundLogger | None = None


def _stdlib() -> logging.Logger:
    global _stdlib_logger
    if _stdlib_logger is None:
        logger = logging.getLogger(LOGGER_NAME)
        if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
            # Stops logging's last-resort handler from printing our warnings to stderr.
            logger.addHandler(logging.NullHandler())
        _stdlib_logger = logger
    return _stdlib_logger


def _render_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Enough digits to read, not the 17 of a float's repr.
        return repr(round(value, 3))
    text = str(value)
    if not text or any(c in text for c in ' ="\\') or not text.isprintable():
        return json.dumps(text, ensure_ascii=False)
    return text


def render_line(event: str, fields: Mapping[str, object]) -> str:
    """One log line, logfmt-style: the event, then ``key=value`` for every field that is set.

    Values with spaces, quotes or ``=`` are JSON-quoted; floats are rounded to 3 decimals; None
    values are left out.

    Examples:
        >>> render_line("ollama.retry", {"attempt": 1, "delay": 1.0, "model": None})
        'ollama.retry attempt=1 delay=1.0'
    """
    parts = [event]
    parts.extend(f"{k}={_render_value(v)}" for k, v in fields.items() if v is not None)
    return " ".join(parts)


class LogEvent(str):
    """A record's message: equal to the event name, printed as the event with its fields.

    `logging` renders a message with `str(record.msg)`, so a plain handler prints the whole
    line, while code that compares `record.msg == "ollama.retry"` keeps working.
    """

    fields: Mapping[str, object]

    def __new__(cls, event: str, fields: Mapping[str, object] | None = None) -> LogEvent:
        obj = super().__new__(cls, event)
        obj.fields = {} if fields is None else fields
        return obj

    def __str__(self) -> str:
        return render_line(str.__str__(self), self.fields)


# Record attributes kept for code written against earlier releases, left out of the line.
_EXTRA_ONLY = frozenset({"error_type"})


def _to_log_kwargs(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> dict[str, Any]:
    """structlog's last processor: a `LogEvent` message, the fields (and the event) as `extra`."""
    event = str(event_dict.pop("event"))
    kwargs: dict[str, Any] = {}
    for key in ("exc_info", "stack_info", "stacklevel"):
        if key in event_dict:
            kwargs[key] = event_dict.pop(key)
    shown = {k: v for k, v in event_dict.items() if k not in _EXTRA_ONLY}
    kwargs["msg"] = LogEvent(event, shown)
    kwargs["extra"] = {**event_dict, "event": event}
    return kwargs


def get_logger() -> structlog.stdlib.BoundLogger:
    """The SDK's structlog logger, built on first use.

    Returns:
        A bound logger whose events reach the ``ollama_service`` stdlib logger,
        a `LogEvent` as the message and the fields in ``extra``.
    """
    global _logger
    if _logger is None:
        # Imported here: structlog is the costliest import of the package, and an application
        # that never enables our log level never needs it.
        import structlog

        _logger = cast(
            "structlog.stdlib.BoundLogger",
            structlog.wrap_logger(
                _stdlib(),
                processors=[_to_log_kwargs],
                wrapper_class=structlog.stdlib.BoundLogger,
            ),
        )
    return _logger


def log_request(
    *,
    method: str,
    path: str,
    status: int | None,
    duration_ms: float,
    attempt: int,
    model: str | None,
) -> None:
    """Record one HTTP exchange (DEBUG, event ``ollama.request``).

    Args:
        method: HTTP method.
        path: URL path, without host or query.
        status: HTTP status, or None when no response arrived.
        duration_ms: Time to the response headers, in milliseconds.
        attempt: Which attempt this was, starting at 1.
        model: The model the request named, if any.
    """
    if not _stdlib().isEnabledFor(logging.DEBUG):
        return
    get_logger().debug(
        "ollama.request",
        method=method,
        path=path,
        status=status,
        duration_ms=duration_ms,
        attempt=attempt,
        model=model,
    )


def log_stream_end(
    *,
    path: str,
    model: str | None,
    chunks: int,
    eval_count: int | None,
    eval_duration_ns: int | None,
) -> None:
    """Record the end of a stream with its throughput (DEBUG, event ``ollama.stream_end``).

    Args:
        path: URL path of the streaming endpoint.
        model: The model that generated, if any.
        chunks: How many items the stream yielded.
        eval_count: Generated tokens, from the final chunk, if reported.
        eval_duration_ns: Generation time in nanoseconds, if reported.
    """
    if not _stdlib().isEnabledFor(logging.DEBUG):
        return
    tokens_per_second: float | None = None
    if eval_count is not None and eval_duration_ns:
        tokens_per_second = eval_count / (eval_duration_ns / 1e9)
    get_logger().debug(
        "ollama.stream_end",
        path=path,
        model=model,
        chunks=chunks,
        eval_count=eval_count,
        eval_duration_ns=eval_duration_ns,
        tokens_per_second=tokens_per_second,
    )


def log_retry(*, method: str, path: str, attempt: int, delay: float, error: BaseException) -> None:
    """Record that a failed attempt will be retried (WARNING, event ``ollama.retry``).

    Args:
        method: HTTP method.
        path: URL path, without host or query.
        attempt: The attempt that failed, starting at 1.
        delay: Seconds until the next attempt.
        error: What the attempt raised; only its class name (``error``, also
            ``error_type``) and its message (``error_message``, URL passwords masked) are logged.
    """
    if not _stdlib().isEnabledFor(logging.WARNING):
        return
    get_logger().warning(
        "ollama.retry",
        method=method,
        path=path,
        attempt=attempt,
        delay=delay,
        error=type(error).__name__,
        error_message=redact_url(str(error)),
        error_type=type(error).__name__,
    )


def log_unknown_value(message: str, *, argument: str, value: str) -> None:
    """Record a value we do not know but send anyway (WARNING; the message is the event).

    Servers newer than our spec accept options and think levels we have never heard of, so
    they are sent as they are; the warning carries the typo hint in case it is a typo.

    Args:
        message: E.g. "unknown option 'temprature'; did you mean 'temperature'?".
        argument: The argument it came from (`options`, `think`).
        value: The unknown key or value.
    """
    if not _stdlib().isEnabledFor(logging.WARNING):
        return
    get_logger().warning(message, argument=argument, value=value)
