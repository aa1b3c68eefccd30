"""Formulas inside messages (errors, conditions, warnings), written by notation.py when a message is
made: the engine and the kinds import this instead of notation, so a derive that makes no message
imports no SymPy printer (numeric.py). A derive on ints that would word one leaves for SymPy."""

from __future__ import annotations

from .numeric import ints, needs_sympy


def math_text(expr, ascii: bool = False) -> str:
    """notation.text: expr as the terminal shows it."""
    if ints():
        needs_sympy("a formula in a message")
    from .notation import text
    return text(expr, ascii)


def machine(expr) -> str:
    """notation.machine: SymPy's notation, for conditions and JSON fields."""
    if ints():
        needs_sympy("a formula in a message")
    from .notation import machine as write
    return write(expr)


def named(word: str, value) -> str:
    """notation.named: a quantity as a person writes it ('heads (32)')."""
    if ints():
        needs_sympy("a formula in a message")
    from .notation import named as write
    return write(word, value)
