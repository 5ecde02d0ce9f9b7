"""``python -m benchmarks [NAME ...]``: run every benchmark, or the ones named."""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> module with ``run(env)``; they run in this order.
BENCHMARKS = {
    "vault": "benchmarks.vault",
    "login": "benchmarks.login",
    "friends": "benchmarks.friends",
    "refresh": "benchmarks.refresh",
    "load": "benchmarks.load",
    "scale": "benchmarks.scale",
}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Print performance figures.")
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"any of: {', '.join(BENCHMARKS)} (default: all)"
    )
    names = parser.parse_args(argv).names or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")

    from django.core.management import call_command

    from benchmarks.harness import live_environment

    with live_environment() as env:
        for name in names:
            # Each benchmark starts from an empty database: none sees another's rows.
            call_command("flush", interactive=False, verbosity=0)
            importlib.import_module(BENCHMARKS[name]).run(env)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
