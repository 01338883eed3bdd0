"""The SDK's structured log events, on a named logger that is silent by default.

A library must not decide where logs go. Events are built with structlog and
handed to the standard library logger named ``ollama_service``, with their
fields in ``extra``; that logger has only a ``NullHandler``, so nothing is
printed unless the application configures logging (or structlog) itself.
Nothing is configured globally, and nothing happens at import time.

What is logged is deliberately narrow: method, path, status, timings, counts,
the model name, and an error's class and message. Request bodies, prompts,
messages, images and headers (``Authorization`` above all) are never logged.

Each helper asks ``isEnabledFor`` first, so a disabled level costs one cached
check and no event is built.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

from ._constants import LOGGER_NAME
from ._errors import redact_url

if TYPE_CHECKING:
    import structlog

__all__ = ["get_logger", "log_request", "log_retry", "log_stream_end"]

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


def get_logger() -> structlog.stdlib.BoundLogger:
    """The SDK's structlog logger, built on first use.

    Returns:
        A bound logger whose events reach the ``ollama_service`` stdlib logger,
        event name as the message and fields in ``extra``.
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
                processors=[structlog.stdlib.render_to_log_kwargs],
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
        error: What the attempt raised; only its class name and message are logged.
    """
    if not _stdlib().isEnabledFor(logging.WARNING):
        return
    get_logger().warning(
        "ollama.retry",
        method=method,
        path=path,
        attempt=attempt,
        delay=delay,
        error_type=type(error).__name__,
        error=redact_url(str(error)),
    )
