"""The LALR tables of the grammar, kept between runs in a per-user cache, safely.

Building the tables takes about 0.1 s, a third of a cold start, so they are kept in a file.
Lark's own cache is a pickle in the shared temporary directory under a predictable name: anyone
who writes that file first runs code in every later `symparams`. Here instead:

- the file is JSON (tuples and integer keys tagged), which loading can never execute;
- it lives in $XDG_CACHE_HOME/symparams (default ~/.cache/symparams), created with mode 0700;
- it is read only when the directory and the file are owned by the current user and neither is
  writable by group or others (checked on the open file, so a swap after the check does not
  count), and never through a symbolic link;
- it is written to a private temporary file in that directory and renamed into place, so
  another process never reads half a file;
- nothing is written anywhere else. When no safe directory exists the tables are built.

SYMPARAMS_NO_CACHE=1 turns the cache off.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from pathlib import Path

from lark import Lark

FORMAT = 1          # bump when the file layout changes
PREFIX = "lalr-"


def cache_dir() -> Path | None:
    """The per-user cache directory (not created), or None where there is none to trust."""
    if os.environ.get("SYMPARAMS_NO_CACHE") or not hasattr(os, "getuid"):
        return None
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):             # the XDG rule: a relative value is ignored
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "symparams"


def _safe(st: os.stat_result) -> bool:
    """Owned by this user and not writable by anyone else."""
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _safe_dir(path: Path, create: bool) -> bool:
    try:
        if create:
            os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and _safe(st)


def _key(grammar: str, options: dict) -> str:
    import lark
    text = "\0".join([str(FORMAT), grammar, repr(sorted(options.items())), lark.__version__,
                      "%d.%d" % sys.version_info[:2]])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


# -- JSON that keeps tuples and non-string keys (Lark's serialized tables use both) ----------

def _encode(x):
    if isinstance(x, dict):
        if all(type(k) is str for k in x) and "__d" not in x and "__t" not in x:
            return {k: _encode(v) for k, v in x.items()}
        return {"__d": [[_encode(k), _encode(v)] for k, v in x.items()]}
    if isinstance(x, tuple):
        return {"__t": [_encode(v) for v in x]}
    if isinstance(x, list):
        return [_encode(v) for v in x]
    if x is None or type(x) in (str, int, bool, float):
        return x
    raise TypeError(f"cannot keep a {type(x).__name__} in the parser cache")


def _hook(obj):
    if len(obj) == 1:
        if "__d" in obj:
            return {k: v for k, v in obj["__d"]}
        if "__t" in obj:
            return tuple(obj["__t"])
    return obj


def _read(path: Path):
    """The cached tables, or None when the file is missing, unsafe or unreadable."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        if not stat.S_ISREG(st.st_mode) or not _safe(st) or st.st_size > 4_000_000:
            return None
        try:
            return json.loads(handle.read().decode("utf-8"), object_hook=_hook)
        except (ValueError, UnicodeDecodeError, RecursionError, KeyError, TypeError, AttributeError):
            return None         # damaged, foreign or nested past the stack: the tables are built instead


def _write(directory: Path, path: Path, data) -> None:
    import tempfile
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)      # mode 0600, in our directory
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(_encode(data), handle, separators=(",", ":"))
        os.replace(tmp, path)
    except (OSError, TypeError):
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return
    for old in directory.glob(PREFIX + "*.json"):         # tables of older grammars or versions
        if old != path:
            try:
                old.unlink()
            except OSError:
                pass


def lark_parser(grammar: str, **options) -> Lark:
    """Lark(grammar, **options) for an LALR grammar, its tables loaded from or kept in the cache."""
    directory = cache_dir()
    if directory is None or not _safe_dir(directory, create=not os.path.lexists(directory)):
        return Lark(grammar, **options)
    path = directory / f"{PREFIX}{_key(grammar, options)}.json"
    data = _read(path)
    if data is not None:
        try:
            return Lark.__new__(Lark)._load(data)
        except Exception:       # a damaged or foreign file: build the tables instead
            pass
    parser = Lark(grammar, **options)
    from lark.grammar import Rule
    from lark.lexer import TerminalDef
    serialized, memo = parser.memo_serialize([TerminalDef, Rule])
    _write(directory, path, {"data": serialized, "memo": memo})
    return parser
