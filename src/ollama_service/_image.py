"""`Image`: the official library's image wrapper, for code that builds `Image(value=...)`."""

from __future__ import annotations

import os
from typing import Any

from ollama_service._request import encode_image

__all__ = ["Image"]


class Image:
    """An image for a vision model: a path, raw bytes or a base64 string.

    Anywhere an image is accepted, a plain path, bytes or base64 string works too; this class
    exists so that code written for the official library (`ollama.Image(value=...)`) runs.

    Args:
        value: A path (str or PathLike), raw bytes, or a base64 string.
    """

    __slots__ = ("value",)

    def __init__(self, *, value: str | bytes | os.PathLike[str]) -> None:
        self.value = value

    def model_dump(self, **_: Any) -> str:
        """The image as the base64 string the server expects.

        Raises:
            OllamaRequestError: A missing file, or a string that is neither a path nor base64
                (also a `ValueError`).
        """
        return encode_image(self.value, "Image.value")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Image) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        shown = self.value if not isinstance(self.value, bytes) else f"<{len(self.value)} bytes>"
        return f"Image(value={shown!r})"
