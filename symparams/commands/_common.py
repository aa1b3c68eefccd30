"""Arguments shared by several subcommands, and loading the network they name."""

from __future__ import annotations

import contextlib
import sys

from .. import collector
from ..errors import DefinitionError, SymparamsError, UsageError


def add_file(parser):
    parser.add_argument("file", metavar="FILE", help="architecture file, or - for standard input")


def add_set(parser):
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE[,NAME=VALUE]",
                        help="give symbols values (repeatable): --set n=32 --set f=64 or --set n=32,f=64")


def add_convention(parser):
    parser.add_argument("--convention", choices=("keras", "pytorch"), default=None,
                        help="counting rules: keras or pytorch (default: the file's 'convention' statement, "
                             "else keras)")


def parse_sets(items) -> dict[str, int]:
    from ..integers import parse_int, shown

    values: dict[str, int] = {}
    for item in items:
        for piece in item.split(","):
            piece = piece.strip()
            if not piece:
                continue
            if "=" not in piece:
                raise UsageError(f"--set takes NAME=VALUE, got '{shown(piece)}'")
            name, _, text = piece.partition("=")
            name, text = name.strip(), text.strip()
            if not name.isidentifier():
                raise UsageError(f"--set: '{shown(name)}' is not a symbol name")
            value = parse_int(text, f"--set {name}", error=DefinitionError)
            if name in values:
                raise UsageError(f"--set {name} is given twice ({values[name]} and {value}); give each symbol once")
            values[name] = value
    return values


