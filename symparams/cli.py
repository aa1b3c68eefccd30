"""The command line: parse arguments, call the library, print what a printer renders.

Each subcommand lives in symparams/commands/<name>.py with `add_parser(subparsers)`; the
module imports nothing heavy at import time, so `symparams summary` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import SymparamsError, UsageError

COMMANDS = ("summary", "layers", "solve", "sweep", "plot", "latex", "diagram", "export", "check", "serve", "import_",
            "memory")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symparams",
        description="Symbolic shapes, parameter counts and costs of neural networks from a compact DSL.")
    parser.add_argument("--version", action="version", version=f"symparams {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        try:
            module = importlib.import_module(f".commands.{name}", __package__)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.endswith(f"commands.{name}"):
                continue    # a command not built yet
            raise
        module.add_parser(sub)
    return parser


def _version() -> str:
    from . import __version__
    return __version__


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.run(args)
    except UsageError as exc:
        print(f"symparams: {exc}", file=sys.stderr)
        return 2
    except SymparamsError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
