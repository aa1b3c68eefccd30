"""The one error type of symparams and its kinds.

Every problem a user can cause is reported as a :class:`SymparamsError` that knows
where it happened (file, line, column) and renders the offending line with a caret,
so no Python traceback ever reaches a user.
"""

from __future__ import annotations

import difflib
import unicodedata

class SymparamsError(Exception):
    """Root of every error symparams raises on purpose."""

    kind = "error"

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None,
                 end_column: int | None = None, hint: str | None = None,
                 file: str | None = None, source: str | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.end_column = end_column
        self.hint = hint
        self.file = file
        self.source = source

    def with_source(self, file: str | None, source: str | None) -> "SymparamsError":
        """Attach the file name and text, keeping any already known."""
        if self.file is None:
            self.file = file
        if self.source is None:
            self.source = source
        return self

    def source_line(self) -> str | None:
        if self.source is None or self.line is None:
            return None
        lines = source_lines(self.source)
        if 1 <= self.line <= len(lines):
            return lines[self.line - 1]
        return None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.line is not None:
            where.append(str(self.line))
            if self.column is not None:
                where.append(str(self.column))
        head = ":".join(where)
        text = f"{head}: {self.kind}: {self.message}" if head else f"{self.kind}: {self.message}"
        line = self.source_line()
        if line is not None:
            raw = line.expandtabs(1)
            if len(raw) > 200:
                raw = raw[:200] + " ..."
            shown = printable(raw)      # the caret moves with the escapes written before it
            text += f"\n    {shown}"
            if self.column is not None and self.column - 1 <= len(raw):
                start = len(printable(raw[:self.column - 1]))
                width = 1
                if self.end_column is not None and self.end_column > self.column:
                    width = len(printable(raw[self.column - 1:self.end_column - 1])) or 1
                    width = min(width, max(1, len(shown) - start))
                text += "\n    " + " " * start + "^" * width
        if self.hint:
            text += f"\n  {self.hint}"
        return text


class DSLSyntaxError(SymparamsError):
    """The text does not follow the grammar."""
    kind = "syntax error"


class DefinitionError(SymparamsError):
    """Well-formed text that means nothing: unknown layer, bad option, wrong arity..."""
    kind = "error"


class ShapeError(SymparamsError):
    """A configuration that cannot exist: a kernel larger than its input, mismatched branches..."""
    kind = "shape error"


class UsageError(SymparamsError):
    """Bad command-line or API usage (exit code 2 on the command line)."""
    kind = "usage error"


class MissingDependencyError(SymparamsError):
    """An optional extra is needed for this command."""
    kind = "missing dependency"


def install_command(extra: str) -> str:
    """How this installation gets an extra: from a clone (an editable install, whose package sits beside
    pyproject.toml) `pip install -e '.[extra]'` in the checkout; otherwise from the package index."""
    from pathlib import Path

    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "grammar").is_dir():
        return f"pip install -e '.[{extra}]' (in {checkout})"
    return f"pip install 'symparams[{extra}]'"


def source_lines(text: str) -> list[str]:
    """The lines of a file as the parser numbers them: split at '\n' only (str.splitlines also
    splits at a form feed, U+2028 and others, which would shift every later line), '\r\n' read as
    '\n', no empty line after a final newline."""
    lines = text.split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def did_you_mean(word: str, choices, *, what: str = "") -> str | None:
    """A 'did you mean ...?' hint for a misspelt word, or None."""
    matches = difflib.get_close_matches(word, sorted(set(choices)), n=3, cutoff=0.6)
    if not matches:
        return None
    quoted = " or ".join(f"'{m}'" for m in matches)
    return f"did you mean {quoted}?"


def printable(text) -> str:
    """A message as it may reach a terminal, whatever it carries (a file's node names, a framework's
    own error text, a file name, an echoed source line): control and format characters (ESC and the
    sequences it starts, BEL, carriage return, C1 controls, bidi overrides) are written as visible
    escapes such as \\x1b, so no message can retitle, clear or rewrite the screen. Newline and tab stay."""
    text = str(text)
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch in "\n\t" or ch.isprintable() or unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"):
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)