def display_name(path: str) -> str:
    """The file name as the user gave it, printable: bytes that are not UTF-8 (a file name from
    another system) become U+FFFD, so no printer or output encoding fails on them."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def read_source(path: str):
    """The bytes of FILE (or standard input for -) and the name to show. At most the parser's
    size limit plus one byte is read, so /dev/zero or an endless pipe ends at once."""
    from ..syntax import MAX_SOURCE_BYTES

    limit = MAX_SOURCE_BYTES
    if path == "-":
        stream, name = sys.stdin.buffer, "<stdin>"
        data = stream.read(limit + 1)
    else:
        name = display_name(path)
        try:
            with open(path, "rb") as handle:
                data = handle.read(limit + 1)
        except FileNotFoundError as exc:
            close = _nearby_file(path)
            raise SymparamsError(f"cannot read the file: {exc.strerror or exc}"
                                 + (f"; did you mean {close}?" if close else ""), file=name) from None
        except IsADirectoryError:
            raise SymparamsError("cannot read the file: it is a directory; give one architecture file (such as "
                                 "examples/seed002_mnist.arch)", file=name) from None
        except OSError as exc:
            raise SymparamsError(f"cannot read the file: {exc.strerror or exc}", file=name) from None
    if len(data) > limit:
        raise SymparamsError(f"the input is larger than {limit:,} bytes, the limit for an architecture file",
                             file=name)
    return data, name


def _nearby_file(path: str) -> str | None:
    """The file a newcomer most likely meant: FILE.arch, or FILE in examples/ (or examples/zoo/) when the
    command runs in the checkout (the README's files are there)."""
    import os
    base = os.path.basename(path)
    for candidate in (path + ".arch", os.path.join("examples", base), os.path.join("examples", base + ".arch"),
                      os.path.join("examples", "zoo", base), os.path.join("examples", "zoo", base + ".arch")):
        if candidate != path and os.path.isfile(candidate):
            return candidate
    return None


def load_network(args, *, values=None, at_values: bool = False, on_ints: bool = False):
    """The network the arguments name; at_values: derived once at the defaults and --set values
    (Network.at_values), as `load_network(args).at_defaults()` gives it; on_ints (with at_values):
    derived on Python ints without SymPy where it can be (an engine.numbers.Numbers), else as at_values."""
    from ..syntax import parse_program

    import os

    merged = parse_sets(getattr(args, "sets", []))      # the command line first: its errors need no file
    data, name = read_source(args.file)
    if values:
        merged.update(values)
    # outputs (titles, docstrings, SVG) name the file as given, but never by an absolute path of
    # this machine: the file name then; error messages keep the path as given, to find the file
    shown = os.path.basename(name) if os.path.isabs(name) else name
    try:
        program = parse_program(data, shown)
        if on_ints:
            from ..engine import numbers
            result = numbers.at_values(program, getattr(args, "convention", None), merged)
            if result is not None:
                return result
        from ..api import Network           # SymPy's import: the symbolic engine's public Network
        if at_values:
            return Network.at_values(program, getattr(args, "convention", None), merged)
        return Network(program, getattr(args, "convention", None), merged)
    except SymparamsError as exc:
        if exc.file == shown:
            exc.file = name
        raise
    finally:
        collector.release()         # the script's imports and the derive done: frozen, collector on


def write_output(text: str, path: str | None) -> None:
    """The command's output to the file -o names, or to standard output. The text is encoded
    before the file is opened, so a failure leaves no empty file behind; a failed write removes
    the partial file."""
    if not path:
        sys.stdout.write(text)
        return
    data = text.encode("utf-8")
    write_bytes(data, path)


def write_bytes(data: bytes, path: str) -> None:
    import os
    name = display_name(path)
    if os.path.isdir(path):
        raise SymparamsError(f"cannot write {name}: it is a directory")
    try:
        handle = open(path, "wb")
    except OSError as exc:
        raise SymparamsError(f"cannot write {name}: {exc.strerror or exc}") from None
    try:
        with handle:
            handle.write(data)
    except OSError as exc:
        try:
            os.unlink(path)
        except OSError:
            pass
        raise SymparamsError(f"cannot write {name}: {exc.strerror or exc}") from None


def check_writable(path: str) -> None:
    """Fail early, before any work, when -o names a file that cannot be created: a missing
    folder, a directory, a folder without write permission."""
    import os
    name = display_name(path)
    if os.path.isdir(path):
        raise SymparamsError(f"cannot write {name}: it is a directory")
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise SymparamsError(f"cannot write {name}: the folder {display_name(folder)} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SymparamsError(f"cannot write {name}: the folder {display_name(folder)} is not writable")


def progress(message: str) -> None:
    """A status line on standard error while long work runs, only when a person watches it
    (stderr is a terminal); the next call or done() replaces it."""
    stream = sys.stderr
    try:
        if not stream.isatty():
            return
        stream.write("\r\x1b[K" + message if message else "\r\x1b[K")
        stream.flush()
    except (OSError, ValueError, AttributeError):
        pass


def done() -> None:
    progress("")


WORK_SECONDS = 6.0      # solve, sweep, plot and cost columns: a stated bound on the analysis time (with
                        # start-up and parsing, a command that hits it still ends within 10 s)


@contextlib.contextmanager
def time_limit(what: str, hint: str = "", seconds: float | None = None):
    """Stop `what` after a stated time with a clear error instead of running for minutes.
    SYMPARAMS_TIME_LIMIT=SECONDS changes the bound (0: none). CPU time of this process, nested
    inside the command's own limit (symparams/cpu.py)."""
    import os

    from ..cpu import cpu_limit

    if seconds is None:
        try:
            seconds = float(os.environ.get("SYMPARAMS_TIME_LIMIT", WORK_SECONDS))
        except ValueError:
            seconds = WORK_SECONDS
    with cpu_limit(seconds, what, hint, "SYMPARAMS_TIME_LIMIT=SECONDS changes the limit"):
        yield


def add_short_names(p, auto: bool = False):
    """--short-names (and, where they are automatic, --long-names): long symbol names such as
    num_hidden_layers shown as letters (L) with a legend; display only, every number is the same."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--short-names", dest="short_names", action="store_const", const=True, default=None if auto else False,
                   help="show long symbol names (num_hidden_layers, hidden_size) as short letters (L, d) with a "
                        "legend" + (" (default: when the output cannot fit otherwise)" if auto else ""))
    if auto:
        g.add_argument("--long-names", dest="short_names", action="store_const", const=False,
                       help="always show the symbols' own names")
