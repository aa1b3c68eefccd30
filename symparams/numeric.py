"""Exact numbers without SymPy: the switch under which one derive runs on Python ints, and SymPy
imported only when a module first needs it.

`summary --numbers` only prints numbers; every size there is a whole number, so the engine's own
arithmetic (the kinds' `output_shape` and `weights`, the helpers in algebra.py and shapes.py) runs
on Python ints under `on_ints()` and the process never imports SymPy (its import is 60% of a cold
run). The kinds' arithmetic is the same code either way: `integer(n)` is a SymPy Integer in a
symbolic derive and the int itself on ints. Anything the int derive cannot do exactly (a symbol
without a value, a fraction, a closed-form repeat, ...) raises NeedsSymPy, and the caller derives
again with SymPy (engine/numbers.py), so the answer is never a different one.

Modules on that path write `from ..numeric import sympy` instead of `import sympy`: the same
module, imported at its first use.
"""

from __future__ import annotations

import contextlib
import contextvars
from fractions import Fraction


class NeedsSymPy(Exception):
    """The int derive met something only SymPy can do; never reaches a user (the caller derives
    with SymPy instead)."""


_ON_INTS = contextvars.ContextVar("symparams_on_ints", default=False)


def ints() -> bool:
    """Whether this derive runs on Python ints (inside `on_ints()`)."""
    return _ON_INTS.get()


@contextlib.contextmanager
def on_ints():
    token = _ON_INTS.set(True)
    try:
        yield
    finally:
        _ON_INTS.reset(token)


def needs_sympy(what: str):
    """Leave the int derive: `what` needs SymPy."""
    raise NeedsSymPy(what)


class _LazySymPy:
    """`sympy`, imported at the first attribute asked for. Under `on_ints()` an attribute not yet
    asked for in this process is NeedsSymPy instead of an import: on ints, nothing may need SymPy.
    An attribute once fetched is kept on the object, so a symbolic derive pays one plain attribute
    lookup per use, as with the module itself."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        if _ON_INTS.get():
            raise NeedsSymPy(f"sympy.{name}")
        import sympy as module
        value = getattr(module, name)
        setattr(self, name, value)
        return value


sympy = _LazySymPy()


def integer(n: int):
    """The whole number n as the derive's numbers are: a Python int on ints, else a SymPy Integer."""
    return n if _ON_INTS.get() else sympy.Integer(n)


def whole(value) -> int | None:
    """value as a Python int when it is a plain int or a SymPy Integer (asking SymPy nothing), else None."""
    if type(value) is int:
        return value
    return value.p if getattr(value, "is_Integer", False) else None


def exact(value):
    """A number of the int derive as it is kept: a Fraction that is whole becomes its int (SymPy's
    Rational(4, 2) is Integer(2) too)."""
    if type(value) is Fraction and value.denominator == 1:
        return value.numerator
    return value


def is_exact(value) -> bool:
    """Whether value is a number of the int derive (a Python int, or a Fraction such as a dropout rate)."""
    return type(value) is int or type(value) is Fraction
