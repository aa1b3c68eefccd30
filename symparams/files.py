"""Reading a file a user names, bounded: at most a stated number of bytes, and only a regular file
(a link to /dev/zero, a FIFO or a device would otherwise be read until memory runs out)."""

from __future__ import annotations

import os
import stat

from .errors import SymparamsError


def shown(path) -> str:
    """A path as text that prints: bytes that are not UTF-8 become U+FFFD."""
    text = os.fsdecode(path) if isinstance(path, bytes) else str(path)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def read_bounded(path, limit: int, *, what: str = "file", error=SymparamsError) -> bytes:
    """The bytes of `path`, refused with a clear error when it is not a regular file or holds more
    than `limit` bytes (checked on the open file before reading, and again while reading)."""
    name = shown(path)
    try:
        handle = open(path, "rb")
    except (OSError, ValueError) as exc:
        raise error(f"cannot read {name}: {getattr(exc, 'strerror', None) or exc}") from None
    with handle:
        try:
            st = os.fstat(handle.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise error(f"cannot read {name}: not a regular file (only a file on disk is read)")
            if st.st_size > limit:
                raise error(f"{name} holds {st.st_size:,} bytes, more than the {limit:,} a {what} may have "
                            "(symparams.limits)")
            data = handle.read(limit + 1)
        except OSError as exc:
            raise error(f"cannot read {name}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise error(f"{name} holds more than {limit:,} bytes, the limit for a {what} (symparams.limits)")
    return data
