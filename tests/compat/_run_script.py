"""Run a script as ``__main__`` the same way for both libraries: ``python _run_script.py FILE``.

``random`` is seeded, so examples whose mock tools pick random values print the same thing on
both runs. An exception that ends the script is reported on stdout in a library-neutral form
(the official error class it is an instance of, with ``error`` and ``status_code``, or its
builtin base), so the two runs can be compared even when they fail; the traceback goes to
stderr.
"""

from __future__ import annotations

import random
import runpy
import sys
import traceback


def describe(exc: BaseException) -> str:
    for library in ("ollama_service", "ollama"):
        module = sys.modules.get(library)
        for name in ("ResponseError", "RequestError"):
            cls = getattr(module, name, None)
            if isinstance(cls, type) and isinstance(exc, cls):
                error = getattr(exc, "error", None)
                status = getattr(exc, "status_code", None)
                return f"{name}(error={error!r}, status_code={status!r})"
    builtin = next(c for c in type(exc).__mro__ if c.__module__ == "builtins")
    return builtin.__name__


def main() -> int:
    path = sys.argv[1]
    sys.argv = sys.argv[1:]
    random.seed(0)
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except BaseException as exc:
        traceback.print_exc()
        sys.stdout.flush()
        print(f"\n<script raised {describe(exc)}>")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
