"""Arguments shared by several subcommands, and loading the network they name."""

from __future__ import annotations

import sys

from ..errors import DefinitionError, UsageError


def add_file(parser):
    parser.add_argument("file", metavar="FILE", help="architecture file, or - for standard input")


def add_set(parser):
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE[,NAME=VALUE]",
                        help="give symbols values (repeatable): --set n=32 --set f=64 or --set n=32,f=64")


def add_convention(parser):
    parser.add_argument("--convention", choices=("keras", "pytorch"), default="keras",
                        help="counting rules: keras (default) or pytorch")


def parse_sets(items) -> dict[str, int]:
    values: dict[str, int] = {}
    for item in items:
        for piece in item.split(","):
            piece = piece.strip()
            if not piece:
                continue
            if "=" not in piece:
                raise UsageError(f"--set takes NAME=VALUE, got '{piece}'")
            name, _, text = piece.partition("=")
            name, text = name.strip(), text.strip()
            if not name.isidentifier():
                raise UsageError(f"--set: '{name}' is not a symbol name")
            digits = text.replace("_", "")
            if not digits.isdigit():
                raise DefinitionError(f"--set {name}={text}: expected a positive whole number")
            values[name] = int(digits)
    return values


def read_source(path: str):
    if path == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    try:
        with open(path, "rb") as handle:
            return handle.read(), path
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def load_network(args, *, values=None):
    from ..network import Network
    from ..syntax import parse_program

    data, name = read_source(args.file)
    program = parse_program(data, name)
    merged = parse_sets(getattr(args, "sets", []))
    if values:
        merged.update(values)
    return Network(program, getattr(args, "convention", "keras"), merged)


def write_output(text: str, path: str | None) -> None:
    """The command's output to the file -o names, or to standard output."""
    if not path:
        print(text, end="")
        return
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
