"""``import ollama`` gives ``ollama_service``: the import shim of the compatibility suite.

Put ``tests/compat/shim`` first on ``PYTHONPATH`` and every ``import ollama`` (in the official
test suite, in langchain-ollama, llama-index, haystack ...) runs on ours instead of the official
library. It is deliberately thin and adds no behaviour:

- ``ollama`` *is* the ``ollama_service`` module;
- ``ollama.X`` is a view of ``ollama_service.X`` when we have that module, else of
  ``ollama_service`` (the official ``ollama._client`` and ``ollama._types`` re-export what its
  package exports): every name read from it is ours;
- a private name (``_copy_tools``) of a view that ours lacks is a stub that raises
  ``NotImplementedError`` when called, so that a test module importing one of the official
  library's internals still runs its other tests. A missing public name is an ``ImportError``,
  as it should be: that is a gap in ours.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType
from typing import Any, NoReturn

import ollama_service

_PREFIX = "ollama."


class _View(ModuleType):
    """``ollama.X``: reads go to ours (``ollama_service.X`` or ``ollama_service``)."""

    def __init__(self, name: str, target: ModuleType) -> None:
        super().__init__(name)
        self.__target = target

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # not __path__: a view is no package
            raise AttributeError(name)
        try:
            return getattr(self.__target, name)
        except AttributeError:
            if not name.startswith("_"):
                raise
        qualified = f"{self.__name__}.{name}"

        def internal(*args: object, **kwargs: object) -> NoReturn:
            raise NotImplementedError(f"{qualified} is an internal of the official library")

        return internal


class _AliasLoader(importlib.abc.Loader):
    """Binds the alias in ``sys.modules``; the import statement then returns the target.

    (Returning the target from ``create_module`` instead would let the import machinery
    overwrite the target's ``__spec__``.)
    """

    def __init__(self, target: ModuleType) -> None:
        self._target = target

    def exec_module(self, module: ModuleType) -> None:
        sys.modules[module.__name__] = self._target


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Resolves ``ollama.X`` to ``ollama_service.X`` (or to a view of ``ollama_service``)."""

    def find_spec(
        self,
        fullname: str,
        path: object = None,
        target: object = None,  # pyright: ignore[reportRedeclaration]
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(_PREFIX):
            return None
        name = "ollama_service." + fullname[len(_PREFIX) :]
        target: ModuleType
        try:
            target = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            target = ollama_service
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(_View(fullname, target)))


sys.meta_path.insert(0, _AliasFinder())
sys.modules[__name__] = ollama_service
