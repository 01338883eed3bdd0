"""Fault cases written once for `AsyncClient`/`OllamaService`; `_sync/` is generated from here."""
