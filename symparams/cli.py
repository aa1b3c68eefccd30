"""The command line: parse arguments, call the library, print what a printer renders.

Each subcommand lives in symparams/commands/<name>.py with `add_parser(subparsers)`; the
module imports nothing heavy at import time, so `symparams summary` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .cpu import OutOfTime
from .errors import SymparamsError, UsageError, printable
from .integers import printable_integers

COMMANDS = ("summary", "layers", "solve", "sweep", "plot", "latex", "diagram", "export", "check", "serve", "import_",
            "memory", "plan")


class _Parser(argparse.ArgumentParser):
    """argparse's own messages (an invalid choice, an unknown option) echo the arguments given: they
    go through the one message printer too."""

    def _print_message(self, message, file=None):
        if message:
            super()._print_message(printable(message), file)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; only: the one subcommand module named on it (a command's process
    imports and builds its own options only: `symparams summary` does not import plan's or
    memory's modules). Help, --version and a misspelt command get the whole parser."""
    parser = _Parser(
        prog="symparams",
        description="Symbolic shapes, parameter counts and costs of neural networks from a compact DSL.",
        epilog="Run 'symparams COMMAND --help' for a command's options. Exit status: 0 done, "
               "1 bad input (the message says where), 2 bad usage.")
    parser.add_argument("--version", action="version", version=f"symparams {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in (only,) if only in COMMANDS else COMMANDS:
        importlib.import_module(f".commands.{name}", __package__).add_parser(sub)
    return parser


def _command_module(argv) -> str | None:
    """The subcommand module the arguments name first ('import' is commands/import_.py), or None."""
    first = argv[0] if argv else None
    if first == "import":
        return "import_"
    return first if first in COMMANDS and first != "import_" else None


def _version() -> str:
    from . import __version__
    return __version__


INTERNAL_ERROR = 70     # EX_SOFTWARE: never expected; every failure a user can cause is 1 or 2


def main(argv=None) -> int:
    _printable_errors()
    given = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command_module(given))
    if not given:
        parser.print_help()                      # bare `symparams`: what it does and its commands
        return _finish(0)
    args = parser.parse_args(argv)
    try:
        with printable_integers(), _command_limit(args):   # results past 4,300 digits are printed too
            code = int(args.run(args) or 0)
    except UsageError as exc:
        code = _report(f"symparams: {exc}", 2)
    except SymparamsError as exc:
        if exc.file is None and exc.source is not None and isinstance(getattr(args, "file", None), str):
            exc.file = args.file            # found after loading (export's unvalued symbol): the file as given
        code = _report(str(exc), 1)
    except KeyboardInterrupt:
        return 130
    except OutOfTime:          # a time limit's alarm that reached here past its own frame
        code = _report("symparams: error: the command took more than its CPU time limit "
                       "(SYMPARAMS_CPU_LIMIT=SECONDS changes it)", 1)
    except BrokenPipeError:
        return _quiet_stdout(0)
    except RecursionError:
        code = _report("symparams: error: the architecture is nested too deeply to analyse", 1)
    except MemoryError:
        code = _report("symparams: error: the architecture is too large to analyse in the memory available", 1)
    except OSError as exc:
        if not _stdout_failed(exc):
            code = _internal(exc)
        else:
            code = _report(f"symparams: error: cannot write to standard output: {exc.strerror or exc}", 1)
            return _quiet_stdout(code)
    except Exception as exc:                    # a bug: say so in one line (SYMPARAMS_DEBUG=1 shows the traceback)
        code = _internal(exc)
    return _finish(code)


def entry() -> None:
    """The `symparams` script: main(), then the process ends without tearing the interpreter down.

    A command's output is complete once main() has flushed it; freeing every SymPy object at exit
    cost DenseNet-121's summary 75-85 ms of its ~500 ms. The streams are flushed here (a failure to
    write is reported and changes the exit status, as before), then os._exit skips the teardown.
    The collector runs rarely: a command is a short run whose objects mostly live to the end; it is
    held while the command imports and loads its network (collector.py): every command that loads one
    from a file (not serve, which runs until stopped, nor import, whose frameworks build models)."""
    import gc
    import os

    from . import collector

    gc.set_threshold(50_000, 50, 100)
    if _command_module(sys.argv[1:]) not in (None, "serve", "import_", "layers"):
        collector.hold()
    _lark_without_regex()
    _sympy_tensors_deferred()
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:
            code = _quiet_stdout(code)
        except (OSError, ValueError):
            code = code or 1
    os._exit(code)


