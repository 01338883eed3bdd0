"""`python -m ollama_service`: the `ollama-service` command."""

from __future__ import annotations

from ollama_service.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
