"""``FakeOllamaServer``: a real HTTP/1.1 server on 127.0.0.1 that speaks Ollama's REST API.

The pieces: ``_listener`` (the socket), ``_handler`` (one connection), ``_core`` (what they
share), ``_api`` (the endpoints, transport-free).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from types import TracebackType

from ollama_service.testing import _responses
from ollama_service.testing._api import OllamaState
from ollama_service.testing._core import Core, RecordedRequest, ServerStats
from ollama_service.testing._faults import Faults, close
from ollama_service.testing._listener import HOST, Listener
from ollama_service.testing._models import FakeModel, default_models, model_for_name

__all__ = ["FakeOllamaServer", "RecordedRequest", "ServerStats"]

_STOP_TIMEOUT = 5.0  # bound on waiting for handler threads in stop()


class FakeOllamaServer:
    """A fake Ollama server for tests: real sockets, deterministic replies, fault switches.

    It listens on ``127.0.0.1`` on a free port and serves from a background thread. Use it as
    a context manager, or call :meth:`start` and :meth:`stop`::

        with FakeOllamaServer() as server:
            client = Client(host=server.base_url)

    It also answers ollama.com's ``/api/web_search`` and ``/api/web_fetch`` (a Bearer key is
    required, any will do), for a client whose web base URL points at it:
    ``Client(host=server.base_url, web_base_url=server.base_url, api_key="test")``.

    Args:
        models: the installed models, as :class:`FakeModel` objects or names. A name of a
            well-known model (``llama3.2``, ``qwen3``, ``nomic-embed-text``, ``llava``) gets that
            model's profile; another name gets a completion model with tools (or an embedding
            model if the name contains ``embed``). ``None`` installs those four models.
        version: what ``/api/version`` reports.
        chunk_words: stream replies word by word (``True``) or in a single chunk.
        embedding_size: the length of ``/api/embed`` vectors when ``dimensions`` is not given.
        port: the port to listen on; 0 (the default) picks a free one. ``start`` raises
            ``OSError`` when a given port is taken.
    """

    def __init__(
        self,
        models: Iterable[FakeModel | str] | None = None,
        *,
        version: str = "0.33.0",
        chunk_words: bool = True,
        embedding_size: int = 8,
        port: int = 0,
    ) -> None:
        if embedding_size < 1:
            raise ValueError(f"embedding_size must be >= 1, got {embedding_size!r}")
        resolved = (
            default_models()
            if models is None
            else [m if isinstance(m, FakeModel) else model_for_name(m) for m in models]
        )
        state = OllamaState(
            resolved, version=version, chunk_words=chunk_words, embedding_size=embedding_size
        )
        self._core = Core(state)
        self._state = state
        self._connections = self._core.connections
        self.faults = Faults(self._core.faults)
        """The fault switches (see :class:`Faults`)."""
        self._lifecycle = threading.Lock()
        self._httpd: Listener | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._port = port

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeOllamaServer:
        """Bind a free port on 127.0.0.1 and start serving. Returns ``self``.

        Raises:
            RuntimeError: if the server was stopped (a server runs once).
        """
        with self._lifecycle:
            if self._stopped:
                raise RuntimeError("a stopped FakeOllamaServer cannot be started again")
            if self._httpd is None:
                httpd = Listener(self._core, self._port)
                thread = threading.Thread(
                    target=httpd.serve,
                    name=f"FakeOllamaServer-{httpd.server_address[1]}",
                    daemon=True,
                )
                thread.start()
                self._httpd, self._thread = httpd, thread
        return self

    def stop(self) -> None:
        """Stop serving, close every client connection and join the server thread.

        Stalled responses and latency waits are released. Idempotent; never hangs.
        """
        with self._lifecycle:
            if self._stopped:
                return
            self._stopped = True
            httpd, thread = self._httpd, self._thread
        self._core.stopping.set()
        if httpd is None or thread is None:
            close(self._core.faults)
            return
        httpd.stop_serving()
        thread.join(_STOP_TIMEOUT)
        httpd.server_close()
        self._connections.shutdown_all()
        close(self._core.faults)  # after the sockets: released stalls must not answer
        self._connections.wait_idle(_STOP_TIMEOUT)

    def __enter__(self) -> FakeOllamaServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self._httpd is not None else "not started"
        return f"<FakeOllamaServer {where}>"

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._httpd is None:
            raise RuntimeError("the server is not started; call start() or use it in a with block")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, for ``Client(host=...)``."""
        return f"http://{HOST}:{self.port}"

    # -- configuration -----------------------------------------------------------------------

    @property
    def version(self) -> str:
        """What ``/api/version`` reports."""
        return self._state.version

    @version.setter
    def version(self, value: str) -> None:
        self._state.version = value

    @property
    def chunk_words(self) -> bool:
        """Whether replies stream word by word (else in one chunk)."""
        return self._state.chunk_words

    @chunk_words.setter
    def chunk_words(self, value: bool) -> None:
        self._state.chunk_words = value

    @property
    def embedding_size(self) -> int:
        """The length of embedding vectors when ``dimensions`` is not given."""
        return self._state.embedding_size

    @property
    def unknown_registry_models(self) -> set[str]:
        """Names the fake registry does not have: pulling them fails with
        ``pull model manifest: file does not exist``. Mutable; default ``{"does-not-exist"}``."""
        return self._state.unknown_registry_models

    @unknown_registry_models.setter
    def unknown_registry_models(self, names: set[str]) -> None:
        self._state.unknown_registry_models = set(names)

    # -- models and blobs --------------------------------------------------------------------

    @property
    def models(self) -> list[FakeModel]:
        """The installed models (a snapshot)."""
        return self._state.models()

    def add_model(self, model: FakeModel | str) -> FakeModel:
        """Install (or replace) a model. Returns the installed record."""
        record = model if isinstance(model, FakeModel) else model_for_name(model)
        self._state.add_model(record)
        return record

    def remove_model(self, name: str) -> bool:
        """Uninstall a model. Returns whether it was installed."""
        return self._state.remove_model(name)

    def get_model(self, name: str) -> FakeModel | None:
        """The installed model called ``name`` (case-insensitive, ``:latest`` implied)."""
        return self._state.get_model(name)

    @property
    def loaded_models(self) -> list[str]:
        """Names of the models ``/api/ps`` lists now."""
        return self._state.loaded_models()

    def add_blob(self, data: bytes) -> str:
        """Store a blob as if uploaded; returns its digest ``sha256:<hex>``."""
        return self._state.add_blob(data)

    def has_blob(self, digest: str) -> bool:
        """Whether a blob with this ``sha256:<hex>`` digest was uploaded."""
        return self._state.has_blob(digest)

    # -- expected content --------------------------------------------------------------------

    @staticmethod
    def reply_for(text: str) -> str:
        """The full reply to a prompt or last user message ``text`` (without ``format``)."""
        return _responses.reply_text(text)

    def embedding_for(self, text: str, dimensions: int | None = None) -> list[float]:
        """The normalized vector ``/api/embed`` returns for ``text``."""
        size = dimensions if dimensions else self.embedding_size
        return _responses.embedding(text, size, normalize=True)

    # -- recording and accounting ------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        core = self._core
        with core.records_lock:
            return list(core.records)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        core = self._core
        with core.records_lock:
            core.records.clear()

    @property
    def stats(self) -> ServerStats:
        """Connection and request counters (a snapshot)."""
        return self._connections.snapshot()

    def reset_stats(self) -> None:
        """Restart the counters from the connections open now."""
        self._connections.reset()

    def wait_for_idle(self, timeout: float = 5.0) -> bool:
        """Block until no client connection is open. Returns ``False`` on timeout.

        Use it to check that a client released its connections (closed them, rather than
        keeping them in its pool).
        """
        return self._connections.wait_idle(timeout)