def _lark_without_regex() -> None:
    """Lark imports the third-party `regex` module whenever it is installed (5-10 ms of a cold command)
    and uses it only for grammars with Unicode categories (\\p{...}) or Lark(regex=True); symparams'
    grammar has neither. The command's process imports Lark with `regex` hidden; the entry is taken
    away again at once, so anything later in the process (a framework importer) imports `regex` as usual.
    Library users import Lark as they always do: this is the script's alone."""
    if "lark" in sys.modules or "regex" in sys.modules or _command_module(sys.argv[1:]) in (None, "serve"):
        return                              # --help, --version: no grammar needed
    sys.modules["regex"] = None             # `import regex` raises ImportError: Lark takes `re`
    try:
        import lark  # noqa: F401
    except ImportError:
        pass                                # reported where the grammar is loaded, as before
    finally:
        if sys.modules.get("regex", False) is None:
            del sys.modules["regex"]


def _sympy_tensors_deferred() -> None:
    """SymPy's Add imports sympy.tensor.tensor at a process's first sum, to ask whether a term is a tensor
    expression; that module imports sympy.combinatorics, whose polyhedra build their permutation groups
    at import: 13-15 ms of every cold command, for a question whose answer is no until a tensor exists.
    The script's process gets a stand-in (_TensorsDeferred) until anything asks it for more than Add
    does. Library users import SymPy as they always do: this is the script's alone."""
    name = "sympy.tensor.tensor"
    if name in sys.modules or _command_module(sys.argv[1:]) in (None, "serve"):
        return
    sys.modules[name] = _TensorsDeferred(name)


class _TensorsDeferred(type(sys)):
    """sympy.tensor.tensor before it is imported: the two classes Add.flatten asks about, which no object
    is an instance of (tensor expressions are made from the real module's classes, and the real module
    is imported before any can be made); any other name imports the real module, which then takes this
    one's place in sys.modules (Add imports its two names again at every sum, and gets the real ones)."""

    class TensExpr:
        pass

    class TensAdd:
        pass

    def __getattr__(self, attr):
        if attr.startswith("__"):               # the import system's questions (__path__, ...): a plain module
            raise AttributeError(attr)
        import importlib
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attr)


def _command_limit(args):
    """The CPU bound of every command (limits.CPU_SECONDS; SYMPARAMS_CPU_LIMIT=SECONDS changes it, 0: none),
    but serve's: it serves until stopped, and its build's work runs in pip, npm and node."""
    import contextlib
    import os

    from . import limits
    from .cpu import cpu_limit
    if args.command == "serve":
        return contextlib.nullcontext()
    try:
        seconds = float(os.environ.get("SYMPARAMS_CPU_LIMIT", limits.CPU_SECONDS))
    except ValueError:
        seconds = limits.CPU_SECONDS
    return cpu_limit(seconds, f"symparams {args.command.rstrip('_')}", "",
                     "SYMPARAMS_CPU_LIMIT=SECONDS changes the limit")


def _internal(exc: BaseException) -> int:
    import os
    if os.environ.get("SYMPARAMS_DEBUG"):
        raise exc
    return _report(f"symparams: internal error (a bug; please report it with the input): "
                   f"{type(exc).__name__}: {exc}"[:2000], INTERNAL_ERROR)


def _finish(code: int) -> int:
    """Flush standard output now, while a failure can still be reported (a full disk, a closed pipe),
    instead of at interpreter exit, where it would be a traceback."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        return _quiet_stdout(code)
    except OSError as exc:
        _report(f"symparams: error: cannot write to standard output: {exc.strerror or exc}", 1)
        return _quiet_stdout(1)
    return code


def _quiet_stdout(code: int) -> int:
    """Point standard output at /dev/null so the interpreter's final flush cannot fail again."""
    import os
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
    return code


def _stdout_failed(exc: OSError) -> bool:
    import errno
    return exc.errno in (errno.ENOSPC, errno.EPIPE, errno.EIO, errno.EFBIG, getattr(errno, "EDQUOT", -1)) \
        and not getattr(exc, "filename", None)


def _printable_errors() -> None:
    """Messages name files as given; a name that is not valid UTF-8 must not make printing fail."""
    for stream in (sys.stderr, sys.stdout):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):
            pass


def _report(message: str, code: int) -> int:
    """Every message of a failed command is printed here, through errors.printable."""
    try:
        print(printable(message), file=sys.stderr)
    except OSError:
        pass
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
