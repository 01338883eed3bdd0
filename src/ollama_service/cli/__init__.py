"""The `ollama-service` command (also `python -m ollama_service`).

Subcommands follow the `ollama` command's habits: `generate`, `chat`, `list`, `ps`, `show`,
`pull`, `embed`, plus `health`, `version` and `demo`. Output for people uses rich (the `cli`
extra: `pip install 'ollama-service[cli]'`); `--json` output needs nothing extra.
"""

from __future__ import annotations

from ollama_service.cli._app import main

__all__ = ["main"]
