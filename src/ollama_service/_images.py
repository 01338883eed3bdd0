"""Images as the server takes them: base64 strings, from paths, bytes, base64 or `Image`.

`Image` is the official library's wrapper, for code that builds `Image(value=...)`.

A string is a path when such a file exists (or it looks like one), else base64 that must
decode; a path that does not exist is an error naming it, not a base64 guess.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import Any, cast

from msgspec import UNSET, UnsetType

from ._coerce import as_list
from ._constants import MAX_PATH_CHARS
from ._errors import OllamaFileNotFoundError, OllamaRequestError

__all__ = ["Image", "encode_image", "encode_images"]


# A string ending in one of these that is not a file is a missing file, as in the official
# library; the others only when the string is not base64 either.
_IMAGE_SUFFIXES = frozenset({"png", "jpg", "jpeg", "webp"})


_MORE_IMAGE_SUFFIXES = frozenset({"gif", "bmp", "tif", "tiff", "heic"})


def encode_image(image: object, argument: str = "images") -> str:
    """Return one image as the base64 string the server expects.

    Strings follow the official library: an existing file is read; a name ending in an image
    suffix that is not a file is an error; anything Python's lenient base64 decoder accepts
    (it skips characters outside the alphabet) is sent as it is, and the server answers a 400
    if it cannot decode it. A `data:` URL is sent without its prefix, which the server cannot
    decode.

    Args:
        image: A path (str or PathLike), raw bytes, or a base64 string.
        argument: The argument name used in error messages.

    Raises:
        OllamaFileNotFoundError: A path that does not exist (also a `FileNotFoundError`, as
            the official library raises for a missing `Path`, and a `ValueError`).
        OllamaRequestError: A string that is neither an existing path nor base64 (where the
            official library raises too).
    """
    if isinstance(image, (bytes, bytearray, memoryview)):
        return base64.b64encode(cast("bytes", image)).decode("ascii")
    if not isinstance(image, (str, os.PathLike)) and hasattr(type(image), "model_dump"):
        # The official library's `Image(value=...)`: its value is a path, bytes or base64.
        return encode_image(getattr(image, "value", None), argument)
    if isinstance(image, os.PathLike):
        return _read_image(Path(cast("os.PathLike[str]", image)), argument)
    if not isinstance(image, str):
        raise OllamaRequestError(
            f"{argument}: expected a path, bytes or a base64 string, not {type(image).__name__}"
        )
    if image.startswith("data:") and "," in image:
        return _checked_base64(image.split(",", 1)[1], image, argument, may_be_path=False)
    if image and len(image) < MAX_PATH_CHARS:  # Path("") would be the current directory
        path = Path(image)
        try:
            exists = path.exists()
        except (OSError, ValueError):
            exists = False
        if exists:
            return _read_image(path, argument)
        if image.rsplit(".", 1)[-1].lower() in _IMAGE_SUFFIXES:
            raise _not_found(image, argument)
    return _checked_base64(image, image, argument, may_be_path=True)


def _decodes_as_base64(text: str) -> bool:
    """Whether `base64.b64decode` accepts `text` (non-alphabet characters are skipped)."""
    try:
        base64.b64decode(text)
    except (binascii.Error, ValueError):
        return False
    return True


def _checked_base64(data: str, original: str, argument: str, *, may_be_path: bool) -> str:
    if _decodes_as_base64(data):
        return data
    suffix = original.rsplit(".", 1)[-1].lower()
    if may_be_path and (suffix in _MORE_IMAGE_SUFFIXES or os.sep in original):
        raise _not_found(original, argument)
    raise OllamaRequestError(
        f"{argument}: Invalid image data, expected base64 string or path to image file: "
        f"{original[:40]!r} is neither an existing file nor valid base64"
    )


def _not_found(image: str, argument: str) -> OllamaFileNotFoundError:
    return OllamaFileNotFoundError(
        f"{argument}: image file not found: {image!r} (the file does not exist)", image
    )


def _read_image(path: Path, argument: str) -> str:
    try:
        return base64.b64encode(path.read_bytes()).decode("ascii")
    except FileNotFoundError:
        raise _not_found(str(path), argument) from None
    except OSError as exc:
        raise OllamaRequestError(f"{argument}: cannot read image {str(path)!r}: {exc}") from exc


def encode_images(images: object, argument: str = "images") -> list[str] | UnsetType:
    """Encode every image (see `encode_image`); None or empty means "send no images"."""
    if images is None:
        return UNSET
    items = as_list(images, argument, "a list of images")
    return [encode_image(image, f"{argument}[{i}]") for i, image in enumerate(items)] or UNSET


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
