"""One sync `Client` shared by 16 threads, 2,000 calls in all: no errors, no cross-talk.

Every prompt is unique and the fake server's reply quotes it, so a reply delivered to the
wrong caller would not contain the caller's prompt. The load runs once (module fixture) and
two tests read its outcome.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import pytest

from ollama_service import Client
from ollama_service.testing import FakeOllamaServer, ServerStats

from ._async._support import MODEL

pytestmark = pytest.mark.slow  # 2,000 calls from 16 threads

THREADS = 16
CALLS = 2_000
PER_THREAD = CALLS // THREADS
POOL_TOTAL = 10  # Client's default: max_connections=5 allows 10 open, all kept alive
# httpcore's sync pool (1.0.9) can close a socket under the thread reading it (see
# ollama_service/_httpcore_guard.py); bare httpx shows it about 1 call in 500, and under CPU
# load a call can then wait for its whole read timeout. Our clients guard their pool, so no
# call is retried and no socket is closed under a reader.
IDLE_REPLACEMENTS = 2


@dataclass(frozen=True)
class _Outcome:
    answers: dict[int, list[tuple[str, str]]]
    errors: list[BaseException]
    retries: int
    stats: ServerStats
    idle: bool


class _RetryCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "ollama.retry":
            with self._lock:
                self.count += 1


@pytest.fixture(scope="module")
def outcome() -> _Outcome:
    logger = logging.getLogger("ollama_service")
    counter = _RetryCounter()
    old_level = logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.WARNING)
    answers: dict[int, list[tuple[str, str]]] = {n: [] for n in range(THREADS)}
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)
    try:
        with (
            FakeOllamaServer() as server,
            Client(server.base_url, retry_min_backoff=0, retry_max_backoff=0) as client,
        ):

            def work(number: int) -> None:
                start.wait()
                for call in range(PER_THREAD):
                    prompt = f"thread {number} call {call}"
                    try:
                        reply = client.generate(MODEL, prompt)
                    except BaseException as exc:  # collected, asserted on in the test
                        errors.append(exc)
                    else:
                        answers[number].append((prompt, reply.response))

            threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
            assert not any(thread.is_alive() for thread in threads), "a worker thread hung"
            client.close()
            idle = server.wait_for_idle(5.0)
            stats = server.stats
    finally:
        logger.removeHandler(counter)
        logger.setLevel(old_level)
    return _Outcome(answers, errors, counter.count, stats, idle)


def test_16_threads_2000_calls_no_errors_no_cross_talk(outcome: _Outcome) -> None:
    print(f"{outcome.stats}, retries logged: {outcome.retries}")  # shown with -s or -rP
    assert outcome.errors == []
    for number, pairs in outcome.answers.items():
        assert len(pairs) == PER_THREAD
        assert [prompt for prompt, _ in pairs] == [
            f"thread {number} call {call}" for call in range(PER_THREAD)
        ]
        for prompt, reply in pairs:
            assert reply == FakeOllamaServer.reply_for(prompt)
    assert outcome.stats.requests_handled >= CALLS
    assert outcome.idle


def test_16_threads_reuse_the_pool(outcome: _Outcome) -> None:
    """Connections are reused: none is replaced, none is closed under a busy thread.

    Before the pool kept all its connections alive, httpcore closed an idle one whenever more
    than `max_keepalive_connections` were open, and 2,000 calls opened ~1,000-2,000 of them.
    """
    assert outcome.retries == 0
    assert outcome.stats.peak_open <= POOL_TOTAL
    # Not yet strict: under CPU load one run in four still replaced one idle connection (0
    # retries, 0 errors, peak 10). Likely httpcore's pass computing "available" and "idle" at
    # two moments, then closing an idle connection "to make room" (encode/httpcore#1110). An
    # idle connection is closed, no request is affected; see the issue-9 report.
    assert outcome.stats.connections_opened <= POOL_TOTAL + IDLE_REPLACEMENTS
