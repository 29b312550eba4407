"""`python -m benchmarks [NAME...] [--profile]`: run the named benchmarks, or all of them.

Names are module names without `_bench`: `validate`, `apply`, `preview`.
"""

from __future__ import annotations

import importlib
import inspect
import sys

BENCHMARKS = {
    "validate": "benchmarks.validate_bench",
    "apply": "benchmarks.apply_bench",
    "preview": "benchmarks.preview_bench",
}


def main(argv: list[str]) -> int:
    names = [a for a in argv if not a.startswith("-")] or list(BENCHMARKS)
    flags = [a for a in argv if a.startswith("-")]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}")
        return 1
    for i, name in enumerate(names):
        if i:
            print()
        module = importlib.import_module(BENCHMARKS[name])
        if inspect.signature(module.main).parameters:
            module.main(flags)
        else:
            module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
