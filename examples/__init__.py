"""Runnable examples of ollama-service (run them from the repository root)."""
