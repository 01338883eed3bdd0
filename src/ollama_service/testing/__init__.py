"""Test helpers: :class:`FakeOllamaServer`, a fake Ollama server on real sockets.

Standard library only, so importing it adds no dependency::

    from ollama_service.testing import FakeOllamaServer

    with FakeOllamaServer() as server:
        ...  # point a client at server.base_url
"""

from ollama_service.testing._faults import Faults
from ollama_service.testing._models import FakeModel
from ollama_service.testing._server import FakeOllamaServer, RecordedRequest, ServerStats

__all__ = [
    "FakeModel",
    "FakeOllamaServer",
    "Faults",
    "RecordedRequest",
    "ServerStats",
]
