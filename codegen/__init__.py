"""Development-only generators: OpenAPI spec → msgspec types, and async source → sync twin.

Nothing here is imported by the `ollama_service` package at run time.
"""
