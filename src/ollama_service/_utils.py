"""The official library's `ollama._utils.convert_function_to_tool`, under the same name."""

from __future__ import annotations

from ollama_service._tools import function_to_tool

__all__ = ["convert_function_to_tool"]

convert_function_to_tool = function_to_tool
