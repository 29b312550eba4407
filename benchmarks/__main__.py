"""`python -m benchmarks [NAME...] [--quick] [--profile]`: the named benchmarks, or all.

`make bench` runs them all, in one run. Each benchmark is a module with `main(argv)`,
registered below by name; importing one does no work. They measure whole processes,
side by side with a peer, through the helpers in `benchmarks.harness`.
"""

from __future__ import annotations

import importlib
import sys

from benchmarks.harness import machine

BENCHMARKS = {
    "validate": "benchmarks.validate_bench",
    "plan": "benchmarks.plan_bench",
    "apply": "benchmarks.apply_bench",
    "sandbox": "benchmarks.sandbox_bench",
    "preview": "benchmarks.preview_bench",
}


def main(argv: list[str]) -> int:
    if "-h" in argv or "--help" in argv:
        print(__doc__.strip())
        print(f"\nBenchmarks: {', '.join(BENCHMARKS)}")
        return 0
    names = [a for a in argv if not a.startswith("-")] or list(BENCHMARKS)
    flags = [a for a in argv if a.startswith("-")]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}")
        return 1
    print(f"Machine: {machine()}\n", flush=True)
    for i, name in enumerate(names):
        if i:
            print(flush=True)
        importlib.import_module(BENCHMARKS[name]).main(flags)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
